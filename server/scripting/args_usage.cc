#include "server/scripting/args_usage.h"

#include <cctype>
#include <string>
#include <vector>

namespace sluice::scripting {
namespace {

struct Token {
  enum Kind { kName, kString, kNumber, kSymbol } kind;
  std::string_view text;
};

constexpr size_t kNone = static_cast<size_t>(-1);

bool IsAlpha(char c) { return isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsAlnum(char c) { return isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsDigit(char c) { return isdigit(static_cast<unsigned char>(c)) != 0; }

// The level of a long bracket opening at s[at] ('[' followed by '='s and '['), or -1.
int LongBracketLevel(std::string_view s, size_t at) {
  size_t j = at + 1;
  int level = 0;
  while (j < s.size() && s[j] == '=') {
    ++level;
    ++j;
  }
  return j < s.size() && s[j] == '[' ? level : -1;
}

// The position after the long bracket of `level` opening at s[at], or kNone if unclosed.
size_t SkipLongBracket(std::string_view s, size_t at, int level) {
  std::string close = "]" + std::string(static_cast<size_t>(level), '=') + "]";
  size_t end = s.find(close, at + static_cast<size_t>(level) + 2);
  return end == std::string_view::npos ? kNone : end + close.size();
}

// Lua 5.1's lexer, as far as telling names, strings, numbers and symbols apart goes.
bool Tokenize(std::string_view s, std::vector<Token>* out) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    char c = s[i];
    if (isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {  // a comment
      i += 2;
      int level = i < n && s[i] == '[' ? LongBracketLevel(s, i) : -1;
      if (level >= 0) {
        i = SkipLongBracket(s, i, level);
        if (i == kNone) return false;
      } else {
        while (i < n && s[i] != '\n') ++i;
      }
      continue;
    }
    if (IsAlpha(c)) {
      while (i < n && IsAlnum(s[i])) ++i;
      out->push_back({Token::kName, s.substr(start, i - start)});
      continue;
    }
    if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(s[i + 1]))) {
      while (i < n && (IsDigit(s[i]) || s[i] == '.')) ++i;
      if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
      }
      while (i < n && IsAlnum(s[i])) ++i;
      out->push_back({Token::kNumber, s.substr(start, i - start)});
      continue;
    }
    if (c == '"' || c == '\'') {
      ++i;
      while (i < n && s[i] != c) {
        if (s[i] == '\n') return false;
        i += s[i] == '\\' ? 2 : 1;
      }
      if (i >= n) return false;
      ++i;
      out->push_back({Token::kString, s.substr(start, i - start)});
      continue;
    }
    if (c == '[') {
      int level = LongBracketLevel(s, i);
      if (level >= 0) {
        i = SkipLongBracket(s, i, level);
        if (i == kNone) return false;
        out->push_back({Token::kString, s.substr(start, i - start)});
        continue;
      }
    }
    size_t len = 1;
    if (s.substr(i, 3) == "...") {
      len = 3;
    } else if (i + 1 < n && s[i + 1] == '=' && (c == '=' || c == '~' || c == '<' || c == '>')) {
      len = 2;
    } else if (s.substr(i, 2) == "..") {
      len = 2;
    }
    i += len;
    out->push_back({Token::kSymbol, s.substr(start, len)});
  }
  return true;
}

bool Is(const std::vector<Token>& t, size_t i, std::string_view symbol) {
  return i < t.size() && t[i].kind == Token::kSymbol && t[i].text == symbol;
}

// The index of the bracket closing the one at t[open], or kNone.
size_t MatchClose(const std::vector<Token>& t, size_t open) {
  std::string stack;
  for (size_t i = open; i < t.size(); ++i) {
    if (t[i].kind != Token::kSymbol) continue;
    char c = t[i].text[0];
    if (c == '(' || c == '[' || c == '{') {
      stack.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (stack.empty() || stack.back() != c) return kNone;
      stack.pop_back();
      if (stack.empty()) return i;
    }
  }
  return kNone;
}

// Whether the indexing expression that ended just before t[p] is read, not assigned to: it is
// a target when "=" follows it, or when it opens a list of further targets ("KEYS[1], x.y =").
bool NotAssigned(const std::vector<Token>& t, size_t p) {
  while (Is(t, p, ",")) {
    ++p;
    // A target list goes on with prefix expressions only; anything else is an expression list.
    if (p < t.size() && t[p].kind == Token::kName) {
      ++p;
    } else if (Is(t, p, "(")) {
      size_t close = MatchClose(t, p);
      if (close == kNone) return false;
      p = close + 1;
    } else {
      return true;
    }
    for (;;) {
      if (Is(t, p, ".") || Is(t, p, ":")) {
        p += 2;
      } else if (Is(t, p, "[") || Is(t, p, "(") || Is(t, p, "{")) {
        size_t close = MatchClose(t, p);
        if (close == kNone) return false;
        p = close + 1;
      } else if (p < t.size() && t[p].kind == Token::kString) {
        ++p;
      } else {
        break;
      }
    }
  }
  return !Is(t, p, "=");
}

// Names that reach the globals by a computed name, or run code this check never sees.
bool ReachesGlobals(std::string_view name) {
  for (std::string_view banned : {"_G", "getfenv", "setfenv", "load", "loadstring", "loadfile",
                                  "dofile", "require", "module", "debug", "newproxy"}) {
    if (name == banned) return true;
  }
  return false;
}

}  // namespace

std::string_view WithoutShebangLine(std::string_view body) {
  if (!body.starts_with("#!")) return body;
  size_t eol = body.find('\n');
  return eol == std::string_view::npos ? std::string_view() : body.substr(eol);
}

bool ReadsArgsOnly(std::string_view body) {
  std::vector<Token> t;
  if (!Tokenize(WithoutShebangLine(body), &t)) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind != Token::kName) continue;
    if (ReachesGlobals(t[i].text)) return false;
    if (t[i].text != "KEYS" && t[i].text != "ARGV") continue;
    if (i > 0 && (Is(t, i - 1, ".") || Is(t, i - 1, ":"))) continue;  // a field, not the global
    bool indexed = Is(t, i + 1, "[");
    if (!indexed && i > 0 && Is(t, i - 1, "#")) continue;  // #KEYS
    if (!indexed) return false;
    size_t close = MatchClose(t, i + 1);
    if (close == kNone || !NotAssigned(t, close + 1)) return false;
  }
  return true;
}

bool ReadsRedisFieldsOnly(std::string_view body) {
  std::vector<Token> t;
  if (!Tokenize(WithoutShebangLine(body), &t)) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind != Token::kName || t[i].text != "redis") continue;
    if (i > 0 && (Is(t, i - 1, ".") || Is(t, i - 1, ":"))) continue;  // a field, not the global
    if (i > 0 && t[i - 1].kind == Token::kName && t[i - 1].text == "function") return false;
    size_t after;  // the token after the field
    if (Is(t, i + 1, ".") && i + 2 < t.size() && t[i + 2].kind == Token::kName) {
      after = i + 3;
    } else if (Is(t, i + 1, "[")) {
      size_t close = MatchClose(t, i + 1);
      if (close == kNone) return false;
      after = close + 1;
    } else {
      return false;
    }
    if (!NotAssigned(t, after)) return false;
  }
  return true;
}

}  // namespace sluice::scripting
