#!/usr/bin/env python3
"""Reliable-queue work cycle: Sluice's QPUSH/QPOP/QACK against the patterns Redis users build.

Three ways to run the same at-least-once work queue, each a push, a pop that keeps the message
until it is acknowledged, and an acknowledgement per message:

  sluice-q      Sluice    QPUSH q m;  QPOP BLOCK 100 FROM q;  QACK q id
  redis-list    redis     LPUSH q m;  BLMOVE q q:processing RIGHT LEFT 0.1;
                          LREM q:processing 1 m
  redis-stream  redis     XADD q * m <m>;  XREADGROUP GROUP g cN COUNT 1 BLOCK 100 STREAMS q >;
                          XACK q g id

Clients: 50 connections by default, 25 producers and 25 consumers running at the same time.
Producers split the MESSAGES between them and push their share; a consumer pops and then
acknowledges what it got. The figure is messages per second through the whole cycle: MESSAGES
divided by the time from the start until the last acknowledgement.

The load comes from sluice-queue-load (bench/queue_load.c, built with the server), which drives
every connection from one thread with one epoll loop: a Python client costs more CPU per message
than the servers do and would set the pace itself. `--load python` uses the Python generator of
this file instead, its connections spread over --procs processes that each run one select loop;
both generators implement the same commands, pipelining and checks. For each pattern and depth
the client's CPU time per message is printed next to the rates, so a client-bound run shows.

Pipelining, like redis-benchmark's -P: at depth P a producer sends P pushes in one write and
reads their replies; a consumer sends one blocking pop followed by P - 1 non-blocking ones
(QPOP FROM q, LMOVE, XREADGROUP without BLOCK) in one write, then the acknowledgements of
everything it got in one write. The blocking pop first means an idle consumer waits in the
server rather than spinning, and never sits on messages it already holds; at P = 1 each
consumer simply loops over a blocking pop and an acknowledgement.

Exactly-once accounting: every message is 64 bytes carrying its own sequence number. Each
consumer checks every payload it receives, that no message arrives twice (nor twice across
processes: the sets are merged at the end), that each acknowledgement removed exactly one
message, and the run checks that every message was received once and the server holds nothing
in flight afterwards (QINFO; LLEN of both lists; XPENDING). A server that loses, duplicates or
corrupts messages fails the run instead of looking fast.

The servers stay up for the whole run; both Redis patterns run on the same redis-server. For
each pair and depth every pattern runs once, the order reversed from one pair to the next, and
each pair gives a ratio of Sluice to the faster Redis pattern of that pair; the medians are
reported. Sluice runs with its defaults (append-only log on, fsync every second), redis-server
without persistence unless --redis-args says otherwise.

Usage: bench/queue_cycle.py [--sluice PATH] [--redis PATH] [--pairs N] [--messages N]
                            [--producers N] [--consumers N] [--pipeline 1,16]
                            [--patterns sluice-q,redis-list,redis-stream]
                            [--sluice-args ARGS] [--redis-args ARGS]
                            [--load c|python] [--load-binary PATH] [--procs N]
Only the Python standard library is used.
"""
import argparse
import multiprocessing
import os
import resource
import selectors
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (servers and RESP helpers)

PAYLOAD_SIZE = 64
SEQ_DIGITS = 12
FILLER = b":" + b"x" * (PAYLOAD_SIZE - SEQ_DIGITS - 1)
BLOCK_MS = 100


def payload(seq):
    return b"%012d" % seq + FILLER


def seq_of(data, messages):
    """The sequence number of a payload, or an error for anything this run did not push."""
    if len(data) != PAYLOAD_SIZE or data[SEQ_DIGITS:] != FILLER:
        raise compare.BenchError("corrupt payload %r" % data[:80])
    seq = int(data[:SEQ_DIGITS])
    if seq >= messages:
        raise compare.BenchError("payload of a message never pushed: %r" % data[:SEQ_DIGITS])
    return seq


def encode(*args):
    return compare._encode(args)


class Incomplete(Exception):
    pass


def parse(buf, pos):
    """One RESP2 reply of buf at pos: (value, next position); raises Incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete
    kind = buf[pos]
    if kind == 36:  # $
        n = int(buf[pos + 1:end])
        if n < 0:
            return None, end + 2
        start = end + 2
        if len(buf) < start + n + 2:
            raise Incomplete
        return buf[start:start + n], start + n + 2
    if kind == 42:  # *
        n = int(buf[pos + 1:end])
        if n < 0:
            return None, end + 2
        pos = end + 2
        items = []
        for _ in range(n):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 58:  # :
        return int(buf[pos + 1:end]), end + 2
    if kind == 43:  # +
        return bytes(buf[pos + 1:end]), end + 2
    if kind == 45:  # -
        return compare.BenchError(buf[pos + 1:end].decode(errors="replace")), end + 2
    if kind == 95:  # _ (RESP3 null)
        return None, end + 2
    raise compare.BenchError("unexpected reply %r" % bytes(buf[pos:pos + 80]))


# --------------------------------------------------------------------------
# The three patterns

class Pattern:
    server = None  # "sluice" or "redis"
    keys = ()

    def reset(self, port):
        compare.command(port, "DEL", *self.keys)

    def push(self, data):
        raise NotImplementedError

    def check_push(self, reply):
        raise NotImplementedError

    def pops(self, consumer, pipeline):
        """The bytes of one batch of pops: a blocking one, then P - 1 non-blocking ones."""
        return self.pop(consumer, True) + self.pop(consumer, False) * (pipeline - 1)

    def take(self, reply):
        """(payload, acknowledgement command) of a pop reply, or None when it got nothing."""
        raise NotImplementedError

    def verify(self, port, messages):
        """Checks the server's state after a run; returns a string describing a problem."""
        raise NotImplementedError


class SluiceQueue(Pattern):
    name = "sluice-q"
    server = "sluice"
    keys = ("q",)
    prefix = encode("QPUSH", "q", "")[:-2 - len("$0\r\n")]

    def reset(self, port):
        super().reset(port)
        reply = compare.command(port, "QCREATE", "q")
        if reply != "OK":
            raise compare.BenchError("QCREATE: %r" % reply)

    def push(self, data):
        return b"%s$%d\r\n%s\r\n" % (self.prefix, len(data), data)

    def check_push(self, reply):
        if not isinstance(reply, bytes) or b"-" not in reply:
            raise compare.BenchError("QPUSH replied %r" % reply)

    def pop(self, consumer, block):
        if block:
            return encode("QPOP", "BLOCK", str(BLOCK_MS), "FROM", "q")
        return encode("QPOP", "FROM", "q")

    def take(self, reply):
        if reply is None:
            return None
        if len(reply) != 1 or len(reply[0]) != 4 or reply[0][0] != b"q":
            raise compare.BenchError("QPOP replied %r" % (reply,))
        _key, msg_id, data, deliveries = reply[0]
        if deliveries != 1:
            raise compare.BenchError("message %r delivered %r times" % (msg_id, deliveries))
        return data, encode("QACK", "q", msg_id)

    def verify(self, port, messages):
        info = compare.command(port, "QINFO", "q")
        fields = {info[i].decode(): info[i + 1] for i in range(0, len(info) - 1, 2)}
        want = {"ready": 0, "delayed": 0, "inflight": 0, "pushed": messages,
                "delivered": messages, "acked": messages, "timeouts": 0, "nacked": 0}
        wrong = ["%s %r (want %d)" % (k, fields.get(k), v) for k, v in want.items()
                 if fields.get(k) != v]
        return "QINFO q: " + ", ".join(wrong) if wrong else None


class RedisList(Pattern):
    name = "redis-list"
    server = "redis"
    keys = ("q", "q:processing")
    prefix = encode("LPUSH", "q", "")[:-2 - len("$0\r\n")]

    def push(self, data):
        return b"%s$%d\r\n%s\r\n" % (self.prefix, len(data), data)

    def check_push(self, reply):
        if not isinstance(reply, int) or reply < 1:
            raise compare.BenchError("LPUSH replied %r" % reply)

    def pop(self, consumer, block):
        if block:
            return encode("BLMOVE", "q", "q:processing", "RIGHT", "LEFT", "%g" % (BLOCK_MS / 1000))
        return encode("LMOVE", "q", "q:processing", "RIGHT", "LEFT")

    def take(self, reply):
        if reply is None:
            return None
        if not isinstance(reply, bytes):
            raise compare.BenchError("LMOVE replied %r" % (reply,))
        return reply, encode("LREM", "q:processing", "1", reply)

    def verify(self, port, messages):
        left = [compare.command(port, "LLEN", k) for k in self.keys]
        return None if left == [0, 0] else "LLEN q, q:processing: %r" % left


class RedisStream(Pattern):
    name = "redis-stream"
    server = "redis"
    keys = ("q",)
    prefix = encode("XADD", "q", "*", "m", "")[:-2 - len("$0\r\n")]

    def reset(self, port):
        super().reset(port)
        reply = compare.command(port, "XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
        if reply != "OK":
            raise compare.BenchError("XGROUP CREATE: %r" % reply)

    def push(self, data):
        return b"%s$%d\r\n%s\r\n" % (self.prefix, len(data), data)

    def check_push(self, reply):
        if not isinstance(reply, bytes) or b"-" not in reply:
            raise compare.BenchError("XADD replied %r" % reply)

    def pop(self, consumer, block):
        name = "c%d" % consumer
        if block:
            return encode("XREADGROUP", "GROUP", "g", name, "COUNT", "1", "BLOCK", str(BLOCK_MS),
                          "STREAMS", "q", ">")
        return encode("XREADGROUP", "GROUP", "g", name, "COUNT", "1", "STREAMS", "q", ">")

    def take(self, reply):
        if reply is None:
            return None
        try:
            (key, entries), = reply
            (entry_id, (field, data)), = entries
        except (TypeError, ValueError):
            raise compare.BenchError("XREADGROUP replied %r" % (reply,))
        if key != b"q" or field != b"m":
            raise compare.BenchError("XREADGROUP replied %r" % (reply,))
        return data, encode("XACK", "q", "g", entry_id)

    def verify(self, port, messages):
        pending = compare.command(port, "XPENDING", "q", "g")[0]
        length = compare.command(port, "XLEN", "q")
        if pending != 0 or length != messages:
            return "XPENDING %r, XLEN %r (want 0, %d)" % (pending, length, messages)
        return None


PATTERNS = {p.name: p for p in (SluiceQueue(), RedisList(), RedisStream())}


# --------------------------------------------------------------------------
# Client processes

class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b""
        self.out = b""
        self.expect = 0  # replies still to come for the batch in flight
        self.done = False

    def send(self, data, replies):
        self.out += data
        self.expect = replies
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            self.out = self.out[n:]


class Producer(Conn):
    def __init__(self, port, pattern, first, end, pipeline):
        super().__init__(port)
        self.pattern, self.next, self.end, self.pipeline = pattern, first, end, pipeline

    def start(self, state):
        if self.next >= self.end:
            self.done = True
            return
        n = min(self.pipeline, self.end - self.next)
        self.send(b"".join(self.pattern.push(payload(s))
                           for s in range(self.next, self.next + n)), n)
        self.next += n
        state.pushed += n

    def on_reply(self, reply, state):
        if isinstance(reply, compare.BenchError):
            raise reply
        self.pattern.check_push(reply)
        self.expect -= 1
        if self.expect == 0:
            self.start(state)


class Consumer(Conn):
    def __init__(self, port, pattern, index, pipeline):
        super().__init__(port)
        self.pattern = pattern
        self.batch = pattern.pops(index, pipeline)
        self.pipeline = pipeline
        self.acking = False
        self.acks = []

    def start(self, state):
        self.acking = False
        self.send(self.batch, self.pipeline)

    def on_reply(self, reply, state):
        if isinstance(reply, compare.BenchError):
            raise reply
        self.expect -= 1
        if self.acking:
            if reply != 1:
                raise compare.BenchError("an acknowledgement replied %r, wanted 1" % (reply,))
            if self.expect == 0:
                state.acked(len(self.acks))
                self.acks = []
                self.next_batch(state)
            return
        got = self.pattern.take(reply)
        if got is not None:
            data, ack = got
            seq = seq_of(data, state.messages)
            if state.seen[seq]:
                raise compare.BenchError("message %d delivered twice" % seq)
            state.seen[seq] = 1
            self.acks.append(ack)
        if self.expect == 0:
            if self.acks:
                self.acking = True
                self.send(b"".join(self.acks), len(self.acks))
            else:
                state.idle()
                self.next_batch(state)

    def next_batch(self, state):
        if state.all_acked():
            self.done = True
        else:
            self.start(state)


class ProcState:
    def __init__(self, messages, acked_counter, stall):
        self.messages = messages
        self.seen = bytearray(messages)
        self.counter = acked_counter  # shared by the processes
        self.stall = stall
        self.pushed = 0
        self.local_acked = 0
        self.last_ack = None
        self.last_total = -1
        self.last_change = time.monotonic()

    def acked(self, n):
        self.local_acked += n
        self.last_ack = time.monotonic()
        with self.counter.get_lock():
            self.counter.value += n

    def all_acked(self):
        return self.counter.value >= self.messages

    def idle(self):
        # A consumer found nothing: fine while others make progress, fatal when nobody does.
        total = self.counter.value
        now = time.monotonic()
        if total != self.last_total:
            self.last_total, self.last_change = total, now
        elif now - self.last_change > self.stall:
            raise compare.BenchError("stalled: %d of %d messages acknowledged, none for %.0fs"
                                     % (total, self.messages, self.stall))


def client_process(pattern_name, port, producers, consumers, messages, pipeline, counter,
                   barrier, results, stall):
    """producers: [(first, end)]; consumers: [index]. Puts one result dict on `results`."""
    out = {"error": None}
    conns = []
    try:
        pattern = PATTERNS[pattern_name]
        state = ProcState(messages, counter, stall)
        conns = ([Producer(port, pattern, a, b, pipeline) for a, b in producers] +
                 [Consumer(port, pattern, i, pipeline) for i in consumers])
        sel = selectors.DefaultSelector()
        for c in conns:
            sel.register(c.sock, selectors.EVENT_READ, c)
        barrier.wait(timeout=60)
        out["start"] = time.monotonic()
        for c in conns:
            c.start(state)
        live = sum(1 for c in conns if not c.done)
        last_event = time.monotonic()
        while live:
            writing = [c for c in conns if c.out]
            for c in writing:
                c.flush()
            events = sel.select(timeout=0 if any(c.out for c in writing) else 1.0)
            now = time.monotonic()
            if events:
                last_event = now
            elif now - last_event > stall:
                raise compare.BenchError("no reply for %.0fs (%d of %d acknowledged)"
                                         % (stall, counter.value, messages))
            for key, _ in events:
                c = key.data
                try:
                    data = c.sock.recv(1 << 18)
                except BlockingIOError:
                    continue
                if not data:
                    raise compare.BenchError("the server closed a connection")
                buf = c.buf + data if c.buf else data
                pos = 0
                try:
                    while c.expect:
                        reply, pos = parse(buf, pos)
                        c.on_reply(reply, state)
                        if c.done:
                            break
                except Incomplete:
                    pass
                c.buf = buf[pos:]
                if c.done:
                    if c.buf:
                        raise compare.BenchError("unexpected replies after the end")
                    sel.unregister(c.sock)
                    live -= 1
        out.update(last_ack=state.last_ack, pushed=state.pushed, acked=state.local_acked,
                   seen=bytes(state.seen))
    except Exception as e:  # reported to the parent, which fails the run
        out["error"] = "%s: %s" % (type(e).__name__, e)
        try:
            barrier.abort()
        except Exception:
            pass
    finally:
        for c in conns:
            c.sock.close()
    results.put(out)


def split(total, parts):
    return [(total * i // parts, total * (i + 1) // parts) for i in range(parts)]


def children_cpu():
    """CPU seconds used so far by this process's waited-for children (the client processes)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_once_c(pattern, port, args, pipeline):
    """One run by sluice-queue-load, which makes the same checks and exits non-zero on a failure."""
    argv = [args.load_binary, "--pattern", pattern.name, "--port", str(port),
            "--messages", str(args.messages), "--producers", str(args.producers),
            "--consumers", str(args.consumers), "--pipeline", str(pipeline),
            "--stall", str(max(1, int(args.stall)))]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=args.run_timeout)
    except subprocess.TimeoutExpired:
        raise compare.BenchError("%s: no result within %.0fs" % (pattern.name, args.run_timeout))
    if done.returncode != 0:
        raise compare.BenchError("%s: %s (exit status %d)" % (
            pattern.name, done.stderr.strip() or done.stdout.strip(), done.returncode))
    fields = dict(item.split("=", 1) for item in done.stdout.split() if "=" in item)
    try:
        return float(fields["msg_per_s"])
    except (KeyError, ValueError):
        raise compare.BenchError("%s: unexpected output %r" % (pattern.name, done.stdout))


def run_once(pattern, port, args, pipeline):
    """Messages per second through push, pop and acknowledgement; fails on any lost message."""
    if args.load == "c":
        return run_once_c(pattern, port, args, pipeline)
    pattern.reset(port)
    shares = split(args.messages, args.producers)
    procs = min(args.procs, args.producers + args.consumers)
    plan = [([], []) for _ in range(procs)]
    for i, share in enumerate(shares):
        plan[i % procs][0].append(share)
    for i in range(args.consumers):
        plan[(i + args.producers) % procs][1].append(i)
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)
    barrier = ctx.Barrier(procs)
    results = ctx.Queue()
    workers = [ctx.Process(target=client_process,
                           args=(pattern.name, port, p, c, args.messages, pipeline, counter,
                                 barrier, results, args.stall))
               for p, c in plan]
    for w in workers:
        w.start()
    outs = []
    try:
        for _ in workers:
            outs.append(results.get(timeout=args.run_timeout))
    except Exception:
        raise compare.BenchError("%s: no result within %.0fs" % (pattern.name, args.run_timeout))
    finally:
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.kill()
                w.join()
    errors = [o["error"] for o in outs if o["error"]]
    if errors:
        raise compare.BenchError("%s: %s" % (pattern.name, errors[0]))
    # Every message exactly once across the processes: the seen-sets are 0/1 bytes, so their
    # sum as one big integer has no carries and must be all ones.
    total = sum(int.from_bytes(o["seen"], "little") for o in outs)
    if total.to_bytes(args.messages + 1, "little") != b"\x01" * args.messages + b"\x00":
        counts = total.to_bytes(args.messages + 1, "little")[:args.messages]
        missing = counts.count(0)
        raise compare.BenchError("%s: %d of %d messages never delivered, %d more than once"
                                 % (pattern.name, missing, args.messages,
                                    args.messages - missing - counts.count(1)))
    pushed = sum(o["pushed"] for o in outs)
    acked = sum(o["acked"] for o in outs)
    if pushed != args.messages or acked != args.messages:
        raise compare.BenchError("%s: pushed %d, acknowledged %d of %d"
                                 % (pattern.name, pushed, acked, args.messages))
    problem = pattern.verify(port, args.messages)
    if problem:
        raise compare.BenchError("%s: after the run, %s" % (pattern.name, problem))
    start = min(o["start"] for o in outs)
    end = max(o["last_ack"] for o in outs if o["last_ack"] is not None)
    pattern.reset(port)  # frees the stream's entries before the next run
    return args.messages / (end - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluice", default="build/release/sluice-server")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=200000,
                        help="messages per run (default: %(default)s)")
    parser.add_argument("--producers", type=int, default=25)
    parser.add_argument("--consumers", type=int, default=25)
    parser.add_argument("--load", choices=("c", "python"), default="c",
                        help="load generator: sluice-queue-load (c) or the Python one of this "
                             "script (default: %(default)s)")
    parser.add_argument("--load-binary", default=None,
                        help="the sluice-queue-load binary (default: next to the Sluice binary, "
                             "else build/release/sluice-queue-load)")
    parser.add_argument("--procs", type=int, default=2,
                        help="with --load python: client processes the connections are spread "
                             "over (default: %(default)s)")
    parser.add_argument("--pipeline", default="1,16",
                        help="comma-separated pipeline depths (default: %(default)s)")
    parser.add_argument("--patterns", default=",".join(PATTERNS),
                        help="comma-separated patterns (default: %(default)s)")
    parser.add_argument("--sluice-args", default="",
                        help="extra Sluice arguments (one shell-quoted string)")
    parser.add_argument("--redis-args", default="",
                        help="extra redis-server arguments; --save '' and --appendonly no are "
                             "added unless given")
    parser.add_argument("--stall", type=float, default=30.0,
                        help="seconds without progress before a run fails (default: %(default)s)")
    parser.add_argument("--run-timeout", type=float, default=900.0,
                        help="seconds before a run is abandoned (default: %(default)s)")
    args = parser.parse_args()
    try:
        pipelines = [int(p) for p in args.pipeline.split(",") if p.strip()]
    except ValueError:
        parser.error("--pipeline wants comma-separated integers")
    if not pipelines or min(pipelines) < 1:
        parser.error("--pipeline wants positive integers")
    names = [n.strip() for n in args.patterns.split(",") if n.strip()]
    unknown = [n for n in names if n not in PATTERNS]
    if unknown or not names:
        parser.error("--patterns: unknown %s; known: %s" % (unknown, ", ".join(PATTERNS)))
    if min(args.pairs, args.messages, args.producers, args.consumers, args.procs) < 1:
        parser.error("--pairs, --messages, --producers, --consumers and --procs must be positive")
    patterns = [PATTERNS[n] for n in names]
    wanted = {p.server for p in patterns}
    args.sluice = compare.resolve_binary(args.sluice, "Sluice") if "sluice" in wanted else None
    args.redis = compare.resolve_binary(args.redis, "redis-server") if "redis" in wanted else None
    if args.load == "c":
        if args.load_binary is None:
            beside = os.path.join(os.path.dirname(args.sluice or ""), "sluice-queue-load")
            args.load_binary = beside if args.sluice and os.path.isfile(beside) else \
                "build/release/sluice-queue-load"
        if not (os.path.isfile(args.load_binary) and os.access(args.load_binary, os.X_OK)):
            parser.error("no load generator at %s: build the sluice-queue-load target, give "
                         "--load-binary, or use --load python" % args.load_binary)
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as workdir:
        servers = {}
        if args.sluice:
            servers["sluice"] = compare.Server("sluice", args.sluice,
                                               shlex.split(args.sluice_args), [], workdir, 20.0)
        if args.redis:
            servers["redis"] = compare.Server("redis", args.redis, shlex.split(args.redis_args),
                                              [("save", [""]), ("appendonly", ["no"])], workdir,
                                              20.0)
        try:
            for s in servers.values():
                s.start()
            rates = {(p.name, d): [] for p in patterns for d in pipelines}
            cpu = {(p.name, d): [] for p in patterns for d in pipelines}
            for pair in range(args.pairs):
                order = patterns if pair % 2 == 0 else patterns[::-1]
                for depth in pipelines:
                    line = []
                    for p in order:
                        before = children_cpu()
                        rate = run_once(p, servers[p.server].port, args, depth)
                        cpu[p.name, depth].append((children_cpu() - before) / args.messages)
                        rates[p.name, depth].append(rate)
                        line.append("%s %.0f" % (p.name, rate))
                    compare.log("pair %d -P %d: %s msg/s" % (pair + 1, depth, ", ".join(line)))
        finally:
            for s in servers.values():
                s.stop()
    clients = ("one sluice-queue-load thread" if args.load == "c"
               else "%d Python processes" % min(args.procs, args.producers + args.consumers))
    print("%d pairs, %d messages of %d bytes per run, %d producers + %d consumers from %s"
          % (args.pairs, args.messages, PAYLOAD_SIZE, args.producers, args.consumers, clients))
    # The client's CPU per message, and the share of a core it used at the median rate: near 1
    # for the one-thread generator means the client, not the server, set the pace.
    print("%-14s %4s %12s %12s %12s %14s %12s" % ("pattern", "-P", "msg/s median", "min", "max",
                                                  "client us/msg", "client cores"))
    for depth in pipelines:
        for p in patterns:
            r = rates[p.name, depth]
            c = statistics.median(cpu[p.name, depth])
            print("%-14s %4d %12.0f %12.0f %12.0f %14.2f %12.2f"
                  % (p.name, depth, statistics.median(r), min(r), max(r), c * 1e6,
                     c * statistics.median(r)))
    redis_patterns = [p.name for p in patterns if p.server == "redis"]
    if "sluice-q" in names and redis_patterns:
        print()
        print("%-30s %4s %7s %6s %6s" % ("ratio (median of pairs)", "-P", "ratio", "min", "max"))
        for depth in pipelines:
            sluice = rates["sluice-q", depth]
            rows = [("sluice-q / " + n, [s / r for s, r in zip(sluice, rates[n, depth])])
                    for n in redis_patterns]
            best = [max(rates[n, depth][i] for n in redis_patterns) for i in range(args.pairs)]
            rows.append(("sluice-q / best redis pattern", [s / b for s, b in zip(sluice, best)]))
            for label, ratios in rows:
                print("%-30s %4d %7.2f %6.2f %6.2f" % (label, depth, statistics.median(ratios),
                                                       min(ratios), max(ratios)))


if __name__ == "__main__":
    try:
        main()
    except compare.BenchError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
