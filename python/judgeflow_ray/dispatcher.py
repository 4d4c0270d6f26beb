"""Dispatch for the Ray bridge: the actors (one Node worker each), rows to them with backpressure,
results back as they finish, restarts and re-dispatch when a worker or an actor dies.

Rows go to the actor with the fewest outstanding rows, at most K + K/4 per actor, and finished calls
are collected with ``ray.wait`` (ActorPool would allow only one call per actor at a time).
"""

import collections
import json
import logging
import os
import queue
import re
import time

from judgeflow_ray import PROTOCOL_VERSION

LOG = logging.getLogger("judgeflow-bridge")


class Fatal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Aborted(Exception):
    pass


class Slot:
    def __init__(self, index, name, handle):
        self.index = index
        self.name = name
        self.handle = handle
        self.state = "starting"  # starting | alive
        self.start_ref = None
        self.start_deadline = 0.0
        self.inflight = {}  # ObjectRef -> row id
        self.failures = 0
        self.info = None
        self.retry_at = None  # when to ask a restarting actor again


class Dispatcher:
    def __init__(self, args, out, inbox, ray, hello_line):
        self.args = args
        self.out = out
        self.inbox = inbox
        self.ray = ray
        self.hello_line = hello_line
        self.per_actor = args.concurrency + max(1, args.concurrency // 4)
        self.capacity = args.workers * self.per_actor * 2
        self.slots = []
        self.owner = {}  # ObjectRef -> (slot, kind)
        self.rows = {}  # row id -> row line (bytes)
        self.queue = collections.deque()
        self.done = set()
        self.ending = False

    # --- lifecycle -------------------------------------------------------------------------------
    def run(self):
        self.create_actors()
        self.wait_started()
        self.out.line(
            {
                "type": "ready",
                "protocol": PROTOCOL_VERSION,
                "judgeflow_version": self.slots[0].info.get("judgeflow_version") or "",
                "capacity": self.capacity,
                "workers": [slot.info for slot in self.slots],
            }
        )
        while True:
            busy = bool(self.queue) or any(slot.inflight or slot.state != "alive" for slot in self.slots)
            self.pump_inbox(block=not busy)
            self.dispatch()
            if self.ending and not self.queue and not any(slot.inflight for slot in self.slots):
                self.out.line({"type": "done"})
                return
            self.collect(timeout=0.05)
            self.check_deadlines()

    def create_actors(self):
        from judgeflow_ray import actor as actor_module

        # The actor class travels by value, so worker processes need no PYTHONPATH for this package.
        self.ray.cloudpickle.register_pickle_by_value(actor_module)
        remote_class = self.ray.remote(actor_module.NodeWorker)
        base = actor_name_base(self.args.run_name)
        for index in range(self.args.workers):
            name = f"{base}-w{index}"
            options = dict(
                name=name,
                namespace=self.args.namespace,
                num_cpus=self.args.num_cpus,
                max_restarts=self.args.max_restarts,
                max_task_retries=0,
                max_concurrency=self.per_actor + 8,
                scheduling_strategy="SPREAD",
            )
            try:
                handle = remote_class.options(**options).remote(
                    name, self.args.worker_command, self.hello_line, self.args.start_timeout
                )
            except ValueError:
                # The name is taken (another run with the same name): keep it readable, make it unique.
                name = f"{base}-{os.getpid()}-w{index}"
                options["name"] = name
                handle = remote_class.options(**options).remote(
                    name, self.args.worker_command, self.hello_line, self.args.start_timeout
                )
            slot = Slot(index, name, handle)
            self.slots.append(slot)
            self.issue_start(slot)

    def wait_started(self):
        while any(slot.state != "alive" for slot in self.slots):
            self.pump_inbox(block=False)
            self.collect(timeout=0.2)
            self.check_deadlines()

    def kill_actors(self):
        for slot in self.slots:
            try:
                self.ray.kill(slot.handle, no_restart=True)
            except Exception:
                pass

    # --- input -----------------------------------------------------------------------------------
    def pump_inbox(self, block):
        while True:
            try:
                line = self.inbox.get(timeout=0.05) if block else self.inbox.get_nowait()
            except queue.Empty:
                return
            block = False
            if line is None:
                # stdin closed before `end` was answered: the CLI is gone; stop everything.
                raise Aborted()
            try:
                message = json.loads(line)
                kind = message["type"]
            except (ValueError, KeyError, TypeError):
                raise Fatal("protocol", f"unexpected line from the driver: {line[:200]!r}")
            if kind == "row":
                row_id = message.get("id") or message["row"]["record"]["id"]
                if row_id in self.done or row_id in self.rows:
                    continue
                self.rows[row_id] = line + b"\n"
                self.queue.append(row_id)
            elif kind == "end":
                self.ending = True
            elif kind == "abort":
                raise Aborted()
            else:
                raise Fatal("protocol", f"unexpected message type from the driver: {kind!r}")

    # --- dispatch --------------------------------------------------------------------------------
    def dispatch(self):
        while self.queue:
            candidates = [s for s in self.slots if s.state == "alive" and len(s.inflight) < self.per_actor]
            if not candidates:
                return
            slot = min(candidates, key=lambda s: len(s.inflight))
            row_id = self.queue.popleft()
            if row_id in self.done:
                continue
            ref = slot.handle.run.remote(row_id, self.rows[row_id])
            slot.inflight[ref] = row_id
            self.owner[ref] = (slot, "row")

    def collect(self, timeout):
        refs = list(self.owner)
        if not refs:
            return
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=timeout)
        if not ready:
            return
        ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        # Finished rows first: a result that arrived before its actor died still counts.
        ready.sort(key=lambda ref: 0 if self.owner[ref][1] == "row" else 1)
        for ref in ready:
            owner = self.owner.pop(ref, None)
            if owner is None:
                continue
            slot, kind = owner
            if kind == "row":
                self.on_row_ref(slot, ref)
            else:
                self.on_start_ref(slot, ref)

    def on_row_ref(self, slot, ref):
        row_id = slot.inflight.pop(ref, None)
        try:
            value = self.ray.get(ref)
        except self.ray.exceptions.RayActorError as error:
            self.requeue(row_id)
            self.slot_failed(slot, f"{slot.name}: the Ray actor died ({first_line(error)})")
            return
        except self.ray.exceptions.RayError as error:
            self.requeue(row_id)
            self.slot_failed(slot, f"{slot.name}: the call failed ({first_line(error)})")
            return
        if value.get("status") == "ok":
            if row_id is not None and row_id not in self.done:
                self.done.add(row_id)
                self.rows.pop(row_id, None)
                self.out.raw(value["line"])
            return
        self.requeue(row_id)
        self.slot_failed(slot, value.get("message") or "the Node worker failed")

    def on_start_ref(self, slot, ref):
        slot.start_ref = None
        try:
            value = self.ray.get(ref)
        except self.ray.exceptions.ActorUnavailableError:
            # Ray is still restarting the actor (not a new failure): ask again shortly.
            slot.retry_at = time.monotonic() + 0.5
            return
        except self.ray.exceptions.RayActorError as error:
            slot.state = "alive"  # so slot_failed counts this failure
            self.slot_failed(slot, f"{slot.name}: the Ray actor died while starting ({first_line(error)})")
            return
        if value.get("status") == "ready":
            slot.state = "alive"
            slot.info = value["info"]
            LOG.info("worker %s ready (Node pid %s)", slot.name, slot.info.get("pid"))
            return
        raise Fatal(value.get("code") or "worker_start", f"{slot.name}: {value.get('message')}")

    def requeue(self, row_id):
        if row_id is not None and row_id not in self.done and row_id in self.rows:
            self.queue.appendleft(row_id)

    def slot_failed(self, slot, reason):
        if slot.state != "alive":
            return  # already counted; a restart is under way
        slot.failures += 1
        lost = [row_id for row_id in slot.inflight.values()]
        for ref in slot.inflight:
            self.owner.pop(ref, None)
        slot.inflight.clear()
        for row_id in lost:
            self.requeue(row_id)
        if slot.failures > self.args.max_restarts:
            raise Fatal(
                "worker_crash_loop",
                f"worker {slot.name} failed {slot.failures} times (limit --max-restarts {self.args.max_restarts}); last failure: {reason}",
            )
        self.out.line(
            {
                "type": "notice",
                "event": "worker_restart",
                "message": f"{reason}; restarting it ({slot.failures}/{self.args.max_restarts}), "
                f"its unfinished rows are re-dispatched",
            }
        )
        self.issue_start(slot)

    def issue_start(self, slot, keep_deadline=False):
        slot.state = "starting"
        slot.retry_at = None
        slot.start_ref = slot.handle.start.remote()
        if not keep_deadline:
            slot.start_deadline = time.monotonic() + self.args.start_timeout
        self.owner[slot.start_ref] = (slot, "start")

    def check_deadlines(self):
        now = time.monotonic()
        for slot in self.slots:
            if slot.retry_at is not None and now >= slot.retry_at:
                self.issue_start(slot, keep_deadline=True)
            if slot.state == "starting" and now > slot.start_deadline:
                raise Fatal(
                    "scheduling",
                    f"worker {slot.name} did not start within {self.args.start_timeout:g}s; the cluster may lack "
                    f"resources (each worker asks for {self.args.num_cpus:g} CPU) or the actor keeps dying",
                )


def actor_name_base(run_name):
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", run_name).strip("-") or "run"
    return f"judgeflow-{cleaned[:60]}"


def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
