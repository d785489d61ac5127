#include "server/blocking/blocking.h"

#include <algorithm>

#include "server/commands/dispatcher.h"
#include "server/core/server.h"
#include "server/core/session.h"

namespace sluice {

BlockingManager::BlockingManager(Server& server) : server_(server) {
  uv_timer_init(server_.loop(), &timer_);
  timer_.data = this;
}

BlockingManager::~BlockingManager() {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

void BlockingManager::Block(CommandContext& ctx, std::span<const std::string_view> keys,
                            int64_t deadline_ms) {
  if (retrying_ == &ctx.session) {
    reblocked_ = true;
    return;
  }
  Block(ctx, keys, deadline_ms, std::vector<std::string>(ctx.args.begin(), ctx.args.end()));
}

void BlockingManager::Block(CommandContext& ctx, std::span<const std::string_view> keys,
                            int64_t deadline_ms, std::vector<std::string> rewritten_args) {
  Session* session = &ctx.session;
  if (retrying_ == session) {
    reblocked_ = true;
    return;
  }
  auto blocked = std::make_unique<Blocked>();
  blocked->session = session;
  blocked->spec = &ctx.spec;
  blocked->args = std::move(rewritten_args);
  blocked->deadline_ms = deadline_ms;
  int db = session->db_index();
  for (std::string_view key : keys) {
    DbKey where(db, std::string(key));
    if (std::find(blocked->keys.begin(), blocked->keys.end(), where) != blocked->keys.end()) {
      continue;
    }
    waiting_[where].push_back(session);
    blocked->keys.push_back(std::move(where));
  }
  blocked->deadline_it =
      deadline_ms != 0 ? deadlines_.emplace(deadline_ms, session) : deadlines_.end();
  blocked_[session] = std::move(blocked);
  session->set_blocked(true);
  ArmTimer();
}

void BlockingManager::SignalKeyReady(int db, std::string_view key) {
  if (waiting_.empty()) return;
  DbKey where(db, std::string(key));
  if (waiting_.find(where) == waiting_.end()) return;
  if (ready_set_.insert(where).second) ready_.push_back(std::move(where));
}

void BlockingManager::SignalDatabaseReady(int db) {
  for (const auto& [where, sessions] : waiting_) {
    if (where.first == db) SignalKeyReady(db, where.second);
  }
}

void BlockingManager::ServeReadyKeys() {
  if (serving_) return;  // a re-run command that wrote: its keys join the loop below
  serving_ = true;
  server_.RefreshClock();
  // Serving may make more keys ready (BLMOVE pushes into its destination): loop until quiet.
  while (!ready_.empty()) {
    std::vector<DbKey> batch;
    batch.swap(ready_);
    ready_set_.clear();
    for (const DbKey& key : batch) {
      auto it = waiting_.find(key);
      if (it == waiting_.end()) continue;
      // A snapshot in arrival order: served clients leave the live list while we walk.
      std::vector<Session*> queue(it->second.begin(), it->second.end());
      for (Session* session : queue) {
        auto found = blocked_.find(session);
        if (found == blocked_.end()) continue;
        Retry(*found->second, key);
      }
    }
  }
  serving_ = false;
}

void BlockingManager::Retry(Blocked& blocked, const DbKey& waking_key) {
  Session* session = blocked.session;
  std::vector<std::string_view> args(blocked.args.begin(), blocked.args.end());
  retrying_ = session;
  waking_key_ = &waking_key;
  reblocked_ = false;
  ExecuteCommand(server_, *session, *blocked.spec, args, /*may_block=*/true);
  retrying_ = nullptr;
  waking_key_ = nullptr;
  if (!reblocked_) Release(session);
  server_.ScheduleFlush(session);
}

void BlockingManager::Release(Session* session) {
  auto found = blocked_.find(session);
  if (found == blocked_.end()) return;
  Blocked& blocked = *found->second;
  for (const DbKey& key : blocked.keys) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) continue;
    it->second.remove(session);
    if (it->second.empty()) waiting_.erase(it);
  }
  bool had_deadline = blocked.deadline_it != deadlines_.end();
  if (had_deadline) deadlines_.erase(blocked.deadline_it);
  blocked_.erase(found);
  session->set_blocked(false);
  // An armed timer keeps the event loop alive: left pointing at a released client's deadline,
  // it would hold up shutdown until then.
  if (had_deadline) ArmTimer();
}

void BlockingManager::ExpireDeadlines(int64_t now_ms) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    Session* session = deadlines_.begin()->second;
    Release(session);
    session->reply().NullArray();
    server_.ScheduleFlush(session);
  }
  ArmTimer();
}

bool BlockingManager::Unblock(Session* session, bool with_error) {
  auto found = blocked_.find(session);
  if (found == blocked_.end()) return false;
  Release(session);
  if (with_error) {
    session->reply().Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else {
    session->reply().NullArray();
  }
  server_.ScheduleFlush(session);
  return true;
}

void BlockingManager::Forget(Session* session) {
  if (blocked_.count(session) == 0) return;
  Release(session);
}

void BlockingManager::ArmTimer() {
  if (deadlines_.empty()) {
    uv_timer_stop(&timer_);
    timer_deadline_ = 0;
    return;
  }
  int64_t next = deadlines_.begin()->first;
  if (next == timer_deadline_) return;
  timer_deadline_ = next;
  int64_t delay = next - server_.now_ms();
  uv_timer_start(&timer_, OnTimer, static_cast<uint64_t>(delay > 0 ? delay : 0), 0);
}

void BlockingManager::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<BlockingManager*>(timer->data);
  self->timer_deadline_ = 0;
  self->server_.RefreshClock();
  self->ExpireDeadlines(self->server_.now_ms());
  self->server_.FlushPending();
}

}  // namespace sluice
