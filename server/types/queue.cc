#include "server/types/queue.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "server/types/serialize.h"

namespace sluice {
namespace {

// What malloc really hands out for a request (glibc: 8 bytes of header, 16-byte granules, 32
// at least), so MEMORY USAGE and the per-message budget measure what the process pays.
size_t AllocatedSize(size_t request) {
  size_t chunk = (request + 8 + 15) & ~static_cast<size_t>(15);
  return chunk < 32 ? 32 : chunk;
}

size_t StringHeap(const std::string& s) {
  return s.capacity() > 15 ? AllocatedSize(s.capacity() + 1) : 0;
}

thread_local QueueRegistry* g_current_registry = nullptr;

}  // namespace

std::string_view QueueStateName(QueueState state) {
  switch (state) {
    case QueueState::kReady:
      return "ready";
    case QueueState::kDelayed:
      return "delayed";
    case QueueState::kInflight:
      return "inflight";
    case QueueState::kWaiting:
      return "waiting";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Registry

QueueRegistry::~QueueRegistry() {
  for (Queue* q : queues_) {
    q->registry_ = nullptr;
    q->armed_due_ = 0;
  }
  if (g_current_registry == this) g_current_registry = nullptr;
}

QueueRegistry* QueueRegistry::Current() { return g_current_registry; }

void QueueRegistry::SetCurrent(QueueRegistry* registry) { g_current_registry = registry; }

std::vector<Queue*> QueueRegistry::TakeDue(int64_t now) {
  std::vector<Queue*> due;
  while (!schedule_.empty() && schedule_.begin()->first <= now) {
    Queue* q = schedule_.begin()->second;
    q->armed_due_ = 0;
    schedule_.erase(schedule_.begin());
    due.push_back(q);
  }
  return due;
}

// ---------------------------------------------------------------------------------------------
// Construction

Queue::Queue() : registry_(QueueRegistry::Current()) {
  if (registry_ != nullptr) registry_->queues_.insert(this);
}

Queue::~Queue() {
  if (registry_ != nullptr) {
    if (armed_due_ != 0) registry_->schedule_.erase(armed_it_);
    registry_->queues_.erase(this);
    registry_->bound_.erase(this);
  }
  // Every message is in exactly one of these places.
  std::vector<QueueMessage*> all;
  ForEachMessage([&](QueueMessage* m) { all.push_back(m); });
  for (QueueMessage* m : all) free(m);
}

std::unique_ptr<Collection> Queue::Clone() const {
  auto copy = std::make_unique<Queue>();
  copy->config_ = config_;
  copy->stats_ = stats_;
  copy->last_id_ = last_id_;
  for (const std::string& b : bindings_) copy->Bind(b);
  copy->dedup_ = dedup_;
  copy->dedup_order_ = dedup_order_;
  for (QueueMessage* m : AllById()) {
    QueueAddSpec spec;
    spec.id = m->id;
    spec.payload = m->payload();
    spec.priority = m->priority;
    if (const QueueMeta* meta = MetaOf(m)) {
      spec.avail = meta->avail;
      spec.ttl_at = meta->ttl_at;
      spec.deliveries = meta->deliveries;
      if (meta->group != nullptr) spec.group = meta->group->name;
      spec.last_error = meta->last_error;
      spec.dead_reason = meta->dead_reason;
      spec.origin = meta->origin;
      if (m->state == QueueState::kInflight) {
        spec.leased = true;
        spec.deadline = meta->deadline;
        spec.consumer = meta->consumer;
      }
    }
    // Time 0: whatever is not plainly ready waits as delayed and is promoted on first use.
    copy->Add(spec, 0);
  }
  copy->Rearm();
  return copy;
}

size_t Queue::MemoryUsage() const {
  size_t bytes = sizeof(Queue) + message_bytes_;
  for (const Lane& lane : lanes_) {
    // A deque stores 64 pointers per 512-byte block.
    bytes += (lane.plain.size() + 63) / 64 * AllocatedSize(512) + lane.others.MemoryUsage();
  }
  bytes += delayed_.MemoryUsage() + inflight_.MemoryUsage() + expiries_.MemoryUsage();
  // An unordered_map node holds the pair, a next pointer and the cached hash.
  size_t meta_node = AllocatedSize(sizeof(std::pair<const StreamID, QueueMeta>) + 16);
  bytes += meta_.size() * (meta_node + sizeof(void*)) + meta_.bucket_count() * sizeof(void*);
  for (const auto& [id, meta] : meta_) {
    bytes += StringHeap(meta.consumer) + StringHeap(meta.last_error) +
             StringHeap(meta.dead_reason) + StringHeap(meta.origin);
  }
  for (const auto& [name, group] : groups_) {
    bytes += AllocatedSize(sizeof(QueueGroup)) + StringHeap(name) + StringHeap(group->name) +
             (group->backlog.size() + 63) / 64 * AllocatedSize(512);
  }
  for (const auto& [name, entry] : dedup_) {
    bytes += AllocatedSize(sizeof(std::pair<const std::string, QueueDedupEntry>) + 16) +
             2 * StringHeap(name) + sizeof(std::pair<int64_t, std::string>);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Messages and their meta

QueueMessage* Queue::NewMessage(const StreamID& id, std::string_view payload, uint8_t priority) {
  void* block = malloc(sizeof(QueueMessage) + payload.size());
  if (block == nullptr) throw std::bad_alloc();
  auto* m = new (block) QueueMessage{
      id, static_cast<uint32_t>(payload.size()), priority, QueueState::kReady, false, 0};
  if (!payload.empty()) memcpy(m + 1, payload.data(), payload.size());
  return m;
}

void Queue::FreeMessage(QueueMessage* m) {
  message_bytes_ -= AllocatedSize(sizeof(QueueMessage) + m->len);
  if (m->has_meta) meta_.erase(m->id);
  free(m);
}

QueueMeta& Queue::EnsureMeta(QueueMessage* m) {
  if (m->has_meta) return meta_.find(m->id)->second;
  QueueMeta& meta = meta_[m->id];
  meta.msg = m;
  meta.avail = static_cast<int64_t>(m->id.ms);
  m->has_meta = true;
  return meta;
}

QueueMeta* Queue::MutableMeta(const QueueMessage* m) {
  if (!m->has_meta) return nullptr;
  auto it = meta_.find(m->id);
  return it == meta_.end() ? nullptr : &it->second;
}

const QueueMeta* Queue::MetaOf(const QueueMessage* m) const {
  if (!m->has_meta) return nullptr;
  auto it = meta_.find(m->id);
  return it == meta_.end() ? nullptr : &it->second;
}

uint32_t Queue::Deliveries(const QueueMessage* m) const {
  const QueueMeta* meta = MetaOf(m);
  return meta == nullptr ? 0 : meta->deliveries;
}

int64_t Queue::AvailableAt(const QueueMessage* m) const {
  const QueueMeta* meta = MetaOf(m);
  return meta == nullptr ? static_cast<int64_t>(m->id.ms) : meta->avail;
}

QueueTimeKey Queue::ReadyKey(const QueueMessage* m) const {
  return QueueTimeKey{AvailableAt(m), m->id};
}

bool Queue::NextId(int64_t now, StreamID* id) const {
  uint64_t ms = now < 0 ? 0 : static_cast<uint64_t>(now);
  if (ms > last_id_.ms) {
    *id = StreamID{ms, 0};
    return true;
  }
  *id = last_id_;
  return id->Increment();
}

QueueMessage* Queue::Add(const QueueAddSpec& spec, int64_t now) {
  set_last_id(spec.id);
  uint8_t priority = spec.priority < kQueuePriorities ? spec.priority : kQueuePriorities - 1;
  QueueMessage* m = NewMessage(spec.id, spec.payload, priority);
  message_bytes_ += AllocatedSize(sizeof(QueueMessage) + m->len);
  auto id_ms = static_cast<int64_t>(spec.id.ms);
  bool needs_meta = spec.avail > id_ms || spec.ttl_at != 0 || spec.deliveries != 0 ||
                    !spec.group.empty() || !spec.last_error.empty() || !spec.dead_reason.empty() ||
                    !spec.origin.empty() || spec.leased;
  if (needs_meta) {
    QueueMeta& meta = EnsureMeta(m);
    meta.avail = std::max(spec.avail, id_ms);
    meta.ttl_at = spec.ttl_at;
    meta.deliveries = spec.deliveries;
    meta.last_error.assign(spec.last_error);
    meta.dead_reason.assign(spec.dead_reason);
    meta.origin.assign(spec.origin);
    ScheduleExpiry(m);
    if (!spec.group.empty()) {
      auto it = groups_.find(std::string(spec.group));
      if (it == groups_.end()) {
        auto group = std::make_unique<QueueGroup>();
        group->name.assign(spec.group);
        it = groups_.emplace(group->name, std::move(group)).first;
      }
      QueueGroup* group = it->second.get();
      meta.group = group;
      if (group->head != nullptr) {
        m->state = QueueState::kWaiting;
        group->backlog.push_back(m);
        ++waiting_;
        Rearm();
        return m;
      }
      group->head = m;
    }
    if (spec.leased) {
      meta.deadline = spec.deadline;
      meta.consumer.assign(spec.consumer);
      m->state = QueueState::kInflight;
      inflight_.Insert(QueueTimeKey{meta.deadline, m->id}, m);
      Rearm();
      return m;
    }
  }
  Place(m, now);
  Rearm();
  return m;
}

QueueMessage* Queue::Find(const StreamID& id) const {
  auto it = meta_.find(id);
  if (it != meta_.end()) return it->second.msg;
  for (const Lane& lane : lanes_) {
    auto pos = std::lower_bound(lane.plain.begin(), lane.plain.end(), id,
                                [](const QueueMessage* m, const StreamID& x) { return m->id < x; });
    if (pos != lane.plain.end() && (*pos)->id == id) return *pos;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Structures by state

void Queue::Place(QueueMessage* m, int64_t now) {
  const QueueMeta* meta = MetaOf(m);
  if (meta != nullptr && meta->avail > now) {
    m->state = QueueState::kDelayed;
    delayed_.Insert(QueueTimeKey{meta->avail, m->id}, m);
    return;
  }
  MakeReady(m);
}

void Queue::MakeReady(QueueMessage* m) {
  m->state = QueueState::kReady;
  ++ready_;
  Lane& lane = lanes_[m->priority];
  if (m->has_meta) {
    lane.others.Insert(ReadyKey(m), m);
    return;
  }
  if (lane.plain.empty() || lane.plain.back()->id < m->id) {
    lane.plain.push_back(m);
    return;
  }
  auto pos = std::lower_bound(lane.plain.begin(), lane.plain.end(), m->id,
                              [](const QueueMessage* a, const StreamID& x) { return a->id < x; });
  lane.plain.insert(pos, m);
}

void Queue::Unlink(QueueMessage* m) {
  switch (m->state) {
    case QueueState::kReady: {
      Lane& lane = lanes_[m->priority];
      if (m->has_meta) {
        lane.others.Erase(ReadyKey(m));
      } else if (!lane.plain.empty() && lane.plain.front() == m) {
        lane.plain.pop_front();
      } else {
        auto pos =
            std::lower_bound(lane.plain.begin(), lane.plain.end(), m->id,
                             [](const QueueMessage* a, const StreamID& x) { return a->id < x; });
        if (pos != lane.plain.end() && *pos == m) lane.plain.erase(pos);
      }
      --ready_;
      break;
    }
    case QueueState::kDelayed:
      delayed_.Erase(QueueTimeKey{AvailableAt(m), m->id});
      break;
    case QueueState::kInflight:
      inflight_.Erase(QueueTimeKey{MetaOf(m)->deadline, m->id});
      break;
    case QueueState::kWaiting: {
      QueueGroup* group = MetaOf(m)->group;
      auto pos = std::find(group->backlog.begin(), group->backlog.end(), m);
      if (pos != group->backlog.end()) group->backlog.erase(pos);
      --waiting_;
      break;
    }
  }
}

void Queue::ReleaseGroup(QueueMessage* m, int64_t now) {
  QueueMeta* meta = MutableMeta(m);
  if (meta == nullptr || meta->group == nullptr) return;
  QueueGroup* group = meta->group;
  meta->group = nullptr;
  if (group->head == m) {
    group->head = nullptr;
    if (!group->backlog.empty()) {
      QueueMessage* next = group->backlog.front();
      group->backlog.pop_front();
      --waiting_;
      group->head = next;
      Place(next, now);
    }
  }
  if (group->head == nullptr && group->backlog.empty()) groups_.erase(group->name);
}

// ---------------------------------------------------------------------------------------------
// Delivery

QueueMessage* Queue::NextReady() const {
  for (int p = kQueuePriorities - 1; p >= 0; --p) {
    const Lane& lane = lanes_[p];
    auto it = lane.others.Begin();
    if (lane.plain.empty()) {
      if (it.valid()) return it.value();
      continue;
    }
    QueueMessage* plain = lane.plain.front();
    if (it.valid() && it.key() < QueueTimeKey{static_cast<int64_t>(plain->id.ms), plain->id}) {
      return it.value();
    }
    return plain;
  }
  return nullptr;
}

void Queue::Lease(QueueMessage* m, int64_t deadline, std::string_view consumer) {
  if (m->state == QueueState::kWaiting) return;  // only a group's head may be delivered
  Unlink(m);
  QueueMeta& meta = EnsureMeta(m);
  ++meta.deliveries;
  meta.deadline = deadline;
  meta.consumer.assign(consumer);
  m->state = QueueState::kInflight;
  inflight_.Insert(QueueTimeKey{deadline, m->id}, m);
  // A plain message expired by RETENTION through its lane; from now on it needs an entry.
  ScheduleExpiry(m);
  Rearm();
}

void Queue::Take(QueueMessage* m, int64_t now) { Remove(m, now); }

void Queue::Extend(QueueMessage* m, int64_t deadline) {
  QueueMeta* meta = MutableMeta(m);
  if (meta == nullptr || m->state != QueueState::kInflight) return;
  inflight_.Erase(QueueTimeKey{meta->deadline, m->id});
  meta->deadline = deadline;
  inflight_.Insert(QueueTimeKey{deadline, m->id}, m);
  Rearm();
}

void Queue::Retry(QueueMessage* m, int64_t avail, const std::string* last_error, int64_t now) {
  if (m->state != QueueState::kInflight) return;
  Unlink(m);
  QueueMeta& meta = EnsureMeta(m);
  meta.avail = avail;
  meta.deadline = 0;
  meta.consumer.clear();
  if (last_error != nullptr) meta.last_error = *last_error;
  Place(m, now);
  Rearm();
}

void Queue::Remove(QueueMessage* m, int64_t now) {
  Unlink(m);
  UnscheduleExpiry(m);
  ReleaseGroup(m, now);
  FreeMessage(m);
  Rearm();
}

size_t Queue::Purge(int64_t now) {
  std::vector<QueueMessage*> doomed;
  ForEachMessage([&](QueueMessage* m) {
    if (m->state != QueueState::kInflight) doomed.push_back(m);
  });
  // Removing a group's head promotes the next one, which is on the list too.
  for (QueueMessage* m : doomed) {
    Unlink(m);
    UnscheduleExpiry(m);
    ReleaseGroup(m, now);
    FreeMessage(m);
  }
  Rearm();
  return doomed.size();
}

size_t Queue::PromoteDue(int64_t now) {
  size_t n = 0;
  while (true) {
    auto it = delayed_.Begin();
    if (!it.valid() || it.key().at > now) break;
    QueueMessage* m = it.value();
    delayed_.Erase(it.key());
    MakeReady(m);
    ++n;
  }
  if (n > 0) Rearm();
  return n;
}

// ---------------------------------------------------------------------------------------------
// Timers

int Queue::OldestPlainLane() const {
  int best = -1;
  for (int p = 0; p < kQueuePriorities; ++p) {
    if (lanes_[p].plain.empty()) continue;
    if (best < 0 || lanes_[p].plain.front()->id < lanes_[best].plain.front()->id) best = p;
  }
  return best;
}

int64_t Queue::NextDue() const {
  int64_t due = std::numeric_limits<int64_t>::max();
  auto consider = [&](int64_t at) { due = std::min(due, at); };
  if (auto it = delayed_.Begin(); it.valid()) consider(it.key().at);
  if (auto it = inflight_.Begin(); it.valid()) consider(it.key().at);
  if (auto it = expiries_.Begin(); it.valid()) consider(it.key().at);
  if (config_.retention_ms > 0) {
    int lane = OldestPlainLane();
    if (lane >= 0) {
      consider(static_cast<int64_t>(lanes_[lane].plain.front()->id.ms) + config_.retention_ms);
    }
  }
  if (!dedup_order_.empty()) consider(dedup_order_.front().first + config_.dedup_window_ms);
  if (due == std::numeric_limits<int64_t>::max()) return 0;
  return due > 0 ? due : 1;
}

QueueMessage* Queue::DueLease(int64_t now) const {
  auto it = inflight_.Begin();
  return it.valid() && it.key().at <= now ? it.value() : nullptr;
}

QueueMessage* Queue::DueExpiry(int64_t now) const {
  if (auto it = expiries_.Begin(); it.valid() && it.key().at <= now) return it.value();
  if (config_.retention_ms > 0) {
    int lane = OldestPlainLane();
    if (lane >= 0) {
      QueueMessage* m = lanes_[lane].plain.front();
      if (static_cast<int64_t>(m->id.ms) + config_.retention_ms <= now) return m;
    }
  }
  return nullptr;
}

void Queue::MarkExpired(QueueMessage* m) {
  QueueMeta& meta = EnsureMeta(m);
  UnscheduleExpiry(m);
  meta.expired = true;
  Rearm();
}

int64_t Queue::ExpiryOf(const QueueMessage* m, const QueueMeta* meta) const {
  int64_t at = meta != nullptr ? meta->ttl_at : 0;
  if (config_.retention_ms > 0) {
    int64_t by_age = static_cast<int64_t>(m->id.ms) + config_.retention_ms;
    at = at == 0 ? by_age : std::min(at, by_age);
  }
  return at;
}

void Queue::ScheduleExpiry(QueueMessage* m) {
  QueueMeta* meta = MutableMeta(m);
  if (meta == nullptr) return;  // plain messages expire through their lane
  int64_t at = meta->expired ? 0 : ExpiryOf(m, meta);
  if (at == meta->expire_at) return;
  if (meta->expire_at != 0) expiries_.Erase(QueueTimeKey{meta->expire_at, m->id});
  meta->expire_at = at;
  if (at != 0) expiries_.Insert(QueueTimeKey{at, m->id}, m);
}

void Queue::UnscheduleExpiry(QueueMessage* m) {
  QueueMeta* meta = MutableMeta(m);
  if (meta == nullptr || meta->expire_at == 0) return;
  expiries_.Erase(QueueTimeKey{meta->expire_at, m->id});
  meta->expire_at = 0;
}

void Queue::RescheduleExpiries() {
  for (auto& [id, meta] : meta_) ScheduleExpiry(meta.msg);
  Rearm();
}

void Queue::Rearm() {
  if (registry_ == nullptr) return;
  int64_t due = NextDue();
  if (due == armed_due_) return;
  if (armed_due_ != 0) registry_->schedule_.erase(armed_it_);
  armed_due_ = due;
  if (due != 0) armed_it_ = registry_->schedule_.emplace(due, this);
}

// ---------------------------------------------------------------------------------------------
// Iteration

std::vector<QueueMessage*> Queue::AllById() const {
  std::vector<QueueMessage*> all;
  all.reserve(total());
  ForEachMessage([&](QueueMessage* m) { all.push_back(m); });
  std::sort(all.begin(), all.end(),
            [](const QueueMessage* a, const QueueMessage* b) { return a->id < b->id; });
  return all;
}

QueueMessage* Queue::OldestReady() const {
  QueueMessage* best = nullptr;
  QueueTimeKey best_key{};
  auto consider = [&](QueueMessage* m) {
    QueueTimeKey key = ReadyKey(m);
    if (best == nullptr || key < best_key) {
      best = m;
      best_key = key;
    }
  };
  for (const Lane& lane : lanes_) {
    if (!lane.plain.empty()) consider(lane.plain.front());
    if (auto it = lane.others.Begin(); it.valid()) consider(it.value());
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Deduplication and bindings

const QueueDedupEntry* Queue::FindDedup(std::string_view dedup, int64_t now) const {
  auto it = dedup_.find(std::string(dedup));
  if (it == dedup_.end()) return nullptr;
  if (now - it->second.seen_at >= config_.dedup_window_ms) return nullptr;
  return &it->second;
}

void Queue::RecordDedup(std::string_view dedup, const StreamID& id, int64_t seen_at) {
  std::string name(dedup);
  dedup_[name] = QueueDedupEntry{id, seen_at};
  dedup_order_.emplace_back(seen_at, std::move(name));
  Rearm();
}

void Queue::PruneDedup(int64_t now) {
  bool changed = false;
  while (!dedup_order_.empty()) {
    const auto& [seen, name] = dedup_order_.front();
    auto it = dedup_.find(name);
    if (it != dedup_.end() && it->second.seen_at == seen) {
      if (seen + config_.dedup_window_ms > now) break;
      dedup_.erase(it);
    }
    dedup_order_.pop_front();
    changed = true;
  }
  if (changed) Rearm();
}

bool Queue::Bind(std::string_view pattern) {
  if (std::find(bindings_.begin(), bindings_.end(), pattern) != bindings_.end()) return false;
  bindings_.emplace_back(pattern);
  if (registry_ != nullptr) registry_->bound_.insert(this);
  return true;
}

bool Queue::Unbind(std::string_view pattern) {
  auto it = std::find(bindings_.begin(), bindings_.end(), pattern);
  if (it == bindings_.end()) return false;
  bindings_.erase(it);
  if (bindings_.empty() && registry_ != nullptr) registry_->bound_.erase(this);
  return true;
}

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE

namespace {

constexpr uint8_t kHasMeta = 1;
constexpr uint8_t kLeased = 2;

}  // namespace

void DumpQueue(const Object& obj, PayloadWriter& out) {
  const Queue& q = *obj.As<Queue>();
  const QueueConfig& c = q.config();
  out.PutVarint(static_cast<uint64_t>(c.visibility_ms));
  out.PutVarint(static_cast<uint64_t>(c.max_deliveries));
  out.PutString(c.dead_letter);
  out.PutByte(static_cast<uint8_t>(c.backoff));
  out.PutVarint(static_cast<uint64_t>(c.backoff_base_ms));
  out.PutVarint(static_cast<uint64_t>(c.backoff_max_ms));
  out.PutVarint(static_cast<uint64_t>(c.jitter_percent));
  out.PutVarint(static_cast<uint64_t>(c.retention_ms));
  out.PutVarint(static_cast<uint64_t>(c.max_len));
  out.PutByte(static_cast<uint8_t>(c.overflow));
  out.PutVarint(static_cast<uint64_t>(c.dedup_window_ms));
  out.PutString(c.retry_hook);
  out.PutString(c.route_hook);
  out.PutVarint(q.last_id().ms);
  out.PutVarint(q.last_id().seq);
  const QueueStats& s = q.stats();
  for (uint64_t v : {s.pushed, s.delivered, s.acked, s.nacked, s.timeouts, s.deadlettered,
                     s.dropped, s.dedup_hits, s.hook_errors, s.moved}) {
    out.PutVarint(v);
  }
  out.PutVarint(q.bindings().size());
  for (const std::string& b : q.bindings()) out.PutString(b);
  size_t dedups = 0;
  q.ForEachDedup([&](const std::string&, const QueueDedupEntry&) { ++dedups; });
  out.PutVarint(dedups);
  q.ForEachDedup([&](const std::string& name, const QueueDedupEntry& e) {
    out.PutString(name);
    out.PutVarint(e.id.ms);
    out.PutVarint(e.id.seq);
    out.PutFixed64(static_cast<uint64_t>(e.seen_at));
  });
  std::vector<QueueMessage*> all = q.AllById();
  out.PutVarint(all.size());
  for (const QueueMessage* m : all) {
    const QueueMeta* meta = q.MetaOf(m);
    out.PutVarint(m->id.ms);
    out.PutVarint(m->id.seq);
    out.PutString(m->payload());
    out.PutByte(m->priority);
    uint8_t flags =
        (meta != nullptr ? kHasMeta : 0) | (m->state == QueueState::kInflight ? kLeased : 0);
    out.PutByte(flags);
    if (meta == nullptr) continue;
    out.PutFixed64(static_cast<uint64_t>(meta->avail));
    out.PutFixed64(static_cast<uint64_t>(meta->ttl_at));
    out.PutVarint(meta->deliveries);
    out.PutString(meta->group != nullptr ? std::string_view(meta->group->name) : "");
    out.PutString(meta->last_error);
    out.PutString(meta->dead_reason);
    out.PutString(meta->origin);
    if (flags & kLeased) {
      out.PutFixed64(static_cast<uint64_t>(meta->deadline));
      out.PutString(meta->consumer);
    }
  }
}

bool LoadQueue(PayloadReader& in, Object* out) {
  auto q = std::make_unique<Queue>();
  QueueConfig& c = q->config();
  uint64_t v[8];
  uint8_t backoff = 0;
  uint8_t overflow = 0;
  std::string_view dead_letter, retry_hook, route_hook;
  if (!in.ReadVarint(&v[0]) || !in.ReadVarint(&v[1]) || !in.ReadString(&dead_letter) ||
      !in.ReadByte(&backoff) || !in.ReadVarint(&v[2]) || !in.ReadVarint(&v[3]) ||
      !in.ReadVarint(&v[4]) || !in.ReadVarint(&v[5]) || !in.ReadVarint(&v[6]) ||
      !in.ReadByte(&overflow) || !in.ReadVarint(&v[7]) || !in.ReadString(&retry_hook) ||
      !in.ReadString(&route_hook)) {
    return false;
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (uint64_t x : v) {
    if (x > kMax) return false;
  }
  if (v[0] == 0 || v[4] > 100 || backoff > 1 || overflow > 2) return false;
  c.visibility_ms = static_cast<int64_t>(v[0]);
  c.max_deliveries = static_cast<int64_t>(v[1]);
  c.dead_letter.assign(dead_letter);
  c.backoff = static_cast<QueueBackoff>(backoff);
  c.backoff_base_ms = static_cast<int64_t>(v[2]);
  c.backoff_max_ms = static_cast<int64_t>(v[3]);
  c.jitter_percent = static_cast<int64_t>(v[4]);
  c.retention_ms = static_cast<int64_t>(v[5]);
  c.max_len = static_cast<int64_t>(v[6]);
  c.overflow = static_cast<QueueOverflow>(overflow);
  c.dedup_window_ms = static_cast<int64_t>(v[7]);
  c.retry_hook.assign(retry_hook);
  c.route_hook.assign(route_hook);
  StreamID last;
  if (!in.ReadVarint(&last.ms) || !in.ReadVarint(&last.seq)) return false;
  QueueStats& s = q->stats();
  for (uint64_t* field : {&s.pushed, &s.delivered, &s.acked, &s.nacked, &s.timeouts,
                          &s.deadlettered, &s.dropped, &s.dedup_hits, &s.hook_errors, &s.moved}) {
    if (!in.ReadVarint(field)) return false;
  }
  uint64_t n = 0;
  if (!in.ReadCount(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view b;
    if (!in.ReadString(&b)) return false;
    q->Bind(b);
  }
  if (!in.ReadCount(&n, 3)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name;
    StreamID id;
    uint64_t seen = 0;
    if (!in.ReadString(&name) || !in.ReadVarint(&id.ms) || !in.ReadVarint(&id.seq) ||
        !in.ReadFixed64(&seen)) {
      return false;
    }
    q->RecordDedup(name, id, static_cast<int64_t>(seen));
  }
  if (!in.ReadCount(&n, 5)) return false;
  StreamID previous;
  for (uint64_t i = 0; i < n; ++i) {
    QueueAddSpec spec;
    uint8_t priority = 0;
    uint8_t flags = 0;
    if (!in.ReadVarint(&spec.id.ms) || !in.ReadVarint(&spec.id.seq) ||
        !in.ReadString(&spec.payload) || !in.ReadByte(&priority) || !in.ReadByte(&flags)) {
      return false;
    }
    // IDs in strictly increasing order: unique, and groups rebuilt in push order.
    if (priority >= kQueuePriorities || spec.id.IsZero() || !(previous < spec.id) ||
        (flags & ~(kHasMeta | kLeased)) != 0 || ((flags & kLeased) && !(flags & kHasMeta))) {
      return false;
    }
    previous = spec.id;
    spec.priority = priority;
    if (flags & kHasMeta) {
      uint64_t avail = 0;
      uint64_t ttl_at = 0;
      uint64_t deliveries = 0;
      if (!in.ReadFixed64(&avail) || !in.ReadFixed64(&ttl_at) || !in.ReadVarint(&deliveries) ||
          !in.ReadString(&spec.group) || !in.ReadString(&spec.last_error) ||
          !in.ReadString(&spec.dead_reason) || !in.ReadString(&spec.origin) ||
          deliveries > UINT32_MAX) {
        return false;
      }
      spec.avail = static_cast<int64_t>(avail);
      spec.ttl_at = static_cast<int64_t>(ttl_at);
      spec.deliveries = static_cast<uint32_t>(deliveries);
      if (flags & kLeased) {
        uint64_t deadline = 0;
        if (!in.ReadFixed64(&deadline) || !in.ReadString(&spec.consumer)) return false;
        spec.leased = true;
        spec.deadline = static_cast<int64_t>(deadline);
      }
    }
    // Time 0: what is not plainly ready waits as delayed and is promoted on first use.
    q->Add(spec, 0);
  }
  q->set_last_id(last);
  q->Rearm();
  *out = Object(std::move(q));
  return true;
}

}  // namespace sluice
