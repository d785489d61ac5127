#!/usr/bin/env bash
# Side-by-side benchmark of Sluice against redis-server.
#
# Usage: bench/run.sh [SUITE] [compare.py options...]
#
#   foundation  PING_INLINE PING_MBULK SET GET INCR MSET at -P 1 and -P 16, 5 pairs (default)
#   lists       LPUSH RPUSH LPOP RPOP LRANGE_100 LMOVE at -P 1 and -P 16, 5 pairs
#   streams     XADD, then XRANGE of 10 entries from the stream XADD filled, at -P 1 and -P 16
#               (bench/stream_cycle.py measures the XREADGROUP + XACK cycle,
#               bench/stream_memory.py the memory per entry)
#   quick       the foundation workloads with few requests and 3 pairs (smoke run)
#   pubsub      PUBLISH to a channel without subscribers at -P 1 and -P 16, 5 pairs
#               (fan-out to subscribers: bench/pubsub_fanout.py)
#   queues      the reliable-queue cycle: QPUSH + QPOP + QACK against a Redis list (LPUSH +
#               BLMOVE + LREM) and a Redis stream (XADD + XREADGROUP + XACK), 25 producers and
#               25 consumers, -P 1 and -P 16, 5 pairs; runs bench/queue_cycle.py, which takes
#               its own options, with the C load generator sluice-queue-load (built here too;
#               `--load python` for the Python one). Memory per queued message:
#               bench/queue_memory.py
#   scripting   EVALSHA of a one-command script (LPUSH) and of a five-command one, next to
#               the bare LPUSH they are compared with, at -P 1 and -P 16, 5 pairs; the
#               scripts are loaded with SCRIPT LOAD on both servers first; also reports each
#               script's cost relative to the bare LPUSH on the same server
#   collections HSET, ZADD, ZPOPMIN and BZPOPMIN (sorted set refilled before pops), -P 1 and -P 16
#   list        print the suites
#
# Extra options go to bench/compare.py, e.g. `bench/run.sh lists --pairs 7 --json out.json`
# or `bench/run.sh foundation --markdown`.
#
# Environment:
#   BUILD_DIR   build directory (default build/release)
#   SLUICE      Sluice binary to benchmark; when set, nothing is built
#   QUEUE_LOAD  sluice-queue-load binary for the queues suite (default: the one in BUILD_DIR,
#               else the one beside SLUICE)
#   REDIS       redis-server binary (default redis-server from PATH)
#   JOBS        parallel build jobs (default 2)
set -euo pipefail

cd "$(dirname "$0")/.."

# The scripting suite's scripts. EVALSHA names a script by the SHA1 of its text, so the
# workloads can embed it; compare.py loads the scripts (--setup) before measuring.
LPUSH_SCRIPT="return redis.call('LPUSH', KEYS[1], ARGV[1])"
# A job submission: queue the job, record it, count it, keep the counter a day, report the depth.
FIVE_SCRIPT="redis.call('LPUSH', KEYS[1], ARGV[1]) \
redis.call('HSET', KEYS[2], 'last', ARGV[1]) \
redis.call('INCR', KEYS[3]) \
redis.call('EXPIRE', KEYS[3], 86400) \
return redis.call('LLEN', KEYS[1])"
sha1() { printf '%s' "$1" | sha1sum | cut -c1-40; }
scripting_tests="LPUSH=lpush sq job,EVALSHA_LPUSH=evalsha $(sha1 "$LPUSH_SCRIPT") 1 sq job"
scripting_tests+=",EVALSHA_5CMD=evalsha $(sha1 "$FIVE_SCRIPT") 3 sq sh sc job"

# Each suite is a line of compare.py options; add a suite by adding an entry.
declare -A SUITES=(
  [foundation]="--tests PING_INLINE,PING_MBULK,SET,GET,INCR,MSET --pipeline 1,16 --pairs 5"
  [lists]="--tests LPUSH,RPUSH,LPOP,RPOP,LRANGE_100 --custom 'LMOVE=lmove mylist mylist2 left right' --pipeline 1,16 --pairs 5"
  [streams]="--tests 'XADD=xadd s * f v,XRANGE_10=xrange s - + COUNT 10' --pipeline 1,16 --pairs 5"
  [quick]="--tests PING_INLINE,PING_MBULK,SET,GET,INCR,MSET --pipeline 1,16 --quick"
  [pubsub]="--tests 'PUBLISH=publish channel message' --pipeline 1,16 --pairs 5"
  [collections]="--tests HSET,ZADD,ZPOPMIN --custom 'BZPOPMIN=bzpopmin myzset 1' --pipeline 1,16 --pairs 5"
  [scripting]="--tests $(printf %q "$scripting_tests") --pipeline 1,16 --pairs 5 --relative-to LPUSH \
    --setup $(printf %q "SCRIPT LOAD $(printf %q "$LPUSH_SCRIPT")") \
    --setup $(printf %q "SCRIPT LOAD $(printf %q "$FIVE_SCRIPT")")"
)

# Suites measured by their own script instead of compare.py; options go to that script.
declare -A SCRIPTS=(
  [queues]="bench/queue_cycle.py"
)

suite=foundation
if [[ $# -gt 0 && $1 != -* ]]; then
  suite=$1
  shift
fi

if [[ $suite == list || $suite == help ]]; then
  {
    for name in "${!SUITES[@]}"; do
      printf '%-12s %s\n' "$name" "${SUITES[$name]}"
    done
    for name in "${!SCRIPTS[@]}"; do
      printf '%-12s %s\n' "$name" "${SCRIPTS[$name]}"
    done
  } | sort
  exit 0
fi
if [[ -z ${SUITES[$suite]+set} && -z ${SCRIPTS[$suite]+set} ]]; then
  echo "unknown suite '$suite'; suites: $(printf '%s ' "${!SUITES[@]}" "${!SCRIPTS[@]}")" >&2
  exit 2
fi

BUILD_DIR=${BUILD_DIR:-build/release}
if [[ -z ${SLUICE:-} ]]; then
  if ! grep -qx 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
  fi
  targets=(sluice-server)
  [[ $suite == queues && -z ${QUEUE_LOAD:-} ]] && targets+=(sluice-queue-load)
  # Incremental: a no-op when the server is up to date.
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target "${targets[@]}"
  SLUICE=$BUILD_DIR/sluice-server
fi

if [[ -n ${SCRIPTS[$suite]+set} ]]; then
  script_args=()
  if [[ $suite == queues ]]; then
    load=${QUEUE_LOAD:-}
    [[ -z $load && -x $BUILD_DIR/sluice-queue-load ]] && load=$BUILD_DIR/sluice-queue-load
    [[ -n $load ]] && script_args+=(--load-binary "$load")
  fi
  echo "suite: $suite" >&2
  exec python3 "${SCRIPTS[$suite]}" --sluice "$SLUICE" --redis "${REDIS:-redis-server}" \
    "${script_args[@]}" "$@"
fi

eval "suite_args=(${SUITES[$suite]})"
echo "suite: $suite" >&2
exec python3 bench/compare.py --sluice "$SLUICE" --redis "${REDIS:-redis-server}" \
  "${suite_args[@]}" "$@"
