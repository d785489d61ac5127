#!/usr/bin/env bash
# Repeats the lines that say why a test failed at the end of the output, where a reader of a long
# log looks first: gtest failures with the lines after them, and sanitizer reports.
log="${1:?usage: failure-summary.sh LastTest.log}"
[ -f "$log" ] || exit 0
echo "== why (from $(basename "$log"))"
grep -a -E -A4 ': Failure$|^\[  FAILED  \]|ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|SUMMARY: |Error: |^FAIL' "$log" \
  | grep -a -v '^--$' | tail -n 60
