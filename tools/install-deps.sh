#!/usr/bin/env bash
# Installs the Debian packages Sluice builds and tests with, skipping those already present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-dev
  libuv1-dev liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libhiredis-dev libgtest-dev
  redis-server redis-tools python3 valgrind
  # redis-compat: the client and job-queue libraries run against the server (Node.js packages
  # come from redis-compat/package-lock.json)
  python3-redis python3-rq python3-celery
  ruby ruby-redis ruby-sidekiq
  php-cli php-redis php-predis php-illuminate-queue php-illuminate-redis php-illuminate-events
  php-symfony-messenger php-symfony-redis-messenger php-symfony-event-dispatcher
)
# Node.js 20 or later (the queue libraries require it) comes with the machine; Debian's 18 only
# where there is none.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packaged redis-server starts a system service on 6379; the tests start their own servers
# on free ports and Sluice's `make run` wants 6379, so keep the service off.
if command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
$sudo service redis-server stop >/dev/null 2>&1 || true
