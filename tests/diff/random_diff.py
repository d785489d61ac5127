#!/usr/bin/env python3
"""Random differential test: one random command stream, sent to sluice-server and redis-server.

Each seed drives a generator of commands over strings, lists, hashes, sets, sorted sets, streams,
expiries, keys, transactions and blocking commands (a few keys, so that commands meet each other's values and types, and a share
of commands cut short or given a stray argument), then of EVAL scripts whose results exercise the
Lua-to-RESP conversions. Every reply must be identical, in RESP2 and in RESP3, and every
200 commands the whole dataset is compared. The stream is reproducible from its seed:

    tests/diff/random_diff.py --sluice build/release/sluice-server --seeds 1-4 --count 3000

Nothing time-dependent is generated (no expiry short enough to run out during a run, no TTL or
PTTL, no idle times), so a difference is a behaviour difference.
"""
import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def _fill(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill(len(self.buf) + 1)
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line

    def _bulk(self, n):
        self._fill(n + 2)
        value, self.buf = self.buf[:n], self.buf[n + 2:]
        return value

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return ("status", rest)
        if kind == b"-":
            return ("error", rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self._bulk(int(rest))
        if kind in (b"*", b"~", b">"):
            if int(rest) < 0:
                return None
            items = [self.read() for _ in range(int(rest))]
            return items if kind == b"*" else (kind.decode(), items)
        if kind == b"%":
            return ("map", [(self.read(), self.read()) for _ in range(int(rest))])
        if kind in (b",", b"#", b"("):
            return (kind.decode(), rest)
        if kind == b"_":
            return ("null",)
        if kind in (b"=", b"!"):
            return (kind.decode(), self._bulk(int(rest)))
        raise ValueError("unexpected reply line %r" % line)


# ------------------------------------------------------------------------------------------------
# Commands

KEYS = ["s1", "s2", "l1", "l2", "h1", "h2", "z1", "z2", "t1", "t2", "x"]
MEMBERS = ["a", "b", "c", "d", "e", "1", "2", "10", "-1", "3.5", ""]
NUMS = ["0", "1", "-1", "2", "3", "5", "10", "-2", "100", "abc", "1.5", "9223372036854775807",
        "-9223372036854775808", "+inf", "-inf", "1e3", " 1", "0x10"]
FLOATS = ["0", "1", "-1", "1.5", "2.25", "-3.75", "1e2", "+inf", "-inf", "inf", "nan", "abc",
          "0.1", "3.0", "1e400", "-0"]
# Long enough never to run out during a run, or refused.
SECONDS = ["100", "1000000", "-1", "0", "abc", "9223372036854775807"]
MILLISECONDS = ["100000000", "-1", "0", "abc", "9223372036854775807"]
TIMEOUTS = ["0.005", "0.01", "abc", "-1", "1e400"]
GROUPS = ["g1", "g2"]
CONSUMERS = ["c1", "c2"]


def key():
    return random.choice(KEYS)


def member():
    return random.choice(MEMBERS)


def num():
    return random.choice(NUMS)


def flt():
    return random.choice(FLOATS)


def some(gen, lo=1, hi=4):
    return [gen() for _ in range(random.randint(lo, hi))]


def pairs(a, b, lo=1, hi=3):
    out = []
    for _ in range(random.randint(lo, hi)):
        out += [a(), b()]
    return out


def lex():
    return random.choice(["-", "+", "[a", "(a", "[c", "(c", "[", "a", "[e", "(b", "[1"])


def score():
    return random.choice(["-inf", "+inf", "0", "1", "(1", "2", "(2", "-1", "5", "(5", "abc", "1.5"])


def stream_id():
    return random.choice(["1-1", "1-2", "2-0", "3-5", "0-1", "5", "5-0", "10-10", "abc", "0-0",
                          "18446744073709551615-18446744073709551615", "2-*"])


def stream_bound():
    return random.choice(["-", "+", "0", "1-1", "(1-1", "2", "(2-0", "5-0", "abc", "10"])


def one_of(*options):
    return list(random.choice(options))


GENERATORS = [
    lambda: ["SET", key(), member()] + one_of([], ["NX"], ["XX"], ["GET"], ["NX", "GET"],
                                              ["KEEPTTL"], ["EX", random.choice(SECONDS)],
                                              ["PX", "100000000"]),
    lambda: ["GET", key()],
    lambda: ["APPEND", key(), member()],
    lambda: [random.choice(["INCRBY", "DECRBY"]), key(), num()],
    lambda: ["INCRBYFLOAT", key(), flt()],
    lambda: [random.choice(["GETRANGE", "SUBSTR"]), key(), num(), num()],
    lambda: ["SETRANGE", key(), random.choice(["0", "1", "3", "-1", "abc"]), member()],
    lambda: ["STRLEN", key()],
    lambda: ["MSET"] + pairs(key, member),
    lambda: ["MSETNX"] + pairs(key, member),
    lambda: ["MGET"] + some(key),
    lambda: [random.choice(["GETDEL", "INCR", "DECR"]), key()],
    lambda: [random.choice(["SETNX", "GETSET"]), key(), member()],
    lambda: [random.choice(["SETEX", "PSETEX"]), key(), random.choice(["0", "-1", "abc", "100000"]),
             member()],
    lambda: ["GETEX", key()] + one_of([], ["PERSIST"], ["EX", random.choice(SECONDS)]),
    lambda: ["LCS", key(), key()] + one_of([], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", "1",
                                                                   "WITHMATCHLEN"]),
    lambda: [random.choice(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), key()] + some(member),
    lambda: [random.choice(["LPOP", "RPOP"]), key()] + one_of([], [num()]),
    lambda: ["LRANGE", key(), num(), num()],
    lambda: ["LINDEX", key(), num()],
    lambda: ["LSET", key(), num(), member()],
    lambda: ["LINSERT", key(), random.choice(["BEFORE", "AFTER", "MIDDLE"]), member(), member()],
    lambda: ["LREM", key(), num(), member()],
    lambda: ["LTRIM", key(), num(), num()],
    lambda: ["LPOS", key(), member()] + one_of([], ["RANK", num()], ["COUNT", num()],
                                               ["MAXLEN", num()], ["RANK", "-1", "COUNT", "0"]),
    lambda: ["LMOVE", key(), key(), random.choice(["LEFT", "RIGHT"]),
             random.choice(["LEFT", "RIGHT", "UP"])],
    lambda: ["LMPOP", random.choice(["1", "2", "0"])] + some(key, 1, 2) +
    [random.choice(["LEFT", "RIGHT", "UP"])] + one_of([], ["COUNT", num()]),
    lambda: ["LLEN", key()],
    # Blocking forms: on an empty key they wait out a short timeout (or, inside MULTI, answer at
    # once), so the reply does not depend on time.
    lambda: [random.choice(["BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"])] + some(key, 1, 2) +
    [random.choice(TIMEOUTS)],
    lambda: ["BLMOVE", key(), key(), random.choice(["LEFT", "RIGHT"]),
             random.choice(["LEFT", "RIGHT"]), random.choice(TIMEOUTS)],
    lambda: [random.choice(["BLMPOP", "BZMPOP"]), random.choice(TIMEOUTS), random.choice(["1", "2"])] +
    some(key, 1, 2) + [random.choice(["LEFT", "RIGHT", "MIN", "MAX"])] + one_of([], ["COUNT", num()]),
    lambda: ["XREAD", "BLOCK", random.choice(["5", "abc", "-1"]), "STREAMS", key(),
             random.choice(["0", "$", stream_id()])],
    lambda: ["HSET", key()] + pairs(member, member),
    lambda: [random.choice(["HGET", "HEXISTS", "HSTRLEN"]), key(), member()],
    lambda: ["HDEL", key()] + some(member),
    lambda: ["HINCRBY", key(), member(), num()],
    lambda: ["HINCRBYFLOAT", key(), member(), flt()],
    lambda: ["HMGET", key()] + some(member),
    lambda: ["HLEN", key()],
    lambda: [random.choice(["HGETALL", "HKEYS", "HVALS"]), key()],
    lambda: [random.choice(["SMEMBERS", "SINTER", "SUNION", "SDIFF"])] + some(key, 1, 2),
    lambda: ["HSETNX", key(), member(), member()],
    lambda: ["SADD", key()] + some(member),
    lambda: ["SREM", key()] + some(member),
    lambda: ["SISMEMBER", key(), member()],
    lambda: ["SMISMEMBER", key()] + some(member),
    lambda: ["SCARD", key()],
    lambda: [random.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), key()] + some(key),
    lambda: ["SINTERCARD", random.choice(["1", "2", "0", "3"])] + some(key, 1, 2) +
    one_of([], ["LIMIT", num()]),
    lambda: ["SMOVE", key(), key(), member()],
    lambda: ["ZADD", key()] + one_of([], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["INCR"],
                                     ["NX", "GT"], ["XX", "CH"], ["GT", "CH"], ["NX", "XX"]) +
    pairs(flt, member),
    lambda: ["ZSCORE", key(), member()],
    lambda: ["ZINCRBY", key(), flt(), member()],
    lambda: ["ZREM", key()] + some(member),
    lambda: ["ZRANGE", key(), num(), num()] + one_of([], ["REV"], ["WITHSCORES"],
                                                     ["REV", "WITHSCORES"]),
    lambda: ["ZRANGE", key(), score(), score(), "BYSCORE"] +
    one_of([], ["REV"], ["LIMIT", num(), num()], ["WITHSCORES"],
           ["REV", "LIMIT", "0", "2", "WITHSCORES"]),
    lambda: ["ZRANGE", key(), lex(), lex(), "BYLEX"] + one_of([], ["REV"], ["LIMIT", num(), num()]),
    lambda: ["ZRANGEBYSCORE", key(), score(), score()] + one_of([], ["WITHSCORES"],
                                                                 ["LIMIT", num(), num()]),
    lambda: [random.choice(["ZRANK", "ZREVRANK"]), key(), member()],
    lambda: ["ZCOUNT", key(), score(), score()],
    lambda: ["ZLEXCOUNT", key(), lex(), lex()],
    lambda: [random.choice(["ZPOPMIN", "ZPOPMAX"]), key()] + one_of([], [num()]),
    lambda: ["ZMPOP", random.choice(["1", "2", "0"])] + some(key, 1, 2) +
    [random.choice(["MIN", "MAX", "UP"])] + one_of([], ["COUNT", num()]),
    lambda: [random.choice(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), key(),
             random.choice(["1", "2", "0", "3"])] + some(key, 1, 2) +
    one_of([], ["WEIGHTS", flt(), flt()],
           ["AGGREGATE", random.choice(["SUM", "MIN", "MAX", "AVG"])]),
    lambda: [random.choice(["ZINTER", "ZUNION", "ZDIFF"]), random.choice(["1", "2", "0"])] +
    some(key, 1, 2) + one_of([], ["WITHSCORES"], ["AGGREGATE", "MAX", "WITHSCORES"]),
    lambda: ["ZMSCORE", key()] + some(member),
    lambda: ["ZREMRANGEBYSCORE", key(), score(), score()],
    lambda: ["ZREMRANGEBYRANK", key(), num(), num()],
    lambda: ["ZREMRANGEBYLEX", key(), lex(), lex()],
    lambda: ["ZRANGESTORE", key(), key(), num(), num()] + one_of([], ["REV"], ["BYSCORE"]),
    lambda: ["ZCARD", key()],
    lambda: ["XADD", key()] + one_of([], ["NOMKSTREAM"], ["MAXLEN", num()], ["MAXLEN", "~", "2"],
                                     ["MINID", stream_id()]) + [stream_id(), member(), member()],
    lambda: [random.choice(["XRANGE", "XREVRANGE"]), key(), stream_bound(), stream_bound()] +
    one_of([], ["COUNT", num()]),
    lambda: ["XLEN", key()],
    lambda: ["XDEL", key()] + some(stream_id),
    lambda: ["XTRIM", key(), random.choice(["MAXLEN", "MINID"]), random.choice(["=", "~"]),
             random.choice([num(), stream_id()])],
    lambda: ["XGROUP", random.choice(["CREATE", "SETID", "DESTROY", "CREATECONSUMER",
                                      "DELCONSUMER"]), key(), random.choice(GROUPS)] +
    one_of([stream_id()], ["$"], ["0", "MKSTREAM"], ["c1"], []),
    lambda: ["XREADGROUP", "GROUP", random.choice(GROUPS), random.choice(CONSUMERS)] +
    one_of([], ["COUNT", num()], ["NOACK"]) +
    ["STREAMS", key(), random.choice([">", "0", stream_id()])],
    lambda: ["XACK", key(), random.choice(GROUPS)] + some(stream_id),
    # The summary form only: the extended form reports idle times in milliseconds.
    lambda: ["XPENDING", key(), random.choice(GROUPS)],
    lambda: ["XREAD"] + one_of([], ["COUNT", num()]) +
    ["STREAMS", key(), random.choice(["0", stream_id(), "$"])],
    lambda: ["XCLAIM", key(), random.choice(GROUPS), random.choice(CONSUMERS), "0"] +
    some(stream_id) + one_of([], ["JUSTID"], ["FORCE"]),
    lambda: ["XAUTOCLAIM", key(), random.choice(GROUPS), random.choice(CONSUMERS), "0",
             random.choice(["0", "0-0", stream_id()])] + one_of([], ["COUNT", num()], ["JUSTID"]),
    lambda: ["EXPIRE", key(), random.choice(SECONDS)] +
    one_of([], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"]),
    lambda: ["PEXPIRE", key(), random.choice(MILLISECONDS)] + one_of([], ["NX"], ["GT"]),
    lambda: ["EXPIREAT", key(), random.choice(["1", "4000000000", "abc", "0"])] +
    one_of([], ["NX"], ["GT"]),
    lambda: [random.choice(["PERSIST", "EXISTS", "TYPE", "OBJECT"]), key()],
    lambda: ["OBJECT", "ENCODING", key()],
    lambda: ["DEL"] + some(key),
    lambda: [random.choice(["TOUCH", "UNLINK"])] + some(key),
    lambda: [random.choice(["RENAME", "RENAMENX"]), key(), key()],
    lambda: ["COPY", key(), key()] + one_of([], ["REPLACE"]),
    lambda: ["DBSIZE"],
    # Transactions: commands after MULTI are queued (or refused, aborting the EXEC) and run by
    # EXEC; a write to a watched key, even by the same client, makes EXEC return null.
    lambda: [random.choice(["MULTI", "EXEC", "DISCARD", "MULTI", "EXEC"])],
    lambda: ["WATCH"] + some(key, 1, 2),
    lambda: ["UNWATCH"],
    lambda: ["SELECT", random.choice(["0", "0", "0", "1", "abc", "16", "-1"])],
    lambda: ["MOVE", key(), random.choice(["0", "1", "abc", "16"])],
    lambda: ["SWAPDB", random.choice(["0", "1"]), random.choice(["0", "1", "x"])],
]


def command():
    cmd = random.choice(GENERATORS)()
    r = random.random()
    if r < 0.05 and len(cmd) > 1:
        cmd = cmd[:random.randrange(1, len(cmd))]  # arity and syntax errors
    elif r < 0.10:
        cmd = cmd + [random.choice(["junk", "1", "LIMIT", "COUNT", "WITHSCORES", "NX"])]
    return cmd


def dataset(conn):
    """Every key's type and value, in a form where the order of unordered types does not count."""
    out = []
    for k in KEYS:
        t = conn.send(["TYPE", k])[1]
        query = {b"set": ["SMEMBERS", k], b"hash": ["HGETALL", k], b"list": ["LRANGE", k, "0", "-1"],
                 b"zset": ["ZRANGE", k, "0", "-1", "WITHSCORES"], b"string": ["GET", k],
                 b"stream": ["XRANGE", k, "-", "+"]}.get(t)
        value = conn.send(query) if query else None
        if isinstance(value, tuple):  # RESP3 set or map
            value = value[1]
        if t == b"set":
            value = sorted(value)
        elif t == b"hash":
            value = sorted(value if value and isinstance(value[0], tuple)
                           else zip(value[::2], value[1::2]))
        out.append((k, t, value))
    return out


# ------------------------------------------------------------------------------------------------
# Scripts

def lua_value(depth=0):
    c = random.randrange(16 if depth < 2 else 10)
    if c == 0:
        return random.choice(["1", "0", "-1", "3.7", "-2.5", "1e20", "0/0", "1/0", "-1/0", "2^53",
                              "2^63", "-0.0", "123456789012345"])
    if c == 1:
        return random.choice(["'x'", "''", "'1'", "'3.5'", "'\\0a'"])
    if c == 2:
        return random.choice(["true", "false", "nil"])
    if c == 3:
        return "{ok='OK'}"
    if c == 4:
        return random.choice(["{err='My Error'}", "{err='ERR x'}", "{err=''}"])
    if c == 5:
        return "redis.status_reply('FINE')"
    if c == 6:
        return "redis.error_reply('%s')" % random.choice(["E1", "ERR e", "-X y", ""])
    if c == 7:
        return random.choice([
            "redis.call('GET','x')", "redis.call('INCR','cnt')", "redis.call('LRANGE','l1',0,-1)",
            "redis.pcall('INCR','l1')", "redis.call('HGETALL','h1')", "redis.call('SMEMBERS','s1')",
            "redis.call('ZRANGE','z1',0,-1,'WITHSCORES')", "redis.call('ZSCORE','z1','a')",
            "redis.call('EXISTS','nope')", "redis.pcall('NOSUCH')", "redis.call('TYPE','l1')",
            "redis.call('SET','y','1')", "redis.call('PING')", "redis.call('XRANGE','st','-','+')"])
    if c == 8:
        return random.choice([
            "cjson.encode(%s)" % lua_value(depth + 1),
            "cjson.decode('%s')" % random.choice(["[1,2,3]", '{"a":1}', "null", "[1,null,3]", "1.5",
                                                  '"s"', "[]", "{}", "1e300", "[1.0e2]"]),
            "cmsgpack.unpack(cmsgpack.pack(%s))" % lua_value(depth + 1),
            "bit.band(%s, 7)" % random.choice(["1", "255", "-1", "2^32"]),
            "tostring(%s)" % lua_value(depth + 1), "type(%s)" % lua_value(depth + 1),
            "tonumber('%s')" % random.choice(["12", "0x10", "1e2", "x", " 5 "]),
            "string.format('%d %s %.3f', 3, 'a', 1/3)", "#KEYS", "ARGV[1]", "KEYS[2]"])
    if c == 9:
        return random.choice(["redis.sha1hex('abc')", "math.floor(7.9)", "string.rep('ab', 3)",
                              "table.concat({1,2,'x'}, ',')", "select('#', 1, nil, 3)",
                              "unpack({1,2})"])
    return "{" + ", ".join(lua_value(depth + 1) for _ in range(random.randint(0, 4))) + "}"


def script():
    prefix = random.choice(["", "", "redis.setresp(3) ", "redis.setresp(2) "])
    # error() is only given what Redis 7.0 itself survives: a string, a number or an error table.
    body = random.choice([
        "return " + lua_value(), "local t = " + lua_value() + " return t",
        "return redis.call('SET', KEYS[1], %s)" % lua_value(),
        "error(%s)" % random.choice(["'boom'", "{err='ERR x'}", "{err='My E'}", "12",
                                     "redis.error_reply('E2')"]),
        "return {" + lua_value() + "}"])
    return prefix + body


# Replies whose order Redis leaves to its hash tables (sets; hashes once a value outgrows the
# compact encoding): compared as sorted.
UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS"}


def comparable(cmd, reply):
    if cmd and cmd[0] in UNORDERED:
        if isinstance(reply, list):
            return sorted(reply)
        if isinstance(reply, tuple) and reply[0] == "~":
            return ("~", sorted(reply[1]))
    if cmd and cmd[0] == "HGETALL":
        if isinstance(reply, list):
            return sorted(zip(reply[::2], reply[1::2]))
        if isinstance(reply, tuple) and reply[0] == "map":
            return ("map", sorted(reply[1]))
    return reply


ADDRESS = re.compile(r"(table|function): 0x[0-9a-f]+")


def normalised(reply):
    return ADDRESS.sub("ADDRESS", repr(reply))


# ------------------------------------------------------------------------------------------------
# Servers and the run

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            Conn(port).send(["PING"])
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit("%s exited at start" % argv[0])
            time.sleep(0.05)
    proc.kill()
    sys.exit("%s did not answer" % argv[0])


def run_seed(a, b, seed, count, resp, scripts):
    random.seed(seed * 10 + resp + (5 if scripts else 0))
    differences = 0
    for conn in (a, b):
        conn.send(["SELECT", "0"])
        conn.send(["FLUSHALL"])
        conn.send(["HELLO", str(resp)])
        if scripts:
            for cmd in (["RPUSH", "l1", "a", "b"], ["HSET", "h1", "f", "v"], ["SADD", "s1", "m"],
                        ["ZADD", "z1", "1.5", "a", "2", "b"], ["SET", "x", "val"],
                        ["XADD", "st", "1-1", "f", "v"]):
                conn.send(cmd)
    history = []
    for i in range(count):
        cmd = (["EVAL", script(), "2", "k1", "k2", "a1", "a2"] if scripts else command())
        history.append(cmd)
        ra, rb = comparable(cmd, a.send(cmd)), comparable(cmd, b.send(cmd))
        if normalised(ra) != normalised(rb):
            differences += 1
            print("seed %d resp %d #%d: %r\n  sluice: %r\n  redis:  %r"
                  % (seed, resp, i, cmd, ra, rb))
        if not scripts and i % 200 == 199:
            # Out of any transaction first, so that the reads below are not queued.
            ra, rb = a.send(["DISCARD"]), b.send(["DISCARD"])
            if ra != rb:
                differences += 1
                print("seed %d resp %d after #%d: DISCARD %r / %r" % (seed, resp, i, ra, rb))
            da, db = dataset(a), dataset(b)
            if da != db:
                differences += 1
                print("seed %d resp %d after #%d: datasets differ\n  last commands: %r\n"
                      "  sluice: %r\n  redis:  %r" % (seed, resp, i, history[-5:], da, db))
                break
        if differences >= 20:
            break
    return differences


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--seeds", default="1-3", help="a seed or a range, e.g. 1-3")
    parser.add_argument("--count", type=int, default=3000, help="commands per seed and protocol")
    args = parser.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)

    with tempfile.TemporaryDirectory() as tmp:
        sluice_port, redis_port = free_port(), free_port()
        servers = [
            start([args.sluice, "--port", str(sluice_port), "--bind", "127.0.0.1", "--dir", tmp,
                   "--appendonly", "no"], sluice_port),
            start([args.redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", tmp,
                   "--save", "", "--appendonly", "no"], redis_port),
        ]
        try:
            a, b = Conn(sluice_port), Conn(redis_port)
            total = 0
            runs = 0
            for seed in seeds:
                for resp in (2, 3):
                    for scripts in (False, True):
                        total += run_seed(a, b, seed, args.count, resp, scripts)
                        runs += 1
            print("random differential: %d runs of %d commands, %d differences"
                  % (runs, args.count, total))
            return 1 if total else 0
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
