"""``judgeflow bench --executor ray``: one Ray task per shard, each running judgeflow_lmeval on a worker.

    python -m judgeflow_ray.bench --address ADDR|'' --workers N --lmeval-python PATH --python-path DIR \\
        --request FILE --out DIR [--cpus-per-shard C]

The request file is the ``shard`` command's (python/judgeflow_lmeval/README.md), all shards in it.
Each shard becomes one Ray task (``num_cpus`` C, at most N running at once) that runs
``<lmeval python> -m judgeflow_lmeval shard`` for that shard alone in a temporary folder on its
worker and returns the shard file's bytes, which this driver writes to ``DIR/<id>.pkl``.

On the worker, ``JUDGEFLOW_LMEVAL_PYTHON`` overrides ``--lmeval-python`` and
``JUDGEFLOW_LMEVAL_PYTHONPATH`` overrides ``--python-path`` (the worker image sets both: its paths are
not the driver's). judgeflow's own task folder is dropped from the request's include paths: the
worker's judgeflow_lmeval adds its own copy.

stdout (JSON lines, nothing else — fd 1 is reserved as in bridge.py):
  {"event": "connected", "address", "dashboard_url", "started_local", "ray_version"}
  {"event": "shard", "id", "task", "start", "end", "docs", "requests", "node", "seconds"}   per shard, once
  {"event": "done"}                                               exit 0
  {"event": "fatal", "error": {"code", "message", "task"?...}}    exit 2 (a user error from a shard,
                                                                  the judgeflow_lmeval error object) or 1
Faults: a Ray task is retried (``max_retries=2``) when its worker process dies, or when the shard
process is killed by a signal (OOM killer); the retry's file replaces the shard's, results are keyed
by shard id, so a shard is never counted twice.
"""

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time

LOG = logging.getLogger("judgeflow-bench")
MAX_RETRIES = 2
BUNDLED_TASKS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "data", "lm-eval-tasks"))


class ShardProcessDied(Exception):
    """The shard process was killed by a signal (retried like a dead worker)."""


class ShardFailed(Exception):
    """The shard process failed for a reason a retry would not fix."""


def _tail(text, limit=2000):
    return text[-limit:].strip()


def run_shard_on_worker(request_json, shard_id, lmeval_python, python_path):
    """The Ray task: runs one shard with the lmeval venv's python; returns its file's bytes."""
    python = os.environ.get("JUDGEFLOW_LMEVAL_PYTHON") or lmeval_python
    path = os.environ.get("JUDGEFLOW_LMEVAL_PYTHONPATH") or python_path
    node = socket.gethostname()
    try:
        import ray

        node = ray.util.get_node_ip_address() or node
    except Exception:  # outside Ray (tests of this function alone)
        pass
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (path, os.environ.get("PYTHONPATH")) if p))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="judgeflow-shard-") as folder:
        request_file = os.path.join(folder, "request.json")
        with open(request_file, "w", encoding="utf-8") as handle:
            handle.write(request_json)
        out = os.path.join(folder, "out")
        try:
            done = subprocess.run(
                [python, "-m", "judgeflow_lmeval", "shard", "--request", request_file, "--out", out],
                capture_output=True,
                text=True,
                env=env,
                cwd=folder,  # `-m` puts the working directory first on sys.path: nothing else there
            )
        except OSError as error:
            raise ShardFailed(
                f"cannot start the lmeval python {python} on {node}: {error.strerror or error} (install it there, "
                "or set JUDGEFLOW_LMEVAL_PYTHON on the workers)"
            ) from error
        if done.returncode < 0:
            raise ShardProcessDied(f"shard {shard_id} on {node}: killed by signal {-done.returncode}")
        answer = None
        for line in reversed(done.stdout.splitlines()):
            if line.strip():
                try:
                    answer = json.loads(line)
                except ValueError:
                    pass
                break
        if done.returncode == 2 and isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            return {"error": answer["error"]}
        if done.returncode != 0 or not isinstance(answer, dict) or not answer.get("shards"):
            message = (answer or {}).get("error", {}).get("message") if isinstance(answer, dict) else None
            raise ShardFailed(
                f"shard {shard_id} on {node} failed (exit {done.returncode}): {message or _tail(done.stderr) or 'no output'}"
            )
        with open(os.path.join(out, f"{shard_id}.pkl"), "rb") as handle:
            data = handle.read()
    record = answer["shards"][0]
    return {"pkl": data, "record": record, "node": node, "seconds": round(time.monotonic() - started, 3)}


def worker_request(request, shard):
    """The request one Ray task runs: this shard only, judgeflow's own task folder left to the worker."""
    paths = [p for p in request.get("include_paths") or [] if os.path.abspath(p) != BUNDLED_TASKS]
    return json.dumps(dict(request, include_paths=paths, shards=[shard]))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m judgeflow_ray.bench")
    parser.add_argument("--address", default="", help="auto, HOST:PORT or ray://HOST:PORT; '' = as ray.init()")
    parser.add_argument("--workers", type=int, required=True, help="shards running at once")
    parser.add_argument("--cpus-per-shard", type=float, default=1.0)
    parser.add_argument("--lmeval-python", required=True)
    parser.add_argument("--python-path", required=True, help="the folder holding judgeflow_lmeval")
    parser.add_argument("--request", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--probe-timeout", type=float, default=5.0)
    parser.add_argument("--local-auth-token-path")
    parser.add_argument("--namespace", default="judgeflow")
    args = parser.parse_args(argv)
    if args.workers < 1 or args.cpus_per_shard <= 0:
        parser.error("--workers must be at least 1 and --cpus-per-shard positive")
    args.address = args.address or None
    return args


class Fatal(Exception):
    def __init__(self, error, exit_code=1):
        super().__init__(error["message"])
        self.error = error
        self.exit_code = exit_code


def read_request(path):
    try:
        with open(path, encoding="utf-8") as handle:
            request = json.load(handle)
    except (OSError, ValueError) as error:
        raise Fatal({"code": "bad_request", "message": f"cannot read the request {path}: {error}"}, 2)
    shards = request.get("shards") if isinstance(request, dict) else None
    if not isinstance(shards, list) or not shards or not all(isinstance(s, dict) and s.get("id") for s in shards):
        raise Fatal({"code": "bad_request", "message": "the request needs 'shards': [{id, task, start, end}, ...]"}, 2)
    if len({s["id"] for s in shards}) != len(shards):
        raise Fatal({"code": "bad_request", "message": "shard ids must be unique"}, 2)
    return request


def write_shard(out_dir, shard_id, data):
    path = os.path.join(out_dir, f"{shard_id}.pkl")
    with open(f"{path}.partial", "wb") as handle:
        handle.write(data)
    os.replace(f"{path}.partial", path)


def run(args, out, ray):
    request = read_request(args.request)
    shards = request["shards"]
    os.makedirs(args.out, exist_ok=True)
    module = sys.modules[run_shard_on_worker.__module__]
    if module.__name__ != "__main__":
        # shipped by value (as the bridge's actor class): workers need no copy of judgeflow_ray
        ray.cloudpickle.register_pickle_by_value(module)
    task = ray.remote(run_shard_on_worker).options(
        num_cpus=args.cpus_per_shard,
        max_retries=MAX_RETRIES,
        retry_exceptions=[ShardProcessDied],
    )
    waiting = list(shards)
    running = {}
    done = set()
    try:
        schedule(args, out, ray, request, task, waiting, running, done)
    except Fatal:
        for ref in running:  # the run is over: do not leave shards running on the cluster
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass
        raise
    out.line({"event": "done"})


def schedule(args, out, ray, request, task, waiting, running, done):
    while waiting or running:
        while waiting and len(running) < args.workers:
            shard = waiting.pop(0)
            ref = task.remote(worker_request(request, shard), shard["id"], args.lmeval_python, args.python_path)
            running[ref] = shard
        ready, _ = ray.wait(list(running), num_returns=1)
        for ref in ready:
            shard = running.pop(ref)
            try:
                result = ray.get(ref)
            except Exception as error:
                cause = getattr(error, "cause", None) or error
                raise Fatal({"code": "shard_failed", "message": _first_line(cause), "task": shard.get("task")})
            if "error" in result:
                raise Fatal(result["error"], 2)
            if shard["id"] in done:
                continue  # never reported twice
            write_shard(args.out, shard["id"], result["pkl"])
            done.add(shard["id"])
            record = result["record"]
            out.line(
                {
                    "event": "shard",
                    "id": shard["id"],
                    "task": record.get("task"),
                    "start": record.get("start"),
                    "end": record.get("end"),
                    "docs": record.get("docs"),
                    "requests": record.get("requests"),
                    "node": result["node"],
                    "seconds": result["seconds"],
                }
            )


def _first_line(error):
    text = str(error).strip() or type(error).__name__
    lines = [line for line in text.splitlines() if line.strip()]
    # a RayTaskError's text starts with the task's traceback header; its last line is the cause
    return lines[-1].strip() if lines and "Traceback" in text else lines[0]


def main(argv=None):
    from judgeflow_ray.bridge import (
        ProtocolOut,
        dashboard_url_of,
        prepare_local_auth,
        probe_address,
        starts_local_head,
        stop_local_head,
    )
    from judgeflow_ray.dispatcher import Fatal as ConnectFatal

    args = parse_args(argv)
    out = ProtocolOut()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="judgeflow-bench: %(message)s")
    ray = None
    started_local = False
    try:
        try:
            import ray as ray_module
        except ImportError as error:
            raise Fatal({"code": "connect", "message": f"cannot import ray in {sys.executable}: {error}"})
        ray = ray_module
        try:
            probe_address(args.address, args.probe_timeout)
        except ConnectFatal as fatal:
            raise Fatal({"code": fatal.code, "message": fatal.message})
        started_local = starts_local_head(ray, args.address)
        if started_local:
            LOG.info("no Ray cluster given or running on this machine: starting a local Ray head for this run")
            prepare_local_auth(args.local_auth_token_path)
        try:
            context = ray.init(address=args.address, namespace=args.namespace, logging_level=logging.WARNING)
        except Exception as error:
            where = f"at {args.address}" if args.address else "(a local head)"
            raise Fatal({"code": "connect", "message": f"cannot connect to the Ray cluster {where}: {_first_line(error)}"})
        out.line(
            {
                "event": "connected",
                "address": (args.address if args.address not in (None, "auto") else None)
                or getattr(context, "address_info", {}).get("gcs_address")
                or "",
                "dashboard_url": dashboard_url_of(context),
                "started_local": started_local,
                "ray_version": getattr(ray, "__version__", ""),
            }
        )
        run(args, out, ray)
        return 0
    except Fatal as fatal:
        out.line({"event": "fatal", "error": fatal.error})
        LOG.error("%s", fatal.error.get("message"))
        return fatal.exit_code
    finally:
        if started_local:
            stop_local_head(ray, LOG)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
