// Reads one log file front to back in units: a single command, or the commands of a
// MULTI ... EXEC group, handed out only once its EXEC has been read, so a transaction cut short by
// the end of the file is never applied in part. Used by the loader and by the checker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class AofReader {
 public:
  AofReader() = default;
  ~AofReader();
  AofReader(const AofReader&) = delete;
  AofReader& operator=(const AofReader&) = delete;

  // Reads the file at `path`. False (with *error) if it cannot be opened.
  bool Open(const std::string& path, std::string* error);
  // Reads `data` (tests, fuzzing) `chunk` bytes at a time, as a file would arrive.
  void OpenMemory(std::string_view data, size_t chunk);

  enum class Status {
    kUnit,       // unit_size() commands are ready
    kEnd,        // the file ended cleanly after the last unit
    kTruncated,  // the file ends inside a command or a transaction
    kCorrupt,    // bytes that cannot be a record; error() says where and why
    kIoError,
  };
  // The next unit. Views returned by command() stay valid until the next call.
  Status Next();

  size_t unit_size() const { return unit_size_; }
  std::span<const std::string_view> command(size_t i) const { return unit_[i]; }

  // End of the last complete unit: where the file may be cut to keep every whole unit.
  uint64_t good_offset() const { return good_offset_; }
  // For kCorrupt, the offending byte.
  uint64_t bad_offset() const { return bad_offset_; }
  // Bytes consumed so far, for progress.
  uint64_t offset() const { return base_ + pos_; }
  uint64_t file_size() const { return file_size_; }
  // Complete commands handed out so far (MULTI and EXEC included).
  uint64_t records() const { return records_; }
  const std::string& error() const { return error_; }

 private:
  // Appends the next chunk to buf_; false at the end of input or on an error.
  bool Fill();

  int fd_ = -1;
  std::string_view memory_;
  size_t memory_pos_ = 0;
  bool from_memory_ = false;
  size_t chunk_ = 1 << 20;
  bool eof_ = false;
  std::string buf_;
  size_t pos_ = 0;     // first unconsumed byte of buf_
  uint64_t base_ = 0;  // file offset of buf_[0]
  uint64_t file_size_ = 0;
  uint64_t good_offset_ = 0;
  uint64_t bad_offset_ = 0;
  uint64_t records_ = 0;
  std::vector<std::vector<std::string_view>> unit_;
  size_t unit_size_ = 0;
  std::vector<std::string_view> args_;
  std::string error_;
};

}  // namespace sluice
