"""mlflow.genai.evaluate() on the rows of bench/mlflow.mjs: a predict_fn calling the loopback latency
server with the openai client (traced by mlflow.openai.autolog, so each trace has a root span and a
chat span with token usage, as judgeflow's have) and one code scorer, exact match.

    python evaluate_predict.py ROWS.jsonl BASE_URL RESULT.json [--no-autolog]

Worker and rate-limit settings come from the environment (MLFLOW_GENAI_EVAL_*), set by the caller.
Writes {evaluate_s, run_id, experiment_id, rows, metrics} to RESULT.json.
"""

import json
import sys
import time

import mlflow
from mlflow.genai.scorers import scorer
from openai import OpenAI


def main() -> None:
    rows_file, base_url, result_file = sys.argv[1:4]
    autolog = "--no-autolog" not in sys.argv[4:]
    with open(rows_file, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    data = [{"inputs": r["inputs"], "expectations": r["expectations"]} for r in rows]

    # One client for all worker threads: httpx's pool is thread-safe (up to 1000 connections).
    client = OpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=60)
    if autolog:
        mlflow.openai.autolog()

    def predict_fn(question: str) -> str:
        response = client.chat.completions.create(
            model="latency",
            messages=[{"role": "user", "content": question}],
            max_tokens=16,
        )
        return response.choices[0].message.content

    @scorer
    def exact_match(outputs, expectations) -> bool:
        return outputs == expectations["expected_response"]

    experiment_id = mlflow.set_experiment("bench-python").experiment_id
    started = time.perf_counter()
    result = mlflow.genai.evaluate(data=data, predict_fn=predict_fn, scorers=[exact_match])
    evaluate_s = time.perf_counter() - started
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(
            {
                "evaluate_s": evaluate_s,
                "run_id": result.run_id,
                "experiment_id": experiment_id,
                "rows": len(data),
                "metrics": result.metrics,
            },
            f,
        )


if __name__ == "__main__":
    main()
