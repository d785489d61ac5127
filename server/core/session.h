// A client session: the state Redis keeps per client (selected database, protocol, name,
// transaction, watched keys, blocking) and the loop that turns received bytes into commands.
// It is the connection's handler; tests drive it without a socket through Feed().
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/net/connection.h"
#include "server/protocol/reply_builder.h"
#include "server/protocol/resp_parser.h"

namespace sluice {

class Server;

// A command queued between MULTI and EXEC owns its arguments.
struct QueuedCommand {
  std::vector<std::string> args;
};

enum class ReplyMode : uint8_t { kOn, kOff, kSkip };

class Session : public net::ConnectionHandler {
 public:
  // `conn` may be null for in-process sessions (tests, scripts' fake client).
  Session(Server& server, uint64_t id, net::Connection* conn);
  ~Session() override;

  // net::ConnectionHandler
  void OnReadable() override;
  void OnWritable() override;
  void OnClosed() override;

  // Appends bytes as if received from the network and processes them (in-process sessions).
  void Feed(std::string_view bytes);
  // Processes buffered input until it is drained, the session blocks or output backs up.
  void ProcessInput();
  // Runs the command held back by CLIENT PAUSE if the pause no longer applies to it; false if it
  // still has to wait.
  bool DispatchPostponed();
  // Output produced so far and not yet sent (in-process sessions read and clear it).
  std::string& output() { return *out_; }
  ReplyBuilder& reply() { return reply_; }

  Server& server() { return server_; }
  uint64_t id() const { return id_; }
  net::Connection* connection() const { return conn_; }
  bool closed() const { return closed_; }
  // Replies already queued are sent, then the connection closes (QUIT, protocol errors).
  void CloseAfterReply();
  // Closes now, dropping unsent output (CLIENT KILL).
  void Kill();

  int db_index() const { return db_index_; }
  void set_db_index(int index) { db_index_ = index; }
  bool resp3() const { return reply_.resp3(); }
  void set_resp3(bool on) { reply_.set_resp3(on); }
  const std::string& name() const { return name_; }
  void set_name(std::string_view name) { name_.assign(name); }
  std::string lib_name;
  std::string lib_ver;
  ReplyMode reply_mode = ReplyMode::kOn;
  bool no_evict = false;
  // False while requirepass is set and the client has not authenticated (AUTH, HELLO AUTH).
  bool authenticated = true;

  int64_t created_ms() const { return created_ms_; }
  int64_t last_interaction_ms() const { return last_interaction_ms_; }
  std::string_view last_command() const { return last_command_; }
  // `name` is a command table name, which lives as long as the server.
  void set_last_command(std::string_view name) { last_command_ = name; }
  size_t query_buffer_size() const;
  size_t query_buffer_free() const;

  // MULTI/EXEC state.
  bool in_multi = false;
  bool multi_dirty = false;  // a command was refused while queuing: EXEC aborts
  std::vector<QueuedCommand> multi_queue;
  // WATCH: the keys, and whether one of them was touched since.
  struct WatchedKey {
    int db;
    std::string key;
    // A key already expired when watched does not abort EXEC by expiring (Redis 7 semantics).
    bool expired_when_watched;
  };
  std::vector<WatchedKey> watched_keys;
  bool watch_dirty = false;

  // Blocking: while blocked the session processes no further input. The blocking module sets
  // and clears this and keeps the details of what the session waits for.
  bool blocked() const { return blocked_; }
  void set_blocked(bool blocked);
  // Opaque state owned by the blocking module.
  void* block_state = nullptr;

  // Subscribed channels, patterns and shard channels, maintained by the pub/sub registry.
  size_t subscription_count = 0;
  // client-output-buffer-limit: since when the pending output has been above the soft limit
  // (0: it is not). Maintained by PubSub::EnforceOutputLimit.
  int64_t output_soft_limit_since_ms = 0;

  // CLIENT NO-TOUCH: the client's reads leave keys' access times alone.
  bool no_touch = false;

  // CLIENT PAUSE: a command that must wait is held here and the session reads no further input
  // until the pause ends and the server schedules it again.
  bool postponed() const { return !postponed_command_.empty(); }

  // Durability (server/persistence): the replies of a command that wrote, and everything after
  // them, wait in a held buffer until the log has written (or, when `until_synced`, synced)
  // position `log_offset`; ReleaseOutput moves what is covered to output(), in order, and
  // returns true once nothing is held.
  void HoldOutput(uint64_t log_offset, bool until_synced);
  bool ReleaseOutput(uint64_t written, uint64_t synced);
  bool output_held() const { return !held_marks_.empty(); }
  size_t held_output_size() const { return held_output_.size(); }
  // Where pub/sub pushes (messages and subscription confirmations) go: what the client receives
  // next, behind any held replies, and past CLIENT REPLY OFF / SKIP, which Redis does not apply
  // to them.
  std::string& push_output() { return held_marks_.empty() ? *out_ : held_output_; }

 private:
  Server& server_;
  uint64_t id_;
  net::Connection* conn_;
  std::unique_ptr<net::ReadBuffer> own_input_;  // in-process sessions only
  std::unique_ptr<std::string> own_output_;
  net::ReadBuffer* in_;
  std::string* out_;
  RequestParser parser_;
  ReplyBuilder reply_;
  std::vector<std::string_view> argv_;
  std::string name_;
  std::string_view last_command_ = "NULL";
  int db_index_ = 0;
  int64_t created_ms_ = 0;
  int64_t last_interaction_ms_ = 0;
  bool blocked_ = false;
  bool closed_ = false;
  bool processing_ = false;
  bool paused_for_output_ = false;
  std::vector<std::string> postponed_command_;
  struct HeldMark {
    size_t end;  // held bytes up to here need the mark's log position
    uint64_t log_offset;
    bool until_synced;
  };
  std::string held_output_;
  std::deque<HeldMark> held_marks_;
};

}  // namespace sluice
