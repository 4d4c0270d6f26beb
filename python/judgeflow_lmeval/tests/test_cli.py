"""The CLI as Node runs it: ``python -m judgeflow_lmeval <command> --request FILE``, one JSON object out."""

import json
import os
import socket
import subprocess
import sys

import pytest
from fake_server import FakeServer

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MC, GEN = "judgeflow_basics_mc", "judgeflow_arithmetic_gen"


def cli(tmp_path, command, request, *extra):
    path = tmp_path / f"{command}-request.json"
    path.write_text(json.dumps(request))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    done = subprocess.run(
        [sys.executable, "-m", "judgeflow_lmeval", command, "--request", str(path), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr[-3000:])
    return done.returncode, json.loads(lines[0]), done.stderr


def model(base_url, **extra):
    return {"api": "completions", "base_url": base_url, "model": "fake", "num_concurrent": 2, "batch_size": 1,
            "max_retries": 1, "timeout_s": 30, "api_key_env": None, **extra}


def test_describe_reports_docs_metrics_and_dataset(tmp_path):
    code, answer, _ = cli(tmp_path, "describe", {"tasks": [MC, GEN], "num_fewshot": 2, "limit": 10, "seed": 1})
    assert code == 0
    assert answer["lm_eval_version"] == "0.4.13"
    assert answer["groups"] == {}
    mc, gen = answer["tasks"]
    assert (mc["name"], mc["output_type"], mc["num_docs"], mc["num_docs_total"]) == (MC, "multiple_choice", 10, 24)
    assert [m["metric"] for m in mc["metrics"]] == ["acc", "acc_norm"]
    assert mc["metrics"][0] == {"metric": "acc", "aggregation": "mean", "higher_is_better": True}
    assert (mc["num_fewshot"], mc["split"], mc["filters"], mc["group"]) == (2, "test", ["none"], None)
    assert mc["config"]["num_fewshot"] == 2 and mc["config"]["task"] == MC
    assert mc["dataset"]["data_files"]["test"] == "fixtures/basics_mc_test.jsonl"
    assert len(mc["dataset"]["digest"]) == 64
    assert gen["output_type"] == "generate_until"
    # the digest is over the selected docs: another limit, another digest
    _, all_docs, _ = cli(tmp_path, "describe", {"tasks": [MC], "seed": 1})
    assert all_docs["tasks"][0]["num_docs"] == 24
    assert all_docs["tasks"][0]["dataset"]["digest"] != mc["dataset"]["digest"]


def test_describe_names_groups_and_their_tasks(tmp_path):
    tasks = os.path.join(os.path.dirname(__file__), "tasks")
    code, answer, _ = cli(tmp_path, "describe", {"tasks": ["judgeflow_test_group"], "include_paths": [tasks]})
    assert code == 0
    assert answer["groups"] == {"judgeflow_test_group": [MC, GEN]}
    assert [(t["name"], t["group"]) for t in answer["tasks"]] == [(MC, "judgeflow_test_group"), (GEN, "judgeflow_test_group")]


def test_unknown_task_suggests_close_names(tmp_path):
    code, answer, _ = cli(tmp_path, "describe", {"tasks": ["judgeflow_basics_mcq"]})
    assert code == 2
    error = answer["error"]
    assert (error["code"], error["task"]) == ("unknown_task", "judgeflow_basics_mcq")
    assert error["suggestions"][0] == MC
    assert "judgeflow_basics_mcq" in error["message"] and MC in error["message"]


def test_missing_shared_data_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEFLOW_SHARED_DATA", str(tmp_path / "nowhere"))
    code, answer, _ = cli(tmp_path, "describe", {"tasks": ["judgeflow_ifeval"]})
    assert code == 2
    error = answer["error"]
    assert (error["code"], error["task"]) == ("task_load_failed", "judgeflow_ifeval")
    assert str(tmp_path / "nowhere" / "ifeval" / "input_data.jsonl") in error["message"]


def test_bad_request_is_a_user_error(tmp_path):
    code, answer, _ = cli(tmp_path, "describe", {"tasks": [MC], "limit": -1})
    assert (code, answer["error"]["code"]) == (2, "bad_request")
    assert "limit" in answer["error"]["message"]


def test_shard_and_merge_through_local_completions(tmp_path):
    # lm-eval's own API model end to end: remote tokenizer, token-id prompts, echo logprobs, generation
    shards = [{"id": "mc-a", "task": MC, "start": 0, "end": 2}, {"id": "mc-b", "task": MC, "start": 2, "end": 4},
              {"id": "gen", "task": GEN, "start": 0, "end": 4}]
    with FakeServer() as server:
        request = {"tasks": [MC, GEN], "num_fewshot": 1, "limit": 4, "seed": 7, "bootstrap_iters": 100,
                   "model": model(server.base_url), "shards": shards}
        code, answer, stderr = cli(tmp_path, "shard", request, "--out", str(tmp_path / "shards"))
        assert code == 0, stderr[-3000:]
        completions = [body for method, path, body in server.requests if path == "/v1/completions"]
    assert [(s["id"], s["docs"], s["requests"]) for s in answer["shards"]] == [("mc-a", 2, 8), ("mc-b", 2, 8), ("gen", 4, 4)]
    assert all(isinstance(s["seconds"], float) for s in answer["shards"])
    scoring = [body for body in completions if body.get("echo")]
    assert scoring and all(body["logprobs"] == 1 and body["max_tokens"] == 1 for body in scoring)
    assert all(isinstance(body["prompt"][0], int) or isinstance(body["prompt"][0][0], int) for body in scoring)
    generation = [body for body in completions if not body.get("echo")]
    assert len(generation) == 4 and all(body["stop"] == ["\n"] and body["max_tokens"] == 16 for body in generation)

    code, merged, stderr = cli(tmp_path, "merge", request, "--shards", str(tmp_path / "shards"), "--out", str(tmp_path / "out"))
    assert code == 0, stderr[-3000:]
    assert merged["results"]["n-samples"][MC] == {"original": 24, "effective": 4}
    assert set(merged["results"]["results"]) == {MC, GEN}
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == merged["results"]
    rows = [json.loads(line) for line in open(merged["samples_files"][MC], encoding="utf-8")]
    assert [row["doc_id"] for row in rows] == [0, 1, 2, 3]
    assert all(len(row["resps"]) == 4 for row in rows)


def test_add_bos_token_starts_every_prompt_with_bos(tmp_path):
    # lm-eval's remote backend encodes without special tokens; add_bos_token puts BOS (id 1 here) first,
    # in scoring and generation prompts alike, without shifting the continuation that is scored
    shards = [{"id": "mc", "task": MC, "start": 0, "end": 2}, {"id": "gen", "task": GEN, "start": 0, "end": 2}]
    prompts = {}
    for bos in (False, True):
        with FakeServer() as server:
            request = {"tasks": [MC, GEN], "num_fewshot": 0, "limit": 2, "seed": 7, "bootstrap_iters": 0,
                       "model": model(server.base_url, add_bos_token=bos), "shards": shards}
            code, _answer, stderr = cli(tmp_path, "shard", request, "--out", str(tmp_path / f"shards-{bos}"))
            assert code == 0, stderr[-3000:]
            bodies = [body for method, path, body in server.requests if path == "/v1/completions"]
            # the first is shard's own logprobs probe; a batch of one prompt is a list of one id list
            prompts[bos] = [p for body in bodies[1:] for p in (body["prompt"] if isinstance(body["prompt"][0], list) else [body["prompt"]])]
    assert len(prompts[True]) == len(prompts[False]) == 10
    assert all(prompt[0] != 1 for prompt in prompts[False])
    # (requests go out two at a time: compare them as sets)
    assert sorted(prompt[1:] for prompt in prompts[True]) == sorted(prompts[False])
    assert all(prompt[0] == 1 for prompt in prompts[True])


@pytest.mark.parametrize(
    ("mode", "needle"), [("no_tokenizer", "/tokenizer_info"), ("no_echo", "no choices[0].logprobs")]
)
def test_a_server_that_cannot_score_prompts_is_named(tmp_path, mode, needle):
    shards = [{"id": "gen", "task": GEN, "start": 0, "end": 2}, {"id": "mc", "task": MC, "start": 0, "end": 2}]
    with FakeServer(mode) as server:
        request = {"tasks": [GEN, MC], "limit": 2, "model": model(server.base_url), "shards": shards}
        code, answer, _ = cli(tmp_path, "shard", request, "--out", str(tmp_path / "shards"))
    assert code == 2
    error = answer["error"]
    assert (error["code"], error["task"]) == ("no_logprobs", MC)
    assert needle in error["message"] and GEN not in error["message"].split(" need")[0]
    assert not (tmp_path / "shards").exists() or not os.listdir(tmp_path / "shards")


def char_tokenizer(folder):
    """A Hugging Face tokenizer that tokenizes as the fake server does (a character's id is its code point)."""
    from fake_server import SPECIAL
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {chr(i): i for i in range(9, 0x3000) if chr(i) not in SPECIAL and i not in SPECIAL.values()}
    vocab.update(SPECIAL)
    vocab["<unk>"] = 3
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>").save_pretrained(folder)
    return str(folder)


def test_a_local_tokenizer_scores_prompts_on_a_server_without_tokenizer_routes(tmp_path):
    # --tokenizer: lm-eval's Hugging Face backend tokenizes, the server only scores token ids (Ray Serve LLM);
    # with the same tokenization the numbers are the remote-tokenizer run's
    shards = [{"id": "mc", "task": MC, "start": 0, "end": 3}]
    tokenizer = char_tokenizer(tmp_path / "tokenizer")
    merged = {}
    for name, mode, extra in (("remote", "ok", {}), ("local", "no_tokenizer", {"tokenizer": tokenizer})):
        with FakeServer(mode) as server:
            request = {"tasks": [MC], "limit": 3, "num_fewshot": 1, "seed": 3, "bootstrap_iters": 0,
                       "model": model(server.base_url, **extra), "shards": shards}
            code, _answer, stderr = cli(tmp_path, "shard", request, "--out", str(tmp_path / f"shards-{name}"))
            assert code == 0, stderr[-3000:]
            paths = {path for method, path, body in server.requests}
        code, out, stderr = cli(tmp_path, "merge", request, "--shards", str(tmp_path / f"shards-{name}"),
                                "--out", str(tmp_path / f"out-{name}"))
        assert code == 0, stderr[-3000:]
        merged[name] = out["results"]
        if name == "local":
            assert paths == {"/v1/completions"}  # no tokenizer route asked
    assert merged["local"]["results"][MC] == merged["remote"]["results"][MC]
    assert merged["local"]["config"]["model_args"]["tokenizer"] == tokenizer


def test_a_tokenizer_that_does_not_load_is_named(tmp_path):
    shards = [{"id": "mc", "task": MC, "start": 0, "end": 2}]
    with FakeServer("no_tokenizer") as server:
        request = {"tasks": [MC], "limit": 2, "shards": shards,
                   "model": model(server.base_url, tokenizer=str(tmp_path / "no-such-tokenizer"))}
        code, answer, _ = cli(tmp_path, "shard", request, "--out", str(tmp_path / "shards"))
    assert code == 2
    assert answer["error"]["code"] == "bad_request"
    assert "no-such-tokenizer" in answer["error"]["message"]


def test_generation_only_needs_no_tokenizer_endpoints(tmp_path):
    shards = [{"id": "gen", "task": GEN, "start": 0, "end": 3}]
    with FakeServer("no_tokenizer") as server:
        request = {"tasks": [GEN], "limit": 3, "model": model(server.base_url), "shards": shards}
        code, answer, stderr = cli(tmp_path, "shard", request, "--out", str(tmp_path / "shards"))
        prompts = [body["prompt"] for method, path, body in server.requests if path == "/v1/completions"]
    assert code == 0, stderr[-3000:]
    assert answer["shards"][0]["requests"] == 3
    assert prompts and all(isinstance(p, str) for p in prompts)


def test_unreachable_server_is_named_with_its_url(tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    base = f"http://127.0.0.1:{port}/v1"
    request = {"tasks": [MC], "limit": 2, "model": model(base), "shards": [{"id": "a", "task": MC, "start": 0, "end": 2}]}
    code, answer, _ = cli(tmp_path, "shard", request, "--out", str(tmp_path / "shards"))
    assert code == 2
    error = answer["error"]
    assert (error["code"], error["task"]) == ("endpoint_unreachable", MC)
    assert error["url"] == f"http://127.0.0.1:{port}/tokenizer_info"
    assert f"127.0.0.1:{port}" in error["message"]
