"""How an evaluation run links its model under test (MLflow LoggedModel), read with the `mlflow`
Python package and printed as JSON, for judgeflow's run and for `mlflow.genai.evaluate(model_id=...)`:

- the run's inputs: dataset inputs and model inputs (`models: [{model_id}]` of log-inputs)
- the LoggedModel: name, status, tags, params, source run, and its metrics (run, dataset)
- the traces: which trace-metadata key holds the model id, and `search_traces(model_id=...)`

Usage:
  python logged_model_layout.py read <tracking-uri> <run-id>
  python logged_model_layout.py reference <tracking-uri> <experiment-name>
      (runs mlflow.genai.evaluate(model_id=...) on a tiny dataset first, then reads that run)
"""

import json
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.genai.scorers import scorer


def layout(run_id: str) -> dict:
    client = MlflowClient()
    run = client.get_run(run_id)
    model_ids = [m.model_id for m in (run.inputs.model_inputs or [])]
    models = {}
    for model_id in model_ids:
        model = mlflow.get_logged_model(model_id)
        models[model_id] = {
            "name": model.name,
            "experiment_id": model.experiment_id,
            "status": str(model.status),
            "source_run_id": model.source_run_id,
            "model_type": model.model_type,
            "tags": model.tags,
            "params": model.params,
            "metrics": sorted(
                [
                    {
                        "key": m.key,
                        "value": m.value,
                        "run_id": m.run_id,
                        "model_id": m.model_id,
                        "dataset_name": m.dataset_name,
                        "dataset_digest": m.dataset_digest,
                        "step": m.step,
                    }
                    for m in model.metrics or []
                ],
                key=lambda m: (m["key"], m["run_id"] or ""),
            ),
        }
    traces = mlflow.search_traces(
        locations=[run.info.experiment_id], run_id=run_id, return_type="list"
    )
    by_model = {
        model_id: sorted(
            t.info.trace_id
            for t in mlflow.search_traces(
                locations=[run.info.experiment_id], model_id=model_id, return_type="list"
            )
        )
        for model_id in model_ids
    }
    searched = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id], output_format="list"
    )
    return {
        "run_id": run_id,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "tags": {k: v for k, v in run.data.tags.items() if k.startswith(("judgeflow.", "mlflow.runType"))},
        "metrics": run.data.metrics,
        "dataset_inputs": [
            {"name": d.dataset.name, "digest": d.dataset.digest, "tags": {t.key: t.value for t in d.tags}}
            for d in run.inputs.dataset_inputs
        ],
        "model_inputs": model_ids,
        "models": models,
        "trace_model_keys": sorted(
            {k for t in traces for k, v in t.info.trace_metadata.items() if v in model_ids}
        ),
        "trace_ids": sorted(t.info.trace_id for t in traces),
        "traces_by_model": by_model,
        "searched_models": sorted(
            [{"model_id": m.model_id, "name": m.name, "tags": m.tags} for m in searched],
            key=lambda m: m["model_id"],
        ),
    }


def reference(experiment: str) -> str:
    mlflow.set_experiment(experiment)
    model = mlflow.create_external_model(name="python-reference")
    capitals = {"France": "Paris", "Japan": "Tokyo"}

    def predict(country: str) -> str:
        return capitals.get(country, "unknown")

    @scorer
    def exact(outputs, expectations) -> bool:
        return outputs == expectations["expected_response"]

    result = mlflow.genai.evaluate(
        data=[
            {"inputs": {"country": "France"}, "expectations": {"expected_response": "Paris"}},
            {"inputs": {"country": "Japan"}, "expectations": {"expected_response": "Kyoto"}},
        ],
        predict_fn=predict,
        scorers=[exact],
        model_id=model.model_id,
    )
    return result.run_id


def main() -> None:
    mode, tracking_uri, arg = sys.argv[1:4]
    mlflow.set_tracking_uri(tracking_uri)
    run_id = reference(arg) if mode == "reference" else arg
    print(json.dumps(layout(run_id)))


if __name__ == "__main__":
    main()
