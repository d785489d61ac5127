// SHA-1 against the FIPS 180 vectors and the digests Redis gives scripts.
#include "server/util/sha1.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

TEST(Sha1Test, StandardVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1Test, MatchesRedisScriptDigests) {
  // redis.sha1hex() inside EVAL, and SCRIPT LOAD for the script body.
  EXPECT_EQ(Sha1Hex("x"), "11f6ad8ec52a2984abaafd7c3b516503785c2072");
  EXPECT_EQ(Sha1Hex("hello"), "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
  EXPECT_EQ(Sha1Hex("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(Sha1Test, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte points where padding spills into an extra block; the
  // incremental API fed one byte at a time must agree with the one-shot helper.
  for (size_t len : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
    const std::string data(len, 'q');
    Sha1 hasher;
    for (char c : data) hasher.Update(&c, 1);
    const Sha1::Digest digest = hasher.Finish();
    std::string hex;
    for (uint8_t b : digest) {
      static constexpr char kHex[] = "0123456789abcdef";
      hex += kHex[b >> 4];
      hex += kHex[b & 0xF];
    }
    EXPECT_EQ(hex, Sha1Hex(data)) << len;
  }
  EXPECT_EQ(Sha1Hex(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Sha1Test, BinarySafe) {
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(Sha1Hex(with_nul), "4a3dec2d1f8245280855c42db0ee4239f917fdb8");
}

}  // namespace
}  // namespace sluice
