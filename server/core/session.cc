#include "server/core/session.h"

#include <cstring>

#include "server/commands/dispatcher.h"
#include "server/core/server.h"
#include "server/pubsub/pubsub.h"

namespace sluice {
namespace {

// Output a session may accumulate before it stops processing input until the peer reads.
constexpr size_t kOutputHighWater = 16 * 1024 * 1024;
// Requests parsed per wake-up before yielding to other clients.
constexpr int kCommandsPerTurn = 4096;

}  // namespace

Session::Session(Server& server, uint64_t id, net::Connection* conn)
    : server_(server),
      id_(id),
      conn_(conn),
      in_(nullptr),
      out_(nullptr),
      parser_(&server.parser_limits()),
      reply_(nullptr) {
  if (conn_ != nullptr) {
    in_ = &conn_->read_buffer();
    out_ = &conn_->output();
  } else {
    own_input_ = std::make_unique<net::ReadBuffer>();
    own_output_ = std::make_unique<std::string>();
    in_ = own_input_.get();
    out_ = own_output_.get();
  }
  reply_.set_output(out_);
  created_ms_ = last_interaction_ms_ = server.now_ms();
}

Session::~Session() = default;

void Session::OnReadable() {
  server_.RefreshClock();
  ProcessInput();
  if (in_->pending() > static_cast<size_t>(server_.config().GetInt("client-query-buffer-limit"))) {
    Kill();
  }
}

void Session::OnWritable() {
  if (!paused_for_output_) return;
  paused_for_output_ = false;
  if (conn_ != nullptr) conn_->StartReading();
  ProcessInput();
}

void Session::OnClosed() {
  conn_ = nullptr;
  closed_ = true;
  // Anything still written to this session (it may be mid-command) goes to a private sink.
  own_output_ = std::make_unique<std::string>();
  out_ = own_output_.get();
  reply_.set_output(out_);
  // Held replies have nobody to go to any more.
  held_output_.clear();
  held_marks_.clear();
  own_input_ = std::make_unique<net::ReadBuffer>();
  in_ = own_input_.get();
  server_.ForgetSession(this);
}

void Session::Feed(std::string_view bytes) {
  in_->Reserve(bytes.size());
  memcpy(in_->data + in_->end, bytes.data(), bytes.size());
  in_->end += bytes.size();
  ProcessInput();
}

size_t Session::query_buffer_size() const { return in_->pending(); }

size_t Session::query_buffer_free() const { return in_->capacity - in_->end; }

void Session::set_blocked(bool blocked) {
  blocked_ = blocked;
  if (!blocked_ && !processing_ && !closed_ && in_->pending() > 0) {
    // Commands pipelined behind the blocking one run on the next loop iteration, not inside
    // whatever woke this session.
    server_.ScheduleResume(this);
  }
}

bool Session::DispatchPostponed() {
  std::vector<std::string_view> args(postponed_command_.begin(), postponed_command_.end());
  if (MustWaitForPause(server_, *this, args)) return false;
  std::vector<std::string> command = std::move(postponed_command_);
  postponed_command_.clear();
  args.assign(command.begin(), command.end());
  processing_ = true;
  Dispatch(server_, *this, args);
  processing_ = false;
  server_.ScheduleFlush(this);
  return true;
}

void Session::ProcessInput() {
  if (processing_ || closed_) return;
  if (postponed() && !DispatchPostponed()) return;
  processing_ = true;
  int budget = kCommandsPerTurn;
  while (!blocked_ && !closed_ && !postponed() && in_->pending() > 0) {
    if (out_->size() + held_output_.size() > kOutputHighWater ||
        (conn_ != nullptr && conn_->pending_output() > kOutputHighWater)) {
      // The peer is not reading its replies: stop reading its requests until it does, so a
      // slow reader costs bounded memory.
      paused_for_output_ = true;
      if (conn_ != nullptr) {
        conn_->StopReading();
        server_.ScheduleFlush(this);
      }
      break;
    }
    if (budget-- == 0) {
      // Let other clients run; the rest of the pipeline continues next iteration.
      server_.ScheduleFlush(this);
      break;
    }
    size_t consumed = 0;
    auto status = parser_.Parse(in_->data + in_->begin, in_->pending(), &argv_, &consumed);
    if (status == RequestParser::Status::kIncomplete) {
      if (parser_.bytes_wanted() > 0) in_->Reserve(parser_.bytes_wanted());
      break;
    }
    if (status == RequestParser::Status::kError) {
      reply_.Error(std::string("ERR ") + std::string(parser_.error()));
      server_.stats().total_error_replies++;
      CloseAfterReply();
      in_->begin = in_->end;
      break;
    }
    last_interaction_ms_ = server_.now_ms();
    if (conn_ != nullptr) server_.stats().total_net_input_bytes += consumed;
    if (!argv_.empty() && server_.pause_until_ms() != 0 &&
        MustWaitForPause(server_, *this, argv_)) {
      postponed_command_.assign(argv_.begin(), argv_.end());
      in_->begin += consumed;
      break;
    }
    if (!argv_.empty()) Dispatch(server_, *this, argv_);
    in_->begin += consumed;
  }
  if (in_->begin == in_->end) in_->begin = in_->end = 0;
  processing_ = false;
  // client-output-buffer-limit for the client's own replies (published messages are checked
  // as they are delivered).
  server_.pubsub().EnforceOutputLimit(this);
  if (budget < 0 && !closed_) server_.ScheduleResume(this);
  server_.ScheduleFlush(this);
}

void Session::HoldOutput(uint64_t log_offset, bool until_synced) {
  if (held_marks_.empty()) {
    // Unsent output produced before this point goes with it, so the order of replies holds.
    held_output_.append(*out_);
    out_->clear();
    reply_.set_output(&held_output_);
  }
  held_marks_.push_back(HeldMark{held_output_.size(), log_offset, until_synced});
}

bool Session::ReleaseOutput(uint64_t written, uint64_t synced) {
  size_t release = 0;
  while (!held_marks_.empty()) {
    const HeldMark& mark = held_marks_.front();
    if ((mark.until_synced ? synced : written) < mark.log_offset) break;
    release = mark.end;
    held_marks_.pop_front();
  }
  if (held_marks_.empty()) {
    out_->append(held_output_);
    held_output_.clear();
    reply_.set_output(out_);
    if (closed_ && conn_ != nullptr) conn_->CloseAfterFlush();
  } else if (release > 0) {
    out_->append(held_output_, 0, release);
    held_output_.erase(0, release);
    for (HeldMark& mark : held_marks_) mark.end -= release;
  }
  if (!out_->empty()) server_.ScheduleFlush(this);
  return held_marks_.empty();
}

void Session::CloseAfterReply() {
  closed_ = true;
  if (conn_ != nullptr) {
    server_.ScheduleFlush(this);
    // Replies held for the log go out first (ReleaseOutput closes once they have).
    if (held_marks_.empty()) conn_->CloseAfterFlush();
  }
}

void Session::Kill() {
  closed_ = true;
  if (conn_ != nullptr) conn_->Close();
}

}  // namespace sluice
