// Iterative glob matcher. Every pattern token other than '*' consumes exactly one text byte, so
// remembering only the most recent star and retrying it one byte further on is enough to explore
// every alignment Redis's recursive matcher would, without its exponential worst case.
#include "server/util/glob.h"

#include <cstddef>
#include <utility>

namespace sluice {
namespace {

// Redis only bounds recursion depth, and each '*' group that is followed by more pattern costs
// one level on every successful path, so the limit reduces to counting those groups.
constexpr size_t kMaxStarGroups = 1000;

// Redis calls glibc's tolower() on signed chars with LC_CTYPE left as "C": only ASCII letters
// fold, but negative arguments other than EOF (-1) come back as their unsigned byte value. That
// remapping changes which high bytes fall inside a nocase range, so it is reproduced here.
int Lower(int c) {
  if (c >= 'A' && c <= 'Z') return c + ('a' - 'A');
  if (c < -1) return c + 256;
  return c;
}

// Redis reads bytes through plain `char`, which is signed on the platforms it is usually built
// for; range comparisons depend on that.
int SignedByte(char c) { return static_cast<signed char>(c); }

// Returns the offset just past the bracket expression opened at pattern[pos] == '['. Token
// boundaries depend only on the pattern, which lets the star-group count run up front.
size_t SkipBracket(std::string_view pattern, size_t pos) {
  const size_t len = pattern.size();
  size_t i = pos + 1;
  if (i < len && pattern[i] == '^') ++i;
  while (i < len) {
    if (pattern[i] == '\\' && len - i >= 2) {
      i += 2;
    } else if (pattern[i] == ']') {
      return i + 1;
    } else if (len - i >= 3 && pattern[i + 1] == '-') {
      i += 3;
    } else {
      ++i;
    }
  }
  return len;  // Unterminated: the class swallows the rest of the pattern.
}

bool TooManyStarGroups(std::string_view pattern) {
  // Each counted group needs a star and a following byte, so short patterns cannot exceed it.
  if (pattern.size() <= 2 * kMaxStarGroups) return false;
  size_t groups = 0;
  size_t i = 0;
  while (i < pattern.size()) {
    switch (pattern[i]) {
      case '*':
        while (i < pattern.size() && pattern[i] == '*') ++i;
        if (i < pattern.size() && ++groups > kMaxStarGroups) return true;
        break;
      case '[':
        i = SkipBracket(pattern, i);
        break;
      case '\\':
        i += pattern.size() - i >= 2 ? 2 : 1;
        break;
      default:
        ++i;
    }
  }
  return false;
}

// Matches the bracket expression opened at pattern[pos] against `c`; stores the offset past it.
bool MatchBracket(std::string_view pattern, size_t pos, char c, bool nocase, size_t* next) {
  const size_t len = pattern.size();
  size_t i = pos + 1;
  const bool negate = i < len && pattern[i] == '^';
  if (negate) ++i;
  bool match = false;
  for (;;) {
    if (i >= len) {
      i = len;
      break;
    }
    if (pattern[i] == '\\' && len - i >= 2) {
      if (pattern[i + 1] == c) match = true;
      i += 2;
    } else if (pattern[i] == ']') {
      ++i;
      break;
    } else if (len - i >= 3 && pattern[i + 1] == '-') {
      int start = SignedByte(pattern[i]);
      int end = SignedByte(pattern[i + 2]);
      int ch = SignedByte(c);
      if (start > end) std::swap(start, end);
      if (nocase) {
        start = Lower(start);
        end = Lower(end);
        ch = Lower(ch);
      }
      if (ch >= start && ch <= end) match = true;
      i += 3;
    } else {
      if (nocase ? Lower(SignedByte(pattern[i])) == Lower(SignedByte(c)) : pattern[i] == c) {
        match = true;
      }
      ++i;
    }
  }
  *next = i;
  return match != negate;
}

// Matches the single non-star token at pattern[pos] against `c`; stores the offset past it.
bool MatchToken(std::string_view pattern, size_t pos, char c, bool nocase, size_t* next) {
  char literal = pattern[pos];
  switch (literal) {
    case '?':
      *next = pos + 1;
      return true;
    case '[':
      return MatchBracket(pattern, pos, c, nocase, next);
    case '\\':
      if (pattern.size() - pos >= 2) {
        ++pos;
        literal = pattern[pos];
      }
      break;
    default:
      break;
  }
  *next = pos + 1;
  return nocase ? Lower(SignedByte(literal)) == Lower(SignedByte(c)) : literal == c;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  if (text.empty()) return pattern.empty();
  if (TooManyStarGroups(pattern)) return false;

  size_t p = 0;
  size_t t = 0;
  bool have_star = false;
  size_t star_p = 0;  // Pattern offset just after the most recent '*' group.
  size_t star_t = 0;  // Text offset that group is currently assumed to stop at.
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      have_star = true;
      star_p = p;
      star_t = t;
      continue;
    }
    size_t next;
    if (p < pattern.size() && MatchToken(pattern, p, text[t], nocase, &next)) {
      p = next;
      ++t;
      continue;
    }
    // Let the latest star absorb one more byte. Earlier stars never need revisiting: anything
    // they could absorb, the latest one can absorb instead.
    if (!have_star) return false;
    ++star_t;
    p = star_p;
    t = star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace sluice
