// Conversions checked against what Redis 7.0 accepts and replies (INCRBYFLOAT, ZADD/ZSCORE,
// OBJECT ENCODING).
#include "server/util/numbers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {
namespace {

using namespace std::string_view_literals;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();

TEST(ParseInt64Test, AcceptsCanonicalIntegers) {
  struct {
    std::string_view text;
    int64_t value;
  } const cases[] = {
      {"0", 0},
      {"1", 1},
      {"-1", -1},
      {"10", 10},
      {"1234567890", 1234567890},
      {"-987654321", -987654321},
      {"9223372036854775807", kInt64Max},
      {"-9223372036854775808", kInt64Min},
  };
  for (const auto& c : cases) {
    int64_t v = 42;
    EXPECT_TRUE(ParseInt64(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.value) << c.text;
  }
}

TEST(ParseInt64Test, RejectsEverythingElse) {
  const std::string_view rejected[] = {
      "",
      "-",
      "+",
      "+1",
      "-0",
      "00",
      "007",
      "-007",
      " 1",
      "1 ",
      "\t1",
      "1\n",
      "1a",
      "a1",
      "1.0",
      "1e3",
      "0x10",
      "--1",
      "1-",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551615",
      "18446744073709551616",
      "99999999999999999999",
      "-99999999999999999999",
      "123456789012345678901",
      "1\0"sv,
      "\0"sv,
  };
  for (std::string_view text : rejected) {
    int64_t v = 42;
    EXPECT_FALSE(ParseInt64(text, &v)) << '"' << text << '"';
  }
}

TEST(ParseUint64Test, CoversFullRangeWithStrictGrammar) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseUint64("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseUint64("18446744073709551615", &v));
  EXPECT_EQ(v, kUint64Max);
  EXPECT_TRUE(ParseUint64("9223372036854775808", &v));
  EXPECT_EQ(v, 9223372036854775808u);
  EXPECT_FALSE(ParseUint64("18446744073709551616", &v));
  EXPECT_FALSE(ParseUint64("99999999999999999999", &v));
  EXPECT_FALSE(ParseUint64("-1", &v));
  EXPECT_FALSE(ParseUint64("-0", &v));
  EXPECT_FALSE(ParseUint64("+1", &v));
  EXPECT_FALSE(ParseUint64("01", &v));
  EXPECT_FALSE(ParseUint64("", &v));
  EXPECT_FALSE(ParseUint64(" 1", &v));
  EXPECT_FALSE(ParseUint64("1 ", &v));
}

TEST(ParseDoubleTest, AcceptsStrtodSyntax) {
  struct {
    std::string_view text;
    double value;
  } const cases[] = {
      {"0", 0.0},       {"1.5", 1.5},   {"-2.5", -2.5},   {"+1", 1.0},
      {".5", 0.5},      {"1.", 1.0},    {"1e3", 1000.0},  {"-.5e1", -5.0},
      {"1E-2", 0.01},   {"0x10", 16.0}, {"0x1p-2", 0.25}, {"007", 7.0},
      {"1e308", 1e308}, {"-0", -0.0},   {"10", 10.0},     {"0.1", 0.1},
  };
  for (const auto& c : cases) {
    double v = 42;
    EXPECT_TRUE(ParseDouble(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.value) << c.text;
  }
  double v = 0;
  ASSERT_TRUE(ParseDouble("-0", &v));
  EXPECT_TRUE(std::signbit(v));
}

TEST(ParseDoubleTest, AcceptsInfinitiesInAnyCase) {
  for (std::string_view text : {"inf", "INF", "+inf", "Inf", "infinity", "+Infinity"}) {
    double v = 0;
    EXPECT_TRUE(ParseDouble(text, &v)) << text;
    EXPECT_TRUE(std::isinf(v) && v > 0) << text;
  }
  for (std::string_view text : {"-inf", "-INF", "-Infinity"}) {
    double v = 0;
    EXPECT_TRUE(ParseDouble(text, &v)) << text;
    EXPECT_TRUE(std::isinf(v) && v < 0) << text;
  }
}

TEST(ParseDoubleTest, KeepsDenormalsButRejectsUnderflowToZero) {
  double v = 0;
  ASSERT_TRUE(ParseDouble("1e-320", &v));  // ZADD accepts it; ZSCORE shows 9.99...e-321.
  EXPECT_GT(v, 0.0);
  EXPECT_FALSE(ParseDouble("1e-400", &v));
  EXPECT_FALSE(ParseDouble("-1e-400", &v));
  EXPECT_FALSE(ParseDouble("1e400", &v));
  EXPECT_FALSE(ParseDouble("-1e400", &v));
}

TEST(ParseDoubleTest, RejectsMalformedInput) {
  const std::string_view rejected[] = {
      "",      " 1",   "\t1",    "\n1", "1 ",  "1\t", "1x",    "x1",   "1e",    "nan",
      "NaN",   "-nan", "nan(1)", ".",   "-",   "+",   "e3",    "1..2", "1,5",   "inff",
      "1\0"sv, "\0"sv, "0x",     "--1", "1e+", "in",  "infin", "- 1",  "1_000",
  };
  for (std::string_view text : rejected) {
    double v = 42;
    EXPECT_FALSE(ParseDouble(text, &v)) << '"' << text << '"';
    EXPECT_EQ(v, 42);
  }
}

TEST(ParseDoubleTest, HasNoLengthLimit) {
  // ZADD accepts arbitrarily long spellings; only the long double parser is capped.
  double v = 0;
  EXPECT_TRUE(ParseDouble("1." + std::string(6000, '0'), &v));
  EXPECT_EQ(v, 1.0);
}

TEST(ParseLongDoubleTest, AcceptsLikeIncrbyfloat) {
  struct {
    std::string_view text;
    long double value;
  } const cases[] = {
      {"0", 0.0L},  {"10.5", 10.5L}, {"-0.25", -0.25L}, {"3.0e3", 3000.0L}, {"+1", 1.0L},
      {".5", 0.5L}, {"1.", 1.0L},    {"0x10", 16.0L},   {"1e3", 1e3L},      {"-.5e1", -5.0L},
  };
  for (const auto& c : cases) {
    long double v = 42;
    EXPECT_TRUE(ParseLongDouble(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.value) << c.text;
  }
  long double v = 0;
  // Redis parses infinity here and lets INCRBYFLOAT reject the sum.
  ASSERT_TRUE(ParseLongDouble("inf", &v));
  EXPECT_TRUE(std::isinf(v));
  ASSERT_TRUE(ParseLongDouble("-Infinity", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  // Beyond double range but within long double range.
  EXPECT_TRUE(ParseLongDouble("1e400", &v));
  EXPECT_TRUE(ParseLongDouble("1e-4940", &v));
  EXPECT_GT(v, 0.0L);
}

TEST(ParseLongDoubleTest, RejectsLikeIncrbyfloat) {
  const std::string_view rejected[] = {
      "",  " 1", "1 ", "\t1",    "1\0"sv,   "\0"sv,    "nan",      "-nan",
      "x", "1e", "1x", "1e5000", "-1e5000", "1e-5000", "-1e-5000",
  };
  for (std::string_view text : rejected) {
    long double v = 42;
    EXPECT_FALSE(ParseLongDouble(text, &v)) << '"' << text << '"';
    EXPECT_EQ(v, 42);
  }
}

TEST(ParseLongDoubleTest, CapsInputLengthLikeRedis) {
  long double v = 0;
  // Redis copies the argument into a 5120-byte buffer, so 5119 bytes is the longest accepted.
  EXPECT_TRUE(ParseLongDouble("1." + std::string(5117, '0'), &v));
  EXPECT_EQ(v, 1.0L);
  EXPECT_FALSE(ParseLongDouble("1." + std::string(5118, '0'), &v));
}

TEST(FormatInt64Test, FormatsEdgeValues) {
  struct {
    int64_t value;
    std::string_view text;
  } const cases[] = {
      {0, "0"},
      {7, "7"},
      {-7, "-7"},
      {10, "10"},
      {99, "99"},
      {100, "100"},
      {-100, "-100"},
      {1234567890123, "1234567890123"},
      {kInt64Max, "9223372036854775807"},
      {kInt64Min, "-9223372036854775808"},
      {kInt64Min + 1, "-9223372036854775807"},
  };
  for (const auto& c : cases) {
    char buf[kInt64BufferSize];
    const size_t len = FormatInt64(c.value, buf);
    EXPECT_EQ(std::string_view(buf, len), c.text);
    EXPECT_EQ(buf[len], '\0');
    EXPECT_EQ(Int64ToString(c.value), c.text);
  }
  char buf[kInt64BufferSize];
  EXPECT_EQ(std::string_view(buf, FormatUint64(kUint64Max, buf)), "18446744073709551615");
  EXPECT_EQ(std::string_view(buf, FormatUint64(0, buf)), "0");
}

TEST(FormatInt64Test, EveryDigitCount) {
  // Each length boundary, 9 / 10 / 11 ... 10^19 - 1 / 10^19 / 10^19 + 1, as snprintf prints it.
  uint64_t power = 1;
  for (int digits = 1; digits <= 20; ++digits) {
    for (uint64_t v : {power - 1, power, power + 1}) {
      char buf[kInt64BufferSize];
      char want[32];
      snprintf(want, sizeof(want), "%llu", static_cast<unsigned long long>(v));
      const size_t len = FormatUint64(v, buf);
      EXPECT_EQ(std::string_view(buf, len), want);
      EXPECT_EQ(buf[len], '\0');
    }
    if (digits < 20) power *= 10;
  }
}

TEST(FormatInt64Test, RoundTripsThroughParse) {
  for (int shift = 0; shift < 63; ++shift) {
    const int64_t v = int64_t{1} << shift;
    for (int64_t x : {v, v - 1, v + 1, -v, -v + 1, -v - 1}) {
      int64_t back = 0;
      const std::string s = Int64ToString(x);
      ASSERT_TRUE(ParseInt64(s, &back)) << s;
      EXPECT_EQ(back, x);
    }
  }
}

TEST(FormatLongDoubleTest, MatchesIncrbyfloatReplies) {
  // Each expectation is what INCRBYFLOAT replied in Redis 7.0 for the same sum.
  EXPECT_EQ(FormatLongDouble(10.5L + 0.1L), "10.6");
  EXPECT_EQ(FormatLongDouble(3.0e3L), "3000");
  EXPECT_EQ(FormatLongDouble(5.0e3L + 2.0e2L), "5200");
  EXPECT_EQ(FormatLongDouble(0.0L - 0.1L), "-0.1");
  EXPECT_EQ(FormatLongDouble(0.1L + 0.2L), "0.3");
  EXPECT_EQ(FormatLongDouble(-5.0L + 2.5L), "-2.5");
  EXPECT_EQ(FormatLongDouble(1.0L + 1e-17L), "1.00000000000000001");
  EXPECT_EQ(FormatLongDouble(1.0L + 1e-18L), "1");
  EXPECT_EQ(FormatLongDouble(1e-17L), "0.00000000000000001");
  EXPECT_EQ(FormatLongDouble(123456789.123456789L), "123456789.12345678899873747");
  EXPECT_EQ(FormatLongDouble(1e20L), "100000000000000000000");
  EXPECT_EQ(FormatLongDouble(9007199254740993.0L), "9007199254740993");
  EXPECT_EQ(FormatLongDouble(0.0L), "0");
  EXPECT_EQ(FormatLongDouble(100.0L - 100.0L), "0");
}

TEST(FormatLongDoubleTest, NeverProducesNegativeZero) {
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatLongDouble(-1e-18L), "0");
  EXPECT_EQ(FormatLongDouble(-1e-30L), "0");
}

TEST(FormatLongDoubleTest, HandlesExtremes) {
  EXPECT_EQ(FormatLongDouble(std::numeric_limits<long double>::infinity()), "inf");
  EXPECT_EQ(FormatLongDouble(-std::numeric_limits<long double>::infinity()), "-inf");
  const std::string huge = FormatLongDouble(std::numeric_limits<long double>::max());
  EXPECT_GT(huge.size(), 4000u);
  EXPECT_EQ(huge.find('.'), std::string::npos);
  long double back = 0;
  ASSERT_TRUE(ParseLongDouble(huge, &back));
  EXPECT_EQ(back, std::numeric_limits<long double>::max());
}

TEST(FormatDoubleTest, MatchesZscoreReplies) {
  // Each expectation is what ZSCORE replied in Redis 7.0 after ZADD with the same score.
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(10), "10");
  EXPECT_EQ(FormatDouble(0.3), "0.29999999999999999");
  EXPECT_EQ(FormatDouble(123.456), "123.456");
  EXPECT_EQ(FormatDouble(-2.5), "-2.5");
  EXPECT_EQ(FormatDouble(1e16), "10000000000000000");
  EXPECT_EQ(FormatDouble(1e17), "1e+17");
  EXPECT_EQ(FormatDouble(1e20), "1e+20");
  EXPECT_EQ(FormatDouble(12345678901234567890.0), "1.2345678901234567e+19");
  EXPECT_EQ(FormatDouble(2.5e-5), "2.5000000000000001e-05");
  EXPECT_EQ(FormatDouble(1e-320), "9.9998886718268301e-321");
  EXPECT_EQ(FormatDouble(3.14159265358979), "3.14159265358979");
  EXPECT_EQ(FormatDouble(16), "16");
  EXPECT_EQ(FormatDouble(0.25), "0.25");
  EXPECT_EQ(FormatDouble(0), "0");
  EXPECT_EQ(FormatDouble(-0.0), "-0");  // A skiplist-encoded zset replies "-0" for ZADD z -0 m.
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
}

// The whole-number shortcut and the general conversion must both spell every value as
// printf's "%.17g" does: integers around the shortcut's bound, negative values, fractions and
// random bit patterns.
TEST(FormatDoubleTest, AgreesWithPrintf) {
  std::vector<double> values = {
      1e15 - 1,           1e15,         1e15 + 1, -1e15 + 1, -1e15, 999999999999999.5,
      9007199254740993.0, -123456789.0, 1.0 / 3,  -7.25,     5e-324};
  for (int64_t i = -2000; i <= 2000; ++i) values.push_back(static_cast<double>(i) * 0.5);
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 20000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    double d;
    std::memcpy(&d, &state, sizeof(d));
    if (std::isnan(d)) continue;
    values.push_back(d);
    values.push_back(std::trunc(static_cast<double>(state % 4000000000000000ULL)) - 2e15);
  }
  for (double d : values) {
    char expected[64];
    int len = std::snprintf(expected, sizeof(expected), "%.17g", d);
    ASSERT_EQ(FormatDouble(d), std::string(expected, static_cast<size_t>(len))) << expected;
  }
}

TEST(FormatDoubleTest, RoundTripsThroughParse) {
  for (double d : {0.1, 1.0 / 3, -1e-300, 1e300, 4.9e-324, 123456.789, -0.0,
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::min()}) {
    double back = 0;
    ASSERT_TRUE(ParseDouble(FormatDouble(d), &back)) << d;
    EXPECT_EQ(back, d);
  }
}

TEST(IsCanonicalInt64StringTest, MatchesIntEncodingRules) {
  for (std::string_view s : {"0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808"}) {
    EXPECT_TRUE(IsCanonicalInt64String(s)) << s;
  }
  for (std::string_view s : {"", "-0", "01", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "abc",
                             "9223372036854775808", "-9223372036854775809"}) {
    EXPECT_FALSE(IsCanonicalInt64String(s)) << s;
  }
}

}  // namespace
}  // namespace sluice
