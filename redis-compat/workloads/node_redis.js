// node-redis: the mini queue (lib/mini_queue.js) once over RESP2 and once over RESP3, then
// the library's typed replies in both protocols, transactions, scan iterators and scripts.
'use strict';
const { assert, host, port, version, main } = require('./lib/check.js');
const { run, keys, PROMOTE } = require('./lib/mini_queue.js');
const { createClient } = require('redis');

function adapter(client) {
  let sha = null;
  const event = (m, what, id, extra = {}) => m
    .publish(keys.events(what), JSON.stringify({ id, ...extra }))
    .xAdd(keys.log, '*', { event: what, id });
  return {
    async enqueue(jobs) {
      const m = client.multi();
      for (const j of jobs) {
        m.hSet(keys.job(j.id), { kind: j.kind, n: j.n, attempts: 0, state: 'waiting' });
        m.lPush(keys.wait, j.id);
      }
      await m.exec();
    },
    async schedule(j, at) {
      await client.multi()
        .hSet(keys.job(j.id), { kind: j.kind, n: j.n, attempts: 0, state: 'delayed' })
        .zAdd(keys.delayed, { score: at, value: j.id }).execAsPipeline();
    },
    take: (timeout) => client.blMove(keys.wait, keys.active, 'RIGHT', 'LEFT', timeout),
    getJob: (id) => client.hGetAll(keys.job(id)),
    async complete(id, result, now) {
      const m = client.multi().lRem(keys.active, 1, id)
        .hSet(keys.job(id), { state: 'done', result }).zAdd(keys.done, { score: now, value: id });
      await event(m, 'completed', id, { result }).exec();
    },
    async fail(id, error, retryAt, now) {
      const m = client.multi().lRem(keys.active, 1, id).hIncrBy(keys.job(id), 'attempts', 1)
        .hSet(keys.job(id), 'error', error);
      if (retryAt !== null) {
        event(m.zAdd(keys.delayed, { score: retryAt, value: id })
          .hSet(keys.job(id), 'state', 'delayed'), 'retrying', id);
      } else {
        event(m.zAdd(keys.failed, { score: now, value: id })
          .hSet(keys.job(id), 'state', 'failed'), 'failed', id, { error });
      }
      await m.exec();
    },
    // Scripts by SHA, loading on NOSCRIPT, as node-redis applications do by hand.
    async promote(now, limit) {
      const opts = { keys: [keys.delayed, keys.wait], arguments: [String(now), String(limit)] };
      if (sha) {
        try {
          return await client.evalSha(sha, opts);
        } catch (err) {
          if (!String(err.message).startsWith('NOSCRIPT')) throw err;
        }
      }
      sha = await client.scriptLoad(PROMOTE);
      return client.evalSha(sha, opts);
    },
    async counts() {
      const [wait, active, delayed, failed, done] = await client.multi()
        .lLen(keys.wait).lLen(keys.active).zCard(keys.delayed).zCard(keys.failed).zCard(keys.done)
        .execAsPipeline();
      return { wait, active, delayed, failed, done };
    },
    failedIds: () => client.zRangeByScore(keys.failed, '-inf', '+inf'),
    createLogGroup: () => client.xGroupCreate(keys.log, 'auditors', '$', { MKSTREAM: true }),
    async readLog(group, consumer, count) {
      const reply = await client.xReadGroup(group, consumer, { key: keys.log, id: '>' }, { COUNT: count });
      const streams = Array.isArray(reply) ? reply.map((s) => s.messages) : [...Object.values(reply)];
      return streams[0].map((m) => ({ id: m.id, fields: m.message }));
    },
    ackLog: (group, ids) => client.xAck(keys.log, group, ids),
    async subscribe(onMessage) {
      await client.pSubscribe(keys.events('*'), (message, channel) => onMessage(channel, message));
    },
    unsubscribe: () => client.pUnsubscribe(),
  };
}

async function workload(RESP) {
  const clients = [];
  const connect = async () => {
    const c = createClient({ socket: { host, port }, RESP });
    const errors = [];
    c.on('error', (err) => errors.push(err));
    await c.connect();
    clients.push(c);
    return c;
  };
  const producer = await connect();
  await producer.flushDb();
  assert.match(await producer.clientInfo().then((i) => `resp=${i.resp}`), new RegExp(`resp=${RESP}`));
  await run({ producer: adapter(producer), workers: [adapter(await connect()), adapter(await connect())],
              subscriber: adapter(await connect()) });

  // Typed replies: the same values whichever protocol carried them.
  await producer.hSet('h', { a: '1', b: '2' });
  assert.deepEqual({ ...(await producer.hGetAll('h')) }, { a: '1', b: '2' });
  await producer.zAdd('z', [{ score: 1.5, value: 'm' }, { score: 2, value: 'n' }]);
  assert.equal(await producer.zScore('z', 'm'), 1.5);
  assert.deepEqual(await producer.zRangeWithScores('z', 0, -1),
                   [{ value: 'm', score: 1.5 }, { value: 'n', score: 2 }]);
  assert.deepEqual(await producer.zPopMin('z'), { value: 'm', score: 1.5 });
  await producer.sAdd('s', ['x', 'y', 'z']);
  assert.deepEqual([...(await producer.sMembers('s'))].sort(), ['x', 'y', 'z']);
  assert.deepEqual((await producer.smIsMember('s', ['x', 'q'])).map(Number), [1, 0]);
  assert.equal(Number(await producer.sIsMember('s', 'y')), 1);
  assert.deepEqual({ ...(await producer.configGet('maxmemory-policy')) },
                   { 'maxmemory-policy': 'noeviction' });
  const infoServer = await producer.info('server');
  const redisVersion = /redis_version:(\d+)\./.exec(infoServer);
  assert.ok(redisVersion && Number(redisVersion[1]) >= 7, 'INFO reports redis_version 7 or later');

  // WATCH: a transaction whose watched key changed is aborted.
  const other = await connect();
  await producer.set('balance', '10');
  await other.watch('balance');
  await producer.incrBy('balance', 5);
  await assert.rejects(other.multi().set('balance', '0').exec(), /WatchError|aborted|watch/i);
  assert.equal(await producer.get('balance'), '15');

  // Scan iterators over keys and each collection.
  const m = producer.multi();
  for (let i = 0; i < 250; i++) {
    m.set(`scan:str:${i}`, String(i)).hSet('scan:hash', `f${i}`, String(i))
      .sAdd('scan:set', String(i)).zAdd('scan:zset', { score: i, value: `m${i}` });
  }
  await m.exec();
  const count = async (it) => {
    let n = 0;
    for await (const batch of it) n += batch.length;
    return n;
  };
  assert.equal(await count(producer.scanIterator({ MATCH: 'scan:str:*', COUNT: 50 })), 250);
  assert.equal(await count(producer.hScanIterator('scan:hash', { COUNT: 50 })), 250);
  assert.equal(await count(producer.sScanIterator('scan:set', { COUNT: 50 })), 250);
  assert.equal(await count(producer.zScanIterator('scan:zset', { COUNT: 50 })), 250);

  // EVAL returning nested values of each type.
  assert.deepEqual(await producer.eval("return {1, 'two', {3, 'four'}, redis.call('PING')}"),
                   [1, 'two', [3, 'four'], 'PONG']);
  for (const c of clients) c.destroy();
}

main('node-redis', async () => {
  version('redis');
  version('@redis/client');
  await workload(2);
  await workload(3);
});
