"""Reads one evaluation run back with the `mlflow` Python package and prints it as normalized JSON,
so a test can compare a judgeflow run with a `mlflow.genai.evaluate()` run field by field.

Usage: python dump_run.py <tracking-uri> <run-id>
"""

import json
import sys

import mlflow
from mlflow import MlflowClient


def assessment_dict(assessment):
    value = None
    kind = None
    error = None
    if assessment.feedback is not None:
        kind = "feedback"
        value = assessment.feedback.value
        if assessment.feedback.error is not None:
            error = {
                "error_code": assessment.feedback.error.error_code,
                "error_message": assessment.feedback.error.error_message,
                "has_stack_trace": bool(assessment.feedback.error.stack_trace),
            }
    elif assessment.expectation is not None:
        kind = "expectation"
        value = assessment.expectation.value
    return {
        "name": assessment.name,
        "kind": kind,
        "value": value,
        "error": error,
        "source_type": assessment.source.source_type,
        "source_id": assessment.source.source_id,
        "rationale": assessment.rationale,
        "span_id": assessment.span_id,
        "source_run_id": (assessment.metadata or {}).get("mlflow.assessment.sourceRunId"),
        "create_time_ms": assessment.create_time_ms,
        "valid": assessment.valid,
    }


def span_dict(span):
    return {
        "name": span.name,
        "span_type": span.span_type,
        "parent_id": span.parent_id,
        "span_id": span.span_id,
        "inputs": span.inputs,
        "outputs": span.outputs,
        "status": str(span.status.status_code),
        "attributes": {k: v for k, v in span.attributes.items()},
    }


def main() -> None:
    tracking_uri, run_id = sys.argv[1:3]
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient()
    run = client.get_run(run_id)
    traces = mlflow.search_traces(
        locations=[run.info.experiment_id], run_id=run_id, return_type="list"
    )
    dataset_inputs = []
    for dataset_input in run.inputs.dataset_inputs:
        dataset = dataset_input.dataset
        dataset_inputs.append({
            "name": dataset.name,
            "digest": dataset.digest,
            "source_type": dataset.source_type,
            "source": json.loads(dataset.source) if dataset.source else None,
            "schema": json.loads(dataset.schema) if dataset.schema else None,
            "profile": json.loads(dataset.profile) if dataset.profile else None,
            "tags": {tag.key: tag.value for tag in dataset_input.tags},
        })
    out = {
        "run": {
            "status": run.info.status,
            "end_time": run.info.end_time,
            "tags": dict(run.data.tags),
            "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "dataset_inputs": dataset_inputs,
        },
        "traces": [
            {
                "trace_id": trace.info.trace_id,
                "state": str(trace.info.state),
                "tags": dict(trace.info.tags),
                "metadata": dict(trace.info.trace_metadata),
                "request_preview": trace.info.request_preview,
                "response_preview": trace.info.response_preview,
                "inputs": trace.data.request,
                "outputs": trace.data.response,
                "assessments": [assessment_dict(a) for a in trace.info.assessments],
                "spans": [span_dict(s) for s in trace.data.spans],
            }
            for trace in traces
        ],
    }
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
