// sluice-check-aof [--fix] <file.aof | manifest>
//
// Checks an append-only log file, or every file a manifest names, reporting the first offset
// that is not a valid record. With --fix a damaged or cut-off file is truncated to its last
// complete record (for a manifest, only its last file may be cut: the files after a cut one
// would replay on top of a state they were not written for).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "server/persistence/aof_check.h"

namespace {

void Usage() {
  fprintf(stderr,
          "Usage: sluice-check-aof [--fix] <file.aof | appendonly.aof.manifest>\n"
          "  Reports the first offset of the file that is not a valid command. With --fix,\n"
          "  truncates the file to its last complete command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false;
  std::string target;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--fix") {
      fix = true;
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else if (target.empty() && !arg.starts_with("--")) {
      target = arg;
    } else {
      Usage();
      return 2;
    }
  }
  if (target.empty()) {
    Usage();
    return 2;
  }
  std::vector<std::string> files;
  std::string error;
  if (target.ends_with(".manifest")) {
    if (!sluice::AofFilesOfManifest(target, &files, &error)) {
      fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
  } else {
    files.push_back(target);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    sluice::AofCheckReport report = sluice::CheckAofFile(files[i]);
    printf("%s\n", report.Describe().c_str());
    using Status = sluice::AofCheckReport::Status;
    if (report.status == Status::kOk) continue;
    if (report.status == Status::kIoError) return 1;
    bool last = i + 1 == files.size();
    if (!fix) {
      printf("The log is not valid. Run with --fix to truncate %s to %llu bytes.\n",
             files[i].c_str(), static_cast<unsigned long long>(report.good_offset));
      return 1;
    }
    if (!last) {
      printf("Only the last file of a log can be cut; restore %s from a backup.\n",
             files[i].c_str());
      return 1;
    }
    if (!sluice::TruncateAofFile(files[i], report.good_offset, &error)) {
      fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    printf("Truncated %s to %llu bytes (%llu bytes removed).\n", files[i].c_str(),
           static_cast<unsigned long long>(report.good_offset),
           static_cast<unsigned long long>(report.size - report.good_offset));
  }
  return 0;
}
