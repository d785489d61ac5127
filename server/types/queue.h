// Reliable queues: the data structure behind the `queue` type (QPUSH, QPOP, QACK ...).
//
// A message is ready, delayed, in flight (leased until a deadline) or waiting (behind an earlier
// message of its GROUP). Ready messages leave by priority (9 first), then by the time they
// became available, then by ID. Everything here is pure data: times are passed in, nothing reads
// a clock, logs or calls hooks; the policies (retries, dead letters, hooks, durability) live in
// server/commands/queue_service.h.
//
// Memory. Most queued messages were pushed once and never touched. Such a *plain* message is one
// allocation (a 24-byte header and the payload) referenced from its priority lane, a deque of
// pointers in ID order: about 104 bytes for a 64-byte payload. Everything else a message can
// carry (delivery count, lease, delay, group, TTL, errors, dead-letter origin) lives in a side
// table of QueueMeta keyed by ID, paid for only by messages that have it. A lane therefore has
// two parts: the plain messages (deque, ID order, found by binary search) and the others (a
// B+ tree ordered by availability time and ID); the next message of a lane is the smaller front.
//
// Timers. Each queue knows its next due time (a delayed message's availability, a lease
// deadline, an expiry, a dedup entry leaving the window) and keeps itself scheduled in its
// QueueRegistry, one per server, which the server's timer drains.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/types/object.h"
#include "server/types/stream_btree.h"
#include "server/types/stream_id.h"

namespace sluice {

inline constexpr int kQueuePriorities = 10;

enum class QueueState : uint8_t { kReady, kDelayed, kInflight, kWaiting };
std::string_view QueueStateName(QueueState state);

enum class QueueOverflow : uint8_t { kReject, kDropOldest, kDeadLetter };
enum class QueueBackoff : uint8_t { kFixed, kExponential };

struct QueueConfig {
  int64_t visibility_ms = 30000;
  int64_t max_deliveries = 0;  // 0: unlimited
  std::string dead_letter;     // empty: none
  QueueBackoff backoff = QueueBackoff::kExponential;
  int64_t backoff_base_ms = 1000;  // the fixed delay for FIXED
  int64_t backoff_max_ms = 300000;
  int64_t jitter_percent = 0;
  int64_t retention_ms = 0;  // 0: forever
  int64_t max_len = 0;       // 0: unbounded
  QueueOverflow overflow = QueueOverflow::kReject;
  int64_t dedup_window_ms = 300000;
  std::string retry_hook;
  std::string route_hook;
};

// Counters since the queue was created (QINFO).
struct QueueStats {
  uint64_t pushed = 0;
  uint64_t delivered = 0;
  uint64_t acked = 0;
  uint64_t nacked = 0;
  uint64_t timeouts = 0;
  uint64_t deadlettered = 0;
  uint64_t dropped = 0;
  uint64_t dedup_hits = 0;
  uint64_t hook_errors = 0;
  uint64_t moved = 0;
};

// One message: this header, then `len` payload bytes, in one allocation.
struct QueueMessage {
  StreamID id;
  uint32_t len;
  uint8_t priority;
  QueueState state;
  bool has_meta;
  uint8_t reserved;

  std::string_view payload() const {
    return {reinterpret_cast<const char*>(this + 1), static_cast<size_t>(len)};
  }
};
static_assert(sizeof(QueueMessage) == 24, "the header is part of the memory budget");

struct QueueGroup;

// What a message carries beyond the plain case.
struct QueueMeta {
  QueueMessage* msg = nullptr;
  int64_t avail = 0;      // when it is (or was) available for delivery
  int64_t deadline = 0;   // in flight: the lease deadline
  int64_t ttl_at = 0;     // its own TTL deadline (QPUSH TTL), 0 for none
  int64_t expire_at = 0;  // the effective expiry (TTL or RETENTION) it is scheduled under, or 0
  uint32_t deliveries = 0;
  // Its expiry passed while it was in flight: a failed delivery dead-letters it as expired.
  bool expired = false;
  QueueGroup* group = nullptr;
  std::string consumer;
  std::string last_error;
  std::string dead_reason;
  std::string origin;
};

// A GROUP: its head (the one message that may be ready, delayed or in flight) and the messages
// waiting behind it in push order.
struct QueueGroup {
  std::string name;
  QueueMessage* head = nullptr;
  std::deque<QueueMessage*> backlog;
};

// A message to add with everything already decided (the ID, times): pushes, dead-letter
// arrivals, and replay of the log, which records adds in this form.
struct QueueAddSpec {
  StreamID id;
  std::string_view payload;
  uint8_t priority = 0;
  int64_t avail = 0;  // 0 or <= the ID's time: available at once
  int64_t ttl_at = 0;
  uint32_t deliveries = 0;
  std::string_view group;
  std::string_view last_error;
  std::string_view dead_reason;
  std::string_view origin;
  bool leased = false;  // in flight until `deadline`, held by `consumer`
  int64_t deadline = 0;
  std::string_view consumer;
};

// (time, ID): the order of delayed messages, leases, expiries and non-plain ready messages.
struct QueueTimeKey {
  int64_t at;
  StreamID id;
  friend constexpr auto operator<=>(const QueueTimeKey&, const QueueTimeKey&) = default;
};

struct QueueDedupEntry {
  StreamID id;
  int64_t seen_at;
};

class Queue;

// The queues of one server and when each is next due. Queues join the registry that is current
// on their thread when they are built (the server sets its own), and leave it when destroyed,
// so copies (COPY), restored keys and replayed ones are scheduled without the keyspace's help.
class QueueRegistry {
 public:
  QueueRegistry() = default;
  ~QueueRegistry();
  QueueRegistry(const QueueRegistry&) = delete;
  QueueRegistry& operator=(const QueueRegistry&) = delete;

  static QueueRegistry* Current();
  static void SetCurrent(QueueRegistry* registry);

  // The earliest due time of any queue, 0 when none is scheduled.
  int64_t EarliestDue() const { return schedule_.empty() ? 0 : schedule_.begin()->first; }
  // Removes and returns the queues due at or before `now`; each is scheduled again by its next
  // change or by Queue::Rearm().
  std::vector<Queue*> TakeDue(int64_t now);
  // Queues with at least one QBIND binding.
  const std::unordered_set<Queue*>& bound() const { return bound_; }
  size_t size() const { return queues_.size(); }
  // Whether `q` is a live queue of this registry (a hook may have deleted one being processed).
  bool Contains(const Queue* q) const { return queues_.count(const_cast<Queue*>(q)) != 0; }

 private:
  friend class Queue;
  std::multimap<int64_t, Queue*> schedule_;
  std::unordered_set<Queue*> queues_;
  std::unordered_set<Queue*> bound_;
};

class Queue : public Collection {
 public:
  Queue();
  ~Queue() override;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Collection.
  ObjType type() const override { return ObjType::kQueue; }
  std::string_view Encoding() const override { return "queue"; }
  std::unique_ptr<Collection> Clone() const override;
  size_t MemoryUsage() const override;
  size_t Length() const override { return total(); }

  QueueConfig& config() { return config_; }
  const QueueConfig& config() const { return config_; }
  QueueStats& stats() { return stats_; }
  const QueueStats& stats() const { return stats_; }

  // IDs: increasing, like stream IDs. NextId is the ID a push at `now` gets; false once the
  // largest ID is used.
  const StreamID& last_id() const { return last_id_; }
  void set_last_id(const StreamID& id) {
    if (last_id_ < id) last_id_ = id;
  }
  bool NextId(int64_t now, StreamID* id) const;

  // Adds a message as described (the ID must be new; set_last_id is applied). Placement: a
  // leased message is in flight; one of a group whose head is taken waits; otherwise it is
  // ready, or delayed while its availability is after `now`.
  QueueMessage* Add(const QueueAddSpec& spec, int64_t now);

  QueueMessage* Find(const StreamID& id) const;
  // The extra state of a message, or null for a plain one.
  const QueueMeta* MetaOf(const QueueMessage* m) const;
  uint32_t Deliveries(const QueueMessage* m) const;
  int64_t AvailableAt(const QueueMessage* m) const;

  // --- Delivery

  // The next message to deliver (ready, highest priority, earliest), or null.
  QueueMessage* NextReady() const;
  // Hands a ready (or delayed: log replay) message to a consumer until `deadline`.
  void Lease(QueueMessage* m, int64_t deadline, std::string_view consumer);
  // Delivers and forgets a message (NOACK). Frees it.
  void Take(QueueMessage* m, int64_t now);
  void Extend(QueueMessage* m, int64_t deadline);
  void SetLastError(QueueMessage* m, std::string_view error) { EnsureMeta(m).last_error = error; }
  // A failed delivery of an in-flight message: available again at `avail`.
  void Retry(QueueMessage* m, int64_t avail, const std::string* last_error, int64_t now);
  // Removes a message in any state (acknowledged, deleted, dead-lettered ...) and frees it; the
  // next message of its group becomes the head.
  void Remove(QueueMessage* m, int64_t now);
  // Removes every ready, delayed and waiting message; returns how many.
  size_t Purge(int64_t now);
  // Delayed messages whose time has come become ready; returns how many.
  size_t PromoteDue(int64_t now);

  // --- Timers

  // The earliest time something is due (0: nothing).
  int64_t NextDue() const;
  // The in-flight message with the earliest deadline if it has passed, else null.
  QueueMessage* DueLease(int64_t now) const;
  // The earliest message whose expiry (TTL or RETENTION) has passed, else null.
  QueueMessage* DueExpiry(int64_t now) const;
  // An in-flight message's expiry passed: it stays with its consumer, and is dead-lettered as
  // expired if that delivery fails.
  void MarkExpired(QueueMessage* m);
  // Recomputes every message's expiry after RETENTION changed.
  void RescheduleExpiries();
  // Re-enters the registry's schedule at NextDue() (after TakeDue, or any change).
  void Rearm();

  // --- Iteration

  // Ready messages in delivery order; `f(QueueMessage*)` returns false to stop.
  template <typename F>
  void ForEachReady(F f) const;
  // In-flight messages by deadline.
  template <typename F>
  void ForEachInflight(F f) const {
    for (auto it = inflight_.Begin(); it.valid(); it.Next()) {
      if (!f(it.value())) return;
    }
  }
  // Every message, in no particular order.
  template <typename F>
  void ForEachMessage(F f) const;
  // Every message ordered by ID.
  std::vector<QueueMessage*> AllById() const;
  // The ready message waiting longest (the lane fronts' earliest availability), or null.
  QueueMessage* OldestReady() const;

  // --- Counts

  size_t ready() const { return ready_; }
  size_t waiting() const { return waiting_; }
  size_t delayed() const { return delayed_.size(); }
  size_t inflight() const { return inflight_.size(); }
  size_t total() const { return ready_ + waiting_ + delayed_.size() + inflight_.size(); }

  // --- Deduplication

  // The message a dedup ID named within the window ending at `now`, or null.
  const QueueDedupEntry* FindDedup(std::string_view dedup, int64_t now) const;
  void RecordDedup(std::string_view dedup, const StreamID& id, int64_t seen_at);
  void PruneDedup(int64_t now);
  // Entries in the order they were seen.
  template <typename F>
  void ForEachDedup(F f) const {
    for (const auto& [seen, name] : dedup_order_) {
      auto it = dedup_.find(name);
      if (it != dedup_.end() && it->second.seen_at == seen) f(name, it->second);
    }
  }

  // --- Bindings (QBIND): channels or patterns whose PUBLISHed messages are pushed here.
  const std::vector<std::string>& bindings() const { return bindings_; }
  bool Bind(std::string_view pattern);
  bool Unbind(std::string_view pattern);

  // Where the server last saw this queue: timers use it to name the key they act on, and check
  // it (a RENAME, MOVE or SWAPDB makes it stale; the server then searches).
  int location_db() const { return location_db_; }
  const std::string& location_key() const { return location_key_; }
  void SetLocation(int db, std::string_view key) {
    location_db_ = db;
    if (location_key_ != key) location_key_.assign(key);
  }

 private:
  struct IdHash {
    size_t operator()(const StreamID& id) const {
      return std::hash<uint64_t>{}(id.ms * 0x9e3779b97f4a7c15ULL ^ id.seq);
    }
  };
  struct Lane {
    std::deque<QueueMessage*> plain;               // ID order
    BTreeMap<QueueTimeKey, QueueMessage*> others;  // (availability, ID) order
  };

  static QueueMessage* NewMessage(const StreamID& id, std::string_view payload, uint8_t priority);
  void FreeMessage(QueueMessage* m);
  QueueMeta& EnsureMeta(QueueMessage* m);
  QueueMeta* MutableMeta(const QueueMessage* m);
  // Places a message that is not in any structure as ready or delayed by its availability.
  void Place(QueueMessage* m, int64_t now);
  void MakeReady(QueueMessage* m);
  // Takes a message out of the structure of its state (not its group or meta).
  void Unlink(QueueMessage* m);
  QueueTimeKey ReadyKey(const QueueMessage* m) const;
  // The effective expiry of a message under the current RETENTION (0: none).
  int64_t ExpiryOf(const QueueMessage* m, const QueueMeta* meta) const;
  void ScheduleExpiry(QueueMessage* m);
  void UnscheduleExpiry(QueueMessage* m);
  // Whether the message needs no meta: ready, never delivered, nothing special.
  bool IsPlain(const QueueMeta& meta) const;
  void ReleaseGroup(QueueMessage* m, int64_t now);
  // Lane with the next plain message to expire under RETENTION, or -1.
  int OldestPlainLane() const;

  QueueConfig config_;
  QueueStats stats_;
  StreamID last_id_;
  Lane lanes_[kQueuePriorities];
  BTreeMap<QueueTimeKey, QueueMessage*> delayed_;   // by availability
  BTreeMap<QueueTimeKey, QueueMessage*> inflight_;  // by deadline
  BTreeMap<QueueTimeKey, QueueMessage*> expiries_;  // by expiry (non-plain messages)
  std::unordered_map<StreamID, QueueMeta, IdHash> meta_;
  std::unordered_map<std::string, std::unique_ptr<QueueGroup>> groups_;
  size_t ready_ = 0;
  size_t waiting_ = 0;
  size_t message_bytes_ = 0;
  std::unordered_map<std::string, QueueDedupEntry> dedup_;
  std::deque<std::pair<int64_t, std::string>> dedup_order_;
  std::vector<std::string> bindings_;

  QueueRegistry* registry_ = nullptr;
  int64_t armed_due_ = 0;
  std::multimap<int64_t, Queue*>::iterator armed_it_;
  int location_db_ = -1;
  std::string location_key_;

  friend class QueueRegistry;
};

template <typename F>
void Queue::ForEachReady(F f) const {
  for (int p = kQueuePriorities - 1; p >= 0; --p) {
    const Lane& lane = lanes_[p];
    size_t i = 0;
    auto it = lane.others.Begin();
    while (i < lane.plain.size() || it.valid()) {
      QueueMessage* m;
      if (i < lane.plain.size() &&
          (!it.valid() || QueueTimeKey{static_cast<int64_t>(lane.plain[i]->id.ms),
                                       lane.plain[i]->id} < it.key())) {
        m = lane.plain[i++];
      } else {
        m = it.value();
        it.Next();
      }
      if (!f(m)) return;
    }
  }
}

template <typename F>
void Queue::ForEachMessage(F f) const {
  for (const Lane& lane : lanes_) {
    for (QueueMessage* m : lane.plain) f(m);
    for (auto it = lane.others.Begin(); it.valid(); it.Next()) f(it.value());
  }
  for (auto it = delayed_.Begin(); it.valid(); it.Next()) f(it.value());
  for (auto it = inflight_.Begin(); it.valid(); it.Next()) f(it.value());
  for (const auto& [name, group] : groups_) {
    for (QueueMessage* m : group->backlog) f(m);
  }
}

class PayloadWriter;
class PayloadReader;
// DUMP / RESTORE payload bodies (server/types/serialize.h): every message with its state, the
// options, counters, dedup window and bindings.
void DumpQueue(const Object& obj, PayloadWriter& out);
bool LoadQueue(PayloadReader& in, Object* out);

}  // namespace sluice
