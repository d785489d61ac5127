// Queue commands, the administrative half: QCREATE, QCONFIG, QINFO, QREDRIVE, QBIND, QUNBIND,
// and QEFFECT, the record the append-only log keeps of each queue state change (see
// queue_service.h). Also how a queue is written into a compacted log (the AOF rewriter).
#include <deque>
#include <string>
#include <vector>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/commands/queue_service.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/persistence/rewrite.h"
#include "server/protocol/errors.h"
#include "server/types/serialize.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

constexpr std::string_view kNegative = "ERR value is out of range, must be positive";
constexpr std::string_view kJitterRange = "ERR JITTER must be between 0 and 100";
constexpr std::string_view kCountRange = "ERR COUNT must be positive";

QueueService& Service(CommandContext& ctx) { return QueueService::Of(ctx.server); }
int Db(const CommandContext& ctx) { return ctx.db.index(); }

std::string_view OverflowName(QueueOverflow o) {
  switch (o) {
    case QueueOverflow::kReject:
      return "reject";
    case QueueOverflow::kDropOldest:
      return "dropoldest";
    case QueueOverflow::kDeadLetter:
      return "deadletter";
  }
  return "reject";
}

bool ParseOverflow(std::string_view text, QueueOverflow* out) {
  if (EqualsIgnoreCase(text, "REJECT")) {
    *out = QueueOverflow::kReject;
  } else if (EqualsIgnoreCase(text, "DROPOLDEST")) {
    *out = QueueOverflow::kDropOldest;
  } else if (EqualsIgnoreCase(text, "DEADLETTER")) {
    *out = QueueOverflow::kDeadLetter;
  } else {
    return false;
  }
  return true;
}

int64_t NextNonNegative(ArgParser& p, bool positive = false) {
  int64_t v = p.NextInt();
  if (!p.failed() && (v < 0 || (positive && v == 0))) p.Fail(kNegative);
  return v;
}

// One QCREATE option at the parser's position (its keyword already read as `name`).
void ParseCreateOption(std::string_view name, ArgParser& p, QueueConfig* c) {
  if (EqualsIgnoreCase(name, "VISIBILITY")) {
    c->visibility_ms = NextNonNegative(p, true);
  } else if (EqualsIgnoreCase(name, "MAXDELIVERIES")) {
    c->max_deliveries = NextNonNegative(p);
  } else if (EqualsIgnoreCase(name, "DEADLETTER")) {
    c->dead_letter.assign(p.Next());
  } else if (EqualsIgnoreCase(name, "BACKOFF")) {
    if (p.Check("FIXED")) {
      c->backoff = QueueBackoff::kFixed;
      c->backoff_base_ms = NextNonNegative(p);
    } else if (p.Check("EXPONENTIAL")) {
      c->backoff = QueueBackoff::kExponential;
      c->backoff_base_ms = NextNonNegative(p);
      c->backoff_max_ms = NextNonNegative(p);
    } else {
      p.Fail(errors::kSyntax);
    }
  } else if (EqualsIgnoreCase(name, "JITTER")) {
    c->jitter_percent = p.NextInt();
    if (!p.failed() && (c->jitter_percent < 0 || c->jitter_percent > 100)) p.Fail(kJitterRange);
  } else if (EqualsIgnoreCase(name, "RETENTION")) {
    c->retention_ms = NextNonNegative(p);
  } else if (EqualsIgnoreCase(name, "MAXLEN")) {
    c->max_len = NextNonNegative(p);
  } else if (EqualsIgnoreCase(name, "OVERFLOW")) {
    if (!ParseOverflow(p.Next(), &c->overflow)) p.Fail(errors::kSyntax);
  } else if (EqualsIgnoreCase(name, "DEDUPWINDOW")) {
    c->dedup_window_ms = NextNonNegative(p);
  } else if (EqualsIgnoreCase(name, "RETRYHOOK")) {
    c->retry_hook.assign(p.Next());
  } else if (EqualsIgnoreCase(name, "ROUTEHOOK")) {
    c->route_hook.assign(p.Next());
  } else {
    p.Fail(errors::kSyntax);
  }
}

// The QCREATE arguments that rebuild a configuration (rewrites write every option).
std::vector<std::string> CreateArgs(std::string_view key, const QueueConfig& c) {
  std::vector<std::string> args{"QCREATE",       std::string(key),
                                "VISIBILITY",    std::to_string(c.visibility_ms),
                                "MAXDELIVERIES", std::to_string(c.max_deliveries)};
  if (!c.dead_letter.empty()) args.insert(args.end(), {"DEADLETTER", c.dead_letter});
  if (c.backoff == QueueBackoff::kFixed) {
    args.insert(args.end(), {"BACKOFF", "FIXED", std::to_string(c.backoff_base_ms)});
  } else {
    args.insert(args.end(), {"BACKOFF", "EXPONENTIAL", std::to_string(c.backoff_base_ms),
                             std::to_string(c.backoff_max_ms)});
  }
  args.insert(args.end(), {"JITTER", std::to_string(c.jitter_percent), "RETENTION",
                           std::to_string(c.retention_ms), "MAXLEN", std::to_string(c.max_len),
                           "OVERFLOW", std::string(OverflowName(c.overflow)), "DEDUPWINDOW",
                           std::to_string(c.dedup_window_ms)});
  if (!c.retry_hook.empty()) args.insert(args.end(), {"RETRYHOOK", c.retry_hook});
  if (!c.route_hook.empty()) args.insert(args.end(), {"ROUTEHOOK", c.route_hook});
  return args;
}

// The QCONFIG option names, in the order GET lists them.
constexpr std::string_view kOptionNames[] = {
    "visibility",  "maxdeliveries", "deadletter", "backoff", "backoff-base",
    "backoff-max", "jitter",        "retention",  "maxlen",  "overflow",
    "dedupwindow", "retryhook",     "routehook",
};

bool KnownOption(std::string_view name) {
  for (std::string_view known : kOptionNames) {
    if (EqualsIgnoreCase(name, known)) return true;
  }
  return false;
}

void ReplyOption(ReplyBuilder& reply, const QueueConfig& c, std::string_view name) {
  reply.Bulk(name);
  if (name == "visibility") {
    reply.Integer(c.visibility_ms);
  } else if (name == "maxdeliveries") {
    reply.Integer(c.max_deliveries);
  } else if (name == "deadletter") {
    reply.Bulk(c.dead_letter);
  } else if (name == "backoff") {
    reply.Bulk(c.backoff == QueueBackoff::kFixed ? "fixed" : "exponential");
  } else if (name == "backoff-base") {
    reply.Integer(c.backoff_base_ms);
  } else if (name == "backoff-max") {
    reply.Integer(c.backoff_max_ms);
  } else if (name == "jitter") {
    reply.Integer(c.jitter_percent);
  } else if (name == "retention") {
    reply.Integer(c.retention_ms);
  } else if (name == "maxlen") {
    reply.Integer(c.max_len);
  } else if (name == "overflow") {
    reply.Bulk(OverflowName(c.overflow));
  } else if (name == "dedupwindow") {
    reply.Integer(c.dedup_window_ms);
  } else if (name == "retryhook") {
    reply.Bulk(c.retry_hook);
  } else {
    reply.Bulk(c.route_hook);
  }
}

// QCONFIG SET's `option value` (option already known).
std::string_view SetOption(QueueConfig* c, std::string_view name, std::string_view value) {
  auto number = [&](int64_t* out, int64_t min, int64_t max, std::string_view range) {
    int64_t v = 0;
    if (!ParseInt64(value, &v)) return errors::kNotInteger;
    if (v < min || v > max) return range;
    *out = v;
    return std::string_view();
  };
  constexpr int64_t kMax = INT64_MAX;
  if (EqualsIgnoreCase(name, "visibility")) return number(&c->visibility_ms, 1, kMax, kNegative);
  if (EqualsIgnoreCase(name, "maxdeliveries")) {
    return number(&c->max_deliveries, 0, kMax, kNegative);
  }
  if (EqualsIgnoreCase(name, "deadletter")) {
    c->dead_letter.assign(value);
    return {};
  }
  if (EqualsIgnoreCase(name, "backoff")) {
    if (EqualsIgnoreCase(value, "fixed")) {
      c->backoff = QueueBackoff::kFixed;
    } else if (EqualsIgnoreCase(value, "exponential")) {
      c->backoff = QueueBackoff::kExponential;
    } else {
      return errors::kSyntax;
    }
    return {};
  }
  if (EqualsIgnoreCase(name, "backoff-base")) {
    return number(&c->backoff_base_ms, 0, kMax, kNegative);
  }
  if (EqualsIgnoreCase(name, "backoff-max")) return number(&c->backoff_max_ms, 0, kMax, kNegative);
  if (EqualsIgnoreCase(name, "jitter")) return number(&c->jitter_percent, 0, 100, kJitterRange);
  if (EqualsIgnoreCase(name, "retention")) return number(&c->retention_ms, 0, kMax, kNegative);
  if (EqualsIgnoreCase(name, "maxlen")) return number(&c->max_len, 0, kMax, kNegative);
  if (EqualsIgnoreCase(name, "overflow")) {
    return ParseOverflow(value, &c->overflow) ? std::string_view() : errors::kSyntax;
  }
  if (EqualsIgnoreCase(name, "dedupwindow")) {
    return number(&c->dedup_window_ms, 0, kMax, kNegative);
  }
  if (EqualsIgnoreCase(name, "retryhook")) {
    c->retry_hook.assign(value);
    return {};
  }
  c->route_hook.assign(value);
  return {};
}

// ---------------------------------------------------------------------------------------------

// QCREATE key [VISIBILITY ms] [MAXDELIVERIES n] [DEADLETTER key] [BACKOFF FIXED ms | BACKOFF
// EXPONENTIAL base-ms max-ms] [JITTER percent] [RETENTION ms] [MAXLEN n]
// [OVERFLOW REJECT|DROPOLDEST|DEADLETTER] [DEDUPWINDOW ms] [RETRYHOOK function]
// [ROUTEHOOK function]
void CmdQCreate(CommandContext& ctx) {
  QueueConfig config;
  ArgParser p(ctx.args, 2);
  while (p.HasNext() && !p.failed()) ParseCreateOption(p.Next(), p, &config);
  if (p.failed()) {
    ctx.reply.Error(p.error());
    return;
  }
  if (ctx.db.Find(ctx.arg(1), ctx.now_ms) != nullptr) {
    ctx.unchanged = true;
    ctx.reply.Error(errors::kBusyKey);
    return;
  }
  bool wrong = false;
  Queue* q = Service(ctx).Lookup(Db(ctx), ctx.arg(1), ctx.now_ms, true, &wrong);
  q->config() = std::move(config);
  q->Rearm();
  ctx.reply.Ok();
}

// QCONFIG key GET [option] | QCONFIG key SET option value [option value ...]
void CmdQConfig(CommandContext& ctx) {
  std::string_view action = ctx.arg(2);
  bool get = EqualsIgnoreCase(action, "GET");
  if (!get && !EqualsIgnoreCase(action, "SET")) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (get ? ctx.argc() > 4 : (ctx.argc() < 5 || ctx.argc() % 2 == 0)) {
    ctx.reply.Error("ERR wrong number of arguments for 'qconfig' command");
    return;
  }
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    if (!KnownOption(ctx.arg(i))) {
      ctx.reply.Error("ERR unknown queue option '" + std::string(ctx.arg(i).substr(0, 128)) + "'");
      return;
    }
  }
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  if (q == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  if (get) {
    ctx.unchanged = true;
    if (ctx.argc() == 4) {
      std::string lower(ctx.arg(3));
      for (char& ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      ctx.reply.MapHeader(1);
      for (std::string_view name : kOptionNames) {
        if (name == lower) ReplyOption(ctx.reply, q->config(), name);
      }
      return;
    }
    ctx.reply.MapHeader(std::size(kOptionNames));
    for (std::string_view name : kOptionNames) ReplyOption(ctx.reply, q->config(), name);
    return;
  }
  // All or nothing: the options are checked on a copy first.
  QueueConfig config = q->config();
  for (size_t i = 3; i + 1 < ctx.argc(); i += 2) {
    std::string_view error = SetOption(&config, ctx.arg(i), ctx.arg(i + 1));
    if (!error.empty()) {
      ctx.unchanged = true;
      ctx.reply.Error(error);
      return;
    }
  }
  bool retention_changed = config.retention_ms != q->config().retention_ms;
  q->config() = std::move(config);
  if (retention_changed) q->RescheduleExpiries();
  q->Rearm();
  ctx.reply.Ok();
}

// QINFO key
void CmdQInfo(CommandContext& ctx) {
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  if (q == nullptr) {
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  q->PromoteDue(ctx.now_ms);
  const QueueStats& s = q->stats();
  QueueMessage* oldest = q->OldestReady();
  int64_t oldest_age =
      oldest == nullptr ? 0 : std::max<int64_t>(0, ctx.now_ms - q->AvailableAt(oldest));
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(18 + std::size(kOptionNames));
  auto field = [&](std::string_view name, int64_t value) {
    r.Bulk(name);
    r.Integer(value);
  };
  field("ready", static_cast<int64_t>(q->ready() + q->waiting()));
  field("delayed", static_cast<int64_t>(q->delayed()));
  field("inflight", static_cast<int64_t>(q->inflight()));
  field("waiting", static_cast<int64_t>(q->waiting()));
  field("pushed", static_cast<int64_t>(s.pushed));
  field("delivered", static_cast<int64_t>(s.delivered));
  field("acked", static_cast<int64_t>(s.acked));
  field("nacked", static_cast<int64_t>(s.nacked));
  field("timeouts", static_cast<int64_t>(s.timeouts));
  field("deadlettered", static_cast<int64_t>(s.deadlettered));
  field("dropped", static_cast<int64_t>(s.dropped));
  field("moved", static_cast<int64_t>(s.moved));
  field("dedup-hits", static_cast<int64_t>(s.dedup_hits));
  field("hook-errors", static_cast<int64_t>(s.hook_errors));
  field("oldest-ready-age-ms", oldest_age);
  r.Bulk("last-id");
  ReplyQueueId(r, q->last_id());
  field("memory", static_cast<int64_t>(q->MemoryUsage()));
  r.Bulk("bindings");
  r.ArrayHeader(q->bindings().size());
  for (const std::string& b : q->bindings()) r.Bulk(b);
  for (std::string_view name : kOptionNames) ReplyOption(r, q->config(), name);
}

// QREDRIVE source [TO key] [COUNT n]
void CmdQRedrive(CommandContext& ctx) {
  std::string_view to;
  int64_t count = -1;
  ArgParser p(ctx.args, 2);
  while (p.HasNext() && !p.failed()) {
    if (p.Check("TO")) {
      to = p.Next();
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
  if (!to.empty()) {
    bool wrong = false;
    Object* target = FindTyped(ctx, to, ObjType::kQueue, &wrong);
    (void)target;
    if (wrong) return;
  }
  size_t moved = 0;
  if (q != nullptr) {
    moved = Service(ctx).Redrive(Db(ctx), ctx.arg(1), q, to,
                                 count < 0 ? SIZE_MAX : static_cast<size_t>(count), ctx.now_ms);
  }
  ctx.propagate_none = true;
  if (moved == 0) ctx.unchanged = true;
  ctx.reply.Integer(static_cast<int64_t>(moved));
}

// QBIND key channel-or-pattern
void CmdQBind(CommandContext& ctx) {
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), true, &failed);
  if (failed) return;
  bool added = q->Bind(ctx.arg(2));
  if (!added) ctx.unchanged = true;
  ctx.reply.Integer(added ? 1 : 0);
}

// QUNBIND key channel-or-pattern
void CmdQUnbind(CommandContext& ctx) {
  bool failed;
  Queue* q = GetQueue(ctx, ctx.arg(1), false, &failed);
  if (failed) return;
  bool removed = q != nullptr && q->Unbind(ctx.arg(2));
  if (!removed) ctx.unchanged = true;
  ctx.reply.Integer(removed ? 1 : 0);
}

// QEFFECT key <verb> ...: one recorded state change (see queue_service.h), applied exactly.
//   ADD id payload [PRIORITY p] [AVAIL ms] [TTLAT ms] [DELIVERIES n] [GROUP g] [LASTERROR e]
//       [DEADREASON r] [ORIGIN key] [LEASE deadline consumer]
//   LEASE id deadline consumer | TAKE id | EXTEND id deadline
//   RETRY id available-at nack|timeout|none [ERROR text]
//   EXIT id DEAD|DROP|MOVE reason nack|timeout|none
//   DEDUP dedup-id id seen-at | DEDUPHIT | HOOKERROR | LASTID id
//   STATS pushed delivered acked nacked timeouts deadlettered dropped dedup-hits hook-errors moved
void CmdQEffect(CommandContext& ctx) {
  std::string_view verb = ctx.arg(2);
  int64_t now = ctx.now_ms;
  auto syntax = [&] { ctx.reply.Error(errors::kSyntax); };
  auto id_at = [&](size_t i, StreamID* id) {
    return i < ctx.argc() && ParseQueueId(ctx.arg(i), id);
  };
  auto int_at = [&](size_t i, int64_t* v) { return i < ctx.argc() && ParseInt64(ctx.arg(i), v); };
  bool failed;
  bool adds = EqualsIgnoreCase(verb, "ADD") || EqualsIgnoreCase(verb, "DEDUP") ||
              EqualsIgnoreCase(verb, "DEDUPHIT") || EqualsIgnoreCase(verb, "HOOKERROR") ||
              EqualsIgnoreCase(verb, "LASTID") || EqualsIgnoreCase(verb, "STATS");
  Queue* q = GetQueue(ctx, ctx.arg(1), adds, &failed);
  if (failed) return;
  if (q == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  StreamID id;
  if (EqualsIgnoreCase(verb, "ADD")) {
    QueueAddSpec spec;
    if (!id_at(3, &spec.id) || ctx.argc() < 5) return syntax();
    if (q->Find(spec.id) != nullptr) {
      ctx.reply.Error("ERR a message with this ID exists");
      return;
    }
    spec.payload = ctx.arg(4);
    for (size_t i = 5; i < ctx.argc(); i += 2) {
      std::string_view opt = ctx.arg(i);
      int64_t v = 0;
      if (i + 1 >= ctx.argc()) return syntax();
      std::string_view value = ctx.arg(i + 1);
      if (EqualsIgnoreCase(opt, "PRIORITY") && int_at(i + 1, &v) && v >= 0 &&
          v < kQueuePriorities) {
        spec.priority = static_cast<uint8_t>(v);
      } else if (EqualsIgnoreCase(opt, "AVAIL") && int_at(i + 1, &v)) {
        spec.avail = v;
      } else if (EqualsIgnoreCase(opt, "TTLAT") && int_at(i + 1, &v)) {
        spec.ttl_at = v;
      } else if (EqualsIgnoreCase(opt, "DELIVERIES") && int_at(i + 1, &v) && v >= 0) {
        spec.deliveries = static_cast<uint32_t>(v);
      } else if (EqualsIgnoreCase(opt, "GROUP")) {
        spec.group = value;
      } else if (EqualsIgnoreCase(opt, "LASTERROR")) {
        spec.last_error = value;
      } else if (EqualsIgnoreCase(opt, "DEADREASON")) {
        spec.dead_reason = value;
      } else if (EqualsIgnoreCase(opt, "ORIGIN")) {
        spec.origin = value;
      } else if (EqualsIgnoreCase(opt, "LEASE") && int_at(i + 1, &v) && i + 2 < ctx.argc()) {
        spec.leased = true;
        spec.deadline = v;
        spec.consumer = ctx.arg(i + 2);
        ++i;
      } else {
        return syntax();
      }
    }
    OpQueueAdd(*q, spec, now);
  } else if (EqualsIgnoreCase(verb, "LEASE") || EqualsIgnoreCase(verb, "TAKE") ||
             EqualsIgnoreCase(verb, "EXTEND") || EqualsIgnoreCase(verb, "RETRY") ||
             EqualsIgnoreCase(verb, "EXIT")) {
    if (!id_at(3, &id)) return syntax();
    QueueMessage* m = q->Find(id);
    int64_t at = 0;
    if (EqualsIgnoreCase(verb, "LEASE")) {
      if (ctx.argc() != 6 || !int_at(4, &at)) return syntax();
      if (m != nullptr) OpQueueLease(*q, m, at, ctx.arg(5));
    } else if (EqualsIgnoreCase(verb, "TAKE")) {
      if (ctx.argc() != 4) return syntax();
      if (m != nullptr) OpQueueTake(*q, m, now);
    } else if (EqualsIgnoreCase(verb, "EXTEND")) {
      if (ctx.argc() != 5 || !int_at(4, &at)) return syntax();
      if (m != nullptr) q->Extend(m, at);
    } else if (EqualsIgnoreCase(verb, "RETRY")) {
      QueueCause cause;
      bool with_error = ctx.argc() == 8 && EqualsIgnoreCase(ctx.arg(6), "ERROR");
      if ((ctx.argc() != 6 && !with_error) || !int_at(4, &at) ||
          !ParseQueueCause(ctx.arg(5), &cause)) {
        return syntax();
      }
      std::string error = with_error ? std::string(ctx.arg(7)) : std::string();
      if (m != nullptr && m->state == QueueState::kInflight) {
        OpQueueRetry(*q, m, at, cause, with_error ? &error : nullptr, now);
      }
    } else {
      QueueCause cause;
      QueueExit how;
      if (ctx.argc() != 7 || !ParseQueueCause(ctx.arg(6), &cause)) return syntax();
      if (EqualsIgnoreCase(ctx.arg(4), "DEAD")) {
        how = QueueExit::kDead;
      } else if (EqualsIgnoreCase(ctx.arg(4), "DROP")) {
        how = QueueExit::kDrop;
      } else if (EqualsIgnoreCase(ctx.arg(4), "MOVE")) {
        how = QueueExit::kMove;
      } else {
        return syntax();
      }
      if (m != nullptr) OpQueueExit(*q, m, how, cause, now);
    }
  } else if (EqualsIgnoreCase(verb, "DEDUP")) {
    int64_t seen = 0;
    if (ctx.argc() != 6 || !id_at(4, &id) || !int_at(5, &seen)) return syntax();
    q->RecordDedup(ctx.arg(3), id, seen);
  } else if (EqualsIgnoreCase(verb, "DEDUPHIT")) {
    if (ctx.argc() != 3) return syntax();
    q->stats().dedup_hits++;
  } else if (EqualsIgnoreCase(verb, "HOOKERROR")) {
    if (ctx.argc() != 3) return syntax();
    q->stats().hook_errors++;
  } else if (EqualsIgnoreCase(verb, "LASTID")) {
    if (ctx.argc() != 4 || !id_at(3, &id)) return syntax();
    q->set_last_id(id);
  } else if (EqualsIgnoreCase(verb, "STATS")) {
    uint64_t* fields[] = {&q->stats().pushed,  &q->stats().delivered,  &q->stats().acked,
                          &q->stats().nacked,  &q->stats().timeouts,   &q->stats().deadlettered,
                          &q->stats().dropped, &q->stats().dedup_hits, &q->stats().hook_errors,
                          &q->stats().moved};
    if (ctx.argc() != 3 + std::size(fields)) return syntax();
    uint64_t values[std::size(fields)];
    for (size_t i = 0; i < std::size(fields); ++i) {
      if (!ParseUint64(ctx.arg(3 + i), &values[i])) return syntax();
    }
    for (size_t i = 0; i < std::size(fields); ++i) *fields[i] = values[i];
  } else {
    return syntax();
  }
  ctx.reply.Integer(1);
}

// A queue in a compacted log: its configuration, last ID, every message with its state,
// the dedup window, the counters and the bindings.
void RewriteQueue(std::string_view key, const Object& obj, AofWriter& out) {
  const Queue& q = *obj.As<Queue>();
  std::vector<std::string> create = CreateArgs(key, q.config());
  std::vector<std::string_view> views(create.begin(), create.end());
  out.Command(views);
  std::string last = q.last_id().ToString();
  out.Command({"QEFFECT", key, "LASTID", last});
  std::vector<std::string_view> args;
  std::deque<std::string> texts;
  for (QueueMessage* m : q.AllById()) {
    args.clear();
    texts.clear();
    AppendQueueAddArgs(key, q, m, &args, &texts);
    out.Command(args);
  }
  q.ForEachDedup([&](const std::string& name, const QueueDedupEntry& entry) {
    std::string id = entry.id.ToString();
    std::string seen = Int64ToString(entry.seen_at);
    out.Command({"QEFFECT", key, "DEDUP", name, id, seen});
  });
  const QueueStats& s = q.stats();
  std::vector<std::string> stats{std::to_string(s.pushed),      std::to_string(s.delivered),
                                 std::to_string(s.acked),       std::to_string(s.nacked),
                                 std::to_string(s.timeouts),    std::to_string(s.deadlettered),
                                 std::to_string(s.dropped),     std::to_string(s.dedup_hits),
                                 std::to_string(s.hook_errors), std::to_string(s.moved)};
  std::vector<std::string_view> stat_args{"QEFFECT", key, "STATS"};
  stat_args.insert(stat_args.end(), stats.begin(), stats.end());
  out.Command(stat_args);
  for (const std::string& binding : q.bindings()) out.Command({"QBIND", key, binding});
}

}  // namespace

void RegisterQueueAdminCommands(CommandTable& table) {
  RegisterAofRewriter(ObjType::kQueue, RewriteQueue);
  RegisterSerializer(ObjType::kQueue, DumpQueue, LoadQueue);
  auto add = [&](std::string_view name, int arity, uint32_t flags, auto&&... rest) {
    table.AddSimple("queue", name, arity, flags, 1, 1, 1, "1.0.0", rest...);
  };
  add("qcreate", -2, kCmdWrite | kCmdDenyOom, "Creates a queue with the given options.",
      "key [VISIBILITY ms:integer] [MAXDELIVERIES count:integer] [DEADLETTER dead-letter-queue] "
      "[BACKOFF FIXED ms:integer | BACKOFF EXPONENTIAL base-ms:integer max-ms:integer] "
      "[JITTER percent:integer] [RETENTION ms:integer] [MAXLEN count:integer] "
      "[OVERFLOW <REJECT | DROPOLDEST | DEADLETTER>] [DEDUPWINDOW ms:integer] "
      "[RETRYHOOK function] [ROUTEHOOK function]",
      CmdQCreate, "O(1)");
  add("qconfig", -3, kCmdWrite, "Reads or changes the options of a queue.",
      "key <GET [option] | SET option value [option value ...]>", CmdQConfig,
      "O(1), O(N) when RETENTION changes");
  add("qinfo", 2, kCmdReadOnly, "Describes a queue: its counts, counters and options.", "key",
      CmdQInfo, "O(1)");
  table.Add({.name = "qredrive",
             .arity = -2,
             .flags = kCmdWrite,
             .group = "queue",
             .since = "1.0.0",
             .summary = "Moves dead messages back to the queues they came from, or to another "
                        "queue.",
             .syntax = "source [TO destination] [COUNT count:integer]",
             .handler = CmdQRedrive,
             .key_finder =
                 [](ArgList args, std::vector<size_t>* out) {
                   if (args.size() > 1) out->push_back(1);
                   for (size_t i = 2; i + 1 < args.size(); i += 2) {
                     if (EqualsIgnoreCase(args[i], "TO")) out->push_back(i + 1);
                   }
                 },
             .complexity = "O(N log N) in the messages moved"});
  add("qbind", 3, kCmdWrite | kCmdDenyOom,
      "Pushes every message PUBLISHed to a matching channel into the queue.",
      "key channel-or-pattern", CmdQBind, "O(N) in the queue's bindings");
  add("qunbind", 3, kCmdWrite, "Removes a binding made with QBIND.", "key channel-or-pattern",
      CmdQUnbind, "O(N) in the queue's bindings");
  add("qeffect", -3, kCmdWrite | kCmdDenyOom,
      "Applies one recorded queue state change (written by the append-only log; not for "
      "applications).",
      "key verb [argument ...]", CmdQEffect, "O(log N)");
}

}  // namespace sluice
