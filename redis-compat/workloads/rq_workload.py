"""RQ: a worker process with its scheduler, jobs with results and callbacks, a job retried
after an interval, a job that ends in the FailedJobRegistry, a job scheduled with enqueue_in,
a job depending on others, and the worker stopped through RQ's pub/sub command channel."""

import os
import subprocess
import sys
import time
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "tasks"))
from compat import HOST, PORT, assert_on_time, expect, main, version, wait_for  # noqa: E402

import redis  # noqa: E402
import rq  # noqa: E402
from rq import Queue, Retry, Worker  # noqa: E402
from rq.command import send_shutdown_command  # noqa: E402
from rq.job import Job, JobStatus  # noqa: E402
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry  # noqa: E402

import rq_tasks  # noqa: E402

WORKER = f"""
import sys
sys.path.insert(0, {os.path.join(HERE, "tasks")!r})
import redis
from rq import Queue, Worker
r = redis.Redis(host={HOST!r}, port={PORT})
w = Worker([Queue("compat", connection=r)], connection=r, name="compat-worker")
w.work(with_scheduler=True, logging_level="INFO")
"""


def whole_seconds(t):
    """RQ schedules in whole seconds (the registry's scores are integer timestamps), so a job
    is due at the start of the second it was scheduled for."""
    return float(int(t))


def ran(r, job):
    return [float(t) for t in r.lrange(f"compat:ran:{job.id}", 0, -1)]


def body():
    version("rq", rq.__version__)
    version("redis-py", redis.__version__)
    r = redis.Redis(host=HOST, port=PORT)
    r.flushall()
    q = Queue("compat", connection=r)

    adds = [q.enqueue(rq_tasks.add, i, 100, on_success=rq_tasks.on_success) for i in range(15)]
    flaky = q.enqueue(rq_tasks.flaky, retry=Retry(max=2, interval=1))
    broken = q.enqueue(rq_tasks.broken, retry=Retry(max=1, interval=[1]),
                       on_failure=rq_tasks.on_failure)
    delayed_at = time.time()
    delayed = q.enqueue_in(timedelta(seconds=2), rq_tasks.delayed)
    expect("scheduled registry", ScheduledJobRegistry(queue=q).get_job_ids(), [delayed.id])
    total = q.enqueue(rq_tasks.total, adds[0].id, adds[1].id, depends_on=[adds[0], adds[1]])

    worker = subprocess.Popen([sys.executable, "-c", WORKER])
    try:
        finished = FinishedJobRegistry(queue=q)
        failed = FailedJobRegistry(queue=q)
        wait_for("every job to finish",
                 lambda: len(finished) == 18 and len(failed) == 1 or worker.poll() is not None,
                 timeout=30, every=0.1)
        assert worker.poll() is None, "the worker exited early"

        workers = Worker.all(connection=r)
        expect("registered workers", [w.name for w in workers], ["compat-worker"])
        expect("worker state", workers[0].get_state() in ("idle", "busy"), True)
        send_shutdown_command(r, "compat-worker")
        expect("worker exit status", worker.wait(20), 0)
    finally:
        if worker.poll() is None:
            worker.kill()

    for i, job in enumerate(adds):
        job.refresh()
        expect(f"job {job.id}", (job.get_status(), job.result, len(ran(r, job))),
               (JobStatus.FINISHED, i + 100, 1))
    expect("success callbacks", sorted(x.decode() for x in r.lrange("compat:success-callbacks", 0, -1)),
           sorted(j.id for j in adds))
    flaky.refresh()
    expect("flaky job", (flaky.get_status(), flaky.result, flaky.retries_left), (JobStatus.FINISHED, "recovered", 1))
    first, second = ran(r, flaky)
    assert_on_time("flaky retry", second, whole_seconds(first + 1), slack=4)

    expect("failed registry", failed.get_job_ids(), [broken.id])
    broken = Job.fetch(broken.id, connection=r)
    expect("broken status", broken.get_status(), JobStatus.FAILED)
    assert "broken: always fails" in broken.exc_info, broken.exc_info
    expect("broken attempts", len(ran(r, broken)), 2)
    first, second = ran(r, broken)
    assert_on_time("broken retry", second, whole_seconds(first + 1), slack=4)
    # RQ calls on_failure after every failed attempt, the retried one included.
    expect("failure callbacks", r.lrange("compat:failure-callbacks", 0, -1), [broken.id.encode()] * 2)

    delayed.refresh()
    expect("delayed job", delayed.result, "on time")
    assert_on_time("delayed job", ran(r, delayed)[0], whole_seconds(delayed_at + 2), slack=4)
    total.refresh()
    expect("dependent job", total.result, 201)
    assert ran(r, total)[0] >= max(ran(r, adds[0])[0], ran(r, adds[1])[0])

    # Requeue the failed job from the registry, as the rq CLI and dashboards do.
    failed.requeue(broken.id)
    expect("requeued", (q.count, len(failed)), (1, 0))
    expect("queue job ids", q.job_ids, [broken.id])
    q.empty()
    expect("emptied", q.count, 0)


if __name__ == "__main__":
    main("rq", body)
