// The append-only log's byte format: every record is a command as a RESP multibulk
// (`*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument), the form Redis uses, so a log can be
// read with any RESP tool. Lines starting with '#' between commands are annotations and are
// skipped. This file knows nothing about the server: the loader, the checker and the fuzz target
// all parse through ParseAofRecord.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Appends commands to a byte buffer in the log's format.
class AofWriter {
 public:
  explicit AofWriter(std::string* out) : out_(out) {}

  void Command(std::span<const std::string_view> args);
  void Command(std::initializer_list<std::string_view> args) {
    Command(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // For commands built while walking a collection: the argument count first, then each argument.
  void Begin(size_t argc);
  void Arg(std::string_view arg);
  void Arg(int64_t value);

  std::string* buffer() { return out_; }
  // Commands begun through this writer.
  size_t commands() const { return commands_; }

 private:
  void Header(char kind, uint64_t n);

  std::string* out_;
  size_t commands_ = 0;
};

enum class AofParse {
  kRecord,      // a command (args filled) or an annotation (args empty) was consumed
  kIncomplete,  // the bytes so far are a valid beginning; more are needed
  kBad,         // the bytes cannot be the beginning of a record
};

// Parses the record at the start of `in`. On kRecord sets *consumed and fills *args with views
// into `in`. On kBad sets *bad_at to the offset (within `in`) of the offending byte and *error to
// what was wrong. Never reads outside `in` and never allocates in proportion to a claimed count.
AofParse ParseAofRecord(std::string_view in, std::vector<std::string_view>* args, size_t* consumed,
                        size_t* bad_at, std::string* error);

}  // namespace sluice
