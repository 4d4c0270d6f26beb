"""Which MLflow versions the batch writer was tested with, and the check that refuses the others.

The writer reproduces, row for row, what MLflow's own trace handlers store; that layout is an
internal of MLflow's SQL store and changes between releases. So the plugin runs only next to a
version its tests passed on. Add a version here only after `python -m pytest` in this package's
`tests/` passed against it.

Also runnable as a script with any Python that has `mlflow` installed (judgeflow setup does this
before installing the plugin): prints one JSON line and exits 0 when the installed MLflow is
supported, 3 when it is not.
"""

from __future__ import annotations

import json
import sys

TESTED_MLFLOW_VERSIONS: tuple[str, ...] = ("3.17.2",)
"""MLflow versions the batch writer's tests passed on. One source of truth for the server and setup."""

UNSUPPORTED_EXIT_CODE = 3


class UnsupportedMlflowVersion(RuntimeError):
    """The installed MLflow is not a version the batch writer was tested with."""

    def __init__(self, installed: str) -> None:
        self.installed = installed
        super().__init__(
            f"judgeflow's MLflow batch writer (judgeflow_mlflow) was tested with MLflow "
            f"{', '.join(TESTED_MLFLOW_VERSIONS)} only, but MLflow {installed} is installed. "
            "It writes MLflow's SQL tables directly, and their layout changes between MLflow "
            "releases. Pin a tested version (python/requirements/mlflow.txt), or run the plugin's "
            "tests against the new one and add it to TESTED_MLFLOW_VERSIONS in "
            "judgeflow_mlflow/version_guard.py; a stock `mlflow server` (without `--app-name "
            "judgeflow`) needs no plugin: judgeflow then writes through MLflow's REST API."
        )


def check_mlflow_version(installed: str) -> None:
    """Raises UnsupportedMlflowVersion unless `installed` is one of TESTED_MLFLOW_VERSIONS."""
    if installed not in TESTED_MLFLOW_VERSIONS:
        raise UnsupportedMlflowVersion(installed)


def _installed_version() -> str:
    # Distribution metadata, not `import mlflow`: setup runs this before anything else and
    # importing mlflow costs seconds.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlflow")
    except PackageNotFoundError:
        return "(not installed)"


def main() -> int:
    installed = _installed_version()
    try:
        check_mlflow_version(installed)
    except UnsupportedMlflowVersion as error:
        print(json.dumps({"supported": False, "installed": installed, "message": str(error)}))
        return UNSUPPORTED_EXIT_CODE
    print(json.dumps({"supported": True, "installed": installed, "tested": TESTED_MLFLOW_VERSIONS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
