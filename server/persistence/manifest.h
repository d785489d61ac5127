// The manifest of a multi-part append-only log (Redis 7's layout): a small text file in the log
// directory naming the base file (a snapshot written as commands) and the incremental files that
// follow it, in order. The dataset is the base replayed, then each incremental file. A new
// manifest replaces the old one with rename(2), so a crash at any moment leaves either the old
// set of files or the new one.
//
//   file appendonly.aof.3.base.aof seq 3 type b
//   file appendonly.aof.5.incr.aof seq 5 type i
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct AofManifest {
  struct File {
    std::string name;
    int64_t seq = 0;
  };
  std::optional<File> base;
  std::vector<File> incrs;  // in replay order

  // The files in replay order.
  std::vector<std::string> Files() const;
  int64_t NextBaseSeq() const { return base ? base->seq + 1 : 1; }
  int64_t NextIncrSeq() const { return incrs.empty() ? 1 : incrs.back().seq + 1; }

  std::string Serialize() const;
  // Accepts what Serialize writes plus blank lines, '#' comments and history entries (type h,
  // files awaiting deletion), which are ignored. Refuses anything else with *error.
  static bool Parse(std::string_view text, AofManifest* out, std::string* error);
};

// File names derived from appendfilename, as Redis 7 names them (our base is always commands).
std::string AofBaseFileName(std::string_view prefix, int64_t seq);
std::string AofIncrFileName(std::string_view prefix, int64_t seq);
std::string AofManifestFileName(std::string_view prefix);

}  // namespace sluice
