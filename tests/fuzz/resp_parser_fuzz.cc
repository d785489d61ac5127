// Feeds arbitrary bytes to the request parser, split at a fuzzer-chosen point, and checks that
// what it returns stays inside the buffer and that a split never changes the result.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "server/protocol/resp_parser.h"

namespace {

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  bool error = false;
};

// Parses `data` delivered in two reads, like a connection would.
Outcome ParseInTwoReads(const uint8_t* data, size_t size, size_t split) {
  sluice::ParserLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.max_inline_len = 4096;
  sluice::RequestParser parser(&limits);
  std::string buffer;
  Outcome outcome;
  std::vector<std::string_view> args;
  size_t begin = 0;
  for (int read = 0; read < 2 && !outcome.error; ++read) {
    if (read == 0) {
      buffer.append(reinterpret_cast<const char*>(data), split);
    } else {
      buffer.append(reinterpret_cast<const char*>(data) + split, size - split);
    }
    while (begin < buffer.size()) {
      size_t consumed = 0;
      auto status = parser.Parse(buffer.data() + begin, buffer.size() - begin, &args, &consumed);
      if (status == sluice::RequestParser::Status::kIncomplete) break;
      if (status == sluice::RequestParser::Status::kError) {
        outcome.error = true;
        break;
      }
      if (consumed == 0 || consumed > buffer.size() - begin) __builtin_trap();
      std::vector<std::string> command;
      for (auto a : args) {
        if (a.data() < buffer.data() + begin || a.data() + a.size() > buffer.data() + begin + consumed) {
          __builtin_trap();
        }
        command.emplace_back(a);
      }
      if (!command.empty()) outcome.commands.push_back(std::move(command));
      begin += consumed;
    }
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % size;
  Outcome whole = ParseInTwoReads(data + 1, size - 1, size - 1);
  Outcome pieces = ParseInTwoReads(data + 1, size - 1, split > size - 1 ? size - 1 : split);
  // However the bytes are split across reads, the commands parsed must be the same.
  if (!whole.error && !pieces.error && whole.commands != pieces.commands) {
    __builtin_trap();
  }
  return 0;
}
