"""redis-cli: interactive hints and help built from COMMAND DOCS (in a pseudo-terminal, as a
person types), --pipe mass insertion, --scan, --bigkeys, --stat, --eval, and RESP3 output (-3).

redis_cli_hints.tsv holds, for each command, the hint redis-cli 7.0 shows after the command name
when connected to redis-server 7.0: what it shows against the server under test must be the
same."""

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from compat import HOST, PORT, TMP, expect, main, version  # noqa: E402

import redis  # noqa: E402

CLI = ["redis-cli", "-h", HOST, "-p", str(PORT)]


def cli(*args, stdin=None, check=True):
    p = subprocess.run(CLI + list(args), input=stdin, capture_output=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"redis-cli {' '.join(args)} exited {p.returncode}: {p.stderr!r}")
    return p.stdout.decode()


class Terminal:
    """redis-cli in a pseudo-terminal, read the way a terminal would draw it."""

    def __init__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm"
            os.execvp(CLI[0], CLI)
        # Wide enough that no hint is cut at the edge.
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 1000, 0, 0))
        self.prompt = f"{HOST}:{PORT}> ".encode()
        self.buf = b""
        self.read_until(lambda b: b.endswith(self.prompt), "the prompt")

    def read_until(self, done, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not done(self.buf):
            if time.monotonic() > deadline:
                raise AssertionError(f"redis-cli: no {what} on the terminal; got {self.buf[-300:]!r}")
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                self.buf += os.read(self.fd, 65536)

    def hint(self, command):
        """Types `command` and a space; returns the grey hint drawn after it."""
        self.buf = b""
        os.write(self.fd, (command + " ").encode())
        # Each keystroke redraws the line; the last redraw ends by moving the cursor after the
        # typed text.
        end = f"\r\x1b[{len(self.prompt) + len(command) + 1}C".encode()
        self.read_until(lambda b: b.endswith(end), f"redraw after {command!r}")
        last = self.buf[self.buf.rindex(b"\r\x1b[0K"):]
        m = re.search(rb"\x1b\[0;90;49m(.*?)\x1b\[0m", last)
        self.clear_line()
        return m.group(1).decode() if m else ""

    def clear_line(self):
        self.buf = b""
        os.write(self.fd, b"\x15")  # Ctrl-U
        self.read_until(lambda b: b.endswith(f"\r\x1b[{len(self.prompt)}C".encode()), "cleared line")

    def run(self, line):
        self.buf = b""
        os.write(self.fd, (line + "\r").encode())
        self.read_until(lambda b: b.rstrip().endswith(self.prompt.rstrip()) and b.count(self.prompt) >= 2,
                        f"output of {line!r}")
        return re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", self.buf).decode()

    def close(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def hints_and_help(r):
    expected = []
    with open(os.path.join(HERE, "redis_cli_hints.tsv")) as f:
        for line in f:
            command, _, hint = line.rstrip("\n").partition("\t")
            expected.append((command, hint.strip()))
    term = Terminal()
    try:
        wrong, shown_all = [], []
        for command, hint in expected:
            shown = term.hint(command).strip()
            shown_all.append(f"{command}\t{shown}\n")
            if shown != hint:
                wrong.append(f"  {command}: shows {shown!r}, redis-cli with Redis 7.0 shows {hint!r}")
        # Regenerating the table: COMPAT_WRITE_HINTS=1 run.sh --server redis redis-cli
        if os.environ.get("COMPAT_WRITE_HINTS") and os.environ.get("COMPAT_SERVER") == "redis":
            with open(os.path.join(HERE, "redis_cli_hints.tsv"), "w") as f:
                f.writelines(shown_all)
            wrong = []
        if wrong:
            raise AssertionError("hints that differ from Redis's:\n" + "\n".join(wrong))
        # `help CMD` prints the summary, since and group from the server's COMMAND DOCS.
        for command in ("ZADD", "BLMOVE", "XREADGROUP", "HSET", "SINTERCARD"):
            fields = json.loads(cli("--json", "COMMAND", "DOCS", command))[command.lower()]
            out = term.run(f"help {command}")
            for field in ("summary", "since", "group"):
                value = fields[field]
                assert f"{field}: {value}" in out, f"help {command}: no '{field}: {value}' in {out!r}"
    finally:
        term.close()
    print(f"redis-cli: {len(expected)} hints as in Redis 7.0")


def pipe_mode(r):
    def resp(*args):
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)
    commands = []
    for i in range(10000):
        commands.append(resp("SET", f"user:{i}", f"value-{i}"))
        commands.append(resp("HSET", f"profile:{i % 100}", f"field{i}", i))
        commands.append(resp("ZADD", "leaderboard", i, f"player{i}"))
        commands.append(resp("RPUSH", "events", f"event-{i}"))
        commands.append(resp("SADD", "tags", f"tag{i % 500}"))
    commands.append(resp("INCR", "user:1"))  # not an integer: the one error reply
    p = subprocess.run(CLI + ["--pipe"], input=b"".join(commands), capture_output=True, timeout=60)
    out = p.stdout.decode()
    m = re.search(r"errors: (\d+), replies: (\d+)", out)
    assert m, out
    # The error reply is printed, and makes redis-cli exit 1.
    expect("--pipe exit status and error", (p.returncode, p.stderr.decode()),
           (1, "ERR value is not an integer or out of range\n"))
    expect("--pipe errors and replies", (int(m.group(1)), int(m.group(2))), (1, len(commands)))
    expect("DBSIZE after --pipe", r.dbsize(), 10000 + 100 + 3)
    expect("ZCARD", r.zcard("leaderboard"), 10000)
    expect("LLEN", r.llen("events"), 10000)
    expect("SCARD", r.scard("tags"), 500)
    expect("HLEN", r.hlen("profile:7"), 100)


def scan_and_bigkeys(r):
    keys = cli("--scan", "--pattern", "user:*").split()
    expect("--scan user:*", (len(keys), len(set(keys))), (10000, 10000))
    expect("--scan profile:*", sorted(cli("--scan", "--pattern", "profile:1?").split()),
           [f"profile:{i}" for i in range(10, 20)])
    out = cli("--bigkeys")
    for line in ("Sampled 10103 keys in the keyspace!",
                 "Biggest   list found '\"events\"' has 10000 items",
                 "Biggest   zset found '\"leaderboard\"' has 10000 members",
                 "Biggest    set found '\"tags\"' has 500 members",
                 "Biggest   hash found '\"profile:",
                 "10000 strings with"):
        assert line in out, f"--bigkeys: no {line!r} in:\n{out}"


def stat_mode(r):
    # Line-buffered: redis-cli is stopped by a signal, with no chance to flush its output.
    # A shell that starts a job in the background makes it ignore SIGINT, and ignored signals
    # stay ignored across exec: restore the default so Ctrl-C's signal stops redis-cli here too.
    proc = subprocess.Popen(["stdbuf", "-oL"] + CLI + ["--stat", "-i", "0.25"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for i in range(8):  # some traffic for the requests column
        r.set(f"stat:{i}", i)
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:
        out = proc.communicate(timeout=10)[0].decode()
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    rows = [line.split() for line in out.splitlines() if re.match(r"^\d+\s", line)]
    assert "keys" in out and "requests" in out, out
    assert "ERR" not in out and "error" not in out.lower(), out
    assert len(rows) >= 4, f"--stat printed {len(rows)} rows:\n{out}"
    expect("keys column", int(rows[-1][0]), r.dbsize())
    requests = [int(row[4]) for row in rows]
    assert requests == sorted(requests) and requests[-1] > requests[0], requests


def eval_and_resp3(r):
    script = os.path.join(TMP, "bump.lua")
    with open(script, "w") as f:
        f.write("redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])\n"
                "return redis.call('HGETALL', KEYS[1])\n")
    expect("--eval", cli("--eval", script, "counters", ",", "hits", "5").split(), ["hits", "5"])
    r.delete("h", "z")
    r.hset("h", mapping={"a": "1"})
    r.zadd("z", {"m": 1.5})
    # RESP3 replies in redis-cli's own notation, as with Redis.
    expect("-3 HGETALL", cli("-3", "--no-raw", "HGETALL", "h"), '1# "a" => "1"\n')
    expect("-3 ZSCORE", cli("-3", "--no-raw", "ZSCORE", "z", "m"), "(double) 1.5\n")
    expect("-3 ZRANGE", cli("-3", "--no-raw", "ZRANGE", "z", "0", "-1", "WITHSCORES"),
           '1) 1) "m"\n   2) (double) 1.5\n')
    expect("-3 SMEMBERS", cli("-3", "--no-raw", "SMEMBERS", "nosuchset"), "(empty set)\n")
    expect("-2 ZSCORE", cli("--no-raw", "ZSCORE", "z", "m"), '"1.5"\n')
    expect("error reply", cli("--no-raw", "LPUSH", "h", "x"),
           "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n")


def body():
    v = subprocess.run(["redis-cli", "--version"], capture_output=True, text=True).stdout.split()[1]
    version("redis-cli", v)
    r = redis.Redis(host=HOST, port=PORT)
    r.flushall()
    hints_and_help(r)
    pipe_mode(r)
    scan_and_bigkeys(r)
    stat_mode(r)
    eval_and_resp3(r)


if __name__ == "__main__":
    main("redis-cli", body)
