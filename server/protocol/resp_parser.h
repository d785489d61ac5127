// Incremental request parser for RESP multibulk and inline commands.
//
// Arguments come back as views into the caller's buffer (zero copy). The parser keeps its
// position inside a partially received command as offsets, never pointers, because the caller's
// buffer may move when it grows; a command split across any number of reads is resumed where it
// stopped instead of being re-scanned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = 1024 * 1024;
  size_t max_inline_len = 64 * 1024;
};

class RequestParser {
 public:
  enum class Status { kCommand, kIncomplete, kError };

  explicit RequestParser(const ParserLimits* limits) : limits_(limits) {}

  // Parses the next command in buf[0, size). On kCommand, `args` holds views into buf and
  // `consumed` the bytes the command took. The buffer may be modified in place (inline commands
  // are unescaped where they lie). On kIncomplete `consumed` is 0 and the caller must call again
  // with the same bytes plus more. On kError, error() tells why; the connection must be closed.
  Status Parse(char* buf, size_t size, std::vector<std::string_view>* args, size_t* consumed);

  std::string_view error() const { return error_; }
  // Bytes the parser knows it still needs for the command in progress; lets the caller size its
  // next read so a large bulk lands in one contiguous buffer.
  size_t bytes_wanted() const { return bytes_wanted_; }
  void Reset();

 private:
  Status ParseMultibulk(char* buf, size_t size, std::vector<std::string_view>* args,
                        size_t* consumed);
  Status ParseInline(char* buf, size_t size, std::vector<std::string_view>* args, size_t* consumed);
  Status Fail(std::string_view message);
  // Keeps the bulks of a command cut short (at `pos`, `wanted` more bytes known to be needed).
  Status Suspend(const char* buf, std::vector<std::string_view>* args, int64_t expected, size_t pos,
                 size_t wanted);

  const ParserLimits* limits_;
  std::string_view error_;
  // Resume state of a multibulk command in progress.
  bool in_multibulk_ = false;
  int64_t expected_args_ = 0;
  size_t pos_ = 0;
  std::vector<std::pair<size_t, size_t>> pending_;  // offset, length of parsed bulks
  size_t bytes_wanted_ = 0;
};

// Splits an inline command line the way redis-cli and Redis do (quotes, escapes), in place.
// Returns false on unbalanced quotes.
bool SplitInlineArgs(char* line, size_t len, std::vector<std::string_view>* args);

}  // namespace sluice
