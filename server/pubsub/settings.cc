#include "server/pubsub/settings.h"

#include <cstdlib>
#include <sstream>

#include "server/commands/arg_parser.h"
#include "server/core/config.h"

namespace sluice {
namespace {

struct ClassLetter {
  char letter;
  int flag;
};

// In the order CONFIG GET spells them, after "A" or the class letters.
constexpr ClassLetter kClassLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZSet},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},
};
constexpr ClassLetter kTrailingLetters[] = {
    {'K', kNotifyKeyspace},
    {'E', kNotifyKeyevent},
    {'m', kNotifyKeyMiss},
};

constexpr std::string_view kClassNames[] = {"normal", "slave", "pubsub"};

std::vector<std::string_view> SplitWords(const std::vector<std::string>& words) {
  std::vector<std::string_view> out;
  for (const std::string& w : words) {
    std::string_view rest = w;
    while (!rest.empty()) {
      size_t start = rest.find_first_not_of(" \t");
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      size_t end = rest.find_first_of(" \t");
      out.push_back(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
  }
  return out;
}

}  // namespace

bool ParseNotifyFlags(std::string_view text, int* flags) {
  int result = 0;
  for (char c : text) {
    if (c == 'A') {
      result |= kNotifyAll;
      continue;
    }
    int flag = 0;
    for (const auto& entry : kClassLetters) {
      if (entry.letter == c) flag = entry.flag;
    }
    for (const auto& entry : kTrailingLetters) {
      if (entry.letter == c) flag = entry.flag;
    }
    if (flag == 0) return false;
    result |= flag;
  }
  *flags = result;
  return true;
}

std::string FormatNotifyFlags(int flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    // Redis prints only the alias then, even when 'n' (not part of A) is also set.
    out += 'A';
  } else {
    for (const auto& entry : kClassLetters) {
      if (flags & entry.flag) out += entry.letter;
    }
  }
  for (const auto& entry : kTrailingLetters) {
    if (flags & entry.flag) out += entry.letter;
  }
  return out;
}

bool ParseOutputBufferLimits(const std::vector<std::string_view>& words, OutputBufferLimits* limits,
                             std::string* error) {
  if (words.size() % 4 != 0) {
    *error = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  OutputBufferLimits updated = *limits;
  for (size_t i = 0; i < words.size(); i += 4) {
    int index = -1;
    if (EqualsIgnoreCase(words[i], "normal")) {
      index = static_cast<int>(ClientClass::kNormal);
    } else if (EqualsIgnoreCase(words[i], "slave") || EqualsIgnoreCase(words[i], "replica")) {
      index = static_cast<int>(ClientClass::kReplica);
    } else if (EqualsIgnoreCase(words[i], "pubsub")) {
      index = static_cast<int>(ClientClass::kPubSub);
    }
    if (index < 0) {
      *error = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    OutputBufferLimit limit;
    // The seconds are read the way strtoll reads them: leading digits, the rest ignored.
    std::string seconds(words[i + 3]);
    limit.soft_seconds = std::strtoll(seconds.c_str(), nullptr, 10);
    if (!Config::ParseMemory(words[i + 1], &limit.hard_bytes) ||
        !Config::ParseMemory(words[i + 2], &limit.soft_bytes) || limit.soft_seconds < 0) {
      *error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    updated.by_class[index] = limit;
  }
  *limits = updated;
  return true;
}

std::string FormatOutputBufferLimits(const OutputBufferLimits& limits) {
  std::ostringstream out;
  for (int i = 0; i < 3; ++i) {
    const OutputBufferLimit& l = limits.by_class[i];
    if (i > 0) out << ' ';
    out << kClassNames[i] << ' ' << l.hard_bytes << ' ' << l.soft_bytes << ' ' << l.soft_seconds;
  }
  return out.str();
}

bool NormalizeNotifyKeyspaceEvents(const std::string&, const std::vector<std::string>& words,
                                   std::string* out, std::string* error) {
  std::string joined;
  for (const std::string& w : words) joined += w;
  int flags = 0;
  if (words.size() > 1 || !ParseNotifyFlags(joined, &flags)) {
    *error = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    return false;
  }
  *out = FormatNotifyFlags(flags);
  return true;
}

bool NormalizeOutputBufferLimits(const std::string& current, const std::vector<std::string>& words,
                                 std::string* out, std::string* error) {
  OutputBufferLimits limits;
  std::vector<std::string> current_words{current};
  // The stored value is always well formed; it is the base the new groups apply to.
  ParseOutputBufferLimits(SplitWords(current_words), &limits, error);
  if (!ParseOutputBufferLimits(SplitWords(words), &limits, error)) return false;
  *out = FormatOutputBufferLimits(limits);
  return true;
}

}  // namespace sluice
