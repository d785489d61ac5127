"""Shared helpers for the Python workloads: connection settings from the environment, the
version line the runner puts in its table, waiting with a deadline, and on-time checks."""

import os
import sys
import time
import traceback

HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
PORT = int(os.environ.get("REDIS_PORT", "6379"))
TMP = os.environ.get("COMPAT_TMP", ".")


def version(name, value):
    print(f"compat-version: {name} {value}", flush=True)


def wait_for(what, predicate, timeout=15.0, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def assert_on_time(what, actual, due, slack=5.0):
    """A delayed or retried job must not run before its time (seconds since the epoch), and
    must run soon after it; the upper bound is loose because the machine may be busy."""
    assert actual >= due - 0.005, f"{what} ran {due - actual:.3f}s early"
    assert actual <= due + slack, f"{what} ran {actual - due:.3f}s late"


def expect(what, actual, expected):
    assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"


def main(name, body):
    """Runs the workload body and exits 0 only if it returned without raising."""
    try:
        body()
    except BaseException:  # noqa: BLE001 - any failure fails the workload
        traceback.print_exc()
        print(f"{name}: FAILED", flush=True)
        os._exit(1)
    print(f"{name}: all checks passed", flush=True)
    sys.stdout.flush()
    # Library threads (pub/sub listeners, worker pools) must not keep the process alive.
    os._exit(0)
