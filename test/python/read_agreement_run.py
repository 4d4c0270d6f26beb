"""Reads a `judgeflow agreement` run back with the `mlflow` Python package, as a user would, and
prints it as JSON: the run's name, status, metrics and tags, the `agreement_cases.json` table
(through `mlflow.load_table`) and the run's traces (through `mlflow.search_traces`) with their
assessments (name, kind, value, source type) and tags.

Usage: python read_agreement_run.py <tracking-uri> <run-id>
"""

import json
import sys

import mlflow
from mlflow import MlflowClient


def assessment(a):
    if a.feedback is not None:
        return {"name": a.name, "kind": "feedback", "value": a.feedback.value,
                "error": a.feedback.error is not None, "source_type": a.source.source_type}
    return {"name": a.name, "kind": "expectation", "value": a.expectation.value,
            "error": False, "source_type": a.source.source_type}


def main() -> None:
    tracking_uri, run_id = sys.argv[1:3]
    mlflow.set_tracking_uri(tracking_uri)
    run = MlflowClient().get_run(run_id)
    # load_table searches the active experiment, as a user working in it would.
    mlflow.set_experiment(experiment_id=run.info.experiment_id)
    table = mlflow.load_table("agreement_cases.json", run_ids=[run_id])
    traces = mlflow.search_traces(locations=[run.info.experiment_id], run_id=run_id, return_type="list")
    print(json.dumps({
        "run_name": run.info.run_name,
        "status": run.info.status,
        "metrics": run.data.metrics,
        "tags": {k: v for k, v in run.data.tags.items() if k.startswith(("mlflow.logged", "judgeflow."))},
        "table": {"columns": [c for c in table.columns if c != "run_id"],
                  "ids": [str(x) for x in table["id"].tolist()]},
        "traces": sorted(
            [{"request_id": t.info.tags.get("mlflow.eval.requestId"),
              "borderline": t.info.tags.get("borderline"),
              "assessments": sorted((assessment(a) for a in t.info.assessments), key=lambda a: a["name"])}
             for t in traces],
            key=lambda t: t["request_id"] or ""),
    }))


if __name__ == "__main__":
    main()
