// Checking log files without a server: used by sluice-check-aof and its tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct AofCheckReport {
  enum class Status { kOk, kTruncated, kCorrupt, kIoError };
  std::string path;
  Status status = Status::kOk;
  uint64_t size = 0;
  // End of the last complete command (or transaction): what --fix truncates to.
  uint64_t good_offset = 0;
  // The first byte that is wrong (kCorrupt) or the end of the file (kTruncated).
  uint64_t bad_offset = 0;
  uint64_t records = 0;
  std::string error;

  // One line describing the result.
  std::string Describe() const;
};

// Reads the whole file, checking every record and that transactions are closed.
AofCheckReport CheckAofFile(const std::string& path);

// The files a manifest names, in replay order, as paths next to the manifest.
bool AofFilesOfManifest(const std::string& manifest_path, std::vector<std::string>* paths,
                        std::string* error);

// Cuts `path` to `size` bytes and syncs it.
bool TruncateAofFile(const std::string& path, uint64_t size, std::string* error);

}  // namespace sluice
