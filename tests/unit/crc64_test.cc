// CRC-64/Jones check value and the chaining property DUMP/RESTORE rely on.
#include "server/util/crc64.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

// Plain bit-at-a-time reference to validate the table-driven version against.
uint64_t BitwiseCrc64(uint64_t crc, const std::string& data) {
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

TEST(Crc64Test, CheckValue) {
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, "", 0), 0u);
  EXPECT_EQ(Crc64(0x1234, "", 0), 0x1234u);
}

TEST(Crc64Test, ChainsAcrossPieces) {
  const std::string data = "The quick brown fox jumps over the lazy dog, then naps at noon.";
  const uint64_t whole = Crc64(0, data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    uint64_t crc = Crc64(0, data.data(), split);
    crc = Crc64(crc, data.data() + split, data.size() - split);
    EXPECT_EQ(crc, whole) << split;
  }
}

TEST(Crc64Test, MatchesBitwiseReferenceAtEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) data += static_cast<char>(i * 37 + 11);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; offset + len <= data.size(); len += 7) {
      const std::string piece = data.substr(offset, len);
      EXPECT_EQ(Crc64(0, data.data() + offset, len), BitwiseCrc64(0, piece))
          << "offset " << offset << " len " << len;
    }
  }
}

}  // namespace
}  // namespace sluice
