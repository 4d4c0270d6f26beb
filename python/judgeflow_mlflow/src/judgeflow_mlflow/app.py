"""`mlflow server --app-name judgeflow`: MLflow's own server app plus the batch writer's two routes.

- `GET  /api/3.0/judgeflow/batch-writer`: detection (contract version and limits)
- `POST /api/3.0/judgeflow/traces/batch`: many traces (spans, assessments, run link) in one transaction

The routes are added to MLflow's Flask app, so they work under every server MLflow can run
(uvicorn, gunicorn, waitress); under uvicorn (the default) the Flask app is wrapped in MLflow's FastAPI
app exactly as the stock server and the `basic-auth` app do, so `/v1/traces`, the artifact router and
every other stock route keep working.
"""

from __future__ import annotations

import json
import logging
import sys

from mlflow.version import VERSION

from judgeflow_mlflow.version_guard import (
    TESTED_MLFLOW_VERSIONS,
    UNSUPPORTED_EXIT_CODE,
    UnsupportedMlflowVersion,
    check_mlflow_version,
)


def _refuse_untested_mlflow() -> None:
    try:
        check_mlflow_version(VERSION)
    except UnsupportedMlflowVersion as error:
        print(f"ERROR: {error}", file=sys.stderr, flush=True)
        raise SystemExit(UNSUPPORTED_EXIT_CODE) from None


# `mlflow server` imports this module in its own process (to learn whether the entry point is a
# factory) before it starts any worker: refusing here makes the command itself fail, with the
# reason on stderr, instead of workers dying one by one behind a server that looks started.
_refuse_untested_mlflow()

from flask import Flask, Response, request  # noqa: E402
from mlflow.environment_variables import _MLFLOW_SGI_NAME  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.protos.databricks_pb2 import (  # noqa: E402
    BAD_REQUEST,
    INTERNAL_ERROR,
    NOT_IMPLEMENTED,
    ErrorCode,
)
from mlflow.server import app as mlflow_flask_app  # noqa: E402
from mlflow.server.handlers import (  # noqa: E402
    _add_static_prefix,
    _get_tracking_store,
    catch_mlflow_exception,
)
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: E402

from judgeflow_mlflow.batch_request import (  # noqa: E402
    MAX_REQUEST_BYTES,
    MAX_TRACES_PER_REQUEST,
    decode_body,
    parse_batch,
)
from judgeflow_mlflow.batch_write import write_batch  # noqa: E402
from judgeflow_mlflow.errors import BatchInputError  # noqa: E402

_logger = logging.getLogger(__name__)

CONTRACT_VERSION = 1
TESTED_DATABASES = ("sqlite", "postgresql")
"""The store dialects the tests run on; any other gets 501 (clients then use the REST path)."""
DETECTION_PATH = "/api/3.0/judgeflow/batch-writer"
BATCH_PATH = "/api/3.0/judgeflow/traces/batch"


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _sql_store() -> SqlAlchemyStore:
    """The server's tracking store, if the batch writer can write to it; else 501 (clients then take
    the REST path). It writes MLflow's SQL tables, on the databases it is tested on; the
    workspace-aware store scopes rows differently and is not supported."""
    store = _get_tracking_store()
    if not isinstance(store, SqlAlchemyStore):
        raise MlflowException(
            f"the judgeflow batch writer needs MLflow's SQL tracking store, not {type(store).__name__}",
            error_code=NOT_IMPLEMENTED,
        )
    if store.db_type not in TESTED_DATABASES:
        raise MlflowException(
            f"the judgeflow batch writer is tested on {' and '.join(TESTED_DATABASES)} stores only, "
            f"not {store.db_type}",
            error_code=NOT_IMPLEMENTED,
        )
    if store.supports_workspaces:
        raise MlflowException(
            "the judgeflow batch writer does not support MLflow workspaces", error_code=NOT_IMPLEMENTED
        )
    return store


@catch_mlflow_exception
def batch_writer_info() -> Response:
    _sql_store()
    return _json(
        {
            "version": CONTRACT_VERSION,
            "mlflow_version": VERSION,
            "tested_mlflow_versions": list(TESTED_MLFLOW_VERSIONS),
            "max_traces_per_request": MAX_TRACES_PER_REQUEST,
            "max_request_bytes": MAX_REQUEST_BYTES,
        }
    )


@catch_mlflow_exception
def write_traces_batch() -> Response:
    try:
        store = _sql_store()
        if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
            raise BatchInputError(
                f"the request body is {request.content_length} bytes, over max_request_bytes "
                f"({MAX_REQUEST_BYTES})"
            )
        payload = decode_body(request.get_data(cache=False), request.headers.get("Content-Encoding"))
        batch = parse_batch(payload)
        result = write_batch(store, batch)
    except MlflowException as error:
        # The store maps database errors it did not expect to BAD_REQUEST; the request was valid (it
        # was checked above), so such an error is the server's, and the client may retry it.
        if error.error_code == ErrorCode.Name(BAD_REQUEST):
            _logger.exception("judgeflow batch write failed in the database")
            raise MlflowException(
                f"the batch was rolled back: {error.message}", error_code=INTERNAL_ERROR
            ) from error
        raise
    except Exception as error:
        _logger.exception("judgeflow batch write failed")
        raise MlflowException(
            f"the batch was rolled back: {type(error).__name__}: {error}", error_code=INTERNAL_ERROR
        ) from error
    return _json(result.to_json())


def register_routes(app: Flask) -> None:
    """Adds the two routes to MLflow's Flask app (once, however often the factory runs)."""
    if "judgeflow_batch_writer_info" in app.view_functions:
        return
    app.add_url_rule(
        _add_static_prefix(DETECTION_PATH),
        "judgeflow_batch_writer_info",
        batch_writer_info,
        methods=["GET"],
    )
    app.add_url_rule(
        _add_static_prefix(BATCH_PATH),
        "judgeflow_write_traces_batch",
        write_traces_batch,
        methods=["POST"],
    )


def create_app():
    """The `mlflow.app` entry point: a factory, as MLflow's `basic-auth` app is."""
    register_routes(mlflow_flask_app)
    if _MLFLOW_SGI_NAME.get() == "uvicorn":
        from mlflow.server.fastapi_app import create_fastapi_app

        return create_fastapi_app(mlflow_flask_app)
    return mlflow_flask_app
