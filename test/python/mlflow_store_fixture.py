"""Fills an MLflow tracking server with one of everything a judgeflow user keeps in it, and reads it all
back as normalized JSON — so a test can migrate a store and compare what a client sees before and after.

    MLFLOW_TRACKING_URI=http://... python mlflow_store_fixture.py populate
    MLFLOW_TRACKING_URI=http://... python mlflow_store_fixture.py dump

populate: two experiments (with tags); in each, runs with params, metrics (several steps), tags, a
dataset input and a text artifact; traces made inside a run (3 spans each, linked to the run), with
feedback and expectation assessments, plus one trace linked to a second run with link_traces_to_run;
an evaluation dataset with records and a tag; a registered prompt with two versions and an alias.
Prints {"experiments": [...], "runs": [...], "traces": [...], "dataset_id": ..., "prompt": ...}.

dump: everything listed above, read through the public client API, sorted, as one JSON line.
"""

import json
import os
import sys
import tempfile

# Traces are exported synchronously, so assessments can be logged on them right away.
os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import AssessmentSource, AssessmentSourceType  # noqa: E402

PROMPT = "store-migration-prompt"
DATASET = "store-migration-dataset"


def populate() -> None:
    client = MlflowClient()
    experiments, runs, traces = [], [], []
    for e in range(2):
        experiment_id = client.create_experiment(f"migration-{e}", tags={"team": "evals", "index": str(e)})
        experiments.append(experiment_id)
        mlflow.set_experiment(experiment_id=experiment_id)
        for r in range(2):
            with mlflow.start_run(run_name=f"run-{e}-{r}") as run:
                runs.append(run.info.run_id)
                mlflow.log_params({"model": "gemma-3-270m", "temperature": "0.2", "row_limit": str(10 * (r + 1))})
                for step in range(3):
                    mlflow.log_metric("accuracy", 0.5 + 0.1 * step + r / 100, step=step)
                mlflow.log_metric("latency_ms/mean", 120.5 + r)
                mlflow.set_tags({"mlflow.runType": "genai_evaluate", "judgeflow.suite": f"suite-{e}"})
                frame = pd.DataFrame({"question": [f"q{i}" for i in range(5)], "answer": [f"a{i}" for i in range(5)]})
                mlflow.log_input(mlflow.data.from_pandas(frame, name=f"questions-{e}-{r}"), context="evaluation")
                with tempfile.TemporaryDirectory() as folder:
                    note = os.path.join(folder, "notes.txt")
                    with open(note, "w") as handle:
                        handle.write(f"notes of run {e}-{r}\n")
                    mlflow.log_artifact(note)
                for t in range(2):
                    with mlflow.start_span(name="row", span_type="CHAIN") as root:
                        root.set_inputs({"question": f"question {e}-{r}-{t}?"})
                        with mlflow.start_span(name="model", span_type="LLM") as model:
                            model.set_inputs({"messages": [{"role": "user", "content": f"q {t}"}]})
                            model.set_outputs({"content": f"a {t}"})
                            model.set_attribute("usage", {"input_tokens": 12, "output_tokens": 3})
                        with mlflow.start_span(name="judge", span_type="EVALUATOR") as judge:
                            judge.set_inputs({"outputs": f"a {t}"})
                            judge.set_outputs({"verdict": "yes"})
                        root.set_outputs(f"answer {e}-{r}-{t}")
                        trace_id = root.trace_id
                    traces.append(trace_id)
                    mlflow.log_expectation(
                        trace_id=trace_id,
                        name="expected_response",
                        value=f"answer {e}-{r}-{t}",
                        source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="reviewer"),
                    )
                    mlflow.log_feedback(
                        trace_id=trace_id,
                        name="correctness",
                        value=t == 0,
                        rationale=f"rationale {t}",
                        source=AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id="gemma"),
                    )
    # A trace linked to a second run explicitly (what judgeflow's link-to-run does).
    client.link_traces_to_run([traces[0]], run_id=runs[1])

    dataset = mlflow.genai.datasets.create_dataset(name=DATASET, experiment_id=experiments, tags={"source": "fixture"})
    dataset.merge_records(
        [
            {"inputs": {"question": f"dataset q{i}"}, "expectations": {"expected_response": f"dataset a{i}"}}
            for i in range(4)
        ]
    )

    mlflow.genai.register_prompt(name=PROMPT, template="Answer {{ question }} briefly.", commit_message="first")
    second = mlflow.genai.register_prompt(name=PROMPT, template="Answer {{ question }} in one word.")
    mlflow.genai.set_prompt_alias(name=PROMPT, alias="production", version=second.version)

    print(
        json.dumps(
            {
                "experiments": experiments,
                "runs": runs,
                "traces": traces,
                "dataset_id": dataset.dataset_id,
                "prompt": f"prompts:/{PROMPT}@production",
            }
        )
    )


def assessment_dict(assessment) -> dict:
    out = {
        "id": assessment.assessment_id,
        "name": assessment.name,
        "source": [assessment.source.source_type, assessment.source.source_id],
        "rationale": assessment.rationale,
        "create_time_ms": assessment.create_time_ms,
        "span_id": assessment.span_id,
        "run_id": assessment.run_id,
    }
    if assessment.feedback is not None:
        out["feedback"] = assessment.feedback.value
    if assessment.expectation is not None:
        out["expectation"] = assessment.expectation.value
    return out


def span_dict(span) -> dict:
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "type": span.span_type,
        "start": span.start_time_ns,
        "end": span.end_time_ns,
        "inputs": span.inputs,
        "outputs": span.outputs,
        "attributes": span.attributes,
        "status": str(span.status.status_code),
    }


def dump() -> None:
    client = MlflowClient()
    out: dict = {"experiments": [], "runs": [], "traces": [], "run_traces": {}}
    experiments = sorted(client.search_experiments(), key=lambda e: int(e.experiment_id))
    for experiment in experiments:
        out["experiments"].append(
            {
                "id": experiment.experiment_id,
                "name": experiment.name,
                "artifact_location": experiment.artifact_location,
                "lifecycle_stage": experiment.lifecycle_stage,
                "tags": experiment.tags,
                "creation_time": experiment.creation_time,
            }
        )
        for run in client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"]):
            metrics = {
                key: [(m.step, m.value, m.timestamp) for m in client.get_metric_history(run.info.run_id, key)]
                for key in sorted(run.data.metrics)
            }
            artifacts = sorted(a.path for a in client.list_artifacts(run.info.run_id))
            notes = None
            if "notes.txt" in artifacts:
                with tempfile.TemporaryDirectory() as folder:
                    with open(client.download_artifacts(run.info.run_id, "notes.txt", folder)) as handle:
                        notes = handle.read()
            out["runs"].append(
                {
                    "id": run.info.run_id,
                    "experiment_id": run.info.experiment_id,
                    "name": run.info.run_name,
                    "status": run.info.status,
                    "start_time": run.info.start_time,
                    "end_time": run.info.end_time,
                    "artifact_uri": run.info.artifact_uri,
                    "params": run.data.params,
                    "metrics": metrics,
                    "tags": run.data.tags,
                    "inputs": sorted(
                        (
                            {
                                "name": d.dataset.name,
                                "digest": d.dataset.digest,
                                "source_type": d.dataset.source_type,
                                "schema": d.dataset.schema,
                                "profile": d.dataset.profile,
                                "tags": {t.key: t.value for t in d.tags},
                            }
                            for d in (run.inputs.dataset_inputs if run.inputs else [])
                        ),
                        key=lambda d: d["name"],
                    ),
                    "artifacts": artifacts,
                    "notes": notes,
                }
            )
            linked = client.search_traces(locations=[experiment.experiment_id], run_id=run.info.run_id)
            out["run_traces"][run.info.run_id] = sorted(t.info.trace_id for t in linked)
        for trace in client.search_traces(locations=[experiment.experiment_id], max_results=500):
            info = trace.info
            out["traces"].append(
                {
                    "id": info.trace_id,
                    "experiment_id": experiment.experiment_id,
                    "request_time": info.request_time,
                    "state": str(info.state),
                    "metadata": info.trace_metadata,
                    "tags": info.tags,
                    "assessments": sorted((assessment_dict(a) for a in info.assessments), key=lambda a: a["name"]),
                    "spans": sorted((span_dict(s) for s in trace.data.spans), key=lambda s: s["span_id"]),
                }
            )
    out["traces"].sort(key=lambda t: t["id"])

    out["datasets"] = []
    for dataset in mlflow.genai.datasets.search_datasets():
        records = dataset.to_df().sort_values("inputs", key=lambda s: s.map(json.dumps))
        out["datasets"].append(
            {
                "id": dataset.dataset_id,
                "name": dataset.name,
                "tags": dataset.tags,
                "experiment_ids": sorted(dataset.experiment_ids),
                "records": json.loads(records[["inputs", "expectations"]].to_json(orient="records")),
            }
        )

    prompt = mlflow.genai.load_prompt(f"prompts:/{PROMPT}@production")
    out["prompt"] = {
        "name": prompt.name,
        "version": prompt.version,
        "template": prompt.template,
        "aliases": sorted(prompt.aliases),
        "versions": sorted(
            (v.version, v.template, v.commit_message)
            for v in (mlflow.genai.load_prompt(f"prompts:/{PROMPT}/{n}") for n in (1, 2))
        ),
    }
    print(json.dumps(out, sort_keys=True, default=str))


if __name__ == "__main__":
    {"populate": populate, "dump": dump}[sys.argv[1]]()
