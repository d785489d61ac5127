// Bull: named processors with concurrency, retries with backoff, a failed job, a delayed job, a
// repeatable job, pause and resume, and the global events Bull sends over pub/sub.
'use strict';
const { assert, host, port, version, waitFor, assertOnTime, main, check } = require('./lib/check.js');
const { once } = require('node:events');
const Queue = require('bull');

main('bull', async () => {
  version('bull');
  version('ioredis', 'bull');
  const queue = new Queue('compat-bull', { redis: { host, port }, prefix: 'compat' });
  await queue.isReady();

  // Bull subscribes when a global listener is added; wait for every subscription so that no
  // event published from here on is missed.
  const names = ['completed', 'failed', 'waiting', 'paused', 'resumed'];
  const registered = names.map((n) => once(queue, `registered:global:${n}`));
  const global = { completed: new Map(), failed: new Map(), waiting: new Set(), paused: 0,
                   resumed: 0 };
  queue.on('global:completed', (id, result) => global.completed.set(String(id), JSON.parse(result)));
  queue.on('global:failed', (id, reason) => global.failed.set(String(id), reason));
  queue.on('global:waiting', (id) => global.waiting.add(String(id)));
  queue.on('global:paused', () => { global.paused += 1; });
  queue.on('global:resumed', () => { global.resumed += 1; });
  const errors = [];
  queue.on('error', (err) => errors.push(err));
  await Promise.all(registered);

  const calls = new Map();
  const ranAt = new Map();
  const note = (job) => {
    const id = String(job.id);
    calls.set(id, (calls.get(id) || 0) + 1);
    ranAt.set(id, [...(ranAt.get(id) || []), Date.now()]);
    return calls.get(id);
  };
  queue.process('square', 3, async (job) => {
    note(job);
    await job.progress(50);
    return job.data.n * job.data.n;
  });
  queue.process('flaky', async (job) => {
    if (note(job) === 1) throw new Error('flaky: first attempt fails');
    return 'recovered';
  });
  queue.process('broken', async (job) => {
    note(job);
    throw new Error('broken: always fails');
  });
  queue.process('delayed', async (job) => { note(job); return 'on time'; });
  queue.process('tick', async (job) => { note(job); return 'tick'; });

  // Pause the queue globally, add the first jobs, and check nothing runs until it resumes.
  await queue.pause();
  const squares = [];
  for (let n = 0; n < 15; n++) squares.push(await queue.add('square', { n }));
  const flaky = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 700 } });
  const broken = await queue.add('broken', {}, { attempts: 2, backoff: { type: 'exponential', delay: 300 } });
  assert.equal(await queue.isPaused(), true);
  assert.equal(calls.size, 0, 'nothing runs while paused');
  assert.equal((await queue.getJobCounts()).paused, 17);
  await queue.resume();
  const delayedAt = Date.now();
  const delayed = await queue.add('delayed', {}, { delay: 1500 });
  await queue.add('tick', {}, { repeat: { every: 400, limit: 3 } });

  await waitFor('every job to finish', async () => {
    const c = await queue.getJobCounts();
    return c.completed === 15 + 1 + 1 + 3 && c.failed === 1 && c.active === 0 &&
           c.waiting === 0 && c.delayed === 0;
  }, 30000);

  for (const job of squares) {
    const j = await queue.getJob(job.id);
    check(`square job ${job.id}`, () => {
      assert.equal(j.returnvalue, job.data.n * job.data.n);
      assert.equal(j.progress(), 50);
      assert.equal(calls.get(String(job.id)), 1);
      assert.ok(j.processedOn >= delayedAt - 5, 'processed only after the queue resumed');
    });
  }

  const f = await queue.getJob(flaky.id);
  check('flaky job', () => {
    assert.equal(calls.get(String(flaky.id)), 2);
    assert.equal(f.returnvalue, 'recovered');
    assert.equal(f.attemptsMade, 1, 'one failed attempt before the success');
    const [first, second] = ranAt.get(String(flaky.id));
    assertOnTime('flaky retry', second, first + 700);
  });

  const failed = await queue.getFailed();
  check('failed set', () => {
    assert.deepEqual(failed.map((j) => String(j.id)), [String(broken.id)]);
    assert.equal(failed[0].failedReason, 'broken: always fails');
    assert.equal(failed[0].attemptsMade, 2);
    assert.equal(failed[0].stacktrace.length, 2);
    const [first, second] = ranAt.get(String(broken.id));
    assertOnTime('broken retry (exponential backoff)', second, first + 300);
  });

  const d = await queue.getJob(delayed.id);
  check('delayed job', () => {
    assert.equal(d.returnvalue, 'on time');
    assertOnTime('delayed job', ranAt.get(String(delayed.id))[0], delayedAt + 1500);
  });

  const completed = await queue.getCompleted();
  const ticks = completed.filter((j) => j.name === 'tick');
  check('repeatable job', () => {
    assert.equal(ticks.length, 3);
    const starts = ticks.map((j) => j.processedOn).sort((a, b) => a - b);
    assert.ok(starts[2] - starts[0] >= 700, 'ticks are spread over the repeat interval');
  });
  assert.deepEqual(await queue.getRepeatableJobs().then((r) => r.length), 1);

  await waitFor('the global events', () =>
    global.completed.size >= 20 && global.failed.size >= 1 && global.resumed >= 1);
  check('global events', () => {
    for (const job of squares) assert.equal(global.completed.get(String(job.id)), job.data.n ** 2);
    assert.equal(global.completed.get(String(flaky.id)), 'recovered');
    assert.equal(global.failed.get(String(broken.id)), 'broken: always fails');
    assert.equal(global.paused, 1);
    assert.equal(global.resumed, 1);
  });

  // Housekeeping as applications do it: clean, then count what is left.
  const cleaned = await queue.clean(0, 'completed');
  assert.equal(cleaned.length, 20);
  assert.equal((await queue.getJobCounts()).completed, 0);
  assert.ok((await queue.getWorkers()).length >= 1, 'CLIENT LIST shows the workers');
  assert.deepEqual(errors, []);
  await queue.close();
});
