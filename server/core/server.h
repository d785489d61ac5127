// The server: owns the event loop, the databases, the command table, the configuration and the
// client sessions, and provides the keyspace hooks (modified keys for WATCH) that families call.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/commands/command_table.h"
#include "server/core/config.h"
#include "server/net/connection.h"
#include "server/protocol/resp_parser.h"
#include "server/storage/database.h"
#include "server/util/duration_clock.h"

namespace sluice {

class Session;
class Aof;
class PubSub;

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t total_error_replies = 0;
  uint64_t dirty = 0;  // writes since start
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  std::map<std::string, uint64_t, std::less<>> error_codes;  // INFO errorstats
};

class Server {
 public:
  // Builds the server from a configuration; nothing is bound until Listen().
  explicit Server(Config* config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listeners from `bind` and `port`. Returns an error text or empty.
  std::string Listen();
  // Runs the loop until Shutdown().
  void Run();
  // Stops accepting, closes every connection and ends the loop.
  void Shutdown();
  bool shutting_down() const { return shutting_down_; }
  int port() const;

  uv_loop_t* loop() { return loop_; }
  // Whether requirepass is set now. A session that never authenticated is let through again
  // once it is cleared, as in Redis, where the check is made against the current password.
  bool password_required() const { return password_required_; }
  // maxmemory is set and the last measurement of used memory is above it: commands that may
  // grow the dataset are refused (sampled by the server family's periodic work, and at once when
  // maxmemory changes).
  bool over_maxmemory() const { return over_maxmemory_; }
  void set_over_maxmemory(bool over) { over_maxmemory_ = over; }
  Config& config() { return *config_; }
  CommandTable& commands() { return commands_; }
  ServerStats& stats() { return stats_; }
  const ParserLimits& parser_limits() const { return parser_limits_; }

  BlockingManager& blocking() { return *blocking_; }
  // Durability: the append-only log (server/persistence/aof.h) and dataset loading.
  Aof& aof() { return *aof_; }
  bool loading() const;
  // Channel subscriptions, message delivery, keyspace event flags, output buffer limits.
  PubSub& pubsub() { return *pubsub_; }
  Database& db(int index) { return *dbs_[static_cast<size_t>(index)]; }
  int db_count() const { return static_cast<int>(dbs_.size()); }

  // Wall-clock time in milliseconds, cached per event; tests freeze it with SetFakeTime.
  int64_t now_ms() const {
    if (pinned_ms_ >= 0) return pinned_ms_;
    return fake_time_ms_ >= 0 ? fake_time_ms_ : now_ms_;
  }
  // A script sees a single instant (keys do not expire under it, even while a busy script lets
  // the loop run): while pinned (>= 0) now_ms() answers `ms`. -1 unpins.
  void PinClock(int64_t ms) { pinned_ms_ = ms; }
  int64_t pinned_clock() const { return pinned_ms_; }
  int64_t now_us() const;
  // Microseconds for measuring how long something takes (commands, a running script): a clock
  // that never goes back and is cheaper to read than the wall clock. The fake time when set.
  int64_t monotonic_us() const {
    return fake_time_ms_ >= 0 ? fake_time_ms_ * 1000 : duration_clock_.NowUs();
  }
  void RefreshClock();
  void SetFakeTime(int64_t ms) { fake_time_ms_ = ms; }
  void AdvanceFakeTime(int64_t ms) { fake_time_ms_ += ms; }
  int64_t start_time_ms() const { return start_time_ms_; }

  // Sessions.
  Session* NewSession(net::Connection* conn);
  void ForgetSession(Session* session);
  const std::map<uint64_t, Session*>& sessions() const { return sessions_; }
  Session* FindSession(uint64_t id) const;
  // The session wants its output sent at the end of this loop iteration.
  void ScheduleFlush(Session* session);
  // The session stopped with input left (fairness budget); it continues next iteration.
  void ScheduleResume(Session* session);
  // RESET: families that keep per-session state (subscriptions) return it to the initial one.
  void AddSessionResetHook(std::function<void(Session*)> hook) {
    reset_hooks_.push_back(std::move(hook));
  }
  void ResetSession(Session* session) {
    for (auto& hook : reset_hooks_) hook(session);
  }
  // Families that keep per-session state (blocking, pub/sub) drop it here.
  void AddSessionCloseHook(std::function<void(Session*)> hook) {
    close_hooks_.push_back(std::move(hook));
  }
  void FlushPending();

  // Keyspace hooks, called by every command that changes a key.
  void KeyModified(int db, std::string_view key);
  // A write changed the key: its watchers (KeyModified) and the clients blocked on it hear of it.
  // Inline: the dispatcher calls it for every key of every write.
  void KeyWritten(int db, std::string_view key) {
    KeyModified(db, key);
    blocking_->SignalKeyReady(db, key);
  }
  // FLUSHDB / FLUSHALL / SWAPDB: every watcher of a key that exists in the db is disturbed.
  void DatabaseModified(int db);
  void Watch(Session* session, int db, std::string_view key);
  void UnwatchAll(Session* session);

  // Runs periodic work: active expiry, client timeouts. Also called by tests after moving the
  // fake clock.
  void Cron();

  // Callbacks run once per loop iteration before the loop sleeps (blocking wake-ups, AOF group
  // commit). Families register them at start-up.
  void AddBeforeSleepHook(std::function<void()> hook) { before_sleep_.push_back(std::move(hook)); }
  void RunBeforeSleepHooks();
  // One loop iteration's deferred work: resumed sessions, before-sleep hooks, output flushes,
  // and freeing closed sessions. Tests call it in place of the loop.
  void RunPendingWork();

  // A script running past busy-reply-threshold keeps the loop serving clients from inside it;
  // meanwhile the dispatcher answers their commands with this error (empty when no script is
  // busy) and the periodic work that changes data (expiry, serving blocked clients) waits.
  const std::string& busy_reply() const { return busy_reply_; }
  void set_busy_reply(std::string reply) { busy_reply_ = std::move(reply); }

  // State a family keeps per server (the scripting engine), destroyed with the server.
  void Attach(std::shared_ptr<void> state) { attachments_.push_back(std::move(state)); }

  // CLIENT PAUSE: until `until_ms`, commands of the given kind wait.
  void PauseClients(int64_t until_ms, bool writes_only);
  void UnpauseClients();
  bool IsPaused(bool is_write) const;
  int64_t pause_until_ms() const { return pause_until_ms_; }

 private:
  static void OnCheck(uv_check_t* handle);
  static void OnCron(uv_timer_t* handle);
  static void OnSignal(uv_signal_t* handle, int signum);
  void ResumePaused();

  Config* config_;
  uv_loop_t* loop_;
  bool own_loop_ = false;
  CommandTable commands_;
  ServerStats stats_;
  ParserLimits parser_limits_;
  std::vector<std::unique_ptr<Database>> dbs_;
  std::unique_ptr<BlockingManager> blocking_;
  std::unique_ptr<Aof> aof_;
  std::unique_ptr<PubSub> pubsub_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::map<uint64_t, Session*> sessions_;
  std::vector<Session*> pending_flush_;
  std::vector<Session*> resume_;
  std::vector<std::function<void(Session*)>> close_hooks_;
  std::vector<std::function<void(Session*)>> reset_hooks_;
  std::vector<Session*> doomed_;  // closed sessions, deleted at a safe point
  uint64_t next_session_id_ = 1;
  int64_t now_ms_ = 0;
  int64_t fake_time_ms_ = -1;
  mutable DurationClock duration_clock_;
  int64_t start_time_ms_ = 0;
  bool shutting_down_ = false;
  bool password_required_ = false;
  bool over_maxmemory_ = false;
  int64_t pause_until_ms_ = 0;
  bool pause_writes_only_ = false;
  std::vector<std::function<void()>> before_sleep_;
  // WATCH registry: (db, key) -> sessions watching it.
  std::map<std::pair<int, std::string>, std::vector<Session*>, std::less<>> watchers_;
  uv_check_t check_;
  uv_idle_t idle_;  // keeps the loop from sleeping while sessions wait to resume
  uv_timer_t cron_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  int64_t pinned_ms_ = -1;
  std::string busy_reply_;
  // Last member: destroyed first, while the rest of the server still exists.
  std::vector<std::shared_ptr<void>> attachments_;
};

}  // namespace sluice
