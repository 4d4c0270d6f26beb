"""The request file every command reads (README.md: "Request file"), validated once here."""

import json

from judgeflow_lmeval.errors import UserError

DEFAULT_SEED = 1234
DEFAULT_BOOTSTRAP_ITERS = 100000


def _fail(message):
    raise UserError("bad_request", message)


def _expect(request, key, types, default, what):
    value = request.get(key)
    if value is None:
        return default
    types = types if isinstance(types, tuple) else (types,)
    # bool is an int in Python; a JSON true is never a count
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        _fail(f"request field {key!r} must be {what}, got {value!r}")
    return value


def read_request(path):
    try:
        with open(path, encoding="utf-8") as handle:
            request = json.load(handle)
    except OSError as error:
        _fail(f"cannot read the request file {path}: {error.strerror or error}")
    except ValueError as error:
        _fail(f"the request file {path} is not JSON: {error}")
    return parse_request(request)


def parse_request(request):
    """The common fields with their defaults filled in; ``model`` and ``shards`` checked when present."""
    if not isinstance(request, dict):
        _fail("the request must be a JSON object")
    tasks = request.get("tasks")
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) and t for t in tasks):
        _fail("request field 'tasks' must be a non-empty list of task names")
    include_paths = _expect(request, "include_paths", list, [], "a list of folders")
    if not all(isinstance(p, str) for p in include_paths):
        _fail("request field 'include_paths' must be a list of folders")
    num_fewshot = _expect(request, "num_fewshot", int, None, "an integer or null")
    if num_fewshot is not None and num_fewshot < 0:
        _fail("request field 'num_fewshot' must not be negative")
    limit = _expect(request, "limit", (int, float), None, "a number or null")
    if limit is not None and limit <= 0:
        _fail("request field 'limit' must be positive (a count, or a fraction below 1)")
    if isinstance(limit, float) and limit >= 1.0:
        limit = int(limit)
    seed = _expect(request, "seed", int, DEFAULT_SEED, "an integer")
    bootstrap_iters = _expect(request, "bootstrap_iters", int, DEFAULT_BOOTSTRAP_ITERS, "an integer")
    gen_kwargs = _expect(request, "gen_kwargs", dict, None, "an object or null")
    parsed = dict(
        request,
        tasks=tasks,
        include_paths=include_paths,
        num_fewshot=num_fewshot,
        limit=limit,
        seed=seed,
        bootstrap_iters=bootstrap_iters,
        apply_chat_template=bool(request.get("apply_chat_template", False)),
        system_instruction=_expect(request, "system_instruction", str, None, "a string or null"),
        gen_kwargs=gen_kwargs or None,
    )
    if request.get("model") is not None:
        parsed["model"] = parse_model(request["model"])
    if request.get("shards") is not None:
        parsed["shards"] = parse_shards(request["shards"])
    return parsed


def parse_model(model):
    if not isinstance(model, dict):
        _fail("request field 'model' must be an object")
    api = model.get("api", "completions")
    if api not in ("completions", "chat"):
        _fail(f"model.api must be 'completions' or 'chat', got {api!r}")
    base_url = model.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        _fail(f"model.base_url must be an http(s) URL (the /v1 base), got {base_url!r}")
    name = model.get("model")
    if not isinstance(name, str) or not name:
        _fail("model.model (the model name sent to the server) is required")
    parsed = {
        "api": api,
        "base_url": base_url.rstrip("/"),
        "model": name,
        "num_concurrent": _positive(model, "num_concurrent", 1),
        "batch_size": _positive(model, "batch_size", 1),
        "max_retries": _positive(model, "max_retries", 3, minimum=0),
        "timeout_s": _positive(model, "timeout_s", 300),
        "api_key_env": model.get("api_key_env") or None,
        "max_gen_toks": _positive(model, "max_gen_toks", None),
        "add_bos_token": model.get("add_bos_token", False),
        "tokenizer": model.get("tokenizer") or None,
    }
    if parsed["tokenizer"] is not None and not isinstance(parsed["tokenizer"], str):
        _fail(f"model.tokenizer must be a Hugging Face tokenizer name or folder, got {parsed['tokenizer']!r}")
    if parsed["tokenizer"] is not None and api == "chat":
        _fail("model.tokenizer is for api 'completions' (chat requests are messages, not tokens)")
    if not isinstance(parsed["add_bos_token"], bool):
        _fail(f"model.add_bos_token must be true or false, got {parsed['add_bos_token']!r}")
    return parsed


def _positive(model, key, default, minimum=1):
    value = model.get(key, default)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        _fail(f"model.{key} must be a number >= {minimum}, got {value!r}")
    return int(value) if float(value).is_integer() else value


def parse_shards(shards):
    if not isinstance(shards, list):
        _fail("request field 'shards' must be a list")
    seen = set()
    parsed = []
    for shard in shards:
        if not isinstance(shard, dict):
            _fail("each shard must be an object {id, task, start, end}")
        shard_id, task, start, end = (shard.get(k) for k in ("id", "task", "start", "end"))
        if not isinstance(shard_id, str) or not shard_id or "/" in shard_id or shard_id.startswith("."):
            _fail(f"shard id {shard_id!r} must be a non-empty file-name-safe string")
        if shard_id in seen:
            _fail(f"shard id {shard_id!r} appears twice")
        seen.add(shard_id)
        if not isinstance(task, str) or not task:
            _fail(f"shard {shard_id}: 'task' must be a leaf task name")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start < end:
            _fail(f"shard {shard_id}: need integers 0 <= start < end, got start={start!r} end={end!r}")
        parsed.append({"id": shard_id, "task": task, "start": start, "end": end})
    return parsed
