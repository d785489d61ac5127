#!/usr/bin/env python3
"""Consumer-group work cycle: Sluice against redis-server, alternating, median ratio.

Each run fills a stream with MESSAGES entries and creates a group; WORKERS processes then loop
`XREADGROUP GROUP g worker-N COUNT BATCH STREAMS s >` followed by one `XACK` of the IDs they got,
until the stream is drained. The figure is messages read and acknowledged per second of wall
time; the servers take turns going first from one pair to the next. Batches keep the Python
clients' own cost small next to the servers' work.

Pipeline depth P (like redis-benchmark's -P): each worker sends P XREADGROUP commands in one
write, reads their P replies, then sends the XACKs of everything it got in one write and reads
their replies; P = 1 is one command per round trip. Every depth in --pipeline is measured in
every pair.

Usage: bench/stream_cycle.py [--sluice PATH] [--redis PATH] [--pairs N] [--messages N]
                             [--workers N] [--batch N] [--pipeline 1,16]
"""
import argparse
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def fill(port, messages):
    value = b"payload-of-some-64-bytes-" + b"x" * 39
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = compare._Reader(s)
        for start in range(0, messages, 1000):
            n = min(1000, messages - start)
            s.sendall(b"".join(compare._encode([b"XADD", b"s", b"*", b"body", value])
                               for _ in range(n)))
            for _ in range(n):
                reply = reader.reply()
                if isinstance(reply, compare.BenchError):
                    raise reply


def worker(port, index, batch, pipeline, done):
    consumer = b"worker-%d" % index
    read = compare._encode([b"XREADGROUP", b"GROUP", b"g", consumer, b"COUNT",
                            str(batch).encode(), b"STREAMS", b"s", b">"])
    handled = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = compare._Reader(s)
        drained = False
        while not drained:
            s.sendall(read * pipeline)
            batches = []
            for _ in range(pipeline):
                reply = reader.reply()
                if isinstance(reply, compare.BenchError):
                    raise reply
                if reply is None:  # nothing left to deliver
                    drained = True
                else:
                    batches.append([entry[0] for entry in reply[0][1]])
            if not batches:
                break
            s.sendall(b"".join(compare._encode([b"XACK", b"s", b"g"] + ids) for ids in batches))
            for ids in batches:
                acked = reader.reply()
                if acked != len(ids):
                    raise compare.BenchError("XACK acknowledged %r of %d" % (acked, len(ids)))
                handled += len(ids)
    done.put(handled)


def run_once(port, messages, workers, batch, pipeline):
    compare.command(port, "DEL", "s")
    fill(port, messages)
    compare.command(port, "XGROUP", "CREATE", "s", "g", "0")
    done = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(port, i, batch, pipeline, done))
             for i in range(workers)]
    start = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    elapsed = time.monotonic() - start
    handled = sum(done.get(timeout=5) for _ in procs)
    pending = compare.command(port, "XPENDING", "s", "g")[0]
    if handled != messages or pending != 0:
        raise compare.BenchError("handled %d of %d, %d left pending" % (handled, messages, pending))
    return messages / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluice", default="build/release/sluice-server")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=200000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pipeline", default="1,16",
                        help="comma-separated pipeline depths (default: %(default)s)")
    args = parser.parse_args()
    try:
        pipelines = [int(p) for p in args.pipeline.split(",") if p.strip()]
    except ValueError:
        parser.error("--pipeline wants comma-separated integers")
    if not pipelines or min(pipelines) < 1:
        parser.error("--pipeline wants positive integers")
    # The servers run in their own directories: binaries are resolved first.
    args.sluice = compare.resolve_binary(args.sluice, "Sluice")
    args.redis = compare.resolve_binary(args.redis, "redis-server")
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as workdir:
        servers = {
            "sluice": compare.Server("sluice", args.sluice, [], [], workdir, 10.0),
            "redis": compare.Server("redis", args.redis, [],
                                    [("save", [""]), ("appendonly", ["no"])], workdir, 10.0),
        }
        try:
            for s in servers.values():
                s.start()
            rates = {(name, p): [] for name in servers for p in pipelines}
            ratios = {p: [] for p in pipelines}
            for pair in range(args.pairs):
                order = ["sluice", "redis"] if pair % 2 == 0 else ["redis", "sluice"]
                for p in pipelines:
                    for name in order:
                        rates[name, p].append(run_once(servers[name].port, args.messages,
                                                       args.workers, args.batch, p))
                    ratios[p].append(rates["sluice", p][-1] / rates["redis", p][-1])
                    compare.log("pair %d -P %d: sluice %.0f msg/s, redis %.0f msg/s" %
                                (pair + 1, p, rates["sluice", p][-1], rates["redis", p][-1]))
            print("%-28s %4s %12s %12s %7s %6s %6s" % ("workload", "-P", "sluice msg/s",
                                                       "redis msg/s", "ratio", "min", "max"))
            for p in pipelines:
                print("%-28s %4d %12.0f %12.0f %7.2f %6.2f %6.2f" % (
                    "XREADGROUP+XACK batch %d" % args.batch, p,
                    statistics.median(rates["sluice", p]), statistics.median(rates["redis", p]),
                    statistics.median(ratios[p]), min(ratios[p]), max(ratios[p])))
        finally:
            for s in servers.values():
                s.stop()


if __name__ == "__main__":
    try:
        main()
    except compare.BenchError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
