/* hiredis (synchronous and asynchronous APIs): every RESP2 reply type, binary-safe and large
 * values, pipelining, transactions, scripts, a small job queue (BLMOVE into an active list,
 * retry with backoff through a sorted set, a failed set, a delayed job), blocking pops served
 * by another connection, and pub/sub through the libuv adapter.
 *
 * Built and run by hiredis.sh; exits non-zero on the first wrong reply. */
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static const char* host;
static int port;
static int checks;

static void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "hiredis: FAILED: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static double now(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return tv.tv_sec + tv.tv_usec / 1e6;
}

static redisContext* connect_or_die(void) {
  struct timeval timeout = {10, 0};
  redisContext* c = redisConnectWithTimeout(host, port, timeout);
  if (c == NULL || c->err) fail("connect: %s", c ? c->errstr : "out of memory");
  redisSetTimeout(c, timeout);
  return c;
}

static redisReply* cmd(redisContext* c, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply* r = redisvCommand(c, fmt, ap);
  va_end(ap);
  if (r == NULL) fail("I/O error after \"%s\": %s", fmt, c->errstr);
  return r;
}

static void expect_type(const char* what, redisReply* r, int type) {
  checks++;
  if (r->type != type) {
    fail("%s: reply type %d, expected %d (%.*s)", what, r->type, type, r->str ? (int)r->len : 0,
         r->str ? r->str : "");
  }
}

static void expect_int(const char* what, redisReply* r, long long v) {
  expect_type(what, r, REDIS_REPLY_INTEGER);
  if (r->integer != v) fail("%s: %lld, expected %lld", what, r->integer, v);
}

static void expect_str(const char* what, redisReply* r, int type, const char* s) {
  expect_type(what, r, type);
  if (r->len != strlen(s) || memcmp(r->str, s, r->len) != 0) {
    fail("%s: \"%.*s\", expected \"%s\"", what, (int)r->len, r->str, s);
  }
}

/* Runs a command and checks its reply in one step, freeing it. */
#define CHECK_INT(c, v, ...)              \
  do {                                    \
    redisReply* r_ = cmd(c, __VA_ARGS__); \
    expect_int(#__VA_ARGS__, r_, v);      \
    freeReplyObject(r_);                  \
  } while (0)
#define CHECK_STR(c, type, s, ...)         \
  do {                                     \
    redisReply* r_ = cmd(c, __VA_ARGS__);  \
    expect_str(#__VA_ARGS__, r_, type, s); \
    freeReplyObject(r_);                   \
  } while (0)

static void reply_types(redisContext* c) {
  CHECK_STR(c, REDIS_REPLY_STATUS, "PONG", "PING");
  CHECK_STR(c, REDIS_REPLY_STATUS, "OK", "FLUSHALL");
  CHECK_STR(c, REDIS_REPLY_STATUS, "OK", "SET %s %s", "greeting", "hello world");
  CHECK_STR(c, REDIS_REPLY_STRING, "hello world", "GET greeting");
  CHECK_INT(c, 1, "INCR counter");
  CHECK_INT(c, 11, "INCRBY counter 10");
  redisReply* r = cmd(c, "GET missing");
  expect_type("GET missing", r, REDIS_REPLY_NIL);
  freeReplyObject(r);
  CHECK_STR(c, REDIS_REPLY_ERROR,
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            "LPUSH greeting x");
  CHECK_STR(c, REDIS_REPLY_ERROR,
            "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ", "NOSUCHCOMMAND");

  /* Binary-safe keys and values, and a value of 4 MB. */
  char bin[256];
  for (int i = 0; i < 256; i++) bin[i] = (char)i;
  freeReplyObject(cmd(c, "SET %b %b", bin, (size_t)10, bin, sizeof bin));
  r = cmd(c, "GET %b", bin, (size_t)10);
  expect_type("binary GET", r, REDIS_REPLY_STRING);
  if (r->len != sizeof bin || memcmp(r->str, bin, sizeof bin) != 0) fail("binary value differs");
  freeReplyObject(r);
  size_t big_len = 4u << 20;
  char* big = malloc(big_len);
  for (size_t i = 0; i < big_len; i++) big[i] = (char)('a' + i % 26);
  freeReplyObject(cmd(c, "SET big %b", big, big_len));
  r = cmd(c, "GET big");
  if (r->type != REDIS_REPLY_STRING || r->len != big_len || memcmp(r->str, big, big_len) != 0) {
    fail("4 MB value differs");
  }
  freeReplyObject(r);
  free(big);
  CHECK_INT(c, (long long)big_len, "STRLEN big");

  /* Arrays, nested arrays (EVAL), empty arrays, nils inside arrays. */
  freeReplyObject(cmd(c, "HSET h a 1 b 2"));
  r = cmd(c, "HMGET h a nope b");
  expect_type("HMGET", r, REDIS_REPLY_ARRAY);
  if (r->elements != 3 || r->element[1]->type != REDIS_REPLY_NIL ||
      strcmp(r->element[2]->str, "2") != 0) {
    fail("HMGET elements");
  }
  freeReplyObject(r);
  r = cmd(c, "EVAL %s 0", "return {1, 'two', {3, {'four'}}, redis.call('PING'), false}");
  expect_type("EVAL", r, REDIS_REPLY_ARRAY);
  if (r->elements != 5 || r->element[0]->integer != 1 || strcmp(r->element[1]->str, "two") != 0 ||
      r->element[2]->type != REDIS_REPLY_ARRAY || r->element[2]->element[1]->elements != 1 ||
      strcmp(r->element[2]->element[1]->element[0]->str, "four") != 0 ||
      r->element[3]->type != REDIS_REPLY_STATUS || r->element[4]->type != REDIS_REPLY_NIL) {
    fail("EVAL nested reply");
  }
  freeReplyObject(r);
  r = cmd(c, "LRANGE empty 0 -1");
  expect_type("empty array", r, REDIS_REPLY_ARRAY);
  if (r->elements != 0) fail("empty array has elements");
  freeReplyObject(r);
  freeReplyObject(cmd(c, "ZADD z 1.5 a 2 b"));
  r = cmd(c, "ZRANGE z 0 -1 WITHSCORES");
  if (r->elements != 4 || strcmp(r->element[1]->str, "1.5") != 0) fail("ZRANGE WITHSCORES");
  freeReplyObject(r);
}

static void pipelining_and_transactions(redisContext* c) {
  enum { N = 20000 };
  for (int i = 0; i < N; i++) redisAppendCommand(c, "RPUSH pipelined %d", i);
  for (int i = 0; i < N; i++) {
    redisReply* r;
    if (redisGetReply(c, (void**)&r) != REDIS_OK) fail("pipelined reply %d: %s", i, c->errstr);
    expect_int("pipelined RPUSH", r, i + 1);
    freeReplyObject(r);
  }
  CHECK_STR(c, REDIS_REPLY_STRING, "19999", "LINDEX pipelined -1");

  CHECK_STR(c, REDIS_REPLY_STATUS, "OK", "MULTI");
  CHECK_STR(c, REDIS_REPLY_STATUS, "QUEUED", "INCR tx");
  CHECK_STR(c, REDIS_REPLY_STATUS, "QUEUED", "LPUSH tx x");
  redisReply* r = cmd(c, "EXEC");
  expect_type("EXEC", r, REDIS_REPLY_ARRAY);
  if (r->elements != 2 || r->element[0]->integer != 1 || r->element[1]->type != REDIS_REPLY_ERROR) {
    fail("EXEC replies");
  }
  freeReplyObject(r);

  /* A watched key changed by another client: EXEC answers nil. */
  redisContext* other = connect_or_die();
  freeReplyObject(cmd(c, "WATCH balance"));
  freeReplyObject(cmd(other, "SET balance 5"));
  freeReplyObject(cmd(c, "MULTI"));
  freeReplyObject(cmd(c, "SET balance 0"));
  r = cmd(c, "EXEC");
  expect_type("EXEC after a watched write", r, REDIS_REPLY_NIL);
  freeReplyObject(r);
  CHECK_STR(c, REDIS_REPLY_STRING, "5", "GET balance");
  redisFree(other);

  /* Scripts by SHA, with the exact NOSCRIPT error clients look for. */
  r = cmd(c, "SCRIPT LOAD %s", "return redis.call('INCRBY', KEYS[1], ARGV[1])");
  expect_type("SCRIPT LOAD", r, REDIS_REPLY_STRING);
  char sha[41];
  snprintf(sha, sizeof sha, "%s", r->str);
  freeReplyObject(r);
  CHECK_INT(c, 7, "EVALSHA %s 1 scripted 7", sha);
  CHECK_STR(c, REDIS_REPLY_STATUS, "OK", "SCRIPT FLUSH");
  CHECK_STR(c, REDIS_REPLY_ERROR, "NOSCRIPT No matching script. Please use EVAL.",
            "EVALSHA %s 1 scripted 7", sha);
}

/* The queue: jobs wait in a list, a worker moves each into an active list with BLMOVE. A job
 * that fails is retried after a backoff through a sorted set (or lands in the failed set after
 * its last attempt), and a promote script moves due jobs back to the wait list. */
static const char* kPromote =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100) "
    "for _, id in ipairs(due) do redis.call('ZREM', KEYS[1], id) "
    "redis.call('LPUSH', KEYS[2], id) end return #due";

static void job_queue(redisContext* c) {
  redisContext* worker = connect_or_die();
  for (int i = 0; i < 20; i++) {
    freeReplyObject(cmd(c, "HSET job:%d kind ok n %d attempts 0", i, i));
    freeReplyObject(cmd(c, "LPUSH wait %d", i));
  }
  freeReplyObject(cmd(c, "HSET job:flaky kind flaky attempts 0"));
  freeReplyObject(cmd(c, "LPUSH wait flaky"));
  freeReplyObject(cmd(c, "HSET job:broken kind broken attempts 0"));
  freeReplyObject(cmd(c, "LPUSH wait broken"));
  double delayed_at = now();
  freeReplyObject(cmd(c, "HSET job:later kind ok n 0 attempts 0"));
  freeReplyObject(cmd(c, "ZADD delayed %f later", (delayed_at + 1.0) * 1000));

  double ran_at[3][2] = {{0}}; /* flaky, broken, later: first and second run */
  int done = 0, failed = 0;
  double deadline = now() + 20;
  while (done + failed < 23) {
    if (now() > deadline) fail("the job queue did not finish (%d done, %d failed)", done, failed);
    freeReplyObject(cmd(c, "EVAL %s 2 delayed wait %f", kPromote, now() * 1000));
    redisReply* r = cmd(worker, "BLMOVE wait active RIGHT LEFT 0.05");
    if (r->type == REDIS_REPLY_NIL) {
      freeReplyObject(r);
      continue;
    }
    expect_type("BLMOVE", r, REDIS_REPLY_STRING);
    char id[32];
    snprintf(id, sizeof id, "%s", r->str);
    freeReplyObject(r);
    redisReply* job = cmd(worker, "HMGET job:%s kind n attempts", id);
    const char* kind = job->element[0]->str;
    int attempt = atoi(job->element[2]->str) + 1;
    int slot = strcmp(id, "flaky") == 0    ? 0
               : strcmp(id, "broken") == 0 ? 1
               : strcmp(id, "later") == 0  ? 2
                                           : -1;
    if (slot >= 0) ran_at[slot][attempt - 1] = now();
    int ok = strcmp(kind, "ok") == 0 || (strcmp(kind, "flaky") == 0 && attempt > 1);
    freeReplyObject(cmd(worker, "MULTI"));
    freeReplyObject(cmd(worker, "LREM active 1 %s", id));
    freeReplyObject(cmd(worker, "HINCRBY job:%s attempts 1", id));
    if (ok) {
      freeReplyObject(cmd(worker, "HSET job:%s result %d", id,
                          atoi(job->element[1]->str ? job->element[1]->str : "0") * 2));
      freeReplyObject(cmd(worker, "SADD done %s", id));
      done++;
    } else if (attempt < 2) {
      freeReplyObject(cmd(worker, "ZADD delayed %f %s", (now() + 0.5) * 1000, id));
    } else {
      freeReplyObject(cmd(worker, "ZADD failed %f %s", now() * 1000, id));
      failed++;
    }
    r = cmd(worker, "EXEC");
    expect_type("job EXEC", r, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    freeReplyObject(job);
  }
  CHECK_INT(c, 22, "SCARD done");
  CHECK_STR(c, REDIS_REPLY_STRING, "38", "HGET job:19 result");
  redisReply* r = cmd(c, "ZRANGE failed 0 -1");
  if (r->elements != 1 || strcmp(r->element[0]->str, "broken") != 0) fail("failed set");
  freeReplyObject(r);
  CHECK_INT(c, 0, "LLEN active");
  CHECK_INT(c, 0, "ZCARD delayed");
  for (int slot = 0; slot < 2; slot++) {
    double gap = ran_at[slot][1] - ran_at[slot][0];
    if (gap < 0.5 - 0.005 || gap > 5) fail("retry %d ran %.3fs after the first attempt", slot, gap);
  }
  double late = ran_at[2][0] - (delayed_at + 1.0);
  if (late < -0.005 || late > 5) fail("delayed job ran %.3fs from its time", late);
  redisFree(worker);
}

/* A BLPOP on one connection served by a push from another, checked through the async API. */
struct async_state {
  int subscribed, messages, pushed;
  redisAsyncContext* pub;
};

static void on_message(redisAsyncContext* ac, void* reply, void* privdata) {
  struct async_state* st = privdata;
  redisReply* r = reply;
  if (r == NULL) return;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) fail("pub/sub reply shape");
  if (strcmp(r->element[0]->str, "subscribe") == 0) {
    st->subscribed++;
    for (int i = 0; i < 100; i++)
      redisAsyncCommand(st->pub, NULL, NULL, "PUBLISH events msg-%d", i);
    return;
  }
  if (strcmp(r->element[0]->str, "unsubscribe") == 0) {
    if (r->element[2]->integer != 0) fail("subscriptions left after UNSUBSCRIBE");
    return;
  }
  char want[32];
  snprintf(want, sizeof want, "msg-%d", st->messages);
  if (strcmp(r->element[0]->str, "message") != 0 || strcmp(r->element[1]->str, "events") != 0 ||
      strcmp(r->element[2]->str, want) != 0) {
    fail("message %d: %s %s %s", st->messages, r->element[0]->str, r->element[1]->str,
         r->element[2]->str);
  }
  if (++st->messages == 100) {
    redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE");
    redisAsyncDisconnect(st->pub);
    redisAsyncDisconnect(ac);
  }
}

static void pubsub_async(void) {
  uv_loop_t* loop = uv_default_loop();
  struct async_state st = {0};
  redisAsyncContext* sub = redisAsyncConnect(host, port);
  redisAsyncContext* pub = redisAsyncConnect(host, port);
  if (sub->err || pub->err) fail("async connect");
  redisLibuvAttach(sub, loop);
  redisLibuvAttach(pub, loop);
  st.pub = pub;
  redisAsyncCommand(sub, on_message, &st, "SUBSCRIBE events");
  uv_run(loop, UV_RUN_DEFAULT);
  if (st.subscribed != 1 || st.messages != 100) fail("pub/sub: %d messages", st.messages);
  checks += st.messages;
}

static void blocking(redisContext* c) {
  redisContext* waiter = connect_or_die();
  redisAppendCommand(waiter, "BLPOP jobs:blocking 5");
  int done = 0;
  while (!done) {
    if (redisBufferWrite(waiter, &done) != REDIS_OK) fail("write BLPOP");
  }
  /* Wait until the server counts the client as blocked before pushing. */
  for (int i = 0; i < 500; i++) {
    redisReply* info = cmd(c, "INFO clients");
    int blocked = strstr(info->str, "blocked_clients:1") != NULL;
    freeReplyObject(info);
    if (blocked) break;
    usleep(10000);
  }
  CHECK_INT(c, 1, "RPUSH jobs:blocking payload");
  redisReply* r;
  if (redisGetReply(waiter, (void**)&r) != REDIS_OK) fail("BLPOP reply: %s", waiter->errstr);
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      strcmp(r->element[1]->str, "payload") != 0) {
    fail("BLPOP served value");
  }
  freeReplyObject(r);
  r = cmd(waiter, "BZPOPMIN zjobs:none 0.05");
  expect_type("BZPOPMIN timeout", r, REDIS_REPLY_NIL);
  freeReplyObject(r);
  redisFree(waiter);
}

int main(void) {
  host = getenv("REDIS_HOST") ? getenv("REDIS_HOST") : "127.0.0.1";
  port = getenv("REDIS_PORT") ? atoi(getenv("REDIS_PORT")) : 6379;
  printf("compat-version: hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
  redisContext* c = connect_or_die();
  reply_types(c);
  pipelining_and_transactions(c);
  job_queue(c);
  blocking(c);
  pubsub_async();
  redisFree(c);
  printf("hiredis: all checks passed (%d)\n", checks);
  return 0;
}
