"""A stand-in for judgeflow's Node worker that can fail on demand (the real one cannot): it speaks the
bridge protocol over stdin/stdout, and its behaviour is chosen by ``FAKE_WORKER_MODE``:

- ``ok`` (default): answers the hello with ``ready``; answers each row with a result carrying its id.
  A row whose id starts with ``hold`` is answered only after the next row, so answers arrive out of
  order; a row with id ``crash`` makes the worker exit with code 9 (after a line on stderr).
- ``exit``: writes to stderr and exits with code 3 during start-up.
- ``fatal``: answers the hello with a ``fatal`` line.
- ``garbage``: answers the hello with a line that is not JSON.
- ``silent``: never answers the hello.
"""

import json
import os
import sys


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    mode = os.environ.get("FAKE_WORKER_MODE", "ok")
    hello = json.loads(sys.stdin.readline())
    if mode == "exit":
        sys.stderr.write("fake worker: cannot load the scorers module\n")
        sys.stderr.flush()
        sys.exit(3)
    if mode == "fatal":
        send({"type": "fatal", "code": "worker_start", "message": "cannot build the pipeline"})
        return
    if mode == "garbage":
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
        sys.stdin.read()  # like the real worker: exit when stdin closes
        return
    if mode == "silent":
        sys.stdin.read()
        return
    send({"type": "ready", "pid": os.getpid(), "judgeflow_version": hello.get("judgeflow_version", "test")})
    held = []
    for line in sys.stdin:
        row = json.loads(line)
        row_id = row["id"]
        if row_id == "crash":
            sys.stderr.write("fake worker: crashing on purpose\n")
            sys.stderr.flush()
            os._exit(9)
        if row_id.startswith("hold"):
            held.append(row_id)
            continue
        send({"type": "result", "id": row_id, "worker_pid": os.getpid()})
        while held:
            send({"type": "result", "id": held.pop(), "worker_pid": os.getpid()})


if __name__ == "__main__":
    main()
