#!/usr/bin/env python3
"""Memory per stream entry: Sluice against redis-server.

Both servers start empty; each gets the same ENTRIES `XADD s * field <64-byte value>` commands
(pipelined), and the growth of INFO memory's used_memory is divided by the entry count. Redis
counts its allocator's allocated bytes (jemalloc), Sluice glibc's in-use heap (mallinfo2), so both
figures leave out allocator slack and fragmentation alike.

Usage: bench/stream_memory.py [--sluice PATH] [--redis PATH] [--entries N] [--value-size N]
"""
import argparse
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def used_memory(port):
    info = compare.command(port, "INFO", "memory")
    for line in info.decode().splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":", 1)[1])
    raise compare.BenchError("no used_memory in INFO memory")


def fill(port, entries, value_size, batch=1000):
    value = b"v" * value_size
    one = compare._encode([b"XADD", b"s", b"*", b"field", value])
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = compare._Reader(s)
        sent = 0
        while sent < entries:
            n = min(batch, entries - sent)
            s.sendall(one * n)
            for _ in range(n):
                reply = reader.reply()
                if isinstance(reply, compare.BenchError):
                    raise reply
            sent += n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluice", default="build/release/sluice-server")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--entries", type=int, default=1000000)
    parser.add_argument("--value-size", type=int, default=64)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as workdir:
        for name, binary, defaults in (
            ("sluice", args.sluice, []),
            ("redis", args.redis, [("save", [""]), ("appendonly", ["no"])]),
        ):
            server = compare.Server(name, binary, [], defaults, workdir, 20.0)
            server.start()
            try:
                before = used_memory(server.port)
                fill(server.port, args.entries, args.value_size)
                length = compare.command(server.port, "XLEN", "s")
                if length != args.entries:
                    raise compare.BenchError("%s holds %r entries" % (name, length))
                after = used_memory(server.port)
            finally:
                server.stop()
            results[name] = (after - before) / args.entries
    print("%d entries, one field, %d-byte values" % (args.entries, args.value_size))
    print("%-8s %10s" % ("server", "bytes/entry"))
    for name in ("sluice", "redis"):
        print("%-8s %10.1f" % (name, results[name]))
    print("ratio sluice/redis: %.3f" % (results["sluice"] / results["redis"]))


if __name__ == "__main__":
    try:
        main()
    except compare.BenchError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
