// Blocking XREAD / XREADGROUP: several clients, wake-ups by XADD, group and key deletion,
// deadlines on the fake clock, and the IDs a woken reader is served from.
#include <string>
#include <vector>

#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class StreamBlockingTest : public ServerTest {
 protected:
  // The single reply a client has produced so far, as text; "(none)" when it has none yet.
  std::string Reply(Session* s) {
    auto replies = TakeReplies(s);
    if (replies.empty()) return "(none)";
    EXPECT_EQ(replies.size(), 1u);
    return replies[0].ToString();
  }
};

TEST_F(StreamBlockingTest, DollarMeansAfterTheLastIdAtBlockTime) {
  Run({"XADD", "s", "1-0", "f", "old"});
  Session* a = NewClient();
  Session* b = NewClient();
  Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  Send(b, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  EXPECT_EQ(Reply(a), "(none)");
  EXPECT_EQ(Run({"XADD", "s", "2-0", "f", "new"}), "2-0");
  // Both readers see the entry: plain XREAD does not consume.
  EXPECT_EQ(Reply(a), R"([["s", [["2-0", ["f", "new"]]]]])");
  EXPECT_EQ(Reply(b), R"([["s", [["2-0", ["f", "new"]]]]])");
}

TEST_F(StreamBlockingTest, MissingStreamThenCreated) {
  Session* a = NewClient();
  Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  Run({"SET", "other", "x"});
  EXPECT_EQ(Reply(a), "(none)");
  Run({"XADD", "s", "5-0", "f", "v"});
  EXPECT_EQ(Reply(a), R"([["s", [["5-0", ["f", "v"]]]]])");
}

TEST_F(StreamBlockingTest, TimeoutRepliesNullArray) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Session* a = NewClient();
  Send(a, {"XREAD", "BLOCK", "100", "STREAMS", "s", "$"});
  AdvanceTime(99);
  EXPECT_EQ(Reply(a), "(none)");
  AdvanceTime(1);
  EXPECT_EQ(Reply(a), "(nil)");
  // After the timeout the client is an ordinary one again.
  Run({"XADD", "s", "2-0", "f", "v"});
  EXPECT_EQ(Reply(a), "(none)");
}

TEST_F(StreamBlockingTest, OnlyTheWokenKeyIsServed) {
  Run({"XADD", "a", "1-0", "f", "v"});
  Run({"XADD", "b", "1-0", "f", "v"});
  Session* reader = NewClient();
  Send(reader, {"XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"});
  Run({"MULTI"});
  Run({"XADD", "b", "2-0", "f", "b2"});
  Run({"XADD", "a", "2-0", "f", "a2"});
  Run({"EXEC"});
  EXPECT_EQ(Reply(reader), R"([["b", [["2-0", ["f", "b2"]]]]])");
}

TEST_F(StreamBlockingTest, WokenReaderGetsAtMostTheDefaultBatch) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Session* reader = NewClient();
  Send(reader, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  Run({"MULTI"});
  for (int i = 2; i <= 1100; ++i) Run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  Run({"EXEC"});
  auto replies = TakeReplies(reader);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0][1].size(), 1000u);
  Send(reader, {"XREAD", "COUNT", "3", "BLOCK", "0", "STREAMS", "s", "$"});
  Run({"MULTI"});
  for (int i = 1101; i <= 1110; ++i) Run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  Run({"EXEC"});
  replies = TakeReplies(reader);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0][1].size(), 3u);
}

TEST_F(StreamBlockingTest, GroupReadersAreServedInArrivalOrder) {
  Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  Session* first = NewClient();
  Session* second = NewClient();
  Session* third = NewClient();
  Send(first, {"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"});
  Send(second, {"XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">"});
  Send(third, {"XREADGROUP", "GROUP", "g", "c3", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"});
  // Waiting consumers do not exist yet.
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "g"}).size(), 0u);
  Run({"XADD", "s", "1-0", "f", "one"});
  EXPECT_EQ(Reply(first), R"([["s", [["1-0", ["f", "one"]]]]])");
  EXPECT_EQ(Reply(second), "(none)");
  EXPECT_EQ(Reply(third), "(none)");
  Run({"XADD", "s", "2-0", "f", "two"});
  EXPECT_EQ(Reply(second), R"([["s", [["2-0", ["f", "two"]]]]])");
  EXPECT_EQ(Reply(third), "(none)");
  Run({"XADD", "s", "3-0", "f", "three"});
  EXPECT_EQ(Reply(third), R"([["s", [["3-0", ["f", "three"]]]]])");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}).ToString(),
            R"([(integer) 3, "1-0", "3-0", [["c1", "1"], ["c2", "1"], ["c3", "1"]]])");
}

TEST_F(StreamBlockingTest, NoAckReaderLeavesNothingPending) {
  Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  Session* a = NewClient();
  Send(a, {"XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"});
  Run({"XADD", "s", "1-0", "f", "v"});
  EXPECT_EQ(Reply(a), R"([["s", [["1-0", ["f", "v"]]]]])");
  EXPECT_EQ(Run({"XPENDING", "s", "g"})[0], 0);
}

TEST_F(StreamBlockingTest, GroupDestroyedWhileWaiting) {
  Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  Session* a = NewClient();
  Send(a, {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"});
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "x"});  // not a reason to wake
  EXPECT_EQ(Reply(a), "(none)");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), 1);
  EXPECT_EQ(Reply(a), "-NOGROUP the consumer group this client was blocked on no longer exists");
}

TEST_F(StreamBlockingTest, KeyDeletedWhileWaiting) {
  Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  Session* group_reader = NewClient();
  Session* reader = NewClient();
  Send(group_reader, {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"});
  Send(reader, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  EXPECT_EQ(Run({"DEL", "s"}), 1);
  EXPECT_EQ(Reply(group_reader), "-UNBLOCKED the stream key no longer exists");
  // A plain reader keeps waiting, and a new stream under the key serves it.
  EXPECT_EQ(Reply(reader), "(none)");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Reply(reader), "(none)");
  Run({"DEL", "s"});
  Run({"XADD", "s", "1-0", "f", "v"});
  EXPECT_EQ(Reply(reader), R"([["s", [["1-0", ["f", "v"]]]]])");
}

TEST_F(StreamBlockingTest, InsideMultiTheBlockIsATimeout) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "$"});
  Run({"MULTI"});
  Run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  Run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"});
  EXPECT_EQ(Run({"EXEC"}).ToString(), "[(nil), (nil)]");
}

// Unlike MULTI, a script may not even ask: Redis refuses BLOCK there, whatever the streams hold,
// with the command's name as the script wrote it.
TEST_F(StreamBlockingTest, FromAScriptBlockIsRefused) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  RespValue r =
      Run({"EVAL", "return redis.pcall('xread', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", "1", "s"});
  EXPECT_EQ(r.type, RespValue::Type::kError);
  EXPECT_EQ(r.str, "ERR xread command is not allowed with BLOCK option from scripts");
  r = Run({"EVAL",
           "return redis.pcall('XREADGROUP', 'GROUP', 'g', 'c', 'block', '10', "
           "'STREAMS', KEYS[1], '>')",
           "1", "s"});
  EXPECT_EQ(r.str, "ERR XREADGROUP command is not allowed with BLOCK option from scripts");
  // Nothing was read: the entry is still there for the group.
  EXPECT_EQ(Run({"XPENDING", "s", "g"})[0], 0);
  // redis.call raises it, with the script's location appended.
  r = Run({"EVAL", "return redis.call('XrEaD', 'BLOCK', '0', 'STREAMS', KEYS[1], '0')", "1", "s"});
  EXPECT_TRUE(
      ErrorStartsWith(r, "ERR XrEaD command is not allowed with BLOCK option from scripts"));
  // Functions are scripts too.
  ASSERT_EQ(Run({"FUNCTION", "LOAD",
                 "#!lua name=lib\nredis.register_function('rd', function(keys) return "
                 "redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', keys[1], '$') end)"}),
            "lib");
  EXPECT_EQ(Run({"FCALL", "rd", "1", "s"}).str,
            "ERR XREAD command is not allowed with BLOCK option from scripts");
  // Option errors before BLOCK come first; the same reads without BLOCK work.
  EXPECT_EQ(Run({"EVAL",
                 "return redis.pcall('XREAD', 'COUNT', 'x', 'BLOCK', '0', 'STREAMS', "
                 "KEYS[1], '$')",
                 "1", "s"})
                .str,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(
      Run({"EVAL", "return redis.call('XREAD', 'STREAMS', KEYS[1], '0')", "1", "s"}).ToString(),
      R"([["s", [["1-0", ["f", "v"]]]]])");
  // Outside scripts BLOCK still blocks.
  Session* a = NewClient();
  Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  EXPECT_EQ(Reply(a), "(none)");
  Run({"XADD", "s", "2-0", "f", "w"});
  EXPECT_EQ(Reply(a), R"([["s", [["2-0", ["f", "w"]]]]])");
}

// "+" on an empty or missing stream waits for its first entry.
TEST_F(StreamBlockingTest, PlusOnAnEmptyStreamWaitsForTheFirstEntry) {
  Session* a = NewClient();
  Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "+"});
  EXPECT_EQ(Reply(a), "(none)");
  Run({"XADD", "s", "3-0", "f", "v"});
  EXPECT_EQ(Reply(a), R"([["s", [["3-0", ["f", "v"]]]]])");
}

TEST_F(StreamBlockingTest, ExplicitIdsAnswerAtOnce) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "$"});
  // A consumer's history read never blocks, even when empty.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", "0"}).ToString(),
            R"([["s", []]])");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "0", "STREAMS", "s", "0"}).ToString(),
            R"([["s", [["1-0", ["f", "v"]]]]])");
}

TEST_F(StreamBlockingTest, Resp3ReplyIsAMap) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Session* a = NewClient();
  Run(a, {"HELLO", "3"});
  Send(a, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  Run({"XADD", "s", "2-0", "f", "v"});
  auto replies = TakeReplies(a);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, RespValue::Type::kMap);
  EXPECT_EQ(replies[0].ToString(), R"({"s", [["2-0", ["f", "v"]]]})");
}

}  // namespace
}  // namespace sluice::testing
