// Replays the files of a log into the server, a bounded slice at a time so the event loop keeps
// answering (-LOADING) while a large dataset loads.
//
// Replay runs every command through the dispatcher's ExecuteCommand on a private session that is
// never listed among clients, with blocking disabled and the clock frozen at the epoch: nothing
// the log recreates can expire before the whole log is applied (deletions by expiry are logged
// as DELs where they happened), so replay reproduces the dataset exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/persistence/aof_reader.h"

namespace sluice {

class Server;
class Session;

class AofLoader {
 public:
  // `paths` in replay order. When `allow_truncated_tail`, a last file that ends inside a command
  // or transaction loads up to its last complete unit and truncate_offset() says where to cut.
  AofLoader(Server& server, std::vector<std::string> paths, bool allow_truncated_tail);
  ~AofLoader();

  enum class Status { kMore, kDone, kFailed };
  // Replays for about `budget_us` microseconds (at least one unit).
  Status Run(int64_t budget_us);

  const std::string& error() const { return error_; }
  // The last file must be cut to this length (-1: nothing to cut).
  int64_t truncate_offset() const { return truncate_offset_; }
  const std::string& truncate_path() const { return truncate_path_; }
  std::string truncate_reason() const { return truncate_reason_; }

  uint64_t total_bytes() const { return total_bytes_; }
  uint64_t loaded_bytes() const;
  uint64_t commands() const { return commands_; }

 private:
  bool OpenNext();
  bool Replay();

  Server& server_;
  std::vector<std::string> paths_;
  bool allow_truncated_tail_;
  size_t next_ = 0;
  std::unique_ptr<AofReader> reader_;
  std::unique_ptr<Session> session_;
  std::string error_;
  int64_t truncate_offset_ = -1;
  std::string truncate_path_;
  std::string truncate_reason_;
  uint64_t total_bytes_ = 0;
  uint64_t done_bytes_ = 0;  // of the files already finished
  uint64_t commands_ = 0;
};

}  // namespace sluice
