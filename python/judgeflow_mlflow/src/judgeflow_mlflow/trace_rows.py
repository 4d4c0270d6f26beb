"""The child rows `start_trace` writes for one trace (tags, metadata, assessments), built with MLflow's
own helpers and conversions, as column dicts for bulk statements."""

from __future__ import annotations

from typing import Any

from mlflow.store.tracking.dbmodels.models import SqlAssessments
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.store.tracking.utils.trace_analytics import PROMOTED_TRACE_METADATA_KEYS
from mlflow.tracing.constant import TraceMetadataKey, TraceTagKey

from judgeflow_mlflow.batch_request import TraceRow

_ASSESSMENT_COLUMNS = [column.key for column in SqlAssessments.__table__.columns]


def tag_rows(store: SqlAlchemyStore, experiment, row: TraceRow) -> list[dict[str, Any]]:
    """The trace's tags (the trace name lives in a column) plus `mlflow.artifactLocation`."""
    tags = [
        {"request_id": row.trace_id, "key": key, "value": value}
        for key, value in row.trace_info.tags.items()
        if key != TraceTagKey.TRACE_NAME
    ]
    location = store._get_trace_artifact_location_tag(experiment, row.trace_id)
    tags.append({"request_id": row.trace_id, "key": location.key, "value": location.value})
    return tags


def request_metadata(row: TraceRow) -> dict[str, str]:
    """The metadata rows start_trace keeps: promoted keys live in columns; plus the finalized marker."""
    metadata = {
        key: value
        for key, value in row.trace_info.trace_metadata.items()
        if key not in PROMOTED_TRACE_METADATA_KEYS
    }
    metadata[TraceMetadataKey.TRACE_INFO_FINALIZED] = "true"
    return metadata


def assessment_rows(row: TraceRow) -> list[dict[str, Any]]:
    """The trace's inline assessments as MLflow's `SqlAssessments.from_mlflow_entity` stores them."""
    experiment_id = int(row.trace_info.experiment_id)
    out = []
    for assessment in row.trace_info.assessments:
        sql = SqlAssessments.from_mlflow_entity(assessment)
        sql.trace_id = row.trace_id
        sql.experiment_id = experiment_id
        sql.trace_timestamp_ms = row.trace_info.request_time
        out.append({column: getattr(sql, column) for column in _ASSESSMENT_COLUMNS})
    return out
