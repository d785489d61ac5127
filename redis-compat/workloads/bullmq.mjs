// BullMQ: a queue with workers, retries with backoff, a failed job, a delayed job, a flow of
// parent and children, a job scheduler, and the QueueEvents stream.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { assert, host, port, version, waitFor, assertOnTime, main, check } = require('./lib/check.js');
const { Queue, Worker, QueueEvents, FlowProducer } = require('bullmq');

main('bullmq', async () => {
  version('bullmq');
  version('ioredis');
  const connection = { host, port, maxRetriesPerRequest: null };
  const name = 'compat-jobs';
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await queue.waitUntilReady();
  await events.waitUntilReady();

  const seen = { completed: new Map(), failed: new Map(), delayed: new Set(), progress: new Map(),
                 exhausted: new Set() };
  events.on('completed', ({ jobId, returnvalue }) => seen.completed.set(jobId, returnvalue));
  events.on('failed', ({ jobId, failedReason }) => seen.failed.set(jobId, failedReason));
  events.on('delayed', ({ jobId }) => seen.delayed.add(jobId));
  events.on('progress', ({ jobId, data }) => seen.progress.set(jobId, data));
  events.on('retries-exhausted', ({ jobId }) => seen.exhausted.add(jobId));

  const calls = new Map();  // job id -> times the processor started it
  const ranAt = new Map();  // job id -> [Date.now() at each start]
  const worker = new Worker(name, async (job) => {
    calls.set(job.id, (calls.get(job.id) || 0) + 1);
    ranAt.set(job.id, [...(ranAt.get(job.id) || []), Date.now()]);
    switch (job.name) {
      case 'add':
        await job.updateProgress({ step: 'adding' });
        return job.data.a + job.data.b;
      case 'flaky':
        if (calls.get(job.id) === 1) throw new Error('flaky: first attempt fails');
        return 'recovered';
      case 'broken':
        throw new Error('broken: always fails');
      case 'delayed':
        return 'late but on time';
      case 'child':
        return job.data.n * 10;
      case 'parent': {
        const values = await job.getChildrenValues();
        return Object.values(values).reduce((s, v) => s + v, 0);
      }
      case 'tick':
        return 'tick';
      default:
        throw new Error(`unexpected job ${job.name}`);
    }
  }, { connection, concurrency: 4 });
  const workerErrors = [];
  worker.on('error', (err) => workerErrors.push(err));
  await worker.waitUntilReady();

  // Plain jobs in one bulk insert.
  const adds = await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({
    name: 'add', data: { a: i, b: 100 } })));
  // Retried once with a fixed backoff, then succeeds.
  const flaky = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 700 } });
  // Fails every attempt (exponential backoff) and ends in the failed set.
  const broken = await queue.add('broken', {}, {
    attempts: 2, backoff: { type: 'exponential', delay: 300 } });
  // Runs after its delay.
  const delayedAt = Date.now();
  const delayed = await queue.add('delayed', {}, { delay: 1500 });
  // A flow: the parent runs once both children have completed.
  const flow = await new FlowProducer({ connection }).add({
    name: 'parent', queueName: name, data: {},
    children: [1, 2].map((n) => ({ name: 'child', queueName: name, data: { n } })),
  });
  // A job scheduler producing three jobs 300 ms apart.
  await queue.upsertJobScheduler('ticker', { every: 300, limit: 3 }, { name: 'tick' });

  await waitFor('every job to finish', async () => {
    const c = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed',
                                       'waiting-children');
    return c.completed >= 20 + 1 + 1 + 3 + 3 && c.failed === 1 && c.active === 0 &&
           c.waiting === 0 && c['waiting-children'] === 0;
  }, 30000);

  for (const [i, job] of adds.entries()) {
    const j = await queue.getJob(job.id);
    check(`add job ${job.id}`, () => {
      assert.equal(j.returnvalue, i + 100);
      assert.deepEqual(j.progress, { step: 'adding' });
      assert.equal(calls.get(job.id), 1);
    });
  }

  const f = await queue.getJob(flaky.id);
  check('flaky job', () => {
    assert.equal(calls.get(flaky.id), 2, 'processed twice');
    assert.equal(f.returnvalue, 'recovered');
    assert.equal(f.attemptsStarted, 2);
    assert.equal(f.finishedOn > 0, true);
    const [first, second] = ranAt.get(flaky.id);
    assertOnTime('flaky retry', second, first + 700);
  });

  const failed = await queue.getFailed();
  check('failed set', () => {
    assert.deepEqual(failed.map((j) => j.id), [broken.id]);
    assert.equal(failed[0].failedReason, 'broken: always fails');
    assert.equal(failed[0].attemptsMade, 2);
    assert.equal(calls.get(broken.id), 2);
    assert.ok(failed[0].stacktrace.length >= 1);
    const [first, second] = ranAt.get(broken.id);
    assertOnTime('broken retry (exponential backoff)', second, first + 300);
  });
  assert.equal(await queue.getFailedCount(), 1);

  const d = await queue.getJob(delayed.id);
  check('delayed job', () => {
    assert.equal(d.returnvalue, 'late but on time');
    assertOnTime('delayed job', ranAt.get(delayed.id)[0], delayedAt + 1500);
    assert.ok(d.processedOn >= delayedAt + 1500);
  });

  const parent = await queue.getJob(flow.job.id);
  check('flow', () => {
    assert.equal(parent.returnvalue, 30);
    const childStarts = flow.children.map((c) => ranAt.get(c.job.id)[0]);
    assert.ok(ranAt.get(flow.job.id)[0] >= Math.max(...childStarts), 'parent after children');
  });

  const ticks = (await queue.getCompleted(0, -1)).filter((j) => j.name === 'tick');
  check('job scheduler', () => {
    assert.equal(ticks.length, 3);
    assert.ok(ticks.every((j) => j.returnvalue === 'tick'));
  });

  // QueueEvents reads the events stream with XREAD BLOCK; give it a moment to catch up.
  await waitFor('the completed events', () => seen.completed.size >= 28 && seen.failed.size >= 1);
  check('queue events', () => {
    for (const [i, job] of adds.entries()) assert.equal(Number(seen.completed.get(job.id)), i + 100);
    assert.equal(seen.completed.get(flaky.id), 'recovered');
    assert.equal(seen.failed.get(broken.id), 'broken: always fails');
    assert.ok(seen.delayed.has(delayed.id), 'delayed event');
    assert.ok(seen.delayed.has(flaky.id), 'delayed event for the retry with backoff');
    assert.deepEqual(seen.progress.get(adds[0].id), { step: 'adding' });
    assert.ok(seen.exhausted.has(broken.id), 'retries-exhausted event');
  });

  // Housekeeping: clean the completed jobs, then remove the scheduler and the whole queue.
  const cleaned = await queue.clean(0, 1000, 'completed');
  assert.equal(cleaned.length, 28);
  assert.equal(await queue.removeJobScheduler('ticker'), true);
  const metrics = await queue.getWorkersCount();
  assert.equal(metrics, 1);
  assert.deepEqual(workerErrors, []);
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
});
