#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class AuthTest : public ServerTest {};

TEST_F(AuthTest, AuthWithoutPasswordConfigured) {
  EXPECT_TRUE(ErrorStartsWith(Run({"AUTH", "secret"}),
                              "ERR AUTH <password> called without any password configured"));
  EXPECT_TRUE(ErrorStartsWith(Run({"AUTH", "someone", "secret"}), "WRONGPASS"));
  EXPECT_EQ(Run({"AUTH", "default", "anything"}), "OK");
  EXPECT_TRUE(ErrorStartsWith(Run({"AUTH", "a", "b", "c"}), "ERR syntax error"));
}

TEST_F(AuthTest, RequirePassGatesCommandsUntilAuth) {
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "s3cret"}), "OK");
  Session* stranger = NewClient();
  stranger->authenticated = false;  // as a new network connection would start
  EXPECT_TRUE(ErrorStartsWith(Run(stranger, {"GET", "k"}), "NOAUTH Authentication required."));
  EXPECT_TRUE(ErrorStartsWith(Run(stranger, {"HELLO", "3"}), "NOAUTH HELLO must be called"));
  EXPECT_TRUE(ErrorStartsWith(Run(stranger, {"AUTH", "wrong"}), "WRONGPASS"));
  EXPECT_TRUE(ErrorStartsWith(Run(stranger, {"GET", "k"}), "NOAUTH"));
  EXPECT_EQ(Run(stranger, {"AUTH", "s3cret"}), "OK");
  EXPECT_TRUE(Run(stranger, {"GET", "k"}).is_null());

  Session* other = NewClient();
  other->authenticated = false;
  RespValue hello = Run(other, {"HELLO", "3", "AUTH", "default", "s3cret"});
  EXPECT_EQ(hello.type, RespValue::Type::kMap);
  EXPECT_EQ(Run(other, {"PING"}), "PONG");
}

TEST_F(AuthTest, ClearingRequirePassLetsWaitingConnectionsThrough) {
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "s3cret"}), "OK");
  Session* stranger = NewClient();
  stranger->authenticated = false;
  EXPECT_TRUE(ErrorStartsWith(Run(stranger, {"GET", "k"}), "NOAUTH"));
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", ""}), "OK");
  EXPECT_TRUE(Run(stranger, {"GET", "k"}).is_null());
  EXPECT_EQ(Run(stranger, {"HELLO", "2"}).type, RespValue::Type::kArray);
  // Set again, the connection that never authenticated is asked again.
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "other"}), "OK");
  EXPECT_TRUE(ErrorStartsWith(Run(stranger, {"GET", "k"}), "NOAUTH"));
}

TEST_F(AuthTest, ProtoMaxBulkLenHasAFloor) {
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CONFIG", "SET", "proto-max-bulk-len", "10"}), "ERR CONFIG SET failed"));
  EXPECT_EQ(Run({"CONFIG", "SET", "proto-max-bulk-len", "1mb"}), "OK");
}

}  // namespace
}  // namespace sluice::testing
