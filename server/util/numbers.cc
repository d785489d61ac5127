// Number conversions mirroring Redis's util.c acceptance rules. Floating-point parsing and
// long double formatting go through the C library, like Redis, so they assume the default "C"
// LC_NUMERIC; doubles are formatted with std::to_chars, which is locale-independent.
#include "server/util/numbers.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace sluice {
namespace {

// Redis never parses an integer from 21 or more bytes.
constexpr size_t kMaxIntegerChars = 20;
// Redis copies long double arguments into a buffer of this size (MAX_LONG_DOUBLE_CHARS).
constexpr size_t kLongDoubleBufferSize = 5 * 1024;

// Pairs "00".."99" so that formatting emits two digits per division.
constexpr char kDigitPairs[] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// isspace() in the "C" locale, which is what Redis's leading-whitespace check sees.
bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses a non-empty run of digits with no leading zero (or exactly "0") into `out`.
bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

// True when errno/value describe a result Redis refuses: overflow to infinity or underflow all
// the way to zero (denormal results are kept), or NaN.
template <typename T>
bool OutOfRangeOrNan(T value, int err) {
  if (std::isnan(value)) return true;
  return err == ERANGE && (std::isinf(value) || value == 0);
}

}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > kMaxIntegerChars) return false;
  const bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  uint64_t magnitude;
  if (!ParseDigits(s, &magnitude)) return false;
  if (negative) {
    // "-0" is not canonical, so Redis refuses it.
    if (magnitude == 0) return false;
    constexpr uint64_t kMinMagnitude =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
    if (magnitude > kMinMagnitude) return false;
    *out = static_cast<int64_t>(0 - magnitude);  // Wraps correctly for INT64_MIN.
  } else {
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(magnitude);
  }
  return true;
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  if (s.size() > kMaxIntegerChars) return false;
  return ParseDigits(s, out);
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || IsCSpace(s[0])) return false;
  // strtod needs a terminator; short arguments avoid the heap.
  char stack_buf[64];
  std::string heap_buf;
  const char* str;
  if (s.size() < sizeof(stack_buf)) {
    std::memcpy(stack_buf, s.data(), s.size());
    stack_buf[s.size()] = '\0';
    str = stack_buf;
  } else {
    heap_buf.assign(s);
    str = heap_buf.c_str();
  }
  char* end;
  errno = 0;
  const double value = std::strtod(str, &end);
  const int err = errno;
  // A NUL inside `s` stops strtod early, which this length check also rejects.
  if (static_cast<size_t>(end - str) != s.size() || OutOfRangeOrNan(value, err)) return false;
  *out = value;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= kLongDoubleBufferSize || IsCSpace(s[0])) return false;
  char buf[kLongDoubleBufferSize];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  const long double value = std::strtold(buf, &end);
  const int err = errno;
  if (static_cast<size_t>(end - buf) != s.size() || OutOfRangeOrNan(value, err)) return false;
  *out = value;
  return true;
}

size_t FormatUint64(uint64_t v, char* buf) {
  // Lengths and counts in replies and log records are mostly one or two digits.
  if (v < 10) {
    buf[0] = static_cast<char>('0' + v);
    buf[1] = '\0';
    return 1;
  }
  if (v < 100) {
    buf[0] = kDigitPairs[v * 2];
    buf[1] = kDigitPairs[v * 2 + 1];
    buf[2] = '\0';
    return 2;
  }
  // Counting the digits first lets them be written in place, from the end, with no copy.
  size_t len = 3;
  for (uint64_t bound = 1000; len < 20 && v >= bound; bound *= 10) ++len;
  char* p = buf + len;
  *p = '\0';
  while (v >= 100) {
    const size_t pair = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  }
  if (v >= 10) {
    const size_t pair = static_cast<size_t>(v) * 2;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  } else {
    *--p = static_cast<char>('0' + v);
  }
  return len;
}

size_t FormatInt64(int64_t v, char* buf) {
  if (v >= 0) return FormatUint64(static_cast<uint64_t>(v), buf);
  buf[0] = '-';
  // Negating in unsigned arithmetic keeps INT64_MIN well-defined.
  return 1 + FormatUint64(0 - static_cast<uint64_t>(v), buf + 1);
}

std::string Int64ToString(int64_t v) {
  char buf[kInt64BufferSize];
  return std::string(buf, FormatInt64(v, buf));
}

std::string FormatLongDouble(long double v) {
  // The C library spells infinities differently across platforms; Redis pins them down.
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // "%.17Lf" of the largest long double is close to 5000 characters.
  const int needed = std::snprintf(nullptr, 0, "%.17Lf", v);
  if (needed <= 0) return "0";
  std::string out(static_cast<size_t>(needed) + 1, '\0');
  std::snprintf(out.data(), out.size(), "%.17Lf", v);
  out.resize(static_cast<size_t>(needed));
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  // Tiny negative values round to "-0", which Redis reports as plain zero.
  if (out == "-0") out = "0";
  return out;
}

size_t FormatDouble(double v, char* buf) {
  if (std::isinf(v)) {
    std::memcpy(buf, v > 0 ? "inf" : "-inf", v > 0 ? 3 : 4);
    return v > 0 ? 3 : 4;
  }
  if (std::isnan(v)) {
    std::memcpy(buf, "nan", 3);
    return 3;
  }
  // Whole numbers below 10^15 have at most 16 digits, which "%.17g" prints as a plain integer;
  // integer formatting is several times cheaper than the general conversion. A negative zero
  // keeps its sign ("-0") through the general path.
  static_assert(kDoubleBufferSize >= kInt64BufferSize);
  if (v == std::trunc(v) && std::fabs(v) < 1e15 && !(v == 0 && std::signbit(v))) {
    return FormatInt64(static_cast<int64_t>(v), buf);
  }
  // to_chars with a precision is specified to give what printf's "%.17g" gives in the C locale.
  auto result = std::to_chars(buf, buf + kDoubleBufferSize, v, std::chars_format::general, 17);
  return static_cast<size_t>(result.ptr - buf);
}

std::string FormatDouble(double v) {
  char buf[kDoubleBufferSize];
  return std::string(buf, FormatDouble(v, buf));
}

bool IsCanonicalInt64String(std::string_view s) {
  int64_t value;
  if (!ParseInt64(s, &value)) return false;
  // ParseInt64 only accepts canonical spellings; the round trip documents and enforces that.
  char buf[kInt64BufferSize];
  return std::string_view(buf, FormatInt64(value, buf)) == s;
}

}  // namespace sluice
