#include "server/persistence/aof_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/persistence/aof_format.h"

namespace sluice {
namespace {

bool IsWord(std::string_view s, std::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace

AofReader::~AofReader() {
  if (fd_ >= 0) close(fd_);
}

bool AofReader::Open(const std::string& path, std::string* error) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    *error = "can't open " + path + ": " + strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd_, &st) == 0) file_size_ = static_cast<uint64_t>(st.st_size);
  return true;
}

void AofReader::OpenMemory(std::string_view data, size_t chunk) {
  from_memory_ = true;
  memory_ = data;
  chunk_ = chunk == 0 ? 1 : chunk;
  file_size_ = data.size();
}

bool AofReader::Fill() {
  if (eof_) return false;
  if (from_memory_) {
    size_t n = std::min(chunk_, memory_.size() - memory_pos_);
    if (n == 0) {
      eof_ = true;
      return false;
    }
    buf_.append(memory_.substr(memory_pos_, n));
    memory_pos_ += n;
    return true;
  }
  size_t old = buf_.size();
  buf_.resize(old + chunk_);
  ssize_t n;
  do {
    n = read(fd_, buf_.data() + old, chunk_);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    buf_.resize(old);
    if (n < 0) error_ = std::string("read error: ") + strerror(errno);
    eof_ = true;
    return false;
  }
  buf_.resize(old + static_cast<size_t>(n));
  return true;
}

AofReader::Status AofReader::Next() {
  // The previous unit has been used: its bytes can go.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
  }
  while (true) {
    unit_size_ = 0;
    size_t scan = pos_;
    size_t unit_start = pos_;
    bool in_multi = false;
    bool refilled = false;
    uint64_t records = 0;
    while (!refilled) {
      std::string_view rest(buf_.data() + scan, buf_.size() - scan);
      size_t consumed = 0;
      size_t bad_at = 0;
      std::string why;
      switch (ParseAofRecord(rest, &args_, &consumed, &bad_at, &why)) {
        case AofParse::kIncomplete: {
          if (Fill()) {
            // The buffer may have moved: parse the unit again from its start.
            refilled = true;
            break;
          }
          if (!error_.empty()) return Status::kIoError;
          good_offset_ = base_ + unit_start;
          if (scan == buf_.size() && !in_multi) {
            pos_ = scan;
            good_offset_ = base_ + pos_;
            return Status::kEnd;
          }
          error_ =
              in_multi ? "the file ends inside a MULTI block" : "the file ends inside a command";
          bad_offset_ = base_ + buf_.size();
          return Status::kTruncated;
        }
        case AofParse::kBad:
          good_offset_ = base_ + unit_start;
          bad_offset_ = base_ + scan + bad_at;
          error_ = why;
          return Status::kCorrupt;
        case AofParse::kRecord:
          break;
      }
      if (refilled) break;
      scan += consumed;
      if (args_.empty()) {  // an annotation
        if (!in_multi) unit_start = pos_ = scan;
        continue;
      }
      ++records;
      if (IsWord(args_[0], "MULTI")) {
        if (in_multi) {
          good_offset_ = base_ + unit_start;
          bad_offset_ = base_ + scan - consumed;
          error_ = "MULTI inside a MULTI block";
          return Status::kCorrupt;
        }
        in_multi = true;
        continue;
      }
      if (IsWord(args_[0], "EXEC")) {
        if (!in_multi) {
          good_offset_ = base_ + unit_start;
          bad_offset_ = base_ + scan - consumed;
          error_ = "EXEC without MULTI";
          return Status::kCorrupt;
        }
        pos_ = scan;
        good_offset_ = base_ + pos_;
        records_ += records;
        return Status::kUnit;
      }
      if (unit_size_ == unit_.size()) unit_.emplace_back();
      unit_[unit_size_++].swap(args_);
      if (!in_multi) {
        pos_ = scan;
        good_offset_ = base_ + pos_;
        records_ += records;
        return Status::kUnit;
      }
    }
  }
}

}  // namespace sluice
