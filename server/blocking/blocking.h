// Blocked clients, for every blocking command (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK,
// XREADGROUP BLOCK, QPOP BLOCK ...).
//
// A handler that cannot be served calls Block(); its session then processes no more input. When
// a write command changes one of the keys the client waits on, the key is marked ready; after
// the write's top-level command completes (so after a whole EXEC or script, as Redis orders it)
// the clients waiting on each ready key re-run their command, first come first served. A re-run
// that still cannot be served stays blocked in its original place with its original deadline.
// Deadlines, CLIENT UNBLOCK and disconnects end a block too.
#pragma once

#include <uv.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/commands/command.h"

namespace sluice {

class Session;

class BlockingManager {
 public:
  explicit BlockingManager(Server& server);
  ~BlockingManager();
  BlockingManager(const BlockingManager&) = delete;
  BlockingManager& operator=(const BlockingManager&) = delete;

  // Blocks the context's session on `keys` until `deadline_ms` (0: forever). During a re-run
  // of an already blocked command this keeps the existing registration. A block that ends
  // unserved replies a null array, whatever the command (Redis does the same).
  void Block(CommandContext& ctx, std::span<const std::string_view> keys, int64_t deadline_ms);
  // The same, but re-runs `rewritten_args` instead of the command as sent: for commands whose
  // arguments mean something relative to the moment they first ran (XREAD's "$" is the last ID
  // at that time, so the first run stores the concrete ID in its place).
  void Block(CommandContext& ctx, std::span<const std::string_view> keys, int64_t deadline_ms,
             std::vector<std::string> rewritten_args);

  // A write touched (db, key): clients blocked on it get a chance after the current command.
  void SignalKeyReady(int db, std::string_view key);
  // Every key of a database may have changed (SWAPDB, FLUSHDB).
  void SignalDatabaseReady(int db);
  // Re-runs the commands of clients blocked on ready keys. Called after each top-level command.
  void ServeReadyKeys();
  bool HasReadyKeys() const { return !ready_.empty(); }

  // Ends blocks whose deadline has passed; called by the timer and by tests' fake clock.
  void ExpireDeadlines(int64_t now_ms);
  // CLIENT UNBLOCK: false if the session was not blocked here.
  bool Unblock(Session* session, bool with_error);
  // The session is going away.
  void Forget(Session* session);

  // During the re-run of a blocked command woken by a ready key: that key, else null. Redis 7.0
  // serves a woken client from the key that woke it, not from the first non-empty of its keys
  // (BLPOP a b woken by a push to b pops from b even if a transaction also filled a), so
  // handlers narrow their keys to this one.
  const std::string* WakingKey(const Session* session) const {
    return retrying_ == session && waking_key_ != nullptr ? &waking_key_->second : nullptr;
  }

  size_t blocked_count() const { return blocked_.size(); }
  bool IsBlocked(const Session* session) const { return blocked_.count(session) != 0; }

 private:
  using DbKey = std::pair<int, std::string>;
  struct Blocked {
    Session* session;
    const CommandSpec* spec;
    std::vector<std::string> args;  // the command, re-run on readiness
    std::vector<DbKey> keys;
    int64_t deadline_ms;
    std::multimap<int64_t, Session*>::iterator deadline_it;
  };

  void Release(Session* session);
  void Retry(Blocked& blocked, const DbKey& waking_key);
  void ArmTimer();
  static void OnTimer(uv_timer_t* timer);

  Server& server_;
  std::unordered_map<const Session*, std::unique_ptr<Blocked>> blocked_;
  // Clients per key in arrival order.
  std::map<DbKey, std::list<Session*>, std::less<>> waiting_;
  std::multimap<int64_t, Session*> deadlines_;
  std::vector<DbKey> ready_;
  std::set<DbKey> ready_set_;
  // The session whose command is being re-run, and whether the re-run blocked again.
  Session* retrying_ = nullptr;
  const DbKey* waking_key_ = nullptr;
  bool reblocked_ = false;
  bool serving_ = false;
  uv_timer_t timer_;
  int64_t timer_deadline_ = 0;
};

}  // namespace sluice
