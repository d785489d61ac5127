#!/usr/bin/env bash
# User-space instructions per command, Sluice against redis-server, under callgrind.
#
# Usage: bench/callgrind.sh [options] [TESTS]
#
#   TESTS             comma-separated redis-benchmark -t names and/or custom commands
#                     NAME=command (shell-quoted words, run by redis-benchmark as
#                     given, e.g. 'XADD=xadd s * f v')
#                     (default ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop)
#   --setup CMD       a command (shell-quoted words) sent to the server after every
#                     start, baselines included, before anything is measured, e.g.
#                     "SCRIPT LOAD 'return 1'" for an EVALSHA workload (repeatable;
#                     an error reply aborts)
#   --sluice PATH     Sluice binary (default build/release/sluice-server)
#   --redis PATH      redis-server binary (default redis-server)
#   -n, --requests N  commands per measured run (default 20000)
#   --sluice-args S   extra Sluice arguments (one shell-quoted string)
#   --redis-args S    extra redis-server arguments (default adds --save '' --appendonly no)
#   --idle SECONDS    length of the idle baseline run (default 10)
#   --only NAME       measure only sluice or only redis
#   -v, --verbose     print the raw instruction counts of every run
#   --keep            keep the callgrind output files and logs
#
# Method: each run starts the server under `valgrind --tool=callgrind
# --collect-atstart=yes` on a free loopback port, waits for one PING to succeed,
# runs `redis-benchmark -n N -P 16 -c 10 -t TEST`, stops the server with
# SHUTDOWN NOSAVE and reads the total Ir from the callgrind output.  The cost of
# starting and stopping the server comes from a baseline run that only answers
# the PING; timer work that grows with wall-clock time (server cron and the like)
# is taken out at a rate measured from a second baseline run that idles for
# --idle seconds.  lpop and rpop pop from a list filled by an lpush run of N
# elements first; their baseline includes the same fill.  Set-up commands run in
# every run, baselines too, so their cost cancels out.
#
#   instructions/command = (Ir(run) - Ir(baseline) - idle_rate * extra_seconds) / N
set -euo pipefail

cd "$(dirname "$0")/.."

SLUICE=build/release/sluice-server
REDIS=redis-server
N=20000
TESTS=ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop
SLUICE_ARGS=""
REDIS_ARGS=""
IDLE=10
ONLY=""
VERBOSE=0
KEEP=0
SETUP=()
PIPELINE=16
CLIENTS=10
START_TIMEOUT=120

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --sluice) SLUICE=$2; shift 2 ;;
    --redis) REDIS=$2; shift 2 ;;
    -n|--requests) N=$2; shift 2 ;;
    --sluice-args) SLUICE_ARGS=$2; shift 2 ;;
    --redis-args) REDIS_ARGS=$2; shift 2 ;;
    --idle) IDLE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --setup) SETUP+=("$2"); shift 2 ;;
    -v|--verbose) VERBOSE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) TESTS=$1; shift ;;
  esac
done

for tool in valgrind redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done
resolve() {
  local p
  if [[ $1 == */* ]]; then p=$1; else p=$(command -v "$1" || true); fi
  [[ -n $p && -x $p ]] || { echo "binary not found: $1" >&2; exit 1; }
  echo "$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
}
case $ONLY in
  "") SERVERS=(sluice redis) ;;
  sluice|redis) SERVERS=("$ONLY") ;;
  *) echo "--only wants sluice or redis" >&2; exit 2 ;;
esac
[[ $ONLY == redis ]] || SLUICE=$(resolve "$SLUICE")
[[ $ONLY == sluice ]] || REDIS=$(resolve "$REDIS")

eval "sluice_extra=($SLUICE_ARGS)"
eval "redis_extra=($REDIS_ARGS)"
redis_defaults=()
[[ " $REDIS_ARGS " == *" --save "* ]] || redis_defaults+=(--save "")
[[ " $REDIS_ARGS " == *" --appendonly "* ]] || redis_defaults+=(--appendonly no)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-callgrind-XXXXXX")
VG_PID=""
SLEEP_PID=""
PORT=""
RUN=0

stop_server() {
  [[ -n $VG_PID ]] || return 0
  # SHUTDOWN NOSAVE first; SIGTERM when that cannot be sent (e.g. not listening yet)
  # or does not take effect within 30s.
  if ! timeout 10 redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1; then
    kill -TERM "$VG_PID" 2>/dev/null || true
  fi
  local i
  for i in $(seq 600); do
    kill -0 "$VG_PID" 2>/dev/null || break
    sleep 0.1
    if [[ $i == 300 ]]; then kill -TERM "$VG_PID" 2>/dev/null || true; fi
  done
  if kill -0 "$VG_PID" 2>/dev/null; then kill -KILL "$VG_PID" 2>/dev/null || true; fi
  wait "$VG_PID" 2>/dev/null || true
  VG_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $SLEEP_PID ]]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
  stop_server
  if [[ $KEEP == 1 ]]; then echo "callgrind files kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }

# words STRING: prints the shell-quoted words of STRING, NUL-terminated.
words() {
  python3 -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' "$1"
}

# run_setup PORT: sends the --setup commands; fails on an error reply.
run_setup() {
  [[ ${#SETUP[@]} -gt 0 ]] || return 0
  python3 - "$1" "${SETUP[@]}" <<'PY'
import shlex, sys
sys.path.insert(0, "bench")
import compare
port = int(sys.argv[1])
for line in sys.argv[2:]:
    reply = compare.command(port, *shlex.split(line), timeout=60.0)
    if isinstance(reply, compare.BenchError):
        sys.exit("set-up command %s failed: %s" % (line, reply))
PY
}

# start_server NAME: starts NAME under callgrind, sets VG_PID, PORT, OUT, T_READY.
start_server() {
  local name=$1 bin dir
  RUN=$((RUN + 1))
  dir=$WORK/$name-$RUN
  mkdir -p "$dir"
  OUT=$dir/callgrind.out
  PORT=$(free_port)
  local argv
  if [[ $name == sluice ]]; then
    argv=("$SLUICE" --port "$PORT" --bind 127.0.0.1 --dir "$dir" "${sluice_extra[@]}")
  else
    argv=("$REDIS" --port "$PORT" --bind 127.0.0.1 --dir "$dir" "${redis_defaults[@]}" "${redis_extra[@]}")
  fi
  (cd "$dir" && exec valgrind --tool=callgrind --collect-atstart=yes --trace-children=no \
      --callgrind-out-file="$OUT" "${argv[@]}" </dev/null >"$dir/server.log" 2>&1) &
  VG_PID=$!
  local deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$VG_PID" 2>/dev/null; then
      wait "$VG_PID" 2>/dev/null || true
      VG_PID=""
      echo "$name exited during start-up; log tail:" >&2
      tail -n 15 "$dir/server.log" >&2
      return 1
    fi
    if [[ $(timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]; then
      if ! run_setup "$PORT"; then
        stop_server
        return 1
      fi
      T_READY=$(now)
      return 0
    fi
    sleep 0.2
  done
  echo "$name did not answer PING within ${START_TIMEOUT}s" >&2
  stop_server
  return 1
}

# finish_run: stops the server; sets IR (total instructions) and ELAPSED (seconds
# between the first PING and SHUTDOWN).
finish_run() {
  ELAPSED=$(awk -v a="$T_READY" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
  stop_server
  IR=$(awk '/^totals:/ { t += $2; seen = 1 } /^summary:/ { s += $2 }
            END { if (seen) print t; else if (s) print s; else print "" }' "$OUT"* 2>/dev/null || true)
  [[ -n $IR ]] || { echo "no instruction total in $OUT" >&2; return 1; }
}

# A custom test's label maps to its command line (NAME=command in TESTS).
declare -A CUSTOM=()

bench() { # bench PORT TEST REQUESTS
  local what
  if [[ -n ${CUSTOM[$2]+set} ]]; then
    mapfile -t -d '' what < <(words "${CUSTOM[$2]}")
  else
    what=(-t "$2")
  fi
  redis-benchmark -h 127.0.0.1 -p "$1" -n "$3" -c "$CLIENTS" -P "$PIPELINE" -q --csv "${what[@]}" \
    >"$WORK/bench.out" 2>&1 || { sed -n '/rror/{p;q}' "$WORK/bench.out" >&2; return 1; }
}

needs_fill() { [[ -z ${CUSTOM[$1]+set} && ( $1 == lpop || $1 == rpop ) ]]; }

# measure NAME TEST: sets IR and ELAPSED; TEST may be "-" (baseline) or "fill" (fill only).
measure() {
  local name=$1 test=$2
  start_server "$name" || return 1
  if [[ $test == idle ]]; then
    sleep "$IDLE" &  # waited for in the background so Ctrl-C is not held up
    SLEEP_PID=$!
    wait "$SLEEP_PID"
    SLEEP_PID=""
  elif [[ $test == fill ]] || needs_fill "$test"; then
    bench "$PORT" lpush "$N" || { stop_server; return 1; }
  fi
  if [[ $test != - && $test != fill && $test != idle ]]; then
    bench "$PORT" "$test" "$N" || { stop_server; return 1; }
  fi
  finish_run || return 1
  [[ $VERBOSE == 0 ]] || printf '  %-6s %-11s Ir=%s  %ss\n' "$name" "$test" "$IR" "$ELAPSED" >&2
}

declare -A RESULT
IFS=, read -ra items <<<"$TESTS"
test_list=()
for item in "${items[@]}"; do
  item=${item#"${item%%[![:space:]]*}"}  # leading blanks
  [[ -n $item ]] || continue
  if [[ $item == *=* ]]; then
    label=${item%%=*}
    cmd=${item#*=}
    mapfile -t -d '' cmd_words < <(words "$cmd") || true
    if [[ -z $label || ${#cmd_words[@]} == 0 ]]; then
      echo "bad custom test '$item' (want NAME=command args)" >&2
      exit 2
    fi
    CUSTOM[$label]=$cmd
    test_list+=("$label")
  else
    test_list+=("$item")
  fi
done
[[ ${#test_list[@]} -gt 0 ]] || { echo "no tests given" >&2; exit 2; }
for name in "${SERVERS[@]}"; do
  echo "$name: baselines" >&2
  measure "$name" - || { echo "$name: baseline failed" >&2; exit 1; }
  base_ir=$IR base_t=$ELAPSED
  measure "$name" idle || { echo "$name: idle baseline failed" >&2; exit 1; }
  rate=$(awk -v i1="$IR" -v t1="$ELAPSED" -v i0="$base_ir" -v t0="$base_t" \
           'BEGIN { r = (t1 > t0) ? (i1 - i0) / (t1 - t0) : 0; if (r < 0) r = 0; printf "%.0f", r }')
  echo "$name: idle work ${rate} instructions/s" >&2
  fill_ir="" fill_t=""
  for test in "${test_list[@]}"; do
    if needs_fill "$test" && [[ -z $fill_ir ]]; then
      if measure "$name" fill; then fill_ir=$IR fill_t=$ELAPSED; else fill_ir=error; fi
    fi
    echo "$name: $test" >&2
    if needs_fill "$test"; then b_ir=$fill_ir b_t=$fill_t; else b_ir=$base_ir b_t=$base_t; fi
    if [[ $b_ir != error ]] && measure "$name" "$test"; then
      RESULT[$name,$test]=$(awk -v i="$IR" -v t="$ELAPSED" -v bi="$b_ir" -v bt="$b_t" -v r="$rate" -v n="$N" \
        'BEGIN { printf "%.0f", (i - bi - r * (t - bt)) / n }')
    else
      RESULT[$name,$test]=error
    fi
  done
done

echo
echo "user-space instructions per command (callgrind Ir; -n $N -P $PIPELINE -c $CLIENTS)"
if [[ ${#SERVERS[@]} == 2 ]]; then
  printf '%-12s %14s %14s %16s\n' test sluice redis "sluice / redis"
  for test in "${test_list[@]}"; do
    s=${RESULT[sluice,$test]} r=${RESULT[redis,$test]}
    ratio=$(awk -v s="$s" -v r="$r" 'BEGIN { if (s ~ /^-?[0-9]+$/ && r ~ /^-?[0-9]+$/ && r > 0) printf "%.2f", s / r; else print "error" }')
    printf '%-12s %14s %14s %16s\n' "$test" "$s" "$r" "$ratio"
  done
else
  printf '%-12s %14s\n' test "${SERVERS[0]}"
  for test in "${test_list[@]}"; do
    printf '%-12s %14s\n' "$test" "${RESULT[${SERVERS[0]},$test]}"
  done
fi
