"""The batch writer leaves exactly what MLflow's REST path leaves for the same rows: the same rows are
written both ways into two experiments of one server and everything a reader sees is compared — the
Python client's search_traces / get_trace, the trace search REST API the UI calls, and the store's
rows table by table."""

from __future__ import annotations

import json

import requests

from reader import id_map, normalize, reader_view, table_view
from rest_path import DETECTION_PATH, write_batch, write_rest
from rows import make_rows

ROWS = 12


def _tables(db_uri, rows, experiment_id, run_id):
    ids = [row["trace_info"]["trace_id"] for row in rows]
    view = normalize(table_view(db_uri, ids), id_map(rows, experiment_id=experiment_id, run_id=run_id))
    return {
        name: sorted(entries, key=lambda r: json.dumps(r, sort_keys=True)) for name, entries in view.items()
    }


def written_both_ways(server, make_experiment, count=ROWS):
    rest_experiment, rest_run = make_experiment()
    batch_experiment, batch_run = make_experiment()
    rest_rows = make_rows(count, namespace=f"rest-{rest_run}", experiment_id=rest_experiment, run_id=rest_run)
    batch_rows = make_rows(
        count, namespace=f"batch-{batch_run}", experiment_id=batch_experiment, run_id=batch_run
    )
    write_rest(server.uri, rest_rows, experiment_id=rest_experiment, run_id=rest_run)
    answer = write_batch(server.uri, batch_rows, experiment_id=batch_experiment, run_id=batch_run)
    assert answer == {"traces": count, "created": count, "merged": 0}
    return (rest_rows, rest_experiment, rest_run), (batch_rows, batch_experiment, batch_run)


def test_detection_route_announces_the_contract(server):
    info = requests.get(f"{server.uri}{DETECTION_PATH}", timeout=10).json()
    assert info["version"] == 1
    assert info["mlflow_version"] == "3.17.2"
    assert info["tested_mlflow_versions"] == ["3.17.2"]
    assert info["max_traces_per_request"] == 500
    assert info["max_request_bytes"] == 32 * 1024 * 1024


def test_stock_routes_keep_working(server):
    assert requests.get(f"{server.uri}/health", timeout=10).text.strip() == "OK"
    assert requests.get(f"{server.uri}/version", timeout=10).text.strip() == "3.17.2"
    info = requests.get(f"{server.uri}/api/3.0/mlflow/server-info", timeout=10).json()
    assert info["store_type"] == "SqlStore"
    # The UI's index page is still served by MLflow's catch-all route.
    assert requests.get(f"{server.uri}/", timeout=10).status_code == 200


def test_readers_see_the_same_traces_as_the_rest_path(server, make_experiment):
    (rest_rows, rest_experiment, rest_run), (batch_rows, batch_experiment, batch_run) = written_both_ways(
        server, make_experiment
    )
    rest = normalize(
        reader_view(server.uri, experiment_id=rest_experiment, run_id=rest_run),
        id_map(rest_rows, experiment_id=rest_experiment, run_id=rest_run),
    )
    batch = normalize(
        reader_view(server.uri, experiment_id=batch_experiment, run_id=batch_run),
        id_map(batch_rows, experiment_id=batch_experiment, run_id=batch_run),
    )
    # A trace without spans has no data to download: search_traces leaves it out on both paths.
    with_spans = sum(1 for row in batch_rows if row["spans"])
    assert 0 < with_spans < ROWS
    assert len(batch["search_traces"]) == with_spans
    assert batch["frame_rows"] == with_spans
    assert len(batch["rest_search"]) == ROWS
    # Every part a reader gets: spans, assessments, metadata (sourceRun, tokenUsage), tags
    # (artifactLocation, spansLocation), state, times, previews.
    first = batch["get_trace"][0]
    assert len(first["data"]["spans"]) == 3
    assert first["info"]["tags"]["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert first["info"]["trace_metadata"]["mlflow.sourceRun"] == "RUN"
    assert "mlflow.trace.tokenUsage" in first["info"]["trace_metadata"]
    assert len(first["info"]["assessments"]) == 3
    for part in ("search_traces", "get_trace", "rest_search", "frame_columns"):
        assert batch[part] == rest[part], part


def test_the_store_holds_the_same_rows_as_the_rest_path(server, make_experiment):
    (rest_rows, rest_experiment, rest_run), (batch_rows, batch_experiment, batch_run) = written_both_ways(
        server, make_experiment
    )
    rest = _tables(server.backend_uri, rest_rows, rest_experiment, rest_run)
    batch = _tables(server.backend_uri, batch_rows, batch_experiment, batch_run)
    assert len(batch["trace_info"]) == ROWS
    assert len(batch["entity_associations"]) == ROWS
    assert len(batch["spans"]) == sum(len(row["spans"]) for row in batch_rows)
    assert len(batch["assessments"]) == 3 * ROWS
    for table in rest:
        assert batch[table] == rest[table], table
