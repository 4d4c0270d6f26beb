"""Evaluation rows shaped as judgeflow writes them (src/sinks/mlflow/trace-job.ts): a trace whose root
span carries the row's inputs and outputs, child spans for the model and judge calls, metadata linking
it to the run, expectations and feedbacks inline, deterministic ids. One row per feature a reader sees:
token usage, an error span with an event, non-ASCII text, a JSON expectation, an error feedback, a
judge rationale, a row without spans, an IN_PROGRESS trace whose state comes from its root span.

`namespace` changes every id (trace, assessment), so the same rows can be written twice into one
server (once per write path) and compared after `normalize` maps the ids back.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

SERVICE_NAME = "judgeflow"
"""The OTLP resource's `service.name` judgeflow sends; the store keeps it as a trace tag."""

BASE_NS = 1_765_000_000_000_000_000


def _hex(*parts: object, size: int) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[: 2 * size]


def trace_hex(namespace: str, index: int) -> str:
    return _hex("trace", namespace, index, size=16)


def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def _iso(ns: int) -> str:
    stamp = datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _span(
    trace: str,
    span_id: str,
    parent: str | None,
    name: str,
    span_type: str,
    start: int,
    end: int,
    attributes: dict[str, Any],
    *,
    status: str = "STATUS_CODE_OK",
    message: str = "",
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "trace_id": _b64(trace),
        "span_id": _b64(span_id),
        "parent_span_id": _b64(parent) if parent else None,
        "name": name,
        "start_time_unix_nano": start,
        "end_time_unix_nano": end,
        "events": events or [],
        "status": {"code": status, "message": message},
        "attributes": {
            "mlflow.traceRequestId": json.dumps(f"tr-{trace}"),
            "mlflow.spanType": json.dumps(span_type),
            **{key: json.dumps(value, ensure_ascii=False) for key, value in attributes.items()},
        },
        "links": [],
    }


def make_row(index: int, *, namespace: str, experiment_id: str, run_id: str) -> dict[str, Any]:
    """One row as the batch writer's wire format: {trace_info, spans}."""
    trace = trace_hex(namespace, index)
    trace_id = f"tr-{trace}"
    root_id = _hex("root", index, size=8)
    start = BASE_NS + index * 1_000_000_000
    end = start + 250_000_000 + index * 1_000
    question = f"What is {index} + {index}? — réponse {'é' * (index % 3)}"
    answer = f"{2 * index}"
    inputs = {"question": question, "context": "x" * 1200}
    outputs = {"answer": answer}
    failed = index % 5 == 3
    spans = [
        _span(
            trace,
            root_id,
            None,
            "predict",
            "CHAIN",
            start,
            end,
            {"mlflow.spanInputs": inputs, "mlflow.spanOutputs": outputs},
            status="STATUS_CODE_ERROR" if failed else "STATUS_CODE_OK",
            message="model timed out" if failed else "",
        ),
        _span(
            trace,
            _hex("llm", index, size=8),
            root_id,
            "openai-compatible",
            "LLM",
            start + 1_000_000,
            start + 200_000_000,
            {
                "mlflow.spanInputs": {"messages": [{"role": "user", "content": question}]},
                "mlflow.spanOutputs": {"choices": [{"message": {"role": "assistant", "content": answer}}]},
                "mlflow.llm.model": "gemma-3-270m",
                "mlflow.llm.provider": "local",
                "mlflow.chat.tokenUsage": {
                    "input_tokens": 40 + index,
                    "output_tokens": 3,
                    "total_tokens": 43 + index,
                },
                "judgeflow.attempts": 1,
                "judgeflow.temperature": 0.25,
            },
        ),
        _span(
            trace,
            _hex("judge", index, size=8),
            root_id,
            "judge:correctness",
            "LLM",
            start + 201_000_000,
            start + 249_000_000,
            {
                "mlflow.spanInputs": {"request": question, "response": answer},
                "mlflow.spanOutputs": {"verdict": "yes"},
                "mlflow.llm.model": "judge-model",
            },
            events=[
                {
                    "name": "retry",
                    "time_unix_nano": start + 202_000_000,
                    "attributes": {"attempt": 1, "reason": "429"},
                }
            ]
            if index % 2
            else [],
        ),
    ]
    if failed:
        spans[0]["events"].append(
            {
                "name": "exception",
                "time_unix_nano": end,
                "attributes": {"exception.message": "model timed out"},
            }
        )
    stamp = _iso(end)
    common = {"trace_id": trace_id, "span_id": root_id, "create_time": stamp, "last_update_time": stamp}
    assessments = [
        {
            **common,
            "assessment_id": f"a-{_hex('exp', namespace, index, size=16)}",
            "assessment_name": "expected",
            "source": {"source_type": "HUMAN", "source_id": "tester"},
            "expectation": {
                "serialized_value": {
                    "serialization_format": "JSON_FORMAT",
                    "value": json.dumps({"answer": answer, "alternatives": [index]}),
                }
            },
            "metadata": {"mlflow.assessment.sourceRunId": run_id},
        },
        {
            **common,
            "assessment_id": f"a-{_hex('fb', namespace, index, size=16)}",
            "assessment_name": "correctness",
            "source": {"source_type": "LLM_JUDGE", "source_id": "openai:/judge-model"},
            "feedback": {"value": "yes" if index % 2 else "no"},
            "rationale": f"because {index} — ok",
            "metadata": {"mlflow.assessment.sourceRunId": run_id, "mlflow.assessment.judgeInputTokens": "12"},
        },
    ]
    if index % 4 == 1:
        assessments.append(
            {
                **common,
                "assessment_id": f"a-{_hex('err', namespace, index, size=16)}",
                "assessment_name": "exact_match",
                "source": {"source_type": "CODE", "source_id": "exact_match"},
                "feedback": {
                    "error": {
                        "error_code": "SCORER_ERROR",
                        "error_message": "boom",
                        "stack_trace": "Traceback...\n  boom",
                    }
                },
                "metadata": {"mlflow.assessment.sourceRunId": run_id},
            }
        )
    else:
        assessments.append(
            {
                **common,
                "assessment_id": f"a-{_hex('num', namespace, index, size=16)}",
                "assessment_name": "latency_score",
                "source": {"source_type": "CODE", "source_id": "latency_score"},
                "feedback": {"value": 0.5 + index},
                "metadata": {"mlflow.assessment.sourceRunId": run_id},
            }
        )
    usage = {"input_tokens": 40 + index, "output_tokens": 3, "total_tokens": 43 + index}
    trace_info = {
        "trace_id": trace_id,
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": experiment_id},
        },
        "request_time": _iso(start),
        "execution_duration": f"{(end - start) / 1e9:.3f}s",
        "state": "ERROR" if failed else "OK",
        "request_preview": question,
        "response_preview": json.dumps(outputs),
        "trace_metadata": {
            "mlflow.sourceRun": run_id,
            "mlflow.trace_schema.version": "3",
            "mlflow.traceInputs": json.dumps(inputs, ensure_ascii=False)[:250],
            "mlflow.traceOutputs": json.dumps(outputs),
            "mlflow.user": "tester",
            "mlflow.source.name": "eval.yaml",
            "mlflow.source.type": "LOCAL",
            "mlflow.trace.tokenUsage": json.dumps(usage),
        },
        "tags": {"mlflow.traceName": "predict", "mlflow.eval.requestId": f"row-{index}", "split": "test"},
        "assessments": assessments,
    }
    if index % 7 == 6:
        # No spans at all (a row whose trace was dropped): StartTraceV3 alone on the REST path.
        spans = []
    if index % 6 == 5:
        # State from the root span, previews from its inputs/outputs (log_spans fills them in).
        trace_info["state"] = "IN_PROGRESS"
        del trace_info["request_preview"], trace_info["response_preview"]
        del trace_info["trace_metadata"]["mlflow.trace.tokenUsage"]
    return {"trace_info": trace_info, "spans": spans}


def make_rows(count: int, *, namespace: str, experiment_id: str, run_id: str, start: int = 0) -> list[dict]:
    return [
        make_row(i, namespace=namespace, experiment_id=experiment_id, run_id=run_id)
        for i in range(start, start + count)
    ]


def batch_trace(row: dict[str, Any]) -> dict[str, Any]:
    """The row as a batch-writer trace. What judgeflow's client adds is the tag the OTLP request's
    resource leaves on a trace with spans (a trace without spans gets no OTLP request)."""
    out = copy.deepcopy(row)
    if out["spans"]:
        out["trace_info"]["tags"]["service.name"] = SERVICE_NAME
    return out
