"""Merging shard files into lm-eval's results: its accumulators rebuilt in doc order, its aggregation.

evaluate() accumulates, per task, ``raw_metrics[(metric, filter)]`` (one value per document, in doc
order) and ``logged_samples`` (per filter, then per document), then calls
``evaluator_utils._process_results(eval_results_acc, groups, bootstrap_iters)`` and
``._to_eval_results(samples=...)``. The merge rebuilds exactly those accumulators from the shards
(sorted by start; lists concatenated, so float sums see the same values in the same order) with the
tasks loaded as the shards loaded them, and calls the same two functions: the numbers, stderr
included, are lm-eval's for an unsharded run.
"""

import glob
import json
import logging
import os
import pickle
from collections import defaultdict

from judgeflow_lmeval.errors import UserError
from judgeflow_lmeval.shard import SHARD_FORMAT
from judgeflow_lmeval.tasks import json_safe, load_tasks

LOG = logging.getLogger("judgeflow-lmeval")


def read_shards(request, shards_dir):
    wanted = request.get("shards")
    if wanted:
        paths = [os.path.join(shards_dir, f"{shard['id']}.pkl") for shard in wanted]
        paths = [p for p in paths if os.path.exists(p)]  # a missing file shows as missing docs
    else:
        paths = sorted(glob.glob(os.path.join(shards_dir, "*.pkl")))
    shards = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                shard = pickle.load(handle)
        except Exception as error:
            raise UserError("bad_request", f"cannot read the shard file {path}: {error}") from error
        if not isinstance(shard, dict) or shard.get("format") != SHARD_FORMAT:
            raise UserError("bad_request", f"{path} is not a judgeflow_lmeval shard file (format {SHARD_FORMAT})")
        shard["path"] = path
        shards.append(shard)
    return shards


def _ranges(ids):
    """[3, 4, 5, 9] → [[3, 6], [9, 10]] (half-open)."""
    ranges = []
    for doc in ids:
        if ranges and ranges[-1][1] == doc:
            ranges[-1][1] = doc + 1
        else:
            ranges.append([doc, doc + 1])
    return ranges


def _describe_ranges(ranges):
    return ", ".join(f"{a}" if b == a + 1 else f"{a}-{b - 1}" for a, b in ranges[:10]) + (
        f" (+{len(ranges) - 10} more ranges)" if len(ranges) > 10 else ""
    )


def check_coverage(name, num_docs, shards):
    counts = [0] * num_docs
    beyond = []
    for shard in shards:
        for doc in range(shard["start"], shard["end"]):
            if doc < num_docs:
                counts[doc] += 1
            else:
                beyond.append(doc)
    missing = _ranges([d for d, c in enumerate(counts) if c == 0])
    duplicated = _ranges([d for d, c in enumerate(counts) if c > 1] + sorted(set(beyond)))
    if missing or duplicated:
        parts = []
        if missing:
            parts.append(f"docs {_describe_ranges(missing)} are in no shard")
        if duplicated:
            parts.append(f"docs {_describe_ranges(duplicated)} are in more than one shard (or beyond the task's {num_docs})")
        raise UserError(
            "shards_incomplete",
            f"{name}: {'; '.join(parts)} — every one of its {num_docs} docs must be in exactly one shard",
            task=name,
            missing=missing,
            duplicated=duplicated,
        )


def check_config(name, expected, shard):
    if shard["config"] == expected:
        return
    keys = sorted(k for k in set(expected) | set(shard["config"]) if expected.get(k) != shard["config"].get(k))
    raise UserError(
        "bad_request",
        f"{name}: shard {shard['id']} was run with a different task configuration ({', '.join(keys)}) than this "
        "request gives",
        task=name,
    )


def accumulate(task, shards):
    """lm-eval's ResultAcc for a task, from its shards in doc order."""
    raw_metrics = defaultdict(list)
    filters = []
    for shard in shards:
        for key, values in shard["raw_metrics"].items():
            raw_metrics[key].extend(values)
        for sample in shard["logged_samples"]:
            if sample["filter"] not in filters:
                filters.append(sample["filter"])
    logged = [s for f in filters for shard in shards for s in shard["logged_samples"] if s["filter"] == f]
    return {"task": task, "raw_metrics": raw_metrics, "logged_samples": logged}


def sample_line(sample):
    """One line of lm-eval's samples_<task>.jsonl (EvaluationTracker.save_results_samples' layout)."""
    from lm_eval.utils import handle_non_serializable, sanitize_list

    sample = dict(sample)
    arguments = {}
    for i, arg in enumerate(sample["arguments"]):
        arguments[f"gen_args_{i}"] = {f"arg_{j}": value for j, value in enumerate(arg)}
    sample["resps"] = sanitize_list(sample["resps"])
    sample["filtered_resps"] = sanitize_list(sample["filtered_resps"])
    sample["arguments"] = arguments
    sample["target"] = str(sample["target"])
    return json.dumps(json_safe(sample), default=handle_non_serializable, ensure_ascii=False)


def merge_results(request, shards, loaded=None):
    """lm-eval's results dict (samples included) for the request's tasks from the shards."""
    import lm_eval
    from lm_eval.evaluator_utils import _process_results

    loaded = loaded or load_tasks(request)
    by_task = defaultdict(list)
    for shard in shards:
        if shard["task"] not in loaded.tasks:
            raise UserError(
                "bad_request",
                f"shard file {shard['path']} is for {shard['task']!r}, not a task of this request "
                f"({', '.join(loaded.tasks)})",
                task=shard["task"],
            )
        by_task[shard["task"]].append(shard)
    accumulators = {}
    for name, task in loaded.tasks.items():
        task_shards = sorted(by_task[name], key=lambda s: (s["start"], s["end"]))
        check_coverage(name, loaded.num_docs(name), task_shards)
        expected = json_safe(task.dump_config())
        for shard in task_shards:
            check_config(name, expected, shard)
        accumulators[name] = accumulate(task, task_shards)
    processed = _process_results(accumulators, loaded.groups, request["bootstrap_iters"])
    results = processed._to_eval_results(samples=processed.samples)
    results["lm_eval_version"] = lm_eval.__version__
    return results


def task_hashes(samples):
    """lm-eval's task_hashes (EvaluationTracker.save_results_aggregated)."""
    from lm_eval.utils import hash_string

    return {
        name: hash_string("".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in rows))
        for name, rows in samples.items()
    }


def run_config(request):
    """simple_evaluate's ``config`` entry, from the request (seeds: one value, as lm-eval's --seed N)."""
    model = request.get("model") or {}
    seed = request["seed"]
    return {
        "model": f"local-{'chat-' if model.get('api') == 'chat' else ''}completions" if model else None,
        "model_args": {
            "model": model.get("model"),
            "base_url": model.get("base_url"),
            "add_bos_token": model.get("add_bos_token", False),
            "tokenizer": model.get("tokenizer"),
        }
        if model
        else None,
        "batch_size": model.get("batch_size"),
        "limit": request["limit"],
        "bootstrap_iters": request["bootstrap_iters"],
        "gen_kwargs": request["gen_kwargs"],
        "random_seed": seed,
        "numpy_seed": seed,
        "torch_seed": seed,
        "fewshot_seed": seed,
    }


def merge(request, shards_dir, out_dir):
    """The ``merge`` command."""
    results = merge_results(request, read_shards(request, shards_dir))
    samples = results.pop("samples")
    results["task_hashes"] = task_hashes(samples)
    results["config"] = run_config(request)
    safe = json_safe(results)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(safe, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    files = {}
    for name, rows in samples.items():
        path = os.path.abspath(os.path.join(out_dir, f"samples_{name}.jsonl"))
        with open(path, "w", encoding="utf-8") as handle:
            for sample in rows:
                handle.write(sample_line(sample) + "\n")
        files[name] = path
    return {"results": safe, "samples_files": files}
