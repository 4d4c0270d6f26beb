"""mlflow.genai.evaluate() with one LLM judge per row over recorded outputs, for bench/judges.mjs:
a Guidelines judge whose model (`openai:/...`) is pointed at the loopback latency server through
OPENAI_API_BASE / OPENAI_BASE_URL (set by the caller, with a dummy OPENAI_API_KEY).

    python evaluate_judge.py ROWS.jsonl MODEL_URI RESULT.json

Worker and rate-limit settings come from the environment (MLFLOW_GENAI_EVAL_*), set by the caller.
Writes {evaluate_s, run_id, experiment_id, rows, metrics, values} to RESULT.json, where `values`
counts the judge's feedback values (an error feedback counts as "error").
"""

import json
import sys
import time
from collections import Counter

import mlflow
from mlflow.genai.scorers import Guidelines


def main() -> None:
    rows_file, model_uri, result_file = sys.argv[1:4]
    with open(rows_file, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    # Expectations too: judgeflow logs them as HUMAN assessments, so both write the same per row.
    data = [
        {"inputs": r["inputs"], "outputs": r["outputs"], "expectations": r["expectations"]}
        for r in rows
    ]
    judge = Guidelines(name="is_concise", guidelines="The answer is under 100 words.", model=model_uri)

    experiment_id = mlflow.set_experiment("bench-judges-python").experiment_id
    started = time.perf_counter()
    result = mlflow.genai.evaluate(data=data, scorers=[judge])
    evaluate_s = time.perf_counter() - started

    values: Counter[str] = Counter()
    table = result.result_df
    column = "is_concise/value"
    if table is not None and column in table.columns:
        for value in table[column]:
            values["error" if value is None else str(value)] += 1
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(
            {
                "evaluate_s": evaluate_s,
                "run_id": result.run_id,
                "experiment_id": experiment_id,
                "rows": len(data),
                "metrics": result.metrics,
                "values": dict(values),
            },
            f,
        )


if __name__ == "__main__":
    main()
