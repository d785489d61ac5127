// GlobMatch against Redis 7.0 stringmatchlen() behaviour; the expectations in kCases were
// confirmed against a real redis-server with KEYS / HSCAN MATCH.
#include "server/util/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

namespace sluice {
namespace {

using namespace std::string_view_literals;

struct Case {
  std::string_view pattern;
  std::string_view text;
  bool match;
};

// clang-format off
constexpr Case kCases[] = {
    // Literals.
    {"hello", "hello", true},
    {"hello", "hell", false},
    {"hell", "hello", false},
    {"hello", "Hello", false},
    {"", "", true},
    {"", "a", false},
    {"a", "", false},
    // '*'.
    {"*", "anything", true},
    {"**", "", false},  // An empty text only matches an empty pattern.
    {"*", "", false},
    {"h*o", "hello", true},
    {"h*o", "ho", true},
    {"h*o", "hellx", false},
    {"*llo", "hello", true},
    {"he*", "he", true},
    {"he**", "he", true},
    {"a*b*c", "aXbYc", true},
    {"a*b*c", "abc", true},
    {"a*b*c", "acb", false},
    {"a***b", "ab", true},
    {"*a", "aaa", true},
    {"a*a", "a", false},
    {"*.txt", "notes.txt", true},
    {"*.txt", "notes.txt.bak", false},
    // '?'.
    {"h?llo", "hello", true},
    {"h?llo", "hllo", false},
    {"???", "abc", true},
    {"???", "ab", false},
    {"?*", "a", true},
    {"*?", "", false},
    // Character classes.
    {"h[ae]llo", "hello", true},
    {"h[ae]llo", "hallo", true},
    {"h[ae]llo", "hillo", false},
    {"h[^e]llo", "hallo", true},
    {"h[^e]llo", "hello", false},
    {"h[a-b]llo", "hbllo", true},
    {"h[a-b]llo", "hcllo", false},
    {"[z-a]", "m", true},  // Reversed ranges are swapped.
    {"[z-a]", "A", false},
    {"[0-9][0-9]", "42", true},
    {"[^0-9]", "x", true},
    {"[^0-9]", "5", false},
    {"[a-cx]", "x", true},
    {"[a-cx]", "d", false},
    {"[]]", "]", false},  // "[]" is an empty class; the second ']' is a literal.
    {"[]]", "]]", false},
    {"[]", "x", false},
    {"[^]", "x", true},
    {"[^]x", "ax", true},
    {"[-a]", "-", true},
    {"[a-]", "-", false},  // "a-]" is a range a..] and the class stays open.
    {"[a-]", "^", true},
    {"[a-]]", "^", true},
    {"[a-]]", "^]", false},
    {"[*]", "*", true},
    {"[*]", "a", false},
    {"[?]", "?", true},
    {"[[]", "[", true},
    {"[^^]", "^", false},
    {"[^^]", "a", true},
    {"[a^]", "^", true},
    // Escapes.
    {"\\*", "*", true},
    {"\\*", "a", false},
    {"\\?", "?", true},
    {"\\?", "x", false},
    {"\\[a]", "[a]", true},
    {"\\a", "a", true},
    {"\\\\", "\\", true},
    {"a\\", "a\\", true},  // A trailing lone backslash is literal.
    {"\\", "\\", true},
    {"[\\]]", "]", true},
    {"[\\^]", "^", true},
    {"[\\-]", "-", true},
    {"[\\-]", "\\", false},
    {"[a\\-z]", "b", false},
    {"[a\\-z]", "-", true},
    {"[\\]", "\\", false},  // The escape swallows ']', leaving an empty open class.
    {"[\\\\]", "\\", true},
    {"*\\*", "abc*", true},
    {"*\\*", "abc", false},
    // Unterminated classes run to the end of the pattern.
    {"[abc", "a", true},
    {"[abc", "c", true},
    {"[abc", "d", false},
    {"[abc", "ab", false},
    {"x[", "x", false},
    {"x[", "xa", false},
    {"[", "[", false},
    {"[^", "a", true},
    {"[^a", "b", true},
    {"[^a", "a", false},
    {"[a-", "a", true},
    {"[a-", "-", true},
    {"[a-z", "q", true},
    // Binary safety: embedded NULs and high bytes.
    {"a\0b"sv, "a\0b"sv, true},
    {"a\0b"sv, "a\0c"sv, false},
    {"a?b", "a\0b"sv, true},
    {"*\0"sv, "xyz\0"sv, true},
    {"[\0-a]"sv, "\x10", true},
    {"\xff*", "\xff\x80", true},
    {"[\x80-\xff]", "\x90", true},
    // Bytes above 0x7f compare as negative chars in ranges, as on x86 Redis.
    {"[a-\xff]", "b", false},
    {"[a-\xff]", "A", true},
    {"[a-\xff]", "\x80", false},
    {"[\x01-\x80]", "\x90", true},  // The range is -128..1.
    {"[\x01-\x80]", "\x01", true},
    {"[\x01-\x80]", "\x02", false},
    // Backtracking.
    {"*ab", "aab", true},
    {"*aab", "aaab", true},
    {"a*?b", "ab", false},
    {"a*?b", "axb", true},
    {"*[bc]d", "abcd", true},
    {"*x*y*z", "xzyxz", true},
    {"*x*y*z", "xzyzx", false},
    {"*x*y*z", "xyyz", true},
};
// clang-format on

TEST(GlobTest, MatchesRedisOnTable) {
  for (const Case& c : kCases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match)
        << "pattern=\"" << c.pattern << "\" text=\"" << c.text << "\"";
  }
}

TEST(GlobTest, NocaseFoldsAsciiLetters) {
  EXPECT_TRUE(GlobMatch("HeLLo", "hello", true));
  EXPECT_TRUE(GlobMatch("h?LLO*", "HeLlo world", true));
  EXPECT_TRUE(GlobMatch("[A-C]x", "bX", true));
  EXPECT_TRUE(GlobMatch("[a-c]", "B", true));
  EXPECT_TRUE(GlobMatch("[^A]", "b", true));
  EXPECT_FALSE(GlobMatch("[^A]", "a", true));
  EXPECT_TRUE(GlobMatch("[HX]ello", "hello", true));
  EXPECT_FALSE(GlobMatch("HeLLo", "hello", false));
  // Only ASCII letters fold.
  EXPECT_FALSE(GlobMatch("\xc9", "\xe9", true));
}

TEST(GlobTest, NocaseQuirksMatchRedis) {
  // Bounds are ordered first and lowered afterwards, so [Z-a] becomes the empty range z..a.
  EXPECT_FALSE(GlobMatch("[Z-a]", "z", true));
  EXPECT_FALSE(GlobMatch("[Z-a]", "_", true));
  EXPECT_TRUE(GlobMatch("[Z-a]", "_", false));
  // Escaped class members compare case-sensitively even in nocase mode.
  EXPECT_FALSE(GlobMatch("[\\A]", "a", true));
  EXPECT_TRUE(GlobMatch("[\\A]", "A", true));
  // Escapes outside classes do fold.
  EXPECT_TRUE(GlobMatch("\\A", "a", true));
  // glibc's tolower() maps negative chars other than -1 to their unsigned value, so the range
  // -128..'a' becomes the empty range 128..97 once lowered.
  EXPECT_TRUE(GlobMatch("[\x80-a]", "a"));
  EXPECT_FALSE(GlobMatch("[\x80-a]", "a", true));
  EXPECT_FALSE(GlobMatch("[\x80-a]", "\x80", true));
  EXPECT_TRUE(GlobMatch("[\x80-\xfe]", "\x90", true));
  EXPECT_TRUE(GlobMatch("\xe9", "\xe9", true));
}

TEST(GlobTest, PathologicalPatternsStayFast) {
  const std::string text(4000, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c*", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", text));
  std::string many_stars;
  for (int i = 0; i < 500; ++i) many_stars += "*?";
  many_stars += "b";
  EXPECT_FALSE(GlobMatch(many_stars, text));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(GlobTest, StarGroupLimitMatchesRedis) {
  const std::string text(1200, 'a');
  // Redis gives up once more than 1000 '*' groups are followed by further pattern.
  EXPECT_TRUE(GlobMatch(Repeat("*a", 1000), text));
  EXPECT_FALSE(GlobMatch(Repeat("*a", 1001), text));
  EXPECT_TRUE(GlobMatch(Repeat("*a", 1000) + "*", text));
  EXPECT_FALSE(GlobMatch(Repeat("*a", 1001) + "*", text));
  // A trailing star is free.
  EXPECT_TRUE(GlobMatch(Repeat("a*", 1001), text));
  EXPECT_FALSE(GlobMatch(Repeat("a*", 1002), text));
  // Runs of stars count once; stars inside classes or escaped do not count.
  EXPECT_TRUE(GlobMatch(Repeat("**a", 1000), text));
  EXPECT_FALSE(GlobMatch(Repeat("**a", 1001), text));
  EXPECT_TRUE(GlobMatch("*" + Repeat("[*]a", 1100), "x" + Repeat("*a", 1100)));
  EXPECT_TRUE(GlobMatch("*" + Repeat("\\*a", 1100), "x" + Repeat("*a", 1100)));
}

}  // namespace
}  // namespace sluice
