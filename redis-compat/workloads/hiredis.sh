#!/bin/sh
# Builds the hiredis workload against Debian's libhiredis and libuv, then runs it.
set -eu
out="${COMPAT_TMP:-.}/hiredis-check"
cc -std=c11 -D_DEFAULT_SOURCE -O1 -Wall -Wextra -Werror -o "$out" "$(dirname "$0")/hiredis.c" \
  -lhiredis -luv
exec "$out"
