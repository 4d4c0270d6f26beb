"""Reference numbers from sacrebleu for test/unit/parity-translation.test.ts.

stdin: JSON {"sentence": [{"hypothesis": str, "references": [str, ...]}, ...],
             "corpus": [{"hypotheses": [str, ...], "references": [[str, ...], ...]}, ...],
             "variants": {"bleu": [{kwargs}], "chrf": [{kwargs}]},
             "test_sets": [{"references": [[str, ...], ...], "systems": [[str, ...], ...]}, ...]}
references are per segment (a list per hypothesis, lengths may vary), as judgeflow takes them;
sacrebleu wants one stream per reference set, padded with None where a segment has fewer.
stdout: JSON with, per sentence case and per corpus, sacrebleu's BLEU, chrF and chrF++ with their
defaults (sentence_bleu / corpus_bleu / sentence_chrf / corpus_chrf), and, per sentence case, every
variant's score (sacrebleu's BLEU / CHRF classes with those keyword arguments).
A test set (many systems, one set of references) is scored as `sacrebleu` scores one from its CLI: one
metric object per metric with the references cached (`BLEU(references=...)`), each system's corpus
score from it, and each segment's sentence score from that segment's statistics — the numbers of
sentence_bleu / sentence_chrf, which run the same code per segment, without extracting the reference
n-grams again for every system (8 systems x 1,002 segments would take minutes).
"""

import json
import sys

import logging

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF


def streams(per_segment):
    width = max(len(refs) for refs in per_segment)
    return [[refs[k] if k < len(refs) else None for refs in per_segment] for k in range(width)]


def bleu_fields(score):
    return {
        "score": score.score,
        "counts": list(score.counts),
        "totals": list(score.totals),
        "bp": score.bp,
        "sys_len": score.sys_len,
        "ref_len": score.ref_len,
    }


def main():
    # sentence_score without effective_order warns once per call; the variants do that on purpose.
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)
    request = json.load(sys.stdin)
    variants = request.get("variants", {"bleu": [], "chrf": []})
    bleu_variants = [BLEU(**kwargs) for kwargs in variants["bleu"]]
    chrf_variants = [CHRF(**kwargs) for kwargs in variants["chrf"]]
    sentences = []
    for case in request.get("sentence", []):
        hyp, refs = case["hypothesis"], case["references"]
        sentences.append({
            "bleu": bleu_fields(sacrebleu.sentence_bleu(hyp, refs)),
            "chrf": sacrebleu.sentence_chrf(hyp, refs).score,
            "chrfpp": sacrebleu.sentence_chrf(hyp, refs, word_order=2).score,
            "bleu_variants": [m.sentence_score(hyp, refs).score for m in bleu_variants],
            "chrf_variants": [m.sentence_score(hyp, refs).score for m in chrf_variants],
        })
    corpora = []
    for corpus in request.get("corpus", []):
        hyps, refs = corpus["hypotheses"], streams(corpus["references"])
        corpora.append({
            "bleu": bleu_fields(sacrebleu.corpus_bleu(hyps, refs)),
            "chrf": sacrebleu.corpus_chrf(hyps, refs).score,
            "chrfpp": sacrebleu.corpus_chrf(hyps, refs, word_order=2).score,
        })
    test_sets = [score_test_set(test_set) for test_set in request.get("test_sets", [])]
    json.dump(
        {"version": sacrebleu.__version__, "sentence": sentences, "corpus": corpora, "test_sets": test_sets},
        sys.stdout,
    )


def score_test_set(test_set):
    refs = streams(test_set["references"])
    corpus_bleu = BLEU(references=refs)
    # sentence_bleu's settings; its segment statistics are the corpus metric's (they do not depend on
    # effective_order), so they are extracted once.
    sentence_bleu = BLEU(effective_order=True)
    chrf, chrfpp = CHRF(references=refs), CHRF(word_order=2, references=refs)
    results = []
    for hyps in test_set["systems"]:
        bleu_stats = corpus_bleu._extract_corpus_statistics(hyps, None)
        chrf_stats = chrf._extract_corpus_statistics(hyps, None)
        chrfpp_stats = chrfpp._extract_corpus_statistics(hyps, None)
        results.append({
            "corpus": {
                "bleu": bleu_fields(corpus_bleu._aggregate_and_compute(bleu_stats)),
                "chrf": chrf._aggregate_and_compute(chrf_stats).score,
                "chrfpp": chrfpp._aggregate_and_compute(chrfpp_stats).score,
            },
            "segments": {
                "bleu": [sentence_bleu._compute_score_from_stats(list(s)).score for s in bleu_stats],
                "chrf": [chrf._compute_score_from_stats(s).score for s in chrf_stats],
                "chrfpp": [chrfpp._compute_score_from_stats(s).score for s in chrfpp_stats],
            },
        })
    return results


if __name__ == "__main__":
    main()
