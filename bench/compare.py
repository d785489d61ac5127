#!/usr/bin/env python3
"""Side-by-side throughput comparison of Sluice and redis-server.

Both servers are started on free loopback ports in a temporary directory and
stay up for the whole run.  For every pair, every pipeline depth and every
workload, redis-benchmark is run against one server and then the other; the
server that goes first alternates from one pair to the next.  For each cell
the script reports the median requests/second of each server and the median,
minimum and maximum of the per-pair ratios Sluice / redis.

Workloads are redis-benchmark `-t` tests (ping_inline, ping_mbulk, set, get,
incr, mset, lpush, rpush, lpop, rpop, lrange_100, ...) or custom commands given
as NAME=command, e.g. "LMOVE=lmove mylist mylist2 left right".

Set-up commands (--setup, repeatable) run on each server whenever it starts,
before any measured run: e.g. --setup "SCRIPT LOAD 'return 1'" so that an
EVALSHA workload can name the script by its SHA1, which is the same on both
servers (the SHA1 of the script's text).

Only the Python standard library is used.
"""

import argparse
import csv
import io
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_TESTS = "PING_INLINE,PING_MBULK,SET,GET,INCR,MSET"

# Commands that remove elements from a list: a custom workload starting with one
# of these and naming the redis-benchmark list key gets the list refilled
# before every measured run, so it never pops from an empty list.
LIST_CONSUMERS = {
    "lpop", "rpop", "lmove", "rpoplpush", "lmpop",
    "blpop", "brpop", "blmove", "brpoplpush", "blmpop",
}
BENCH_LIST_KEY = "mylist"  # key used by redis-benchmark's list tests
# The same for sorted sets: popping workloads on redis-benchmark's sorted-set key find it
# refilled with distinct members before every measured run.
ZSET_CONSUMERS = {"zpopmin", "zpopmax", "bzpopmin", "bzpopmax", "zmpop", "bzmpop"}
BENCH_ZSET_KEY = "myzset"
# Fills KEYS[1] with members 1..ARGV[1] (score = member), a thousand per ZADD.
ZSET_FILL_SCRIPT = (
    "local n = tonumber(ARGV[1]) local i = 1 "
    "while i <= n do local a = {} local j = 0 "
    "while j < 1000 and i <= n do a[#a + 1] = i a[#a + 1] = 'm' .. i i = i + 1 j = j + 1 end "
    "redis.call('ZADD', KEYS[1], unpack(a)) end "
    "return redis.call('ZCARD', KEYS[1])")


class BenchError(Exception):
    pass


class Interrupted(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Minimal RESP client (PING, DEL, LLEN, SHUTDOWN)
# --------------------------------------------------------------------------

def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        ln = self.line()
        kind, rest = ln[:1], ln[1:]
        if kind == b"+":
            return rest.decode(errors="replace")
        if kind == b"-":
            return BenchError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if kind == b"_":
            return None
        raise BenchError("unexpected reply: %r" % ln[:80])


def command(port, *args, timeout=5.0, expect_reply=True):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(_encode(args))
        if not expect_reply:
            try:
                s.recv(1024)
            except OSError:
                pass
            return None
        return _Reader(s).reply()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def _option_names(args):
    return {a[2:].lower() for a in args if a.startswith("--")}


def process_cpu_ns(pid):
    """CPU time used so far by every thread of process `pid`, in nanoseconds (Linux
    schedstat: time on a processor, user and kernel), or None where it cannot be read."""
    total = 0
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
        for tid in tasks:
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except FileNotFoundError:  # a thread that ended in the meantime
                continue
    except (OSError, ValueError, IndexError):
        return None
    return total


class Server:
    def __init__(self, name, binary, extra_args, defaults, workdir, start_timeout, setup=()):
        self.name = name
        self.setup = list(setup)  # commands (argv lists) run after every start
        self.binary = binary
        self.extra_args = extra_args
        self.defaults = defaults  # list of (option, [values]) applied unless overridden
        self.workdir = workdir
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.starts = 0
        self.logfile = None

    def argv(self, port, datadir):
        argv = [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", datadir]
        given = _option_names(self.extra_args)
        for opt, values in self.defaults:
            if opt not in given:
                argv += ["--" + opt] + values
        return argv + self.extra_args

    def start(self):
        self.starts += 1
        datadir = os.path.join(self.workdir, "%s-%d" % (self.name, self.starts))
        os.makedirs(datadir, exist_ok=True)
        self.logfile = os.path.join(datadir, "server.log")
        last_err = None
        for _attempt in range(3):  # the chosen port may be taken in the meantime
            self.port = free_port()
            argv = self.argv(self.port, datadir)
            with open(self.logfile, "ab") as logf:
                self.proc = subprocess.Popen(argv, cwd=datadir, stdin=subprocess.DEVNULL,
                                             stdout=logf, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = "exited with status %s" % self.proc.returncode
                    break
                if self.ping():
                    log("%s: started %s on port %d" % (self.name, shlex.join(argv), self.port))
                    self.run_setup()
                    return
                time.sleep(0.05)
            else:
                last_err = "no answer to PING within %.0fs" % self.start_timeout
                self.stop()
        raise BenchError("%s failed to start (%s); log tail:\n%s"
                         % (self.name, last_err, self.log_tail()))

    def run_setup(self):
        for argv in self.setup:
            try:
                reply = command(self.port, *argv, timeout=30.0)
            except (OSError, ValueError) as e:
                reply = BenchError(str(e) or type(e).__name__)
            if isinstance(reply, BenchError):
                self.stop()
                raise BenchError("%s: set-up command %s failed: %s"
                                 % (self.name, shlex.join(argv), reply))
            shown = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
            log("%s: set-up %s -> %r" % (self.name, shlex.join(argv)[:60], shown))

    def log_tail(self, lines=15):
        try:
            with open(self.logfile, "rb") as f:
                data = f.read().decode(errors="replace").splitlines()
            return "\n".join("    " + ln for ln in data[-lines:])
        except OSError:
            return "    (no log)"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ping(self):
        try:
            return command(self.port, "PING", timeout=1.0) == "PONG"
        except (OSError, BenchError, ValueError):
            return False

    def healthy(self):
        return self.alive() and self.ping()

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            command(self.port, "SHUTDOWN", "NOSAVE", timeout=2.0, expect_reply=False)
        except OSError:
            pass
        for sig, wait in ((None, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if sig is not None:
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

class Workload:
    def __init__(self, name, test=None, command=None, prefill=False):
        self.name = name        # label printed in the table
        self.test = test        # redis-benchmark -t name, or None
        self.command = command  # argv list for a custom command, or None
        self.prefill = prefill  # "list" or "zset": refill that key before each run

    def bench_args(self):
        return ["-t", self.test] if self.test else list(self.command)

    def pick_row(self, rows):
        """Return the CSV row holding this workload's result."""
        if self.test:
            want = self.test.upper()
            for row in rows:
                if row and row[0].split(" (")[0].upper() == want:
                    return row
            return None
        return rows[-1] if rows else None


def parse_workloads(spec, custom, prefill_names):
    items = [s.strip() for s in spec.split(",") if s.strip()] + list(custom or [])
    extra_prefill = {n.strip().upper() for n in prefill_names.split(",") if n.strip()}
    workloads, seen = [], set()
    for item in items:
        if "=" in item:
            name, cmd = item.split("=", 1)
            name = name.strip().upper()
            argv = shlex.split(cmd)
            if not name or not argv:
                raise SystemExit("bad custom workload %r (want NAME=command args)" % item)
            prefill = None
            if argv[0].lower() in LIST_CONSUMERS and BENCH_LIST_KEY in argv[1:]:
                prefill = "list"
            elif argv[0].lower() in ZSET_CONSUMERS and BENCH_ZSET_KEY in argv[1:]:
                prefill = "zset"
            w = Workload(name, command=argv,
                         prefill=prefill or ("list" if name in extra_prefill else None))
        else:
            name = item.upper()
            prefill = None
            if item.lower() in ("lpop", "rpop") or name in extra_prefill:
                prefill = "list"
            elif item.lower() in ("zpopmin", "zpopmax"):
                prefill = "zset"
            w = Workload(name, test=item.lower(), prefill=prefill)
        if w.name in seen:
            raise SystemExit("workload %s given twice" % w.name)
        seen.add(w.name)
        workloads.append(w)
    return workloads


# --------------------------------------------------------------------------
# Running redis-benchmark
# --------------------------------------------------------------------------

class Runner:
    def __init__(self, args):
        self.args = args

    def requests_for(self, pipeline):
        return self.args.requests * max(1, min(pipeline, self.args.pipeline_scale))

    def _bench(self, port, extra, requests, pipeline, clients):
        argv = [self.args.benchmark, "-h", "127.0.0.1", "-p", str(port),
                "-n", str(requests), "-c", str(clients), "-P", str(pipeline),
                "--csv", "-q"] + extra
        timeout = self.args.run_timeout or (60 + requests / 2000.0)
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise BenchError("redis-benchmark timed out after %.0fs" % timeout)
        out = res.stdout.decode(errors="replace")
        err = res.stderr.decode(errors="replace")
        if res.returncode != 0:
            msg = next((ln.strip() for ln in (err + "\n" + out).splitlines()
                        if "rror" in ln), None)
            raise BenchError(msg or "redis-benchmark exited with status %d" % res.returncode)
        rows = [r for r in csv.reader(io.StringIO(out)) if r and r[0] != "test"]
        return rows

    def prefill(self, server, count, kind="list"):
        port = server.port
        if kind == "zset":
            reply = command(port, "DEL", BENCH_ZSET_KEY)
            if isinstance(reply, BenchError):
                raise BenchError("prefill: DEL failed: %s" % reply)
            n = command(port, "EVAL", ZSET_FILL_SCRIPT, "1", BENCH_ZSET_KEY, str(count),
                        timeout=120.0)
            if not isinstance(n, int) or n < count:
                raise BenchError("prefill: %s holds %r members, wanted %d"
                                 % (BENCH_ZSET_KEY, n, count))
            return
        reply = command(port, "DEL", BENCH_LIST_KEY)
        if isinstance(reply, BenchError):
            raise BenchError("prefill: DEL failed: %s" % reply)
        self._bench(port, ["-t", "lpush"], count, 16, min(10, self.args.clients))
        n = command(port, "LLEN", BENCH_LIST_KEY)
        if not isinstance(n, int) or n < count:
            raise BenchError("prefill: %s holds %r elements, wanted %d"
                             % (BENCH_LIST_KEY, n, count))

    def run(self, server, workload, pipeline):
        """Return (rps, server CPU ns per request or None, error-or-None, seconds)."""
        requests = self.requests_for(pipeline)
        t0 = time.monotonic()
        try:
            if not server.healthy():
                if server.starts > self.args.max_restarts:
                    raise BenchError("%s is down" % server.name)
                log("%s: not answering, restarting" % server.name)
                server.stop()
                server.start()
            if workload.prefill:
                self.prefill(server, requests, workload.prefill)
            cpu_before = process_cpu_ns(server.proc.pid)
            rows = self._bench(server.port, workload.bench_args(), requests,
                               pipeline, self.args.clients)
            cpu_after = process_cpu_ns(server.proc.pid)
            cpu_ns = (None if cpu_before is None or cpu_after is None
                      else (cpu_after - cpu_before) / requests)
            row = workload.pick_row(rows)
            if row is None or len(row) < 2:
                raise BenchError("no result row in redis-benchmark output")
            try:
                rps = float(row[1])
            except ValueError:
                raise BenchError("unparsable rps %r" % row[1])
            if not rps > 0 or rps != rps or rps == float("inf"):
                raise BenchError("rps is %r" % row[1])
            if not server.alive():
                raise BenchError("%s exited during the run" % server.name)
            return rps, cpu_ns, None, time.monotonic() - t0
        except (BenchError, OSError, ValueError) as e:
            return None, None, str(e) or type(e).__name__, time.monotonic() - t0


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

def summarize(results, workloads, pipelines, pairs):
    summary = []
    for p in pipelines:
        for w in workloads:
            cell = {"workload": w.name, "pipeline": p}
            per = {"sluice": {}, "redis": {}}
            errors = {"sluice": [], "redis": []}
            for r in results:
                if r["workload"] == w.name and r["pipeline"] == p:
                    if r["error"] is None:
                        per[r["server"]][r["pair"]] = r["rps"]
                    else:
                        errors[r["server"]].append(r["error"])
            for s in ("sluice", "redis"):
                vals = list(per[s].values())
                cell[s + "_median_rps"] = statistics.median(vals) if vals and not errors[s] else None
                cell[s + "_errors"] = errors[s]
                cpu = [r["cpu_ns"] for r in results if r["workload"] == w.name
                       and r["pipeline"] == p and r["server"] == s and r["cpu_ns"] is not None]
                cell[s + "_median_cpu_ns"] = statistics.median(cpu) if cpu else None
            ratios = [per["sluice"][i] / per["redis"][i]
                      for i in range(pairs) if i in per["sluice"] and i in per["redis"]]
            ok = ratios and not errors["sluice"] and not errors["redis"]
            cell["ratios"] = ratios
            cell["ratio_median"] = statistics.median(ratios) if ok else None
            cell["ratio_min"] = min(ratios) if ok else None
            cell["ratio_max"] = max(ratios) if ok else None
            summary.append(cell)
    return summary


def aligned_table(head, rows):
    """Text table: first column left-aligned, the others right-aligned, a rule under the head."""
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    lines = []
    for r in [head] + rows:
        cells = [r[0].ljust(widths[0])] + [v.rjust(widths[i]) for i, v in enumerate(r) if i > 0]
        lines.append("  ".join(cells))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def relative_costs(results, workloads, pipelines, base):
    """Each workload's cost relative to workload `base` on the same server: per pair, the
    base's rate over the workload's rate, and the workload's server CPU per request over the
    base's; medians of the pairs."""
    cells = []
    for p in pipelines:
        for w in workloads:
            if w.name == base:
                continue
            cell = {"workload": w.name, "pipeline": p}
            for s in ("sluice", "redis"):
                by_pair = {}
                for r in results:
                    if (r["pipeline"] == p and r["server"] == s and r["error"] is None
                            and r["workload"] in (w.name, base)):
                        by_pair.setdefault(r["pair"], {})[r["workload"]] = r
                rate, cpu = [], []
                for runs in by_pair.values():
                    if w.name in runs and base in runs:
                        rate.append(runs[base]["rps"] / runs[w.name]["rps"])
                        if runs[base]["cpu_ns"] and runs[w.name]["cpu_ns"] is not None:
                            cpu.append(runs[w.name]["cpu_ns"] / runs[base]["cpu_ns"])
                cell[s + "_rate"] = statistics.median(rate) if rate else None
                cell[s + "_rate_range"] = (min(rate), max(rate)) if rate else None
                cell[s + "_cpu"] = statistics.median(cpu) if cpu else None
                cell[s + "_cpu_range"] = (min(cpu), max(cpu)) if cpu else None
            cells.append(cell)
    return cells


def relative_table(cells, base):
    def ratio(v):
        return "-" if v is None else "%.2f" % v

    def rng(r):
        return "-" if r is None else "%.2f-%.2f" % r
    head = ["workload", "-P", "sluice by rate", "range", "by CPU", "range",
            "redis by rate", "range", "by CPU", "range"]
    rows = [[c["workload"], str(c["pipeline"]),
             ratio(c["sluice_rate"]), rng(c["sluice_rate_range"]),
             ratio(c["sluice_cpu"]), rng(c["sluice_cpu_range"]),
             ratio(c["redis_rate"]), rng(c["redis_rate_range"]),
             ratio(c["redis_cpu"]), rng(c["redis_cpu_range"])] for c in cells]
    return ("cost relative to %s on the same server (median of pairs): %s's rate over the "
            "workload's, and the workload's server CPU per request over %s's\n"
            % (base, base, base)) + aligned_table(head, rows)


def _fmt_cpu(v):
    return "-" if v is None else "{:,.0f}".format(v)


def cpu_table(summary):
    head = ["workload", "-P", "sluice CPU ns/request", "redis CPU ns/request"]
    rows = [[c["workload"], str(c["pipeline"]), _fmt_cpu(c["sluice_median_cpu_ns"]),
             _fmt_cpu(c["redis_median_cpu_ns"])] for c in summary]
    return aligned_table(head, rows)


def _fmt_rps(v):
    return "error" if v is None else "{:,.0f}".format(v)


def _fmt_ratio(v):
    return "error" if v is None else "%.2f" % v


def text_table(summary):
    head = ["workload", "-P", "sluice rps", "redis rps", "ratio", "min", "max"]
    rows = [[c["workload"], str(c["pipeline"]), _fmt_rps(c["sluice_median_rps"]),
             _fmt_rps(c["redis_median_rps"]), _fmt_ratio(c["ratio_median"]),
             _fmt_ratio(c["ratio_min"]), _fmt_ratio(c["ratio_max"])] for c in summary]
    return aligned_table(head, rows)


def markdown_table(summary):
    lines = ["| Workload | -P | Sluice rps (median) | redis rps (median) "
             "| Sluice / redis (median of pairs) | min | max |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for c in summary:
        lines.append("| %s | %d | %s | %s | %s | %s | %s |" % (
            c["workload"], c["pipeline"], _fmt_rps(c["sluice_median_rps"]),
            _fmt_rps(c["redis_median_rps"]), _fmt_ratio(c["ratio_median"]),
            _fmt_ratio(c["ratio_min"]), _fmt_ratio(c["ratio_max"])))
    return "\n".join(lines)


def error_notes(summary):
    notes = []
    for c in summary:
        for s in ("sluice", "redis"):
            if c[s + "_errors"]:
                notes.append("%s -P %d on %s: %s" % (c["workload"], c["pipeline"], s,
                                                      c[s + "_errors"][0]))
    return notes


def tool_version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, timeout=5,
                             stdin=subprocess.DEVNULL)
        return out.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Benchmark Sluice and redis-server side by side with redis-benchmark; "
                    "report medians of per-pair throughput ratios (Sluice / redis).")
    ap.add_argument("--sluice", default="build/release/sluice-server",
                    help="Sluice server binary (default: %(default)s)")
    ap.add_argument("--redis", default="redis-server",
                    help="redis-server binary (default: %(default)s)")
    ap.add_argument("--benchmark", default="redis-benchmark",
                    help="redis-benchmark binary (default: %(default)s)")
    ap.add_argument("--pairs", type=int, default=None,
                    help="number of alternating sluice/redis pairs (default 5; 3 with --quick)")
    ap.add_argument("--requests", type=int, default=None,
                    help="requests per run at -P 1 (default 100000; 20000 with --quick); "
                         "pipelined runs use this times min(P, --pipeline-scale)")
    ap.add_argument("--pipeline-scale", type=int, default=8,
                    help="cap on the request multiplier for pipelined runs (default: %(default)s)")
    ap.add_argument("--clients", type=int, default=50,
                    help="parallel connections, redis-benchmark -c (default: %(default)s)")
    ap.add_argument("--pipeline", default="1,16",
                    help="comma-separated pipeline depths, redis-benchmark -P (default: %(default)s)")
    ap.add_argument("--tests", default=DEFAULT_TESTS,
                    help="comma-separated redis-benchmark -t names and/or NAME=command "
                         "custom workloads (default: %(default)s)")
    ap.add_argument("--custom", action="append", metavar="NAME=COMMAND",
                    help="add a custom workload, e.g. 'LMOVE=lmove mylist mylist2 left right' "
                         "(repeatable)")
    ap.add_argument("--prefill", default="",
                    help="extra workload names whose list '%s' is refilled before each run "
                         "(lpop, rpop and custom list-popping commands on '%s' are refilled "
                         "automatically)" % (BENCH_LIST_KEY, BENCH_LIST_KEY))
    ap.add_argument("--setup", action="append", metavar="COMMAND", default=[],
                    help="a command (shell-quoted words) run on both servers after each start, "
                         "before the measured runs, e.g. \"SCRIPT LOAD 'return 1'\" "
                         "(repeatable; an error reply aborts)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 3 pairs, 20000 requests unless given explicitly")
    ap.add_argument("--sluice-args", default="",
                    help="extra arguments for the Sluice server (one shell-quoted string)")
    ap.add_argument("--redis-args", default="",
                    help="extra arguments for redis-server (one shell-quoted string); "
                         "--save '' and --appendonly no are added unless given here")
    ap.add_argument("--relative-to", metavar="WORKLOAD",
                    help="also report each workload's cost relative to this one on the same "
                         "server, by rate and by server CPU per request")
    ap.add_argument("--json", metavar="FILE", help="write all runs and the summary as JSON")
    ap.add_argument("--markdown", action="store_true",
                    help="also print the summary as a markdown table")
    ap.add_argument("--start-timeout", type=float, default=20.0,
                    help="seconds to wait for a server to answer PING (default: %(default)s)")
    ap.add_argument("--run-timeout", type=float, default=0,
                    help="seconds before one redis-benchmark run is abandoned "
                         "(default: 60 + requests/2000)")
    ap.add_argument("--max-restarts", type=int, default=3,
                    help="restart a server that died at most this many times (default: %(default)s)")
    ap.add_argument("--keep-dir", action="store_true",
                    help="keep the temporary directory with server logs")
    args = ap.parse_args(argv)
    if args.pairs is None:
        args.pairs = 3 if args.quick else 5
    if args.requests is None:
        args.requests = 20000 if args.quick else 100000
    try:
        args.pipelines = [int(p) for p in args.pipeline.split(",") if p.strip()]
    except ValueError:
        ap.error("--pipeline wants comma-separated integers")
    if not args.pipelines or min(args.pipelines) < 1:
        ap.error("--pipeline wants positive integers")
    if args.pairs < 1 or args.requests < 1 or args.clients < 1 or args.pipeline_scale < 1:
        ap.error("--pairs, --requests, --clients and --pipeline-scale must be positive")
    try:
        args.setup_argvs = [shlex.split(c) for c in args.setup]
    except ValueError as e:
        ap.error("--setup: %s" % e)
    if any(not argv for argv in args.setup_argvs):
        ap.error("--setup wants a command")
    return args


def resolve_binary(path, what):
    if os.sep in path:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise SystemExit("%s binary not found or not executable: %s" % (what, path))
        return os.path.abspath(path)
    found = shutil.which(path)
    if not found:
        raise SystemExit("%s binary not found in PATH: %s" % (what, path))
    return found


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.sluice = resolve_binary(args.sluice, "Sluice")
    args.redis = resolve_binary(args.redis, "redis-server")
    args.benchmark = resolve_binary(args.benchmark, "redis-benchmark")
    workloads = parse_workloads(args.tests, args.custom, args.prefill)
    if not workloads:
        raise SystemExit("no workloads given")
    if args.relative_to and args.relative_to not in [w.name for w in workloads]:
        raise SystemExit("--relative-to names no workload: %s" % args.relative_to)

    def on_signal(signum, _frame):
        raise Interrupted("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    workdir = tempfile.mkdtemp(prefix="sluice-bench-")
    servers = {
        "sluice": Server("sluice", args.sluice, shlex.split(args.sluice_args), [],
                         workdir, args.start_timeout, args.setup_argvs),
        "redis": Server("redis", args.redis, shlex.split(args.redis_args),
                        [("save", [""]), ("appendonly", ["no"])], workdir, args.start_timeout,
                        args.setup_argvs),
    }
    runner = Runner(args)
    results = []
    status = 0
    started = time.monotonic()
    try:
        for s in servers.values():
            s.start()
        total = args.pairs * len(args.pipelines) * len(workloads)
        step = 0
        for pair in range(args.pairs):
            order = ("sluice", "redis") if pair % 2 == 0 else ("redis", "sluice")
            for p in args.pipelines:
                for w in workloads:
                    step += 1
                    line = []
                    for name in order:
                        rps, cpu_ns, err, secs = runner.run(servers[name], w, p)
                        results.append({"pair": pair, "workload": w.name, "pipeline": p,
                                        "server": name, "requests": runner.requests_for(p),
                                        "rps": rps, "cpu_ns": cpu_ns, "error": err,
                                        "seconds": round(secs, 3)})
                        line.append("%s %s" % (name, _fmt_rps(rps) if err is None
                                               else "error (%s)" % err))
                    log("[%d/%d] pair %d  -P %-3d %-12s %s" % (step, total, pair + 1, p,
                                                              w.name, ", ".join(line)))
    except (KeyboardInterrupt, Interrupted) as e:
        log("interrupted (%s); shutting servers down" % (str(e) or "Ctrl-C"))
        status = 130
    except BenchError as e:
        log("error: %s" % e)
        status = 1
    finally:
        for s in servers.values():
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                log("could not stop %s: %s" % (s.name, e))
        if args.keep_dir:
            log("server logs kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if status:
        return status

    summary = summarize(results, workloads, args.pipelines, args.pairs)
    elapsed = time.monotonic() - started
    print("Sluice: %s %s" % (args.sluice, args.sluice_args))
    print("redis:  %s (%s) %s" % (args.redis, tool_version(args.redis) or "?", args.redis_args))
    for c in args.setup:
        print("set-up: %s" % shlex.join(shlex.split(c)))
    print("%d pairs, %d clients, %d requests at -P 1 (x min(P, %d) when pipelined); "
          "ratio = Sluice / redis, median of per-pair ratios; %.0fs"
          % (args.pairs, args.clients, args.requests, args.pipeline_scale, elapsed))
    print()
    print(text_table(summary))
    print()
    print("server CPU time per request (every thread, user and kernel; median of runs)")
    print(cpu_table(summary))
    relative = None
    if args.relative_to:
        relative = relative_costs(results, workloads, args.pipelines, args.relative_to)
        print()
        print(relative_table(relative, args.relative_to))
    notes = error_notes(summary)
    if notes:
        print()
        print("errors:")
        for n in notes:
            print("  " + n)
    if args.markdown:
        print()
        print(markdown_table(summary))
    if args.json:
        doc = {
            "config": {
                "sluice": args.sluice, "sluice_args": args.sluice_args,
                "redis": args.redis, "redis_args": args.redis_args,
                "redis_version": tool_version(args.redis),
                "benchmark_version": tool_version(args.benchmark),
                "pairs": args.pairs, "requests": args.requests,
                "pipeline_scale": args.pipeline_scale, "clients": args.clients,
                "pipelines": args.pipelines,
                "setup": args.setup,
                "workloads": [{"name": w.name, "test": w.test, "command": w.command,
                               "prefill": w.prefill} for w in workloads],
                "cpus": os.cpu_count(),
                "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "seconds": round(elapsed, 1),
            },
            "runs": results,
            "summary": summary,
            "relative": relative,
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
