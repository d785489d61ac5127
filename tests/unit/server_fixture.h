// In-process test fixture: a Server with no sockets, sessions fed through their parser, replies
// decoded into RespValue trees, and a fake clock (AdvanceTime) so expiry, timeouts and blocking
// are tested without sleeping. Family tests read like a redis-cli session:
//   EXPECT_EQ(Run({"LPUSH", "q", "a"}), 1);
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/config.h"
#include "server/core/server.h"
#include "server/core/session.h"

namespace sluice::testing {

struct RespValue {
  enum class Type {
    kStatus,
    kError,
    kInteger,
    kBulk,
    kNull,
    kArray,
    kMap,
    kSet,
    kDouble,
    kBool,
    kBigNumber,
    kVerbatim,
    kPush,
    kNone
  };
  Type type = Type::kNone;
  std::string str;  // status, error, bulk, double text, big number, verbatim
  int64_t integer = 0;
  std::vector<RespValue> elements;  // arrays, sets, pushes; maps as key, value, key, value

  bool is_error() const { return type == Type::kError; }
  bool is_null() const { return type == Type::kNull; }
  size_t size() const { return elements.size(); }
  const RespValue& operator[](size_t i) const { return elements.at(i); }
  // Flattened strings of an array of bulks (LRANGE, KEYS).
  std::vector<std::string> Strings() const;
  std::string ToString() const;
};

bool operator==(const RespValue& v, std::string_view s);  // bulk, status or double text
bool operator==(const RespValue& v, const char* s);
bool operator==(const RespValue& v, int64_t n);
bool operator==(const RespValue& v, int n);
bool operator==(const RespValue& v, const std::vector<std::string>& items);
std::ostream& operator<<(std::ostream& os, const RespValue& v);

// Decodes one reply from `bytes` starting at *pos; returns false if incomplete.
bool DecodeReply(std::string_view bytes, size_t* pos, RespValue* out);

// Matches an error reply whose text starts with `prefix`, e.g. ErrorStartsWith("WRONGTYPE").
::testing::AssertionResult ErrorStartsWith(const RespValue& v, std::string_view prefix);

class ServerTest : public ::testing::Test {
 protected:
  static constexpr int64_t kStartTimeMs = 1700000000000;

  ServerTest();
  ~ServerTest() override;

  // Runs a command on the default client and returns its reply.
  RespValue Run(std::initializer_list<std::string_view> args) { return Run(client_, args); }
  RespValue Run(Session* session, std::initializer_list<std::string_view> args);
  RespValue Run(Session* session, const std::vector<std::string>& args);
  // Sends a command without waiting for a reply (for blocking commands).
  void Send(Session* session, std::initializer_list<std::string_view> args);
  // Replies the session has produced and nobody has read yet.
  std::vector<RespValue> TakeReplies(Session* session);
  // Sends raw protocol bytes, returning every reply they produced.
  std::vector<RespValue> RunRaw(Session* session, std::string_view bytes);

  Session* NewClient();
  Session* client() { return client_; }
  // Moves the fake clock forward and runs the periodic work a real loop would run.
  void AdvanceTime(int64_t ms);
  int64_t Now() const { return server_->now_ms(); }

  Config config_;
  std::unique_ptr<Server> server_;
  Session* client_ = nullptr;
};

}  // namespace sluice::testing
