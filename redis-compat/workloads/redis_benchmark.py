"""redis-benchmark: the default test set, plain and pipelined (-P 16), over RESP2 and RESP3.
redis-benchmark stops at the first error reply, so every test must complete; the data the tests
leave behind must be what Redis leaves (the counter incremented once per request, the list
pushes and pops balanced). Small request counts: this checks behaviour, not speed."""

import csv
import io
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from compat import HOST, PORT, expect, main, version  # noqa: E402

import redis  # noqa: E402

TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
         "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)",
         "LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
         "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)", "MSET (10 keys)"]


def bench(*extra, n):
    p = subprocess.run(["redis-benchmark", "-h", HOST, "-p", str(PORT), "-n", str(n), "-c", "10",
                        "--csv", *extra], capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or "Error" in p.stderr:
        raise AssertionError(f"redis-benchmark {' '.join(extra)} exited {p.returncode}: "
                             f"{p.stderr.strip()[-500:]}")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    expect(f"tests run {' '.join(extra)}", [row["test"] for row in rows], TESTS)
    for row in rows:
        assert float(row["rps"]) > 0, row


def body():
    v = subprocess.run(["redis-benchmark", "--version"], capture_output=True, text=True).stdout.split()[1]
    version("redis-benchmark", v)
    r = redis.Redis(host=HOST, port=PORT, decode_responses=True)
    for extra, n in (((), 2000), (("-P", "16"), 8000), (("-3",), 2000)):
        r.flushall()
        bench(*extra, n=n)
        # Without -r every request names the same key.
        expect(f"INCR count {extra}", r.get("counter:__rand_int__"), str(n))
        expect(f"list length {extra}", r.llen("mylist"), n)
        expect(f"set after SPOP {extra}", r.scard("myset"), 0)
        # Values are the default 3-byte payload.
        expect(f"hash {extra}", {k: len(v) for k, v in r.hgetall("myhash").items()},
               {"element:__rand_int__": 3})
        expect(f"zset after ZPOPMIN {extra}", r.zcard("myzset"), 0)
        expect(f"SET value {extra}", r.strlen("key:__rand_int__"), 3)


if __name__ == "__main__":
    main("redis-benchmark", body)
