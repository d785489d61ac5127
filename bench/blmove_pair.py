#!/usr/bin/env python3
"""BLMOVE producer/consumer pair: Sluice against redis-server, alternating, median ratio.

Producers push with `redis-benchmark ... lpush queue payload` while consumers run
`redis-benchmark ... blmove queue processing right left 5` at the same time; both move the same
number of messages, so the run ends when every pushed message has been moved. The figure is
messages moved per second of wall time. The reliable-queue pattern a Redis user builds by hand.

Usage: bench/blmove_pair.py [--sluice PATH] [--redis PATH] [--pairs N] [--messages N]
                            [--clients N] [--pipeline 1,16]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def run_pair(port, messages, clients, pipeline):
    base = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(messages),
            "-c", str(clients), "-P", str(pipeline), "-q"]
    compare.command(port, "DEL", "queue", "processing")
    start = time.monotonic()
    consumer = subprocess.Popen(base + ["blmove", "queue", "processing", "right", "left", "5"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    producer = subprocess.Popen(base + ["lpush", "queue", "payload-of-some-64-bytes-" + "x" * 39],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        producer.wait(timeout=300)
        consumer.wait(timeout=300)
    finally:
        for p in (producer, consumer):
            if p.poll() is None:
                p.kill()
    elapsed = time.monotonic() - start
    moved = int(compare.command(port, "LLEN", "processing"))
    if moved != messages:
        raise compare.BenchError("moved %d of %d messages" % (moved, messages))
    return messages / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluice", default="build/release/sluice-server")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=25)
    parser.add_argument("--pipeline", default="1,16")
    args = parser.parse_args()
    pipelines = [int(p) for p in args.pipeline.split(",")]
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as workdir:
        servers = {
            "sluice": compare.Server("sluice", args.sluice, [], [], workdir, 10.0),
            "redis": compare.Server("redis", args.redis, [],
                                    [("save", [""]), ("appendonly", ["no"])], workdir, 10.0),
        }
        try:
            for s in servers.values():
                s.start()
            print("%-22s %12s %12s %7s %6s %6s" % ("workload", "sluice msg/s", "redis msg/s",
                                                   "ratio", "min", "max"))
            for pipeline in pipelines:
                rates = {"sluice": [], "redis": []}
                ratios = []
                for pair in range(args.pairs):
                    order = ["sluice", "redis"] if pair % 2 == 0 else ["redis", "sluice"]
                    for name in order:
                        rates[name].append(run_pair(servers[name].port, args.messages,
                                                    args.clients, pipeline))
                    ratios.append(rates["sluice"][-1] / rates["redis"][-1])
                print("%-22s %12.0f %12.0f %7.2f %6.2f %6.2f" % (
                    "BLMOVE pair -P %d" % pipeline, statistics.median(rates["sluice"]),
                    statistics.median(rates["redis"]), statistics.median(ratios), min(ratios),
                    max(ratios)))
        finally:
            for s in servers.values():
                s.stop()


if __name__ == "__main__":
    main()
