"""Span dicts (the `traces.json` / `Span.to_dict()` format) → MLflow `Span` entities, built the way
MLflow's OTLP ingest (`Span.from_otel_proto` in `/v1/traces`) builds them, so the store keeps the
same span rows whichever way a span arrived.

Differences between the two inputs that this module evens out:
- attribute values: OTLP carries typed values that the server JSON-dumps; a span dict carries the
  dumped text. Each value is parsed and dumped again with MLflow's own dumper, so a client's
  formatting (ASCII escapes, spacing) cannot make the stored text differ.
- `mlflow.traceRequestId` is derived from the trace id, never taken from the client (as OTLP does).
- the status message is dropped when empty (OTLP's `message or None`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from mlflow.entities.link import Link
from mlflow.entities.span import Span
from mlflow.tracing.constant import SpanAttributeKey
from mlflow.tracing.utils import build_otel_context, dump_span_attribute_value
from opentelemetry.sdk.resources import Resource as OTelResource
from opentelemetry.sdk.trace import Event as OTelEvent
from opentelemetry.sdk.trace import ReadableSpan as OTelReadableSpan
from opentelemetry.trace import Status as OTelStatus
from opentelemetry.trace import StatusCode as OTelStatusCode

from judgeflow_mlflow.errors import BatchInputError

_HEX = re.compile(r"^[0-9a-fA-F]+$")

_STATUS_CODES = {
    "STATUS_CODE_OK": OTelStatusCode.OK,
    "STATUS_CODE_ERROR": OTelStatusCode.ERROR,
    "STATUS_CODE_UNSET": OTelStatusCode.UNSET,
    # Python's reader also accepts the short names (what 3.5 wrote).
    "OK": OTelStatusCode.OK,
    "ERROR": OTelStatusCode.ERROR,
    "UNSET": OTelStatusCode.UNSET,
}


def decode_id(value: Any, *, size: int, where: str) -> int:
    """An id given as base64 of `size` bytes (Python's span dicts) or as 2*size hex characters."""
    if not isinstance(value, str) or value == "":
        raise BatchInputError(f"{where}: expected an id (base64 of {size} bytes), got {_show(value)}")
    if len(value) == 2 * size and _HEX.match(value):
        return int(value, 16)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise BatchInputError(
            f"{where}: expected base64 of {size} bytes or {2 * size} hex characters, got {_show(value)}"
        )
    return int.from_bytes(raw, "big")


def _nanos(value: Any, *, where: str, required: bool) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BatchInputError(f"{where}: expected an integer of nanoseconds, got {_show(value)}")
    try:
        number = int(value)
    except ValueError:
        raise BatchInputError(f"{where}: expected an integer of nanoseconds, got {_show(value)}") from None
    if number < 0:
        raise BatchInputError(f"{where}: expected a non-negative integer, got {number}")
    return number


def _normalized_attribute(text: str) -> str:
    """The attribute as MLflow's OTLP ingest stores it: its value, dumped by MLflow's dumper."""
    try:
        value = json.loads(text)
    except ValueError:
        # Not JSON: a raw string, as an OTLP stringValue would carry it.
        value = text
    return dump_span_attribute_value(value)


def span_from_dict(data: Any, *, trace_id_hex: str, where: str) -> Span:
    """One span of trace `trace_id_hex` (32 hex), validated; errors name `where` and the field."""
    if not isinstance(data, dict):
        raise BatchInputError(f"{where}: expected a span object, got {_show(data)}")
    otel_trace_id = decode_id(data.get("trace_id"), size=16, where=f"{where}.trace_id")
    if otel_trace_id != int(trace_id_hex, 16):
        raise BatchInputError(
            f"{where}.trace_id: the span belongs to trace {otel_trace_id:032x}, "
            f"not to its trace_info's tr-{trace_id_hex}"
        )
    span_id = decode_id(data.get("span_id"), size=8, where=f"{where}.span_id")
    parent = data.get("parent_span_id")
    parent_id = None if parent in (None, "") else decode_id(parent, size=8, where=f"{where}.parent_span_id")

    name = data.get("name")
    if not isinstance(name, str):
        raise BatchInputError(f"{where}.name: expected a string, got {_show(name)}")
    start = _nanos(data.get("start_time_unix_nano"), where=f"{where}.start_time_unix_nano", required=True)
    end = _nanos(data.get("end_time_unix_nano"), where=f"{where}.end_time_unix_nano", required=False)

    status = data.get("status") or {}
    if not isinstance(status, dict):
        raise BatchInputError(f"{where}.status: expected {{code, message}}, got {_show(status)}")
    code = _STATUS_CODES.get(status.get("code", "STATUS_CODE_UNSET"))
    if code is None:
        raise BatchInputError(
            f"{where}.status.code: expected one of STATUS_CODE_OK, STATUS_CODE_ERROR, "
            f"STATUS_CODE_UNSET, got {_show(status.get('code'))}"
        )
    message = status.get("message")
    if message is not None and not isinstance(message, str):
        raise BatchInputError(f"{where}.status.message: expected a string, got {_show(message)}")

    raw_attributes = data.get("attributes") or {}
    if not isinstance(raw_attributes, dict):
        raise BatchInputError(f"{where}.attributes: expected an object, got {_show(raw_attributes)}")
    attributes: dict[str, str] = {}
    for key, text in raw_attributes.items():
        if key == SpanAttributeKey.REQUEST_ID:
            continue  # derived below, and placed last, as OTLP ingest does
        if not isinstance(text, str):
            raise BatchInputError(
                f"{where}.attributes[{key!r}]: expected a JSON-encoded string, got {_show(text)}"
            )
        attributes[key] = _normalized_attribute(text)
    request_id = f"tr-{trace_id_hex}"
    attributes[SpanAttributeKey.REQUEST_ID] = dump_span_attribute_value(request_id)

    events = []
    raw_events = data.get("events") or []
    if not isinstance(raw_events, list):
        raise BatchInputError(f"{where}.events: expected a list, got {_show(raw_events)}")
    for position, event in enumerate(raw_events):
        at = f"{where}.events[{position}]"
        if not isinstance(event, dict) or not isinstance(event.get("name"), str):
            raise BatchInputError(f"{at}: expected {{name, time_unix_nano, attributes}}, got {_show(event)}")
        event_attributes = event.get("attributes") or {}
        if not isinstance(event_attributes, dict):
            raise BatchInputError(f"{at}.attributes: expected an object, got {_show(event_attributes)}")
        events.append(
            OTelEvent(
                name=event["name"],
                timestamp=_nanos(event.get("time_unix_nano"), where=f"{at}.time_unix_nano", required=True),
                attributes=event_attributes,
            )
        )

    links = []
    raw_links = data.get("links") or []
    if not isinstance(raw_links, list):
        raise BatchInputError(f"{where}.links: expected a list, got {_show(raw_links)}")
    for position, link in enumerate(raw_links):
        if (
            not isinstance(link, dict)
            or not isinstance(link.get("trace_id"), str)
            or not isinstance(link.get("span_id"), str)
        ):
            raise BatchInputError(f"{where}.links[{position}]: expected {{trace_id, span_id, attributes}}")
        links.append(Link.from_dict(link))

    otel_span = OTelReadableSpan(
        name=name,
        context=build_otel_context(otel_trace_id, span_id),
        parent=build_otel_context(otel_trace_id, parent_id) if parent_id is not None else None,
        start_time=start,
        end_time=end,
        attributes=attributes,
        status=OTelStatus(code, message or None),
        events=events,
        resource=OTelResource.get_empty(),
    )
    span = Span(otel_span)
    span._links = links
    return span


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else f"{text[:77]}..."
