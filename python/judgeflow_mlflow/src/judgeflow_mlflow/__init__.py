"""judgeflow's MLflow server plugin: a batch writer for evaluation traces (`--app-name judgeflow`).

Nothing is imported here on purpose: `judgeflow_mlflow.version_guard` must stay importable (and
runnable as a script) without loading MLflow.
"""

__version__ = "1.0.0"
