#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class StringFamilyTest : public ServerTest {};

TEST_F(StringFamilyTest, SetThenGet) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_TRUE(Run({"GET", "missing"}).is_null());
}

TEST_F(StringFamilyTest, SetConditions) {
  EXPECT_TRUE(Run({"SET", "k", "v", "XX"}).is_null());
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), "OK");
  EXPECT_TRUE(Run({"SET", "k", "w", "NX"}).is_null());
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "v");
  EXPECT_EQ(Run({"GET", "k"}), "w");
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "k", "v", "NX", "XX"}), "ERR syntax error"));
}

TEST_F(StringFamilyTest, SetExpiresWithFakeClock) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  AdvanceTime(99);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  AdvanceTime(1);
  EXPECT_TRUE(Run({"GET", "k"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "k", "v", "EX", "x"}), "ERR value is not an integer"));
}

TEST_F(StringFamilyTest, ActiveExpiryRemovesUntouchedKeys) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "10"}), "OK");
  EXPECT_EQ(server_->db(0).size(), 1u);
  AdvanceTime(20);
  EXPECT_EQ(server_->db(0).size(), 0u);
  EXPECT_EQ(server_->stats().expired_keys, 1u);
}

TEST_F(StringFamilyTest, Resp3NullAndProtocolSwitch) {
  RespValue hello = Run({"HELLO", "3"});
  ASSERT_EQ(hello.type, RespValue::Type::kMap);
  EXPECT_EQ(hello[4], "proto");
  EXPECT_EQ(hello[5], 3);
  EXPECT_TRUE(Run({"GET", "missing"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"HELLO", "4"}), "NOPROTO"));
}

TEST_F(StringFamilyTest, InlineAndPipelinedInput) {
  auto replies = RunRaw(client(), "PING\r\nSET a \"x y\"\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], "PONG");
  EXPECT_EQ(replies[1], "OK");
  EXPECT_EQ(replies[2], "x y");
}

TEST_F(StringFamilyTest, UnknownCommandAndArity) {
  EXPECT_EQ(Run({"NOPE", "a"}).str, "ERR unknown command 'NOPE', with args beginning with: 'a' ");
  EXPECT_EQ(Run({"GET"}).str, "ERR wrong number of arguments for 'get' command");
}

}  // namespace
}  // namespace sluice::testing
