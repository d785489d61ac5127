#!/usr/bin/env bash
# Memory per list element, Sluice against redis-server, measured side by side.
#
# Usage: bench/list_memory.sh [ELEMENTS] [ELEMENT_BYTES]      (defaults: 1000000 64)
#
# Starts both servers on free loopback ports with nothing persisted, pushes ELEMENTS distinct
# elements of ELEMENT_BYTES bytes into one list on each (RPUSH batches of 1000 through
# `redis-cli --pipe`), and reports, for each server, the growth of INFO's used_memory and of
# the process's resident set (VmRSS) divided by the element count.
#
# used_memory is what each server says its allocator holds: Redis counts jemalloc's usable
# sizes, Sluice reads glibc's mallinfo2 (in-use bytes of the main arena and mmapped blocks).
# VmRSS is the kernel's view, allocator slack included; it is the fairer comparison.
#
# Environment:
#   BUILD_DIR   build directory (default build/release)
#   SLUICE      Sluice binary; when set, nothing is built
#   REDIS       redis-server binary (default redis-server from PATH)
#   REDIS_CLI   redis-cli binary (default redis-cli from PATH)
set -euo pipefail

cd "$(dirname "$0")/.."

ELEMENTS=${1:-1000000}
BYTES=${2:-64}
BATCH=1000
REDIS=${REDIS:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
BUILD_DIR=${BUILD_DIR:-build/release}
if [[ -z ${SLUICE:-} ]]; then
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target sluice-server >&2
  SLUICE=$BUILD_DIR/sluice-server
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME BINARY: starts a server, sets PORT_<NAME> and PID_<NAME>.
start() {
  local name=$1 binary=$2 port dir
  port=$(free_port)
  dir=$work/$name
  mkdir -p "$dir"
  local args=(--port "$port" --bind 127.0.0.1 --dir "$dir")
  if [[ $(basename "$binary") == redis-server* ]]; then
    args+=(--save '' --appendonly no)
  fi
  "$binary" "${args[@]}" >"$dir/log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do
    if "$REDIS_CLI" -p "$port" PING >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  "$REDIS_CLI" -p "$port" PING >/dev/null || { echo "$name did not start:" >&2; cat "$dir/log" >&2; exit 1; }
  printf -v "PORT_$name" '%s' "$port"
  printf -v "PID_$name" '%s' "$pid"
}

used_memory() {
  "$REDIS_CLI" -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'
}

rss_bytes() {
  awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

# The RESP stream: ELEMENTS/BATCH RPUSH commands of BATCH distinct elements each, every element
# its index zero-padded to BYTES bytes, so no two are equal and none is a small integer.
payload=$work/payload.resp
awk -v n="$ELEMENTS" -v batch="$BATCH" -v bytes="$BYTES" 'BEGIN {
  fmt = "e%0" (bytes - 1) "d"
  for (i = 0; i < n; i += batch) {
    m = (n - i < batch) ? n - i : batch
    printf "*%d\r\n$5\r\nRPUSH\r\n$9\r\nbench:mem\r\n", m + 2
    for (j = 0; j < m; j++) printf "$%d\r\n" fmt "\r\n", bytes, i + j
  }
}' >"$payload"

start sluice "$SLUICE"
start redis "$REDIS"

echo "elements: $ELEMENTS of $BYTES bytes, one list, RPUSH batches of $BATCH"
printf '%-8s %14s %14s %12s %14s %14s %12s\n' server used_before used_after "B/elem" \
  rss_before rss_after "B/elem(rss)"
for name in sluice redis; do
  port_var=PORT_$name
  pid_var=PID_$name
  port=${!port_var}
  pid=${!pid_var}
  "$REDIS_CLI" -p "$port" DEL bench:mem >/dev/null
  used0=$(used_memory "$port")
  rss0=$(rss_bytes "$pid")
  out=$("$REDIS_CLI" -p "$port" --pipe <"$payload" 2>&1)
  if ! grep -q 'errors: 0' <<<"$out"; then
    echo "$name: pipe failed: $out" >&2
    exit 1
  fi
  len=$("$REDIS_CLI" -p "$port" LLEN bench:mem)
  if [[ $len != "$ELEMENTS" ]]; then
    echo "$name: LLEN is $len, expected $ELEMENTS" >&2
    exit 1
  fi
  used1=$(used_memory "$port")
  rss1=$(rss_bytes "$pid")
  printf '%-8s %14d %14d %12.1f %14d %14d %12.1f\n' "$name" "$used0" "$used1" \
    "$(echo "($used1 - $used0) / $ELEMENTS" | bc -l)" "$rss0" "$rss1" \
    "$(echo "($rss1 - $rss0) / $ELEMENTS" | bc -l)"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
  "$("$REDIS" --version | awk '{ print $1, $2, $3 }'); $(date -u +%Y-%m-%d)"
