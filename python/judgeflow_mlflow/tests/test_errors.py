"""Bad input gets a 400 INVALID_PARAMETER_VALUE whose message names the trace index and the field."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
import requests

from rest_path import BATCH_PATH, batch_body, post_batch, write_batch
from rows import make_rows


def _set(path, value):
    def mutate(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _duplicate_trace(body):
    body["traces"][2] = json.loads(json.dumps(body["traces"][1]))


def _duplicate_span(body):
    body["traces"][1]["spans"][1]["span_id"] = body["traces"][1]["spans"][0]["span_id"]


def _foreign_span(body):
    body["traces"][1]["spans"][0]["trace_id"] = base64.b64encode(b"\x01" * 16).decode()


def _shared_assessment(body):
    body["traces"][2]["trace_info"]["assessments"][0]["assessment_id"] = body["traces"][1]["trace_info"][
        "assessments"
    ][0]["assessment_id"]


CASES = {
    "not an object": (lambda body: body.clear() or body.update({"wrapped": []}), "experiment_id"),
    "no experiment id": (_delete(["experiment_id"]), "experiment_id: expected a non-empty string"),
    "traces not a list": (_set(["traces"], {"a": 1}), "traces: expected a list"),
    "run id not a string": (_set(["run_id"], 7), "run_id: expected a string"),
    "trace not an object": (_set(["traces", 1], "trace"), "traces[1]: expected {trace_info, spans}"),
    "no trace_info": (_delete(["traces", 1, "trace_info"]), "traces[1].trace_info: expected an object"),
    "bad trace id": (
        _set(["traces", 1, "trace_info", "trace_id"], "tr-xyz"),
        "traces[1].trace_info.trace_id",
    ),
    "request_time not a timestamp": (
        _set(["traces", 1, "trace_info", "request_time"], 5),
        "traces[1].trace_info: Failed to parse request_time",
    ),
    "other experiment": (
        _set(["traces", 1, "trace_info", "trace_location", "mlflow_experiment", "experiment_id"], "999"),
        "traces[1].trace_info.trace_location",
    ),
    "tag too long": (
        _set(["traces", 1, "trace_info", "tags", "split"], "x" * 8001),
        "traces[1].trace_info.tags['split']: 8001 characters",
    ),
    "assessment without id": (
        _delete(["traces", 1, "trace_info", "assessments", 0, "assessment_id"]),
        "traces[1].trace_info.assessments[0].assessment_id: required",
    ),
    "assessment without value": (
        _delete(["traces", 1, "trace_info", "assessments", 1, "feedback"]),
        "traces[1].trace_info.assessments[1]: needs one of feedback, expectation",
    ),
    "assessment id shared": (_shared_assessment, "traces[2].trace_info.assessments[0].assessment_id"),
    "spans not a list": (_set(["traces", 1, "spans"], {}), "traces[1].spans: expected a list"),
    "span of another trace": (_foreign_span, "traces[1].spans[0].trace_id: the span belongs to trace 0101"),
    "bad span id": (_set(["traces", 1, "spans", 2, "span_id"], "AAAA"), "traces[1].spans[2].span_id"),
    "bad parent id": (
        _set(["traces", 1, "spans", 2, "parent_span_id"], 12),
        "traces[1].spans[2].parent_span_id",
    ),
    "start time not a number": (
        _set(["traces", 1, "spans", 2, "start_time_unix_nano"], "soon"),
        "traces[1].spans[2].start_time_unix_nano",
    ),
    "no span name": (
        _delete(["traces", 1, "spans", 0, "name"]),
        "traces[1].spans[0].name: expected a string",
    ),
    "bad status": (
        _set(["traces", 1, "spans", 0, "status", "code"], "FINE"),
        "traces[1].spans[0].status.code",
    ),
    "attribute not encoded": (
        _set(["traces", 1, "spans", 0, "attributes", "mlflow.spanType"], 3),
        "traces[1].spans[0].attributes['mlflow.spanType']: expected a JSON-encoded string",
    ),
    "bad event": (
        _set(["traces", 1, "spans", 0, "events"], [{"time_unix_nano": 1}]),
        "traces[1].spans[0].events[0]",
    ),
    "duplicate trace": (_duplicate_trace, "traces[2].trace_info.trace_id: tr-"),
    "duplicate span": (_duplicate_span, "traces[1].spans[1].span_id"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_names_the_trace_and_field(server, experiment, case):
    experiment_id, run_id = experiment
    body = batch_body(
        make_rows(3, namespace=f"err-{case}", experiment_id=experiment_id, run_id=run_id),
        experiment_id=experiment_id,
        run_id=run_id,
    )
    mutate, expected = CASES[case]
    mutate(body)
    response = post_batch(server.uri, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert expected in error["message"]


def test_too_many_traces(server, experiment):
    experiment_id, _ = experiment
    response = post_batch(server.uri, {"experiment_id": experiment_id, "traces": [{}] * 501})
    assert response.status_code == 400
    assert "501 traces in one request, over max_traces_per_request (500)" in response.json()["message"]


@pytest.mark.parametrize(
    ("raw", "headers", "expected"),
    [
        (b"{not json", {}, "the request body is not JSON"),
        (b"plain", {"content-encoding": "gzip"}, "the request body is not valid gzip"),
        (gzip.compress(b"{}"), {"content-encoding": "br"}, "content-encoding 'br' is not supported"),
    ],
)
def test_undecodable_bodies(server, raw, headers, expected):
    response = requests.post(
        f"{server.uri}{BATCH_PATH}",
        data=raw,
        headers={"content-type": "application/json", **headers},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert expected in response.json()["message"]


def test_an_assessment_id_of_another_trace_in_the_store(server, make_experiment):
    experiment_id, run_id = make_experiment()
    rows = make_rows(2, namespace=f"owner-{run_id}", experiment_id=experiment_id, run_id=run_id)
    write_batch(server.uri, rows[:1], experiment_id=experiment_id, run_id=run_id)
    taken = rows[0]["trace_info"]["assessments"][0]["assessment_id"]
    rows[1]["trace_info"]["assessments"][0]["assessment_id"] = taken
    response = post_batch(server.uri, batch_body(rows[1:], experiment_id=experiment_id, run_id=run_id))
    assert response.status_code == 400
    assert (
        f"traces[0].trace_info.assessments: assessment_id {taken} already belongs to trace"
        in (response.json()["message"])
    )
