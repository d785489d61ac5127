// Reliable queues on a server: the policies over the data structure of server/types/queue.h and
// their durability. Shared by the queue command handlers (queue_family.cc,
// queue_admin_family.cc), the server-side timers, PUBLISH (QBIND) and log replay.
//
// Policies: pushes with deduplication, ROUTEHOOK routing and the overflow rule; leases; failed
// deliveries (a QNACK or an expired lease) with backoff and jitter, MAXDELIVERIES, RETRYHOOK and
// dead-lettering; expiry by TTL and RETENTION; QREDRIVE; QBIND.
//
// Durability. Every change is recorded in the append-only log in a form that replays to the same
// state without consulting the clock, randomness or hooks: the commands that are deterministic
// (QACK, QDEL, QPURGE, QCREATE, QCONFIG SET, QBIND) as themselves, everything else as
// QEFFECT records carrying the IDs, deadlines and decisions taken (see the Op functions below).
// Timer work happens outside any command and brackets its records so each message's change
// replays as one unit. While the log replays no timer runs and no hook is called.
//
// Timers. Each queue keeps itself scheduled in the server's QueueRegistry at its next due time;
// one libuv timer wakes the loop at the earliest, and every loop iteration and cron tick drains
// what is due, so leases, delays and expiries fire within a millisecond or two of their time
// (and under the tests' fake clock, on AdvanceTime). A consumer blocked in QPOP is woken when a
// delayed message becomes ready or an expired lease puts one back.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command.h"
#include "server/types/queue.h"

namespace sluice {

class Server;
class CommandTable;

// Why a delivery failed, as the log and the counters record it.
enum class QueueCause : uint8_t { kNone, kNack, kTimeout };
std::string_view QueueCauseName(QueueCause cause);
bool ParseQueueCause(std::string_view text, QueueCause* cause);

// --- Op functions: one state change each, with its counters. The live path and log replay both
// call these, so replay reproduces counters as well as messages.
QueueMessage* OpQueueAdd(Queue& q, const QueueAddSpec& spec, int64_t now);
void OpQueueLease(Queue& q, QueueMessage* m, int64_t deadline, std::string_view consumer);
void OpQueueTake(Queue& q, QueueMessage* m, int64_t now);
void OpQueueAck(Queue& q, QueueMessage* m, int64_t now);
void OpQueueRetry(Queue& q, QueueMessage* m, int64_t avail, QueueCause cause,
                  const std::string* error, int64_t now);
// A message leaves for good: dead-lettered, dropped or moved to another queue.
enum class QueueExit : uint8_t { kDead, kDrop, kMove };
void OpQueueExit(Queue& q, QueueMessage* m, QueueExit how, QueueCause cause, int64_t now);

// What QPUSH asks for.
struct QueuePushRequest {
  std::string_view payload;
  int64_t delay_ms = -1;  // DELAY
  int64_t at_ms = -1;     // AT
  uint8_t priority = 0;
  int64_t ttl_ms = 0;
  std::string_view dedup;
  std::string_view group;
};

enum class QueuePushStatus : uint8_t { kPushed, kDuplicate, kFull, kExhausted, kNowhere };

class QueueService {
 public:
  explicit QueueService(Server& server);
  ~QueueService();
  QueueService(const QueueService&) = delete;
  QueueService& operator=(const QueueService&) = delete;

  static QueueService& Of(Server& server);
  Server& server() { return server_; }
  QueueRegistry& registry() { return registry_; }

  // The queue under key, creating it with defaults when missing and `create`; null for a
  // missing key (or when *wrong_type: another type, nothing created). Records the location.
  Queue* Lookup(int db, std::string_view key, int64_t now, bool create, bool* wrong_type);

  // --- Commands

  // QPUSH: dedup, routing (ROUTEHOOK), overflow, then the message. *id: the new message's ID
  // (the first copy's when routed), or the earlier one's for a duplicate.
  QueuePushStatus Push(int db, std::string_view key, Queue* q, const QueuePushRequest& req,
                       int64_t now, StreamID* id);
  // Hands the next ready message to `consumer` until now + visibility_ms (NOACK: delivers
  // and forgets it) and replies its QPOP entry. False (no reply) when none is ready.
  bool DeliverOne(int db, std::string_view key, Queue* q, int64_t now, int64_t visibility_ms,
                  std::string_view consumer, bool noack, ReplyBuilder& reply);
  // A failed delivery of an in-flight message: explicit DELAY (>= 0) or DEAD, else the retry
  // policy. `error` (may be null) becomes its last error.
  void Fail(int db, std::string_view key, Queue* q, QueueMessage* m, QueueCause cause,
            int64_t explicit_delay, bool explicit_dead, const std::string* error, int64_t now);
  // QEXTEND: the new deadline is now + ms.
  void Extend(int db, std::string_view key, Queue* q, QueueMessage* m, int64_t deadline);
  // QREDRIVE: dead messages back to their origin (or `to`); returns how many moved.
  size_t Redrive(int db, std::string_view key, Queue* q, std::string_view to, size_t count,
                 int64_t now);

  // --- Timers

  // Fires what is due on every queue. Called each loop iteration, each cron tick and by the
  // timer; does nothing while the log loads or a script is busy.
  // Returns whether anything fired.
  bool RunTimers();

  // --- Log records

  bool logging() const;
  void Record(int db, std::span<const std::string_view> args);
  void Record(int db, std::initializer_list<std::string_view> args) {
    Record(db, std::span<const std::string_view>(args.begin(), args.size()));
  }
  // QEFFECT key ADD ... for a message as it now is.
  void RecordAdd(int db, std::string_view key, const Queue& q, const QueueMessage* m);

  // The key and database a queue lives under now (a RENAME, MOVE or SWAPDB moves it; the
  // keyspace is searched then). False when it is in no database.
  bool Locate(Queue* q, int* db, std::string* key);

  // Hook calls made by the running command (or timer) and their outcome; hooks do not nest.
  bool in_hook() const { return hook_depth_ > 0; }

 private:
  struct Target {
    int db;
    std::string key;
    Queue* queue;
  };

  // The push of one message into one queue, after dedup and routing.
  QueuePushStatus PushOne(int db, std::string_view key, Queue* q, const QueuePushRequest& req,
                          int64_t now, StreamID* id);
  // Makes room under MAXLEN by the overflow rule; false if the push must be refused.
  bool MakeRoom(int db, std::string_view key, Queue* q, int64_t now, int depth);
  // Moves a message out of `q` into the queue `to_key` as a new message (dead letter or move).
  // False (nothing done) when the destination cannot take it.
  bool Transfer(int db, std::string_view key, Queue* q, QueueMessage* m, std::string_view to_key,
                QueueExit how, std::string_view reason, QueueCause cause, int64_t now, int depth);
  void DeadLetter(int db, std::string_view key, Queue* q, QueueMessage* m, std::string_view reason,
                  QueueCause cause, int64_t now, int depth = 0);
  void Drop(int db, std::string_view key, Queue* q, QueueMessage* m, std::string_view reason,
            QueueCause cause, int64_t now);
  void Retry(int db, std::string_view key, Queue* q, QueueMessage* m, int64_t avail,
             QueueCause cause, const std::string* error, int64_t now);
  int64_t BackoffDelay(const QueueConfig& config, uint32_t deliveries);
  // Counts a hook failure (and records it); logs it with the queue's name.
  void HookFailed(int db, std::string_view key, Queue* q, std::string_view hook,
                  std::string_view error);
  // After a hook ran arbitrary commands: the queue under key is still `q`.
  bool StillThere(int db, std::string_view key, Queue* q);
  void Expire(int db, std::string_view key, Queue* q, QueueMessage* m, int64_t now);
  // A change to key: WATCH and blocked consumers learn of it.
  void Touched(int db, std::string_view key);
  void ProcessQueue(Queue* q, int64_t now);
  size_t OnPublish(std::string_view channel, std::string_view message);
  void ArmTimer();
  static void OnTimer(uv_timer_t* timer);

  Server& server_;
  QueueRegistry registry_;
  uv_timer_t timer_;
  int64_t timer_due_ = 0;
  int hook_depth_ = 0;
  bool running_timers_ = false;
};

// QEFFECT key ADD ... describing a message as it now is (log records, rewrites); numbers are
// kept in *texts.
void AppendQueueAddArgs(std::string_view key, const Queue& q, const QueueMessage* m,
                        std::vector<std::string_view>* args, std::deque<std::string>* texts);

// Registration of the administrative half of the family (queue_admin_family.cc).
void RegisterQueueAdminCommands(CommandTable& table);

// Shared by the handlers of both files.
bool ParseQueueId(std::string_view text, StreamID* id);
// QPOP / QPEEK entries: [key, id, payload, delivery-count].
void ReplyQueueEntry(ReplyBuilder& reply, std::string_view key, const QueueMessage* m,
                     uint32_t deliveries);
void ReplyQueueId(ReplyBuilder& reply, const StreamID& id);
// For handlers: the queue under key, or null when missing (created with the defaults first when
// `create`). A key of another type replies WRONGTYPE and sets *failed.
Queue* GetQueue(CommandContext& ctx, std::string_view key, bool create, bool* failed);
inline constexpr std::string_view kInvalidQueueId = "ERR Invalid queue message ID";

}  // namespace sluice
