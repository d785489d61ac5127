#!/usr/bin/env python3
"""Memory per queued message: Sluice's QPUSH against the Redis list and stream a user would use.

Each server starts empty and gets MESSAGES pushes of distinct 64-byte payloads (pipelined):
QPUSH q <payload> on Sluice, and for reference LPUSH q <payload> and XADD q * m <payload> on
redis-server (one fresh server per pattern). The growth of INFO memory's used_memory divided by
the message count is the cost of one waiting message. Redis counts its allocator's allocated
bytes (jemalloc), Sluice glibc's in-use heap (mallinfo2), so both leave out allocator slack and
fragmentation alike. The run checks that every message was queued (QINFO pushed and ready, LLEN,
XLEN).

Usage: bench/queue_memory.py [--sluice PATH] [--redis PATH] [--messages N] [--payload-size N]
                             [--patterns sluice-q,redis-list,redis-stream]
Only the Python standard library is used.
"""
import argparse
import os
import shlex
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

# pattern: (server, the push command without its payload)
PATTERNS = {
    "sluice-q": ("sluice", [b"QPUSH", b"q"]),
    "redis-list": ("redis", [b"LPUSH", b"q"]),
    "redis-stream": ("redis", [b"XADD", b"q", b"*", b"m"]),
}


def used_memory(port):
    info = compare.command(port, "INFO", "memory")
    for line in info.decode().splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":", 1)[1])
    raise compare.BenchError("no used_memory in INFO memory")


def fill(port, command, messages, payload_size, batch=1000):
    filler = b"x" * (payload_size - 12)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = compare._Reader(s)
        sent = 0
        while sent < messages:
            n = min(batch, messages - sent)
            s.sendall(b"".join(compare._encode(command + [b"%012d" % i + filler])
                               for i in range(sent, sent + n)))
            for _ in range(n):
                reply = reader.reply()
                if isinstance(reply, compare.BenchError):
                    raise reply
            sent += n


def queued(port, name):
    if name == "sluice-q":
        info = compare.command(port, "QINFO", "q")
        fields = {info[i].decode(): info[i + 1] for i in range(0, len(info) - 1, 2)}
        if fields.get("pushed") != fields.get("ready"):
            raise compare.BenchError("QINFO q: pushed %r, ready %r"
                                     % (fields.get("pushed"), fields.get("ready")))
        return fields.get("ready")
    return compare.command(port, "LLEN" if name == "redis-list" else "XLEN", "q")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluice", default="build/release/sluice-server")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--messages", type=int, default=1000000)
    parser.add_argument("--payload-size", type=int, default=64)
    parser.add_argument("--patterns", default=",".join(PATTERNS))
    parser.add_argument("--sluice-args", default="",
                        help="extra Sluice arguments (one shell-quoted string)")
    args = parser.parse_args()
    names = [n.strip() for n in args.patterns.split(",") if n.strip()]
    if not names or any(n not in PATTERNS for n in names):
        parser.error("--patterns: known patterns are %s" % ", ".join(PATTERNS))
    if args.messages < 1 or args.payload_size < 12:
        parser.error("--messages must be positive and --payload-size at least 12")
    binaries = {}
    for name in names:
        server = PATTERNS[name][0]
        if server not in binaries:
            binaries[server] = compare.resolve_binary(getattr(args, server), server)
    results = {}
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as workdir:
        for name in names:
            kind, command = PATTERNS[name]
            if kind == "sluice":
                server = compare.Server(name, binaries[kind], shlex.split(args.sluice_args), [],
                                        workdir, 20.0)
            else:
                server = compare.Server(name, binaries[kind], [],
                                        [("save", [""]), ("appendonly", ["no"])], workdir, 20.0)
            server.start()
            try:
                before = used_memory(server.port)
                fill(server.port, command, args.messages, args.payload_size)
                count = queued(server.port, name)
                if count != args.messages:
                    raise compare.BenchError("%s holds %r of %d messages"
                                             % (name, count, args.messages))
                after = used_memory(server.port)
            finally:
                server.stop()
            results[name] = (after - before) / args.messages
    print("%d messages of %d bytes" % (args.messages, args.payload_size))
    print("%-14s %14s" % ("pattern", "bytes/message"))
    for name in names:
        print("%-14s %14.1f" % (name, results[name]))


if __name__ == "__main__":
    try:
        main()
    except compare.BenchError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
