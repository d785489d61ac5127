#include "server/core/server.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "server/blocking/blocking.h"
#include "server/core/log.h"
#include "server/core/session.h"
#include "server/persistence/aof.h"
#include "server/pubsub/notify.h"
#include "server/pubsub/pubsub.h"

namespace sluice {

Server::Server(Config* config) : config_(config) {
  loop_ = new uv_loop_t;
  uv_loop_init(loop_);
  own_loop_ = true;
  RefreshClock();
  start_time_ms_ = now_ms_;
  int databases = static_cast<int>(config_->GetInt("databases"));
  for (int i = 0; i < databases; ++i) {
    auto db = std::make_unique<Database>(i);
    db->set_expire_callback([this](Database& d, std::string_view key) {
      stats_.expired_keys++;
      KeyModified(d.index(), key);
      NotifyKeyspaceEvent(*this, kNotifyExpired, "expired", key, d.index());
      // Durability: the log records the deletion where it happened (replay never expires).
      aof_->PropagateDeletion(d.index(), key);
    });
    dbs_.push_back(std::move(db));
  }
  config_->OnChange("requirepass",
                    [this](const Config::Param& p) { password_required_ = !p.value.empty(); });
  config_->OnChange("proto-max-bulk-len", [this](const Config::Param& p) {
    parser_limits_.max_bulk_len = std::stoll(p.value);
  });
  pubsub_ = std::make_unique<PubSub>(*this);
  aof_ = std::make_unique<Aof>(*this);
  RegisterAllCommands(commands_);
  blocking_ = std::make_unique<BlockingManager>(*this);
  AddSessionCloseHook([this](Session* s) { blocking_->Forget(s); });
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_idle_init(loop_, &idle_);
  idle_.data = this;
  uv_timer_init(loop_, &cron_);
  cron_.data = this;
  uv_signal_init(loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
  for (const auto& hook : commands_.startup_hooks()) hook(*this);
}

Server::~Server() {
  // Durability: the log is written and synced while every session still exists.
  aof_->Shutdown();
  blocking_.reset();
  for (auto& [id, session] : sessions_) delete session;
  sessions_.clear();
  for (Session* s : doomed_) delete s;
  doomed_.clear();
  if (own_loop_) {
    auto close_all = [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    };
    uv_walk(loop_, close_all, nullptr);
    uv_run(loop_, UV_RUN_DEFAULT);
    uv_loop_close(loop_);
    delete loop_;
  }
}

void Server::RefreshClock() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  now_ms_ = static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

int64_t Server::now_us() const {
  if (fake_time_ms_ >= 0) return fake_time_ms_ * 1000;
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

std::string Server::Listen() {
  int port = static_cast<int>(config_->GetInt("port"));
  std::istringstream addresses(config_->Get("bind"));
  std::string address;
  int backlog = static_cast<int>(config_->GetInt("tcp-backlog"));
  while (addresses >> address) {
    if (!address.empty() && address[0] == '-') address.erase(0, 1);  // "-::1": optional address
    if (address == "*") address = "0.0.0.0";
    auto listener =
        std::make_unique<net::Listener>(loop_, [this](std::unique_ptr<net::Connection> c) {
          if (shutting_down_ ||
              sessions_.size() >= static_cast<size_t>(config_->GetInt("maxclients"))) {
            stats_.rejected_connections++;
            std::string& out = c->output();
            out = "-ERR max number of clients reached\r\n";
            net::Connection* raw = c.release();
            raw->Flush();
            raw->CloseAfterFlush();
            return;
          }
          net::Connection* raw = c.release();
          Session* session = NewSession(raw);
          raw->set_handler(session);
          raw->StartReading();
        });
    int rc = listener->Listen(address, port, backlog);
    if (rc != 0) {
      return "Could not listen on " + address + ":" + std::to_string(port) + ": " + uv_strerror(rc);
    }
    if (port == 0) {
      // An ephemeral port: report the one chosen so the rest of the listeners use it too.
      port = listener->bound_port();
      std::string ignored;
      config_->Set("port", std::to_string(port), true, &ignored);
    }
    listeners_.push_back(std::move(listener));
  }
  if (listeners_.empty()) return "No address to listen on";
  return {};
}

int Server::port() const { return static_cast<int>(config_->GetInt("port")); }

void Server::Run() {
  uv_check_start(&check_, OnCheck);
  int hz = static_cast<int>(config_->GetInt("hz"));
  uint64_t period = static_cast<uint64_t>(1000 / (hz > 0 ? hz : 10));
  uv_timer_start(&cron_, OnCron, period, period);
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  uv_run(loop_, UV_RUN_DEFAULT);
}

void Server::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  LogNotice("Received %s, shutting down.", signum == SIGTERM ? "SIGTERM" : "SIGINT");
  self->Shutdown();
}

void Server::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Durability: everything recorded is written and synced; replies held for it go out below.
  aof_->Shutdown();
  FlushPending();
  for (auto& l : listeners_) l->Close();
  std::vector<Session*> open;
  for (auto& [id, s] : sessions_) open.push_back(s);
  for (Session* s : open) s->Kill();
  uv_check_stop(&check_);
  uv_idle_stop(&idle_);
  uv_timer_stop(&cron_);
  uv_signal_stop(&sigterm_);
  uv_signal_stop(&sigint_);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
}

Session* Server::NewSession(net::Connection* conn) {
  auto* session = new Session(*this, next_session_id_++, conn);
  // In-process sessions (tests, scripts, replay) act with the server's authority.
  session->authenticated = conn == nullptr || !password_required_;
  sessions_[session->id()] = session;
  if (conn != nullptr) stats_.total_connections_received++;
  return session;
}

void Server::ForgetSession(Session* session) {
  for (auto& hook : close_hooks_) hook(session);
  UnwatchAll(session);
  sessions_.erase(session->id());
  std::erase(pending_flush_, session);
  std::erase(resume_, session);
  doomed_.push_back(session);
}

Session* Server::FindSession(uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void Server::ScheduleFlush(Session* session) {
  if (session->connection() == nullptr) return;
  pending_flush_.push_back(session);
}

void Server::ScheduleResume(Session* session) {
  resume_.push_back(session);
  uv_idle_start(&idle_, [](uv_idle_t*) {});
}

void Server::FlushPending() {
  // A session may be listed several times; Flush on an empty buffer is free.
  for (size_t i = 0; i < pending_flush_.size(); ++i) {
    Session* s = pending_flush_[i];
    if (s->connection() != nullptr) {
      stats_.total_net_output_bytes += s->connection()->output().size();
      s->connection()->Flush();
    }
  }
  pending_flush_.clear();
}

void Server::RunBeforeSleepHooks() {
  for (auto& hook : before_sleep_) hook();
}

void Server::OnCheck(uv_check_t* handle) { static_cast<Server*>(handle->data)->RunPendingWork(); }

void Server::RunPendingWork() {
  if (!busy_reply_.empty()) {
    // Inside a busy script only replies go out; the rest waits for the script to end. The log's
    // completed records are written first, as every reply needs.
    aof_->BeforeSleep();
    FlushPending();
    return;
  }
  if (!resume_.empty()) {
    std::vector<Session*> resume;
    resume.swap(resume_);
    uv_idle_stop(&idle_);
    for (Session* s : resume) s->ProcessInput();
  }
  RunBeforeSleepHooks();
  FlushPending();
  for (Session* s : doomed_) delete s;
  doomed_.clear();
}

void Server::OnCron(uv_timer_t* handle) {
  auto* self = static_cast<Server*>(handle->data);
  self->RefreshClock();
  self->Cron();
}

void Server::Cron() {
  if (!busy_reply_.empty()) return;  // a busy script is running: data must not change under it
  // Active expiry: bounded work per tick so a mass expiry never stalls the loop.
  int64_t now = now_ms();
  size_t effort = static_cast<size_t>(config_->GetInt("active-expire-effort"));
  // While the log replays, keys must not expire: the log itself records expiry deletions.
  if (!loading()) {
    for (auto& db : dbs_) db->ActiveExpire(now, 200 * effort);
  }
  // Not while a rewrite child shares the memory: a rehash would touch every key's node and copy
  // their pages.
  if (!aof_->rewrite_in_progress()) {
    for (auto& db : dbs_) db->ShrinkIfSparse();
  }
  aof_->Cron();
  blocking_->ExpireDeadlines(now);
  if (pause_until_ms_ != 0 && now >= pause_until_ms_) UnpauseClients();
  RunBeforeSleepHooks();
  FlushPending();
}

bool Server::loading() const { return aof_->loading(); }

void Server::KeyModified(int db, std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(std::pair<int, std::string>(db, std::string(key)));
  if (it == watchers_.end()) return;
  for (Session* s : it->second) {
    bool was_expired = false;
    for (auto& w : s->watched_keys) {
      if (w.db == db && w.key == key && w.expired_when_watched) {
        // Deleting a key that had already expired when watched changes nothing logically.
        if (dbs_[static_cast<size_t>(db)]->FindRaw(key) == nullptr) {
          w.expired_when_watched = false;
          was_expired = true;
        }
        break;
      }
    }
    if (!was_expired) s->watch_dirty = true;
  }
}

void Server::DatabaseModified(int db) {
  for (auto& [where, sessions] : watchers_) {
    if (where.first != db) continue;
    if (dbs_[static_cast<size_t>(db)]->FindRaw(where.second) == nullptr) continue;
    for (Session* s : sessions) s->watch_dirty = true;
  }
}

void Server::Watch(Session* session, int db, std::string_view key) {
  auto& list = watchers_[std::pair<int, std::string>(db, std::string(key))];
  if (std::find(list.begin(), list.end(), session) == list.end()) list.push_back(session);
}

void Server::UnwatchAll(Session* session) {
  for (const auto& w : session->watched_keys) {
    auto it = watchers_.find(std::pair<int, std::string>(w.db, w.key));
    if (it == watchers_.end()) continue;
    std::erase(it->second, session);
    if (it->second.empty()) watchers_.erase(it);
  }
  session->watched_keys.clear();
  session->watch_dirty = false;
}

void Server::PauseClients(int64_t until_ms, bool writes_only) {
  // A new pause never shortens or weakens one in force.
  bool in_force = pause_until_ms_ != 0 && now_ms() < pause_until_ms_;
  if (!in_force || until_ms > pause_until_ms_) pause_until_ms_ = until_ms;
  pause_writes_only_ = writes_only && (!in_force || pause_writes_only_);
}

void Server::UnpauseClients() {
  pause_until_ms_ = 0;
  pause_writes_only_ = false;
  ResumePaused();
}

bool Server::IsPaused(bool is_write) const {
  if (pause_until_ms_ == 0 || now_ms() >= pause_until_ms_) return false;
  return is_write || !pause_writes_only_;
}

void Server::ResumePaused() {
  // Held commands run from the loop, never inside the command that lifted the pause (it may be
  // part of a MULTI whose atomicity they must not break).
  for (auto& [id, s] : sessions_) {
    if (s->postponed()) ScheduleResume(s);
  }
}

}  // namespace sluice
