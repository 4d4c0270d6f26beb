"""Reference run for the MLflow cross-check: `mlflow.genai.evaluate()` on the same rows and the same
code scorers that the TypeScript test logs through judgeflow's MLflow sink.

Usage: python reference_evaluate.py <tracking-uri> <experiment-name> <data.jsonl>
Prints one JSON line: {"run_id": ..., "experiment_id": ..., "metrics": {...}}.

The scorers mirror `test/integration/mlflow-crosscheck.test.ts`: keep the two in step.
"""

import json
import sys

import mlflow
from mlflow.entities import AssessmentSource, AssessmentSourceType, Feedback
from mlflow.genai.scorers import scorer


@scorer
def exact_match(outputs, expectations):
    return outputs == expectations["expected_response"]


@scorer
def answer_length(outputs):
    return len(outputs)


@scorer
def verdict(outputs, expectations):
    return "yes" if outputs == expectations["expected_response"] else "no"


@scorer
def judged(inputs, outputs):
    score = 1.0 if "?" in inputs["question"] else 0.5
    return Feedback(
        name="judged",
        value=score,
        rationale=f"question mark present: {score == 1.0}",
        source=AssessmentSource(source_type=AssessmentSourceType.CODE, source_id="judged"),
    )


@scorer
def always_fails(outputs):
    raise ValueError("boom")


def main() -> None:
    tracking_uri, experiment_name, data_path = sys.argv[1:4]
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment_name)
    rows = []
    with open(data_path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                row.pop("id", None)
                rows.append(row)
    result = mlflow.genai.evaluate(
        data=rows,
        scorers=[exact_match, answer_length, verdict, judged, always_fails],
    )
    run = mlflow.get_run(result.run_id)
    print(
        json.dumps({
            "run_id": result.run_id,
            "experiment_id": run.info.experiment_id,
            "metrics": result.metrics,
        })
    )


if __name__ == "__main__":
    main()
