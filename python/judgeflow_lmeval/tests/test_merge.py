"""Shards → merge gives exactly what lm-eval's own simple_evaluate gives for an unsharded run."""

import json
import os

import pytest
from fake_lm import FakeLM

from judgeflow_lmeval.errors import UserError
from judgeflow_lmeval.merge import merge, merge_results, read_shards
from judgeflow_lmeval.request import parse_request
from judgeflow_lmeval.shard import run_shards
from judgeflow_lmeval.tasks import BUNDLED_TASKS

SEED = 1234
COMPARED = ("results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples")
MC, GEN, IFEVAL = "judgeflow_basics_mc", "judgeflow_arithmetic_gen", "judgeflow_ifeval"


TEST_TASKS = os.path.join(os.path.dirname(__file__), "tasks")


def reference(tasks, include_paths=(), **options):
    """lm-eval's own unsharded run (simple_evaluate with the fake model, one seed everywhere)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from judgeflow_lmeval.environment import seed_langdetect

    seed_langdetect()
    return simple_evaluate(
        model=FakeLM(),
        tasks=tasks,
        task_manager=TaskManager(include_path=[*include_paths, BUNDLED_TASKS], include_defaults=False, metadata={}),
        random_seed=SEED,
        numpy_random_seed=SEED,
        torch_random_seed=SEED,
        fewshot_random_seed=SEED,
        log_samples=True,
        **options,
    )


def request_for(tasks, shards, **fields):
    return parse_request({"tasks": tasks, "include_paths": [], "seed": SEED, "shards": shards, **fields})


def sharded(tmp_path, tasks, shards, **fields):
    request = request_for(tasks, shards, **fields)
    folder = tmp_path / "shards"
    lm = FakeLM()
    output = run_shards(request, str(folder), lm=lm)
    return request, folder, output, lm


def assert_same(merged, expected):
    for key in COMPARED:
        assert merged[key] == expected[key], key
    assert merged["samples"].keys() == expected["samples"].keys()
    for name in expected["samples"]:
        assert merged["samples"][name] == expected["samples"][name], name


@pytest.fixture(scope="module")
def expected_mc_gen():
    return reference([MC, GEN], num_fewshot=2, bootstrap_iters=1000)


@pytest.mark.parametrize(
    "ranges",
    [
        {MC: [(0, 24)], GEN: [(0, 24)]},
        {MC: [(0, 5), (5, 17), (17, 24)], GEN: [(0, 11), (11, 12), (12, 24)]},
    ],
    ids=["one-shard-each", "three-uneven-shards"],
)
def test_merged_shards_equal_lm_evals_unsharded_run(tmp_path, expected_mc_gen, ranges):
    shards = [
        {"id": f"{task}-{start}", "task": task, "start": start, "end": end}
        for task, spans in ranges.items()
        for start, end in reversed(spans)  # run out of order: the merge sorts by doc range
    ]
    request, folder, output, lm = sharded(tmp_path, [MC, GEN], shards, num_fewshot=2, bootstrap_iters=1000)

    assert [r["id"] for r in output["shards"]] == [s["id"] for s in shards]
    assert sum(r["docs"] for r in output["shards"]) == 48
    # 24 questions x 4 choices + 24 generations, each asked once
    assert sum(r["requests"] for r in output["shards"]) == lm.calls == 24 * 4 + 24
    merged = merge_results(request, read_shards(request, str(folder)))
    assert_same(merged, expected_mc_gen)
    # the numbers are not degenerate: the comparison means something
    mc = merged["results"][MC]
    assert 0 < mc["acc,none"] < 1 and mc["acc_stderr,none"] > 0
    assert 0 < merged["results"][GEN]["exact_match,none"] < 1
    # every doc has 2 few-shot examples, and they are not the same for all docs
    contexts = [s["arguments"][0][0] for s in merged["samples"][MC]]
    assert all(c.count("Question:") == 3 for c in contexts)
    assert len({c.split("\n\n")[0] for c in contexts}) > 1


def test_merge_command_writes_lm_evals_files(tmp_path, expected_mc_gen):
    shards = [{"id": "mc", "task": MC, "start": 0, "end": 24}, {"id": "gen", "task": GEN, "start": 0, "end": 24}]
    request, folder, _, _ = sharded(tmp_path, [MC, GEN], shards, num_fewshot=2, bootstrap_iters=1000)
    out = tmp_path / "out"
    answer = merge(request, str(folder), str(out))

    written = json.loads((out / "results.json").read_text())
    assert written == answer["results"]
    assert "samples" not in written
    assert written["lm_eval_version"] == "0.4.13"
    assert written["results"][MC]["acc,none"] == expected_mc_gen["results"][MC]["acc,none"]
    assert written["n-shot"] == {MC: 2, GEN: 2}
    assert set(written["task_hashes"]) == {MC, GEN}
    assert answer["samples_files"] == {MC: str(out / f"samples_{MC}.jsonl"), GEN: str(out / f"samples_{GEN}.jsonl")}
    lines = [json.loads(line) for line in open(answer["samples_files"][GEN], encoding="utf-8")]
    assert [line["doc_id"] for line in lines] == list(range(24))
    first = expected_mc_gen["samples"][GEN][0]
    assert lines[0]["arguments"]["gen_args_0"]["arg_0"] == first["arguments"][0][0]
    assert lines[0]["target"] == str(first["target"])
    assert lines[0]["exact_match"] == first["exact_match"]


def test_limit_is_lm_evals_limit(tmp_path):
    expected = reference([MC], num_fewshot=1, limit=10, bootstrap_iters=0)
    shards = [{"id": "a", "task": MC, "start": 0, "end": 4}, {"id": "b", "task": MC, "start": 4, "end": 10}]
    request, folder, _, _ = sharded(tmp_path, [MC], shards, num_fewshot=1, limit=10, bootstrap_iters=0)
    merged = merge_results(request, read_shards(request, str(folder)))
    assert_same(merged, expected)
    assert merged["n-samples"][MC] == {"original": 24, "effective": 10}


def test_groups_are_aggregated_by_lm_eval(tmp_path):
    expected = reference(["judgeflow_test_group"], include_paths=[TEST_TASKS], num_fewshot=1, bootstrap_iters=0)
    shards = [{"id": "mc-a", "task": MC, "start": 0, "end": 9}, {"id": "mc-b", "task": MC, "start": 9, "end": 24},
              {"id": "gen", "task": GEN, "start": 0, "end": 24}]
    request, folder, _, _ = sharded(
        tmp_path, ["judgeflow_test_group"], shards, include_paths=[TEST_TASKS], num_fewshot=1, bootstrap_iters=0
    )
    merged = merge_results(request, read_shards(request, str(folder)))
    assert_same(merged, expected)
    assert merged["groups"] == expected["groups"]
    assert merged["group_subtasks"] == {"judgeflow_test_group": [MC, GEN]}
    assert merged["results"]["judgeflow_test_group"]["acc,none"] == merged["results"][MC]["acc,none"]


@pytest.mark.skipif(
    not os.path.isfile(os.path.join(os.environ["JUDGEFLOW_SHARED_DATA"], "ifeval", "input_data.jsonl")),
    reason="the IFEval prompts are not in JUDGEFLOW_SHARED_DATA",
)
def test_ifeval_shards_equal_lm_evals_run(tmp_path):
    # lm-eval's ifeval metrics (an aggregation of its own, inst_level_*): 12 prompts in 2 shards
    expected = reference([IFEVAL], limit=12, bootstrap_iters=100)
    shards = [{"id": "b", "task": IFEVAL, "start": 7, "end": 12}, {"id": "a", "task": IFEVAL, "start": 0, "end": 7}]
    request, folder, _, _ = sharded(tmp_path, [IFEVAL], shards, limit=12, bootstrap_iters=100)
    merged = merge_results(request, read_shards(request, str(folder)))
    assert_same(merged, expected)
    assert set(merged["results"][IFEVAL]) >= {"prompt_level_strict_acc,none", "inst_level_loose_acc,none"}


@pytest.mark.parametrize(
    ("spans", "missing", "duplicated"),
    [
        ([(0, 5), (17, 24)], [[5, 17]], []),
        ([(0, 10), (8, 24)], [], [[8, 10]]),
        ([(0, 24), (3, 4)], [], [[3, 4]]),
    ],
    ids=["gap", "overlap", "doc-twice"],
)
def test_incomplete_shards_are_refused(tmp_path, spans, missing, duplicated):
    shards = [{"id": f"s{start}", "task": MC, "start": start, "end": end} for start, end in spans]
    request, folder, _, _ = sharded(tmp_path, [MC], shards, bootstrap_iters=0)
    with pytest.raises(UserError) as raised:
        merge_results(request, read_shards(request, str(folder)))
    error = raised.value
    assert (error.code, error.task) == ("shards_incomplete", MC)
    assert error.details == {"missing": missing, "duplicated": duplicated}
    assert MC in error.message


def test_missing_shard_file_shows_as_missing_docs(tmp_path):
    shards = [{"id": "a", "task": MC, "start": 0, "end": 12}, {"id": "b", "task": MC, "start": 12, "end": 24}]
    request, folder, _, _ = sharded(tmp_path, [MC], shards, bootstrap_iters=0)
    os.remove(folder / "b.pkl")
    with pytest.raises(UserError) as raised:
        merge_results(request, read_shards(request, str(folder)))
    assert raised.value.code == "shards_incomplete"
    assert raised.value.details["missing"] == [[12, 24]]


def test_shards_run_with_another_config_are_refused(tmp_path):
    shards = [{"id": "a", "task": MC, "start": 0, "end": 24}]
    _, folder, _, _ = sharded(tmp_path, [MC], shards, num_fewshot=2, bootstrap_iters=0)
    other = request_for([MC], shards, num_fewshot=3, bootstrap_iters=0)
    with pytest.raises(UserError) as raised:
        merge_results(other, read_shards(other, str(folder)))
    assert raised.value.code == "bad_request"
    assert "num_fewshot" in raised.value.message
