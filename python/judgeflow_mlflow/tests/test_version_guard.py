"""The plugin runs only next to an MLflow version its tests passed on: `mlflow server --app-name
judgeflow` exits non-zero with the reason on stderr, and the check judgeflow setup runs says so."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import free_port, server_env
from judgeflow_mlflow.version_guard import (
    TESTED_MLFLOW_VERSIONS,
    UNSUPPORTED_EXIT_CODE,
    UnsupportedMlflowVersion,
    check_mlflow_version,
)

GUARD_SCRIPT = Path(__file__).parent.parent / "src" / "judgeflow_mlflow" / "version_guard.py"


def test_the_pinned_version_is_the_tested_one():
    import mlflow

    assert TESTED_MLFLOW_VERSIONS == ("3.17.2",)
    check_mlflow_version(mlflow.__version__)


def test_another_version_is_refused_with_the_reason():
    with pytest.raises(UnsupportedMlflowVersion) as raised:
        check_mlflow_version("3.18.0")
    assert "tested with MLflow 3.17.2 only, but MLflow 3.18.0 is installed" in str(raised.value)


def test_the_setup_check_script():
    ok = subprocess.run([sys.executable, str(GUARD_SCRIPT)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"supported": True, "installed": "3.17.2", "tested": ["3.17.2"]}
    # The same script under a Python whose mlflow is another version (its metadata faked).
    faked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m, runpy, sys; real = m.version; "
            "m.version = lambda name: '3.18.0' if name == 'mlflow' else real(name); "
            f"sys.argv = [{str(GUARD_SCRIPT)!r}]; runpy.run_path({str(GUARD_SCRIPT)!r}, run_name='__main__')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert faked.returncode == UNSUPPORTED_EXIT_CODE
    verdict = json.loads(faked.stdout)
    assert verdict["supported"] is False and verdict["installed"] == "3.18.0"
    assert "tested with MLflow 3.17.2 only" in verdict["message"]


def test_the_server_refuses_to_start_next_to_an_untested_mlflow(scratch_dir):
    """`mlflow server --app-name judgeflow` run by an MLflow that reports version 3.18.0."""
    port = free_port()
    command = (
        "import sys, mlflow.version; mlflow.version.VERSION = '3.18.0'; "
        "from mlflow.cli import cli; "
        f"sys.argv = ['mlflow', 'server', '--app-name', 'judgeflow', '--host', '127.0.0.1', '--port', '{port}', "
        f"'--backend-store-uri', 'sqlite:///{scratch_dir / 'mlflow.db'}', '--workers', '1']; cli()"
    )
    result = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, timeout=180, env=server_env()
    )
    assert result.returncode == UNSUPPORTED_EXIT_CODE, result.stderr[-2000:]
    assert (
        "ERROR: judgeflow's MLflow batch writer (judgeflow_mlflow) was tested with MLflow 3.17.2 only, "
        "but MLflow 3.18.0 is installed" in result.stderr
    )
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "nothing may listen: the server did not start"
