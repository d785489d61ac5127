// Number <-> string conversions that accept and produce exactly what Redis 7.0 does, so that
// command arguments are validated and replies are formatted byte-for-byte like Redis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// Enough for "-9223372036854775808" or "18446744073709551615" plus a terminating NUL.
inline constexpr size_t kInt64BufferSize = 21;

// Redis's string2ll: optional '-', then "0" or a digit 1-9 followed by digits, nothing else.
// Rejects "", "+1", " 1", "1 ", "007", "-0", "-", values outside int64 and inputs longer than
// 20 bytes. Every accepted string is the canonical spelling of its value.
bool ParseInt64(std::string_view s, int64_t* out);

// Same strict grammar as ParseInt64 but without a sign, covering the full uint64 range. Redis's
// own string2ull is laxer (it falls back to strtoull); this is the strict counterpart.
bool ParseUint64(std::string_view s, uint64_t* out);

// Redis's string2d, used for ZADD scores and other double arguments: full strtod syntax
// ("1e3", ".5", "+1", "0x10", "inf", "-Infinity"), but rejects "", a leading whitespace byte,
// trailing bytes (including NULs), NaN, and values that overflow or underflow to zero.
bool ParseDouble(std::string_view s, double* out);

// Redis's string2ld, used by INCRBYFLOAT and HINCRBYFLOAT: like ParseDouble but in long double
// precision and rejecting inputs of 5120 bytes or more. Like Redis it accepts "inf"; callers
// that must refuse infinite results (INCRBYFLOAT) check the sum themselves.
bool ParseLongDouble(std::string_view s, long double* out);

// Writes the decimal form of `v` to `buf` (at least kInt64BufferSize bytes), NUL-terminates it
// and returns its length without the NUL.
size_t FormatInt64(int64_t v, char* buf);
size_t FormatUint64(uint64_t v, char* buf);
std::string Int64ToString(int64_t v);

// Redis's ld2string in LD_STR_HUMAN mode, as INCRBYFLOAT replies and stores: "%.17Lf" with
// trailing fractional zeros (and a bare '.') removed and "-0" turned into "0"; infinities
// become "inf" / "-inf". Examples: 10.6L -> "10.6", 3000.0L -> "3000".
std::string FormatLongDouble(long double v);

// How Redis 7.0 replies with a double (ZSCORE, ZINCRBY, ...): "%.17g", with "inf" / "-inf".
// Examples: 0.1 -> "0.10000000000000001", 1.5 -> "1.5", 10.0 -> "10".
std::string FormatDouble(double v);
// The same into `buf` (at least kDoubleBufferSize bytes, not NUL-terminated); returns the length.
inline constexpr size_t kDoubleBufferSize = 32;
size_t FormatDouble(double v, char* buf);

// True when `s` is exactly how FormatInt64 spells some int64, i.e. a string Redis would store
// with the "int" encoding.
bool IsCanonicalInt64String(std::string_view s);

}  // namespace sluice
