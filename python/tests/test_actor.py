"""NodeWorker (the actor class) against a real child process: handshake, results matched by row id,
and every way a worker can fail. Plain asyncio: the class is an ordinary Python class, Ray only hosts it."""

import asyncio
import json
import os
import sys

from judgeflow_ray.actor import NodeWorker

WORKER = [sys.executable, os.path.join(os.path.dirname(__file__), "fake_node_worker.py")]
HELLO = b'{"type":"hello","protocol":1,"judgeflow_version":"9.9.9"}\n'


def row(row_id):
    return json.dumps({"type": "row", "id": row_id}).encode() + b"\n"


def worker(mode="ok", timeout=10.0):
    os.environ["FAKE_WORKER_MODE"] = mode
    return NodeWorker("judgeflow-test-w0", WORKER, HELLO, timeout)


def run(coro):
    return asyncio.run(coro)


def test_handshake_reports_the_worker():
    async def scenario():
        actor = worker()
        started = await actor.start()
        again = await actor.start()  # already alive: the same info, no second process
        await actor._stop_process()
        return started, again

    started, again = run(scenario())
    assert started["status"] == "ready"
    assert started["info"]["name"] == "judgeflow-test-w0"
    assert started["info"]["judgeflow_version"] == "9.9.9"
    assert again == started


def test_results_are_matched_by_row_id_even_out_of_order():
    async def scenario():
        actor = worker()
        await actor.start()
        held = asyncio.ensure_future(actor.run("hold-1", row("hold-1")))
        await asyncio.sleep(0.2)
        second = await actor.run("r-2", row("r-2"))
        first = await held
        await actor._stop_process()
        return first, second

    first, second = run(scenario())
    assert first["status"] == "ok" and json.loads(first["line"])["id"] == "hold-1"
    assert second["status"] == "ok" and json.loads(second["line"])["id"] == "r-2"


def test_a_worker_that_dies_fails_every_pending_row_and_can_be_restarted():
    async def scenario():
        actor = worker()
        first = await actor.start()
        held = asyncio.ensure_future(actor.run("hold-1", row("hold-1")))
        await asyncio.sleep(0.2)
        crashed = await actor.run("crash", row("crash"))
        pending = await held
        after = await actor.run("r-3", row("r-3"))
        restarted = await actor.start()
        ok = await actor.run("r-4", row("r-4"))
        await actor._stop_process()
        return first, crashed, pending, after, restarted, ok

    first, crashed, pending, after, restarted, ok = run(scenario())
    for result in (crashed, pending):
        assert result["status"] == "crashed"
        assert "exit code 9" in result["message"]
        assert "crashing on purpose" in result["message"]
    assert after["status"] == "crashed"  # not running until the bridge restarts it
    assert restarted["status"] == "ready"
    assert restarted["info"]["pid"] != first["info"]["pid"]
    assert ok["status"] == "ok"


def test_start_up_failures_are_reported_with_their_cause():
    exited = run(worker("exit").start())
    assert exited["status"] == "fatal" and exited["code"] == "worker_start"
    assert "exit code 3" in exited["message"]
    assert "cannot load the scorers module" in exited["message"]

    fatal = run(worker("fatal").start())
    assert fatal == {"status": "fatal", "code": "worker_start", "message": "cannot build the pipeline"}

    garbage = run(worker("garbage").start())
    assert garbage["status"] == "fatal" and garbage["code"] == "protocol"

    silent = run(worker("silent", timeout=0.5).start())
    assert silent["status"] == "fatal" and "did not answer the handshake" in silent["message"]


def test_a_command_that_cannot_start_is_a_worker_start_failure():
    actor = NodeWorker("w", ["/nonexistent/node-binary"], HELLO, 5.0)
    result = run(actor.start())
    assert result["status"] == "fatal" and result["code"] == "worker_start"
    assert "/nonexistent/node-binary" in result["message"]


def test_the_node_id_outside_ray_does_not_start_ray():
    import ray

    from judgeflow_ray.actor import _node_id

    assert _node_id()
    assert not ray.is_initialized()
