#include "server/persistence/aof_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "server/persistence/aof_reader.h"
#include "server/persistence/manifest.h"

namespace sluice {

std::string AofCheckReport::Describe() const {
  std::string line = path + ": ";
  switch (status) {
    case Status::kOk:
      return line + "valid (" + std::to_string(records) + " commands, " + std::to_string(size) +
             " bytes)";
    case Status::kTruncated:
      return line + "ends inside a record at offset " + std::to_string(bad_offset) + " (" + error +
             "); the last complete record ends at offset " + std::to_string(good_offset);
    case Status::kCorrupt:
      return line + "bad format at offset " + std::to_string(bad_offset) + " (" + error +
             "); the last complete record ends at offset " + std::to_string(good_offset);
    case Status::kIoError:
      return line + error;
  }
  return line;
}

AofCheckReport CheckAofFile(const std::string& path) {
  AofCheckReport report;
  report.path = path;
  AofReader reader;
  if (!reader.Open(path, &report.error)) {
    report.status = AofCheckReport::Status::kIoError;
    return report;
  }
  report.size = reader.file_size();
  while (true) {
    AofReader::Status st = reader.Next();
    if (st == AofReader::Status::kUnit) continue;
    report.good_offset = reader.good_offset();
    report.bad_offset = reader.bad_offset();
    report.records = reader.records();
    report.error = reader.error();
    switch (st) {
      case AofReader::Status::kEnd:
        report.status = AofCheckReport::Status::kOk;
        break;
      case AofReader::Status::kTruncated:
        report.status = AofCheckReport::Status::kTruncated;
        break;
      case AofReader::Status::kCorrupt:
        report.status = AofCheckReport::Status::kCorrupt;
        break;
      default:
        report.status = AofCheckReport::Status::kIoError;
        break;
    }
    return report;
  }
}

bool AofFilesOfManifest(const std::string& manifest_path, std::vector<std::string>* paths,
                        std::string* error) {
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in) {
    *error = "can't open " + manifest_path + ": " + strerror(errno);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  AofManifest manifest;
  if (!AofManifest::Parse(text.str(), &manifest, error)) {
    *error = manifest_path + ": " + *error;
    return false;
  }
  std::string dir;
  size_t slash = manifest_path.rfind('/');
  if (slash != std::string::npos) dir = manifest_path.substr(0, slash + 1);
  for (const std::string& name : manifest.Files()) paths->push_back(dir + name);
  return true;
}

bool TruncateAofFile(const std::string& path, uint64_t size, std::string* error) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ftruncate(fd, static_cast<off_t>(size)) == 0 && fsync(fd) == 0;
  if (!ok) *error = "can't truncate " + path + ": " + strerror(errno);
  if (fd >= 0) close(fd);
  return ok;
}

}  // namespace sluice
