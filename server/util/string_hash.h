// Transparent hashing for maps keyed by std::string, so lookups by std::string_view (argument
// views into the read buffer) need no temporary string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace sluice {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace sluice
