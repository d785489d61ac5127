#include "server/persistence/loader.h"

#include <unistd.h>

#include <chrono>

#include "server/commands/command_table.h"
#include "server/commands/dispatcher.h"
#include "server/core/server.h"
#include "server/core/session.h"

namespace sluice {

AofLoader::AofLoader(Server& server, std::vector<std::string> paths, bool allow_truncated_tail)
    : server_(server), paths_(std::move(paths)), allow_truncated_tail_(allow_truncated_tail) {
  // Not registered with the server: the replaying client is not a client anyone can see.
  session_ = std::make_unique<Session>(server_, 0, nullptr);
  for (const std::string& path : paths_) {
    AofReader probe;
    std::string ignored;
    if (probe.Open(path, &ignored)) total_bytes_ += probe.file_size();
  }
}

AofLoader::~AofLoader() = default;

uint64_t AofLoader::loaded_bytes() const { return done_bytes_ + (reader_ ? reader_->offset() : 0); }

bool AofLoader::OpenNext() {
  if (next_ >= paths_.size()) return false;
  reader_ = std::make_unique<AofReader>();
  if (!reader_->Open(paths_[next_], &error_)) {
    reader_.reset();
    return false;
  }
  ++next_;
  return true;
}

bool AofLoader::Replay() {
  const std::string& path = paths_[next_ - 1];
  for (size_t i = 0; i < reader_->unit_size(); ++i) {
    std::span<const std::string_view> args = reader_->command(i);
    std::string why;
    const CommandSpec* spec = ResolveCommand(server_, args, &why);
    if (spec == nullptr) {
      error_ = "Bad command in the append only file " + path + " before offset " +
               std::to_string(reader_->good_offset()) + ": " + why;
      return false;
    }
    ExecuteCommand(server_, *session_, *spec, args, /*may_block=*/false);
    // Replies of replayed commands go nowhere.
    session_->output().clear();
    ++commands_;
  }
  return true;
}

AofLoader::Status AofLoader::Run(int64_t budget_us) {
  if (!error_.empty()) return Status::kFailed;
  auto start = std::chrono::steady_clock::now();
  int64_t delay_us = server_.config().GetInt("key-load-delay");
  // Replayed commands are not the clients' commands: statistics stay as they were, except the
  // change counter persistence reports.
  ServerStats saved_stats = server_.stats();
  auto saved_command_stats = server_.commands().all_stats();
  int64_t pinned = server_.pinned_clock();
  server_.PinClock(0);
  Status status = Status::kMore;
  while (status == Status::kMore) {
    if (reader_ == nullptr && !OpenNext()) {
      status = error_.empty() ? Status::kDone : Status::kFailed;
      break;
    }
    const std::string& path = paths_[next_ - 1];
    bool last = next_ == paths_.size();
    switch (reader_->Next()) {
      case AofReader::Status::kUnit:
        if (!Replay()) {
          status = Status::kFailed;
          break;
        }
        if (delay_us > 0) usleep(static_cast<useconds_t>(delay_us));
        break;
      case AofReader::Status::kEnd:
        done_bytes_ += reader_->file_size();
        reader_.reset();
        break;
      case AofReader::Status::kTruncated:
        if (last && allow_truncated_tail_) {
          truncate_offset_ = static_cast<int64_t>(reader_->good_offset());
          truncate_path_ = path;
          truncate_reason_ = reader_->error();
          done_bytes_ += reader_->file_size();
          reader_.reset();
          status = Status::kDone;
          break;
        }
        error_ = "Unexpected end of the append only file " + path + " at offset " +
                 std::to_string(reader_->bad_offset()) + " (" + reader_->error() +
                 "; the last complete command ends at offset " +
                 std::to_string(reader_->good_offset()) + ")" +
                 (last ? ": set aof-load-truncated yes to load it up to there"
                       : ": only the last file of the log may end early");
        status = Status::kFailed;
        break;
      case AofReader::Status::kCorrupt:
        error_ = "Bad file format reading the append only file " + path + " at offset " +
                 std::to_string(reader_->bad_offset()) + " (" + reader_->error() +
                 "; the last complete command ends at offset " +
                 std::to_string(reader_->good_offset()) +
                 "): make a backup of it, then run sluice-check-aof --fix on it";
        status = Status::kFailed;
        break;
      case AofReader::Status::kIoError:
        error_ = "Error reading the append only file " + path + ": " + reader_->error();
        status = Status::kFailed;
        break;
    }
    if (status != Status::kMore) break;
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count();
    if (elapsed >= budget_us) break;
  }
  server_.PinClock(pinned);
  uint64_t dirty = server_.stats().dirty;
  server_.stats() = saved_stats;
  server_.stats().dirty = dirty;
  server_.commands().ResetStats();
  for (const auto& [spec, stats] : saved_command_stats) server_.commands().stats(*spec) = stats;
  return status;
}

}  // namespace sluice
