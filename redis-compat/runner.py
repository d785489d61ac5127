#!/usr/bin/env python3
"""Runs the compatibility workloads, each against its own freshly started server.

Every workload is a program that talks to the server named by REDIS_HOST and REDIS_PORT, checks
every result itself and exits non-zero on the first wrong one. It may print lines of the form
`compat-version: <name> <version>` to say which library versions it exercised; the summary table
repeats them. A workload that outlives its timeout is killed (with its whole process group) and
counts as failed, and so does one whose server died or stopped answering while it ran.
"""

import argparse
import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"  # Debian's interpreter: the python3-* packages are installed for it

# name -> (command, timeout in seconds). Commands run with the redis-compat folder as cwd.
WORKLOADS = {
    "bullmq": (["node", "workloads/bullmq.mjs"], 90),
    "bull": (["node", "workloads/bull.js"], 90),
    "bee-queue": (["node", "workloads/bee_queue.js"], 90),
    "ioredis": (["node", "workloads/ioredis.js"], 60),
    "node-redis": (["node", "workloads/node_redis.js"], 60),
    "redis-py": ([PY, "workloads/redis_py.py"], 60),
    "rq": ([PY, "workloads/rq_workload.py"], 90),
    "celery": ([PY, "workloads/celery_workload.py"], 120),
    "sidekiq": (["ruby", "workloads/sidekiq_workload.rb"], 90),
    "laravel-queue": (["php", "workloads/laravel_queue.php"], 90),
    "symfony-messenger": (["php", "workloads/symfony_messenger.php"], 90),
    "hiredis": (["sh", "workloads/hiredis.sh"], 60),
    "redis-cli": ([PY, "workloads/redis_cli.py"], 60),
    "redis-benchmark": ([PY, "workloads/redis_benchmark.py"], 120),
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ping(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(data[-lines:])
    except OSError:
        return ""


class Server:
    """A server child process on a free loopback port with a temporary data directory."""

    def __init__(self, kind, binary, workdir):
        self.kind, self.binary = kind, binary
        self.dir = os.path.join(workdir, "data")
        os.makedirs(self.dir)
        self.log = os.path.join(workdir, "server.log")
        self.proc = None
        self.port = None

    def start(self):
        # A port found free can be taken before the server binds it; try a few.
        for _ in range(5):
            self.port = free_port()
            args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
            if self.kind == "redis":
                args += ["--save", "", "--appendonly", "no"]
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if ping(self.port):
                    return
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("server did not start:\n" + tail(self.log))

    def alive(self):
        return self.proc.poll() is None and ping(self.port, timeout=5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_one(name, args, workroot, print_lock):
    command, limit = WORKLOADS[name]
    workdir = os.path.join(workroot, name)
    os.makedirs(workdir)
    log_path = os.path.join(workdir, "workload.log")
    result = {"name": name, "ok": False, "versions": [], "seconds": 0.0, "why": ""}
    server = Server(args.server, args.bin, workdir)
    start = time.monotonic()
    try:
        server.start()
        env = dict(os.environ, REDIS_HOST="127.0.0.1", REDIS_PORT=str(server.port),
                   COMPAT_SERVER=args.server, COMPAT_TMP=workdir,
                   COMPAT_SERVER_BIN=args.bin, PYTHONDONTWRITEBYTECODE="1")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, cwd=HERE, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                code = proc.wait(limit)
            except subprocess.TimeoutExpired:
                code = None
            # Workers a workload spawned die with it, whether it finished or not.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if code is None:
            result["why"] = f"timed out after {limit}s"
        elif code != 0:
            result["why"] = f"exit status {code}"
        elif not server.alive():
            result["why"] = "server died or stopped answering"
        else:
            result["ok"] = True
    except Exception as e:  # noqa: BLE001 - reported as this workload's failure
        result["why"] = str(e)
    finally:
        result["seconds"] = time.monotonic() - start
        alive_after = server.proc is not None and server.proc.poll() is None
        server.stop()
    with open(log_path, "rb") as f:
        for line in f.read().decode("utf-8", "replace").splitlines():
            if line.startswith("compat-version: "):
                result["versions"].append(line[len("compat-version: "):].strip())
    with print_lock:
        status = "PASS" if result["ok"] else "FAIL"
        print(f"  {status}  {name:<18} {result['seconds']:6.1f}s  {result['why']}", flush=True)
        if not result["ok"]:
            print(f"---- {name}: last lines of its output ({log_path})")
            print(tail(log_path))
            if not alive_after or args.verbose:
                print(f"---- {name}: last lines of the server log")
                print(tail(server.log, 20))
            print("----", flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["sluice", "redis"], default="sluice")
    parser.add_argument("--bin", help="server binary (default: build/release/sluice-server, "
                        "or redis-server for --server redis)")
    parser.add_argument("--jobs", type=int, default=2, help="workloads run at once")
    parser.add_argument("--keep", action="store_true", help="keep logs and data directories")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    args = parser.parse_args()
    if args.list:
        print("\n".join(WORKLOADS))
        return 0
    if args.bin is None:
        args.bin = (shutil.which("redis-server") if args.server == "redis"
                    else os.path.join(ROOT, "build", "release", "sluice-server"))
    args.bin = os.path.abspath(args.bin)
    if not os.access(args.bin, os.X_OK):
        print(f"no server binary at {args.bin}", file=sys.stderr)
        return 2
    unknown = [n for n in args.names if n not in WORKLOADS]
    if unknown:
        print(f"unknown workloads: {' '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    names = args.names or list(WORKLOADS)
    # The slowest first, so that two workers finish close together.
    names.sort(key=lambda n: -WORKLOADS[n][1])

    workroot = tempfile.mkdtemp(prefix="sluice-compat-")
    print(f"== redis-compat: {len(names)} workloads against {args.server} ({args.bin})", flush=True)
    started = time.monotonic()
    lock = threading.Lock()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda n: run_one(n, args, workroot, lock), names))
    elapsed = time.monotonic() - started

    failed = [r for r in results if not r["ok"]]
    print(f"\n| workload | versions | result | seconds |\n| --- | --- | --- | --- |")
    for r in sorted(results, key=lambda r: list(WORKLOADS).index(r["name"])):
        versions = ", ".join(r["versions"]) or "-"
        status = "pass" if r["ok"] else "FAIL: " + r["why"]
        print(f"| {r['name']} | {versions} | {status} | {r['seconds']:.1f} |")
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    print(f"(wall time {elapsed:.0f}s)")
    if failed or args.keep:
        print(f"logs kept in {workroot}")
    else:
        shutil.rmtree(workroot, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
