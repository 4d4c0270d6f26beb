"""The bridge's command line and protocol handling, as a real process where it matters."""

import json
import os
import subprocess
import sys

import pytest

from judgeflow_ray import PROTOCOL_VERSION
from judgeflow_ray.bridge import parse_args, rewrite_base_dir
from judgeflow_ray.dispatcher import actor_name_base, first_line

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ARGS = ["--address", "127.0.0.1:1", "--workers", "2", "--concurrency", "4", "--run-name", "t"]


def bridge(stdin_lines):
    """Runs the bridge as the CLI does; returns (exit code, protocol lines on stdout, stderr)."""
    process = subprocess.run(
        [sys.executable, "-m", "judgeflow_ray.bridge", *ARGS, "--worker-command", '["node"]'],
        input=b"".join(line + b"\n" for line in stdin_lines),
        capture_output=True,
        cwd=PYTHON_DIR,
        timeout=60,
    )
    lines = [json.loads(line) for line in process.stdout.decode().splitlines() if line.strip()]
    return process.returncode, lines, process.stderr.decode()


def test_a_driver_of_another_protocol_version_gets_a_fatal_line():
    hello = json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION + 1}).encode()
    code, lines, _ = bridge([hello])
    assert code == 1
    assert lines == [
        {
            "type": "fatal",
            "code": "version_mismatch",
            "message": lines[0]["message"],
        }
    ]
    assert f"bridge speaks protocol {PROTOCOL_VERSION}" in lines[0]["message"]


def test_a_first_line_that_is_not_a_hello_is_a_protocol_error():
    code, lines, _ = bridge([b'{"type":"row","id":"x"}'])
    assert code == 1
    assert lines[0]["type"] == "fatal" and lines[0]["code"] == "protocol"


def test_stdin_closed_before_the_hello_is_an_interrupt():
    code, lines, _ = bridge([])
    assert code == 130
    assert lines == []


def test_stdout_carries_protocol_lines_only():
    # Everything the bridge logs goes to stderr; stdout must parse as JSON lines (bridge() asserts it).
    hello = json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION + 1}).encode()
    _, _, stderr = bridge([hello])
    assert "bridge speaks protocol" in stderr


def test_parse_args():
    args = parse_args([*ARGS, "--worker-command", '["node", "worker.js"]'])
    assert args.worker_command == ["node", "worker.js"]
    assert (args.workers, args.concurrency, args.num_cpus, args.max_restarts) == (2, 4, 0.25, 3)
    with pytest.raises(SystemExit):
        parse_args(["--address", "a", "--workers", "0", "--concurrency", "1", "--run-name", "r",
                     "--worker-command", "[]"])


def test_rewrite_base_dir_makes_the_plan_relative_to_the_shipped_folder(tmp_path):
    shipped = tmp_path / "evals"
    (shipped / "sub").mkdir(parents=True)
    hello = {"type": "hello", "plan": {"baseDir": str(shipped / "sub"), "scorers": []}}
    rewritten = rewrite_base_dir(hello, str(shipped), in_job=False)
    assert rewritten["plan"]["baseDir"] == "sub"
    assert hello["plan"]["baseDir"] == str(shipped / "sub")  # the input is not changed
    outside = {"type": "hello", "plan": {"baseDir": str(tmp_path / "elsewhere")}}
    assert rewrite_base_dir(outside, str(shipped), in_job=False) == outside


def test_actor_names_are_safe_and_bounded():
    assert actor_name_base("my eval/2026:01") == "judgeflow-my-eval-2026-01"
    assert actor_name_base("///") == "judgeflow-run"
    assert len(actor_name_base("x" * 500)) == len("judgeflow-") + 60


def test_first_line():
    assert first_line(RuntimeError("one\ntwo")) == "one"
    assert first_line(RuntimeError("")) == "RuntimeError"
