#!/usr/bin/env python3
"""Pub/Sub throughput of Sluice and redis-server, side by side.

Two measurements, both in alternating pairs (the server that goes first alternates
from one pair to the next) and reported as the median of the per-pair ratios
Sluice / redis, like bench/compare.py:

1. Fan-out: N subscribers (1, 10 and 100 by default) listen on one channel while a
   pipelined publisher sends messages to it. A delivery is one message arriving at
   one subscriber; the figure is deliveries per second, from the first PUBLISH sent
   until every subscriber holds every message. All sockets are served by one
   select loop in this process; subscribers count the bytes of the fixed-size
   message frames instead of parsing them, so the client side stays cheap. The
   publisher keeps at most --window messages unacknowledged, which bounds what the
   server buffers for the subscribers.
2. PUBLISH to a channel nobody listens on, with redis-benchmark at -P 1 and -P 16
   (bench/compare.py's runner, custom command `publish channel message`).

Only the Python standard library is used (and redis-benchmark for part 2).
"""

import argparse
import os
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (servers, redis-benchmark runner, RESP helpers)

CHANNEL = b"fanout"


def encode(*args):
    return compare._encode(args)


def recv_exact(sock, n, timeout):
    sock.settimeout(timeout)
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise compare.BenchError("connection closed while subscribing")
        data += chunk
    return data


def fanout_run(port, subscribers, messages, payload, window, batch, timeout):
    """Returns deliveries per second."""
    subs = []
    try:
        for i in range(subscribers):
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(encode("SUBSCRIBE", CHANNEL))
            want = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL)
            got = recv_exact(s, len(want), timeout)
            if got != want:
                raise compare.BenchError("unexpected SUBSCRIBE reply %r" % got[:80])
            s.setblocking(False)
            subs.append(s)
        pub = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        pub.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        numsub = compare.command(port, "PUBSUB", "NUMSUB", CHANNEL)
        if not isinstance(numsub, list) or numsub[1] != subscribers:
            raise compare.BenchError("PUBSUB NUMSUB says %r, wanted %d" % (numsub, subscribers))

        frame = b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
            len(CHANNEL), CHANNEL, len(payload), payload)
        expected = len(frame) * messages
        request = encode("PUBLISH", CHANNEL, payload) * batch
        ack = b":%d\r\n" % subscribers
        acks_expected = len(ack) * messages

        sel = selectors.DefaultSelector()
        received = {}
        tails = {}
        for s in subs:
            sel.register(s, selectors.EVENT_READ)
            received[s] = 0
            tails[s] = b""
        pub.setblocking(False)
        sel.register(pub, selectors.EVENT_READ)
        acked_bytes = 0
        sent = 0
        pending_out = b""
        done_subs = 0
        t0 = time.perf_counter()
        deadline = time.monotonic() + timeout
        while done_subs < subscribers or acked_bytes < acks_expected:
            # Keep the pipeline full up to the window of unacknowledged messages.
            while not pending_out and sent < messages and \
                    sent - acked_bytes // len(ack) + batch <= window:
                n = min(batch, messages - sent)
                pending_out = request if n == batch else encode("PUBLISH", CHANNEL, payload) * n
                sent += n
            if pending_out:
                try:
                    k = pub.send(pending_out)
                    pending_out = pending_out[k:]
                except BlockingIOError:
                    pass
            for key, _ in sel.select(timeout=0 if pending_out else 1.0):
                s = key.fileobj
                try:
                    data = s.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    raise compare.BenchError("server closed a connection during the run")
                if s is pub:
                    acked_bytes += len(data)
                    continue
                before = received[s]
                received[s] += len(data)
                tails[s] = (tails[s] + data)[-len(frame):]
                if before < expected <= received[s]:
                    done_subs += 1
            if time.monotonic() > deadline:
                raise compare.BenchError("run timed out: %d/%d subscribers done"
                                         % (done_subs, subscribers))
        elapsed = time.perf_counter() - t0
        for s in subs:
            if received[s] != expected or tails[s] != frame:
                raise compare.BenchError("a subscriber got %d bytes, wanted %d"
                                         % (received[s], expected))
        sel.close()
        pub.close()
        return subscribers * messages / elapsed
    finally:
        for s in subs:
            s.close()


def median_ratio_row(label, per_pair):
    """per_pair: list of (sluice, redis) values, one per pair."""
    ratios = [s / r for s, r in per_pair]
    return {
        "label": label,
        "sluice": statistics.median(s for s, _ in per_pair),
        "redis": statistics.median(r for _, r in per_pair),
        "ratio": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
    }


def print_table(title, first_column, unit, rows, markdown):
    print(title)
    head = [first_column, "sluice " + unit, "redis " + unit, "ratio", "min", "max"]
    body = [[r["label"], "{:,.0f}".format(r["sluice"]), "{:,.0f}".format(r["redis"]),
             "%.2f" % r["ratio"], "%.2f" % r["min"], "%.2f" % r["max"]] for r in rows]
    widths = [max(len(x[i]) for x in body + [head]) for i in range(len(head))]
    for i, line in enumerate([head] + body):
        print("  ".join([line[0].ljust(widths[0])] +
                        [v.rjust(widths[j]) for j, v in enumerate(line) if j > 0]))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if markdown:
        print()
        print("| %s | Sluice %s (median) | redis %s (median) | Sluice / redis (median of pairs)"
              " | min | max |" % (first_column, unit, unit))
        print("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| %s | %s | %s | %.2f | %.2f | %.2f |" % (
                r["label"], "{:,.0f}".format(r["sluice"]), "{:,.0f}".format(r["redis"]),
                r["ratio"], r["min"], r["max"]))
    print()


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sluice", default="build/release/sluice-server")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--benchmark", default="redis-benchmark")
    ap.add_argument("--pairs", type=int, default=5, help="alternating pairs (default 5, at least 3)")
    ap.add_argument("--subscribers", default="1,10,100",
                    help="comma-separated subscriber counts (default: %(default)s)")
    ap.add_argument("--deliveries", type=int, default=1000000,
                    help="deliveries per fan-out run; messages = deliveries / subscribers "
                         "(default: %(default)s)")
    ap.add_argument("--payload", type=int, default=64, help="message size in bytes (default 64)")
    ap.add_argument("--window", type=int, default=2000,
                    help="most messages the publisher leaves unacknowledged (default 2000)")
    ap.add_argument("--batch", type=int, default=100,
                    help="PUBLISH commands per write (default 100)")
    ap.add_argument("--requests", type=int, default=100000,
                    help="redis-benchmark PUBLISH requests at -P 1; x min(P, 8) when pipelined")
    ap.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (default 50)")
    ap.add_argument("--pipeline", default="1,16", help="redis-benchmark -P depths (default 1,16)")
    ap.add_argument("--skip-publish", action="store_true",
                    help="only the fan-out measurement")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    ap.add_argument("--markdown", action="store_true", help="also print markdown tables")
    args = ap.parse_args(argv)
    if args.pairs < 3:
        ap.error("--pairs must be at least 3")
    args.subscriber_counts = [int(x) for x in args.subscribers.split(",") if x.strip()]
    args.pipelines = [int(x) for x in args.pipeline.split(",") if x.strip()]
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.sluice = compare.resolve_binary(args.sluice, "Sluice")
    args.redis = compare.resolve_binary(args.redis, "redis-server")
    workdir = tempfile.mkdtemp(prefix="sluice-pubsub-bench-")
    servers = {
        "sluice": compare.Server("sluice", args.sluice, [], [], workdir, 20.0),
        "redis": compare.Server("redis", args.redis, [],
                                [("save", [""]), ("appendonly", ["no"])], workdir, 20.0),
    }
    payload = b"x" * args.payload
    fan = {n: [] for n in args.subscriber_counts}
    pub = {p: [] for p in args.pipelines}
    started = time.monotonic()
    try:
        for s in servers.values():
            s.start()
        runner = None
        if not args.skip_publish:
            args.benchmark = compare.resolve_binary(args.benchmark, "redis-benchmark")
            runner = compare.Runner(argparse.Namespace(
                benchmark=args.benchmark, requests=args.requests, pipeline_scale=8,
                clients=args.clients, run_timeout=None, max_restarts=0))
        workload = compare.Workload("PUBLISH", command=["publish", "channel", "message"])
        for pair in range(args.pairs):
            order = ("sluice", "redis") if pair % 2 == 0 else ("redis", "sluice")
            for n in args.subscriber_counts:
                messages = max(1, args.deliveries // n)
                got = {}
                for name in order:
                    got[name] = fanout_run(servers[name].port, n, messages, payload,
                                           args.window, args.batch, args.timeout)
                fan[n].append((got["sluice"], got["redis"]))
                compare.log("pair %d  fan-out to %3d: sluice %s, redis %s deliveries/s"
                            % (pair + 1, n, "{:,.0f}".format(got["sluice"]),
                               "{:,.0f}".format(got["redis"])))
            for p in ([] if runner is None else args.pipelines):
                got = {}
                for name in order:
                    rps, err, _ = runner.run(servers[name], workload, p)
                    if err is not None:
                        raise compare.BenchError("PUBLISH -P %d on %s: %s" % (p, name, err))
                    got[name] = rps
                pub[p].append((got["sluice"], got["redis"]))
                compare.log("pair %d  PUBLISH -P %-2d: sluice %s, redis %s requests/s"
                            % (pair + 1, p, "{:,.0f}".format(got["sluice"]),
                               "{:,.0f}".format(got["redis"])))
    except compare.BenchError as e:
        compare.log("error: %s" % e)
        return 1
    except KeyboardInterrupt:
        compare.log("interrupted")
        return 130
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print("Sluice: %s" % args.sluice)
    print("redis:  %s (%s)" % (args.redis, compare.tool_version(args.redis) or "?"))
    print("%d pairs; ratio = Sluice / redis, median of per-pair ratios; %d CPUs; %.0fs"
          % (args.pairs, os.cpu_count(), time.monotonic() - started))
    print()
    print_table("Fan-out: %d deliveries per run, %d-byte messages, window %d"
                % (args.deliveries, args.payload, args.window), "Subscribers", "deliveries/s",
                [median_ratio_row("%d" % n, fan[n]) for n in args.subscriber_counts],
                args.markdown)
    if not args.skip_publish:
        print_table("PUBLISH to a channel without subscribers (redis-benchmark, -c %d)"
                    % args.clients, "Pipeline", "requests/s",
                    [median_ratio_row("-P %d" % p, pub[p]) for p in args.pipelines],
                    args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
