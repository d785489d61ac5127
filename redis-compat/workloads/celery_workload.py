"""Celery with the Redis broker and result backend: a worker process with task events, tasks
whose results arrive over pub/sub, a task retried with a countdown, a task that fails after
its automatic retries, a task with an ETA, a chord, remote control over the broadcast
exchange (ping, stats, shutdown), and the event stream read by a receiver.

The worker uses the solo pool: with the threads pool, Celery 5.2 loses some of its task events,
against redis-server as well."""

import collections
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "tasks"))
from compat import assert_on_time, expect, main, version, wait_for  # noqa: E402

import celery  # noqa: E402
import kombu  # noqa: E402
from celery import chord  # noqa: E402

import celery_tasks as t  # noqa: E402


def ran(task_id):
    return [float(x) for x in t.notes.lrange(f"ran:{task_id}", 0, -1)]


def body():
    version("celery", celery.__version__)
    version("kombu", kombu.__version__)
    t.notes.flushall()
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "tasks"))
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--pool=solo",
         "--loglevel=INFO", "-n", "compat@localhost"], env=env)
    events = []
    try:
        replies = wait_for("the worker to answer a ping",
                           lambda: t.app.control.inspect(timeout=0.5).ping() or worker.poll() is not None,
                           timeout=30, every=0.2)
        assert worker.poll() is None, "the worker exited early"
        expect("ping", replies, {"compat@localhost": {"ok": "pong"}})

        # Task events over the broadcast exchange.
        def capture():
            with t.app.connection() as conn:
                receiver = t.app.events.Receiver(conn, handlers={"*": events.append})
                receiver.capture(limit=None, timeout=None, wakeup=False)
        threading.Thread(target=capture, daemon=True).start()
        time.sleep(0.5)  # the receiver binds its queue before tasks are sent

        adds = [t.add.delay(i, 100) for i in range(15)]
        flaky = t.flaky.delay()
        broken = t.broken.delay()
        delayed_at = time.time()
        delayed = t.delayed.apply_async(countdown=2)
        summed = chord([t.add.s(i, i) for i in range(5)])(t.total.s())

        for i, r in enumerate(adds):
            expect(f"add {i}", r.get(timeout=20), i + 100)
        expect("flaky result", flaky.get(timeout=20), "recovered")
        first, second = ran(flaky.id)
        assert_on_time("flaky retry", second, first + 1, slack=4)
        try:
            broken.get(timeout=20)
            raise AssertionError("the broken task succeeded")
        except RuntimeError as e:
            expect("broken error", str(e), "broken: always fails")
        expect("broken state", broken.state, "FAILURE")
        expect("broken attempts", len(ran(broken.id)), 2)
        first, second = ran(broken.id)
        assert_on_time("broken retry", second, first + 1, slack=4)
        expect("delayed result", delayed.get(timeout=20), "on time")
        assert_on_time("delayed task", ran(delayed.id)[0], delayed_at + 2, slack=4)
        expect("chord", summed.get(timeout=20), sum(2 * i for i in range(5)))

        stats = t.app.control.inspect(timeout=1).stats()
        expect("stats from", list(stats), ["compat@localhost"])
        assert stats["compat@localhost"]["total"]["celery_tasks.add"] >= 20, stats

        def kinds(name):
            return [e["uuid"] for e in events if e.get("type") == name]
        # The worker buffers task events and flushes them in batches.
        wanted = {r.id for r in adds} | {delayed.id, flaky.id}
        try:
            wait_for("the task events", lambda: broken.id in kinds("task-failed") and
                     wanted <= set(kinds("task-succeeded")), timeout=15)
        except AssertionError:
            print("events received:", collections.Counter(e.get("type") for e in events))
            print("no task-succeeded event for:", wanted - set(kinds("task-succeeded")))
            raise
        expect("retried events", sorted(kinds("task-retried")), sorted([flaky.id, broken.id]))
        expect("failed events", kinds("task-failed"), [broken.id])
        assert set(r.id for r in adds) <= set(kinds("task-sent"))
        assert any(e.get("type") == "worker-heartbeat" for e in events)

        t.app.control.shutdown(destination=["compat@localhost"])
        expect("worker exit status", worker.wait(20), 0)
    finally:
        if worker.poll() is None:
            worker.kill()


if __name__ == "__main__":
    main("celery", body)
