// Load generator for the reliable-queue work cycle: one run of one pattern, from one thread.
//
// bench/queue_cycle.py starts the servers, alternates the patterns and reports median ratios;
// this program does the part that has to be cheaper than the servers it measures. Its
// semantics are the Python generator's (see the docstring of bench/queue_cycle.py):
//
//   sluice-q      QPUSH q m;  QPOP BLOCK 100 FROM q;  QACK q id
//   redis-list    LPUSH q m;  BLMOVE q q:processing RIGHT LEFT 0.1;  LREM q:processing 1 m
//   redis-stream  XADD q * m <m>;  XREADGROUP GROUP g cN COUNT 1 BLOCK 100 STREAMS q >;
//                 XACK q g id
//
// Producers split the messages between them and send P pushes per write; a consumer sends a
// blocking pop and P - 1 non-blocking ones in one write, then the acknowledgements of what it
// got in one write. Every message is 64 bytes carrying its sequence number, is checked on
// arrival and must arrive exactly once; every acknowledgement must remove one message; after
// the run the server must hold nothing in flight. Any violation, error reply or stall ends the
// run with exit status 1 and no figure.
//
// The connections are driven by one epoll loop. Replies are parsed in place into a small flat
// array of nodes, so the steady state allocates nothing: the client's cost per message is the
// system calls plus a few hundred instructions. Set-up and the final checks use hiredis.
//
// Output, one line on stdout:
//   pattern=sluice-q pipeline=16 messages=200000 seconds=1.234567 msg_per_s=162000.0
//   cpu_seconds=0.512 connections=50
// where cpu_seconds is the user + system time this process spent during the measured run.

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_SIZE 64
#define SEQ_DIGITS 12
#define BLOCK_MS 100
#define MAX_NODES 32  // the deepest reply expected (XREADGROUP) has 9

static const char kFiller[PAYLOAD_SIZE - SEQ_DIGITS + 1] =
    ":xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

enum pattern { SLUICE_Q, REDIS_LIST, REDIS_STREAM };
static const char* const kPatternNames[] = {"sluice-q", "redis-list", "redis-stream"};

static void fail(const char* fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void* xrealloc(void* p, size_t n) {
  void* q = realloc(p, n);
  if (!q) fail("out of memory");
  return q;
}

// --------------------------------------------------------------------------
// Growable byte buffers and RESP request encoding

struct buf {
  char* data;
  size_t len, cap;
};

static char* buf_reserve(struct buf* b, size_t more) {
  if (b->len + more > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
  }
  return b->data + b->len;
}

static void buf_append(struct buf* b, const void* p, size_t n) {
  memcpy(buf_reserve(b, n), p, n);
  b->len += n;
}

// Writes n in decimal at p; returns the position after it.
static char* format_count(char* p, size_t n) {
  char digits[24];
  int k = 0;
  do {
    digits[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  while (k) *p++ = digits[--k];
  return p;
}

// Appends "<kind><n>\r\n", a RESP array or bulk string header.
static void buf_header(struct buf* b, char kind, size_t n) {
  char* p = buf_reserve(b, 32);
  *p++ = kind;
  p = format_count(p, n);
  *p++ = '\r';
  *p++ = '\n';
  b->len = (size_t)(p - b->data);
}

static void buf_bulk(struct buf* b, const char* s, size_t n) {
  buf_header(b, '$', n);
  buf_append(b, s, n);
  buf_append(b, "\r\n", 2);
}

// Appends one command; the arguments are NUL-terminated strings.
static void buf_command(struct buf* b, int argc, const char* const* argv) {
  buf_header(b, '*', (size_t)argc);
  for (int i = 0; i < argc; i++) buf_bulk(b, argv[i], strlen(argv[i]));
}

// --------------------------------------------------------------------------
// RESP reply parsing, in place and without allocation

enum { N_NIL, N_BULK, N_STATUS, N_ERROR, N_INT, N_ARRAY };

// One node of a parsed reply; an array's elements follow it in pre-order.
struct node {
  int type;
  long long n;    // integer value, string length or element count
  const char* s;  // string bytes (inside the connection's input buffer)
};

struct reply {
  struct node nodes[MAX_NODES];
  int count;
};

// Reads a CRLF-terminated decimal at p; returns the position after CRLF, NULL when incomplete,
// or `bad` for a malformed number.
static const char* parse_number(const char* p, const char* end, long long* out, int* bad) {
  int neg = 0, digits = 0;
  long long v = 0;
  if (p < end && *p == '-') {
    neg = 1;
    p++;
  }
  while (p < end && *p >= '0' && *p <= '9') {
    v = v * 10 + (*p - '0');
    p++;
    digits++;
  }
  if (end - p < 2) return NULL;
  if (!digits || p[0] != '\r' || p[1] != '\n' || digits > 18) {
    *bad = 1;
    return NULL;
  }
  *out = neg ? -v : v;
  return p + 2;
}

// Parses one reply starting at p. Returns the position after it, NULL when more input is
// needed; sets *bad on a protocol error or a reply larger than MAX_NODES.
static const char* parse_reply(const char* p, const char* end, struct reply* r, int* bad) {
  if (p >= end) return NULL;
  if (r->count == MAX_NODES) {
    *bad = 1;
    return NULL;
  }
  struct node* nd = &r->nodes[r->count++];
  char kind = *p++;
  switch (kind) {
    case '$': {
      const char* q = parse_number(p, end, &nd->n, bad);
      if (!q) return NULL;
      if (nd->n < 0) {
        nd->type = N_NIL;
        return q;
      }
      if (end - q < nd->n + 2) return NULL;
      if (q[nd->n] != '\r' || q[nd->n + 1] != '\n') {
        *bad = 1;
        return NULL;
      }
      nd->type = N_BULK;
      nd->s = q;
      return q + nd->n + 2;
    }
    case '*': {
      const char* q = parse_number(p, end, &nd->n, bad);
      if (!q) return NULL;
      if (nd->n < 0) {
        nd->type = N_NIL;
        return q;
      }
      nd->type = N_ARRAY;
      for (long long i = 0; i < nd->n; i++) {
        q = parse_reply(q, end, r, bad);
        if (!q) return NULL;
      }
      return q;
    }
    case ':':
      nd->type = N_INT;
      return parse_number(p, end, &nd->n, bad);
    case '+':
    case '-': {
      const char* q = memchr(p, '\r', (size_t)(end - p));
      if (!q || end - q < 2) return NULL;
      nd->type = kind == '+' ? N_STATUS : N_ERROR;
      nd->s = p;
      nd->n = q - p;
      return q + 2;
    }
    case '_':  // RESP3 null
      if (end - p < 2) return NULL;
      nd->type = N_NIL;
      return p + 2;
    default:
      *bad = 1;
      return NULL;
  }
}

// A short printable description of a reply for error messages.
static const char* describe(const struct reply* r) {
  static char text[256];
  size_t used = 0;
  text[0] = 0;
  for (int i = 0; i < r->count && used < sizeof text - 40; i++) {
    const struct node* nd = &r->nodes[i];
    int w;
    switch (nd->type) {
      case N_NIL:
        w = snprintf(text + used, sizeof text - used, "nil ");
        break;
      case N_INT:
        w = snprintf(text + used, sizeof text - used, "%lld ", nd->n);
        break;
      case N_ARRAY:
        w = snprintf(text + used, sizeof text - used, "[%lld] ", nd->n);
        break;
      default:
        w = snprintf(text + used, sizeof text - used, "%s\"%.*s\" ",
                     nd->type == N_ERROR ? "error " : "", (int)(nd->n > 60 ? 60 : nd->n), nd->s);
    }
    used += (size_t)w;
  }
  return text;
}

static int node_is(const struct node* nd, int type, const char* s) {
  return nd->type == type && (size_t)nd->n == strlen(s) && memcmp(nd->s, s, (size_t)nd->n) == 0;
}

// --------------------------------------------------------------------------
// Run state and connections

struct conn {
  int fd;
  int producer;  // 1: producer, 0: consumer
  int done;
  int expect;      // replies still to come for the batch in flight
  int acking;      // consumer: the batch in flight is acknowledgements
  int want_write;  // EPOLLOUT armed
  struct buf in;   // received, not yet parsed (from in_pos)
  size_t in_pos;
  struct buf out;  // to send (from out_pos)
  size_t out_pos;
  struct buf acks;  // consumer: acknowledgements of the batch in flight
  int n_acks;
  long long next, end;  // producer: its share of sequence numbers
  struct buf batch;     // consumer: the bytes of one batch of pops
};

static struct {
  enum pattern pattern;
  long long messages;
  int pipeline;
  double stall;
  int epoll_fd;
  unsigned char* seen;
  long long pushed, received, acked;
  double last_ack;
} run;

static void update_events(struct conn* c, int want_write) {
  if (c->want_write == want_write) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_write ? EPOLLOUT : 0u), .data.ptr = c};
  if (epoll_ctl(run.epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
    fail("epoll_ctl: %s", strerror(errno));
  c->want_write = want_write;
}

// Writes what the kernel takes now; the rest goes out when the socket is writable.
static void flush(struct conn* c) {
  while (c->out_pos < c->out.len) {
    ssize_t w = send(c->fd, c->out.data + c->out_pos, c->out.len - c->out_pos, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        update_events(c, 1);
        return;
      }
      fail("send: %s", strerror(errno));
    }
    c->out_pos += (size_t)w;
  }
  c->out.len = c->out_pos = 0;
  update_events(c, 0);
}

static void producer_start(struct conn* c) {
  if (c->next >= c->end) {
    c->done = 1;
    return;
  }
  static const char* const kPrefix[] = {
      "*3\r\n$5\r\nQPUSH\r\n$1\r\nq\r\n$64\r\n",
      "*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$64\r\n",
      "*5\r\n$4\r\nXADD\r\n$1\r\nq\r\n$1\r\n*\r\n$1\r\nm\r\n$64\r\n",
  };
  const char* prefix = kPrefix[run.pattern];
  size_t prefix_len = strlen(prefix);
  long long n = c->end - c->next < run.pipeline ? c->end - c->next : run.pipeline;
  char* p = buf_reserve(&c->out, (size_t)n * (prefix_len + PAYLOAD_SIZE + 2));
  for (long long i = 0; i < n; i++) {
    memcpy(p, prefix, prefix_len);
    p += prefix_len;
    long long seq = c->next + i;
    for (int d = SEQ_DIGITS - 1; d >= 0; d--) {
      p[d] = (char)('0' + seq % 10);
      seq /= 10;
    }
    memcpy(p + SEQ_DIGITS, kFiller, PAYLOAD_SIZE - SEQ_DIGITS);
    p += PAYLOAD_SIZE;
    *p++ = '\r';
    *p++ = '\n';
  }
  c->out.len = (size_t)(p - c->out.data);
  c->next += n;
  run.pushed += n;
  c->expect = (int)n;
  flush(c);
}

static void producer_reply(struct conn* c, const struct reply* r) {
  const struct node* nd = &r->nodes[0];
  int ok;
  if (run.pattern == REDIS_LIST) {
    ok = nd->type == N_INT && nd->n >= 1;
  } else {  // an entry ID
    ok = (nd->type == N_BULK || nd->type == N_STATUS) && memchr(nd->s, '-', (size_t)nd->n);
  }
  if (!ok) fail("%s replied %s", kPatternNames[run.pattern], describe(r));
  if (--c->expect == 0) producer_start(c);
}

static void consumer_start(struct conn* c) {
  if (run.acked >= run.messages) {
    c->done = 1;
    return;
  }
  c->acking = 0;
  buf_append(&c->out, c->batch.data, c->batch.len);
  c->expect = run.pipeline;
  flush(c);
}

// Checks a payload and marks its message received.
static void receive(const struct node* data) {
  if (data->type != N_BULK || data->n != PAYLOAD_SIZE ||
      memcmp(data->s + SEQ_DIGITS, kFiller, PAYLOAD_SIZE - SEQ_DIGITS) != 0)
    fail("corrupt payload \"%.*s\"", (int)(data->n > 80 ? 80 : data->n), data->s);
  long long seq = 0;
  for (int i = 0; i < SEQ_DIGITS; i++) {
    char ch = data->s[i];
    if (ch < '0' || ch > '9') fail("corrupt payload \"%.*s\"", PAYLOAD_SIZE, data->s);
    seq = seq * 10 + (ch - '0');
  }
  if (seq >= run.messages) fail("payload of a message never pushed: %.*s", SEQ_DIGITS, data->s);
  if (run.seen[seq]) fail("message %lld delivered twice", seq);
  run.seen[seq] = 1;
  run.received++;
}

static void add_ack(struct conn* c, const char* cmd, size_t cmd_len, const struct node* arg) {
  buf_append(&c->acks, cmd, cmd_len);
  buf_bulk(&c->acks, arg->s, (size_t)arg->n);
  c->n_acks++;
}

// The length of a command prefix comes from its literal, never counted by hand.
#define ADD_ACK(c, literal, arg) add_ack((c), literal, sizeof(literal) - 1, (arg))

// Takes what one pop delivered (nothing on a nil reply) and queues its acknowledgement.
static void take(struct conn* c, const struct reply* r) {
  const struct node* nd = r->nodes;
  if (nd[0].type == N_NIL) return;
  switch (run.pattern) {
    case SLUICE_Q:
      // [[key, id, payload, deliveries]]
      if (r->count != 6 || nd[0].type != N_ARRAY || nd[0].n != 1 || nd[1].type != N_ARRAY ||
          nd[1].n != 4 || !node_is(&nd[2], N_BULK, "q") || nd[3].type != N_BULK ||
          nd[5].type != N_INT)
        fail("QPOP replied %s", describe(r));
      if (nd[5].n != 1) fail("message %.*s delivered %lld times", (int)nd[3].n, nd[3].s, nd[5].n);
      receive(&nd[4]);
      ADD_ACK(c, "*3\r\n$4\r\nQACK\r\n$1\r\nq\r\n", &nd[3]);
      return;
    case REDIS_LIST:
      if (r->count != 1 || nd[0].type != N_BULK) fail("LMOVE replied %s", describe(r));
      receive(&nd[0]);
      ADD_ACK(c, "*4\r\n$4\r\nLREM\r\n$12\r\nq:processing\r\n$1\r\n1\r\n", &nd[0]);
      return;
    case REDIS_STREAM:
      // [[key, [[id, [field, payload]]]]]
      if (r->count != 9 || nd[0].type != N_ARRAY || nd[0].n != 1 || nd[1].type != N_ARRAY ||
          nd[1].n != 2 || !node_is(&nd[2], N_BULK, "q") || nd[3].type != N_ARRAY || nd[3].n != 1 ||
          nd[4].type != N_ARRAY || nd[4].n != 2 || nd[5].type != N_BULK || nd[6].type != N_ARRAY ||
          nd[6].n != 2 || !node_is(&nd[7], N_BULK, "m"))
        fail("XREADGROUP replied %s", describe(r));
      receive(&nd[8]);
      ADD_ACK(c, "*4\r\n$4\r\nXACK\r\n$1\r\nq\r\n$1\r\ng\r\n", &nd[5]);
      return;
  }
}

static void consumer_reply(struct conn* c, const struct reply* r) {
  c->expect--;
  if (c->acking) {
    if (r->nodes[0].type != N_INT || r->nodes[0].n != 1)
      fail("an acknowledgement replied %s, wanted 1", describe(r));
    if (c->expect == 0) {
      run.acked += c->n_acks;
      run.last_ack = now_seconds();
      c->n_acks = 0;
      consumer_start(c);
    }
    return;
  }
  take(c, r);
  if (c->expect > 0) return;
  if (c->n_acks == 0) {
    consumer_start(c);
    return;
  }
  // Every pop has been answered, so the pops have all been written and the output buffer is
  // empty: the acknowledgements become the next write.
  struct buf t = c->out;
  c->out = c->acks;
  c->acks = t;
  c->acks.len = 0;
  c->out_pos = 0;
  c->acking = 1;
  c->expect = c->n_acks;
  flush(c);
}

// Reads what arrived and handles every complete reply. Returns 1 if the connection finished.
static int on_readable(struct conn* c) {
  if (c->in.cap - c->in.len < 16384) buf_reserve(&c->in, c->in.cap ? c->in.cap : 65536);
  ssize_t got = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    fail("recv: %s", strerror(errno));
  }
  if (got == 0) fail("the server closed a connection");
  c->in.len += (size_t)got;
  const char* end = c->in.data + c->in.len;
  int was_done = c->done;
  for (;;) {
    struct reply r;
    r.count = 0;
    int bad = 0;
    const char* p = c->in.data + c->in_pos;
    const char* next = parse_reply(p, end, &r, &bad);
    if (bad) fail("unparsable reply \"%.*s\"", (int)(end - p > 80 ? 80 : end - p), p);
    if (!next) break;
    if (c->done || c->expect == 0) fail("unexpected reply %s", describe(&r));
    if (r.nodes[0].type == N_ERROR) fail("error reply: %.*s", (int)r.nodes[0].n, r.nodes[0].s);
    if (c->producer)
      producer_reply(c, &r);
    else
      consumer_reply(c, &r);
    c->in_pos = (size_t)(next - c->in.data);
  }
  // Keep the incomplete rest at the front of the buffer.
  size_t rest = c->in.len - c->in_pos;
  if (rest && c->in_pos) memmove(c->in.data, c->in.data + c->in_pos, rest);
  c->in.len = rest;
  c->in_pos = 0;
  return c->done && !was_done;
}

// --------------------------------------------------------------------------
// Set-up and checks over a plain hiredis connection

static redisContext* admin;

static redisReply* admin_command(int argc, const char* const* argv) {
  redisReply* r = redisCommandArgv(admin, argc, (const char**)argv, NULL);
  if (!r) fail("%s: %s", argv[0], admin->errstr);
  if (r->type == REDIS_REPLY_ERROR) fail("%s: %s", argv[0], r->str);
  return r;
}

static void admin_expect_ok(int argc, const char* const* argv) {
  redisReply* r = admin_command(argc, argv);
  if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
    fail("%s did not reply OK", argv[0]);
  freeReplyObject(r);
}

static long long admin_integer(int argc, const char* const* argv) {
  redisReply* r = admin_command(argc, argv);
  if (r->type != REDIS_REPLY_INTEGER) fail("%s did not reply an integer", argv[0]);
  long long v = r->integer;
  freeReplyObject(r);
  return v;
}

static void delete_keys(void) {
  const char* del[] = {"DEL", "q", "q:processing"};
  freeReplyObject(admin_command(run.pattern == REDIS_LIST ? 3 : 2, del));
}

static void reset(void) {
  delete_keys();
  if (run.pattern == SLUICE_Q) {
    const char* create[] = {"QCREATE", "q"};
    admin_expect_ok(2, create);
  } else if (run.pattern == REDIS_STREAM) {
    const char* create[] = {"XGROUP", "CREATE", "q", "g", "$", "MKSTREAM"};
    admin_expect_ok(6, create);
  }
}

// What the server holds after the run; returns 0 when it is as it must be.
static int verify(void) {
  long long n = run.messages;
  if (run.pattern == SLUICE_Q) {
    const char* qinfo[] = {"QINFO", "q"};
    redisReply* r = admin_command(2, qinfo);
    static const char* const kFields[] = {"ready",     "delayed", "inflight", "pushed",
                                          "delivered", "acked",   "timeouts", "nacked"};
    const long long want[] = {0, 0, 0, n, n, n, 0, 0};
    int wrong = 0;
    for (size_t f = 0; f < sizeof kFields / sizeof *kFields; f++) {
      int found = 0;
      for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING && k->type != REDIS_REPLY_STATUS) continue;
        if (strcmp(k->str, kFields[f]) != 0) continue;
        found = 1;
        if (v->type != REDIS_REPLY_INTEGER || v->integer != want[f]) {
          fprintf(stderr, "error: after the run, QINFO q: %s %lld (want %lld)\n", kFields[f],
                  v->type == REDIS_REPLY_INTEGER ? v->integer : -1LL, want[f]);
          wrong = 1;
        }
      }
      if (!found) {
        fprintf(stderr, "error: after the run, QINFO q has no %s\n", kFields[f]);
        wrong = 1;
      }
    }
    freeReplyObject(r);
    return wrong;
  }
  if (run.pattern == REDIS_LIST) {
    const char *llen_q[] = {"LLEN", "q"}, *llen_p[] = {"LLEN", "q:processing"};
    long long a = admin_integer(2, llen_q), b = admin_integer(2, llen_p);
    if (a || b) fprintf(stderr, "error: after the run, LLEN q, q:processing: %lld, %lld\n", a, b);
    return a || b;
  }
  const char *xpending[] = {"XPENDING", "q", "g"}, *xlen[] = {"XLEN", "q"};
  redisReply* r = admin_command(3, xpending);
  long long pending =
      r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_INTEGER
          ? r->element[0]->integer
          : -1;
  freeReplyObject(r);
  long long length = admin_integer(2, xlen);
  if (pending != 0 || length != n)
    fprintf(stderr, "error: after the run, XPENDING %lld, XLEN %lld (want 0, %lld)\n", pending,
            length, n);
  return pending != 0 || length != n;
}

static int connect_to(const char* host, const char* port) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc) fail("%s:%s: %s", host, port, gai_strerror(rc));
  int fd = -1;
  for (struct addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) fail("cannot connect to %s:%s: %s", host, port, strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// --------------------------------------------------------------------------

static void usage(FILE* to) {
  fprintf(to,
          "Usage: sluice-queue-load --pattern sluice-q|redis-list|redis-stream --port N\n"
          "                         [--host 127.0.0.1] [--messages 200000] [--producers 25]\n"
          "                         [--consumers 25] [--pipeline 1] [--stall 30]\n"
          "One run of the reliable-queue work cycle (see bench/queue_cycle.py); exits 1 on a\n"
          "lost, duplicated or corrupt message, an error reply or a stall.\n");
}

static long long parse_positive(const char* name, const char* s) {
  char* e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (errno || *e || v < 1) {
    fprintf(stderr, "--%s wants a positive integer, not '%s'\n", name, s);
    exit(2);
  }
  return v;
}

int main(int argc, char** argv) {
  const char *host = "127.0.0.1", *port = NULL, *pattern = NULL;
  long long producers = 25, consumers = 25;
  run.messages = 200000;
  run.pipeline = 1;
  run.stall = 30;
  static const struct option kOptions[] = {{"pattern", required_argument, 0, 'a'},
                                           {"host", required_argument, 0, 'h'},
                                           {"port", required_argument, 0, 'p'},
                                           {"messages", required_argument, 0, 'n'},
                                           {"producers", required_argument, 0, 'r'},
                                           {"consumers", required_argument, 0, 'c'},
                                           {"pipeline", required_argument, 0, 'P'},
                                           {"stall", required_argument, 0, 's'},
                                           {"help", no_argument, 0, 'H'},
                                           {0, 0, 0, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "", kOptions, NULL)) != -1) {
    switch (opt) {
      case 'a':
        pattern = optarg;
        break;
      case 'h':
        host = optarg;
        break;
      case 'p':
        port = optarg;
        break;
      case 'n':
        run.messages = parse_positive("messages", optarg);
        break;
      case 'r':
        producers = parse_positive("producers", optarg);
        break;
      case 'c':
        consumers = parse_positive("consumers", optarg);
        break;
      case 'P':
        run.pipeline = (int)parse_positive("pipeline", optarg);
        break;
      case 's':
        run.stall = (double)parse_positive("stall", optarg);
        break;
      case 'H':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  int known = -1;
  for (int i = 0; pattern && i < 3; i++)
    if (strcmp(pattern, kPatternNames[i]) == 0) known = i;
  if (known < 0 || !port || optind != argc || run.pipeline > 100000 || producers > 10000 ||
      consumers > 10000) {
    usage(stderr);
    return 2;
  }
  run.pattern = (enum pattern)known;

  struct timeval tv = {30, 0};
  admin = redisConnectWithTimeout(host, atoi(port), tv);
  if (!admin || admin->err) fail("connect: %s", admin ? admin->errstr : "out of memory");
  redisSetTimeout(admin, tv);
  reset();

  run.seen = calloc((size_t)run.messages, 1);
  if (!run.seen) fail("out of memory");
  run.epoll_fd = epoll_create1(0);
  if (run.epoll_fd < 0) fail("epoll_create1: %s", strerror(errno));
  int total = (int)(producers + consumers);
  struct conn* conns = calloc((size_t)total, sizeof *conns);
  if (!conns) fail("out of memory");
  for (int i = 0; i < total; i++) {
    struct conn* c = &conns[i];
    c->fd = connect_to(host, port);
    c->producer = i < producers;
    if (c->producer) {
      // The same split as the Python generator: share i is [N*i/p, N*(i+1)/p).
      c->next = run.messages * i / producers;
      c->end = run.messages * (i + 1) / producers;
    } else {
      char name[32];
      snprintf(name, sizeof name, "c%lld", i - producers);
      for (int k = 0; k < run.pipeline; k++) {
        int block = k == 0;
        if (run.pattern == SLUICE_Q) {
          const char *b[] = {"QPOP", "BLOCK", "100", "FROM", "q"}, *nb[] = {"QPOP", "FROM", "q"};
          buf_command(&c->batch, block ? 5 : 3, block ? b : nb);
        } else if (run.pattern == REDIS_LIST) {
          const char* b[] = {"BLMOVE", "q", "q:processing", "RIGHT", "LEFT", "0.1"};
          const char* nb[] = {"LMOVE", "q", "q:processing", "RIGHT", "LEFT"};
          buf_command(&c->batch, block ? 6 : 5, block ? b : nb);
        } else {
          const char* b[] = {"XREADGROUP", "GROUP", "g",       name, "COUNT", "1",
                             "BLOCK",      "100",   "STREAMS", "q",  ">"};
          const char* nb[] = {"XREADGROUP", "GROUP", "g", name, "COUNT", "1", "STREAMS", "q", ">"};
          buf_command(&c->batch, block ? 11 : 9, block ? b : nb);
        }
      }
    }
    if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0)
      fail("fcntl: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(run.epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
      fail("epoll_ctl: %s", strerror(errno));
  }

  // The clock starts once every connection is open, as the Python generator's barrier does.
  double start = now_seconds(), cpu_start = cpu_seconds();
  run.last_ack = start;
  int live = 0;
  for (int i = 0; i < total; i++) {
    struct conn* c = &conns[i];
    if (c->producer)
      producer_start(c);
    else
      consumer_start(c);
    live += !c->done;
  }
  long long last_acked = -1;
  double last_change = start;
  struct epoll_event events[128];
  while (live > 0) {
    int n = epoll_wait(run.epoll_fd, events, 128, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait: %s", strerror(errno));
    }
    for (int i = 0; i < n; i++) {
      struct conn* c = events[i].data.ptr;
      if (events[i].events & EPOLLOUT) flush(c);
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) live -= on_readable(c);
    }
    // Consumers finding nothing are fine while messages keep being acknowledged.
    if (run.acked != last_acked) {
      last_acked = run.acked;
      last_change = now_seconds();
    } else if (now_seconds() - last_change > run.stall) {
      fail("stalled: %lld of %lld messages acknowledged, none for %.0fs", run.acked, run.messages,
           run.stall);
    }
  }
  double cpu = cpu_seconds() - cpu_start;

  if (run.pushed != run.messages || run.acked != run.messages || run.received != run.messages)
    fail("pushed %lld, received %lld, acknowledged %lld of %lld", run.pushed, run.received,
         run.acked, run.messages);
  long long missing = 0;
  for (long long i = 0; i < run.messages; i++) missing += !run.seen[i];
  if (missing) fail("%lld of %lld messages never delivered", missing, run.messages);
  if (verify()) return 1;
  delete_keys();  // frees the server's memory before the next run

  double seconds = run.last_ack - start;
  printf(
      "pattern=%s pipeline=%d messages=%lld seconds=%.6f msg_per_s=%.1f cpu_seconds=%.3f "
      "connections=%d\n",
      kPatternNames[run.pattern], run.pipeline, run.messages, seconds,
      (double)run.messages / seconds, cpu, total);
  for (int i = 0; i < total; i++) {
    close(conns[i].fd);
    free(conns[i].in.data);
    free(conns[i].out.data);
    free(conns[i].acks.data);
    free(conns[i].batch.data);
  }
  free(conns);
  free(run.seen);
  close(run.epoll_fd);
  redisFree(admin);
  return 0;
}
