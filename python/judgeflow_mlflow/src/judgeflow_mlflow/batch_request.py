"""The write request of the batch writer (`POST /api/3.0/judgeflow/traces/batch`), decoded and
validated before anything touches the database. Every error names the trace index and the field.
The wire contract is in this package's README.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import ParseDict, ParseError
from mlflow.entities.span import Span
from mlflow.entities.trace_info import TraceInfo
from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import TraceInfoV3 as ProtoTraceInfoV3
from mlflow.store.tracking.utils.trace_analytics import (
    analytics_columns_from_metadata,
    validate_trace_name,
)
from mlflow.tracing.constant import TraceTagKey

from judgeflow_mlflow.errors import BatchInputError
from judgeflow_mlflow.spans import span_from_dict

MAX_TRACES_PER_REQUEST = 500
"""Traces per request; announced to clients by the detection route."""

MAX_REQUEST_BYTES = 32 * 1024 * 1024
"""Bytes of the JSON body (after any content-encoding is undone); announced by the detection route."""

_TRACE_ID = re.compile(r"^tr-[0-9a-f]{32}$")

# Column sizes of MLflow's SQL tables (`store/tracking/dbmodels/models.py`). SQLite ignores them,
# PostgreSQL rejects the whole transaction; checking first names the offending field instead.
_TAG_KEY, _TAG_VALUE = 250, 8000
_PREVIEW, _CLIENT_REQUEST_ID = 1000, 50
_ASSESSMENT_NAME, _SOURCE_ID, _SHORT_ID = 250, 250, 50


@dataclass(frozen=True)
class TraceRow:
    """One trace of the request: its position, its TraceInfo (assessments inline) and its spans."""

    index: int
    trace_info: TraceInfo
    spans: list[Span]

    @property
    def trace_id(self) -> str:
        return self.trace_info.trace_id


@dataclass(frozen=True)
class BatchRequest:
    experiment_id: str
    run_id: str | None
    traces: list[TraceRow]


def decode_body(raw: bytes, content_encoding: str | None) -> Any:
    """The request's JSON value; gzip is undone with a cap so a small body cannot expand unbounded."""
    encoding = (content_encoding or "identity").strip().lower()
    if len(raw) > MAX_REQUEST_BYTES:
        raise BatchInputError(
            f"the request body is {len(raw)} bytes, over max_request_bytes ({MAX_REQUEST_BYTES})"
        )
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            raw = inflater.decompress(raw, MAX_REQUEST_BYTES + 1)
        except zlib.error as error:
            raise BatchInputError(f"the request body is not valid gzip: {error}") from None
        if len(raw) > MAX_REQUEST_BYTES or inflater.unconsumed_tail:
            raise BatchInputError(
                f"the request body inflates to more than max_request_bytes ({MAX_REQUEST_BYTES})"
            )
    elif encoding != "identity":
        raise BatchInputError(
            f"content-encoding {content_encoding!r} is not supported (send gzip or no encoding)"
        )
    try:
        return json.loads(raw)
    except ValueError as error:
        raise BatchInputError(f"the request body is not JSON: {error}") from None


def parse_batch(payload: Any) -> BatchRequest:
    if not isinstance(payload, dict):
        raise BatchInputError("the request body must be a JSON object {experiment_id, run_id?, traces}")
    experiment_id = payload.get("experiment_id")
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        experiment_id = str(experiment_id)
    if not isinstance(experiment_id, str) or experiment_id == "":
        raise BatchInputError(f"experiment_id: expected a non-empty string, got {experiment_id!r}")
    run_id = payload.get("run_id")
    if run_id in ("", None):
        run_id = None
    elif not isinstance(run_id, str):
        raise BatchInputError(f"run_id: expected a string, got {run_id!r}")
    traces = payload.get("traces")
    if not isinstance(traces, list):
        raise BatchInputError("traces: expected a list of {trace_info, spans}")
    if len(traces) > MAX_TRACES_PER_REQUEST:
        raise BatchInputError(
            f"traces: {len(traces)} traces in one request, over max_traces_per_request "
            f"({MAX_TRACES_PER_REQUEST}); split the batch"
        )
    rows: list[TraceRow] = []
    seen_traces: dict[str, int] = {}
    seen_assessments: dict[str, int] = {}
    for index, item in enumerate(traces):
        row = _parse_trace(item, index, experiment_id)
        earlier = seen_traces.setdefault(row.trace_id, index)
        if earlier != index:
            raise BatchInputError(
                f"traces[{index}].trace_info.trace_id: {row.trace_id} is also traces[{earlier}]"
            )
        for position, assessment in enumerate(row.trace_info.assessments):
            earlier = seen_assessments.setdefault(assessment.assessment_id, index)
            if earlier != index:
                raise BatchInputError(
                    f"traces[{index}].trace_info.assessments[{position}].assessment_id: "
                    f"{assessment.assessment_id} is also used by traces[{earlier}]"
                )
        rows.append(row)
    return BatchRequest(experiment_id=experiment_id, run_id=run_id, traces=rows)


def _parse_trace(item: Any, index: int, experiment_id: str) -> TraceRow:
    where = f"traces[{index}]"
    if not isinstance(item, dict):
        raise BatchInputError(f"{where}: expected {{trace_info, spans}}, got {type(item).__name__}")
    raw_info = item.get("trace_info")
    if not isinstance(raw_info, dict):
        raise BatchInputError(f"{where}.trace_info: expected an object (StartTraceV3's TraceInfoV3)")
    info = _trace_info(raw_info, where=f"{where}.trace_info", experiment_id=experiment_id)
    raw_spans = item.get("spans", [])
    if not isinstance(raw_spans, list):
        raise BatchInputError(f"{where}.spans: expected a list of span objects")
    trace_hex = info.trace_id[3:]
    spans = [
        span_from_dict(span, trace_id_hex=trace_hex, where=f"{where}.spans[{position}]")
        for position, span in enumerate(raw_spans)
    ]
    seen: dict[str, int] = {}
    for position, span in enumerate(spans):
        earlier = seen.setdefault(span.span_id, position)
        if earlier != position:
            raise BatchInputError(
                f"{where}.spans[{position}].span_id: {span.span_id} is also spans[{earlier}]"
            )
    return TraceRow(index=index, trace_info=info, spans=spans)


def _trace_info(raw: dict[str, Any], *, where: str, experiment_id: str) -> TraceInfo:
    trace_id = raw.get("trace_id")
    if not isinstance(trace_id, str) or not _TRACE_ID.match(trace_id):
        raise BatchInputError(f"{where}.trace_id: expected tr-<32 lowercase hex>, got {trace_id!r}")
    raw_assessments = raw.get("assessments", [])
    if not isinstance(raw_assessments, list):
        raise BatchInputError(f"{where}.assessments: expected a list")
    for position, assessment in enumerate(raw_assessments):
        at = f"{where}.assessments[{position}]"
        if not isinstance(assessment, dict):
            raise BatchInputError(f"{at}: expected an assessment object")
        if not any(assessment.get(kind) is not None for kind in ("feedback", "expectation", "issue")):
            raise BatchInputError(f"{at}: needs one of feedback, expectation or issue")
    location = raw.get("trace_location")
    if location is None:
        raw = {
            **raw,
            "trace_location": {
                "type": "MLFLOW_EXPERIMENT",
                "mlflow_experiment": {"experiment_id": experiment_id},
            },
        }
    proto = ProtoTraceInfoV3()
    try:
        ParseDict(raw, proto, ignore_unknown_fields=True)
    except ParseError as error:
        raise BatchInputError(f"{where}: {error}") from None
    try:
        info = TraceInfo.from_proto(proto)
    except Exception as error:
        raise BatchInputError(f"{where}: {error}") from None
    if info.experiment_id != experiment_id:
        raise BatchInputError(
            f"{where}.trace_location: the trace is in experiment {info.experiment_id!r}, "
            f"the request writes to experiment {experiment_id!r}"
        )
    _check_sizes(info, where)
    for position, assessment in enumerate(info.assessments):
        at = f"{where}.assessments[{position}]"
        if not assessment.assessment_id:
            raise BatchInputError(
                f"{at}.assessment_id: required (a client-chosen a-<hex> id makes a repeated request "
                "a no-op instead of a duplicate)"
            )
        if assessment.trace_id and assessment.trace_id != trace_id:
            raise BatchInputError(f"{at}.trace_id: {assessment.trace_id} is not the trace's {trace_id}")
        assessment.trace_id = trace_id
        if assessment.feedback is None and assessment.expectation is None and assessment.issue is None:
            raise BatchInputError(f"{at}: needs one of feedback, expectation or issue")
        for field, value, limit in (
            ("assessment_id", assessment.assessment_id, _SHORT_ID),
            ("assessment_name", assessment.name, _ASSESSMENT_NAME),
            ("source.source_id", assessment.source.source_id if assessment.source else None, _SOURCE_ID),
            ("span_id", assessment.span_id, _SHORT_ID),
            ("overrides", assessment.overrides, _SHORT_ID),
        ):
            _limit(value, limit, f"{at}.{field}")
    return info


def _check_sizes(info: TraceInfo, where: str) -> None:
    _limit(info.client_request_id, _CLIENT_REQUEST_ID, f"{where}.client_request_id")
    _limit(info.request_preview, _PREVIEW, f"{where}.request_preview")
    _limit(info.response_preview, _PREVIEW, f"{where}.response_preview")
    for field, entries in (("tags", info.tags), ("trace_metadata", info.trace_metadata)):
        for key, value in entries.items():
            _limit(key, _TAG_KEY, f"{where}.{field} key {key[:40]!r}")
            _limit(value, _TAG_VALUE, f"{where}.{field}[{key!r}]")
    # The checks start_trace makes on the trace name and session id, with the position added.
    try:
        validate_trace_name(info.tags.get(TraceTagKey.TRACE_NAME))
    except MlflowException as error:
        raise BatchInputError(f"{where}.tags[{TraceTagKey.TRACE_NAME!r}]: {error.message}") from None
    try:
        analytics_columns_from_metadata(info.trace_metadata)
    except MlflowException as error:
        raise BatchInputError(f"{where}.trace_metadata: {error.message}") from None


def _limit(value: str | None, limit: int, where: str) -> None:
    if value is not None and len(value) > limit:
        raise BatchInputError(f"{where}: {len(value)} characters, over MLflow's limit of {limit}")
