"""Stands in for ``python -m judgeflow_lmeval shard`` in test_bench_ray.py (copied there as the
package's __main__.py): writes ``<out>/<id>.pkl`` holding (id, attempt) and answers like the real one.

What it does depends on the shard's ``behaviour`` (an extra field the real package ignores):
``kill-worker-once`` SIGKILLs its parent (the Ray worker) on the first attempt, ``kill-self-once``
SIGKILLs itself on the first attempt, ``user-error`` answers an unknown_task error (exit 2),
``crash`` exits 1 with a message on stderr. Attempts are counted in files under the shard's ``marker``.
"""

import argparse
import json
import os
import pickle
import signal
import sys

parser = argparse.ArgumentParser()
parser.add_argument("command")
parser.add_argument("--request")
parser.add_argument("--out")
args = parser.parse_args()
with open(args.request) as handle:
    request = json.load(handle)
(shard,) = request["shards"]
marker = shard.get("marker")
attempt = 1
if marker:
    os.makedirs(marker, exist_ok=True)
    attempt = len(os.listdir(marker)) + 1
    open(os.path.join(marker, f"attempt-{attempt}"), "w").close()
behaviour = shard.get("behaviour")
if behaviour == "kill-worker-once" and attempt == 1:
    os.kill(os.getppid(), signal.SIGKILL)
    signal.pause()
if behaviour == "kill-self-once" and attempt == 1:
    os.kill(os.getpid(), signal.SIGKILL)
if behaviour == "user-error":
    print(json.dumps({"error": {"code": "unknown_task", "message": f"unknown task {shard['task']!r}",
                                "task": shard["task"], "suggestions": []}}))
    sys.exit(2)
if behaviour == "crash":
    print("Traceback: something broke in the shard", file=sys.stderr)
    print(json.dumps({"error": {"code": "internal_error", "message": "RuntimeError: something broke"}}))
    sys.exit(1)
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, f"{shard['id']}.pkl"), "wb") as handle:
    pickle.dump({"id": shard["id"], "attempt": attempt, "include_paths": request.get("include_paths")}, handle)
record = {"id": shard["id"], "task": shard["task"], "start": shard["start"], "end": shard["end"],
          "docs": shard["end"] - shard["start"], "requests": 3, "seconds": 0.01}
print("lm-eval chatter on stdout goes elsewhere in the real package; the answer is the last line")
print(json.dumps({"shards": [record]}))
