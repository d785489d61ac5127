// A remembered (name -> value) pair, for lookups by short names that repeat (command names):
// comparing the name as spelled costs less than folding and hashing it into a map. Names longer
// than kMaxName are never remembered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice {

template <typename T>
struct NameMemo {
  static constexpr size_t kMaxName = 23;

  bool Matches(std::string_view n) const {
    return len == n.size() && len != 0 && std::memcmp(name, n.data(), n.size()) == 0;
  }
  void Remember(std::string_view n, T v) {
    if (n.empty() || n.size() > kMaxName) return;
    len = static_cast<uint8_t>(n.size());
    std::memcpy(name, n.data(), n.size());
    value = v;
  }

  uint8_t len = 0;  // 0: empty
  char name[kMaxName];
  T value{};
};

}  // namespace sluice
