// GoogleTest fixture that shares one server process among the tests of a suite.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/server_process.h"

namespace sluice::test {

// Usage:
//   class StringsTest : public SharedServerTest<StringsTest> {};
// Each suite (each `Derived`) gets its own server, started once before its first test. A
// derived class may define `static std::vector<std::string> ServerArgs()` for extra flags.
// If the server dies during a test, that test fails (with the server's log) and the server is
// restarted for the next one.
template <typename Derived>
class SharedServerTest : public ::testing::Test {
 public:
  static std::vector<std::string> ServerArgs() { return {}; }

 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(Derived::ServerArgs());
    started_ = server_->Start();
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!started_ && server_) started_ = server_->Start();
    ASSERT_TRUE(started_) << "server failed to start: " << server_->error();
  }

  void TearDown() override {
    if (server_ && started_ && !server_->running()) {
      ADD_FAILURE() << "the server died during this test: " << server_->exit_status()->ToString()
                    << "\nlog:\n"
                    << server_->LogTail();
      started_ = server_->Start();
    }
  }

  static ServerProcess& server() { return *server_; }
  static int port() { return server_->port(); }

  // A fresh hiredis connection; fails the test if it cannot connect.
  RedisContextPtr Connect() {
    RedisContextPtr c = server_->Connect();
    EXPECT_TRUE(c && !c->err) << "connect: " << (c ? c->errstr : "out of memory");
    return c;
  }

  // A fresh raw connection; fails the test if it cannot connect.
  RawConnection ConnectRaw() {
    RawConnection conn;
    EXPECT_TRUE(conn.Connect(port())) << conn.error();
    return conn;
  }

 private:
  static inline std::unique_ptr<ServerProcess> server_;
  static inline bool started_ = false;
};

}  // namespace sluice::test
