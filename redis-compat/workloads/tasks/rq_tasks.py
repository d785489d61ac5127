"""Job functions for the RQ workload. They run in RQ's forked work horses, so what they need to
remember between attempts lives in Redis."""

import time

from rq import get_current_job


def _note():
    job = get_current_job()
    job.connection.rpush(f"compat:ran:{job.id}", repr(time.time()))
    return job, job.connection.llen(f"compat:ran:{job.id}")


def add(a, b):
    _note()
    return a + b


def flaky():
    _, attempt = _note()
    if attempt == 1:
        raise RuntimeError("flaky: first attempt fails")
    return "recovered"


def broken():
    _note()
    raise RuntimeError("broken: always fails")


def delayed():
    _note()
    return "on time"


def total(*job_ids):
    """Depends on other jobs and sums their results."""
    job, _ = _note()
    from rq.job import Job
    return sum(Job.fetch(i, connection=job.connection).result for i in job_ids)


def on_failure(job, connection, exc_type, exc_value, traceback):
    connection.rpush("compat:failure-callbacks", job.id)


def on_success(job, connection, result, *args, **kwargs):
    connection.rpush("compat:success-callbacks", job.id)
