// Seeding and range reduction for Random; the hot Next() lives in the header.
#include "server/util/random.h"

#include <random>

namespace sluice {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t OsSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

void Random::Seed(uint64_t seed) {
  // splitmix64 spreads any seed, including 0, into a state that is never all zeros.
  for (uint64_t& word : s_) word = SplitMix64(&seed);
}

uint64_t Random::Uniform(uint64_t n) {
  if (n == 0) return 0;
  // Lemire's multiply-and-reject: one multiplication in the common case, no modulo bias.
  unsigned __int128 product = static_cast<unsigned __int128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

Random& ServerRandom() {
  thread_local Random generator(OsSeed());
  return generator;
}

}  // namespace sluice
