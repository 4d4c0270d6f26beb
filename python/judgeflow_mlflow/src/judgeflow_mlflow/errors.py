"""The batch writer's errors, as MlflowExceptions so they reach the client in MLflow's error format
(`{"error_code": ..., "message": ...}` with the matching HTTP status)."""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST


class BatchInputError(MlflowException):
    """400: the request body does not parse; the message names the trace index and field."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)


class BatchTargetMissing(MlflowException):
    """404: the experiment or the run the batch is written to does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code=RESOURCE_DOES_NOT_EXIST)
