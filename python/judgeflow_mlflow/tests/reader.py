"""What a reader sees of a run's traces — through the Python `mlflow` client, the trace search REST API
and the store's tables — with the ids that differ between two writes of the same rows mapped to
placeholders, so two writes can be compared with `==`."""

from __future__ import annotations

import base64
import json
from typing import Any

import mlflow
import requests
import sqlalchemy
from mlflow import MlflowClient


def id_map(rows: list[dict[str, Any]], *, experiment_id: str, run_id: str) -> dict[str, str]:
    """Every id of the rows (in its tr-, hex and base64 forms) and the run id → a placeholder."""
    mapping = {run_id: "RUN"}
    for index, row in enumerate(rows):
        info = row["trace_info"]
        trace_id = info["trace_id"]
        hex_id = trace_id[3:]
        mapping[trace_id] = f"tr-TRACE{index}"
        mapping[hex_id] = f"TRACE{index}"
        mapping[base64.b64encode(bytes.fromhex(hex_id)).decode()] = f"B64TRACE{index}"
        for position, assessment in enumerate(info["assessments"]):
            mapping[assessment["assessment_id"]] = f"a-{index}-{position}"
    mapping[f"/{experiment_id}/traces/"] = "/EXP/traces/"
    return mapping


def normalize(value: Any, mapping: dict[str, str]) -> Any:
    text = json.dumps(value, sort_keys=True, default=str)
    # Longest first: a trace's hex id is part of its tr- id.
    for old in sorted(mapping, key=len, reverse=True):
        text = text.replace(old, mapping[old])
    return _drop_experiment_ids(json.loads(text))


def _drop_experiment_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("EXP" if k == "experiment_id" else _drop_experiment_ids(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_experiment_ids(v) for v in value]
    return value


def reader_view(uri: str, *, experiment_id: str, run_id: str) -> dict[str, Any]:
    """The run's traces as `mlflow.search_traces(run_id=…)`, `MlflowClient.get_trace` and
    `POST /api/3.0/mlflow/traces/search` (what the UI calls) return them, ordered by row."""
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    traces = mlflow.search_traces(locations=[experiment_id], run_id=run_id, return_type="list")
    frame = mlflow.search_traces(locations=[experiment_id], run_id=run_id)
    searched = sorted((_spans_in_order(t.to_dict()) for t in traces), key=_row_key)
    fetched = sorted(
        (_spans_in_order(client.get_trace(t.info.trace_id).to_dict()) for t in traces), key=_row_key
    )
    response = requests.post(
        f"{uri}/api/3.0/mlflow/traces/search",
        json={
            "locations": [
                {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}
            ],
            "filter": f"attributes.run_id = '{run_id}'",
            "max_results": 500,
        },
        timeout=60,
    )
    response.raise_for_status()
    rest = sorted(
        (_assessments_in_order(info) for info in response.json().get("traces", [])),
        key=lambda info: info["tags"]["mlflow.eval.requestId"],
    )
    return {
        "search_traces": searched,
        "get_trace": fetched,
        "rest_search": rest,
        "frame_columns": sorted(frame.columns),
        "frame_rows": len(frame),
    }


def _spans_in_order(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace with its spans by start time and id. MLflow's SQL store reads a trace's spans without
    an ORDER BY, so on PostgreSQL their order is the rows' physical order, which free-space reuse (a
    vacuum between writes) can change: the order is not part of what a reader is promised."""
    spans = trace.get("data", {}).get("spans")
    if spans:
        spans.sort(key=lambda span: (span.get("start_time_unix_nano") or 0, span.get("span_id") or ""))
    _assessments_in_order(trace.get("info", {}))
    return trace


def _assessments_in_order(info: dict[str, Any]) -> dict[str, Any]:
    """The trace info with its assessments by name, then content. The store reads a trace's assessments
    without an ORDER BY too (every reader: search_traces, get_trace, the REST search), so their order is
    not promised either; name and content are what both write paths give alike (ids differ by design)."""
    assessments = info.get("assessments")
    if assessments:
        assessments.sort(
            key=lambda a: (
                a.get("assessment_name") or "",
                json.dumps({k: v for k, v in a.items() if not k.endswith("_id")}, sort_keys=True, default=str),
            )
        )
    return info


def _row_key(trace: dict[str, Any]) -> str:
    return trace["info"]["tags"]["mlflow.eval.requestId"]


def table_view(db_uri: str, trace_ids: list[str]) -> dict[str, Any]:
    """The store's rows for these traces, table by table (the association's random id and wall-clock
    creation time left out)."""
    queries = {
        "trace_info": "SELECT * FROM trace_info WHERE request_id IN :ids",
        "trace_tags": "SELECT * FROM trace_tags WHERE request_id IN :ids",
        "trace_request_metadata": "SELECT * FROM trace_request_metadata WHERE request_id IN :ids",
        "assessments": "SELECT * FROM assessments WHERE trace_id IN :ids",
        "spans": "SELECT * FROM spans WHERE trace_id IN :ids",
        "entity_associations": "SELECT source_type, source_id, destination_type, destination_id "
        "FROM entity_associations WHERE source_id IN :ids",
    }
    engine = sqlalchemy.create_engine(db_uri)
    try:
        with engine.connect() as connection:
            view = {}
            for name, sql in queries.items():
                statement = sqlalchemy.text(sql).bindparams(sqlalchemy.bindparam("ids", expanding=True))
                result = connection.execute(statement, {"ids": trace_ids})
                view[name] = sorted(
                    (dict(row._mapping) for row in result),
                    key=lambda r: json.dumps(r, default=str, sort_keys=True),
                )
            return view
    finally:
        engine.dispose()


def sort_assessments(value: Any) -> Any:
    """Assessments ordered by id. MLflow returns a trace's assessments in table order, and on
    PostgreSQL an updated row moves: a trace written twice (by StartTraceV3 on the REST path as by a
    repeated batch) may list them in another order than a trace written once."""
    if isinstance(value, dict):
        out = {k: sort_assessments(v) for k, v in value.items()}
        if isinstance(out.get("assessments"), list):
            out["assessments"] = sorted(out["assessments"], key=lambda a: json.dumps(a, sort_keys=True))
        return out
    if isinstance(value, list):
        return [sort_assessments(v) for v in value]
    return value
