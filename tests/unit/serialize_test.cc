#include "server/types/serialize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "server/util/crc64.h"
#include "server/util/random.h"

namespace sluice {
namespace {

// Appends the version and checksum trailer to a hand-made body.
std::string Seal(std::string body, uint16_t version = kDumpFormatVersion) {
  body.push_back(static_cast<char>(version & 0xff));
  body.push_back(static_cast<char>(version >> 8));
  uint64_t crc = Crc64(0, body.data(), body.size());
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return body;
}

std::string RoundTrip(std::string_view value) {
  Object obj{std::string(value)};
  std::string payload = DumpObject(obj);
  Object back;
  EXPECT_TRUE(RestoreObject(payload, &back));
  EXPECT_TRUE(back.is_string());
  return back.str();
}

TEST(SerializeTest, StringsRoundTrip) {
  EXPECT_EQ(RoundTrip(""), "");
  EXPECT_EQ(RoundTrip("hello"), "hello");
  std::string binary("\0\r\n\xff\x80", 5);
  EXPECT_EQ(RoundTrip(binary), binary);
  std::string big(300000, 'z');
  EXPECT_EQ(RoundTrip(big), big);
}

TEST(SerializeTest, PayloadLayout) {
  Object obj{std::string("abc")};
  std::string payload = DumpObject(obj);
  // type, length, "abc", version (2), crc (8)
  ASSERT_EQ(payload.size(), 1u + 1u + 3u + 2u + 8u);
  EXPECT_EQ(payload[0], '\0');
  EXPECT_EQ(payload[1], '\x03');
  EXPECT_EQ(payload.substr(2, 3), "abc");
  EXPECT_EQ(payload[5], static_cast<char>(kDumpFormatVersion & 0xff));
  EXPECT_EQ(payload[6], static_cast<char>(kDumpFormatVersion >> 8));
  uint64_t crc = Crc64(0, payload.data(), 7);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(static_cast<uint8_t>(payload[7 + i]), (crc >> (8 * i)) & 0xff) << i;
  }
  EXPECT_EQ(Seal(payload.substr(0, 5)), payload);
}

TEST(SerializeTest, RestoreIgnoresDumpedMetadata) {
  Object obj{std::string("v")};
  obj.set_expire_at(123456);
  obj.Touch(99);
  Object back;
  ASSERT_TRUE(RestoreObject(DumpObject(obj), &back));
  EXPECT_EQ(back.expire_at(), 0);
  EXPECT_EQ(back.access_ms(), 0);
}

TEST(SerializeTest, EveryTruncationIsRefused) {
  std::string payload = DumpObject(Object{std::string("a value of some length")});
  for (size_t len = 0; len < payload.size(); ++len) {
    Object out;
    EXPECT_FALSE(VerifyDumpPayload(payload.substr(0, len))) << len;
    EXPECT_FALSE(RestoreObject(payload.substr(0, len), &out)) << len;
  }
  // Cutting the body but resealing: the checksum is right, the body is short.
  for (size_t len = 0; len < payload.size() - 10; ++len) {
    std::string resealed = Seal(payload.substr(0, len));
    Object out;
    EXPECT_FALSE(RestoreObject(resealed, &out)) << len;
  }
}

TEST(SerializeTest, EveryBitFlipIsRefused) {
  std::string payload = DumpObject(Object{std::string("flip me")});
  for (size_t i = 0; i < payload.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = payload;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      Object out;
      EXPECT_FALSE(RestoreObject(damaged, &out)) << i << ":" << bit;
    }
  }
}

TEST(SerializeTest, WrongVersionIsRefused) {
  std::string body("\x00\x01x", 3);
  EXPECT_TRUE(VerifyDumpPayload(Seal(body)));
  EXPECT_FALSE(VerifyDumpPayload(Seal(body, kDumpFormatVersion + 1)));
  EXPECT_FALSE(VerifyDumpPayload(Seal(body, 0)));
  Object out;
  EXPECT_FALSE(RestoreObject(Seal(body, kDumpFormatVersion + 1), &out));
}

TEST(SerializeTest, MalformedBodiesWithValidChecksumsAreRefused) {
  Object out;
  // Trailing bytes after the value.
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x00\x01xy", 4)), &out));
  // Length larger than what follows.
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x00\x05xy", 4)), &out));
  // Overlong varint for 1 (0x81 0x00), and a varint running past 64 bits.
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x00\x81\x00x", 4)), &out));
  EXPECT_FALSE(
      RestoreObject(Seal(std::string("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11)), &out));
  // Unknown and unregistered type bytes.
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x7f\x01x", 3)), &out));
  EXPECT_FALSE(RestoreObject(Seal(std::string("\xff\x01x", 3)), &out));
  // Type byte alone.
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x00", 1)), &out));
}

TEST(SerializeTest, RandomPayloadsNeverCrash) {
  Random rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string body(rng.Uniform(24), '\0');
    for (char& c : body) c = static_cast<char>(rng.Next());
    if (!body.empty() && rng.Uniform(2) == 0) body[0] = '\0';  // mostly the string type
    Object out;
    bool ok = RestoreObject(Seal(body), &out);
    if (ok && out.is_string()) {
      // A decoded string must dump back to the same payload: one spelling per value.
      EXPECT_EQ(DumpObject(out), Seal(body));
    }
    RestoreObject(body, &out);  // unsealed garbage
  }
}

TEST(SerializeTest, ReaderPrimitives) {
  std::string buf;
  PayloadWriter w(&buf);
  w.PutVarint(0);
  w.PutVarint(127);
  w.PutVarint(128);
  w.PutVarint(UINT64_MAX);
  w.PutFixed64(0x0102030405060708ULL);
  w.PutDouble(-2.5);
  w.PutDouble(std::numeric_limits<double>::infinity());
  w.PutString("str");
  w.PutByte(9);
  PayloadReader r(buf);
  uint64_t v;
  ASSERT_TRUE(r.ReadVarint(&v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(r.ReadVarint(&v));
  EXPECT_EQ(v, 127u);
  ASSERT_TRUE(r.ReadVarint(&v));
  EXPECT_EQ(v, 128u);
  ASSERT_TRUE(r.ReadVarint(&v));
  EXPECT_EQ(v, UINT64_MAX);
  ASSERT_TRUE(r.ReadFixed64(&v));
  EXPECT_EQ(v, 0x0102030405060708ULL);
  double d;
  ASSERT_TRUE(r.ReadDouble(&d));
  EXPECT_EQ(d, -2.5);
  ASSERT_TRUE(r.ReadDouble(&d));
  EXPECT_TRUE(std::isinf(d));
  std::string_view s;
  ASSERT_TRUE(r.ReadString(&s));
  EXPECT_EQ(s, "str");
  uint8_t b;
  ASSERT_TRUE(r.ReadByte(&b));
  EXPECT_EQ(b, 9);
  EXPECT_TRUE(r.at_end());
  EXPECT_FALSE(r.ReadByte(&b));
  EXPECT_TRUE(r.failed());
  EXPECT_FALSE(r.at_end());
}

TEST(SerializeTest, ReadCountRefusesImpossibleCounts) {
  std::string buf;
  PayloadWriter w(&buf);
  w.PutVarint(4);
  buf.append("abcdefgh");
  {
    PayloadReader r(buf);
    uint64_t n;
    EXPECT_TRUE(r.ReadCount(&n, 2));
    EXPECT_EQ(n, 4u);
  }
  {
    PayloadReader r(buf);
    uint64_t n;
    EXPECT_FALSE(r.ReadCount(&n, 3));
  }
  std::string huge;
  PayloadWriter(&huge).PutVarint(UINT64_MAX);
  PayloadReader r(huge);
  uint64_t n;
  EXPECT_FALSE(r.ReadCount(&n));
}

// A collection type registering its own codec, the way the type families do.
class TestList : public Collection {
 public:
  ObjType type() const override { return ObjType::kList; }
  std::string_view Encoding() const override { return "test"; }
  std::unique_ptr<Collection> Clone() const override { return std::make_unique<TestList>(*this); }
  size_t MemoryUsage() const override { return 0; }
  size_t Length() const override { return items.size(); }
  std::vector<std::string> items;
};

void DumpTestList(const Object& obj, PayloadWriter& out) {
  const auto* list = obj.As<TestList>();
  out.PutVarint(list->items.size());
  for (const std::string& item : list->items) out.PutString(item);
}

bool LoadTestList(PayloadReader& in, Object* out) {
  uint64_t n;
  if (!in.ReadCount(&n)) return false;
  auto list = std::make_unique<TestList>();
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view item;
    if (!in.ReadString(&item)) return false;
    list->items.emplace_back(item);
  }
  *out = Object(std::move(list));
  return true;
}

// Decodes successfully, but into the wrong type.
bool LoadAsString(PayloadReader& in, Object* out) {
  uint8_t b;
  if (!in.ReadByte(&b)) return false;
  out->SetString("x");
  return true;
}

class SerializerRegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = GetSerializer(ObjType::kList); }
  void TearDown() override { RegisterSerializer(ObjType::kList, saved_.dump, saved_.load); }
  Serializer saved_;
};

TEST_F(SerializerRegistrationTest, RegisteredTypeRoundTrips) {
  RegisterSerializer(ObjType::kList, DumpTestList, LoadTestList);
  auto list = std::make_unique<TestList>();
  list->items = {"a", "", "ccc"};
  Object obj(std::move(list));
  std::string payload = DumpObject(obj);
  ASSERT_FALSE(payload.empty());
  EXPECT_EQ(payload[0], static_cast<char>(ObjType::kList));
  Object back;
  ASSERT_TRUE(RestoreObject(payload, &back));
  ASSERT_EQ(back.type(), ObjType::kList);
  EXPECT_EQ(back.As<TestList>()->items, (std::vector<std::string>{"a", "", "ccc"}));
  for (size_t len = 0; len + 10 < payload.size(); ++len) {
    Object out;
    EXPECT_FALSE(RestoreObject(Seal(payload.substr(0, len)), &out)) << len;
  }
}

TEST_F(SerializerRegistrationTest, UnregisteredTypeCannotBeDumpedOrRestored) {
  RegisterSerializer(ObjType::kList, nullptr, nullptr);
  Object obj(std::make_unique<TestList>());
  EXPECT_EQ(DumpObject(obj), "");
  Object out;
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x01\x00", 2)), &out));
}

TEST_F(SerializerRegistrationTest, DecoderProducingAnotherTypeIsRefused) {
  RegisterSerializer(ObjType::kList, DumpTestList, LoadAsString);
  Object out;
  EXPECT_FALSE(RestoreObject(Seal(std::string("\x01\x00", 2)), &out));
}

}  // namespace
}  // namespace sluice
