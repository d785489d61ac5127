"""Celery application and tasks for the Celery workload: the broker in database 1 and results
in database 2 of the server under test, as many deployments keep them apart."""

import os
import time

import redis
from celery import Celery

HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
PORT = int(os.environ.get("REDIS_PORT", "6379"))

app = Celery("compat", broker=f"redis://{HOST}:{PORT}/1", backend=f"redis://{HOST}:{PORT}/2")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_send_task_events=True,
    task_send_sent_event=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

# What the tasks remember between attempts, and when each ran, kept in database 3.
notes = redis.Redis(host=HOST, port=PORT, db=3)


def note(task):
    notes.rpush(f"ran:{task.request.id}", repr(time.time()))
    return notes.llen(f"ran:{task.request.id}")


@app.task(bind=True)
def add(self, a, b):
    note(self)
    return a + b


@app.task(bind=True, max_retries=2)
def flaky(self):
    if note(self) == 1:
        raise self.retry(exc=RuntimeError("flaky: first attempt fails"), countdown=1)
    return "recovered"


@app.task(bind=True, autoretry_for=(RuntimeError,), retry_kwargs={"max_retries": 1, "countdown": 1})
def broken(self):
    note(self)
    raise RuntimeError("broken: always fails")


@app.task(bind=True)
def delayed(self):
    note(self)
    return "on time"


@app.task(bind=True)
def total(self, values):
    note(self)
    return sum(values)
