"""judgeflow_ray.bench: one Ray task per shard on a real local Ray head, with a stand-in lmeval python.

The stand-in (fake_lmeval_main.py, installed as ``judgeflow_lmeval/__main__.py`` in a folder given as
--python-path) does what the real shard command does to its files and stdout, and fails on demand in
ways a real shard process cannot be made to: its Ray worker killed mid-shard, itself killed by a
signal, a user error, a crash.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys

import pytest

from judgeflow_ray.bench import BUNDLED_TASKS, ShardFailed, ShardProcessDied, run_shard_on_worker, worker_request

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture
def fake_lmeval(tmp_path):
    package = tmp_path / "fake-python-path" / "judgeflow_lmeval"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(os.path.join(os.path.dirname(__file__), "fake_lmeval_main.py"), package / "__main__.py")
    return str(package.parent)


def shard(tmp_path, shard_id, behaviour=None, task="t", start=0, end=5):
    return {"id": shard_id, "task": task, "start": start, "end": end, "behaviour": behaviour,
            "marker": str(tmp_path / "markers" / shard_id)}


def bench(tmp_path, fake_lmeval, shards, workers=2):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"tasks": ["t"], "include_paths": [BUNDLED_TASKS, "/user/tasks"], "shards": shards}))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "judgeflow_ray.bench", "--address", "", "--workers", str(workers),
         "--cpus-per-shard", "0.5", "--lmeval-python", sys.executable, "--python-path", fake_lmeval,
         "--request", str(request), "--out", str(out),
         "--local-auth-token-path", str(tmp_path / "ray-token")],
        capture_output=True, text=True, cwd=PYTHON_DIR, timeout=300,
        env=dict(os.environ, PYTHONPATH=PYTHON_DIR),
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # stdout is JSON lines only
    return done.returncode, lines, done.stderr, out


def test_each_shard_runs_once_on_ray_and_a_killed_worker_is_retried(tmp_path, fake_lmeval):
    shards = [shard(tmp_path, "a", start=0, end=5), shard(tmp_path, "b", "kill-worker-once", start=5, end=9),
              shard(tmp_path, "c", "kill-self-once", start=9, end=12), shard(tmp_path, "d", start=12, end=20)]
    code, lines, stderr, out = bench(tmp_path, fake_lmeval, shards)
    assert code == 0, stderr[-3000:]
    assert lines[0]["event"] == "connected" and lines[0]["started_local"] is True
    assert lines[-1] == {"event": "done"}
    reported = [line for line in lines if line["event"] == "shard"]
    assert sorted(line["id"] for line in reported) == ["a", "b", "c", "d"]  # once each, the retried too
    b = next(line for line in reported if line["id"] == "b")
    assert (b["task"], b["start"], b["end"], b["docs"], b["requests"]) == ("t", 5, 9, 4, 3)
    assert all(isinstance(line["seconds"], float) and line["node"] for line in reported)
    assert sorted(os.listdir(out)) == ["a.pkl", "b.pkl", "c.pkl", "d.pkl"]
    attempts = {}
    for name in "abcd":
        with open(out / f"{name}.pkl", "rb") as handle:
            content = pickle.load(handle)
        attempts[name] = content["attempt"]
        # judgeflow's own task folder is the worker's to add; the user's include path travels
        assert content["include_paths"] == ["/user/tasks"]
    # the killed shards ran twice and their second run's file is the one kept; the others ran once
    assert attempts == {"a": 1, "b": 2, "c": 2, "d": 1}
    assert sorted(os.listdir(tmp_path / "markers" / "b")) == ["attempt-1", "attempt-2"]


def test_a_user_error_in_a_shard_is_a_fatal_line_with_its_error_object(tmp_path, fake_lmeval):
    shards = [shard(tmp_path, "bad", "user-error", task="nope")]
    code, lines, stderr, _ = bench(tmp_path, fake_lmeval, shards, workers=1)
    assert code == 2, stderr[-3000:]
    assert lines[-1] == {"event": "fatal", "error": {"code": "unknown_task", "message": "unknown task 'nope'",
                                                     "task": "nope", "suggestions": []}}


def test_the_ray_task_reports_failures_by_kind(tmp_path, fake_lmeval, monkeypatch):
    # the task function alone, outside Ray: what the driver gets back (or raises) for each outcome
    monkeypatch.delenv("JUDGEFLOW_LMEVAL_PYTHON", raising=False)
    monkeypatch.delenv("JUDGEFLOW_LMEVAL_PYTHONPATH", raising=False)
    request = {"tasks": ["t"], "include_paths": [], "shards": []}

    def call(item, python=sys.executable):
        return run_shard_on_worker(worker_request(request, item), item["id"], python, fake_lmeval)

    ok = call(shard(tmp_path, "ok"))
    assert pickle.loads(ok["pkl"])["id"] == "ok" and ok["record"]["docs"] == 5
    assert call(shard(tmp_path, "u", "user-error"))["error"]["code"] == "unknown_task"
    with pytest.raises(ShardProcessDied):
        call(shard(tmp_path, "k", "kill-self-once"))
    with pytest.raises(ShardFailed, match="RuntimeError: something broke"):
        call(shard(tmp_path, "c", "crash"))
    with pytest.raises(ShardFailed, match="JUDGEFLOW_LMEVAL_PYTHON"):
        call(shard(tmp_path, "m"), python=str(tmp_path / "no-such-python"))
    # the worker image's settings win over the driver's paths
    monkeypatch.setenv("JUDGEFLOW_LMEVAL_PYTHON", sys.executable)
    assert call(shard(tmp_path, "env"), python=str(tmp_path / "no-such-python"))["record"]["id"] == "env"
