// Fast, seedable pseudo-random numbers for server internals (skiplist levels, RANDOMKEY,
// SRANDMEMBER, eviction sampling). Not suitable for anything security-sensitive.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace sluice {

// xoshiro256** seeded through splitmix64. Also satisfies UniformRandomBitGenerator, so it can
// drive std::shuffle and the <random> distributions.
class Random {
 public:
  using result_type = uint64_t;

  explicit Random(uint64_t seed) { Seed(seed); }

  // Resets the state; equal seeds give equal sequences.
  void Seed(uint64_t seed);

  uint64_t Next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

  // Unbiased value in [0, n); returns 0 when n is 0.
  uint64_t Uniform(uint64_t n);

  // Value in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() { return Next(); }

 private:
  uint64_t s_[4];
};

// The server's generator. Each thread gets its own instance, seeded from the OS on first use,
// so callers on different threads never race; reseed with ServerRandom().Seed(n) for
// reproducible runs.
Random& ServerRandom();

}  // namespace sluice
