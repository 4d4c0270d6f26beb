"""Reference numbers for the summarization parity test, from Google's rouge-score and NLTK.

stdin: JSON. `{"stem": [words]}` answers `{"stems": [...], "versions": {...}}` with NLTK's
PorterStemmer() (the stemmer rouge-score builds); `{"cases": [{"references": [...], "prediction": "..."}],
"rouge_types": [...], "use_stemmer": bool}` answers `{"scores": [{type: [p, r, f]}], "tokens": [...],
"versions": {...}}`: `RougeScorer.score` for one reference, `score_multi` for several.
Floats are written with repr (shortest round-trip), so the comparison can be exact.
"""

import json
import sys
from importlib.metadata import version

from nltk.stem import porter
from rouge_score import rouge_scorer, tokenizers


def main():
    request = json.load(sys.stdin)
    versions = {"rouge-score": version("rouge-score"), "nltk": version("nltk")}
    if "stem" in request:
        stemmer = porter.PorterStemmer()
        print(json.dumps({"stems": [stemmer.stem(w) for w in request["stem"]], "versions": versions}))
        return
    types = request["rouge_types"]
    use_stemmer = request["use_stemmer"]
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer)
    tokenizer = tokenizers.DefaultTokenizer(use_stemmer)
    scores = []
    tokens = []
    for case in request["cases"]:
        references = case["references"]
        prediction = case["prediction"]
        if len(references) == 1:
            result = scorer.score(references[0], prediction)
        else:
            result = scorer.score_multi(references, prediction)
        scores.append({t: [float(s.precision), float(s.recall), float(s.fmeasure)] for t, s in result.items()})
        tokens.append(tokenizer.tokenize(prediction))
    print(json.dumps({"scores": scores, "tokens": tokens, "versions": versions}))


if __name__ == "__main__":
    main()
