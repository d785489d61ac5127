// A small reliable job queue built directly on Redis commands, the way applications that use a
// plain client library build one: jobs in hashes, a wait list moved into an active list with
// BLMOVE, retries and delays in a sorted set promoted by a Lua script, failures in a sorted set,
// events published over pub/sub and appended to a stream read by a consumer group.
//
// The queue logic is shared; each client library supplies an adapter that issues the commands
// through its own API (see ioredis.js and node_redis.js). run() drives a full workload and
// checks every result.
'use strict';
const { assert, waitFor, assertOnTime, check } = require('./check.js');

const PROMOTE = `
-- KEYS[1] delayed set, KEYS[2] wait list; ARGV[1] now (ms), ARGV[2] at most this many jobs.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('LPUSH', KEYS[2], id)
  redis.call('HSET', 'mq:job:' .. id, 'state', 'waiting')
end
return #due`;

const keys = {
  wait: 'mq:wait', active: 'mq:active', delayed: 'mq:delayed', failed: 'mq:failed',
  done: 'mq:done', log: 'mq:log', job: (id) => `mq:job:${id}`, events: (what) => `mq:events:${what}`,
};

// A job's processor: kind -> (job, attempt) -> result, or throws.
const processors = {
  double: (job) => String(Number(job.n) * 2),
  flaky: (job, attempt) => {
    if (attempt === 1) throw new Error('flaky: first attempt fails');
    return 'recovered';
  },
  broken: () => {
    throw new Error('broken: always fails');
  },
  delayed: () => 'on time',
};
const MAX_ATTEMPTS = { double: 1, flaky: 3, broken: 2, delayed: 1 };
const BACKOFF_MS = 500;

async function worker(a, stop, ranAt) {
  while (!stop.done) {
    const id = await a.take(0.1);
    if (id == null) continue;
    const job = await a.getJob(id);
    const attempt = Number(job.attempts) + 1;
    ranAt.set(id, [...(ranAt.get(id) || []), Date.now()]);
    try {
      const result = processors[job.kind](job, attempt);
      await a.complete(id, result, Date.now());
    } catch (err) {
      const retry = attempt < MAX_ATTEMPTS[job.kind];
      await a.fail(id, err.message, retry ? Date.now() + BACKOFF_MS * attempt : null, Date.now());
    }
  }
}

async function scheduler(a, stop) {
  while (!stop.done) {
    await a.promote(Date.now(), 100);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// producer, workerAdapters[], subscriber and logReader are adapters on separate connections.
async function run({ producer, workers, subscriber }) {
  const events = [];
  await subscriber.subscribe((channel, message) => events.push([channel, JSON.parse(message)]));
  await producer.createLogGroup();

  const jobs = [];
  for (let i = 0; i < 30; i++) jobs.push({ id: `d${i}`, kind: 'double', n: i });
  jobs.push({ id: 'flaky', kind: 'flaky', n: 0 }, { id: 'broken', kind: 'broken', n: 0 });
  await producer.enqueue(jobs);
  const delayedAt = Date.now();
  await producer.schedule({ id: 'later', kind: 'delayed', n: 0 }, delayedAt + 1500);

  const stop = { done: false };
  const ranAt = new Map();
  const loops = [scheduler(producer, stop), ...workers.map((w) => worker(w, stop, ranAt))];
  try {
    await waitFor('every job to finish', async () => {
      const c = await producer.counts();
      return c.done === 32 && c.failed === 1 && c.wait === 0 && c.active === 0 && c.delayed === 0;
    }, 20000);
  } finally {
    stop.done = true;
    await Promise.all(loops);
  }

  for (let i = 0; i < 30; i++) {
    const job = await producer.getJob(`d${i}`);
    check(`job d${i}`, () => {
      assert.equal(job.state, 'done');
      assert.equal(job.result, String(i * 2));
      assert.equal(ranAt.get(`d${i}`).length, 1);
    });
  }
  const flaky = await producer.getJob('flaky');
  check('flaky job', () => {
    assert.equal(flaky.state, 'done');
    assert.equal(flaky.result, 'recovered');
    assert.equal(flaky.attempts, '1', 'one failed attempt recorded');
    const [first, second] = ranAt.get('flaky');
    assertOnTime('flaky retry', second, first + BACKOFF_MS);
  });
  const failed = await producer.failedIds();
  const broken = await producer.getJob('broken');
  check('failed set', () => {
    assert.deepEqual(failed, ['broken']);
    assert.equal(broken.state, 'failed');
    assert.equal(broken.error, 'broken: always fails');
    assert.equal(broken.attempts, '2');
    const [first, second] = ranAt.get('broken');
    assertOnTime('broken retry', second, first + BACKOFF_MS);
  });
  const later = await producer.getJob('later');
  check('delayed job', () => {
    assert.equal(later.result, 'on time');
    assertOnTime('delayed job', ranAt.get('later')[0], delayedAt + 1500);
  });

  // Every state change was published and logged: 33 completions or failures, 2 retries.
  await waitFor('the published events', () => events.length >= 35);
  check('pub/sub events', () => {
    assert.equal(events.length, 35);
    const byChannel = (c) => events.filter(([ch]) => ch === keys.events(c)).map(([, m]) => m.id);
    assert.equal(byChannel('completed').length, 32);
    assert.deepEqual(byChannel('failed'), ['broken']);
    assert.deepEqual(byChannel('retrying').sort(), ['broken', 'flaky']);
  });
  const logged = await producer.readLog('auditors', 'auditor-1', 100);
  check('event stream', () => {
    assert.equal(logged.length, 35);
    assert.ok(logged.every((e) => e.fields.id && e.fields.event), 'fields of each entry');
  });
  const pending = await producer.ackLog('auditors', logged.map((e) => e.id));
  assert.equal(pending, 35);
  await subscriber.unsubscribe();
  return { events };
}

module.exports = { run, keys, PROMOTE };
