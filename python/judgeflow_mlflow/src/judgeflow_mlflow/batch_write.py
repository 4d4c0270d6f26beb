"""Writes a batch of traces in ONE transaction of MLflow's `SqlAlchemyStore`, leaving exactly the rows
that StartTraceV3 (assessments inline) + OTLP `/v1/traces` + link-to-run leave for the same traces.

How each part maps to MLflow's own code (mlflow/store/tracking/sqlalchemy_store.py, 3.17.2):
- a trace that does not exist yet: the rows `start_trace` inserts on its happy path (trace_info with
  the analytics columns, tags + `mlflow.artifactLocation`, metadata + the finalized marker,
  assessments), built with MLflow's own helpers but inserted in bulk, one statement per table;
- a trace that exists (a retry, a replay, a trace the REST path wrote): `start_trace`'s merge branch
  (row lock, payload generation, column updates, tag, metadata and assessment upserts), for all such
  traces at once (batch_merge.py);
- spans: the store's own `_log_spans_once`, run inside this transaction for every span of the batch
  at once (it is already a multi-trace bulk write), so span rows, trace time range, previews, token
  usage and the `spansLocation` tag come from MLflow's code;
- the run link: `link_traces_to_run`'s de-duplicated entity associations, for all traces at once.

Idempotence follows from the keys: trace_id, (trace_id, key) for tags and metadata, assessment_id,
(trace_id, span_id) for spans, (trace, run) for links — a repeat upserts the same rows.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mlflow.entities.entity_type import EntityAssociationType
from mlflow.exceptions import MlflowException
from mlflow.store.tracking.dbmodels.models import (
    SqlAssessments,
    SqlEntityAssociation,
    SqlRun,
    SqlTraceInfo,
    SqlTraceMetadata,
    SqlTraceTag,
)
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.store.tracking.utils.sql_trace_rollups import (
    RollupFamily,
    enqueue_rollup_rebuild_partitions,
)
from mlflow.store.tracking.utils.trace_analytics import (
    COST_COLUMN_BY_KEY,
    TOKEN_COLUMN_BY_KEY,
    analytics_columns_from_metadata,
    validate_trace_name,
)
from mlflow.tracing.constant import TraceTagKey
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judgeflow_mlflow.batch_merge import merge_existing
from judgeflow_mlflow.batch_request import BatchRequest, TraceRow
from judgeflow_mlflow.errors import BatchInputError, BatchTargetMissing
from judgeflow_mlflow.trace_rows import assessment_rows, request_metadata, tag_rows

_logger = logging.getLogger(__name__)

# A concurrent writer inserting the same new trace makes this transaction's insert fail; the retry
# then finds the trace and merges into it.
_CONFLICT_RETRIES = 2


@dataclass(frozen=True)
class BatchResult:
    traces: int
    created: int
    merged: int

    def to_json(self) -> dict[str, int]:
        return {"traces": self.traces, "created": self.created, "merged": self.merged}


def write_batch(store: SqlAlchemyStore, request: BatchRequest) -> BatchResult:
    """The whole batch in one transaction; on any error nothing of it stays."""
    experiment = store.get_experiment(request.experiment_id)
    store._check_experiment_is_active(experiment)
    for attempt in range(_CONFLICT_RETRIES + 1):
        try:
            return store._run_with_deadlock_retry(_write_once, store, request, experiment)
        except MlflowException as error:
            if attempt == _CONFLICT_RETRIES or not isinstance(error.__cause__, IntegrityError):
                raise
            _logger.warning(
                "batch write met a concurrent insert of the same traces by another request; "
                "retrying, which merges into them"
            )
    raise AssertionError("unreachable")


def _write_once(store: SqlAlchemyStore, request: BatchRequest, experiment) -> BatchResult:
    with store.ManagedSessionMaker(read_only=False) as session:
        if request.run_id is not None:
            found = session.query(SqlRun.run_uuid).filter(SqlRun.run_uuid == request.run_id).first()
            if found is None:
                raise BatchTargetMissing(f"Run with id={request.run_id} not found")
        trace_ids = [row.trace_id for row in request.traces]
        existing = {
            trace_id
            for (trace_id,) in session.query(SqlTraceInfo.request_id).filter(
                SqlTraceInfo.request_id.in_(trace_ids)
            )
        }
        _check_assessment_owners(session, request)
        # Rows in trace id order, so concurrent transactions take the same index locks in the same
        # order (what MLflow's own writers do to avoid deadlocks).
        ordered = sorted(request.traces, key=lambda row: row.trace_id)
        fresh = [row for row in ordered if row.trace_id not in existing]
        _insert_fresh(session, store, experiment, fresh)
        merge_existing(session, store, experiment, [row for row in ordered if row.trace_id in existing])

        spans = [span for row in ordered for span in row.spans]
        if spans:
            # The spans' pass reads trace_info rows as they are now, not as this session last saw them.
            session.expire_all()
            with _store_in_session(store, session) as bound:
                bound._log_spans_once(request.experiment_id, spans)

        if request.run_id is not None and ordered:
            _link_to_run(session, store, [row.trace_id for row in ordered], request.run_id)
        return BatchResult(traces=len(request.traces), created=len(fresh), merged=len(existing))


def _check_assessment_owners(session: Session, request: BatchRequest) -> None:
    """An assessment id already used on another trace would be moved by an upsert: refuse it."""
    owner_of = {
        assessment.assessment_id: row for row in request.traces for assessment in row.trace_info.assessments
    }
    if not owner_of:
        return
    for assessment_id, trace_id in session.query(
        SqlAssessments.assessment_id, SqlAssessments.trace_id
    ).filter(SqlAssessments.assessment_id.in_(list(owner_of))):
        row = owner_of[assessment_id]
        if trace_id != row.trace_id:
            raise BatchInputError(
                f"traces[{row.index}].trace_info.assessments: assessment_id {assessment_id} "
                f"already belongs to trace {trace_id}"
            )


def _insert_fresh(session: Session, store: SqlAlchemyStore, experiment, rows: list[TraceRow]) -> None:
    """start_trace's happy-path rows for traces that do not exist yet, one INSERT per table."""
    if not rows:
        return
    infos, tags, metadata, assessments, partitions = [], [], [], [], []
    for row in rows:
        info = row.trace_info
        experiment_id = int(info.experiment_id)
        infos.append(
            {
                "request_id": row.trace_id,
                "experiment_id": experiment_id,
                "timestamp_ms": info.request_time,
                "execution_time_ms": info.execution_duration,
                "status": info.state.value,
                "client_request_id": info.client_request_id,
                "request_preview": info.request_preview,
                "response_preview": info.response_preview,
                "trace_name": validate_trace_name(info.tags.get(TraceTagKey.TRACE_NAME)),
                **_analytics_columns(info.trace_metadata),
            }
        )
        tags.extend(tag_rows(store, experiment, row))
        metadata.extend(
            {"request_id": row.trace_id, "key": key, "value": value}
            for key, value in sorted(request_metadata(row).items())
        )
        assessments.extend(assessment_rows(row))
        partitions.extend(
            (family, experiment_id, [info.request_time])
            for family in (RollupFamily.TRACE_METRIC, RollupFamily.ASSESSMENT)
        )
    enqueue_rollup_rebuild_partitions(session, partitions)
    session.execute(insert(SqlTraceInfo), infos)
    session.execute(insert(SqlTraceTag), tags)
    session.execute(insert(SqlTraceMetadata), metadata)
    if assessments:
        session.execute(insert(SqlAssessments), assessments)


_ANALYTICS_COLUMNS = ("session_id", *TOKEN_COLUMN_BY_KEY.values(), *COST_COLUMN_BY_KEY.values())


def _analytics_columns(metadata: dict[str, str]) -> dict[str, object]:
    # Every row of one executemany carries the same keys; absent columns are NULL, as an ORM insert
    # leaves them.
    columns = dict.fromkeys(_ANALYTICS_COLUMNS)
    columns.update(analytics_columns_from_metadata(metadata))
    return columns


@contextmanager
def _store_in_session(store: SqlAlchemyStore, session: Session) -> Iterator[SqlAlchemyStore]:
    """A view of the store whose every session is `session`: its methods then join this transaction
    instead of committing their own (a shallow copy, so concurrent requests never share it)."""

    @contextmanager
    def joined(read_only: bool = True) -> Iterator[Session]:
        yield session

    view = copy.copy(store)
    view.ManagedSessionMaker = joined
    yield view


def _link_to_run(session: Session, store: SqlAlchemyStore, trace_ids: list[str], run_id: str) -> None:
    """link_traces_to_run's associations (trace → run), de-duplicated, without its 100-trace cap
    (a limit on one REST request, not on the store)."""
    store._validate_run_accessible(session, run_id)
    trace_ids = store._filter_entity_ids(session, EntityAssociationType.TRACE, list(trace_ids))
    linked = {
        source_id
        for (source_id,) in session.query(SqlEntityAssociation.source_id).filter(
            SqlEntityAssociation.source_type == EntityAssociationType.TRACE,
            SqlEntityAssociation.source_id.in_(trace_ids),
            SqlEntityAssociation.destination_type == EntityAssociationType.RUN,
            SqlEntityAssociation.destination_id == run_id,
        )
    }
    new_links = [
        {
            "association_id": uuid.uuid4().hex,
            "source_type": EntityAssociationType.TRACE,
            "source_id": trace_id,
            "destination_type": EntityAssociationType.RUN,
            "destination_id": run_id,
        }
        for trace_id in trace_ids
        if trace_id not in linked
    ]
    if new_links:
        session.execute(insert(SqlEntityAssociation), new_links)
