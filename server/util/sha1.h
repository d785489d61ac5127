// SHA-1 (FIPS 180-4), used to name Lua scripts for EVALSHA / SCRIPT LOAD and by
// redis.sha1hex() inside scripts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// Incremental hasher for inputs that arrive in pieces.
class Sha1 {
 public:
  static constexpr size_t kDigestSize = 20;
  using Digest = std::array<uint8_t, kDigestSize>;

  Sha1();
  void Update(const void* data, size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Completes the hash; the object must not be updated afterwards.
  Digest Finish();

 private:
  void ProcessBlock(const uint8_t* block);

  uint32_t state_[5];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_len_ = 0;
};

// Digest of `data` as 40 lowercase hex characters.
std::string Sha1Hex(std::string_view data);

}  // namespace sluice
