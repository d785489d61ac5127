// Bee-Queue: a producer and a separate worker queue, bulk job creation, retries with backoff,
// a failed job and a timed-out job, a delayed job, progress reports, and the job events that
// Bee-Queue sends over pub/sub.
'use strict';
const { assert, host, port, version, waitFor, assertOnTime, main, check, sleep } = require('./lib/check.js');
const Queue = require('bee-queue');

main('bee-queue', async () => {
  version('bee-queue');
  version('redis', 'bee-queue');
  const redis = { host, port };
  // The producer only sends jobs and listens to events; the worker runs them and activates
  // delayed jobs, as separate processes would.
  const producer = new Queue('compat-bee', { redis, isWorker: false, delayedDebounce: 50 });
  const worker = new Queue('compat-bee', { redis, activateDelayedJobs: true, delayedDebounce: 50,
                                           stallInterval: 1000 });
  await producer.ready();
  await worker.ready();

  const events = { succeeded: new Map(), failed: new Map(), retrying: new Map(), progress: new Map() };
  producer.on('job succeeded', (id, result) => events.succeeded.set(id, result));
  producer.on('job failed', (id, err) => events.failed.set(id, err.message));
  producer.on('job retrying', (id, err) => events.retrying.set(id, err.message));
  producer.on('job progress', (id, progress) => events.progress.set(id, progress));
  const errors = [];
  for (const q of [producer, worker]) q.on('error', (err) => errors.push(err));

  const calls = new Map();
  const ranAt = new Map();
  worker.process(4, async (job) => {
    calls.set(job.id, (calls.get(job.id) || 0) + 1);
    ranAt.set(job.id, [...(ranAt.get(job.id) || []), Date.now()]);
    switch (job.data.kind) {
      case 'sum':
        job.reportProgress(50);
        return job.data.values.reduce((a, b) => a + b, 0);
      case 'flaky':
        if (calls.get(job.id) === 1) throw new Error('flaky: first attempt fails');
        return 'recovered';
      case 'broken':
        throw new Error('broken: always fails');
      case 'slow':
        await sleep(2000);
        return 'too late';
      case 'delayed':
        return 'on time';
      default:
        throw new Error(`unexpected job ${JSON.stringify(job.data)}`);
    }
  });

  const sums = Array.from({ length: 20 }, (_, i) =>
    producer.createJob({ kind: 'sum', values: [i, i, 1] }));
  const saveErrors = await producer.saveAll(sums);
  assert.equal(saveErrors.size, 0);
  const flaky = await producer.createJob({ kind: 'flaky' }).retries(2).backoff('fixed', 700).save();
  const jobDone = new Promise((resolve) => flaky.on('succeeded', resolve));
  const broken = await producer.createJob({ kind: 'broken' }).retries(1)
    .backoff('exponential', 300).save();
  const slow = await producer.createJob({ kind: 'slow' }).timeout(200).save();
  const delayedAt = Date.now();
  const delayed = await producer.createJob({ kind: 'delayed' }).delayUntil(delayedAt + 1500).save();

  await waitFor('every job to finish', async () => {
    const h = await producer.checkHealth();
    return h.succeeded === 22 && h.failed === 2 && h.waiting === 0 && h.active === 0 &&
           h.delayed === 0;
  }, 30000);

  for (const job of sums) {
    const j = await producer.getJob(job.id);
    check(`sum job ${job.id}`, () => {
      assert.equal(j.status, 'succeeded');
      assert.equal(calls.get(job.id), 1);
      assert.equal(j.progress, 50);
    });
  }
  assert.equal(await jobDone, 'recovered');
  check('flaky job', () => {
    assert.equal(calls.get(flaky.id), 2);
    const [first, second] = ranAt.get(flaky.id);
    assertOnTime('flaky retry', second, first + 700);
  });

  const failed = await producer.getJobs('failed', { size: 100 });
  const failedIds = failed.map((j) => j.id).sort();
  check('failed set', () => {
    assert.deepEqual(failedIds, [broken.id, slow.id].sort());
    const b = failed.find((j) => j.id === broken.id);
    assert.equal(calls.get(broken.id), 2, 'the first attempt and one retry');
    assert.equal(b.options.stacktraces.length, 2);
    assert.match(b.options.stacktraces[0], /broken: always fails/);
    const [first, second] = ranAt.get(broken.id);
    assertOnTime('broken retry', second, first + 300);
    const s = failed.find((j) => j.id === slow.id);
    assert.match(s.options.stacktraces[0], /timed out/);
  });

  const d = await producer.getJob(delayed.id);
  check('delayed job', () => {
    assert.equal(d.status, 'succeeded');
    assertOnTime('delayed job', ranAt.get(delayed.id)[0], delayedAt + 1500);
  });

  await waitFor('the pub/sub events', () => events.succeeded.size >= 22 && events.failed.size >= 2);
  check('job events', () => {
    for (const [i, job] of sums.entries()) assert.equal(events.succeeded.get(job.id), 2 * i + 1);
    assert.equal(events.succeeded.get(flaky.id), 'recovered');
    assert.equal(events.retrying.get(flaky.id), 'flaky: first attempt fails');
    assert.equal(events.failed.get(broken.id), 'broken: always fails');
    assert.match(events.failed.get(slow.id), /timed out/);
    assert.equal(events.progress.get(sums[0].id), 50);
  });

  // Removing a job and listing by state, as dashboards do.
  await producer.removeJob(sums[0].id);
  assert.equal(await producer.getJob(sums[0].id), null);
  const succeeded = await producer.getJobs('succeeded', { size: 100 });
  assert.equal(succeeded.length, 21);
  assert.equal(Number((await producer.checkHealth()).newestJob), sums.length + 4);
  assert.deepEqual(errors, []);
  await worker.close(5000);
  await producer.destroy();
  await producer.close(5000);
});
