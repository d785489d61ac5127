// Shared helpers for the Node.js workloads: connection settings from the environment,
// assertions that name what was expected, waiting with a deadline, and the version line the
// runner puts in its table.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');

const host = process.env.REDIS_HOST || '127.0.0.1';
const port = Number(process.env.REDIS_PORT || 6379);

// Reports the version of `pkg` as `from` (a package name, or the harness itself) resolves it.
// Versions come from the installed package.json, not from the lock file, so the table shows
// what actually ran.
function version(pkg, from) {
  let base = path.join(__dirname, '..', '..');
  if (from) base = path.dirname(require.resolve(path.join(from, 'package.json'), { paths: [base] }));
  const file = require.resolve(path.join(pkg, 'package.json'), { paths: [base] });
  const v = require(file).version;
  console.log(`compat-version: ${pkg} ${v}${from ? ` (${from}'s)` : ''}`);
  return v;
}

// Polls `predicate` (sync or async) until it returns a truthy value or `ms` pass.
async function waitFor(what, predicate, ms = 15000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A delayed or retried job must not run before its time, and must run soon after it: the
// upper bound is loose (several poll periods) because the machine may be busy.
function assertOnTime(what, actualMs, dueMs, slackMs = 5000) {
  assert.ok(actualMs >= dueMs - 5,
            `${what} ran ${dueMs - actualMs} ms early (due ${dueMs}, ran ${actualMs})`);
  assert.ok(actualMs <= dueMs + slackMs,
            `${what} ran ${actualMs - dueMs} ms late (due ${dueMs}, ran ${actualMs})`);
}

// Runs the workload body with an overall deadline and exits 0 only if it resolved.
function main(name, body, ms = 60000) {
  const timer = setTimeout(() => {
    console.error(`${name}: FAILED: workload did not finish within ${ms} ms`);
    process.exit(1);
  }, ms);
  Promise.resolve()
    .then(body)
    .then(() => {
      clearTimeout(timer);
      console.log(`${name}: all checks passed`);
      process.exit(0);
    })
    .catch((err) => {
      console.error(`${name}: FAILED: ${err && err.stack ? err.stack : err}`);
      process.exit(1);
    });
}

let checks = 0;
function check(what, fn) {
  checks += 1;
  try {
    fn();
  } catch (err) {
    err.message = `${what}: ${err.message}`;
    throw err;
  }
}

module.exports = { assert, host, port, version, waitFor, sleep, assertOnTime, main, check,
                   get checks() { return checks; } };
