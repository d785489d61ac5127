"""redis-py: a small reliable job queue built on plain commands (jobs in hashes, BLMOVE from a
wait list to an active list, retries and delays in a sorted set promoted by a registered Lua
script, failures in a sorted set, events over pub/sub and a stream read by a consumer group),
run by worker threads; then locks, WATCH transactions, scan iterators, stream claiming and
blocking sorted-set pops, all over RESP2.

redis-py 4.3 (Debian 12's) has no RESP3 support (it arrived in redis-py 5); RESP3 is covered by
the node-redis, ioredis and hiredis workloads and by the end-to-end tests."""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from compat import HOST, PORT, assert_on_time, expect, main, version, wait_for  # noqa: E402

import redis  # noqa: E402

PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('LPUSH', KEYS[2], id)
  redis.call('HSET', 'mq:job:' .. id, 'state', 'waiting')
end
return #due"""

WAIT, ACTIVE, DELAYED, FAILED, DONE, LOG = (
    "mq:wait", "mq:active", "mq:delayed", "mq:failed", "mq:done", "mq:log")
MAX_ATTEMPTS = {"double": 1, "flaky": 3, "broken": 2, "delayed": 1}
BACKOFF = 0.5


def job_key(job_id):
    return f"mq:job:{job_id}"


def process(job, attempt):
    kind = job["kind"]
    if kind == "double":
        return str(int(job["n"]) * 2)
    if kind == "flaky":
        if attempt == 1:
            raise RuntimeError("flaky: first attempt fails")
        return "recovered"
    if kind == "broken":
        raise RuntimeError("broken: always fails")
    return "on time"


def event(pipe, what, job_id, **extra):
    pipe.publish(f"mq:events:{what}", json.dumps({"id": job_id, **extra}))
    pipe.xadd(LOG, {"event": what, "id": job_id})


def worker(r, stop, ran_at, errors):
    try:
        while not stop.is_set():
            job_id = r.blmove(WAIT, ACTIVE, 0.1, "RIGHT", "LEFT")
            if job_id is None:
                continue
            job = r.hgetall(job_key(job_id))
            attempt = int(job["attempts"]) + 1
            ran_at.setdefault(job_id, []).append(time.time())
            with r.pipeline(transaction=True) as p:
                p.lrem(ACTIVE, 1, job_id)
                try:
                    result = process(job, attempt)
                    p.hset(job_key(job_id), mapping={"state": "done", "result": result})
                    p.zadd(DONE, {job_id: time.time()})
                    event(p, "completed", job_id, result=result)
                except RuntimeError as e:
                    p.hincrby(job_key(job_id), "attempts", 1)
                    p.hset(job_key(job_id), "error", str(e))
                    if attempt < MAX_ATTEMPTS[job["kind"]]:
                        p.zadd(DELAYED, {job_id: time.time() + BACKOFF * attempt})
                        p.hset(job_key(job_id), "state", "delayed")
                        event(p, "retrying", job_id)
                    else:
                        p.zadd(FAILED, {job_id: time.time()})
                        p.hset(job_key(job_id), "state", "failed")
                        event(p, "failed", job_id, error=str(e))
                p.execute()
    except Exception as e:  # noqa: BLE001 - reported by the main thread
        errors.append(e)


def mini_queue(pool):
    r = redis.Redis(connection_pool=pool)
    promote = r.register_script(PROMOTE)
    events = []
    pubsub = r.pubsub()
    pubsub.psubscribe(**{"mq:events:*": lambda m: events.append((m["channel"], json.loads(m["data"])))})
    listener = pubsub.run_in_thread(sleep_time=0.01, daemon=True)
    r.xgroup_create(LOG, "auditors", id="$", mkstream=True)

    with r.pipeline() as p:
        for i in range(30):
            p.hset(job_key(f"d{i}"), mapping={"kind": "double", "n": i, "attempts": 0, "state": "waiting"})
            p.lpush(WAIT, f"d{i}")
        for kind in ("flaky", "broken"):
            p.hset(job_key(kind), mapping={"kind": kind, "n": 0, "attempts": 0, "state": "waiting"})
            p.lpush(WAIT, kind)
        p.execute()
    delayed_at = time.time()
    r.hset(job_key("later"), mapping={"kind": "delayed", "n": 0, "attempts": 0, "state": "delayed"})
    r.zadd(DELAYED, {"later": delayed_at + 1.5})

    stop, ran_at, errors = threading.Event(), {}, []
    threads = [threading.Thread(target=worker, args=(redis.Redis(connection_pool=pool), stop, ran_at, errors))
               for _ in range(3)]
    for t in threads:
        t.start()

    def finished():
        promote(keys=[DELAYED, WAIT], args=[time.time(), 100])
        with r.pipeline() as p:
            p.llen(WAIT).llen(ACTIVE).zcard(DELAYED).zcard(FAILED).zcard(DONE)
            return p.execute() == [0, 0, 0, 1, 32] or errors
    try:
        wait_for("every job to finish", finished, timeout=20, every=0.025)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors

    for i in range(30):
        job = r.hgetall(job_key(f"d{i}"))
        expect(f"job d{i}", (job["state"], job["result"], len(ran_at[f"d{i}"])), ("done", str(2 * i), 1))
    flaky = r.hgetall(job_key("flaky"))
    expect("flaky job", (flaky["state"], flaky["result"], flaky["attempts"]), ("done", "recovered", "1"))
    assert_on_time("flaky retry", ran_at["flaky"][1], ran_at["flaky"][0] + BACKOFF)
    expect("failed set", r.zrange(FAILED, 0, -1), ["broken"])
    broken = r.hgetall(job_key("broken"))
    expect("broken job", (broken["state"], broken["error"], broken["attempts"]),
           ("failed", "broken: always fails", "2"))
    assert_on_time("broken retry", ran_at["broken"][1], ran_at["broken"][0] + BACKOFF)
    expect("delayed job", r.hget(job_key("later"), "result"), "on time")
    assert_on_time("delayed job", ran_at["later"][0], delayed_at + 1.5)

    wait_for("the published events", lambda: len(events) >= 35)
    listener.stop()
    channels = [c for c, _ in events]
    expect("completed events", channels.count("mq:events:completed"), 32)
    expect("retrying events", sorted(m["id"] for c, m in events if c == "mq:events:retrying"), ["broken", "flaky"])
    expect("failed events", [m["id"] for c, m in events if c == "mq:events:failed"], ["broken"])
    entries = r.xreadgroup("auditors", "auditor-1", {LOG: ">"}, count=100)[0][1]
    expect("logged events", len(entries), 35)
    expect("acknowledged", r.xack(LOG, "auditors", *[eid for eid, _ in entries]), 35)
    # The promote script was loaded once and then run by SHA.
    assert r.script_exists(promote.sha) == [True]


def features(pool):
    r = redis.Redis(connection_pool=pool)
    # Server facts redis-py users (and the queue libraries) check.
    info = r.info()
    assert int(info["redis_version"].split(".")[0]) >= 7, info["redis_version"]
    expect("maxmemory_policy", info["maxmemory_policy"], "noeviction")
    expect("loading", info["loading"], 0)
    expect("CONFIG GET", r.config_get("maxmemory-policy"), {"maxmemory-policy": "noeviction"})

    # A lock: SET NX PX, and Lua scripts for release and extend that check the token.
    lock = r.lock("resource", timeout=5, blocking_timeout=0.2)
    assert lock.acquire()
    other = r.lock("resource", timeout=5, blocking_timeout=0.2)
    assert not other.acquire(), "a held lock is not acquired twice"
    assert lock.extend(5)
    lock.release()
    assert other.acquire()
    other.release()

    # An optimistic transaction retried after a conflicting write.
    r.set("counter", 0)
    attempts = []

    def bump(pipe):
        value = int(pipe.get("counter"))
        if not attempts:
            r.incr("counter")  # a concurrent writer: the first EXEC must fail
        attempts.append(value)
        pipe.multi()
        pipe.set("counter", value + 10)
    r.transaction(bump, "counter")
    expect("transaction result", (r.get("counter"), len(attempts)), ("11", 2))

    # Scan iterators over keys and every collection type.
    with r.pipeline(transaction=False) as p:
        for i in range(300):
            p.set(f"scan:str:{i}", i)
            p.hset("scan:hash", f"f{i}", i)
            p.sadd("scan:set", i)
            p.zadd("scan:zset", {f"m{i}": i})
        p.execute()
    expect("scan_iter", len(set(r.scan_iter(match="scan:str:*", count=37))), 300)
    expect("scan_iter type", len(set(r.scan_iter(match="scan:*", count=100, _type="zset"))), 1)
    expect("hscan_iter", len(dict(r.hscan_iter("scan:hash", count=37))), 300)
    expect("sscan_iter", len(set(r.sscan_iter("scan:set", count=37))), 300)
    expect("zscan_iter", sum(s for _, s in r.zscan_iter("scan:zset", count=37)), sum(range(300)))

    # Sorted sets with scores as floats, blocking pops, compact encodings.
    r.zadd("prio", {"low": 5, "high": 1, "mid": 3})
    expect("zrange withscores", r.zrange("prio", 0, -1, withscores=True),
           [("high", 1.0), ("mid", 3.0), ("low", 5.0)])
    expect("zpopmin", r.zpopmin("prio"), [("high", 1.0)])
    expect("bzpopmin", r.bzpopmin(["empty", "prio"], timeout=1), ("prio", "mid", 3.0))
    expect("bzpopmin timeout", r.bzpopmin(["empty"], timeout=0.05), None)
    expect("zmscore", r.zmscore("prio", ["low", "none"]), [5.0, None])
    expect("object encoding", r.object("encoding", "prio"), "listpack")
    expect("hrandfield", r.hrandfield("scan:hash", 5, withvalues=False).__len__(), 5)

    # Stream consumer groups: pending entries claimed by another consumer.
    r.xadd("orders", {"n": 1}, id="1-0")
    r.xadd("orders", {"n": 2}, id="2-0")
    r.xgroup_create("orders", "billing", id="0")
    got = r.xreadgroup("billing", "alice", {"orders": ">"}, count=2)
    expect("xreadgroup", [eid for eid, _ in got[0][1]], ["1-0", "2-0"])
    expect("xpending", r.xpending("orders", "billing")["pending"], 2)
    claimed = r.xautoclaim("orders", "billing", "bob", min_idle_time=0, count=1)
    expect("xautoclaim", [eid for eid, _ in claimed[1]], ["1-0"])
    expect("xclaim", [eid for eid, _ in r.xclaim("orders", "billing", "bob", 0, ["2-0"])], ["2-0"])
    consumers = {c["name"]: c["pending"] for c in r.xinfo_consumers("orders", "billing")}
    expect("xinfo consumers", consumers, {"alice": 0, "bob": 2})

    # Pub/sub message objects, with subscribe confirmations.
    ps = r.pubsub()
    ps.subscribe("news")
    expect("subscribe", ps.get_message(timeout=1)["type"], "subscribe")
    expect("publish", r.publish("news", "hello"), 1)
    msg = ps.get_message(timeout=1)
    expect("message", (msg["type"], msg["channel"], msg["data"]), ("message", "news", "hello"))
    ps.close()

    # Binary-safe values through a client that does not decode replies.
    raw = redis.Redis(host=HOST, port=PORT)
    blob = bytes(range(256)) * 4
    raw.set("blob", blob)
    expect("binary GET", raw.get("blob"), blob)
    expect("client name", (r.client_setname("compat") and r.client_getname()), "compat")
    assert any(c["name"] == "compat" for c in r.client_list())


def body():
    version("redis-py", redis.__version__)
    pool = redis.ConnectionPool(host=HOST, port=PORT, decode_responses=True)
    redis.Redis(connection_pool=pool).flushall()
    mini_queue(pool)
    features(pool)
    # SELECT through the connection's db parameter keeps databases apart.
    db1 = redis.Redis(host=HOST, port=PORT, db=1, decode_responses=True)
    db1.set("where", "db1")
    expect("SELECT", (db1.get("where"), redis.Redis(connection_pool=pool).get("where")), ("db1", None))


if __name__ == "__main__":
    main("redis-py", body)
