#include "server/commands/queue_service.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <unordered_map>

#include "server/blocking/blocking.h"
#include "server/commands/arg_parser.h"
#include "server/commands/family_util.h"
#include "server/core/log.h"
#include "server/core/server.h"
#include "server/persistence/aof.h"
#include "server/pubsub/pubsub.h"
#include "server/scripting/script_engine.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"
#include "server/util/random.h"

namespace sluice {
namespace {

// A dead letter whose dead-letter queue is full may push that queue's oldest message on to its
// own dead-letter queue, and so on; past this many hops the message is dropped instead.
constexpr int kMaxDeadLetterHops = 4;
// Messages one queue's timer handles per pass; the rest waits for the next iteration so a mass
// expiry never stalls the loop.
constexpr int kTimerBudget = 1000;

std::unordered_map<const Server*, QueueService*>& Services() {
  static auto* services = new std::unordered_map<const Server*, QueueService*>;
  return *services;
}

void CountCause(Queue& q, QueueCause cause) {
  if (cause == QueueCause::kNack) q.stats().nacked++;
  if (cause == QueueCause::kTimeout) q.stats().timeouts++;
}

// Decimal text of numbers and IDs for a record, kept alive until the record is written.
class Texts {
 public:
  std::string_view Int(int64_t v) {
    std::string& s = Next();
    s = Int64ToString(v);
    return s;
  }
  std::string_view Id(const StreamID& id) {
    std::string& s = Next();
    s.clear();
    id.AppendTo(&s);
    return s;
  }

 private:
  std::string& Next() {
    if (used_ == kSlots) used_ = 0;  // never reached: records use a handful
    return slots_[used_++];
  }
  static constexpr size_t kSlots = 8;
  std::string slots_[kSlots];
  size_t used_ = 0;
};

}  // namespace

std::string_view QueueCauseName(QueueCause cause) {
  switch (cause) {
    case QueueCause::kNack:
      return "nack";
    case QueueCause::kTimeout:
      return "timeout";
    case QueueCause::kNone:
      break;
  }
  return "none";
}

bool ParseQueueCause(std::string_view text, QueueCause* cause) {
  if (EqualsIgnoreCase(text, "nack")) {
    *cause = QueueCause::kNack;
  } else if (EqualsIgnoreCase(text, "timeout")) {
    *cause = QueueCause::kTimeout;
  } else if (EqualsIgnoreCase(text, "none")) {
    *cause = QueueCause::kNone;
  } else {
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Op functions

QueueMessage* OpQueueAdd(Queue& q, const QueueAddSpec& spec, int64_t now) {
  q.stats().pushed++;
  return q.Add(spec, now);
}

void OpQueueLease(Queue& q, QueueMessage* m, int64_t deadline, std::string_view consumer) {
  q.stats().delivered++;
  q.Lease(m, deadline, consumer);
}

void OpQueueTake(Queue& q, QueueMessage* m, int64_t now) {
  q.stats().delivered++;
  q.Take(m, now);
}

void OpQueueAck(Queue& q, QueueMessage* m, int64_t now) {
  q.stats().acked++;
  q.Remove(m, now);
}

void OpQueueRetry(Queue& q, QueueMessage* m, int64_t avail, QueueCause cause,
                  const std::string* error, int64_t now) {
  CountCause(q, cause);
  q.Retry(m, avail, error, now);
}

void OpQueueExit(Queue& q, QueueMessage* m, QueueExit how, QueueCause cause, int64_t now) {
  CountCause(q, cause);
  switch (how) {
    case QueueExit::kDead:
      q.stats().deadlettered++;
      break;
    case QueueExit::kDrop:
      q.stats().dropped++;
      break;
    case QueueExit::kMove:
      q.stats().moved++;
      break;
  }
  q.Remove(m, now);
}

// ---------------------------------------------------------------------------------------------
// Shared reply helpers

bool ParseQueueId(std::string_view text, StreamID* id) {
  return ParseStreamID(text, 0, true, id) && !id->IsZero();
}

void ReplyQueueId(ReplyBuilder& reply, const StreamID& id) {
  char buf[48];
  char* end = std::to_chars(buf, buf + 20, id.ms).ptr;
  *end++ = '-';
  end = std::to_chars(end, buf + sizeof(buf), id.seq).ptr;
  reply.Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void ReplyQueueEntry(ReplyBuilder& reply, std::string_view key, const QueueMessage* m,
                     uint32_t deliveries) {
  reply.ArrayHeader(4);
  reply.Bulk(key);
  ReplyQueueId(reply, m->id);
  reply.Bulk(m->payload());
  reply.Integer(deliveries);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

QueueService::QueueService(Server& server) : server_(server) {
  Services()[&server] = this;
  QueueRegistry::SetCurrent(&registry_);
  uv_timer_init(server_.loop(), &timer_);
  timer_.data = this;
  // Queue timers never keep a shut-down server's loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  server_.AddBeforeSleepHook([this] {
    // This hook runs after the log's own: records made here are written now, not an iteration
    // later, so the replies of consumers these timers served are not held back.
    if (RunTimers() && logging()) server_.aof().BeforeSleep();
    ArmTimer();
  });
  server_.pubsub().SetPublishObserver([this](std::string_view channel, std::string_view message) {
    return OnPublish(channel, message);
  });
}

QueueService::~QueueService() {
  auto it = Services().find(&server_);
  if (it != Services().end() && it->second == this) Services().erase(it);
  server_.pubsub().SetPublishObserver(nullptr);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

QueueService& QueueService::Of(Server& server) { return *Services().at(&server); }

bool QueueService::logging() const { return server_.aof().logging(); }

void QueueService::Record(int db, std::span<const std::string_view> args) {
  if (!logging()) return;
  server_.aof().PropagateEffect(db, args);
}

void AppendQueueAddArgs(std::string_view key, const Queue& q, const QueueMessage* m,
                        std::vector<std::string_view>* args, std::deque<std::string>* texts) {
  auto text = [&](std::string value) -> std::string_view {
    texts->push_back(std::move(value));
    return texts->back();
  };
  args->insert(args->end(), {"QEFFECT", key, "ADD", text(m->id.ToString()), m->payload()});
  if (m->priority != 0) args->insert(args->end(), {"PRIORITY", text(std::to_string(m->priority))});
  const QueueMeta* meta = q.MetaOf(m);
  if (meta == nullptr) return;
  if (meta->avail > static_cast<int64_t>(m->id.ms)) {
    args->insert(args->end(), {"AVAIL", text(Int64ToString(meta->avail))});
  }
  if (meta->ttl_at != 0) args->insert(args->end(), {"TTLAT", text(Int64ToString(meta->ttl_at))});
  if (meta->deliveries != 0) {
    args->insert(args->end(), {"DELIVERIES", text(std::to_string(meta->deliveries))});
  }
  if (meta->group != nullptr) args->insert(args->end(), {"GROUP", meta->group->name});
  if (!meta->last_error.empty()) args->insert(args->end(), {"LASTERROR", meta->last_error});
  if (!meta->dead_reason.empty()) args->insert(args->end(), {"DEADREASON", meta->dead_reason});
  if (!meta->origin.empty()) args->insert(args->end(), {"ORIGIN", meta->origin});
  if (m->state == QueueState::kInflight) {
    args->insert(args->end(), {"LEASE", text(Int64ToString(meta->deadline)), meta->consumer});
  }
}

void QueueService::RecordAdd(int db, std::string_view key, const Queue& q, const QueueMessage* m) {
  if (!logging()) return;
  std::vector<std::string_view> args;
  std::deque<std::string> texts;
  AppendQueueAddArgs(key, q, m, &args, &texts);
  Record(db, args);
}

Queue* QueueService::Lookup(int db, std::string_view key, int64_t now, bool create,
                            bool* wrong_type) {
  *wrong_type = false;
  Database& database = server_.db(db);
  Object* obj = database.Find(key, now);
  if (obj != nullptr) {
    if (obj->type() != ObjType::kQueue) {
      *wrong_type = true;
      return nullptr;
    }
    auto* q = obj->As<Queue>();
    q->SetLocation(db, key);
    return q;
  }
  if (!create) return nullptr;
  Object& created = database.Put(key, Object(std::make_unique<Queue>()));
  auto* q = created.As<Queue>();
  q->SetLocation(db, key);
  return q;
}

bool QueueService::Locate(Queue* q, int* db, std::string* key) {
  int hint = q->location_db();
  if (hint >= 0 && hint < server_.db_count()) {
    Object* obj = server_.db(hint).FindRaw(q->location_key());
    if (obj != nullptr && obj->type() == ObjType::kQueue && obj->As<Queue>() == q) {
      *db = hint;
      *key = q->location_key();
      return true;
    }
  }
  // Moved by RENAME, MOVE, SWAPDB, or a copy never touched by a command: search once, then the
  // hint is right again.
  for (int i = 0; i < server_.db_count(); ++i) {
    for (auto& [name, obj] : server_.db(i).map()) {
      if (obj.type() == ObjType::kQueue && obj.As<Queue>() == q) {
        q->SetLocation(i, name);
        *db = i;
        *key = name;
        return true;
      }
    }
  }
  return false;
}

bool QueueService::StillThere(int db, std::string_view key, Queue* q) {
  if (!registry_.Contains(q)) return false;
  Object* obj = server_.db(db).FindRaw(key);
  return obj != nullptr && obj->type() == ObjType::kQueue && obj->As<Queue>() == q;
}

void QueueService::Touched(int db, std::string_view key) { server_.KeyWritten(db, key); }

// ---------------------------------------------------------------------------------------------
// Pushing

QueuePushStatus QueueService::Push(int db, std::string_view key, Queue* q,
                                   const QueuePushRequest& req, int64_t now, StreamID* id) {
  if (!req.dedup.empty()) {
    q->PruneDedup(now);
    if (const QueueDedupEntry* seen = q->FindDedup(req.dedup, now)) {
      *id = seen->id;
      q->stats().dedup_hits++;
      Record(db, {"QEFFECT", key, "DEDUPHIT"});
      return QueuePushStatus::kDuplicate;
    }
  }
  // Routing: the hook names the queues that get a copy; nil keeps the message here.
  std::vector<std::string> targets;
  bool routed = false;
  const std::string hook = q->config().route_hook;
  if (!hook.empty() && !server_.loading() && hook_depth_ == 0) {
    scripting::Engine::HookResult result;
    std::string error;
    ++hook_depth_;
    bool ok = scripting::Engine::Of(server_).CallHook(
        hook, {std::string(key)},
        {std::string(req.payload), std::to_string(req.priority), std::string(req.group)}, db,
        server_.config().GetInt("busy-reply-threshold"), &result, &error);
    --hook_depth_;
    // The hook ran commands: the queue may be gone or replaced.
    if (!StillThere(db, key, q)) {
      bool wrong = false;
      q = Lookup(db, key, now, true, &wrong);
      if (q == nullptr) return QueuePushStatus::kNowhere;
    }
    if (ok && !result.is_nil) {
      for (const std::string& target : result.items) {
        Object* obj = server_.db(db).Find(target, now);
        if (obj != nullptr && obj->type() != ObjType::kQueue) {
          ok = false;
          error = "routed to '" + target + "', which is not a queue";
          break;
        }
      }
      if (ok) {
        targets = std::move(result.items);
        routed = true;
      }
    }
    if (!ok) HookFailed(db, key, q, "ROUTEHOOK", error);
  }
  QueuePushStatus status = QueuePushStatus::kNowhere;
  bool first = true;
  if (!routed) {
    status = PushOne(db, key, q, req, now, id);
  } else {
    for (const std::string& target : targets) {
      bool wrong = false;
      Queue* t = target == key ? q : Lookup(db, target, now, true, &wrong);
      if (t == nullptr) continue;
      StreamID copy_id;
      QueuePushStatus s = PushOne(db, target, t, req, now, &copy_id);
      if (s == QueuePushStatus::kPushed) {
        if (first) *id = copy_id;
        first = false;
        status = s;
      } else if (status != QueuePushStatus::kPushed) {
        status = s;
      }
      if (target != key) Touched(db, target);
      if (!StillThere(db, key, q)) return status;
    }
  }
  if (status == QueuePushStatus::kPushed && !req.dedup.empty()) {
    q->RecordDedup(req.dedup, *id, now);
    Texts texts;
    Record(db, {"QEFFECT", key, "DEDUP", req.dedup, texts.Id(*id), texts.Int(now)});
  }
  return status;
}

QueuePushStatus QueueService::PushOne(int db, std::string_view key, Queue* q,
                                      const QueuePushRequest& req, int64_t now, StreamID* id) {
  if (!MakeRoom(db, key, q, now, 0)) return QueuePushStatus::kFull;
  if (!q->NextId(now, id)) return QueuePushStatus::kExhausted;
  QueueAddSpec spec;
  spec.id = *id;
  spec.payload = req.payload;
  spec.priority = req.priority;
  if (req.at_ms >= 0) {
    spec.avail = req.at_ms;
  } else if (req.delay_ms > 0) {
    spec.avail = now + req.delay_ms;
  }
  if (req.ttl_ms > 0) spec.ttl_at = now + req.ttl_ms;
  spec.group = req.group;
  QueueMessage* m = OpQueueAdd(*q, spec, now);
  RecordAdd(db, key, *q, m);
  return QueuePushStatus::kPushed;
}

bool QueueService::MakeRoom(int db, std::string_view key, Queue* q, int64_t now, int depth) {
  const QueueConfig& config = q->config();
  while (config.max_len > 0 && q->total() >= static_cast<size_t>(config.max_len)) {
    if (config.overflow == QueueOverflow::kReject) return false;
    QueueMessage* victim = q->OldestReady();
    if (victim == nullptr) return false;  // only delayed or in-flight messages: nothing to give up
    if (config.overflow == QueueOverflow::kDeadLetter) {
      DeadLetter(db, key, q, victim, "maxlen", QueueCause::kNone, now, depth + 1);
    } else {
      Drop(db, key, q, victim, "maxlen", QueueCause::kNone, now);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Delivering

bool QueueService::DeliverOne(int db, std::string_view key, Queue* q, int64_t now,
                              int64_t visibility_ms, std::string_view consumer, bool noack,
                              ReplyBuilder& reply) {
  QueueMessage* m = q->NextReady();
  if (m == nullptr) return false;
  if (noack) {
    ReplyQueueEntry(reply, key, m, q->Deliveries(m) + 1);
    if (logging()) {
      Texts texts;
      Record(db, {"QEFFECT", key, "TAKE", texts.Id(m->id)});
    }
    OpQueueTake(*q, m, now);
    return true;
  }
  int64_t deadline = now + visibility_ms;
  OpQueueLease(*q, m, deadline, consumer);
  if (logging()) {
    Texts texts;
    Record(db, {"QEFFECT", key, "LEASE", texts.Id(m->id), texts.Int(deadline), consumer});
  }
  ReplyQueueEntry(reply, key, m, q->Deliveries(m));
  return true;
}

void QueueService::Extend(int db, std::string_view key, Queue* q, QueueMessage* m,
                          int64_t deadline) {
  q->Extend(m, deadline);
  Texts texts;
  Record(db, {"QEFFECT", key, "EXTEND", texts.Id(m->id), texts.Int(deadline)});
}

// ---------------------------------------------------------------------------------------------
// Failed deliveries

int64_t QueueService::BackoffDelay(const QueueConfig& config, uint32_t deliveries) {
  int64_t delay = config.backoff_base_ms;
  if (config.backoff == QueueBackoff::kExponential) {
    uint32_t doublings = deliveries > 0 ? deliveries - 1 : 0;
    for (uint32_t i = 0; i < doublings && delay < config.backoff_max_ms; ++i) delay *= 2;
    delay = std::min(delay, config.backoff_max_ms);
  }
  if (config.jitter_percent > 0 && delay > 0) {
    // +-JITTER percent, decided here and recorded as the resulting time.
    int64_t span = delay * config.jitter_percent / 100;
    if (span > 0) {
      delay +=
          static_cast<int64_t>(ServerRandom().Uniform(static_cast<uint64_t>(2 * span + 1))) - span;
    }
  }
  return std::max<int64_t>(delay, 0);
}

void QueueService::HookFailed(int db, std::string_view key, Queue* q, std::string_view hook,
                              std::string_view error) {
  q->stats().hook_errors++;
  Record(db, {"QEFFECT", key, "HOOKERROR"});
  std::string name(key);
  std::string text(error);
  LogWarning("Queue '%s': %.*s failed (%s); the built-in policy applies", name.c_str(),
             static_cast<int>(hook.size()), hook.data(), text.c_str());
}

void QueueService::Retry(int db, std::string_view key, Queue* q, QueueMessage* m, int64_t avail,
                         QueueCause cause, const std::string* error, int64_t now) {
  Texts texts;
  if (logging()) {
    std::vector<std::string_view> args{
        "QEFFECT", key, "RETRY", texts.Id(m->id), texts.Int(avail), QueueCauseName(cause)};
    if (error != nullptr) args.insert(args.end(), {"ERROR", *error});
    Record(db, args);
  }
  OpQueueRetry(*q, m, avail, cause, error, now);
}

void QueueService::Drop(int db, std::string_view key, Queue* q, QueueMessage* m,
                        std::string_view reason, QueueCause cause, int64_t now) {
  Texts texts;
  Record(db, {"QEFFECT", key, "EXIT", texts.Id(m->id), "DROP", reason, QueueCauseName(cause)});
  OpQueueExit(*q, m, QueueExit::kDrop, cause, now);
}

bool QueueService::Transfer(int db, std::string_view key, Queue* q, QueueMessage* m,
                            std::string_view to_key, QueueExit how, std::string_view reason,
                            QueueCause cause, int64_t now, int depth) {
  bool wrong = false;
  Queue* to = Lookup(db, to_key, now, true, &wrong);
  if (to == nullptr) {
    std::string from_name(key);
    std::string to_name(to_key);
    LogWarning("Queue '%s': '%s' is not a queue; the message is dropped", from_name.c_str(),
               to_name.c_str());
    return false;
  }
  // What the new message keeps, copied before the old one goes (the destination may be q).
  std::string payload(m->payload());
  const QueueMeta* meta = q->MetaOf(m);
  std::string last_error = meta != nullptr ? meta->last_error : std::string();
  uint32_t deliveries = meta != nullptr ? meta->deliveries : 0;
  uint8_t priority = m->priority;
  StreamID old_id = m->id;
  if (to != q) {
    if (!MakeRoom(db, to_key, to, now, depth)) return false;
    // Making room may have dead-lettered into `q` and, in a ring of full queues, taken `m`.
    if (!StillThere(db, key, q)) return true;
    m = q->Find(old_id);
    if (m == nullptr) return true;
  }
  Texts texts;
  Record(db, {"QEFFECT", key, "EXIT", texts.Id(old_id), how == QueueExit::kDead ? "DEAD" : "MOVE",
              reason, QueueCauseName(cause)});
  OpQueueExit(*q, m, how, cause, now);
  QueueAddSpec spec;
  if (!to->NextId(now, &spec.id)) return true;  // the destination's IDs are exhausted
  spec.payload = payload;
  spec.priority = priority;
  spec.deliveries = deliveries;
  spec.last_error = last_error;
  if (how == QueueExit::kDead) spec.dead_reason = reason;
  spec.origin = key;
  QueueMessage* added = OpQueueAdd(*to, spec, now);
  RecordAdd(db, to_key, *to, added);
  Touched(db, to_key);
  return true;
}

void QueueService::DeadLetter(int db, std::string_view key, Queue* q, QueueMessage* m,
                              std::string_view reason, QueueCause cause, int64_t now, int depth) {
  const std::string dead_letter = q->config().dead_letter;
  if (dead_letter.empty() || depth > kMaxDeadLetterHops ||
      !Transfer(db, key, q, m, dead_letter, QueueExit::kDead, reason, cause, now, depth)) {
    Drop(db, key, q, m, reason, cause, now);
  }
}

void QueueService::Fail(int db, std::string_view key, Queue* q, QueueMessage* m, QueueCause cause,
                        int64_t explicit_delay, bool explicit_dead, const std::string* error,
                        int64_t now) {
  if (m->state != QueueState::kInflight) return;
  if (error != nullptr) q->SetLastError(m, *error);
  if (explicit_dead) {
    DeadLetter(db, key, q, m, "rejected", cause, now);
    return;
  }
  if (explicit_delay >= 0) {
    Retry(db, key, q, m, now + explicit_delay, cause, error, now);
    return;
  }
  if (q->MetaOf(m)->expired) {
    DeadLetter(db, key, q, m, "expired", cause, now);
    return;
  }
  const std::string hook = q->config().retry_hook;
  if (!hook.empty() && !server_.loading() && hook_depth_ == 0) {
    const QueueMeta* meta = q->MetaOf(m);
    StreamID id = m->id;
    std::vector<std::string> args{id.ToString(), std::string(m->payload()),
                                  std::to_string(meta->deliveries),
                                  std::string(QueueCauseName(cause)), meta->last_error};
    scripting::Engine::HookResult result;
    std::string hook_error;
    ++hook_depth_;
    bool ok = scripting::Engine::Of(server_).CallHook(
        hook, {std::string(key)}, args, db, server_.config().GetInt("busy-reply-threshold"),
        &result, &hook_error);
    --hook_depth_;
    // The hook ran commands: the queue or the message may be gone (then it decided for itself).
    if (!StillThere(db, key, q)) return;
    m = q->Find(id);
    if (m == nullptr || m->state != QueueState::kInflight) return;
    if (ok && !result.is_nil && !result.items.empty()) {
      std::string_view verb = result.items[0];
      const std::vector<std::string>& items = result.items;
      int64_t ms = 0;
      if (EqualsIgnoreCase(verb, "retry") && items.size() >= 2 && ParseInt64(items[1], &ms) &&
          ms >= 0) {
        Retry(db, key, q, m, now + ms, cause, error, now);
        return;
      }
      if (EqualsIgnoreCase(verb, "dead")) {
        DeadLetter(db, key, q, m, items.size() >= 2 ? items[1] : std::string("hook"), cause, now);
        return;
      }
      if (EqualsIgnoreCase(verb, "drop")) {
        Drop(db, key, q, m, "hook", cause, now);
        return;
      }
      if (EqualsIgnoreCase(verb, "move") && items.size() >= 2) {
        Object* obj = server_.db(db).Find(items[1], now);
        if ((obj == nullptr || obj->type() == ObjType::kQueue) &&
            Transfer(db, key, q, m, items[1], QueueExit::kMove, "moved", cause, now, 0)) {
          return;
        }
        hook_error = "cannot move the message to '" + items[1] + "'";
      } else {
        hook_error = "unknown hook reply '" + items[0] + "'";
      }
      ok = false;
    }
    if (!ok) HookFailed(db, key, q, "RETRYHOOK", hook_error);
  }
  const QueueConfig& config = q->config();
  uint32_t deliveries = q->Deliveries(m);
  if (config.max_deliveries > 0 && deliveries >= static_cast<uint64_t>(config.max_deliveries)) {
    DeadLetter(db, key, q, m, "maxdeliveries", cause, now);
    return;
  }
  Retry(db, key, q, m, now + BackoffDelay(config, deliveries), cause, error, now);
}

void QueueService::Expire(int db, std::string_view key, Queue* q, QueueMessage* m, int64_t now) {
  if (m->state == QueueState::kInflight) {
    // Its consumer may still finish it; if not, the failure dead-letters it.
    q->MarkExpired(m);
    return;
  }
  DeadLetter(db, key, q, m, "expired", QueueCause::kNone, now);
}

// ---------------------------------------------------------------------------------------------
// QREDRIVE

size_t QueueService::Redrive(int db, std::string_view key, Queue* q, std::string_view to,
                             size_t count, int64_t now) {
  std::vector<StreamID> candidates;
  for (QueueMessage* m : q->AllById()) {
    if (candidates.size() >= count) break;
    if (m->state == QueueState::kInflight) continue;
    const QueueMeta* meta = q->MetaOf(m);
    if (to.empty() && (meta == nullptr || meta->origin.empty())) continue;
    candidates.push_back(m->id);
  }
  size_t moved = 0;
  for (const StreamID& id : candidates) {
    if (!StillThere(db, key, q)) break;
    QueueMessage* m = q->Find(id);
    if (m == nullptr) continue;
    const QueueMeta* meta = q->MetaOf(m);
    std::string target(to.empty() ? std::string_view(meta->origin) : to);
    bool wrong = false;
    Queue* t = Lookup(db, target, now, true, &wrong);
    if (t == nullptr) continue;
    if (t != q && !MakeRoom(db, target, t, now, 0)) continue;
    QueueAddSpec spec;
    if (!t->NextId(now, &spec.id)) continue;
    std::string payload(m->payload());
    spec.payload = payload;
    spec.priority = m->priority;
    Texts texts;
    Record(db, {"QDEL", key, texts.Id(id)});
    q->Remove(m, now);
    QueueMessage* added = OpQueueAdd(*t, spec, now);
    RecordAdd(db, target, *t, added);
    Touched(db, target);
    ++moved;
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Timers

bool QueueService::RunTimers() {
  if (running_timers_ || registry_.EarliestDue() == 0) return false;
  if (server_.loading() || !server_.busy_reply().empty()) return false;
  server_.RefreshClock();
  int64_t now = server_.now_ms();
  if (registry_.EarliestDue() > now) return false;
  running_timers_ = true;
  std::vector<Queue*> due = registry_.TakeDue(now);
  for (Queue* q : due) {
    // An earlier queue's hook may have deleted this one.
    if (registry_.Contains(q)) ProcessQueue(q, now);
  }
  running_timers_ = false;
  if (server_.blocking().HasReadyKeys()) server_.blocking().ServeReadyKeys();
  return true;
}

void QueueService::ProcessQueue(Queue* q, int64_t now) {
  int db = 0;
  std::string key;
  if (!Locate(q, &db, &key)) return;  // not in the keyspace: scheduled again when next used
  bool changed = q->PromoteDue(now) > 0;
  Aof& aof = server_.aof();
  for (int budget = kTimerBudget; budget > 0; --budget) {
    QueueMessage* m = q->DueLease(now);
    bool lease = m != nullptr;
    if (m == nullptr) m = q->DueExpiry(now);
    if (m == nullptr) break;
    changed = true;
    aof.BeginEffects();
    if (lease) {
      Fail(db, key, q, m, QueueCause::kTimeout, -1, false, nullptr, now);
    } else {
      Expire(db, key, q, m, now);
    }
    aof.EndEffects();
    if (!StillThere(db, key, q)) {
      // A hook deleted or moved it: if it still exists somewhere, it is found next time.
      Touched(db, key);
      if (registry_.Contains(q)) q->Rearm();
      return;
    }
  }
  q->PruneDedup(now);
  q->Rearm();
  if (changed) {
    server_.stats().dirty++;
    Touched(db, key);
  }
}

void QueueService::ArmTimer() {
  int64_t due = registry_.EarliestDue();
  if (due == timer_due_) return;
  timer_due_ = due;
  if (due == 0) {
    uv_timer_stop(&timer_);
    return;
  }
  server_.RefreshClock();
  int64_t delay = due - server_.now_ms();
  // Never re-arm at once: libuv runs a timer that is due again before it polls, so work that is
  // due but cannot run yet (while the log loads, or a script keeps the server busy) would spin
  // here and the loop would never get back to loading or to clients.
  int64_t floor = server_.loading() || !server_.busy_reply().empty() ? 10 : 1;
  if (delay < floor) delay = floor;
  uv_timer_start(&timer_, OnTimer, static_cast<uint64_t>(delay), 0);
}

void QueueService::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<QueueService*>(timer->data);
  self->timer_due_ = 0;
  self->server_.RefreshClock();
  // The whole of an iteration's deferred work: the timers (a before-sleep hook), the log, the
  // replies of consumers they served.
  self->server_.RunPendingWork();
}

// ---------------------------------------------------------------------------------------------
// QBIND

size_t QueueService::OnPublish(std::string_view channel, std::string_view message) {
  if (registry_.bound().empty() || server_.loading()) return 0;
  std::vector<Queue*> matching;
  for (Queue* q : registry_.bound()) {
    for (const std::string& pattern : q->bindings()) {
      if (GlobMatch(pattern, channel)) {
        matching.push_back(q);
        break;
      }
    }
  }
  size_t receivers = 0;
  int64_t now = server_.now_ms();
  for (Queue* q : matching) {
    int db = 0;
    std::string key;
    if (!registry_.Contains(q) || !Locate(q, &db, &key)) continue;
    QueuePushRequest req;
    req.payload = message;
    StreamID id;
    if (Push(db, key, q, req, now, &id) == QueuePushStatus::kPushed) {
      ++receivers;
      Touched(db, key);
    }
  }
  return receivers;
}

Queue* GetQueue(CommandContext& ctx, std::string_view key, bool create, bool* failed) {
  *failed = false;
  bool wrong = false;
  Object* obj = FindTyped(ctx, key, ObjType::kQueue, &wrong);
  if (wrong) {
    *failed = true;
    return nullptr;
  }
  int db = ctx.db.index();
  if (obj != nullptr) {
    auto* queue = obj->As<Queue>();
    queue->SetLocation(db, key);
    return queue;
  }
  if (!create) return nullptr;
  return QueueService::Of(ctx.server).Lookup(db, key, ctx.now_ms, true, &wrong);
}

}  // namespace sluice
