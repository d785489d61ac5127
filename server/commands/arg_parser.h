// Reads a handler's arguments left to right. Typed reads record the first error instead of
// returning it, so option loops stay flat: parse everything, then check error() once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/commands/command.h"
#include "server/protocol/errors.h"
#include "server/util/numbers.h"

namespace sluice {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

class ArgParser {
 public:
  ArgParser(ArgList args, size_t start) : args_(args), pos_(start) {}

  bool HasNext() const { return pos_ < args_.size(); }
  size_t remaining() const { return pos_ < args_.size() ? args_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  std::string_view Peek() const { return HasNext() ? args_[pos_] : std::string_view(); }
  std::string_view Next() {
    if (!HasNext()) {
      Fail(errors::kSyntax);
      return {};
    }
    return args_[pos_++];
  }
  // Consumes the next argument if it equals `token` (case-insensitively).
  bool Check(std::string_view token) {
    if (HasNext() && EqualsIgnoreCase(args_[pos_], token)) {
      ++pos_;
      return true;
    }
    return false;
  }
  int64_t NextInt(std::string_view error = errors::kNotInteger) {
    std::string_view s = Next();
    int64_t v = 0;
    if (!failed() && !ParseInt64(s, &v)) Fail(error);
    return v;
  }
  double NextDouble(std::string_view error = errors::kNotFloat) {
    std::string_view s = Next();
    double v = 0;
    if (!failed() && !ParseDouble(s, &v)) Fail(error);
    return v;
  }
  void Fail(std::string_view error) {
    if (error_.empty()) error_ = error;
  }
  bool failed() const { return !error_.empty(); }
  std::string_view error() const { return error_; }

 private:
  ArgList args_;
  size_t pos_;
  std::string error_;
};

}  // namespace sluice
