"""The lm-eval model a shard runs against, and the server checks made before any task runs.

``api: completions`` → lm-eval's ``local-completions`` at ``<base_url>/completions`` with
``tokenizer_backend=remote`` (the server's /tokenize, /detokenize, /tokenizer_info: no tokenizer from
the hub) and token-id prompts; ``api: chat`` → ``local-chat-completions`` at
``<base_url>/chat/completions`` (generation only, the chat template applied: its requests are messages).
With ``model.tokenizer`` (a Hugging Face tokenizer name or folder) ``local-completions`` tokenizes
locally instead (``tokenizer_backend=huggingface``): for servers that score prompts (echo + logprobs) but
have no tokenizer routes, such as Ray Serve LLM.
"""

import logging
import os

from judgeflow_lmeval.errors import UserError, first_line

LOG = logging.getLogger("judgeflow-lmeval")
PROBE_TEXT = "Hello world"


def server_root(base_url):
    """Where lm-eval's RemoteTokenizer looks for /tokenize etc.: the completions URL minus /v1/completions."""
    return f"{base_url}/completions".replace("/v1/completions", "").replace("/v1/chat/completions", "").rstrip("/")


def api_key(model):
    name = model["api_key_env"]
    if not name:
        return None
    key = os.environ.get(name)
    if not key:
        raise UserError("bad_request", f"model.api_key_env names {name}, which is not set in this environment")
    return key


def probe_server(model, scoring_tasks, all_tasks):
    """Checks the server before running: reachable, and able to score prompts when a task needs it.

    Returns /tokenizer_info's answer (None when the server has none: then generation sends text prompts).
    """
    import requests

    key = api_key(model)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    timeout = min(float(model["timeout_s"]), 60.0)
    first_task = (scoring_tasks or all_tasks or [None])[0]

    def call(method, url, **kwargs):
        try:
            response = requests.request(method, url, headers=headers, timeout=timeout, **kwargs)
        except requests.ConnectionError as error:
            raise UserError(
                "endpoint_unreachable",
                f"cannot reach the model server at {url} (needed by {', '.join(all_tasks)}): {first_line(error)}",
                task=first_task,
                url=url,
            ) from error
        except requests.Timeout as error:
            raise UserError(
                "endpoint_unreachable",
                f"the model server at {url} did not answer within {timeout:g}s (needed by {', '.join(all_tasks)})",
                task=first_task,
                url=url,
            ) from error
        if response.status_code in (401, 403):
            raise UserError(
                "bad_request",
                f"the model server at {url} refused the request (HTTP {response.status_code}): check the API key "
                "(model.api_key_env)",
                task=first_task,
                url=url,
            )
        return response

    if model["api"] == "chat":
        if scoring_tasks:
            raise UserError(
                "no_logprobs",
                f"{', '.join(scoring_tasks)} need log-likelihoods of prompts, which a chat completions API cannot "
                "give: use api 'completions' (a /v1/completions server that returns prompt logprobs)",
                task=scoring_tasks[0],
            )
        call("GET", f"{model['base_url']}/models")
        return None

    root = server_root(model["base_url"])
    if model["tokenizer"] is not None:
        tokenizer = load_tokenizer(model["tokenizer"], first_task)
        if scoring_tasks:
            tokens = tokenizer(PROBE_TEXT, add_special_tokens=False).input_ids
            _probe_echo(call, model, scoring_tasks, tokens)
        return None
    info_response = call("GET", f"{root}/tokenizer_info")
    info = _json(info_response) if info_response.status_code == 200 else None
    if not isinstance(info, dict):
        info = None
    if not scoring_tasks:
        return info
    what = f"{', '.join(scoring_tasks)} need{'s' if len(scoring_tasks) == 1 else ''} log-likelihoods of prompts"
    if info is None:
        raise UserError(
            "no_logprobs",
            f"{what}, and the server at {root} has no /tokenizer_info (HTTP {info_response.status_code}): lm-eval "
            "scores prompts through the server's tokenizer (/tokenize, /detokenize, /tokenizer_info, as vLLM serves "
            "them), or through the model's Hugging Face tokenizer given as model.tokenizer (judgeflow bench --tokenizer)",
            task=scoring_tasks[0],
            url=f"{root}/tokenizer_info",
        )
    tokenized = call("POST", f"{root}/tokenize", json={"prompt": PROBE_TEXT, "add_special_tokens": False})
    tokens = (_json(tokenized) or {}).get("tokens") if tokenized.status_code == 200 else None
    if not isinstance(tokens, list) or not tokens:
        raise UserError(
            "no_logprobs",
            f"{what}, and the server's /tokenize at {root} did not return tokens (HTTP {tokenized.status_code})",
            task=scoring_tasks[0],
            url=f"{root}/tokenize",
        )
    _probe_echo(call, model, scoring_tasks, tokens)
    return info


def _probe_echo(call, model, scoring_tasks, tokens):
    """A 2-token prompt sent as lm-eval sends its log-likelihood requests; its logprobs must come back."""
    what = f"{', '.join(scoring_tasks)} need{'s' if len(scoring_tasks) == 1 else ''} log-likelihoods of prompts"
    prompt = (list(tokens) * 2)[:2]
    url = f"{model['base_url']}/completions"
    body = {"model": model["model"], "prompt": [prompt], "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1}
    scored = call("POST", url, json=body)
    problem = _prompt_logprobs_problem(scored, len(prompt))
    if problem:
        raise UserError(
            "no_logprobs",
            f"{what}, and the server at {url} does not return them ({problem}): lm-eval sends echo: true, "
            "logprobs: 1 and reads choices[].logprobs.token_logprobs / top_logprobs over the prompt",
            task=scoring_tasks[0],
            url=url,
        )


def load_tokenizer(name, task=None):
    """The Hugging Face tokenizer ``model.tokenizer`` names (a local folder, or a hub name once cached)."""
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(name)
    except Exception as error:  # noqa: BLE001 - OSError, ValueError, hub errors: all "cannot load"
        offline = os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0")
        hint = (
            " (the hub is off: HF_HUB_OFFLINE=0 lets it download once, or give a local folder)"
            if offline and not os.path.isdir(name)
            else ""
        )
        raise UserError(
            "bad_request", f"cannot load the tokenizer {name!r}{hint}: {first_line(error)}", task=task
        ) from error


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _prompt_logprobs_problem(response, prompt_tokens):
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    body = _json(response)
    try:
        logprobs = body["choices"][0]["logprobs"]
        token_logprobs = logprobs["token_logprobs"]
        top = logprobs["top_logprobs"]
    except (KeyError, IndexError, TypeError):
        return "no choices[0].logprobs with token_logprobs and top_logprobs"
    if not isinstance(token_logprobs, list) or len(token_logprobs) < prompt_tokens:
        return f"token_logprobs covers {len(token_logprobs) if isinstance(token_logprobs, list) else 0} tokens, not the {prompt_tokens}-token prompt (echo ignored?)"
    if not isinstance(token_logprobs[1], (int, float)) or not isinstance(top, list) or not isinstance(top[1], dict):
        return "the prompt's second token has no log-probability"
    return None


def build_lm(model, tokenizer_info):
    """lm-eval's API model for the request's ``model`` section (one per process)."""
    from lm_eval.models.openai_completions import LocalChatCompletion, LocalCompletionsAPI

    key = api_key(model)
    arguments = {
        "model": model["model"],
        "num_concurrent": model["num_concurrent"],
        "batch_size": model["batch_size"],
        "max_retries": model["max_retries"],
        "timeout": int(model["timeout_s"]),
    }
    if model["max_gen_toks"] is not None:
        arguments["max_gen_toks"] = model["max_gen_toks"]
    if key:
        arguments["auth_token"] = key  # the remote tokenizer's requests
        arguments["header"] = {"Authorization": f"Bearer {key}"}  # the completions requests
    if model["tokenizer"] is not None:
        # lm-eval's Hugging Face backend honours add_bos_token itself (add_special_tokens on encode)
        if tokenizer_info is not None and isinstance(tokenizer_info.get("model_max_length"), int):
            arguments["max_length"] = tokenizer_info["model_max_length"]
        return LocalCompletionsAPI(
            base_url=f"{model['base_url']}/completions",
            tokenizer_backend="huggingface",
            tokenizer=model["tokenizer"],
            add_bos_token=model["add_bos_token"],
            **arguments,
        )
    if model["api"] == "chat":
        return LocalChatCompletion(base_url=f"{model['base_url']}/chat/completions", tokenizer_backend=None, **arguments)
    if tokenizer_info is None:
        LOG.warning("the server has no /tokenizer_info: generation requests are sent as text")
        return LocalCompletionsAPI(base_url=f"{model['base_url']}/completions", tokenizer_backend=None, **arguments)
    max_length = tokenizer_info.get("model_max_length")
    if isinstance(max_length, int) and 1 < max_length < 10_000_000:
        arguments["max_length"] = max_length  # lm-eval's default (2048) would cut long contexts it need not cut
    lm = LocalCompletionsAPI(base_url=f"{model['base_url']}/completions", tokenizer_backend="remote", **arguments)
    if model["add_bos_token"]:
        prepend_bos(lm)
    return lm


def prepend_bos(lm):
    """Starts every encoding with the model's BOS token, as lm-eval's Hugging Face backend does with
    ``add_bos_token=True``. lm-eval 0.4.13's remote backend ignores that argument: it always encodes
    without special tokens, and models such as Gemma score text without BOS far below their real
    likelihood. Context and whole-string encodings both gain the same first token, so lm-eval's
    ``whole[len(context):]`` continuation split and its ``[ctxlen:-1]`` slice stay aligned."""
    bos = lm.tokenizer.bos_token_id
    if bos is None:
        raise UserError("bad_request", "add_bos_token is set but the server's /tokenizer_info names no bos_token")
    encode = lm.tok_encode
    rolling = lm.loglikelihood_rolling
    state = {"on": True}

    def tok_encode(string, *args, **kwargs):
        encoding = encode(string, *args, **kwargs)
        if not state["on"]:
            return encoding
        if isinstance(string, str):
            return encoding if encoding[:1] == [bos] else [bos, *encoding]
        return [item if item[:1] == [bos] else [bos, *item] for item in encoding]

    def loglikelihood_rolling(*args, **kwargs):
        # Perplexity windows put the prefix (BOS) token before each window themselves.
        state["on"] = False
        try:
            return rolling(*args, **kwargs)
        finally:
            state["on"] = True

    lm.tok_encode = tok_encode
    lm.loglikelihood_rolling = loglikelihood_rolling
