// Blocked clients, with several in-process clients and the fake clock: who is served first, by
// which key, when (after EXEC, after the writing command), timeouts, disconnects, and the keyspace
// commands that bring a list under a waited-on key. Expected behaviour is Redis 7.0's.
#include "server/blocking/blocking.h"

#include <string>
#include <vector>

#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using Strings = std::vector<std::string>;

// Exact error text: the fixture's == compares replies with strings only for non-errors.
::testing::AssertionResult IsError(const RespValue& v, std::string_view text) {
  if (v.is_error() && v.str == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected the error '" << text << "', got " << v;
}

class BlockingTest : public ServerTest {
 protected:
  BlockingManager& blocking() { return server_->blocking(); }

  // A new client that sends `command` and must be left waiting.
  Session* Blocked(std::initializer_list<std::string_view> command) {
    Session* s = NewClient();
    Send(s, command);
    EXPECT_TRUE(TakeReplies(s).empty()) << "the command did not block";
    EXPECT_TRUE(blocking().IsBlocked(s));
    return s;
  }
  // The single reply the session has received since last asked; kNone if there is none.
  RespValue OnlyReply(Session* s) {
    std::vector<RespValue> replies = TakeReplies(s);
    EXPECT_LE(replies.size(), 1u);
    return replies.empty() ? RespValue{} : replies[0];
  }
  bool NoReply(Session* s) { return TakeReplies(s).empty(); }
  // The exact bytes the session has received since last asked.
  std::string Wire(Session* s) {
    server_->RunPendingWork();
    std::string out = s->output();
    s->output().clear();
    return out;
  }
  // What a dropped connection does to its session.
  void Disconnect(Session* s) {
    s->Kill();
    server_->ForgetSession(s);
    server_->RunPendingWork();
  }
  Strings Range(std::string_view key) { return Run({"LRANGE", key, "0", "-1"}).Strings(); }
};

// --- Who is served ----------------------------------------------------------------------------

TEST_F(BlockingTest, ClientsOnOneKeyAreServedInArrivalOrder) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Session* b = Blocked({"BRPOP", "q", "0"});
  Session* c = Blocked({"BLPOP", "q", "0"});
  EXPECT_EQ(blocking().blocked_count(), 3u);
  EXPECT_EQ(Run({"RPUSH", "q", "1"}), 1);  // the writer sees the length before anyone pops
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "1"}));
  EXPECT_TRUE(NoReply(b));
  EXPECT_TRUE(NoReply(c));
  Run({"RPUSH", "q", "2"});
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "2"}));
  EXPECT_TRUE(NoReply(c));
  Run({"RPUSH", "q", "3"});
  EXPECT_EQ(OnlyReply(c), (Strings{"q", "3"}));
  EXPECT_EQ(blocking().blocked_count(), 0u);
  EXPECT_EQ(Run({"EXISTS", "q"}), 0);
}

TEST_F(BlockingTest, OnePushOfSeveralElementsServesSeveralClients) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Session* b = Blocked({"BLPOP", "q", "0"});
  Session* c = Blocked({"BLPOP", "q", "0"});
  // LPUSH leaves d c b a: each client in turn takes the head.
  EXPECT_EQ(Run({"LPUSH", "q", "a", "b", "c", "d"}), 4);
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "d"}));
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "c"}));
  EXPECT_EQ(OnlyReply(c), (Strings{"q", "b"}));
  EXPECT_EQ(Range("q"), (Strings{"a"}));
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(BlockingTest, FewerElementsThanClientsLeavesTheLastWaiting) {
  Session* a = Blocked({"BRPOP", "q", "0"});
  Session* b = Blocked({"BRPOP", "q", "0"});
  Session* c = Blocked({"BRPOP", "q", "0"});
  Run({"RPUSH", "q", "a", "b"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "b"}));
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "a"}));
  EXPECT_TRUE(NoReply(c));
  EXPECT_EQ(blocking().blocked_count(), 1u);
  Run({"RPUSH", "q", "z"});
  EXPECT_EQ(OnlyReply(c), (Strings{"q", "z"}));
}

TEST_F(BlockingTest, ClientOnSeveralKeysIsServedByTheOneThatGetsAPush) {
  Session* a = Blocked({"BLPOP", "k1", "k2", "k3", "0"});
  Run({"RPUSH", "k3", "x"});
  EXPECT_EQ(OnlyReply(a), (Strings{"k3", "x"}));
  EXPECT_EQ(blocking().blocked_count(), 0u);
  // Served once means unregistered from every key.
  Run({"RPUSH", "k1", "y"});
  EXPECT_TRUE(NoReply(a));
  EXPECT_EQ(Range("k1"), (Strings{"y"}));
}

TEST_F(BlockingTest, ClientIsServedFromTheKeyThatBecameReadyFirst) {
  // One transaction fills both keys, k2 first: Redis 7.0 serves the client from k2 although
  // k1 comes first in its command.
  Session* a = Blocked({"BLPOP", "k1", "k2", "0"});
  Run({"MULTI"});
  Run({"RPUSH", "k2", "x"});
  Run({"RPUSH", "k1", "y"});
  EXPECT_EQ(Run({"EXEC"}).size(), 2u);
  EXPECT_EQ(OnlyReply(a), (Strings{"k2", "x"}));
  EXPECT_EQ(Range("k1"), (Strings{"y"}));

  Session* b = Blocked({"BLMPOP", "0", "2", "k3", "k4", "RIGHT", "COUNT", "2"});
  Run({"MULTI"});
  Run({"RPUSH", "k4", "1", "2", "3"});
  Run({"RPUSH", "k3", "z"});
  Run({"EXEC"});
  RespValue r = OnlyReply(b);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "k4");
  EXPECT_EQ(r[1], (Strings{"3", "2"}));
  EXPECT_EQ(Range("k3"), (Strings{"z"}));
}

TEST_F(BlockingTest, ClientsOnlySeeTheirOwnDatabase) {
  Session* a = NewClient();
  EXPECT_EQ(Run(a, {"SELECT", "1"}), "OK");
  Send(a, {"BLPOP", "q", "0"});
  EXPECT_TRUE(NoReply(a));
  Run({"RPUSH", "q", "db0"});
  EXPECT_TRUE(NoReply(a));
  Run({"SELECT", "1"});
  Run({"RPUSH", "q", "db1"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "db1"}));
  Run({"SELECT", "0"});
  EXPECT_EQ(Range("q"), (Strings{"db0"}));
}

TEST_F(BlockingTest, ServedPopsAndMovesDisturbWatchers) {
  Session* watcher = NewClient();
  Session* a = Blocked({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"});
  EXPECT_EQ(Run(watcher, {"WATCH", "d"}), "OK");
  Run({"RPUSH", "q", "z"});
  EXPECT_EQ(OnlyReply(a), "z");
  Run(watcher, {"MULTI"});
  Run(watcher, {"PING"});
  EXPECT_TRUE(Run(watcher, {"EXEC"}).is_null());
}

// --- Timeouts ---------------------------------------------------------------------------------

TEST_F(BlockingTest, FractionalTimeoutIsMilliseconds) {
  Session* a = Blocked({"BLPOP", "q", "0.03"});
  AdvanceTime(29);
  EXPECT_TRUE(NoReply(a));
  AdvanceTime(1);
  EXPECT_EQ(Wire(a), "*-1\r\n");
  EXPECT_EQ(blocking().blocked_count(), 0u);
  // After the timeout the client is an ordinary client again.
  EXPECT_EQ(Run(a, {"PING"}), "PONG");
  Run({"RPUSH", "q", "x"});
  EXPECT_TRUE(NoReply(a));
}

TEST_F(BlockingTest, TimeoutsRoundUpToTheMillisecond) {
  Session* a = Blocked({"BLPOP", "q", "0.0301"});
  AdvanceTime(30);
  EXPECT_TRUE(NoReply(a));
  AdvanceTime(1);
  EXPECT_EQ(Wire(a), "*-1\r\n");
  Session* b = Blocked({"BLPOP", "q", "0.0009"});
  AdvanceTime(1);
  EXPECT_EQ(Wire(b), "*-1\r\n");
}

TEST_F(BlockingTest, ZeroWaitsForever) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  // A tiny negative timeout rounds up to zero: forever too, as in Redis 7.0.
  Session* b = Blocked({"BRPOP", "q", "-0.0009"});
  Session* c = Blocked({"BLMPOP", "0.0", "1", "q", "LEFT"});
  AdvanceTime(30LL * 24 * 3600 * 1000);
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(NoReply(b));
  EXPECT_TRUE(NoReply(c));
  Run({"RPUSH", "q", "1", "2", "3"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "1"}));
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "3"}));
  EXPECT_EQ(OnlyReply(c)[1], (Strings{"2"}));
}

TEST_F(BlockingTest, HugeTimeoutsAreAcceptedOrNegative) {
  // Beyond the 64-bit millisecond range Redis 7.0's conversion yields a negative number.
  for (const char* t : {"1e20", "inf", "-inf", "1e309"}) {
    EXPECT_TRUE(IsError(Run({"BLPOP", "q", t}), "ERR timeout is negative")) << t;
  }
  Session* a = Blocked({"BLPOP", "q", "9223372036854775"});
  Session* b = Blocked({"BLPOP", "q", "1e12"});
  AdvanceTime(365LL * 24 * 3600 * 1000);
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(NoReply(b));
  EXPECT_EQ(blocking().blocked_count(), 2u);
}

TEST_F(BlockingTest, TimeoutArgumentErrors) {
  for (auto cmd : {std::initializer_list<std::string_view>{"BLPOP", "q", "-1"},
                   {"BRPOP", "q", "-0.0011"},
                   {"BLMOVE", "q", "d", "LEFT", "LEFT", "-1"},
                   {"BRPOPLPUSH", "q", "d", "-5"},
                   {"BLMPOP", "-1", "1", "q", "LEFT"}}) {
    EXPECT_TRUE(IsError(Run(cmd), "ERR timeout is negative"));
  }
  for (const char* t : {"abc", "nan", " 1", "1s", "", "1e5000"}) {
    EXPECT_TRUE(IsError(Run({"BLPOP", "q", t}), "ERR timeout is not a float or out of range")) << t;
  }
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(BlockingTest, EveryBlockingCommandTimesOutWithANilArray) {
  // Even the moves, whose non-blocking answer is a nil bulk string.
  Session* a = Blocked({"BLPOP", "q", "0.01"});
  Session* b = Blocked({"BLMOVE", "q", "d", "LEFT", "LEFT", "0.01"});
  Session* c = Blocked({"BRPOPLPUSH", "q", "d", "0.01"});
  Session* d = Blocked({"BLMPOP", "0.01", "1", "q", "LEFT"});
  AdvanceTime(10);
  for (Session* s : {a, b, c, d}) EXPECT_EQ(Wire(s), "*-1\r\n");
}

TEST_F(BlockingTest, TimeoutInResp3IsNull) {
  Session* a = NewClient();
  Run(a, {"HELLO", "3"});
  Send(a, {"BLPOP", "q", "0.01"});
  Session* b = NewClient();
  Run(b, {"HELLO", "3"});
  Send(b, {"BLMOVE", "q", "d", "LEFT", "LEFT", "0.01"});
  AdvanceTime(10);
  EXPECT_EQ(Wire(a), "_\r\n");
  EXPECT_EQ(Wire(b), "_\r\n");
}

TEST_F(BlockingTest, TimeoutOfOneClientLeavesTheOthersInPlace) {
  Session* a = Blocked({"BLPOP", "q", "0.05"});
  Session* b = Blocked({"BLPOP", "q", "0"});
  AdvanceTime(50);
  EXPECT_EQ(Wire(a), "*-1\r\n");
  Run({"RPUSH", "q", "x"});
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "x"}));
}

TEST_F(BlockingTest, WakingWithoutDataKeepsTheOriginalDeadline) {
  Session* a = Blocked({"BLPOP", "q", "0.1"});
  AdvanceTime(60);
  // The key gets an element and loses it in one transaction: a wake-up that finds nothing.
  Run({"MULTI"});
  Run({"RPUSH", "q", "x"});
  Run({"DEL", "q"});
  Run({"EXEC"});
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(blocking().IsBlocked(a));
  AdvanceTime(40);
  EXPECT_EQ(Wire(a), "*-1\r\n");
}

// --- Transactions and pipelines ---------------------------------------------------------------

TEST_F(BlockingTest, PushInsideMultiWakesOnlyAfterExec) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"RPUSH", "q", "1", "2"}), "QUEUED");
  EXPECT_TRUE(NoReply(a));
  EXPECT_EQ(Run({"LLEN", "q"}), "QUEUED");
  RespValue exec = Run({"EXEC"});
  ASSERT_EQ(exec.size(), 2u);
  EXPECT_EQ(exec[1], 2);  // the transaction saw both elements: nobody popped during EXEC
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "1"}));
  EXPECT_EQ(Range("q"), (Strings{"2"}));
}

TEST_F(BlockingTest, TransactionThatPushesThenPopsGetsItsOwnElement) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Run({"MULTI"});
  Run({"RPUSH", "q", "mine"});
  Run({"LPOP", "q"});
  RespValue exec = Run({"EXEC"});
  ASSERT_EQ(exec.size(), 2u);
  EXPECT_EQ(exec[1], "mine");
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(blocking().IsBlocked(a));
  Run({"RPUSH", "q", "next"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "next"}));
}

TEST_F(BlockingTest, BlockingCommandInsideMultiDoesNotBlock) {
  Run({"MULTI"});
  Run({"BLPOP", "q", "0"});
  Run({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"});
  RespValue exec = Run({"EXEC"});
  ASSERT_EQ(exec.size(), 2u);
  EXPECT_TRUE(exec[0].is_null());
  EXPECT_TRUE(exec[1].is_null());
  EXPECT_EQ(blocking().blocked_count(), 0u);
  EXPECT_EQ(Run({"PING"}), "PONG");
}

TEST_F(BlockingTest, PipelinedCommandsWaitForTheBlockedOne) {
  Session* a = NewClient();
  std::vector<RespValue> replies = RunRaw(a,
                                          "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n"
                                          "*1\r\n$4\r\nPING\r\n"
                                          "*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n");
  EXPECT_TRUE(replies.empty());
  EXPECT_TRUE(blocking().IsBlocked(a));
  Run({"RPUSH", "q", "1", "2"});
  replies = TakeReplies(a);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], (Strings{"q", "1"}));
  EXPECT_EQ(replies[1], "PONG");
  EXPECT_EQ(replies[2], 1);  // LLEN ran after the pop
}

TEST_F(BlockingTest, WritersNextCommandSeesTheServedState) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Session* writer = NewClient();
  // Both commands in one read: the waiter is served between them, as in Redis.
  std::vector<RespValue> replies = RunRaw(writer,
                                          "*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$1\r\nx\r\n"
                                          "*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n");
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0], 1);
  EXPECT_EQ(replies[1], 0);
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "x"}));
}

// --- Moves ------------------------------------------------------------------------------------

TEST_F(BlockingTest, BlmoveChainsServeTheNextClient) {
  Session* a = Blocked({"BLMOVE", "q1", "q2", "LEFT", "RIGHT", "0"});
  Session* b = Blocked({"BLPOP", "q2", "0"});
  Run({"RPUSH", "q1", "m"});
  EXPECT_EQ(OnlyReply(a), "m");
  EXPECT_EQ(OnlyReply(b), (Strings{"q2", "m"}));
  EXPECT_EQ(Run({"EXISTS", "q1", "q2"}), 0);
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(BlockingTest, ThreeHopChain) {
  Session* a = Blocked({"BLMOVE", "q1", "q2", "LEFT", "LEFT", "0"});
  Session* b = Blocked({"BRPOPLPUSH", "q2", "q3", "0"});
  Session* c = Blocked({"BLMPOP", "0", "1", "q3", "LEFT"});
  Run({"RPUSH", "q1", "m"});
  EXPECT_EQ(OnlyReply(a), "m");
  EXPECT_EQ(OnlyReply(b), "m");
  RespValue r = OnlyReply(c);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "q3");
  EXPECT_EQ(r[1], (Strings{"m"}));
}

TEST_F(BlockingTest, MoveOntoItsOwnSourceFeedsTheNextWaiter) {
  Session* a = Blocked({"BLMOVE", "q", "q", "RIGHT", "LEFT", "0"});
  Session* b = Blocked({"BLPOP", "q", "0"});
  Run({"RPUSH", "q", "1"});
  EXPECT_EQ(OnlyReply(a), "1");
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "1"}));
  EXPECT_EQ(Run({"EXISTS", "q"}), 0);
}

TEST_F(BlockingTest, MovesAndPopsShareOneQueue) {
  Session* a = Blocked({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"});
  Session* b = Blocked({"BLPOP", "q", "0"});
  Run({"RPUSH", "q", "x", "y"});
  EXPECT_EQ(OnlyReply(a), "x");
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "y"}));
  EXPECT_EQ(Range("d"), (Strings{"x"}));
}

// --- Keyspace commands that bring a list under a key ------------------------------------------

TEST_F(BlockingTest, RenameWakes) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Run({"RPUSH", "src", "r"});
  EXPECT_EQ(Run({"RENAME", "src", "q"}), "OK");
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "r"}));
  Session* b = Blocked({"BLPOP", "q", "0"});
  Run({"RPUSH", "src", "n"});
  EXPECT_EQ(Run({"RENAMENX", "src", "q"}), 1);
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "n"}));
}

TEST_F(BlockingTest, MoveFromAnotherDatabaseWakes) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Run({"SELECT", "1"});
  Run({"RPUSH", "q", "m"});
  EXPECT_EQ(Run({"MOVE", "q", "0"}), 1);
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "m"}));
}

TEST_F(BlockingTest, SwapdbWakes) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Run({"SELECT", "1"});
  Run({"RPUSH", "q", "s"});
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "OK");
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "s"}));
}

TEST_F(BlockingTest, CopyWakes) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Run({"RPUSH", "src", "c"});
  EXPECT_EQ(Run({"COPY", "src", "q"}), 1);
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "c"}));
  EXPECT_EQ(Range("src"), (Strings{"c"}));
  Session* b = Blocked({"BLPOP", "q1", "0"});
  EXPECT_EQ(Run({"COPY", "src", "q1", "DB", "0"}), 1);
  EXPECT_EQ(OnlyReply(b), (Strings{"q1", "c"}));
  // Into another database: the waiter there is served.
  Session* c = NewClient();
  Run(c, {"SELECT", "2"});
  Send(c, {"BLPOP", "q", "0"});
  EXPECT_TRUE(NoReply(c));
  EXPECT_EQ(Run({"COPY", "src", "q", "DB", "2"}), 1);
  EXPECT_EQ(OnlyReply(c), (Strings{"q", "c"}));
}

TEST_F(BlockingTest, FlushallServesNobody) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  EXPECT_EQ(Run({"FLUSHALL"}), "OK");
  EXPECT_TRUE(NoReply(a));
  Run({"RPUSH", "q", "after"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "after"}));
}

// --- Wrong types ------------------------------------------------------------------------------

TEST_F(BlockingTest, KeyOfAnotherTypeKeepsTheClientWaiting) {
  // Redis 7.0 serves list waiters only from lists: a string appearing under the key is no
  // reason to answer WRONGTYPE.
  Session* a = Blocked({"BLPOP", "k", "0"});
  EXPECT_EQ(Run({"SET", "k", "str"}), "OK");
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(blocking().IsBlocked(a));
  Run({"DEL", "k"});
  Run({"LPUSH", "k", "v"});
  EXPECT_EQ(OnlyReply(a), (Strings{"k", "v"}));
}

TEST_F(BlockingTest, OtherKeyTurnedIntoAStringDoesNotStopService) {
  Session* a = Blocked({"BLPOP", "k1", "k2", "0"});
  Run({"SET", "k1", "s"});
  Run({"RPUSH", "k2", "v"});
  EXPECT_EQ(OnlyReply(a), (Strings{"k2", "v"}));
  Session* b = Blocked({"BLMOVE", "src", "d", "LEFT", "LEFT", "0"});
  Run({"SET", "src", "s"});
  EXPECT_TRUE(NoReply(b));
  Run({"RENAME", "k1", "src"});  // still a string
  EXPECT_TRUE(NoReply(b));
  EXPECT_EQ(blocking().blocked_count(), 1u);
}

TEST_F(BlockingTest, DestinationOfAnotherTypeEndsTheBlockWithWrongtype) {
  Run({"SET", "dst", "s"});
  Session* a = Blocked({"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
  Session* b = Blocked({"BLPOP", "src", "0"});
  Run({"RPUSH", "src", "e"});
  EXPECT_TRUE(ErrorStartsWith(OnlyReply(a), "WRONGTYPE"));
  // The element stays where it was, for the next waiter.
  EXPECT_EQ(OnlyReply(b), (Strings{"src", "e"}));
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

// --- Leaving: disconnects and unblocking ------------------------------------------------------

TEST_F(BlockingTest, DisconnectedClientLeavesNothingBehind) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Session* b = Blocked({"BLPOP", "q", "0.5"});
  Session* c = Blocked({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"});
  Disconnect(a);
  Disconnect(b);
  EXPECT_EQ(blocking().blocked_count(), 1u);
  Run({"RPUSH", "q", "x"});
  EXPECT_EQ(OnlyReply(c), "x");  // the departed ones were skipped
  Disconnect(c);
  EXPECT_EQ(blocking().blocked_count(), 0u);
  // b's deadline passing must not touch the freed session; a later push stays in the list.
  AdvanceTime(1000);
  Run({"RPUSH", "q", "y"});
  EXPECT_EQ(Range("q"), (Strings{"y"}));
}

TEST_F(BlockingTest, DisconnectWhileSeveralKeysAreWatched) {
  Session* a = Blocked({"BLPOP", "k1", "k2", "k3", "0"});
  Session* b = Blocked({"BRPOP", "k3", "0"});
  Disconnect(a);
  Run({"RPUSH", "k3", "z"});
  EXPECT_EQ(OnlyReply(b), (Strings{"k3", "z"}));
  Run({"RPUSH", "k1", "1"});
  Run({"RPUSH", "k2", "2"});
  EXPECT_EQ(Range("k1"), (Strings{"1"}));
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(BlockingTest, UnblockAnswersLikeATimeoutOrAnError) {
  Session* a = Blocked({"BLPOP", "q", "0"});
  Session* b = Blocked({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"});
  Session* c = Blocked({"BLPOP", "q", "0"});
  EXPECT_TRUE(blocking().Unblock(a, /*with_error=*/false));
  EXPECT_EQ(Wire(a), "*-1\r\n");
  EXPECT_TRUE(blocking().Unblock(b, /*with_error=*/true));
  EXPECT_TRUE(ErrorStartsWith(OnlyReply(b), "UNBLOCKED client unblocked via CLIENT UNBLOCK"));
  EXPECT_FALSE(blocking().Unblock(b, false));
  Run({"RPUSH", "q", "x"});
  EXPECT_EQ(OnlyReply(c), (Strings{"q", "x"}));
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(NoReply(b));
}

TEST_F(BlockingTest, UnblockRunsPipelinedCommands) {
  Session* a = NewClient();
  RunRaw(a, "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
  EXPECT_TRUE(blocking().IsBlocked(a));
  blocking().Unblock(a, false);
  std::vector<RespValue> replies = TakeReplies(a);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_TRUE(replies[0].is_null());
  EXPECT_EQ(replies[1], "PONG");
}

}  // namespace
}  // namespace sluice::testing
