#include "server/protocol/resp_parser.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace sluice {
namespace {

// Reads a decimal number terminated by \r\n starting at buf[pos]. Returns the index just after
// \r\n, 0 if the line is not complete yet, or SIZE_MAX if it is not a valid number.
constexpr size_t kBadNumber = SIZE_MAX;

// Everything but the usual line: signs, partial lines, bad input. Kept out of line so the usual
// case below needs no registers saved.
[[gnu::noinline]] size_t ReadNumberLineSlow(const char* buf, size_t size, size_t pos,
                                            size_t max_line, int64_t* out) {
  const char* start = buf + pos;
  const char* cr = static_cast<const char*>(memchr(start, '\r', size - pos));
  if (cr == nullptr) {
    return size - pos > max_line ? kBadNumber - 1 : 0;
  }
  if (cr + 1 >= buf + size) return 0;  // have \r but not yet \n
  bool negative = false;
  const char* p = start;
  if (p < cr && *p == '-') {
    negative = true;
    ++p;
  }
  // 18 digits always fit in an int64_t; no length or count Redis accepts needs more. As in
  // Redis, a number has no leading zero and no "-0".
  if (p == cr || cr - p > 18) return kBadNumber;
  if (*p == '0' && (cr - p > 1 || negative)) return kBadNumber;
  int64_t value = 0;
  for (; p < cr; ++p) {
    if (*p < '0' || *p > '9') return kBadNumber;
    value = value * 10 + (*p - '0');
  }
  *out = negative ? -value : value;
  return static_cast<size_t>(cr - buf) + 2;
}

// The usual line, a few digits and its \r\n already in the buffer, is read in one pass.
inline size_t ReadNumberLine(const char* buf, size_t size, size_t pos, size_t max_line,
                             int64_t* out) {
  const char* start = buf + pos;
  const char* end = buf + size;
  const char* p = start;
  int64_t value = 0;
  while (p < end && p - start < 18 && static_cast<unsigned char>(*p - '0') < 10) {
    value = value * 10 + (*p - '0');
    ++p;
  }
  if (p > start && p + 1 < end && *p == '\r' && (*start != '0' || p - start == 1)) {
    *out = value;
    return static_cast<size_t>(p - buf) + 2;
  }
  return ReadNumberLineSlow(buf, size, pos, max_line, out);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

}  // namespace

void RequestParser::Reset() {
  in_multibulk_ = false;
  expected_args_ = 0;
  pos_ = 0;
  pending_.clear();
  bytes_wanted_ = 0;
}

RequestParser::Status RequestParser::Fail(std::string_view message) {
  error_ = message;
  Reset();
  return Status::kError;
}

RequestParser::Status RequestParser::Parse(char* buf, size_t size,
                                           std::vector<std::string_view>* args, size_t* consumed) {
  *consumed = 0;
  args->clear();
  if (size == 0) return Status::kIncomplete;
  if (in_multibulk_ || buf[0] == '*') return ParseMultibulk(buf, size, args, consumed);
  return ParseInline(buf, size, args, consumed);
}

RequestParser::Status RequestParser::ParseMultibulk(char* buf, size_t size,
                                                    std::vector<std::string_view>* args,
                                                    size_t* consumed) {
  // Bulks go straight into `args`, with the position in a local: a request that is all in the
  // buffer (nearly every one) never touches the resume state. One cut short is kept as offsets
  // by Suspend and put back into `args` when more bytes arrive.
  size_t pos;
  int64_t expected;
  if (!in_multibulk_) {
    int64_t count = 0;
    size_t next = ReadNumberLine(buf, size, 1, limits_->max_inline_len, &count);
    if (next == 0) return Status::kIncomplete;
    if (next == kBadNumber - 1) return Fail("Protocol error: too big mbulk count string");
    if (next == kBadNumber || count > limits_->max_multibulk_len) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count <= 0) {  // *0 and *-1 are empty requests that Redis skips silently.
      *consumed = next;
      return Status::kCommand;
    }
    expected = count;
    pos = next;
    args->reserve(static_cast<size_t>(count < 1024 ? count : 1024));
  } else {
    expected = expected_args_;
    pos = pos_;
    for (const auto& [offset, len] : pending_) args->emplace_back(buf + offset, len);
  }
  const size_t max_line = limits_->max_inline_len;
  const int64_t max_bulk = limits_->max_bulk_len;
  while (static_cast<int64_t>(args->size()) < expected) {
    if (pos >= size) return Suspend(buf, args, expected, pos, 0);
    if (buf[pos] != '$') {
      static thread_local char message[64];
      unsigned char c = static_cast<unsigned char>(buf[pos]);
      snprintf(message, sizeof(message), "Protocol error: expected '$', got '%c'",
               isprint(c) ? c : ' ');
      return Fail(message);
    }
    int64_t len = 0;
    size_t next = ReadNumberLine(buf, size, pos + 1, max_line, &len);
    if (next == 0) return Suspend(buf, args, expected, pos, 0);
    if (next == kBadNumber - 1) return Fail("Protocol error: too big bulk count string");
    if (next == kBadNumber || len < 0 || len > max_bulk) {
      return Fail("Protocol error: invalid bulk length");
    }
    size_t end = next + static_cast<size_t>(len) + 2;
    if (end > size) return Suspend(buf, args, expected, pos, end - size);
    args->emplace_back(buf + next, static_cast<size_t>(len));
    pos = end;
  }
  *consumed = pos;
  if (in_multibulk_) Reset();
  return Status::kCommand;
}

RequestParser::Status RequestParser::Suspend(const char* buf, std::vector<std::string_view>* args,
                                             int64_t expected, size_t pos, size_t wanted) {
  // Offsets, not views: the caller may move its buffer before calling again.
  in_multibulk_ = true;
  expected_args_ = expected;
  pos_ = pos;
  bytes_wanted_ = wanted;
  pending_.clear();
  for (std::string_view arg : *args) {
    pending_.emplace_back(static_cast<size_t>(arg.data() - buf), arg.size());
  }
  args->clear();
  return Status::kIncomplete;
}

RequestParser::Status RequestParser::ParseInline(char* buf, size_t size,
                                                 std::vector<std::string_view>* args,
                                                 size_t* consumed) {
  char* newline = static_cast<char*>(memchr(buf, '\n', size));
  if (newline == nullptr) {
    if (size > limits_->max_inline_len) return Fail("Protocol error: too big inline request");
    return Status::kIncomplete;
  }
  size_t line_len = static_cast<size_t>(newline - buf);
  if (line_len > 0 && buf[line_len - 1] == '\r') --line_len;
  if (!SplitInlineArgs(buf, line_len, args)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  *consumed = static_cast<size_t>(newline - buf) + 1;
  return Status::kCommand;
}

bool SplitInlineArgs(char* line, size_t len, std::vector<std::string_view>* args) {
  size_t i = 0;
  while (true) {
    while (i < len && IsSpace(line[i])) ++i;
    if (i >= len) return true;
    char* out = line + i;  // unescaped bytes are written over the input, never ahead of it
    size_t out_len = 0;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (i >= len) return false;
        if (line[i] == '\\' && i + 3 < len && line[i + 1] == 'x' && HexDigit(line[i + 2]) >= 0 &&
            HexDigit(line[i + 3]) >= 0) {
          out[out_len++] = static_cast<char>(HexDigit(line[i + 2]) * 16 + HexDigit(line[i + 3]));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < len) {
          char c = line[++i];
          switch (c) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              break;
          }
          out[out_len++] = c;
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or the end of the line.
          if (i + 1 < len && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          out[out_len++] = line[i];
        }
      } else if (in_single) {
        if (i >= len) return false;
        if (line[i] == '\\' && i + 1 < len && line[i + 1] == '\'') {
          ++i;
          out[out_len++] = '\'';
        } else if (line[i] == '\'') {
          if (i + 1 < len && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          out[out_len++] = line[i];
        }
      } else {
        if (i >= len) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            out[out_len++] = line[i];
            break;
        }
      }
      if (i < len) ++i;
    }
    args->emplace_back(out, out_len);
  }
}

}  // namespace sluice
