// End-to-end tests of scripts over TCP: a slow script keeps the server answering (BUSY) and can
// be killed, an unkillable one ends with SHUTDOWN NOSAVE, and the caller's pipelined commands
// wait for its script.
//
// Every test here also passes against redis-server 7.0 (SLUICE_SERVER=$(which redis-server)).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/resp.h"
#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kBusyEval =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

class ScriptingE2ETest : public SharedServerTest<ScriptingE2ETest> {
 public:
  // A short threshold so the tests do not wait five seconds for a script to become busy.
  static std::vector<std::string> ServerArgs() { return {"--busy-reply-threshold", "100"}; }
};

// Sends PING until the server answers BUSY (the script passed the threshold), for up to 10 s.
bool WaitForBusy(RawConnection& conn) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = conn.Call({"PING"});
    if (!reply) return false;
    if (reply->IsError() && reply->str == kBusyEval) return true;
  }
  return false;
}

TEST_F(ScriptingE2ETest, SlowScriptAnswersBusyUntilKilled) {
  RawConnection runner = ConnectRaw();
  RawConnection other = ConnectRaw();
  // The PING pipelined behind the script must wait for it and come after its reply.
  ASSERT_TRUE(
      runner.Send(resp::EncodeCommand({"EVAL", "local i = 0 while true do i = i + 1 end", "0"}) +
                  resp::EncodeCommand({"PING"})));
  ASSERT_TRUE(WaitForBusy(other));
  auto get = other.Call({"GET", "x"});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->str, kBusyEval);
  auto kill = other.Call({"SCRIPT", "KILL"});
  ASSERT_TRUE(kill);
  EXPECT_EQ(kill->str, "OK");
  auto killed = runner.ReadReply();
  ASSERT_TRUE(killed);
  EXPECT_TRUE(killed->IsError());
  EXPECT_EQ(killed->str.rfind("ERR Script killed by user with SCRIPT KILL...", 0), 0u)
      << killed->str;
  auto pong = runner.ReadReply();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->str, "PONG");
  auto after = other.Call({"PING"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->str, "PONG");
}

TEST_F(ScriptingE2ETest, SlowFunctionReportsItselfAndIsKilled) {
  RawConnection runner = ConnectRaw();
  RawConnection other = ConnectRaw();
  auto load = other.Call({"FUNCTION", "LOAD", "REPLACE",
                          "#!lua name=e2ebusy\n"
                          "redis.register_function('e2espin', function() while true do end end)"});
  ASSERT_TRUE(load);
  ASSERT_EQ(load->str, "e2ebusy");
  ASSERT_TRUE(runner.Send(resp::EncodeCommand({"FCALL", "e2espin", "0"})));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::optional<resp::Reply> stats;
  while (std::chrono::steady_clock::now() < deadline) {
    stats = other.Call({"FUNCTION", "STATS"});
    ASSERT_TRUE(stats);
    if (!stats->elems.empty() && !stats->elems[1].IsNull()) break;
  }
  ASSERT_TRUE(stats && stats->elems.size() == 4 && !stats->elems[1].IsNull())
      << (stats ? stats->ToString() : "");
  EXPECT_EQ(stats->elems[1].elems[1].str, "e2espin");
  auto kill = other.Call({"FUNCTION", "KILL"});
  ASSERT_TRUE(kill);
  EXPECT_EQ(kill->str, "OK");
  auto killed = runner.ReadReply();
  ASSERT_TRUE(killed);
  EXPECT_TRUE(killed->IsError());
  auto cleanup = other.Call({"FUNCTION", "DELETE", "e2ebusy"});
  ASSERT_TRUE(cleanup);
}

TEST(ScriptingE2EShutdownTest, UnkillableScriptEndsWithShutdownNosave) {
  ServerProcess server({"--busy-reply-threshold", "100"});
  ASSERT_TRUE(server.Start()) << server.error();
  RawConnection runner, other;
  ASSERT_TRUE(runner.Connect(server.port()));
  ASSERT_TRUE(other.Connect(server.port()));
  ASSERT_TRUE(runner.Send(
      resp::EncodeCommand({"EVAL", "redis.call('set', 'w', '1') while true do end", "0"})));
  ASSERT_TRUE(WaitForBusy(other));
  auto kill = other.Call({"SCRIPT", "KILL"});
  ASSERT_TRUE(kill);
  EXPECT_EQ(kill->str,
            "UNKILLABLE Sorry the script already executed write commands against the dataset. "
            "You can either wait the script termination or kill the server in a hard way using "
            "the SHUTDOWN NOSAVE command.");
  auto shutdown = other.Call({"SHUTDOWN"});
  ASSERT_TRUE(shutdown);
  EXPECT_EQ(shutdown->str, kBusyEval);
  ASSERT_TRUE(other.Send(resp::EncodeCommand({"SHUTDOWN", "NOSAVE"})));
  EXPECT_TRUE(server.WaitForExit(10s).has_value()) << server.LogTail();
}

TEST_F(ScriptingE2ETest, ScriptsOverTheWire) {
  auto c = Connect();
  ASSERT_TRUE(c);
  RedisReplyPtr r =
      Command(c.get(), {"EVAL", "return {1, 'two', {ok='three'}, {err='FOUR x'}}", "0"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(r->elements, 4u);
  EXPECT_EQ(r->element[0]->integer, 1);
  EXPECT_EQ(std::string(r->element[1]->str), "two");
  EXPECT_EQ(r->element[2]->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(r->element[3]->type, REDIS_REPLY_ERROR);
  r = Command(c.get(), {"EVAL",
                        "redis.call('set', KEYS[1], cjson.encode({a = ARGV[1]})) "
                        "return cjson.decode(redis.call('get', KEYS[1])).a",
                        "1", "e2e:json", "value"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str, r->len), "value");
  r = Command(c.get(), {"EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "NOSCRIPT No matching script. Please use EVAL.");
}

}  // namespace
}  // namespace sluice::test
