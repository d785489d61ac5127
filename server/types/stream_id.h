// Stream entry IDs: a millisecond time and a sequence number, ordered as one 128-bit number.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace sluice {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;

  friend constexpr auto operator<=>(const StreamID&, const StreamID&) = default;

  static constexpr StreamID Min() { return {0, 0}; }
  static constexpr StreamID Max() {
    return {std::numeric_limits<uint64_t>::max(), std::numeric_limits<uint64_t>::max()};
  }
  bool IsZero() const { return ms == 0 && seq == 0; }
  bool IsMax() const { return *this == Max(); }

  // The next ID in order; false (leaving the ID alone) when this is the largest one.
  bool Increment();
  // The previous ID in order; false (leaving the ID alone) when this is 0-0.
  bool Decrement();

  std::string ToString() const;
  void AppendTo(std::string* out) const;
};

// Parses "<ms>-<seq>" or "<ms>" (the sequence then defaults to `missing_seq`), and "-" / "+"
// (smallest / largest ID) unless `strict`. When `seq_given` is not null, "<ms>-*" is accepted and
// reported there as false. Numbers follow Redis's lenient unsigned parsing (leading spaces and a
// sign are tolerated; anything after the digits is not).
bool ParseStreamID(std::string_view text, uint64_t missing_seq, bool strict, StreamID* id,
                   bool* seq_given = nullptr);

}  // namespace sluice
