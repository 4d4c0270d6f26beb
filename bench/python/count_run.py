"""What an evaluation run left in MLflow: its status, its traces (linked to the run) and their
assessments by kind — the check that every write of a benchmarked run really landed.

    MLFLOW_TRACKING_URI=... python count_run.py RUN_ID

Prints {status, traces, feedbacks, expectations, spans, feedback_names, metrics} as JSON (spans read
with the traces, as a user's `search_traces` reads them).
"""

import json
import sys
from collections import Counter

from mlflow import MlflowClient


def main() -> None:
    run_id = sys.argv[1]
    client = MlflowClient()
    run = client.get_run(run_id)
    traces = 0
    feedbacks = 0
    expectations = 0
    spans = 0
    names: Counter[str] = Counter()
    page_token = None
    while True:
        page = client.search_traces(
            locations=[run.info.experiment_id],
            run_id=run_id,
            max_results=500,
            page_token=page_token,
            include_spans=True,
        )
        for trace in page:
            traces += 1
            spans += len(trace.data.spans)
            for assessment in trace.info.assessments or []:
                if assessment.feedback is not None:
                    feedbacks += 1
                    names[assessment.name] += 1
                elif assessment.expectation is not None:
                    expectations += 1
        page_token = page.token
        if not page_token:
            break
    print(
        json.dumps(
            {
                "status": run.info.status,
                "traces": traces,
                "feedbacks": feedbacks,
                "expectations": expectations,
                "spans": spans,
                "feedback_names": dict(names),
                "metrics": run.data.metrics,
            }
        )
    )


if __name__ == "__main__":
    main()
