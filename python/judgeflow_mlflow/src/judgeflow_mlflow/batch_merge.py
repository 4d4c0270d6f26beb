"""Traces of a batch that exist already (a retry, a replay, a trace the REST path wrote): what
`start_trace`'s merge branch does to each of them (mlflow/store/tracking/sqlalchemy_store.py, 3.17.2),
done for all of them at once — one locking read, one payload-generation bump, one UPDATE per shape of
trace_info row, one upsert per child table — instead of a dozen statements per trace.

Per trace, the merge branch:
- locks the trace_info row and refuses a trace whose spans no longer live in the tracking store;
- advances its payload generation;
- sets experiment, request time, duration, state and client request id, and the trace name, analytics
  columns and previews only when the new trace info has them;
- upserts every tag (plus `mlflow.artifactLocation`), every metadata entry (plus the finalized marker)
  and every assessment, all columns;
- moves the trace's spans and assessments to its experiment and request time.
"""

from __future__ import annotations

from collections import defaultdict

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_STATE, RESOURCE_DOES_NOT_EXIST
from mlflow.store.tracking.dbmodels.models import (
    SqlAssessments,
    SqlSpan,
    SqlTraceInfo,
    SqlTraceMetadata,
    SqlTraceTag,
)
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore, _bulk_upsert
from mlflow.store.tracking.utils.sql_trace_rollups import (
    RollupFamily,
    enqueue_rollup_rebuild_partitions,
    rollups_enabled,
)
from mlflow.store.tracking.utils.trace_analytics import (
    analytics_columns_from_metadata,
    validate_trace_name,
)
from mlflow.tracing.constant import TraceTagKey
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from judgeflow_mlflow.batch_request import TraceRow
from judgeflow_mlflow.trace_rows import assessment_rows, request_metadata, tag_rows


def merge_existing(session: Session, store: SqlAlchemyStore, experiment, rows: list[TraceRow]) -> None:
    """`rows` (in trace id order) exist in the store; merge each as StartTraceV3 would."""
    if not rows:
        return
    trace_ids = [row.trace_id for row in rows]
    if rollups_enabled():
        _enqueue_rollups(session, rows)
    locked = {
        trace_id
        for (trace_id,) in session.query(SqlTraceInfo.request_id)
        .filter(SqlTraceInfo.request_id.in_(trace_ids))
        .order_by(SqlTraceInfo.request_id)
        .with_for_update()
    }
    for row in rows:
        if row.trace_id not in locked:
            raise MlflowException(
                f"traces[{row.index}]: trace '{row.trace_id}' no longer exists.",
                error_code=RESOURCE_DOES_NOT_EXIST,
            )
    for trace_id, location in session.query(SqlTraceTag.request_id, SqlTraceTag.value).filter(
        SqlTraceTag.request_id.in_(trace_ids), SqlTraceTag.key == TraceTagKey.SPANS_LOCATION
    ):
        if not store._is_db_backed_spans_location(location):
            row = next(r for r in rows if r.trace_id == trace_id)
            raise MlflowException(
                f"traces[{row.index}]: cannot update trace '{trace_id}', it is no longer DB-backed "
                f"(its spans are in {location}).",
                error_code=INVALID_STATE,
            )
    store._advance_db_payload_generations_for_db_span_writes(session, trace_ids)

    _update_trace_infos(session, rows)
    _bulk_upsert(session, SqlTraceTag, [tag for row in rows for tag in tag_rows(store, experiment, row)])
    _bulk_upsert(
        session,
        SqlTraceMetadata,
        [
            {"request_id": row.trace_id, "key": key, "value": value}
            for row in rows
            for key, value in sorted(request_metadata(row).items())
        ],
    )
    _bulk_upsert(session, SqlAssessments, [a for row in rows for a in assessment_rows(row)])

    experiment_id = int(rows[0].trace_info.experiment_id)
    session.query(SqlSpan).filter(SqlSpan.trace_id.in_(trace_ids)).update(
        {SqlSpan.experiment_id: experiment_id}, synchronize_session=False
    )
    session.execute(
        update(SqlAssessments.__table__)
        .where(SqlAssessments.__table__.c.trace_id == bindparam("trace"))
        .values(experiment_id=bindparam("experiment"), trace_timestamp_ms=bindparam("timestamp")),
        [
            {"trace": row.trace_id, "experiment": experiment_id, "timestamp": row.trace_info.request_time}
            for row in rows
        ],
    )


def _update_trace_infos(session: Session, rows: list[TraceRow]) -> None:
    """One executemany UPDATE per set of columns (a column is set only when the trace info has it)."""
    by_columns: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for row in rows:
        info = row.trace_info
        values = {
            "experiment_id": int(info.experiment_id),
            "timestamp_ms": info.request_time,
            "execution_time_ms": info.execution_duration,
            "status": info.state.value,
            "client_request_id": info.client_request_id,
        }
        if TraceTagKey.TRACE_NAME in info.tags:
            values["trace_name"] = validate_trace_name(info.tags[TraceTagKey.TRACE_NAME])
        values.update(analytics_columns_from_metadata(info.trace_metadata))
        if info.request_preview is not None:
            values["request_preview"] = info.request_preview
        if info.response_preview is not None:
            values["response_preview"] = info.response_preview
        by_columns[tuple(sorted(values))].append({"trace": row.trace_id, **values})
    table = SqlTraceInfo.__table__
    for columns, params in by_columns.items():
        statement = (
            update(table)
            .where(table.c.request_id == bindparam("trace"))
            .values({column: bindparam(column) for column in columns})
        )
        session.execute(statement, params)


def _enqueue_rollups(session: Session, rows: list[TraceRow]) -> None:
    """The rebuild keys start_trace's merge branch locks: the old and new partitions of each trace."""
    trace_ids = [row.trace_id for row in rows]
    snapshots = {
        trace_id: (int(experiment_id), timestamp_ms)
        for trace_id, experiment_id, timestamp_ms in session.query(
            SqlTraceInfo.request_id, SqlTraceInfo.experiment_id, SqlTraceInfo.timestamp_ms
        ).filter(SqlTraceInfo.request_id.in_(trace_ids))
    }
    span_partitions = defaultdict(list)
    for trace_id, experiment_id, start_ns in session.query(
        SqlSpan.trace_id, SqlSpan.experiment_id, SqlSpan.start_time_unix_nano
    ).filter(
        SqlSpan.trace_id.in_(trace_ids),
        SqlSpan.experiment_id.isnot(None),
        SqlSpan.start_time_unix_nano.isnot(None),
    ):
        span_partitions[trace_id].append((int(experiment_id), int(start_ns) // 1_000_000))
    families = (RollupFamily.TRACE_METRIC, RollupFamily.ASSESSMENT)
    partitions = []
    for row in rows:
        experiment_id = int(row.trace_info.experiment_id)
        old_experiment, old_timestamp = snapshots[row.trace_id]
        partitions += [(family, experiment_id, [row.trace_info.request_time]) for family in families]
        partitions += [(family, old_experiment, [old_timestamp]) for family in families]
        for span_experiment, timestamp_ms in span_partitions[row.trace_id]:
            partitions.append((RollupFamily.SPAN_COST, span_experiment, [timestamp_ms]))
            partitions.append((RollupFamily.SPAN_COST, experiment_id, [timestamp_ms]))
    enqueue_rollup_rebuild_partitions(session, partitions)
