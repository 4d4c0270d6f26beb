"""The routes refuse stores they cannot write (answering 501, which clients read as "no batch writer",
so they take the REST path) — checked in-process with Flask's test client and stand-in stores, since
`mlflow server` 3.17.2 itself refuses to start on a file store."""

from __future__ import annotations

import pytest
from flask import Flask

import judgeflow_mlflow.app as plugin
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore


class _StandInStore(SqlAlchemyStore):
    def __init__(self, db_type: str, workspaces: bool = False) -> None:  # never touches a database
        self.db_type = db_type
        self._workspaces = workspaces

    @property
    def supports_workspaces(self) -> bool:
        return self._workspaces


@pytest.fixture()
def client():
    app = Flask(__name__)
    plugin.register_routes(app)
    plugin.register_routes(app)  # a second factory call must not register the routes twice
    return app.test_client()


@pytest.mark.parametrize(
    ("store", "reason"),
    [
        (object(), "needs MLflow's SQL tracking store, not object"),
        (_StandInStore("mysql"), "tested on sqlite and postgresql stores only, not mysql"),
        (_StandInStore("sqlite", workspaces=True), "does not support MLflow workspaces"),
    ],
)
def test_stores_the_writer_cannot_write_answer_501(client, monkeypatch, store, reason):
    monkeypatch.setattr(plugin, "_get_tracking_store", lambda: store)
    detection = client.get(plugin.DETECTION_PATH)
    assert detection.status_code == 501
    assert detection.json["error_code"] == "NOT_IMPLEMENTED"
    assert reason in detection.json["message"]
    write = client.post(plugin.BATCH_PATH, json={"experiment_id": "1", "traces": []})
    assert write.status_code == 501
    assert reason in write.json["message"]


def test_unexpected_failures_are_500_internal_error(client, monkeypatch):
    monkeypatch.setattr(plugin, "_sql_store", lambda: object())

    def explode(store, batch):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(plugin, "write_batch", explode)
    response = client.post(plugin.BATCH_PATH, json={"experiment_id": "1", "traces": []})
    assert response.status_code == 500
    assert response.json["error_code"] == "INTERNAL_ERROR"
    assert "the batch was rolled back: RuntimeError: disk on fire" in response.json["message"]
