#!/usr/bin/env bash
# Durability benchmark: Sluice against redis-server with the append-only log on in both, for
# each appendfsync mode, LPUSH and XADD at -P 1 and -P 16 with 50 clients. Runs alternate
# between the servers (bench/compare.py); the summary is the median of the per-pair ratios.
#
# Usage: bench/durability.sh [compare.py options...]
#
# Environment:
#   MODES       appendfsync modes to measure (default "always everysec")
#   PAIRS       alternating pairs per cell (default 5)
#   REQUESTS    requests per run at -P 1; default 20000 for always (every reply waits for a
#               disk flush) and 100000 for the other modes
#   BUILD_DIR   build directory (default build/release)
#   SLUICE      Sluice binary; when set, nothing is built
#   REDIS       redis-server binary (default redis-server from PATH)
set -euo pipefail

cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build/release}
if [[ -z ${SLUICE:-} ]]; then
  if ! grep -qx 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target sluice-server
  SLUICE=$BUILD_DIR/sluice-server
fi

for mode in ${MODES:-always everysec}; do
  if [[ $mode == always ]]; then
    requests=${REQUESTS:-20000}
  else
    requests=${REQUESTS:-100000}
  fi
  echo "== appendfsync $mode" >&2
  python3 bench/compare.py --sluice "$SLUICE" --redis "${REDIS:-redis-server}" \
    --tests LPUSH --custom "XADD=xadd mystream * field value" \
    --pipeline 1,16 --clients 50 --pairs "${PAIRS:-5}" --requests "$requests" \
    --sluice-args "--appendonly yes --appendfsync $mode" \
    --redis-args "--appendonly yes --appendfsync $mode" \
    --markdown "$@"
done
