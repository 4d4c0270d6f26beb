"""All or nothing: a batch that fails — in validation or half-way through the database writes —
leaves no trace, span, assessment or run link of it behind."""

from __future__ import annotations

import requests

from reader import table_view
from rest_path import batch_body, post_batch
from rows import make_rows


def nothing_written(server, rows):
    view = table_view(server.backend_uri, [row["trace_info"]["trace_id"] for row in rows])
    return all(not entries for entries in view.values())


def test_a_bad_trace_in_the_middle_writes_nothing(server, make_experiment):
    experiment_id, run_id = make_experiment()
    rows = make_rows(5, namespace=f"bad-{run_id}", experiment_id=experiment_id, run_id=run_id)
    body = batch_body(rows, experiment_id=experiment_id, run_id=run_id)
    body["traces"][2]["spans"][1]["span_id"] = "not-an-id"
    response = post_batch(server.uri, body)
    assert response.status_code == 400
    error = response.json()
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "traces[2].spans[1].span_id" in error["message"]
    assert nothing_written(server, rows)


def test_a_failure_inside_the_transaction_rolls_everything_back(server, make_experiment):
    """Trace 2 exists already but its spans live outside the tracking store, so the merge refuses it
    (as StartTraceV3 would) after traces 0 and 1 were inserted: they must not stay."""
    experiment_id, run_id = make_experiment()
    rows = make_rows(4, namespace=f"rollback-{run_id}", experiment_id=experiment_id, run_id=run_id)
    blocked = rows[2]["trace_info"]
    started = requests.post(
        f"{server.uri}/api/3.0/mlflow/traces",
        json={
            "trace": {
                "trace_info": {
                    **blocked,
                    "assessments": [],
                    "tags": {**blocked["tags"], "mlflow.trace.spansLocation": "ARTIFACT_REPO"},
                }
            }
        },
        timeout=30,
    )
    started.raise_for_status()
    before = table_view(server.backend_uri, [blocked["trace_id"]])

    response = post_batch(server.uri, batch_body(rows, experiment_id=experiment_id, run_id=run_id))

    # MLflow's own code and status for the condition (as StartTraceV3 answers it).
    assert response.status_code == 500, response.text
    assert response.json()["error_code"] == "INVALID_STATE"
    assert "traces[2]" in response.json()["message"]
    others = [row for index, row in enumerate(rows) if index != 2]
    assert nothing_written(server, others)
    assert table_view(server.backend_uri, [blocked["trace_id"]]) == before


def test_an_unknown_run_writes_nothing(server, make_experiment):
    experiment_id, run_id = make_experiment()
    rows = make_rows(3, namespace=f"norun-{run_id}", experiment_id=experiment_id, run_id=run_id)
    response = post_batch(server.uri, batch_body(rows, experiment_id=experiment_id, run_id="0" * 32))
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "0" * 32 in response.json()["message"]
    assert nothing_written(server, rows)


def test_an_unknown_experiment_is_404(server, make_experiment):
    experiment_id, run_id = make_experiment()
    rows = make_rows(1, namespace=f"noexp-{run_id}", experiment_id="987654", run_id=run_id)
    response = post_batch(server.uri, batch_body(rows, experiment_id="987654", run_id=None))
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert nothing_written(server, rows)
