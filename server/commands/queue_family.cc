// Queue commands, the message path: QPUSH, QPOP, QACK, QNACK, QEXTEND, QPENDING, QPEEK, QGET,
// QDEL, QPURGE, QLEN. The administrative commands (QCREATE, QCONFIG, QINFO, QREDRIVE, QBIND,
// QUNBIND, QEFFECT) are in queue_admin_family.cc; the policies both use are in queue_service.h.
//
// What the log records: QACK, QDEL and QPURGE replay as themselves; the others record the
// QEFFECT changes the service made (IDs, deadlines, retry times resolved) and nothing of their
// own (propagate_none).
#include <algorithm>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/commands/queue_service.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

constexpr std::string_view kQueueFull = "QFULL queue is full";
constexpr std::string_view kIdsExhausted =
    "ERR The queue has exhausted the last possible ID, unable to add more messages";
constexpr std::string_view kPriorityRange = "ERR PRIORITY must be between 0 and 9";
constexpr std::string_view kNegative = "ERR value is out of range, must be positive";
constexpr std::string_view kCountRange = "ERR COUNT must be positive";
constexpr std::string_view kTimeoutNotInteger = "ERR timeout is not an integer or out of range";

QueueService& Service(CommandContext& ctx) { return QueueService::Of(ctx.server); }
int Db(const CommandContext& ctx) { return ctx.db.index(); }

// A non-negative integer option value; `positive` refuses 0 too.
int64_t NextNonNegative(ArgParser& p, bool positive = false) {
  int64_t v = p.NextInt();
  if (!p.failed() && (v < 0 || (positive && v == 0))) p.Fail(kNegative);
  return v;
}

// Reads message IDs from args[start..] up to the first argument that is not one; false (with
// the error replied) when there is none or `all` and one is malformed.
bool ParseIds(CommandContext& ctx, size_t start, bool all, std::vector<StreamID>* ids,
              size_t* end) {
  size_t i = start;
  for (; i < ctx.argc(); ++i) {
    StreamID id;
    if (!ParseQueueId(ctx.arg(i), &id)) {
      if (all || i == start) {
        ctx.reply.Error(kInvalidQueueId);
        return false;
      }
      break;
    }
    ids->push_back(id);
  }
  *end = i;
  return true;
}

std::string DefaultConsumer(const CommandContext& ctx) {
  if (!ctx.session.name().empty()) return ctx.session.name();
  return "client-" + std::to_string(ctx.session.id());
}

// ---------------------------------------------------------------------------------------------

// QPUSH key payload [DELAY ms | AT unix-ms] [PRIORITY 0-9] [TTL ms] [DEDUP id] [GROUP name]
void CmdQPush(CommandContext& ctx) {
  QueuePushRequest req;
  req.payload = ctx.arg(2);
  ArgParser p(ctx.args, 3);
  while (p.HasNext() && !p.failed()) {
    if (p.Check("DELAY")) {
      if (req.delay_ms >= 0 || req.at_ms >= 0) p.Fail(errors::kSyntax);
      req.delay_ms = NextNonNegative(p);
    } else if (p.Check("AT")) {
      if (req.delay_ms >= 0 || req.at_ms >= 0) p.Fail(errors::kSyntax);
      req.at_ms = NextNonNegative(p);
    } else if (p.Check("PRIORITY")) {
      int64_t v = p.NextInt();
      if (!p.failed() && (v < 0 || v >= kQueuePriorities)) p.Fail(kPriorityRange);
      req.priority = static_cast<uint8_t>(v);
    } else if (p.Check("TTL")) {
      req.ttl_ms = NextNonNegative(p, true);
    } else if (p.Check("DEDUP")) {
      req.dedup = p.Next();
    } else if (p.Check("GROUP")) {
      req.group = p.Next();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (p.failed()) {
    ctx.reply.Error(p.error());
    return;
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), true, &failed);
  if (failed) return;
  StreamID id;
  QueuePushStatus status = Service(ctx).Push(Db(ctx), ctx.arg(1), q, req, ctx.now_ms, &id);
  ctx.propagate_none = true;
  switch (status) {
    case QueuePushStatus::kPushed:
      ReplyQueueId(ctx.reply, id);
      break;
    case QueuePushStatus::kDuplicate:
      ctx.unchanged = true;
      ReplyQueueId(ctx.reply, id);
      break;
    case QueuePushStatus::kFull:
      ctx.reply.Error(kQueueFull);
      break;
    case QueuePushStatus::kExhausted:
      ctx.reply.Error(kIdsExhausted);
      break;
    case QueuePushStatus::kNowhere:
      ctx.reply.Null();
      break;
  }
}

// QPOP [COUNT n] [BLOCK ms] [VISIBILITY ms] [CONSUMER name] [NOACK] FROM key [key ...]
void CmdQPop(CommandContext& ctx) {
  int64_t count = 1;
  int64_t block = -1;
  int64_t visibility = -1;
  std::string consumer;
  bool have_consumer = false;
  bool noack = false;
  ArgParser p(ctx.args, 1);
  while (!p.failed()) {
    if (p.Check("FROM")) break;
    if (!p.HasNext()) {
      p.Fail(errors::kSyntax);
    } else if (p.Check("COUNT")) {
      count = p.NextInt();
      if (!p.failed() && count <= 0) p.Fail(kCountRange);
    } else if (p.Check("BLOCK")) {
      block = p.NextInt(kTimeoutNotInteger);
      if (!p.failed() && block < 0) p.Fail(errors::kTimeoutNegative);
    } else if (p.Check("VISIBILITY")) {
      visibility = NextNonNegative(p, true);
    } else if (p.Check("CONSUMER")) {
      consumer.assign(p.Next());
      have_consumer = true;
    } else if (p.Check("NOACK")) {
      noack = true;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.failed() && !p.HasNext()) p.Fail(errors::kSyntax);
  if (p.failed()) {
    ctx.reply.Error(p.error());
    return;
  }
  ArgList keys = ctx.args.subspan(p.position());
  if (!have_consumer) consumer = DefaultConsumer(ctx);
  // Keys left to right, each giving what it has until COUNT is reached. The first keys' plans
  // live on the stack: this is the consumers' hot path.
  struct Take {
    std::string_view key;
    Queue* q;
    size_t n;
  };
  constexpr size_t kInline = 4;
  Take inline_plan[kInline];
  std::vector<Take> more;
  size_t planned = 0;
  size_t total = 0;
  for (std::string_view key : keys) {
    if (total >= static_cast<size_t>(count)) break;
    bool failed;
    Queue* q = GetQueue(ctx, key, false, &failed);
    if (failed) return;
    if (q == nullptr) continue;
    q->PromoteDue(ctx.now_ms);
    size_t n = std::min(q->ready(), static_cast<size_t>(count) - total);
    if (n == 0) continue;
    if (planned < kInline) {
      inline_plan[planned] = {key, q, n};
    } else {
      more.push_back({key, q, n});
    }
    ++planned;
    total += n;
  }
  if (total == 0) {
    ctx.unchanged = true;
    if (block < 0 || !ctx.may_block) {
      ctx.reply.NullArray();
      return;
    }
    std::vector<std::string_view> wait_on(keys.begin(), keys.end());
    ctx.server.blocking().Block(ctx, wait_on, block == 0 ? 0 : ctx.now_ms + block);
    return;
  }
  ctx.propagate_none = true;
  ctx.reply.ArrayHeader(total);
  for (size_t t = 0; t < planned; ++t) {
    const Take& take = t < kInline ? inline_plan[t] : more[t - kInline];
    int64_t vis = visibility > 0 ? visibility : take.q->config().visibility_ms;
    for (size_t i = 0; i < take.n; ++i) {
      Service(ctx).DeliverOne(Db(ctx), take.key, take.q, ctx.now_ms, vis, consumer, noack,
                              ctx.reply);
    }
  }
}

// Keys of QPOP: everything after FROM.
void QPopKeys(ArgList args, std::vector<size_t>* out) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "FROM")) {
      for (size_t k = i + 1; k < args.size(); ++k) out->push_back(k);
      return;
    }
    // Option values may read "FROM" too: skip them.
    if (EqualsIgnoreCase(args[i], "COUNT") || EqualsIgnoreCase(args[i], "BLOCK") ||
        EqualsIgnoreCase(args[i], "VISIBILITY") || EqualsIgnoreCase(args[i], "CONSUMER")) {
      ++i;
    }
  }
}

// QACK key id [id ...]
void CmdQAck(CommandContext& ctx) {
  std::vector<StreamID> ids;
  size_t end;
  if (!ParseIds(ctx, 2, true, &ids, &end)) return;
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  int64_t acked = 0;
  if (q != nullptr) {
    for (const StreamID& id : ids) {
      QueueMessage* m = q->Find(id);
      if (m == nullptr || m->state != QueueState::kInflight) continue;
      OpQueueAck(*q, m, ctx.now_ms);
      ++acked;
    }
  }
  if (acked == 0) ctx.unchanged = true;
  ctx.reply.Integer(acked);
}

// QNACK key id [id ...] [DELAY ms | DEAD] [ERROR text]
void CmdQNack(CommandContext& ctx) {
  std::vector<StreamID> ids;
  size_t end;
  if (!ParseIds(ctx, 2, false, &ids, &end)) return;
  int64_t delay = -1;
  bool dead = false;
  bool have_error = false;
  std::string error;
  ArgParser p(ctx.args, end);
  while (p.HasNext() && !p.failed()) {
    if (p.Check("DELAY")) {
      if (dead || delay >= 0) p.Fail(errors::kSyntax);
      delay = NextNonNegative(p);
    } else if (p.Check("DEAD")) {
      if (dead || delay >= 0) p.Fail(errors::kSyntax);
      dead = true;
    } else if (p.Check("ERROR")) {
      error.assign(p.Next());
      have_error = true;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (p.failed()) {
    ctx.reply.Error(p.error());
    return;
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  int64_t nacked = 0;
  ctx.propagate_none = true;
  for (const StreamID& id : ids) {
    // A hook run for an earlier ID may have removed the queue.
    if (q == nullptr || !Service(ctx).registry().Contains(q)) break;
    QueueMessage* m = q->Find(id);
    if (m == nullptr || m->state != QueueState::kInflight) continue;
    Service(ctx).Fail(Db(ctx), ctx.arg(1), q, m, QueueCause::kNack, delay, dead,
                      have_error ? &error : nullptr, ctx.now_ms);
    ++nacked;
    bool wrong = false;
    q = Service(ctx).Lookup(Db(ctx), ctx.arg(1), ctx.now_ms, false, &wrong);
  }
  if (nacked == 0) ctx.unchanged = true;
  ctx.reply.Integer(nacked);
}

// QEXTEND key id ms
void CmdQExtend(CommandContext& ctx) {
  StreamID id;
  if (!ParseQueueId(ctx.arg(2), &id)) {
    ctx.reply.Error(kInvalidQueueId);
    return;
  }
  int64_t ms = 0;
  if (!ParseInt64(ctx.arg(3), &ms)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (ms <= 0) {
    ctx.reply.Error(kNegative);
    return;
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  QueueMessage* m = q == nullptr ? nullptr : q->Find(id);
  if (m == nullptr || m->state != QueueState::kInflight) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  ctx.propagate_none = true;
  Service(ctx).Extend(Db(ctx), ctx.arg(1), q, m, ctx.now_ms + ms);
  ctx.reply.Integer(ms);
}

// QPENDING key [CONSUMER name] [COUNT n]
void CmdQPending(CommandContext& ctx) {
  std::string_view consumer;
  bool by_consumer = false;
  int64_t count = -1;
  ArgParser p(ctx.args, 2);
  while (p.HasNext() && !p.failed()) {
    if (p.Check("CONSUMER")) {
      consumer = p.Next();
      by_consumer = true;
    } else if (p.Check("COUNT")) {
      count = p.NextInt();
      if (!p.failed() && count <= 0) p.Fail(kCountRange);
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (p.failed()) {
    ctx.reply.Error(p.error());
    return;
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  std::vector<QueueMessage*> found;
  if (q != nullptr) {
    q->ForEachInflight([&](QueueMessage* m) {
      if (count >= 0 && found.size() >= static_cast<size_t>(count)) return false;
      if (!by_consumer || q->MetaOf(m)->consumer == consumer) found.push_back(m);
      return true;
    });
  }
  ctx.reply.ArrayHeader(found.size());
  for (QueueMessage* m : found) {
    const QueueMeta* meta = q->MetaOf(m);
    ctx.reply.ArrayHeader(4);
    ReplyQueueId(ctx.reply, m->id);
    ctx.reply.Bulk(meta->consumer);
    ctx.reply.Integer(meta->deliveries);
    ctx.reply.Integer(std::max<int64_t>(0, meta->deadline - ctx.now_ms));
  }
}

// QPEEK key [COUNT n]
void CmdQPeek(CommandContext& ctx) {
  int64_t count = 1;
  ArgParser p(ctx.args, 2);
  while (p.HasNext() && !p.failed()) {
    if (p.Check("COUNT")) {
      count = p.NextInt();
      if (!p.failed() && count <= 0) p.Fail(kCountRange);
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (p.failed()) {
    ctx.reply.Error(p.error());
    return;
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  std::vector<QueueMessage*> found;
  if (q != nullptr) {
    q->PromoteDue(ctx.now_ms);
    q->ForEachReady([&](QueueMessage* m) {
      found.push_back(m);
      return found.size() < static_cast<size_t>(count);
    });
  }
  ctx.reply.ArrayHeader(found.size());
  for (QueueMessage* m : found) ReplyQueueEntry(ctx.reply, ctx.arg(1), m, q->Deliveries(m));
}

// QGET key id
void CmdQGet(CommandContext& ctx) {
  StreamID id;
  if (!ParseQueueId(ctx.arg(2), &id)) {
    ctx.reply.Error(kInvalidQueueId);
    return;
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  if (q != nullptr) q->PromoteDue(ctx.now_ms);
  QueueMessage* m = q == nullptr ? nullptr : q->Find(id);
  if (m == nullptr) {
    ctx.reply.Null();
    return;
  }
  const QueueMeta* meta = q->MetaOf(m);
  auto text_or_null = [&](const std::string* s) {
    if (s == nullptr || s->empty()) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(*s);
    }
  };
  auto int_or_null = [&](int64_t v) {
    if (v == 0) {
      ctx.reply.Null();
    } else {
      ctx.reply.Integer(v);
    }
  };
  bool inflight = m->state == QueueState::kInflight;
  ctx.reply.MapHeader(13);
  ctx.reply.Bulk("payload");
  ctx.reply.Bulk(m->payload());
  ctx.reply.Bulk("state");
  ctx.reply.Bulk(QueueStateName(m->state));
  ctx.reply.Bulk("priority");
  ctx.reply.Integer(m->priority);
  ctx.reply.Bulk("deliveries");
  ctx.reply.Integer(q->Deliveries(m));
  ctx.reply.Bulk("enqueued-at");
  ctx.reply.Integer(static_cast<int64_t>(m->id.ms));
  ctx.reply.Bulk("available-at");
  ctx.reply.Integer(q->AvailableAt(m));
  ctx.reply.Bulk("group");
  text_or_null(meta != nullptr && meta->group != nullptr ? &meta->group->name : nullptr);
  ctx.reply.Bulk("last-error");
  text_or_null(meta != nullptr ? &meta->last_error : nullptr);
  ctx.reply.Bulk("dead-reason");
  text_or_null(meta != nullptr ? &meta->dead_reason : nullptr);
  ctx.reply.Bulk("origin");
  text_or_null(meta != nullptr ? &meta->origin : nullptr);
  ctx.reply.Bulk("consumer");
  text_or_null(inflight ? &meta->consumer : nullptr);
  ctx.reply.Bulk("deadline");
  int_or_null(inflight ? meta->deadline : 0);
  ctx.reply.Bulk("expires-at");
  int_or_null(meta != nullptr && !meta->expired ? meta->expire_at
              : meta == nullptr && q->config().retention_ms > 0
                  ? static_cast<int64_t>(m->id.ms) + q->config().retention_ms
                  : 0);
}

// QDEL key id [id ...]
void CmdQDel(CommandContext& ctx) {
  std::vector<StreamID> ids;
  size_t end;
  if (!ParseIds(ctx, 2, true, &ids, &end)) return;
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  int64_t removed = 0;
  if (q != nullptr) {
    for (const StreamID& id : ids) {
      QueueMessage* m = q->Find(id);
      if (m == nullptr) continue;
      q->Remove(m, ctx.now_ms);
      ++removed;
    }
  }
  if (removed == 0) ctx.unchanged = true;
  ctx.reply.Integer(removed);
}

// QPURGE key
void CmdQPurge(CommandContext& ctx) {
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  size_t removed = q == nullptr ? 0 : q->Purge(ctx.now_ms);
  if (removed == 0) ctx.unchanged = true;
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// QLEN key
void CmdQLen(CommandContext& ctx) {
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  if (q != nullptr) q->PromoteDue(ctx.now_ms);
  ctx.reply.Integer(q == nullptr ? 0 : static_cast<int64_t>(q->ready() + q->waiting()));
}

}  // namespace

void RegisterQueueFamily(CommandTable& table) {
  table.AddStartupHook(
      [](Server& server) { server.Attach(std::make_shared<QueueService>(server)); });
  auto add = [&](std::string_view name, int arity, uint32_t flags, auto&&... rest) {
    table.AddSimple("queue", name, arity, flags, 1, 1, 1, "1.0.0", rest...);
  };
  add("qpush", -3, kCmdWrite | kCmdDenyOom | kCmdFast,
      "Adds a message to a queue, creating the queue if needed, and replies its ID.",
      "key payload [DELAY ms:integer | AT unix-time-milliseconds:unix-time] "
      "[PRIORITY priority:integer] [TTL ms:integer] [DEDUP id] [GROUP name]",
      CmdQPush, "O(1), O(log N) for delayed, grouped or TTL messages");
  table.Add({.name = "qpop",
             .arity = -3,
             .flags = kCmdWrite | kCmdBlocking | kCmdMovableKeys,
             .group = "queue",
             .since = "1.0.0",
             .summary = "Leases the next ready messages of the first queues that have some, "
                        "optionally waiting for one.",
             .syntax = "[COUNT count:integer] [BLOCK ms:integer] [VISIBILITY ms:integer] "
                       "[CONSUMER name] [NOACK] FROM key [key ...]",
             .handler = CmdQPop,
             .key_finder = QPopKeys,
             .complexity = "O(log N) per message delivered"});
  add("qack", -3, kCmdWrite | kCmdFast,
      "Acknowledges in-flight messages, removing them from the queue.", "key id [id ...]", CmdQAck,
      "O(log N) per ID");
  add("qnack", -3, kCmdWrite | kCmdFast,
      "Reports failed deliveries: the retry policy, a fixed delay or the dead-letter queue "
      "decides what happens next.",
      "key id [id ...] [DELAY ms:integer | DEAD] [ERROR text]", CmdQNack, "O(log N) per ID");
  add("qextend", 4, kCmdWrite | kCmdFast, "Extends the lease of an in-flight message.",
      "key id ms:integer", CmdQExtend, "O(log N)");
  add("qpending", -2, kCmdReadOnly, "Lists in-flight messages, soonest deadline first.",
      "key [CONSUMER name] [COUNT count:integer]", CmdQPending,
      "O(N) in the in-flight messages examined");
  add("qpeek", -2, kCmdReadOnly, "Returns the next ready messages without leasing them.",
      "key [COUNT count:integer]", CmdQPeek, "O(N) in the messages returned");
  add("qget", 3, kCmdReadOnly | kCmdFast, "Describes one message.", "key id", CmdQGet, "O(log N)");
  add("qdel", -3, kCmdWrite | kCmdFast, "Removes messages in any state.", "key id [id ...]",
      CmdQDel, "O(log N) per ID");
  add("qpurge", 2, kCmdWrite, "Removes every ready and delayed message.", "key", CmdQPurge, "O(N)");
  add("qlen", 2, kCmdReadOnly | kCmdFast, "Returns the number of ready messages.", "key", CmdQLen,
      "O(1)");
  RegisterQueueAdminCommands(table);
}

}  // namespace sluice
