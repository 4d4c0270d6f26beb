"""Dataset loaders for judgeflow's offline lm-eval tasks (referenced as ``custom_dataset: !function utils.…``).

lm-eval calls a task's ``custom_dataset`` with the task's ``metadata`` and ``dataset_kwargs`` as keyword
arguments and indexes the result by split name. The loaders read JSON Lines files themselves (no
``datasets.load_dataset``: nothing is fetched or written to the Hugging Face cache) and return
``datasets.Dataset`` splits, so documents look as they would coming from the hub (one Arrow schema per
split, missing keys as None).

``data_files`` (in ``dataset_kwargs``) maps split → file. A relative file is looked up next to this
folder's YAMLs, or — with a ``shared:`` prefix — under ``JUDGEFLOW_SHARED_DATA`` (default: the
``shared/data`` folder beside the judgeflow checkout), where the data sets judgeflow does not ship live.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_PREFIX = "shared:"


def shared_data_dir():
    configured = os.environ.get("JUDGEFLOW_SHARED_DATA")
    if configured:
        return os.path.abspath(configured)
    # data/lm-eval-tasks/ → the checkout → its sibling shared/data
    return os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared", "data"))


def resolve_data_file(name):
    if name.startswith(SHARED_PREFIX):
        relative = name[len(SHARED_PREFIX) :]
        path = os.path.join(shared_data_dir(), relative)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"data file not found: {path} (from {name!r}; set JUDGEFLOW_SHARED_DATA to the folder that "
                f"holds {relative})"
            )
        return path
    path = name if os.path.isabs(name) else os.path.join(HERE, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path} (from {name!r})")
    return path


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as error:
                raise ValueError(f"{path}:{number}: not a JSON object: {error}") from error
    return rows


def load_jsonl_splits(data_files=None, **_metadata):
    """``custom_dataset`` entry point: ``{split: datasets.Dataset}`` from ``data_files`` ({split: file})."""
    import datasets

    if not isinstance(data_files, dict) or not data_files:
        raise ValueError("dataset_kwargs.data_files must map each split to a JSON Lines file")
    return {split: datasets.Dataset.from_list(read_jsonl(resolve_data_file(name))) for split, name in data_files.items()}
