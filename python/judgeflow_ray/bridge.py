"""judgeflow's Ray bridge: ``python -m judgeflow_ray.bridge --address ... --workers N --concurrency K ...``.

Started by the judgeflow CLI (``--executor ray``). It connects to a Ray cluster, starts N named async
actors (fractional CPU), each hosting one Node worker that runs judgeflow's per-row pipeline with K
rows in flight, and relays JSON lines:

  stdin  (from the CLI): hello, then row lines, then end (finish and exit) or abort (stop now)
  stdout (to the CLI):   connected | fatal, then ready | fatal, then result / notice lines as rows finish,
                         then done | fatal

Without --address it does what ``ray.init()`` does: it attaches to the Ray cluster started on this machine
by ``ray start``, or, when there is none, starts a local Ray head for this run alone — and stops it when
the run ends. An address where nothing listens fails at once (a TCP probe), not after Ray's own retries.

stdout carries nothing else: fd 1 is redirected to stderr at start-up (Ray prints worker logs to the
driver's stdout), and the protocol goes through a private duplicate of the original fd.

Dispatch, faults and restarts: dispatcher.py.

Faults: when a Node worker or a whole actor process dies, its unfinished rows are re-queued and the
worker is restarted (Ray restarts the actor; the actor respawns Node), at most ``--max-restarts``
times per worker; beyond that, or when a worker fails to start at all, the bridge prints a fatal line
and exits 1. Result lines are deduplicated by row id, so a row is reported once.
"""

import argparse
import json
import logging
import os
import queue
import secrets
import signal
import socket
import sys
import threading

from judgeflow_ray import PROTOCOL_VERSION
from judgeflow_ray.dispatcher import Aborted, Dispatcher, Fatal, first_line

LOG = logging.getLogger("judgeflow-bridge")
# Set by Ray's job supervisor for a job's entrypoint (and inherited by this bridge): ray.init() then
# picks up the job's runtime_env, whose working_dir every actor already shares.
JOB_CONFIG_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"


class ProtocolOut:
    """The bridge's stdout, reserved for protocol lines."""

    def __init__(self):
        self._fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._lock = threading.Lock()

    def line(self, message):
        self.raw(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def raw(self, data):
        if not data.endswith(b"\n"):
            data += b"\n"
        with self._lock:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]


def read_stdin(inbox):
    for line in sys.stdin.buffer:
        line = line.strip()
        if line:
            inbox.put(line)
    inbox.put(None)


def rewrite_base_dir(hello, working_dir, in_job):
    """Workers resolve a relative baseDir against their own working directory (where Ray unpacked it)."""
    plan = hello.get("plan") or {}
    base = plan.get("baseDir")
    if not isinstance(base, str):
        return hello
    anchor = os.getcwd() if in_job else working_dir
    if anchor is not None:
        relative = os.path.relpath(os.path.abspath(base), os.path.abspath(anchor))
        if not relative.startswith(".."):
            plan = dict(plan, baseDir=relative)
    return dict(hello, plan=plan)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m judgeflow_ray.bridge")
    parser.add_argument(
        "--address",
        default=None,
        help="auto, HOST:PORT, or ray://HOST:PORT; default: this machine's cluster, else a new local head",
    )
    parser.add_argument("--probe-timeout", type=float, default=5.0, help="seconds for the TCP probe of --address")
    parser.add_argument(
        "--local-auth-token-path",
        help="token file for a local head's token auth when the user has none (never ~/.ray/auth_token)",
    )
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True, help="rows in flight per worker (K)")
    parser.add_argument("--run-name", required=True)
    parser.add_argument("--worker-command", required=True, help="JSON array: the Node worker command")
    parser.add_argument("--num-cpus", type=float, default=0.25)
    parser.add_argument("--max-restarts", type=int, default=3)
    parser.add_argument("--start-timeout", type=float, default=180.0)
    parser.add_argument("--namespace", default="judgeflow")
    parser.add_argument("--working-dir", help="shipped as the Ray working_dir when not inside a Ray job")
    parser.add_argument("--exclude", action="append", default=[], help="working_dir exclude pattern")
    args = parser.parse_args(argv)
    args.worker_command = json.loads(args.worker_command)
    if args.workers < 1 or args.concurrency < 1:
        parser.error("--workers and --concurrency must be at least 1")
    return args


def probe_address(address, timeout_s):
    """Fails fast when nothing listens at HOST:PORT (ray.init would retry for many minutes)."""
    if address is None or address in ("auto", "local"):
        return
    target = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return  # ray.init reports a malformed address itself
    host = host.strip("[]") or "127.0.0.1"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as error:
        raise Fatal(
            "connect",
            f"nothing answers at {address} ({error.strerror or error}); start the Ray head there, or leave the "
            "address out to start a local one",
        )


def starts_local_head(ray, address):
    """True when ray.init(address) will start a new local head (no address and no cluster on this machine)."""
    if address is not None:
        return False
    try:
        from ray._private import services

        return services.canonicalize_bootstrap_address(None, None) is None
    except Exception:  # a private API: if it moved, say "attached" rather than guess wrong
        return False


def prepare_local_auth(token_path):
    """Token auth for a local head without touching ~/.ray/auth_token.

    A new local cluster turns token auth on, and ray.init() would save a generated token in
    ~/.ray/auth_token — after which every `ray start --head` on the machine requires it. The run's head
    gets its token from a file of judgeflow's own instead (created once, mode 0600), unless the user
    chose: RAY_AUTH_MODE set, or a token already available. Returns the token file in use, or None.
    """
    if os.environ.get("RAY_AUTH_MODE") is not None:
        return os.environ.get("RAY_AUTH_TOKEN_PATH")
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return os.environ.get("RAY_AUTH_TOKEN_PATH")
    if os.path.exists(os.path.join(os.path.expanduser("~"), ".ray", "auth_token")) or not token_path:
        return None
    if not os.path.exists(token_path):
        os.makedirs(os.path.dirname(token_path), exist_ok=True)
        fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    os.environ["RAY_AUTH_TOKEN_PATH"] = token_path
    return token_path


def stop_local_head(ray, log):
    """Stops the head this run started (ray.init would leave that to interpreter exit)."""
    if ray is None or not ray.is_initialized():
        return
    log.info("stopping the local Ray head")
    try:
        ray.shutdown(wait_for_processes=True)
    except TypeError:
        ray.shutdown()
    except Exception as error:
        log.warning("stopping the local Ray head: %s", first_line(error))


def dashboard_url_of(context):
    url = getattr(context, "dashboard_url", None) or ""
    if url and "://" not in url:
        url = f"http://{url}"
    return url


def main(argv=None):
    args = parse_args(argv)
    out = ProtocolOut()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="judgeflow-bridge: %(message)s")
    # Ctrl-C in the terminal is the CLI's to handle (it drains, then closes our stdin); SIGTERM stops now.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def on_term(_signum, _frame):
        raise Aborted()

    signal.signal(signal.SIGTERM, on_term)

    inbox = queue.Queue()
    threading.Thread(target=read_stdin, args=(inbox,), daemon=True).start()
    dispatcher = None
    ray = None
    started_local = False
    try:
        first = inbox.get()
        if first is None:
            return 130
        try:
            hello = json.loads(first)
        except ValueError:
            raise Fatal("protocol", f"expected a hello line first, got: {first[:200]!r}")
        if hello.get("type") != "hello":
            raise Fatal("protocol", f"expected a hello line first, got: {first[:200]!r}")
        if hello.get("protocol") != PROTOCOL_VERSION:
            raise Fatal(
                "version_mismatch",
                f"bridge speaks protocol {PROTOCOL_VERSION}, driver {hello.get('protocol')}; "
                "use the same judgeflow version on the driver and in the worker image",
            )
        try:
            import ray as ray_module
        except ImportError as error:
            raise Fatal("connect", f"cannot import ray in {sys.executable}: {error} (run `judgeflow setup`)")
        ray = ray_module
        in_job = JOB_CONFIG_ENV in os.environ
        probe_address(args.address, args.probe_timeout)
        started_local = starts_local_head(ray, args.address)
        init = dict(address=args.address, namespace=args.namespace, logging_level=logging.WARNING)
        if not in_job:
            init["job_config"] = ray.job_config.JobConfig(metadata={"job_name": f"judgeflow {args.run_name}"})
            if args.working_dir and not started_local:
                # a local head shares this machine's files: nothing to ship
                init["runtime_env"] = {"working_dir": args.working_dir, "excludes": args.exclude}
        token_path = None
        if started_local:
            LOG.info("no Ray cluster given or running on this machine: starting a local Ray head for this run")
            token_path = prepare_local_auth(args.local_auth_token_path)
        try:
            context = ray.init(**init)
        except Exception as error:
            where = f"at {args.address}" if args.address else "(a local head)"
            raise Fatal("connect", f"cannot connect to the Ray cluster {where}: {first_line(error)}")
        out.line(
            {
                "type": "connected",
                # the address the user gave (what they recognise), else the one Ray found or started
                "address": (args.address if args.address not in (None, "auto") else None)
                or getattr(context, "address_info", {}).get("gcs_address")
                or "",
                "dashboard_url": dashboard_url_of(context),
                "started_local": started_local,
                "auth_token_path": token_path or "",
                "ray_version": getattr(ray, "__version__", ""),
            }
        )
        hello = rewrite_base_dir(hello, None if started_local else args.working_dir, in_job)
        hello_line = json.dumps(hello, separators=(",", ":")).encode() + b"\n"
        dispatcher = Dispatcher(args, out, inbox, ray, hello_line)
        dispatcher.run()
        return 0
    except Fatal as fatal:
        out.line({"type": "fatal", "code": fatal.code, "message": fatal.message})
        LOG.error("%s", fatal.message)
        return 1
    except Aborted:
        LOG.info("stopping: the driver aborted the run")
        return 130
    finally:
        if dispatcher is not None:
            dispatcher.kill_actors()
        if started_local:
            stop_local_head(ray, LOG)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (Ray's atexit shutdown can take seconds); actors are already killed and
    # fate-share with this driver anyway, and a local head was stopped in main().
    os._exit(code)
