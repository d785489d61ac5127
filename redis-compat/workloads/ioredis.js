// ioredis 6: the mini queue (lib/mini_queue.js) over RESP3 (ioredis's default), then what
// ioredis users rely on beyond it: RESP3 reply mapping, RESP2, pipelines, transactions with
// WATCH, custom commands over EVALSHA, scan streams, binary values, pattern subscriptions.
'use strict';
const { assert, host, port, version, main, check } = require('./lib/check.js');
const { run, keys, PROMOTE } = require('./lib/mini_queue.js');
const Redis = require('ioredis');

function adapter(redis) {
  redis.defineCommand('promote', { numberOfKeys: 2, lua: PROMOTE });
  const event = (m, what, id, extra = {}) => m
    .publish(keys.events(what), JSON.stringify({ id, ...extra }))
    .xadd(keys.log, '*', 'event', what, 'id', id);
  return {
    async enqueue(jobs) {
      const m = redis.multi();
      for (const j of jobs) {
        m.hset(keys.job(j.id), { kind: j.kind, n: j.n, attempts: 0, state: 'waiting' });
        m.lpush(keys.wait, j.id);
      }
      const replies = await m.exec();
      assert.ok(replies.every(([err]) => err === null));
    },
    async schedule(j, at) {
      await redis.pipeline()
        .hset(keys.job(j.id), { kind: j.kind, n: j.n, attempts: 0, state: 'delayed' })
        .zadd(keys.delayed, at, j.id).exec();
    },
    take: (timeout) => redis.blmove(keys.wait, keys.active, 'RIGHT', 'LEFT', timeout),
    getJob: (id) => redis.hgetall(keys.job(id)),
    async complete(id, result, now) {
      const m = redis.multi().lrem(keys.active, 1, id)
        .hset(keys.job(id), 'state', 'done', 'result', result).zadd(keys.done, now, id);
      await event(m, 'completed', id, { result }).exec();
    },
    async fail(id, error, retryAt, now) {
      const m = redis.multi().lrem(keys.active, 1, id).hincrby(keys.job(id), 'attempts', 1)
        .hset(keys.job(id), 'error', error);
      if (retryAt !== null) {
        event(m.zadd(keys.delayed, retryAt, id).hset(keys.job(id), 'state', 'delayed'), 'retrying', id);
      } else {
        event(m.zadd(keys.failed, now, id).hset(keys.job(id), 'state', 'failed'), 'failed', id, { error });
      }
      await m.exec();
    },
    promote: (now, limit) => redis.promote(keys.delayed, keys.wait, now, limit),
    async counts() {
      const [[, wait], [, active], [, delayed], [, failed], [, done]] = await redis.pipeline()
        .llen(keys.wait).llen(keys.active).zcard(keys.delayed).zcard(keys.failed).zcard(keys.done)
        .exec();
      return { wait, active, delayed, failed, done };
    },
    failedIds: () => redis.zrangebyscore(keys.failed, '-inf', '+inf'),
    createLogGroup: () => redis.xgroup('CREATE', keys.log, 'auditors', '$', 'MKSTREAM'),
    async readLog(group, consumer, count) {
      const reply = await redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS',
                                           keys.log, '>');
      const [[, entries]] = reply;
      return entries.map(([id, flat]) => {
        const fields = {};
        for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
        return { id, fields };
      });
    },
    ackLog: (group, ids) => redis.xack(keys.log, group, ...ids),
    async subscribe(onMessage) {
      redis.on('pmessage', (_pattern, channel, message) => onMessage(channel, message));
      await redis.psubscribe(keys.events('*'));
    },
    unsubscribe: () => redis.punsubscribe(),
  };
}

main('ioredis', async () => {
  version('ioredis');
  const conns = [];
  const connect = (opts = {}) => {
    const r = new Redis({ host, port, ...opts });
    conns.push(r);
    return r;
  };
  const producer = connect();
  await producer.flushdb();
  const info = await producer.client('INFO');
  assert.match(info, /\bresp=3\b/, 'ioredis 6 speaks RESP3 by default');

  await run({ producer: adapter(producer), workers: [adapter(connect()), adapter(connect())],
              subscriber: adapter(connect()) });

  // RESP3 replies mapped to JavaScript types, and the legacy mapping over RESP2.
  const r3 = connect({ protocol: 3, replyMapping: 'resp3' });
  const r2 = connect({ protocol: 2 });
  await r2.hset('h', { a: '1', b: '2' });
  await r2.zadd('z', 1.5, 'm', 2, 'n');
  assert.deepEqual(await r3.hgetall('h'), { a: '1', b: '2' });
  assert.equal(await r3.zscore('z', 'm'), 1.5);
  assert.deepEqual(await r3.config('GET', 'maxmemory-policy'), { 'maxmemory-policy': 'noeviction' });
  assert.deepEqual(await r3.zrange('z', 0, -1, 'WITHSCORES'), [['m', 1.5], ['n', 2]]);
  assert.deepEqual(await r2.hgetall('h'), { a: '1', b: '2' });
  assert.equal(await r2.zscore('z', 'm'), '1.5');
  assert.deepEqual(await r2.zrange('z', 0, -1, 'WITHSCORES'), ['m', '1.5', 'n', '2']);
  assert.match(await r2.client('INFO'), /\bresp=2\b/);

  // Optimistic locking: a WATCHed key changed by another client aborts EXEC.
  await producer.set('balance', 10);
  await r2.watch('balance');
  const seen = Number(await r2.get('balance'));
  await producer.incrby('balance', 5);
  assert.equal(await r2.multi().set('balance', seen - 1).exec(), null);
  assert.equal(await producer.get('balance'), '15');

  // A custom command survives SCRIPT FLUSH: ioredis falls back from EVALSHA to EVAL on NOSCRIPT.
  producer.defineCommand('echoKeys', { numberOfKeys: 2, lua: 'return {KEYS[1], ARGV[1], KEYS[2]}' });
  assert.deepEqual(await producer.echoKeys('k1', 'k2', 'v'), ['k1', 'v', 'k2']);
  await producer.script('FLUSH');
  assert.deepEqual(await producer.echoKeys('k1', 'k2', 'v'), ['k1', 'v', 'k2']);

  // Scan streams over every kind of collection.
  const p = producer.pipeline();
  for (let i = 0; i < 300; i++) {
    p.set(`scan:str:${i}`, i).hset('scan:hash', `f${i}`, i).sadd('scan:set', i).zadd('scan:zset', i, `m${i}`);
  }
  await p.exec();
  const drain = async (stream) => {
    let n = 0;
    for await (const batch of stream) n += batch.length;
    return n;
  };
  assert.equal(await drain(producer.scanStream({ match: 'scan:str:*', count: 50 })), 300);
  assert.equal(await drain(producer.hscanStream('scan:hash', { count: 50 })), 600);
  assert.equal(await drain(producer.sscanStream('scan:set', { count: 50 })), 300);
  assert.equal(await drain(producer.zscanStream('scan:zset', { count: 50 })), 600);

  // Binary-safe values, in and out.
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await producer.set('bin', bytes);
  assert.ok((await producer.getBuffer('bin')).equals(bytes));
  await producer.hset('binh', 'f', bytes);
  assert.ok((await producer.hgetBuffer('binh', 'f')).equals(bytes));

  for (const c of conns) c.disconnect();
});
