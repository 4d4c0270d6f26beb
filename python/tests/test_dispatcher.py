"""The dispatcher's scheduling and fault handling, over a stand-in for the ``ray`` module: real Ray
cannot kill an actor between two given rows on demand. (The whole bridge on a real Ray cluster is
tested from TypeScript: test/integration/ray-executor.test.ts.)"""

import argparse
import json
import queue

import pytest

from judgeflow_ray.dispatcher import Aborted, Dispatcher, Fatal


class RayActorError(Exception):
    pass


class RayError(Exception):
    pass


class ActorUnavailableError(Exception):
    pass


class Ref:
    def __init__(self, name):
        self.name = name
        self.done = False
        self.value = None
        self.error = None

    def resolve(self, value=None, error=None):
        self.done, self.value, self.error = True, value, error


class Method:
    def __init__(self, handle, name):
        self.handle, self.name = handle, name

    def remote(self, *args):
        ref = Ref(f"{self.handle.name}.{self.name}")
        self.handle.calls.append((self.name, args, ref))
        if self.name == "start" and self.handle.auto_start:
            ref.resolve({"status": "ready", "info": {"name": self.handle.name, "judgeflow_version": "t"}})
        return ref


class Handle:
    def __init__(self, name, auto_start):
        self.name = name
        self.calls = []
        self.auto_start = auto_start
        self.start = Method(self, "start")
        self.run = Method(self, "run")

    def rows(self):
        return [(args[0], ref) for name, args, ref in self.calls if name == "run"]


class FakeRay:
    def __init__(self, auto_start=True):
        self.handles = []
        self.auto_start = auto_start
        self.killed = []
        ray = self

        class Exceptions:
            pass

        self.exceptions = Exceptions
        Exceptions.RayActorError = RayActorError
        Exceptions.RayError = RayError
        Exceptions.ActorUnavailableError = ActorUnavailableError

        class CloudPickle:
            @staticmethod
            def register_pickle_by_value(_module):
                return None

        self.cloudpickle = CloudPickle

        class Remote:
            def options(self, **options):
                class Bound:
                    @staticmethod
                    def remote(*_args):
                        handle = Handle(options["name"], ray.auto_start)
                        ray.handles.append(handle)
                        return handle

                return Bound

        self._remote = Remote()

    def remote(self, _cls):
        return self._remote

    def wait(self, refs, num_returns, timeout):
        ready = [ref for ref in refs if ref.done][:num_returns]
        return ready, [ref for ref in refs if ref not in ready]

    def get(self, ref):
        if ref.error is not None:
            raise ref.error
        return ref.value

    def kill(self, handle, no_restart):
        self.killed.append(handle.name)


class Out:
    def __init__(self):
        self.lines = []

    def line(self, message):
        self.lines.append(message)

    def raw(self, data):
        self.lines.append(json.loads(data))


def args(**overrides):
    values = dict(
        workers=2,
        concurrency=4,
        run_name="my run",
        namespace="judgeflow",
        num_cpus=0.25,
        max_restarts=1,
        start_timeout=30.0,
        worker_command=["node"],
    )
    values.update(overrides)
    return argparse.Namespace(**values)


def row_line(row_id):
    return json.dumps({"type": "row", "id": row_id}).encode()


def result(row_id):
    return {"status": "ok", "line": json.dumps({"type": "result", "id": row_id}).encode() + b"\n"}


def started(ray=None, **overrides):
    ray = ray or FakeRay()
    inbox = queue.Queue()
    dispatcher = Dispatcher(args(**overrides), Out(), inbox, ray, b"hello\n")
    dispatcher.create_actors()
    dispatcher.wait_started()
    return dispatcher, ray, inbox


def test_actors_are_named_after_the_run_and_started():
    dispatcher, ray, _ = started()
    assert [h.name for h in ray.handles] == ["judgeflow-my-run-w0", "judgeflow-my-run-w1"]
    assert all(slot.state == "alive" for slot in dispatcher.slots)


def test_each_actor_gets_at_most_k_plus_k_over_4_rows_least_outstanding_first():
    dispatcher, ray, inbox = started()
    for i in range(20):
        inbox.put(row_line(f"r{i}"))
    dispatcher.pump_inbox(block=False)
    dispatcher.dispatch()
    per_actor = [len(handle.rows()) for handle in ray.handles]
    assert per_actor == [5, 5]  # K=4: 4 + 4//4
    assert len(dispatcher.queue) == 10
    # one finishes on w1: the next row goes there, not to the full w0
    row_id, ref = ray.handles[1].rows()[0]
    ref.resolve(result(row_id))
    dispatcher.collect(timeout=0)
    dispatcher.dispatch()
    assert [len(handle.rows()) for handle in ray.handles] == [5, 6]


def test_a_row_is_reported_once_even_when_sent_twice():
    dispatcher, ray, inbox = started(workers=1)
    inbox.put(row_line("a"))
    inbox.put(row_line("a"))
    dispatcher.pump_inbox(block=False)
    dispatcher.dispatch()
    assert len(ray.handles[0].rows()) == 1
    row_id, ref = ray.handles[0].rows()[0]
    ref.resolve(result(row_id))
    dispatcher.collect(timeout=0)
    inbox.put(row_line("a"))  # after it finished: still ignored
    dispatcher.pump_inbox(block=False)
    assert not dispatcher.queue
    assert [line for line in dispatcher.out.lines if line.get("type") == "result"] == [
        {"type": "result", "id": "a"}
    ]


def test_rows_of_a_dead_actor_are_re_dispatched_and_the_actor_restarted():
    dispatcher, ray, inbox = started(workers=1, max_restarts=1)
    for row_id in ("a", "b"):
        inbox.put(row_line(row_id))
    dispatcher.pump_inbox(block=False)
    dispatcher.dispatch()
    (_, ref_a), (_, ref_b) = ray.handles[0].rows()
    ref_a.resolve(error=RayActorError("actor died\ndetails"))
    dispatcher.collect(timeout=0)
    notices = [line for line in dispatcher.out.lines if line["type"] == "notice"]
    assert len(notices) == 1 and "the Ray actor died (actor died)" in notices[0]["message"]
    assert "restarting it (1/1)" in notices[0]["message"]
    dispatcher.wait_started()
    dispatcher.dispatch()
    again = [row_id for row_id, _ in ray.handles[0].rows()[2:]]
    assert sorted(again) == ["a", "b"]
    # a second death is over the limit: the run stops with a clear reason
    ray.handles[0].rows()[2][1].resolve(error=RayActorError("died again"))
    with pytest.raises(Fatal) as error:
        dispatcher.collect(timeout=0)
    assert error.value.code == "worker_crash_loop"
    assert "failed 2 times" in error.value.message


def test_each_restart_is_one_worker_restart_notice_the_driver_counts():
    # The driver counts judgeflow_worker_restarts_total from notices with "event": "worker_restart":
    # exactly one per restart, however many rows were in flight on the dead worker.
    dispatcher, ray, inbox = started(workers=2, max_restarts=3)
    for i in range(6):
        inbox.put(row_line(f"r{i}"))
    dispatcher.pump_inbox(block=False)
    dispatcher.dispatch()
    w0, w1 = ray.handles
    assert len(w0.rows()) >= 2
    # w0 dies with several rows in flight: every one of them fails, one restart
    for _, ref in w0.rows():
        ref.resolve(error=RayActorError("actor died"))
    dispatcher.collect(timeout=0)
    dispatcher.wait_started()
    dispatcher.dispatch()
    # then w1 dies once, and w0 a second time
    w1.rows()[0][1].resolve(error=RayActorError("actor died"))
    dispatcher.collect(timeout=0)
    dispatcher.wait_started()
    dispatcher.dispatch()
    pending = [ref for _, ref in w0.rows() if not ref.done]
    assert pending
    pending[0].resolve(error=RayActorError("actor died"))
    dispatcher.collect(timeout=0)

    notices = [line for line in dispatcher.out.lines if line["type"] == "notice"]
    assert [notice.get("event") for notice in notices] == ["worker_restart"] * 3
    assert ["restarting it (1/3)", "restarting it (1/3)", "restarting it (2/3)"] == [
        notice["message"].split("; ")[-1].split(",")[0] for notice in notices
    ]
    assert all("its unfinished rows are re-dispatched" in notice["message"] for notice in notices)
    # each notice is one protocol line the Node side parses: a JSON object with a string message
    assert all(set(notice) == {"type", "event", "message"} for notice in notices)


def test_a_worker_that_never_starts_is_a_scheduling_failure():
    ray = FakeRay(auto_start=False)
    dispatcher = Dispatcher(args(start_timeout=0.0), Out(), queue.Queue(), ray, b"hello\n")
    dispatcher.create_actors()
    with pytest.raises(Fatal) as error:
        dispatcher.wait_started()
    assert error.value.code == "scheduling"
    assert "did not start within" in error.value.message


def test_a_worker_start_failure_is_fatal_with_its_code():
    ray = FakeRay(auto_start=False)
    dispatcher = Dispatcher(args(workers=1), Out(), queue.Queue(), ray, b"hello\n")
    dispatcher.create_actors()
    ray.handles[0].calls[0][2].resolve({"status": "fatal", "code": "worker_start", "message": "no module"})
    with pytest.raises(Fatal) as error:
        dispatcher.wait_started()
    assert (error.value.code, error.value.message) == ("worker_start", "judgeflow-my-run-w0: no module")


def test_the_driver_protocol():
    dispatcher, _, inbox = started(workers=1)
    inbox.put(b"not json")
    with pytest.raises(Fatal) as error:
        dispatcher.pump_inbox(block=False)
    assert error.value.code == "protocol"
    inbox.put(b'{"type":"abort"}')
    with pytest.raises(Aborted):
        dispatcher.pump_inbox(block=False)
    inbox.put(None)  # stdin closed: the CLI is gone
    with pytest.raises(Aborted):
        dispatcher.pump_inbox(block=False)


def test_run_relays_ready_results_and_done():
    class AutoRay(FakeRay):
        def wait(self, refs, num_returns, timeout):
            for handle in self.handles:
                for row_id, ref in handle.rows():
                    if not ref.done:
                        ref.resolve(result(row_id))
            return super().wait(refs, num_returns, timeout)

    ray = AutoRay()
    inbox = queue.Queue()
    for row_id in ("a", "b", "c"):
        inbox.put(row_line(row_id))
    inbox.put(b'{"type":"end"}')
    dispatcher = Dispatcher(args(), Out(), inbox, ray, b"hello\n")
    dispatcher.run()
    kinds = [line["type"] for line in dispatcher.out.lines]
    assert kinds[0] == "ready" and kinds[-1] == "done"
    assert sorted(line["id"] for line in dispatcher.out.lines if line["type"] == "result") == ["a", "b", "c"]
    assert dispatcher.out.lines[0]["capacity"] == 2 * 5 * 2
