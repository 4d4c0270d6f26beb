"""Running shards: one (leaf task, doc range [start, end)) at a time through lm-eval's own evaluate().

A shard must produce exactly the per-document results an unsharded run produces for its docs, so two
things are arranged around lm-eval 0.4.13's ``evaluate`` (both narrowly, on the one task object, for
the duration of one call):

- Few-shot contexts. lm-eval's sampler draws the few-shot examples of every document from one
  ``random.Random(fewshot seed)``, consumed in doc order while the requests are built; building only
  docs 40..79 would give doc 40 the examples of doc 0. So ``Task.build_all_requests`` is wrapped: it
  builds the requests of every doc up to ``end`` (templating only, no model calls) and keeps the
  shard's, their ``doc_id`` renumbered to the position in the ``samples`` list evaluate() is given
  (``range(start, end)``) — which is what evaluate() expects of them when ``samples`` is used.
- The accumulators. evaluate() hands its per-document metrics (``raw_metrics[(metric, filter)]``, in
  doc order) and logged samples to ``evaluator_utils._process_results``; the shard takes them there
  (``_process_results`` is called with bootstrap_iters=0: the shard's aggregates are thrown away) and
  pickles them. merge.py concatenates the shards' lists in doc order and aggregates once.

Output: ``<out>/<shard id>.pkl`` (SHARD_FORMAT; README.md describes its fields).
"""

import logging
import os
import pickle
import time
from unittest import mock

from judgeflow_lmeval.errors import UserError
from judgeflow_lmeval.tasks import LOGLIKELIHOOD_TYPES, json_safe, load_tasks

LOG = logging.getLogger("judgeflow-lmeval")
SHARD_FORMAT = 1


def check_shards(request, loaded):
    for shard in request.get("shards") or []:
        name = shard["task"]
        if name not in loaded.tasks:
            raise UserError(
                "bad_request",
                f"shard {shard['id']}: {name!r} is not a leaf task of the request's tasks "
                f"({', '.join(loaded.tasks) or 'none'})",
                task=name,
            )
        num_docs = loaded.num_docs(name)
        if shard["end"] > num_docs:
            raise UserError(
                "bad_request",
                f"shard {shard['id']}: docs [{shard['start']}, {shard['end']}) of {name}, which has {num_docs} docs"
                " (after limit)",
                task=name,
            )
        if getattr(loaded.tasks[name], "UNSAFE_CODE", False):
            raise UserError(
                "bad_request", f"{name} runs model-written code, which judgeflow bench does not do", task=name
            )


def run_shards(request, out_dir, lm=None, loaded=None):
    """The ``shard`` command. ``lm``: an lm-eval LM to use instead of the request's model (tests)."""
    shards = request.get("shards")
    if not shards:
        raise UserError("bad_request", "the shard command needs request field 'shards' (a non-empty list)")
    model = request.get("model")
    if model is not None and model["api"] == "chat" and not request["apply_chat_template"]:
        # a chat completions request is a list of messages: lm-eval builds them with the chat template
        LOG.info("api 'chat': applying the chat template (apply_chat_template)")
        request = dict(request, apply_chat_template=True)
    loaded = loaded or load_tasks(request)
    check_shards(request, loaded)
    if lm is None:
        from judgeflow_lmeval.model import build_lm, probe_server

        if request.get("model") is None:
            raise UserError("bad_request", "the shard command needs request field 'model'")
        names = list(dict.fromkeys(s["task"] for s in shards))
        scoring = [n for n in names if loaded.tasks[n].OUTPUT_TYPE in LOGLIKELIHOOD_TYPES]
        info = probe_server(request["model"], scoring, names)
        lm = build_lm(request["model"], info)
    os.makedirs(out_dir, exist_ok=True)
    records = []
    for shard in shards:
        result = run_shard(request, loaded, shard, lm)
        path = os.path.join(out_dir, f"{shard['id']}.pkl")
        staging = f"{path}.partial"
        with open(staging, "wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(staging, path)  # a killed process never leaves a half-written shard behind
        records.append(
            {
                "id": shard["id"],
                "task": shard["task"],
                "start": shard["start"],
                "end": shard["end"],
                "docs": shard["end"] - shard["start"],
                "requests": result["requests"],
                "seconds": round(result["seconds"], 3),
            }
        )
    return {"shards": records}


def run_shard(request, loaded, shard, lm):
    """Evaluates one shard; returns what goes into its .pkl."""
    import lm_eval
    from lm_eval import evaluator

    from judgeflow_lmeval.environment import seed_langdetect
    from judgeflow_lmeval.tasks import seed_everything

    name, start, end = shard["task"], shard["start"], shard["end"]
    task = loaded.tasks[name]
    seed = request["seed"]
    captured = {}
    real_process_results = evaluator._process_results

    def capture(eval_results_acc, groups=None, bootstrap_iters=None):
        captured.update(eval_results_acc[name])
        return real_process_results(eval_results_acc, groups, 0)

    apply_chat_template = request["apply_chat_template"]
    started = time.monotonic()
    seed_everything(seed)
    seed_langdetect()
    with _build_range_only(task, start, end, seed), mock.patch.object(evaluator, "_process_results", capture):
        evaluator.evaluate(
            lm=lm,
            task_dict={"tasks": {name: task}, "groups": {}},
            samples={name: range(start, end)},
            bootstrap_iters=0,
            log_samples=True,
            system_instruction=request["system_instruction"],
            apply_chat_template=apply_chat_template,
            # lm-eval's CLI: few-shot examples as turns of the conversation exactly when a chat template applies
            fewshot_as_multiturn=bool(apply_chat_template),
        )
    requests = sum(instance.repeats or 1 for instance in task.instances)
    return {
        "format": SHARD_FORMAT,
        "lm_eval_version": lm_eval.__version__,
        "id": shard["id"],
        "task": name,
        "start": start,
        "end": end,
        "raw_metrics": dict(captured["raw_metrics"]),
        "logged_samples": captured["logged_samples"],
        "config": json_safe(task.dump_config()),
        "version": task.VERSION,
        "num_fewshot": task.get_config("num_fewshot"),
        "requests": requests,
        "seconds": time.monotonic() - started,
    }


class _build_range_only:
    """Wraps ``task.build_all_requests`` (on this task object only) — see the module docstring."""

    def __init__(self, task, start, end, seed):
        self.task, self.start, self.end, self.seed = task, start, end, seed

    def __enter__(self):
        task, start, end, seed = self.task, self.start, self.end, self.seed
        original = task.build_all_requests

        def build_all_requests(*, limit=None, samples=None, **options):
            # the sampler's generator as simple_evaluate leaves it (set once, after loading), also when
            # this process ran another shard of the task before
            task.set_fewshot_seed(seed=seed)
            original(limit=end, samples=None, **options)
            kept = [instance for instance in task._instances if start <= instance.doc_id < end]
            for instance in kept:
                instance.doc_id -= start
            task._instances = kept

        task.build_all_requests = build_all_requests
        return self

    def __exit__(self, *exc):
        del self.task.build_all_requests
        return False
