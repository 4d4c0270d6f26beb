"""Reads what an evaluation run holds, with the `mlflow` Python package, and prints it as JSON:
the run's status and metrics, its results table (through `mlflow.load_table`, as a user reads it)
and the traces linked to it (through `mlflow.search_traces`), with their assessment names.

Usage: python read_run_results.py <tracking-uri> <run-id>
"""

import json
import sys

import mlflow
from mlflow import MlflowClient


def main() -> None:
    tracking_uri, run_id = sys.argv[1:3]
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient()
    run = client.get_run(run_id)
    # load_table searches the active experiment, as a user working in it would.
    mlflow.set_experiment(experiment_id=run.info.experiment_id)
    table = mlflow.load_table("eval_results_table.json", run_ids=[run_id])
    traces = mlflow.search_traces(
        locations=[run.info.experiment_id], run_id=run_id, return_type="list"
    )
    print(
        json.dumps(
            {
                "status": run.info.status,
                "metrics": run.data.metrics,
                "tags": {k: v for k, v in run.data.tags.items() if k.startswith(("mlflow.logged", "judgeflow."))},
                "table": {
                    "columns": list(table.columns),
                    "request_ids": [str(x) for x in table["request_id"].tolist()],
                    "trace_ids": [x for x in table["trace_id"].tolist() if isinstance(x, str)],
                },
                "traces": sorted(
                    [
                        {
                            "trace_id": t.info.trace_id,
                            "request_id": t.info.tags.get("mlflow.eval.requestId"),
                            "assessments": sorted(a.name for a in t.info.assessments),
                            "spans": len(t.data.spans),
                        }
                        for t in traces
                    ],
                    key=lambda t: t["trace_id"],
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
