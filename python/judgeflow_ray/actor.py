"""The Ray actor that hosts one Node worker process.

The actor is async: one event loop multiplexes many rows in flight. It writes protocol lines to the Node
worker's stdin and matches result lines by row id. It never restarts the Node process by itself: when
the worker dies, every pending call returns ``crashed`` and the bridge decides (bounded restarts) whether
to call ``start`` again. Calls return plain dicts, not exceptions, so the driver never depends on
unpickling a class shipped by value.

Why the Node worker exits when its stdin closes: Ray kills an actor's direct children when the actor
exits gracefully (``RAY_kill_child_processes_on_worker_exit``), but not when the actor process crashes
or is SIGKILLed. In that case the pipe's write end closes with the dead process, the worker reads EOF
and exits by itself, so no orphan keeps calling models. (Clusters may also set
``RAY_kill_child_processes_on_worker_exit_with_raylet_subreaper=1`` on ``ray start``.)

Nothing here writes to stdout: Ray forwards worker stdout to the driver's stdout, which is the bridge's
protocol channel (the bridge redirects it, this is belt and braces).
"""

import asyncio
import json
import os
import signal
import socket
import sys
from collections import deque

# A result line holds a whole row (inputs, outputs, spans); asyncio's default 64 KiB line limit is too small.
LINE_LIMIT = 256 * 1024 * 1024
STDERR_TAIL_LINES = 30


class NodeWorker:
    def __init__(self, name, command, hello_line, start_timeout_s):
        self._name = name
        self._command = list(command)
        self._hello = hello_line if isinstance(hello_line, bytes) else hello_line.encode()
        self._start_timeout_s = start_timeout_s
        self._proc = None
        self._alive = False
        self._pending = {}
        self._tail = deque(maxlen=STDERR_TAIL_LINES)
        self._lock = None
        self._info = None

    async def start(self):
        """Starts (or restarts) the Node worker and performs the handshake."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._alive:
                return {"status": "ready", "info": self._info}
            await self._stop_process()
            return await self._spawn()

    async def run(self, row_id, row_line):
        """Sends one row line to the worker and waits for its result line (returned as bytes)."""
        if not self._alive or self._proc is None:
            return {"status": "crashed", "message": f"{self._name}: the Node worker is not running"}
        future = asyncio.get_running_loop().create_future()
        self._pending[row_id] = future
        try:
            self._proc.stdin.write(row_line)
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            # The worker is gone; the stdout reader sees EOF and fails every pending row.
            pass
        return await future

    async def _spawn(self):
        self._tail.clear()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=LINE_LIMIT,
            )
        except OSError as error:
            return _fatal("worker_start", f"cannot start the Node worker ({' '.join(self._command)}): {error}")
        self._proc = proc
        pending = self._pending = {}
        asyncio.ensure_future(self._pump_stderr(proc))
        try:
            proc.stdin.write(self._hello)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=self._start_timeout_s)
        except asyncio.TimeoutError:
            await self._stop_process()
            return _fatal(
                "worker_start", f"the Node worker did not answer the handshake within {self._start_timeout_s}s"
            )
        if not line:
            code = await proc.wait()
            await asyncio.sleep(0.2)  # let the stderr pump catch the last lines
            return _fatal(
                "worker_start",
                f"the Node worker exited during start-up ({_describe_exit(code)}){self._tail_text()}",
            )
        try:
            message = json.loads(line)
        except ValueError:
            await self._stop_process()
            return _fatal("protocol", f"the Node worker answered the handshake with: {line[:200]!r}")
        if message.get("type") == "fatal":
            await self._stop_process()
            return _fatal(message.get("code") or "worker_start", message.get("message") or "fatal")
        if message.get("type") != "ready":
            await self._stop_process()
            return _fatal("protocol", f"expected a ready line from the Node worker, got: {line[:200]!r}")
        self._alive = True
        self._info = {
            "name": self._name,
            "pid": message.get("pid", proc.pid),
            "actor_pid": os.getpid(),
            "node_id": _node_id(),
            "judgeflow_version": message.get("judgeflow_version"),
        }
        asyncio.ensure_future(self._read_results(proc, pending))
        return {"status": "ready", "info": self._info}

    async def _read_results(self, proc, pending):
        try:
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                try:
                    message = json.loads(line)
                except ValueError:
                    _log(f"{self._name}: ignoring a non-JSON line from the Node worker: {line[:200]!r}")
                    continue
                kind = message.get("type")
                if kind == "result":
                    future = pending.pop(message.get("id"), None)
                    if future is not None and not future.done():
                        future.set_result({"status": "ok", "line": line})
                elif kind == "fatal":
                    _log(f"{self._name}: Node worker fatal: {message.get('message')}")
        except Exception as error:  # a line over LINE_LIMIT, a broken pipe: the worker is unusable
            _log(f"{self._name}: reading the Node worker failed: {error!r}")
            _kill(proc)
        code = await proc.wait()
        await asyncio.sleep(0.1)
        if self._proc is proc:
            self._alive = False
        message = f"{self._name}: the Node worker pid {proc.pid} died ({_describe_exit(code)}){self._tail_text()}"
        for future in list(pending.values()):
            if not future.done():
                future.set_result({"status": "crashed", "message": message})
        pending.clear()

    async def _pump_stderr(self, proc):
        while True:
            line = await proc.stderr.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\n")
            self._tail.append(text)
            sys.stderr.write(f"{text}\n")
            sys.stderr.flush()

    async def _stop_process(self):
        proc, self._proc = self._proc, None
        self._alive = False
        if proc is None or proc.returncode is not None:
            return
        try:
            proc.stdin.close()  # the worker exits on stdin EOF
        except Exception:
            pass
        try:
            await asyncio.wait_for(proc.wait(), timeout=5)
        except asyncio.TimeoutError:
            _kill(proc)
            await proc.wait()

    def _tail_text(self):
        if not self._tail:
            return ""
        return "; last stderr lines:\n  " + "\n  ".join(self._tail)


def _fatal(code, message):
    return {"status": "fatal", "code": code, "message": message}


def _describe_exit(code):
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _kill(proc):
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def _node_id():
    try:
        import ray

        # Outside a Ray worker (tests, a plain process) asking for the runtime context would start a
        # whole local Ray instance: only ask when this process is connected already.
        if not ray.is_initialized():
            return socket.gethostname()
        return ray.get_runtime_context().get_node_id()
    except Exception:
        return socket.gethostname()


def _log(text):
    sys.stderr.write(f"judgeflow-actor: {text}\n")
    sys.stderr.flush()
