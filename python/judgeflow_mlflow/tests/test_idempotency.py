"""A batch may be sent again — whole (a retry after a lost answer), overlapping another (a spool
replay), or over traces the REST path already wrote — and the store ends as one write would leave
it: no duplicate trace, assessment, span or run link."""

from __future__ import annotations

import json
import threading

import requests

from reader import id_map, normalize, reader_view, sort_assessments, table_view
from rest_path import BATCH_PATH, batch_body, post_batch, write_batch, write_rest
from rows import make_rows

ROWS = 12


def tables(server, rows, experiment_id, run_id):
    """The store's rows with ids mapped to placeholders. db_payload_generation counts writes (every
    StartTraceV3 on an existing trace advances it, on the REST path too); no reader sees it."""
    ids = [row["trace_info"]["trace_id"] for row in rows]
    view = normalize(
        table_view(server.backend_uri, ids), id_map(rows, experiment_id=experiment_id, run_id=run_id)
    )
    for row in view["trace_info"]:
        row.pop("db_payload_generation")
    return {
        name: sorted(entries, key=lambda r: json.dumps(r, sort_keys=True)) for name, entries in view.items()
    }


def readers(server, rows, experiment_id, run_id):
    return sort_assessments(
        normalize(
            reader_view(server.uri, experiment_id=experiment_id, run_id=run_id),
            id_map(rows, experiment_id=experiment_id, run_id=run_id),
        )
    )


def rest_reference(server, make_experiment, count=ROWS):
    experiment_id, run_id = make_experiment()
    rows = make_rows(count, namespace=f"rest-{run_id}", experiment_id=experiment_id, run_id=run_id)
    write_rest(server.uri, rows, experiment_id=experiment_id, run_id=run_id)
    return tables(server, rows, experiment_id, run_id), readers(server, rows, experiment_id, run_id)


def assert_counts(view, rows):
    assert len(view["trace_info"]) == len(rows)
    assert len(view["assessments"]) == sum(len(r["trace_info"]["assessments"]) for r in rows)
    assert len(view["spans"]) == sum(len(r["spans"]) for r in rows)
    assert len(view["entity_associations"]) == len(rows)


def test_the_same_request_twice_is_one_write(server, make_experiment):
    reference_tables, reference_readers = rest_reference(server, make_experiment)
    experiment_id, run_id = make_experiment()
    rows = make_rows(ROWS, namespace=f"twice-{run_id}", experiment_id=experiment_id, run_id=run_id)
    assert write_batch(server.uri, rows, experiment_id=experiment_id, run_id=run_id) == {
        "traces": ROWS,
        "created": ROWS,
        "merged": 0,
    }
    once = tables(server, rows, experiment_id, run_id)
    assert write_batch(server.uri, rows, experiment_id=experiment_id, run_id=run_id) == {
        "traces": ROWS,
        "created": 0,
        "merged": ROWS,
    }
    twice = tables(server, rows, experiment_id, run_id)
    assert_counts(twice, rows)
    assert twice == once
    assert twice == reference_tables
    assert readers(server, rows, experiment_id, run_id) == reference_readers


def test_overlapping_batches_merge(server, make_experiment):
    reference_tables, reference_readers = rest_reference(server, make_experiment)
    experiment_id, run_id = make_experiment()
    rows = make_rows(ROWS, namespace=f"overlap-{run_id}", experiment_id=experiment_id, run_id=run_id)
    first = write_batch(server.uri, rows[:8], experiment_id=experiment_id, run_id=run_id)
    second = write_batch(server.uri, rows[4:], experiment_id=experiment_id, run_id=run_id)
    assert first == {"traces": 8, "created": 8, "merged": 0}
    assert second == {"traces": 8, "created": 4, "merged": 4}
    view = tables(server, rows, experiment_id, run_id)
    assert_counts(view, rows)
    assert view == reference_tables
    assert readers(server, rows, experiment_id, run_id) == reference_readers


def test_a_batch_over_traces_the_rest_path_wrote(server, make_experiment):
    """Rows 0-3 fully written by the REST path, rows 4-7 only started (StartTraceV3, no spans, no
    link: a REST write cut short); the batch writer then writes rows 0-11."""
    reference_tables, reference_readers = rest_reference(server, make_experiment)
    experiment_id, run_id = make_experiment()
    rows = make_rows(ROWS, namespace=f"mixed-{run_id}", experiment_id=experiment_id, run_id=run_id)
    write_rest(server.uri, rows[:4], experiment_id=experiment_id, run_id=run_id)
    for row in rows[4:8]:
        requests.post(
            f"{server.uri}/api/3.0/mlflow/traces",
            json={"trace": {"trace_info": row["trace_info"]}},
            timeout=30,
        ).raise_for_status()
    answer = write_batch(server.uri, rows, experiment_id=experiment_id, run_id=run_id)
    assert answer == {"traces": ROWS, "created": 4, "merged": 8}
    view = tables(server, rows, experiment_id, run_id)
    assert_counts(view, rows)
    assert view == reference_tables
    assert readers(server, rows, experiment_id, run_id) == reference_readers


def test_concurrent_overlapping_batches(server, make_experiment):
    """Two clients send overlapping batches at the same moment (a retry racing the original): one
    transaction may meet the other's uncommitted insert; it retries and merges."""
    reference_tables, _ = rest_reference(server, make_experiment)
    experiment_id, run_id = make_experiment()
    rows = make_rows(ROWS, namespace=f"race-{run_id}", experiment_id=experiment_id, run_id=run_id)
    bodies = [
        batch_body(rows[:9], experiment_id=experiment_id, run_id=run_id),
        batch_body(rows[3:], experiment_id=experiment_id, run_id=run_id),
    ]
    answers: list[requests.Response] = []
    start = threading.Barrier(len(bodies))

    def send(body):
        start.wait()
        answers.append(post_batch(server.uri, body))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sum(a.json()["created"] for a in answers) == ROWS
    view = tables(server, rows, experiment_id, run_id)
    assert_counts(view, rows)
    assert view == reference_tables


def test_gzip_body(server, make_experiment):
    experiment_id, run_id = make_experiment()
    rows = make_rows(3, namespace=f"gzip-{run_id}", experiment_id=experiment_id, run_id=run_id)
    response = post_batch(
        server.uri, batch_body(rows, experiment_id=experiment_id, run_id=run_id), compress=True
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"traces": 3, "created": 3, "merged": 0}
    assert_counts(tables(server, rows, experiment_id, run_id), rows)
    assert requests.get(f"{server.uri}{BATCH_PATH}", timeout=10).status_code == 405


def _second_version(rows):
    """The same traces written again with other values: what a merge must carry over."""
    out = json.loads(json.dumps(rows))
    for index, row in enumerate(out):
        info = row["trace_info"]
        info["state"] = "OK"
        info["tags"]["split"] = f"retest-{index}"
        info["tags"]["reviewed"] = "yes"
        info["trace_metadata"]["mlflow.trace.tokenUsage"] = json.dumps(
            {"input_tokens": 7, "output_tokens": 1, "total_tokens": 8}
        )
        info["response_preview"] = f"second answer {index}"
        info["execution_duration"] = "0.500s"
        info["assessments"][1]["rationale"] = "reconsidered"
        info["assessments"][1]["feedback"] = {"value": "yes"}
        info["assessments"].append(
            {
                **{
                    k: info["assessments"][0][k]
                    for k in ("trace_id", "span_id", "create_time", "last_update_time")
                },
                "assessment_id": info["assessments"][0]["assessment_id"][:-4] + "beef",
                "assessment_name": "added_later",
                "source": {"source_type": "CODE", "source_id": "added_later"},
                "feedback": {"value": index},
            }
        )
        for span in row["spans"]:
            span["attributes"]["mlflow.spanOutputs"] = json.dumps({"answer": f"second {index}"})
            span["end_time_unix_nano"] += 250_000_000
    return out


def test_a_batch_over_traces_written_with_other_values(server, make_experiment):
    """Traces the REST path wrote, written again through the batch writer with changed state, tags,
    metadata, previews, assessments and spans, end as the REST path writing them again leaves them."""
    rest_experiment, rest_run = make_experiment()
    rest_rows = make_rows(
        ROWS, namespace=f"v1-rest-{rest_run}", experiment_id=rest_experiment, run_id=rest_run
    )
    write_rest(server.uri, rest_rows, experiment_id=rest_experiment, run_id=rest_run)
    rest_v2 = _second_version(rest_rows)
    write_rest(server.uri, rest_v2, experiment_id=rest_experiment, run_id=rest_run)

    experiment_id, run_id = make_experiment()
    rows = make_rows(ROWS, namespace=f"v1-batch-{run_id}", experiment_id=experiment_id, run_id=run_id)
    write_rest(server.uri, rows, experiment_id=experiment_id, run_id=run_id)
    before = tables(server, rows, experiment_id, run_id)
    rows_v2 = _second_version(rows)
    answer = write_batch(server.uri, rows_v2, experiment_id=experiment_id, run_id=run_id)
    assert answer == {"traces": ROWS, "created": 0, "merged": ROWS}

    view = tables(server, rows_v2, experiment_id, run_id)
    assert view != before
    assert len(view["assessments"]) == 4 * ROWS
    assert view == tables(server, rest_v2, rest_experiment, rest_run)
    assert readers(server, rows_v2, experiment_id, run_id) == readers(
        server, rest_v2, rest_experiment, rest_run
    )
