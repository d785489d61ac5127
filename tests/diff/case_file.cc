#include "tests/diff/case_file.h"

#include <cctype>
#include <charconv>
#include <cstdint>

namespace sluice::test::diff {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>* args) {
  args->clear();
  size_t i = 0;
  const size_t n = line.size();
  auto at = [&](size_t k) { return k < n ? line[k] : '\0'; };
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    std::string current;
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && HexValue(at(i + 2)) >= 0 && HexValue(at(i + 3)) >= 0) {
          current += static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3)));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n':
              current += '\n';
              break;
            case 'r':
              current += '\r';
              break;
            case 't':
              current += '\t';
              break;
            case 'b':
              current += '\b';
              break;
            case 'a':
              current += '\a';
              break;
            default:
              current += line[i];
          }
        } else if (c == '"') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else if (i >= n) {
          return false;
        } else {
          current += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          current += '\'';
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else if (i >= n) {
          return false;
        } else {
          current += c;
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            if (i >= n || c != '\0') {
              done = true;
            } else {
              current += c;
            }
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current += c;
        }
      }
      if (i < n) ++i;
    }
    args->push_back(std::move(current));
  }
}

int CompareVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto next = [](std::string_view* v) {
      size_t dot = v->find('.');
      std::string_view part = v->substr(0, dot);
      *v = dot == std::string_view::npos ? std::string_view() : v->substr(dot + 1);
      uint64_t n = 0;
      std::from_chars(part.data(), part.data() + part.size(), n);
      return n;
    };
    uint64_t x = next(&a);
    uint64_t y = next(&b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool ParseCaseFile(std::string_view content, std::vector<Step>* steps, std::string* error) {
  steps->clear();
  Step pending;  // collects modifiers for the next command or @read
  bool has_modifiers = false;
  int pending_line = 0;
  int line_no = 0;
  auto fail = [&](int line, const std::string& what) {
    *error = "line " + std::to_string(line) + ": " + what;
    return false;
  };

  size_t start = 0;
  while (start <= content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view raw = content.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view text = Trim(raw);
    if (text.empty() || text.front() == '#') {
      if (end == content.size()) break;
      continue;
    }

    std::vector<std::string> words;
    if (!SplitArgs(text, &words)) return fail(line_no, "unbalanced quotes");
    Step step;
    step.line = line_no;
    step.text = std::string(text);

    if (text.front() != '@') {
      step.kind = Step::Kind::kCommand;
      step.argv = std::move(words);
    } else {
      const std::string& directive = words[0];
      auto want_args = [&](size_t count) { return words.size() == count + 1; };
      if (directive == "@ignore-value" || directive == "@sort" || directive == "@error-prefix" ||
          directive == "@async") {
        if (!want_args(0)) return fail(line_no, directive + " takes no arguments");
        if (directive == "@ignore-value") pending.ignore_value = true;
        if (directive == "@sort") pending.sort = true;
        if (directive == "@error-prefix") pending.error_prefix = true;
        if (directive == "@async") pending.async = true;
        if (!has_modifiers) pending_line = line_no;
        has_modifiers = true;
        if (end == content.size()) break;
        continue;
      }
      if (directive == "@since") {
        const std::string& version = words.size() == 2 ? words[1] : "";
        bool valid = !version.empty() && version.front() != '.' && version.back() != '.' &&
                     version.find("..") == std::string::npos &&
                     version.find_first_not_of("0123456789.") == std::string::npos;
        if (!want_args(1) || !valid) return fail(line_no, "usage: @since VERSION (e.g. 7.4)");
        pending.since = version;
        if (!has_modifiers) pending_line = line_no;
        has_modifiers = true;
        if (end == content.size()) break;
        continue;
      }
      if (directive == "@read") {
        if (!want_args(0)) return fail(line_no, "@read takes no arguments");
        step.kind = Step::Kind::kRead;
      } else if (directive == "@resp2" || directive == "@resp3") {
        if (!want_args(0)) return fail(line_no, directive + " takes no arguments");
        step.kind = Step::Kind::kProtocol;
        step.argv = {"HELLO", directive == "@resp2" ? "2" : "3"};
      } else if (directive == "@conn") {
        if (!want_args(1)) return fail(line_no, "usage: @conn NAME");
        step.kind = Step::Kind::kConn;
        step.name = words[1];
      } else if (directive == "@close") {
        if (!want_args(0)) return fail(line_no, "@close takes no arguments");
        step.kind = Step::Kind::kClose;
      } else if (directive == "@sleep") {
        const std::string& ms = words.size() == 2 ? words[1] : "";
        auto [ptr, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), step.sleep_ms);
        if (!want_args(1) || ec != std::errc() || ptr != ms.data() + ms.size() ||
            step.sleep_ms < 0) {
          return fail(line_no, "usage: @sleep MILLISECONDS");
        }
        step.kind = Step::Kind::kSleep;
      } else {
        return fail(line_no, "unknown directive " + directive);
      }
    }

    if (has_modifiers) {
      if (step.kind != Step::Kind::kCommand && step.kind != Step::Kind::kRead) {
        return fail(pending_line, "a modifier must be followed by a command or @read");
      }
      if (pending.async && step.kind != Step::Kind::kCommand) {
        return fail(pending_line, "@async must be followed by a command");
      }
      step.ignore_value = pending.ignore_value;
      step.sort = pending.sort;
      step.error_prefix = pending.error_prefix;
      step.async = pending.async;
      step.since = pending.since;
      pending = Step();
      has_modifiers = false;
    }
    steps->push_back(std::move(step));
    if (end == content.size()) break;
  }
  if (has_modifiers) return fail(pending_line, "a modifier at the end of the file");
  return true;
}

}  // namespace sluice::test::diff
