"""Finding and loading lm-eval tasks the way ``simple_evaluate`` does, with judgeflow's error reporting.

Every command loads the request's tasks through ``load_tasks``: the same seeds, the same config
overrides (``num_fewshot``, ``gen_kwargs``, the few-shot seed) in the same order as lm-eval 0.4.13's
``simple_evaluate``, so a shard process and the merge process see identical task configs.
"""

import difflib
import hashlib
import json
import logging
import os
import random
from dataclasses import dataclass, field

from judgeflow_lmeval.errors import UserError, first_line

LOG = logging.getLogger("judgeflow-lmeval")

LOGLIKELIHOOD_TYPES = ("loglikelihood", "multiple_choice", "loglikelihood_rolling")
# judgeflow's own tasks (data/lm-eval-tasks); Node always passes them as an include path too.
BUNDLED_TASKS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "data", "lm-eval-tasks"))


@dataclass
class LoadedTasks:
    """Leaf tasks (request order, as lm-eval orders them) and the groups they belong to."""

    tasks: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    parent: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)

    def num_docs(self, name):
        total = len(self.tasks[name].eval_docs)
        limit = self.limits[name]
        return total if limit is None else min(total, limit)


def seed_everything(seed):
    """simple_evaluate's seeding with one value (lm-eval's ``--seed N``): random, numpy, torch (when installed)."""
    import numpy as np
    from lm_eval.utils import set_torch_seed

    random.seed(seed)
    np.random.seed(seed)
    set_torch_seed(seed)


def task_manager(include_paths, names, narrow=True):
    """A TaskManager that knows ``names``, and whether it left lm-eval's built-in tasks out.

    Indexing lm-eval's ~15,000 built-in task YAMLs takes seconds; when every requested name is defined
    in the include paths alone (judgeflow's own tasks), those are indexed without the built-ins. The
    index only decides which names resolve, not what a task looks like, so both give the same tasks
    (a group there that names a built-in task fails to load narrowly, and is loaded again with all).
    """
    from lm_eval.tasks import TaskManager

    missing = [p for p in include_paths if not os.path.isdir(p)]
    if missing:
        raise UserError("bad_request", f"include path is not a folder: {', '.join(missing)}")
    paths = [p for p in dict.fromkeys([*include_paths, BUNDLED_TASKS]) if os.path.isdir(p)]
    if narrow:
        manager = TaskManager(include_path=paths, include_defaults=False, metadata={})
        if all(name in manager.all_tasks for name in names):
            return manager, True
    return TaskManager(include_path=paths, metadata={}), False


def check_names(manager, names):
    for name in names:
        if name in manager.all_tasks or (name.endswith((".yaml", ".yml")) and os.path.isfile(name)):
            continue
        suggestions = difflib.get_close_matches(name, manager.all_tasks, n=5, cutoff=0.6)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UserError(
            "unknown_task",
            f"unknown lm-eval task or group {name!r}{hint} (`lm-eval ls tasks` lists them; your own task "
            "YAMLs need an include path)",
            task=name,
            suggestions=suggestions,
        )


class _NeedsBuiltins(Exception):
    """A task found in the include paths refers to a name only lm-eval's built-in index has."""


def load_tasks(request):
    """Loads the request's tasks and applies what simple_evaluate applies before evaluating."""
    from lm_eval.evaluator_utils import get_sample_size

    names = request["tasks"]
    seed_everything(request["seed"])
    manager, narrow = task_manager(request["include_paths"], names)
    check_names(manager, names)
    try:
        loaded = _load_all(manager, names, narrow)
    except _NeedsBuiltins as missing:
        LOG.info("loading again with lm-eval's built-in tasks indexed (%s)", missing)
        manager, _ = task_manager(request["include_paths"], names, narrow=False)
        seed_everything(request["seed"])
        loaded = _load_all(manager, names, False)
    for task_name, task in loaded.tasks.items():
        apply_overrides(task, request)
        loaded.limits[task_name] = get_sample_size(task, request["limit"])
    return loaded


def _load_all(manager, names, narrow):
    from lm_eval.api.group import Group

    loaded = LoadedTasks()
    owner = {}
    for name in names:
        try:
            result = manager.load([name])
        except Exception as error:
            if narrow and isinstance(error, KeyError):
                raise _NeedsBuiltins(first_line(error)) from error
            raise UserError(
                "task_load_failed", f"cannot load task {name!r}: {type(error).__name__}: {first_line(error)}", task=name
            ) from error
        for task_name, task in result["tasks"].items():
            if task_name in owner:
                raise UserError(
                    "bad_request",
                    f"task {task_name!r} is requested twice (by {owner[task_name]!r} and {name!r})",
                    task=task_name,
                )
            owner[task_name] = name
            loaded.tasks[task_name] = task
            loaded.parent[task_name] = None
        loaded.groups.update(result["groups"])
    for group in loaded.groups.values():
        for child in group:
            if not isinstance(child, Group):
                loaded.parent[child.task_name] = group.name
    return loaded


def apply_overrides(task, request):
    """simple_evaluate 0.4.13's per-task overrides, in its order (gen_kwargs, num_fewshot, few-shot seed)."""
    if task.get_config("output_type") == "generate_until" and request["gen_kwargs"] is not None:
        task.set_config(key="generation_kwargs", value=request["gen_kwargs"], update=True)
    num_fewshot = request["num_fewshot"]
    if num_fewshot is not None:
        if task.get_config("num_fewshot") != 0:
            task.set_config(key="num_fewshot", value=num_fewshot)
    elif task.get_config("num_fewshot") is None:
        task.set_config(key="num_fewshot", value=0)
    task.set_fewshot_seed(seed=request["seed"])


def json_safe(value):
    """What lm-eval writes for ``value`` (json.dumps with its handle_non_serializable), NaN/inf as null."""
    from lm_eval.utils import handle_non_serializable

    return json.loads(json.dumps(_finite(value), default=lambda o: _finite(handle_non_serializable(o))))


def _finite(value):
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def doc_hash(doc):
    """The ``doc_hash`` lm-eval's evaluate() logs for a document."""
    from lm_eval.utils import handle_non_serializable, hash_string

    return hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))


def describe_task(loaded, name):
    task = loaded.tasks[name]
    config = task.config
    num_docs = loaded.num_docs(name)
    docs = task.eval_docs
    digest = hashlib.sha256()
    for index in range(num_docs):
        digest.update(doc_hash(docs[index]).encode())
    split = config.test_split if task.has_test_docs() else config.validation_split
    dataset = {
        "path": config.dataset_path or _custom_dataset_name(config.custom_dataset),
        "name": config.dataset_name,
        "split": split,
        "digest": digest.hexdigest(),
    }
    data_files = (config.dataset_kwargs or {}).get("data_files")
    if data_files is not None:
        dataset["data_files"] = json_safe(data_files)
    higher = task.higher_is_better() or {}
    metrics = [
        {"metric": metric, "aggregation": _function_name(aggregate), "higher_is_better": higher.get(metric)}
        for metric, aggregate in (task.aggregation() or {}).items()
    ]
    return {
        "name": name,
        "group": loaded.parent.get(name),
        "output_type": task.OUTPUT_TYPE,
        "version": json_safe(task.VERSION),
        "num_docs": num_docs,
        "num_docs_total": len(docs),
        "split": split,
        "num_fewshot": config.num_fewshot,
        "metrics": metrics,
        "filters": [getattr(f, "name", str(f)) for f in getattr(task, "_filters", [])] or ["none"],
        "config": json_safe(task.dump_config()),
        "dataset": dataset,
    }


def _function_name(function):
    return getattr(function, "__name__", None) or str(function)


def _custom_dataset_name(function):
    if function is None:
        return None
    module = os.path.basename(getattr(function, "__module__", "") or "")
    return f"custom_dataset:{module}.{_function_name(function)}" if module else f"custom_dataset:{_function_name(function)}"


def describe(request):
    import lm_eval

    loaded = load_tasks(request)
    groups = {
        name: [task.task_name for task in group.get_all_tasks()] for name, group in loaded.groups.items()
    }
    return {
        "lm_eval_version": lm_eval.__version__,
        "tasks": [describe_task(loaded, name) for name in loaded.tasks],
        "groups": groups,
    }
