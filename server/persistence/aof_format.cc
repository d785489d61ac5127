#include "server/persistence/aof_format.h"

#include <algorithm>
#include <cstring>

namespace sluice {
namespace {

// Longest header line body we accept ("*" or "$" excluded): 19 digits cover any count we would
// ever write; anything longer is damage, not a big number.
constexpr size_t kMaxDigits = 19;
// Counts and lengths above these are refused as corrupt rather than waited for.
constexpr uint64_t kMaxArgc = (1ULL << 31) - 1;
constexpr uint64_t kMaxBulk = 1ULL << 40;
// Reserving for a claimed count is capped: the count is only trusted as far as bytes back it.
constexpr size_t kMaxReserve = 1024;

enum class Line { kOk, kIncomplete, kBad };

// Reads "<prefix><digits>\r\n" at `pos`. On kBad, *bad_at is the offending byte.
Line ReadHeader(std::string_view in, size_t pos, char prefix, uint64_t* value, size_t* next,
                size_t* bad_at, std::string* error) {
  if (pos >= in.size()) return Line::kIncomplete;
  if (in[pos] != prefix) {
    *bad_at = pos;
    *error = std::string("expected '") + prefix + "'";
    return Line::kBad;
  }
  uint64_t v = 0;
  size_t i = pos + 1;
  size_t digits = 0;
  while (i < in.size() && in[i] >= '0' && in[i] <= '9') {
    if (++digits > kMaxDigits) {
      *bad_at = i;
      *error = "number too long";
      return Line::kBad;
    }
    v = v * 10 + static_cast<uint64_t>(in[i] - '0');
    ++i;
  }
  if (i >= in.size()) return Line::kIncomplete;
  if (digits == 0) {
    *bad_at = i;
    *error = "expected a digit";
    return Line::kBad;
  }
  if (in[i] != '\r') {
    *bad_at = i;
    *error = "expected CR after the number";
    return Line::kBad;
  }
  if (i + 1 >= in.size()) return Line::kIncomplete;
  if (in[i + 1] != '\n') {
    *bad_at = i + 1;
    *error = "expected LF after CR";
    return Line::kBad;
  }
  *value = v;
  *next = i + 2;
  return Line::kOk;
}

}  // namespace

void AofWriter::Header(char kind, uint64_t n) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  *--p = kind;
  out_->append(p, static_cast<size_t>(end - p));
}

void AofWriter::Begin(size_t argc) {
  ++commands_;
  Header('*', argc);
}

void AofWriter::Arg(std::string_view arg) {
  Header('$', arg.size());
  out_->append(arg);
  out_->append("\r\n", 2);
}

void AofWriter::Arg(int64_t value) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  do {
    *--p = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) *--p = '-';
  Arg(std::string_view(p, static_cast<size_t>(end - p)));
}

namespace {

size_t DecimalDigits(uint64_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

// Writes kind, n and CRLF ending exactly at `end`; returns where it starts.
char* PutHeaderBefore(char* end, char kind, uint64_t n) {
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  *--p = kind;
  return p;
}

}  // namespace

// Every write command goes through here, so the record is sized first and written with one
// resize rather than a string append per header and argument.
void AofWriter::Command(std::span<const std::string_view> args) {
  ++commands_;
  size_t total = 3 + DecimalDigits(args.size());
  for (std::string_view a : args) total += 5 + DecimalDigits(a.size()) + a.size();
  size_t start = out_->size();
  out_->resize(start + total);
  char* p = out_->data() + start;
  size_t header = 3 + DecimalDigits(args.size());
  PutHeaderBefore(p + header, '*', args.size());
  p += header;
  for (std::string_view a : args) {
    size_t len_header = 3 + DecimalDigits(a.size());
    PutHeaderBefore(p + len_header, '$', a.size());
    p += len_header;
    if (!a.empty()) memcpy(p, a.data(), a.size());
    p += a.size();
    *p++ = '\r';
    *p++ = '\n';
  }
}

AofParse ParseAofRecord(std::string_view in, std::vector<std::string_view>* args, size_t* consumed,
                        size_t* bad_at, std::string* error) {
  args->clear();
  if (in.empty()) return AofParse::kIncomplete;
  if (in[0] == '#') {
    // An annotation line, e.g. a timestamp: skipped whole.
    size_t nl = in.find('\n');
    if (nl == std::string_view::npos) return AofParse::kIncomplete;
    *consumed = nl + 1;
    return AofParse::kRecord;
  }
  uint64_t argc = 0;
  size_t pos = 0;
  switch (ReadHeader(in, 0, '*', &argc, &pos, bad_at, error)) {
    case Line::kIncomplete:
      return AofParse::kIncomplete;
    case Line::kBad:
      return AofParse::kBad;
    case Line::kOk:
      break;
  }
  if (argc == 0 || argc > kMaxArgc) {
    *bad_at = 1;
    *error = "invalid argument count";
    return AofParse::kBad;
  }
  args->reserve(std::min<uint64_t>(argc, kMaxReserve));
  for (uint64_t i = 0; i < argc; ++i) {
    uint64_t len = 0;
    size_t data = 0;
    switch (ReadHeader(in, pos, '$', &len, &data, bad_at, error)) {
      case Line::kIncomplete:
        return AofParse::kIncomplete;
      case Line::kBad:
        return AofParse::kBad;
      case Line::kOk:
        break;
    }
    if (len > kMaxBulk) {
      *bad_at = pos + 1;
      *error = "invalid bulk length";
      return AofParse::kBad;
    }
    size_t available = in.size() - data;
    if (len > available) return AofParse::kIncomplete;
    size_t end = data + static_cast<size_t>(len);
    if (end < in.size() && in[end] != '\r') {
      *bad_at = end;
      *error = "expected CR after the argument";
      return AofParse::kBad;
    }
    if (end + 1 < in.size() && in[end + 1] != '\n') {
      *bad_at = end + 1;
      *error = "expected LF after CR";
      return AofParse::kBad;
    }
    if (end + 2 > in.size()) return AofParse::kIncomplete;
    args->push_back(in.substr(data, static_cast<size_t>(len)));
    pos = end + 2;
  }
  *consumed = pos;
  return AofParse::kRecord;
}

}  // namespace sluice
