#!/usr/bin/env bash
# Runs real Redis client libraries, job-queue libraries and Redis's own tools against a server
# started for each workload. `run.sh --help` lists the options; `run.sh --server redis` runs the
# same workloads against redis-server, which checks the workloads themselves.
#
# Debian packages come from tools/install-deps.sh; the Node.js packages are installed here from
# package-lock.json (npm ci) whenever node_modules is missing or older than the lock file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

stamp=node_modules/.package-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== redis-compat: npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" >"$stamp"
fi

exec /usr/bin/python3 runner.py "$@"
