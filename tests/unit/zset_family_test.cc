// Sorted set commands against the in-process server, with Redis 7.0's replies as the expected
// answers (the differential cases in tests/diff/cases/zsets.txt compare the same ground with a
// real redis-server). The last part checks the two encodings directly against a simple model.
#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/persistence/aof_format.h"
#include "server/persistence/rewrite.h"
#include "server/types/serialize.h"
#include "server/types/zset.h"
#include "server/util/random.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using Strings = std::vector<std::string>;

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kNotFloat = "ERR value is not a valid float";
constexpr std::string_view kSyntax = "ERR syntax error";
constexpr std::string_view kMinMaxNotFloat = "ERR min or max is not a float";
constexpr std::string_view kMinMaxNotString = "ERR min or max not valid string range item";
constexpr std::string_view kNanScore = "ERR resulting score is not a number (NaN)";
constexpr std::string_view kLimitRank =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
constexpr std::string_view kWithScoresLex =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";

// Exact error text: the fixture's == compares replies with strings only for non-errors.
::testing::AssertionResult IsError(const RespValue& v, std::string_view text) {
  if (v.is_error() && v.str == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected the error '" << text << "', got " << v;
}

class ZSetFamilyTest : public ServerTest {
 protected:
  void SetUp() override { ASSERT_EQ(Run({"SET", "str", "v"}), "OK"); }

  // The exact bytes of the reply, to tell RESP types apart ($-1 from *-1, bulk from double).
  std::string Wire(std::initializer_list<std::string_view> args) {
    Send(client(), args);
    server_->RunPendingWork();
    std::string out = client()->output();
    client()->output().clear();
    return out;
  }
  // The whole set as member, score, member, score...
  Strings All(std::string_view key) {
    return Run({"ZRANGE", key, "0", "-1", "WITHSCORES"}).Strings();
  }
  std::string Encoding(std::string_view key) { return Run({"OBJECT", "ENCODING", key}).str; }
  bool Exists(std::string_view key) { return server_->db(0).Find(key, Now()) != nullptr; }
  void SetConfig(std::string_view name, std::string_view value) {
    ASSERT_EQ(Run({"CONFIG", "SET", name, value}), "OK");
  }
  // Fills key with members m0..m<n-1> scored 0..n-1.
  void Fill(std::string_view key, int n, const std::string& prefix = "m") {
    std::vector<std::string> args{"ZADD", std::string(key)};
    for (int i = 0; i < n; ++i) {
      args.push_back(std::to_string(i));
      args.push_back(prefix + std::to_string(i));
    }
    Run(client(), args);
  }
  // Whether a WATCH on `key` survives `command` run by another client.
  bool WatchSurvives(std::string_view key, std::initializer_list<std::string_view> command) {
    Session* other = NewClient();
    EXPECT_EQ(Run({"WATCH", key}), "OK");
    Run(other, command);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    return !Run({"EXEC"}).is_null();
  }
  BlockingManager& blocking() { return server_->blocking(); }
  // A new client that sends `command` and must be left waiting.
  Session* Blocked(std::initializer_list<std::string_view> command) {
    Session* s = NewClient();
    Send(s, command);
    EXPECT_TRUE(TakeReplies(s).empty()) << "the command did not block";
    EXPECT_TRUE(blocking().IsBlocked(s));
    return s;
  }
  RespValue OnlyReply(Session* s) {
    std::vector<RespValue> replies = TakeReplies(s);
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? RespValue{} : replies[0];
  }
  bool NoReply(Session* s) { return TakeReplies(s).empty(); }
};

// --- ZADD -------------------------------------------------------------------------------------

TEST_F(ZSetFamilyTest, AddCountsNewMembersAndKeepsOrder) {
  EXPECT_EQ(Run({"ZADD", "z", "2", "b", "1", "a", "3", "c"}), 3);
  EXPECT_EQ(Run({"ZADD", "z", "5", "a", "4", "d"}), 1);  // a updated, d added
  EXPECT_EQ(All("z"), (Strings{"b", "2", "c", "3", "d", "4", "a", "5"}));
  // Equal scores order by member bytes.
  EXPECT_EQ(Run({"ZADD", "t", "1", "b", "1", "a", "1", "B", "1", "ab"}), 4);
  EXPECT_EQ(Run({"ZRANGE", "t", "0", "-1"}), (Strings{"B", "a", "ab", "b"}));
  // A member given twice counts once and keeps its last score.
  EXPECT_EQ(Run({"ZADD", "u", "1", "x", "2", "x"}), 1);
  EXPECT_EQ(Run({"ZSCORE", "u", "x"}), "2");
}

TEST_F(ZSetFamilyTest, AddOptionErrorsInRedisOrder) {
  EXPECT_TRUE(ErrorStartsWith(Run({"ZADD", "z", "1"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "1", "a", "2"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "CH", "NX"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "foo", "1", "a"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "NX", "XX", "1", "a"}),
                      "ERR XX and NX options at the same time are not compatible"));
  // The pair count is checked before the flag conflicts.
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "NX", "XX", "1", "a", "2"}), kSyntax));
  for (auto flags : {std::pair{"NX", "GT"}, std::pair{"NX", "LT"}, std::pair{"GT", "LT"}}) {
    EXPECT_TRUE(IsError(Run({"ZADD", "z", flags.first, flags.second, "1", "a"}),
                        "ERR GT, LT, and/or NX options at the same time are not compatible"));
  }
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
                      "ERR INCR option supports a single increment-element pair"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "1", "a", "x", "b"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "nan", "a"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "1e400", "a"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", " 1", "a"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "1 ", "a"}), kNotFloat));
  // A bad score is reported before the key's type.
  EXPECT_TRUE(IsError(Run({"ZADD", "str", "x", "a"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZADD", "str", "1", "a"}), kWrongType));
  EXPECT_FALSE(Exists("z"));
}

TEST_F(ZSetFamilyTest, AddAcceptsStrtodScores) {
  EXPECT_EQ(Run({"ZADD", "z", "0x10", "hex", "1e3", "exp", "-inf", "lo", "+inf", "hi"}), 4);
  EXPECT_EQ(All("z"), (Strings{"lo", "-inf", "hex", "16", "exp", "1000", "hi", "inf"}));
  EXPECT_EQ(Run({"ZADD", "z", "0.1", "tenth"}), 1);
  EXPECT_EQ(Run({"ZSCORE", "z", "tenth"}), "0.10000000000000001");
}

TEST_F(ZSetFamilyTest, AddConditionsNxXxGtLtCh) {
  Run({"ZADD", "z", "10", "a"});
  EXPECT_EQ(Run({"ZADD", "z", "NX", "20", "a", "1", "b"}), 1);
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), "10");
  EXPECT_EQ(Run({"ZADD", "z", "XX", "20", "a", "1", "c"}), 0);
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), "20");
  EXPECT_TRUE(Run({"ZSCORE", "z", "c"}).is_null());
  // GT and LT only restrict updates: new members are still added.
  EXPECT_EQ(Run({"ZADD", "z", "GT", "CH", "5", "a", "7", "d"}), 1);
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), "20");
  EXPECT_EQ(Run({"ZADD", "z", "GT", "CH", "30", "a"}), 1);
  EXPECT_EQ(Run({"ZADD", "z", "LT", "CH", "40", "a", "0", "b"}), 1);
  EXPECT_EQ(All("z"), (Strings{"b", "0", "d", "7", "a", "30"}));
  // CH counts updates as well as additions, but not members given their own score.
  EXPECT_EQ(Run({"ZADD", "z", "CH", "30", "a", "8", "d", "9", "e"}), 2);
  EXPECT_EQ(Run({"ZADD", "z", "XX", "CH", "GT", "31", "a", "1", "new"}), 1);
}

TEST_F(ZSetFamilyTest, AddXxOnAMissingKeyCreatesNothing) {
  EXPECT_EQ(Run({"ZADD", "z", "XX", "1", "a"}), 0);
  EXPECT_TRUE(Run({"ZADD", "z", "XX", "INCR", "1", "a"}).is_null());
  EXPECT_FALSE(Exists("z"));
}

TEST_F(ZSetFamilyTest, AddIncrRepliesTheNewScoreOrNil) {
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "1.5", "a"}), "1.5");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "2", "a"}), "3.5");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "0", "a"}), "3.5");  // unchanged but processed
  EXPECT_EQ(Wire({"ZADD", "z", "NX", "INCR", "1", "a"}), "$-1\r\n");
  EXPECT_EQ(Wire({"ZADD", "z", "GT", "INCR", "-1", "a"}), "$-1\r\n");
  EXPECT_EQ(Wire({"ZADD", "z", "GT", "INCR", "0", "a"}), "$-1\r\n");
  EXPECT_EQ(Wire({"ZADD", "z", "LT", "INCR", "0", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "LT", "INCR", "-0.5", "a"}), "3");
  EXPECT_EQ(Wire({"ZADD", "z", "XX", "INCR", "1", "nope"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "inf", "i"}), 1);
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "INCR", "-inf", "i"}), kNanScore));
  EXPECT_EQ(Run({"ZSCORE", "z", "i"}), "inf");
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Wire({"ZADD", "z", "INCR", "1", "a"}), ",4\r\n");
  EXPECT_EQ(Wire({"ZADD", "z", "NX", "INCR", "1", "a"}), "_\r\n");
}

TEST_F(ZSetFamilyTest, NegativeZeroIsKeptOnlyBySkipLists) {
  // Redis's listpack stores -0 as 0; its skip list keeps the sign.
  Run({"ZADD", "packed", "-0", "a"});
  EXPECT_EQ(Run({"ZSCORE", "packed", "a"}), "0");
  // The reply is the computed score, before it is stored.
  EXPECT_EQ(Run({"ZADD", "packed", "INCR", "-0", "b"}), "-0");
  EXPECT_EQ(Run({"ZSCORE", "packed", "b"}), "0");
  SetConfig("zset-max-listpack-entries", "0");
  Run({"ZADD", "list", "-0", "a", "0", "b"});
  ASSERT_EQ(Encoding("list"), "skiplist");
  EXPECT_EQ(All("list"), (Strings{"a", "-0", "b", "0"}));
  // 0 and -0 are the same score: not an update.
  EXPECT_EQ(Run({"ZADD", "list", "CH", "0", "a", "-0", "b"}), 0);
  EXPECT_EQ(Run({"ZSCORE", "list", "a"}), "-0");
}

// --- ZINCRBY ----------------------------------------------------------------------------------

TEST_F(ZSetFamilyTest, IncrByCreatesAndAccumulates) {
  EXPECT_EQ(Run({"ZINCRBY", "z", "2", "a"}), "2");
  EXPECT_EQ(Run({"ZINCRBY", "z", "-0.5", "a"}), "1.5");
  EXPECT_EQ(Run({"ZINCRBY", "z", "1e308", "b"}), "1e+308");
  EXPECT_EQ(Run({"ZINCRBY", "z", "1e308", "b"}), "inf");  // overflow gives inf, no error
  EXPECT_TRUE(IsError(Run({"ZINCRBY", "z", "-inf", "b"}), kNanScore));
  EXPECT_TRUE(IsError(Run({"ZINCRBY", "z", "x", "a"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZINCRBY", "str", "x", "a"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"ZINCRBY", "str", "1", "a"}), kWrongType));
  EXPECT_EQ(All("z"), (Strings{"a", "1.5", "b", "inf"}));
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Wire({"ZINCRBY", "z", "1", "a"}), ",2.5\r\n");
}

// --- ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK ------------------------------------------------------

TEST_F(ZSetFamilyTest, RemDeletesMembersAndTheEmptyKey) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"ZREM", "z", "a", "nope", "a"}), 1);
  EXPECT_EQ(Run({"ZCARD", "z"}), 2);
  EXPECT_EQ(Run({"ZREM", "z", "b", "c"}), 2);
  EXPECT_FALSE(Exists("z"));
  EXPECT_EQ(Run({"ZREM", "z", "a"}), 0);
  EXPECT_EQ(Run({"ZCARD", "z"}), 0);
  EXPECT_TRUE(IsError(Run({"ZREM", "str", "a"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZCARD", "str"}), kWrongType));
}

TEST_F(ZSetFamilyTest, ScoreAndMScore) {
  Run({"ZADD", "z", "1", "a", "2.5", "b"});
  EXPECT_EQ(Run({"ZSCORE", "z", "b"}), "2.5");
  EXPECT_EQ(Wire({"ZSCORE", "z", "nope"}), "$-1\r\n");
  EXPECT_EQ(Wire({"ZSCORE", "missing", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZMSCORE", "z", "a", "nope", "b"}), (Strings{"1", "(nil)", "2.5"}));
  EXPECT_EQ(Run({"ZMSCORE", "missing", "a", "b"}), (Strings{"(nil)", "(nil)"}));
  EXPECT_TRUE(IsError(Run({"ZSCORE", "str", "a"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZMSCORE", "str", "a"}), kWrongType));
  EXPECT_TRUE(ErrorStartsWith(Run({"ZMSCORE", "z"}), "ERR wrong number of arguments"));
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Wire({"ZSCORE", "z", "b"}), ",2.5\r\n");
  EXPECT_EQ(Wire({"ZMSCORE", "z", "a", "nope"}), "*2\r\n,1\r\n_\r\n");
}

TEST_F(ZSetFamilyTest, RankFromEitherEnd) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  EXPECT_EQ(Run({"ZRANK", "z", "a"}), 0);
  EXPECT_EQ(Run({"ZRANK", "z", "c"}), 2);
  EXPECT_EQ(Run({"ZREVRANK", "z", "c"}), 1);
  EXPECT_EQ(Run({"ZREVRANK", "z", "d"}), 0);
  EXPECT_EQ(Wire({"ZRANK", "z", "nope"}), "$-1\r\n");
  EXPECT_EQ(Wire({"ZREVRANK", "missing", "a"}), "$-1\r\n");
  EXPECT_TRUE(IsError(Run({"ZRANK", "str", "a"}), kWrongType));
  EXPECT_TRUE(ErrorStartsWith(Run({"ZRANK", "z", "a", "WITHSCORE"}), "ERR wrong number"));
}

TEST_F(ZSetFamilyTest, CountAndLexCount) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "inf", "e"});
  EXPECT_EQ(Run({"ZCOUNT", "z", "2", "3"}), 2);
  EXPECT_EQ(Run({"ZCOUNT", "z", "(2", "3"}), 1);
  EXPECT_EQ(Run({"ZCOUNT", "z", "(2", "(3"}), 0);
  EXPECT_EQ(Run({"ZCOUNT", "z", "-inf", "+inf"}), 5);
  EXPECT_EQ(Run({"ZCOUNT", "z", "+inf", "+inf"}), 1);
  EXPECT_EQ(Run({"ZCOUNT", "z", "(inf", "+inf"}), 0);
  EXPECT_EQ(Run({"ZCOUNT", "z", "3", "2"}), 0);
  EXPECT_EQ(Run({"ZCOUNT", "z", "", "(2"}), 1);  // strtod reads "" as 0
  EXPECT_EQ(Run({"ZCOUNT", "missing", "0", "1"}), 0);
  EXPECT_TRUE(IsError(Run({"ZCOUNT", "z", "x", "1"}), kMinMaxNotFloat));
  EXPECT_TRUE(IsError(Run({"ZCOUNT", "z", "((1", "1"}), kMinMaxNotFloat));
  EXPECT_TRUE(IsError(Run({"ZCOUNT", "z", "nan", "1"}), kMinMaxNotFloat));
  EXPECT_TRUE(IsError(Run({"ZCOUNT", "str", "x", "1"}), kMinMaxNotFloat));
  EXPECT_TRUE(IsError(Run({"ZCOUNT", "str", "0", "1"}), kWrongType));
  Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "-", "+"}), 4);
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "[b", "(d"}), 2);
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "(b", "[d"}), 2);
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "+", "-"}), 0);
  EXPECT_EQ(Run({"ZLEXCOUNT", "missing", "-", "+"}), 0);
  for (auto bad : {"b", "", "+x", "-x"}) {
    EXPECT_TRUE(IsError(Run({"ZLEXCOUNT", "lex", bad, "+"}), kMinMaxNotString)) << bad;
  }
  EXPECT_TRUE(IsError(Run({"ZLEXCOUNT", "str", "-", "+"}), kWrongType));
}

// --- ZRANGE and its older forms ---------------------------------------------------------------

class ZRangeTest : public ZSetFamilyTest {
 protected:
  void SetUp() override {
    ZSetFamilyTest::SetUp();
    Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  }
};

TEST_F(ZRangeTest, ByRank) {
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1"}), (Strings{"a", "b"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "-2", "-1"}), (Strings{"d", "e"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "-100", "100"}), (Strings{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "3", "1"}), Strings{});
  EXPECT_EQ(Run({"ZRANGE", "z", "5", "10"}), Strings{});
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "REV", "WITHSCORES"}), (Strings{"e", "5", "d", "4"}));
  EXPECT_EQ(Run({"ZREVRANGE", "z", "1", "2"}), (Strings{"d", "c"}));
  EXPECT_EQ(Run({"ZREVRANGE", "z", "-1", "-1", "WITHSCORES"}), (Strings{"a", "1"}));
  // LIMIT with the default count is let through and ignored.
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "LIMIT", "3", "-1"}), (Strings{"a", "b"}));
  EXPECT_EQ(Run({"ZRANGE", "missing", "0", "-1"}), Strings{});
}

TEST_F(ZRangeTest, ByScore) {
  EXPECT_EQ(Run({"ZRANGE", "z", "(1", "3", "BYSCORE"}), (Strings{"b", "c"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"}),
            (Strings{"b", "2", "c", "3"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "5", "(1", "BYSCORE", "REV"}), (Strings{"e", "d", "c", "b"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "5", "1", "BYSCORE", "REV", "LIMIT", "1", "2"}),
            (Strings{"d", "c"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "1", "-1"}), (Strings{"c", "d"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"}), Strings{});
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "0"}), Strings{});
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "10", "1"}), Strings{});
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "(", "2"}), (Strings{"a", "b"}));  // "(" is (0
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "3", "2"}), Strings{});
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "z", "+inf", "(3", "WITHSCORES"}),
            (Strings{"e", "5", "d", "4"}));
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "z", "1", "5"}), Strings{});
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "z", "5", "-inf", "LIMIT", "4", "10"}), (Strings{"a"}));
}

TEST_F(ZRangeTest, ByLex) {
  Run({"ZADD", "lex", "0", "alpha", "0", "beta", "0", "delta", "0", "gamma"});
  EXPECT_EQ(Run({"ZRANGE", "lex", "[b", "(g", "BYLEX"}), (Strings{"beta", "delta"}));
  EXPECT_EQ(Run({"ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"}),
            (Strings{"delta", "beta"}));
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "0", "2"}), (Strings{"alpha", "beta"}));
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lex", "(alpha", "[delta"}), (Strings{"beta", "delta"}));
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lex", "+", "-"}), Strings{});
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lex", "[", "("}), Strings{});
  EXPECT_EQ(Run({"ZREVRANGEBYLEX", "lex", "[delta", "[beta"}), (Strings{"delta", "beta"}));
  EXPECT_EQ(Run({"ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "10", "1"}), Strings{});
}

TEST_F(ZRangeTest, OptionErrors) {
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"}), kLimitRank));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "LIMIT", "0", "-5"}), kLimitRank));
  EXPECT_TRUE(IsError(Run({"ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"}), kLimitRank));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}), kWithScoresLex));
  EXPECT_TRUE(IsError(Run({"ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"}), kWithScoresLex));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "LIMIT", "0"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "foo"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "REV", "REV"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGEBYSCORE", "z", "0", "1", "REV"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZREVRANGE", "z", "0", "1", "BYSCORE"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "x", "1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "x", "1", "BYSCORE"}), kMinMaxNotFloat));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "x", "1", "BYLEX"}), kMinMaxNotString));
  EXPECT_TRUE(IsError(Run({"ZRANGEBYSCORE", "z", "1 ", "2"}), kMinMaxNotFloat));
  // Option and range errors come before the key's type.
  EXPECT_TRUE(IsError(Run({"ZRANGE", "str", "x", "1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "missing", "0", "-1", "LIMIT", "0", "1"}), kLimitRank));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "str", "0", "-1"}), kWrongType));
}

TEST_F(ZRangeTest, WithScoresShapesPerProtocol) {
  EXPECT_EQ(Wire({"ZRANGE", "z", "0", "0", "WITHSCORES"}), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Wire({"ZRANGE", "z", "0", "1", "WITHSCORES"}),
            "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
  EXPECT_EQ(Wire({"ZRANGEBYSCORE", "z", "5", "5", "WITHSCORES"}), "*1\r\n*2\r\n$1\r\ne\r\n,5\r\n");
  EXPECT_EQ(Wire({"ZRANGE", "z", "0", "0"}), "*1\r\n$1\r\na\r\n");
}

TEST_F(ZRangeTest, RangeStore) {
  EXPECT_EQ(Run({"ZRANGESTORE", "d", "z", "0", "1", "REV"}), 2);
  EXPECT_EQ(All("d"), (Strings{"d", "4", "e", "5"}));
  EXPECT_EQ(Run({"ZRANGESTORE", "d", "z", "(1", "3", "BYSCORE", "LIMIT", "0", "1"}), 1);
  EXPECT_EQ(All("d"), (Strings{"b", "2"}));
  EXPECT_EQ(Run({"ZRANGESTORE", "str", "z", "[a", "[b", "BYLEX"}), 2);  // replaces any type
  EXPECT_EQ(Run({"TYPE", "str"}), "zset");
  // An empty result deletes the destination.
  EXPECT_EQ(Run({"ZRANGESTORE", "d", "z", "10", "20"}), 0);
  EXPECT_FALSE(Exists("d"));
  EXPECT_EQ(Run({"ZRANGESTORE", "str", "missing", "0", "-1"}), 0);
  EXPECT_FALSE(Exists("str"));
  // Source and destination may be the same key.
  EXPECT_EQ(Run({"ZRANGESTORE", "z", "z", "0", "1"}), 2);
  EXPECT_EQ(All("z"), (Strings{"a", "1", "b", "2"}));
  EXPECT_TRUE(IsError(Run({"ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANGESTORE", "d", "z", "0", "-1", "LIMIT", "0", "1"}), kLimitRank));
  Run({"SET", "s", "v"});
  EXPECT_TRUE(IsError(Run({"ZRANGESTORE", "d", "s", "0", "-1"}), kWrongType));
}

// --- Range removal ----------------------------------------------------------------------------

TEST_F(ZRangeTest, RemoveRanges) {
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "0", "1"}), 2);
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "5", "10"}), 0);
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "-1", "-1"}), 1);
  EXPECT_EQ(All("z"), (Strings{"c", "3", "d", "4"}));
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "z", "(3", "+inf"}), 1);
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "z", "3", "3"}), 1);
  EXPECT_FALSE(Exists("z"));
  Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "lex", "[a", "(c"}), 2);
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "lex", "(z", "+"}), 0);
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "lex", "-", "+"}), 2);
  EXPECT_FALSE(Exists("lex"));
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "missing", "0", "-1"}), 0);
  EXPECT_TRUE(IsError(Run({"ZREMRANGEBYRANK", "str", "x", "1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZREMRANGEBYSCORE", "str", "x", "1"}), kMinMaxNotFloat));
  EXPECT_TRUE(IsError(Run({"ZREMRANGEBYLEX", "str", "x", "+"}), kMinMaxNotString));
  EXPECT_TRUE(IsError(Run({"ZREMRANGEBYRANK", "str", "0", "1"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZREMRANGEBYSCORE", "str", "0", "1"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZREMRANGEBYLEX", "str", "-", "+"}), kWrongType));
}

// --- Pops -------------------------------------------------------------------------------------

TEST_F(ZRangeTest, PopMinAndMax) {
  EXPECT_EQ(Run({"ZPOPMIN", "z"}), (Strings{"a", "1"}));
  EXPECT_EQ(Run({"ZPOPMAX", "z", "2"}), (Strings{"e", "5", "d", "4"}));
  EXPECT_EQ(Run({"ZPOPMIN", "z", "0"}), Strings{});
  EXPECT_EQ(Run({"ZPOPMIN", "z", "10"}), (Strings{"b", "2", "c", "3"}));
  EXPECT_FALSE(Exists("z"));
  EXPECT_EQ(Wire({"ZPOPMIN", "z"}), "*0\r\n");
  EXPECT_EQ(Wire({"ZPOPMAX", "z", "3"}), "*0\r\n");
  EXPECT_TRUE(IsError(Run({"ZPOPMIN", "z", "-1"}), "ERR value is out of range, must be positive"));
  EXPECT_TRUE(IsError(Run({"ZPOPMIN", "str", "x"}), "ERR value is out of range, must be positive"));
  EXPECT_TRUE(IsError(Run({"ZPOPMIN", "z", "1", "2"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZPOPMAX", "str"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZPOPMAX", "str", "0"}), kWrongType));
}

TEST_F(ZRangeTest, PopShapesPerProtocol) {
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  // Without a count the pair is flat; with one, each entry is a pair.
  EXPECT_EQ(Wire({"ZPOPMIN", "z"}), "*2\r\n$1\r\na\r\n,1\r\n");
  EXPECT_EQ(Wire({"ZPOPMIN", "z", "1"}), "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
  EXPECT_EQ(Wire({"ZMPOP", "1", "z", "MAX"}), "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\ne\r\n,5\r\n");
  EXPECT_EQ(Wire({"BZPOPMAX", "z", "0"}), "*3\r\n$1\r\nz\r\n$1\r\nd\r\n,4\r\n");
  EXPECT_EQ(Wire({"ZMPOP", "1", "missing", "MIN"}), "_\r\n");
}

TEST_F(ZRangeTest, MPopTakesFromTheFirstNonEmptySet) {
  EXPECT_EQ(Wire({"ZMPOP", "2", "missing", "z", "MAX", "COUNT", "2"}),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\ne\r\n$1\r\n5\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n");
  EXPECT_EQ(Wire({"ZMPOP", "1", "z", "MIN"}),
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(Wire({"ZMPOP", "1", "z", "min", "count", "10"}),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
  EXPECT_FALSE(Exists("z"));
  EXPECT_EQ(Wire({"ZMPOP", "1", "z", "MIN"}), "*-1\r\n");
}

TEST_F(ZRangeTest, MPopErrors) {
  const std::string_view kNumkeys = "ERR numkeys should be greater than 0";
  const std::string_view kCount = "ERR count should be greater than 0";
  EXPECT_TRUE(IsError(Run({"ZMPOP", "0", "z", "MIN"}), kNumkeys));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "x", "z", "MIN"}), kNumkeys));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "2", "z", "MIN"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "5", "z", "MIN"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "UP"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT", "0"}), kCount));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT", "x"}), kCount));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "2", "missing", "str", "MIN"}), kWrongType));
  // A wrong type after a servable key is never looked at.
  EXPECT_EQ(Run({"ZMPOP", "2", "z", "str", "MIN"})[0], "z");
}

// --- Blocking pops ----------------------------------------------------------------------------

TEST_F(ZRangeTest, BlockingPopsServeAtOnceWhenDataIsThere) {
  EXPECT_EQ(Run({"BZPOPMIN", "missing", "z", "0"}), (Strings{"z", "a", "1"}));
  EXPECT_EQ(Run({"BZPOPMAX", "missing", "z", "0"}), (Strings{"z", "e", "5"}));
  RespValue r = Run({"BZMPOP", "0", "2", "missing", "z", "MAX", "COUNT", "2"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "z");
  ASSERT_EQ(r[1].size(), 2u);
  EXPECT_EQ(r[1][0], (Strings{"d", "4"}));
  EXPECT_EQ(r[1][1], (Strings{"c", "3"}));
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(ZRangeTest, BlockingPopsInsideMultiAnswerANilArray) {
  Run({"MULTI"});
  EXPECT_EQ(Run({"BZPOPMIN", "q", "0"}), "QUEUED");
  EXPECT_EQ(Run({"BZPOPMAX", "q", "0"}), "QUEUED");
  EXPECT_EQ(Run({"BZMPOP", "0", "1", "q", "MIN"}), "QUEUED");
  EXPECT_EQ(Run({"BZPOPMIN", "z", "0"}), "QUEUED");
  RespValue r = Run({"EXEC"});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[3], (Strings{"z", "a", "1"}));
  Run({"MULTI"});
  Run({"BZPOPMIN", "q", "0"});
  EXPECT_EQ(Wire({"EXEC"}), "*1\r\n*-1\r\n");
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(ZRangeTest, BlockingArgumentErrors) {
  const std::string_view kTimeout = "ERR timeout is not a float or out of range";
  EXPECT_TRUE(IsError(Run({"BZPOPMIN", "q", "x"}), kTimeout));
  EXPECT_TRUE(IsError(Run({"BZPOPMAX", "q", "-1"}), "ERR timeout is negative"));
  EXPECT_TRUE(IsError(Run({"BZMPOP", "x", "1", "q", "MIN"}), kTimeout));
  EXPECT_TRUE(
      IsError(Run({"BZMPOP", "-1", "1", "q", "MIN", "COUNT", "1"}), "ERR timeout is negative"));
  // BZMPOP reads its keys and options before its timeout.
  EXPECT_TRUE(
      IsError(Run({"BZMPOP", "x", "0", "q", "MIN"}), "ERR numkeys should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"BZMPOP", "x", "1", "q", "MIN", "COUNT", "0"}),
                      "ERR count should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"BZMPOP", "x", "1", "q", "UP"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"BZPOPMIN", "str", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"BZPOPMIN", "missing", "str", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"BZMPOP", "0", "1", "str", "MIN"}), kWrongType));
  EXPECT_TRUE(ErrorStartsWith(Run({"BZPOPMIN", "q"}), "ERR wrong number of arguments"));
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(ZSetFamilyTest, BlockedClientsAreServedInArrivalOrder) {
  Session* a = Blocked({"BZPOPMIN", "q", "0"});
  Session* b = Blocked({"BZPOPMAX", "q", "0"});
  Session* c = Blocked({"BZMPOP", "0", "1", "q", "MIN", "COUNT", "5"});
  EXPECT_EQ(blocking().blocked_count(), 3u);
  // The writer's reply comes first; the waiters are served right after its command.
  EXPECT_EQ(Run({"ZADD", "q", "1", "x", "2", "y", "3", "z", "4", "w"}), 4);
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "x", "1"}));
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "w", "4"}));
  RespValue r = OnlyReply(c);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "q");
  ASSERT_EQ(r[1].size(), 2u);
  EXPECT_EQ(r[1][0], (Strings{"y", "2"}));
  EXPECT_EQ(r[1][1], (Strings{"z", "3"}));
  EXPECT_FALSE(Exists("q"));
  EXPECT_EQ(blocking().blocked_count(), 0u);
}

TEST_F(ZSetFamilyTest, OneAdditionServesOneClientAtATime) {
  Session* a = Blocked({"BZPOPMIN", "q", "0"});
  Session* b = Blocked({"BZPOPMIN", "q", "0"});
  Run({"ZADD", "q", "1", "x"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "x", "1"}));
  EXPECT_TRUE(NoReply(b));
  EXPECT_TRUE(blocking().IsBlocked(b));
  Run({"ZINCRBY", "q", "7", "y"});
  EXPECT_EQ(OnlyReply(b), (Strings{"q", "y", "7"}));
}

TEST_F(ZSetFamilyTest, BlockedClientIsServedFromTheKeyThatWasWritten) {
  Session* a = Blocked({"BZPOPMIN", "k1", "k2", "0"});
  Run({"ZADD", "k2", "5", "m"});
  EXPECT_EQ(OnlyReply(a), (Strings{"k2", "m", "5"}));
  // A transaction filling both keys: the waiter is served from the key that became ready first,
  // not from the first key it named.
  Session* b = Blocked({"BZPOPMAX", "k1", "k2", "0"});
  Run({"MULTI"});
  Run({"ZADD", "k2", "1", "two"});
  Run({"ZADD", "k1", "1", "one"});
  Run({"EXEC"});
  EXPECT_EQ(OnlyReply(b), (Strings{"k2", "two", "1"}));
  EXPECT_EQ(Run({"ZCARD", "k1"}), 1);
}

TEST_F(ZSetFamilyTest, BlockingTimeoutsFollowTheFakeClock) {
  Session* a = Blocked({"BZPOPMIN", "q", "0.5"});
  Session* b = Blocked({"BZMPOP", "1.5", "1", "q", "MAX"});
  AdvanceTime(499);
  EXPECT_TRUE(NoReply(a));
  AdvanceTime(1);
  EXPECT_EQ(OnlyReply(a).type, RespValue::Type::kNull);
  EXPECT_TRUE(NoReply(b));
  AdvanceTime(1000);
  EXPECT_EQ(OnlyReply(b).type, RespValue::Type::kNull);
  EXPECT_EQ(blocking().blocked_count(), 0u);
  // A data arrival before the deadline wins.
  Session* c = Blocked({"BZPOPMAX", "q", "10"});
  AdvanceTime(5000);
  Run({"ZADD", "q", "3", "m"});
  EXPECT_EQ(OnlyReply(c), (Strings{"q", "m", "3"}));
  AdvanceTime(10000);
  EXPECT_TRUE(NoReply(c));
}

TEST_F(ZSetFamilyTest, BlockedClientWaitsOnWhenTheKeyTakesAnotherType) {
  Session* a = Blocked({"BZPOPMIN", "q", "0"});
  Run({"SET", "q", "string"});
  EXPECT_TRUE(NoReply(a));
  EXPECT_TRUE(blocking().IsBlocked(a));
  Run({"DEL", "q"});
  Run({"ZADD", "q", "1", "m"});
  EXPECT_EQ(OnlyReply(a), (Strings{"q", "m", "1"}));
}

TEST_F(ZSetFamilyTest, StoreCommandsWakeBlockedClients) {
  Run({"ZADD", "src", "1", "a", "2", "b"});
  Session* a = Blocked({"BZPOPMAX", "dst", "0"});
  EXPECT_EQ(Run({"ZUNIONSTORE", "dst", "1", "src"}), 2);
  EXPECT_EQ(OnlyReply(a), (Strings{"dst", "b", "2"}));
  Session* b = Blocked({"BZPOPMIN", "other", "0"});
  EXPECT_EQ(Run({"ZRANGESTORE", "other", "src", "0", "0"}), 1);
  EXPECT_EQ(OnlyReply(b), (Strings{"other", "a", "1"}));
}

TEST_F(ZSetFamilyTest, Resp3BlockedReplyCarriesADouble) {
  Session* a = NewClient();
  Run(a, {"HELLO", "3"});
  Send(a, {"BZPOPMIN", "q", "0"});
  EXPECT_TRUE(NoReply(a));
  Run({"ZADD", "q", "1.5", "m"});
  server_->RunPendingWork();
  EXPECT_EQ(a->output(), "*3\r\n$1\r\nq\r\n$1\r\nm\r\n,1.5\r\n");
}

// --- ZRANDMEMBER ------------------------------------------------------------------------------

TEST_F(ZRangeTest, RandMember) {
  std::set<std::string> members{"a", "b", "c", "d", "e"};
  EXPECT_TRUE(members.count(Run({"ZRANDMEMBER", "z"}).str));
  EXPECT_EQ(Wire({"ZRANDMEMBER", "missing"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZRANDMEMBER", "missing", "3"}), Strings{});
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "0"}), Strings{});
  // A count covering the set gives all of it, highest score first.
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "5"}), (Strings{"e", "d", "c", "b", "a"}));
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "9", "WITHSCORES"}),
            (Strings{"e", "5", "d", "4", "c", "3", "b", "2", "a", "1"}));
  for (int round = 0; round < 20; ++round) {
    Strings picked = Run({"ZRANDMEMBER", "z", "3"}).Strings();
    ASSERT_EQ(picked.size(), 3u);
    EXPECT_EQ(std::set<std::string>(picked.begin(), picked.end()).size(), 3u) << "distinct";
    for (const std::string& m : picked) EXPECT_TRUE(members.count(m));
    Strings repeated = Run({"ZRANDMEMBER", "z", "-20", "WITHSCORES"}).Strings();
    ASSERT_EQ(repeated.size(), 40u);
    for (size_t i = 0; i < repeated.size(); i += 2) {
      EXPECT_EQ(Run({"ZSCORE", "z", repeated[i]}).str, repeated[i + 1]);
    }
  }
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "z", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "z", "1", "2"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "z", "1", "WITHSCORES", "x"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "z", "-9223372036854775808"}),
                      "ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"));
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"}),
                      "ERR value is out of range"));
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "str", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZRANDMEMBER", "str", "0"}), kWrongType));
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Wire({"ZRANDMEMBER", "z", "-1", "WITHSCORES"}).substr(0, 6), "*1\r\n*2");
}

TEST_F(ZSetFamilyTest, RandMemberOnASkipListReachesEveryMember) {
  ServerRandom().Seed(3);  // a fixed draw, so the test cannot flake
  Fill("big", 300);
  ASSERT_EQ(Encoding("big"), "skiplist");
  std::set<std::string> seen;
  for (int round = 0; round < 100 && seen.size() < 300; ++round) {
    for (const std::string& m : Run({"ZRANDMEMBER", "big", "-100"}).Strings()) seen.insert(m);
  }
  EXPECT_EQ(seen.size(), 300u);
  Strings some = Run({"ZRANDMEMBER", "big", "250"}).Strings();
  EXPECT_EQ(std::set<std::string>(some.begin(), some.end()).size(), 250u);
}

// --- Set algebra ------------------------------------------------------------------------------

class ZSetAlgebraTest : public ZSetFamilyTest {
 protected:
  void SetUp() override {
    ZSetFamilyTest::SetUp();
    Run({"ZADD", "z1", "1", "a", "2", "b", "3", "c"});
    Run({"ZADD", "z2", "10", "b", "20", "c", "30", "d"});
    Run({"SADD", "s1", "a", "d", "x"});
    Run({"SADD", "ints", "1", "2", "3"});
  }
};

TEST_F(ZSetAlgebraTest, UnionInterDiff) {
  EXPECT_EQ(Run({"ZUNION", "2", "z1", "z2", "WITHSCORES"}),
            (Strings{"a", "1", "b", "12", "c", "23", "d", "30"}));
  EXPECT_EQ(Run({"ZINTER", "2", "z1", "z2", "WITHSCORES"}), (Strings{"b", "12", "c", "23"}));
  EXPECT_EQ(Run({"ZDIFF", "2", "z1", "z2", "WITHSCORES"}), (Strings{"a", "1"}));
  EXPECT_EQ(Run({"ZUNION", "2", "z1", "z2"}), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "WITHSCORES"}),
            (Strings{"a", "2", "b", "9", "d", "15", "c", "16"}));
  EXPECT_EQ(Run({"ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"}),
            (Strings{"a", "1", "b", "2", "c", "3", "d", "30"}));
  EXPECT_EQ(
      Run({"ZINTER", "2", "z1", "z2", "AGGREGATE", "max", "WEIGHTS", "1", "-1", "WITHSCORES"}),
      (Strings{"b", "2", "c", "3"}));
  // Later WEIGHTS and AGGREGATE replace earlier ones.
  EXPECT_EQ(
      Run({"ZUNION", "2", "z1", "z1", "WEIGHTS", "1", "2", "WEIGHTS", "3", "4", "WITHSCORES"}),
      (Strings{"a", "7", "b", "14", "c", "21"}));
  EXPECT_EQ(Run({"ZUNION", "2", "missing", "other"}), Strings{});
  EXPECT_EQ(Run({"ZINTER", "2", "z1", "missing"}), Strings{});
  EXPECT_EQ(Run({"ZDIFF", "1", "missing"}), Strings{});
}

TEST_F(ZSetAlgebraTest, PlainSetsScoreOne) {
  EXPECT_EQ(Run({"ZUNION", "2", "z1", "s1", "WITHSCORES"}),
            (Strings{"d", "1", "x", "1", "a", "2", "b", "2", "c", "3"}));
  EXPECT_EQ(Run({"ZINTER", "2", "z1", "s1", "WITHSCORES"}), (Strings{"a", "2"}));
  EXPECT_EQ(Run({"ZDIFF", "2", "s1", "z1", "WITHSCORES"}), (Strings{"d", "1", "x", "1"}));
  EXPECT_EQ(Run({"ZUNION", "3", "ints", "ints", "ints", "WEIGHTS", "1", "2", "3", "WITHSCORES"}),
            (Strings{"1", "6", "2", "6", "3", "6"}));
  EXPECT_EQ(Run({"ZINTER", "2", "ints", "z1"}), Strings{});
  EXPECT_EQ(Run({"ZUNIONSTORE", "d", "1", "ints"}), 3);
  EXPECT_EQ(All("d"), (Strings{"1", "1", "2", "1", "3", "1"}));
}

TEST_F(ZSetAlgebraTest, InfinitiesNeverMakeNaN) {
  Run({"ZADD", "inf", "inf", "a", "-inf", "b"});
  EXPECT_EQ(Run({"ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"}),
            (Strings{"a", "0", "b", "0"}));
  EXPECT_EQ(Run({"ZUNION", "2", "inf", "inf", "WEIGHTS", "1", "-1", "WITHSCORES"}),
            (Strings{"a", "0", "b", "0"}));
  EXPECT_EQ(Run({"ZUNION", "1", "z1", "WEIGHTS", "inf", "WITHSCORES"}),
            (Strings{"a", "inf", "b", "inf", "c", "inf"}));
  // Scores combine from the smallest input to the largest, whatever the argument order:
  // -inf + inf settles on 0 first, then 7.5 is added.
  Run({"ZADD", "one", "-inf", "m"});
  Run({"ZADD", "two", "inf", "m", "1", "x"});
  Run({"ZADD", "three", "7.5", "m", "1", "x", "1", "y"});
  EXPECT_EQ(Run({"ZSCORE", "three", "m"}), "7.5");
  EXPECT_EQ(Run({"ZUNION", "3", "three", "two", "one", "WITHSCORES"}),
            (Strings{"y", "1", "x", "2", "m", "7.5"}));
  EXPECT_EQ(Run({"ZINTER", "3", "three", "two", "one", "WITHSCORES"}), (Strings{"m", "7.5"}));
}

TEST_F(ZSetAlgebraTest, Store) {
  EXPECT_EQ(Run({"ZUNIONSTORE", "d", "2", "z1", "z2"}), 4);
  EXPECT_EQ(All("d"), (Strings{"a", "1", "b", "12", "c", "23", "d", "30"}));
  EXPECT_EQ(Run({"ZINTERSTORE", "d", "2", "z1", "z2", "WEIGHTS", "1", "2"}), 2);
  EXPECT_EQ(All("d"), (Strings{"b", "22", "c", "43"}));
  EXPECT_EQ(Run({"ZDIFFSTORE", "d", "2", "z1", "z2"}), 1);
  EXPECT_EQ(All("d"), (Strings{"a", "1"}));
  EXPECT_EQ(Run({"ZDIFFSTORE", "d", "2", "z1", "z1"}), 0);
  EXPECT_FALSE(Exists("d"));
  // The destination can be one of the inputs, and of any type.
  EXPECT_EQ(Run({"ZUNIONSTORE", "z1", "2", "z1", "z2"}), 4);
  EXPECT_EQ(Run({"ZSCORE", "z1", "c"}), "23");
  EXPECT_EQ(Run({"ZINTERSTORE", "str", "1", "z2"}), 3);
  EXPECT_EQ(Run({"TYPE", "str"}), "zset");
}

TEST_F(ZSetAlgebraTest, Errors) {
  EXPECT_TRUE(IsError(Run({"ZUNION", "0", "z1"}),
                      "ERR at least 1 input key is needed for 'zunion' command"));
  EXPECT_TRUE(IsError(Run({"ZINTERSTORE", "d", "-1", "z1"}),
                      "ERR at least 1 input key is needed for 'zinterstore' command"));
  EXPECT_TRUE(IsError(Run({"ZUNION", "x", "z1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZUNION", "3", "z1", "z2"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "1"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"}),
                      "ERR weight value is not a float"));
  EXPECT_TRUE(
      IsError(Run({"ZUNION", "1", "z1", "WEIGHTS", "nan"}), "ERR weight value is not a float"));
  EXPECT_TRUE(IsError(Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "2", "3"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZUNION", "2", "z1", "z2", "AGGREGATE", "AVG"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZUNION", "2", "z1", "z2", "AGGREGATE"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "2"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZUNIONSTORE", "d", "2", "z1", "z2", "WITHSCORES"}), kSyntax));
  // Every key's type is checked before the options.
  EXPECT_TRUE(IsError(Run({"ZINTER", "2", "missing", "str"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZUNION", "2", "z1", "str", "bogus"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZDIFFSTORE", "d", "2", "z1", "str"}), kWrongType));
}

TEST_F(ZSetAlgebraTest, InterCard) {
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "z2"}), 2);
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"}), 1);
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"}), 2);
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "s1"}), 1);
  EXPECT_EQ(Run({"ZINTERCARD", "2", "ints", "ints", "LIMIT", "2"}), 2);
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "missing"}), 0);
  EXPECT_TRUE(
      IsError(Run({"ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1"}), "ERR LIMIT can't be negative"));
  EXPECT_TRUE(
      IsError(Run({"ZINTERCARD", "2", "z1", "z2", "LIMIT", "x"}), "ERR LIMIT can't be negative"));
  EXPECT_TRUE(IsError(Run({"ZINTERCARD", "2", "z1", "z2", "LIMIT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZINTERCARD", "2", "z1", "z2", "WEIGHTS", "1", "1"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZINTERCARD", "0", "z1"}),
                      "ERR at least 1 input key is needed for 'zintercard' command"));
  EXPECT_TRUE(IsError(Run({"ZINTERCARD", "2", "z1", "str"}), kWrongType));
}

// --- ZSCAN ------------------------------------------------------------------------------------

TEST_F(ZSetFamilyTest, ScanOfAPackedSetIsOneCall) {
  Run({"ZADD", "z", "1", "a", "2.5", "b", "3", "ab", "1e18", "big"});
  // A packed set reads whole numbers back in integer form, as Redis's listpack does.
  EXPECT_EQ(Run({"ZSCAN", "z", "0"})[1],
            (Strings{"a", "1", "b", "2.5", "ab", "3", "big", "1000000000000000000"}));
  EXPECT_EQ(Run({"ZSCORE", "z", "big"}), "1e+18");
  RespValue r = Run({"ZSCAN", "z", "7", "MATCH", "a*", "COUNT", "1"});
  EXPECT_EQ(r[0], "0");
  EXPECT_EQ(r[1], (Strings{"a", "1", "ab", "3"}));
  // A missing key is answered before the options are read.
  RespValue empty = Run({"ZSCAN", "missing", "0", "COUNT", "0"});
  EXPECT_EQ(empty[0], "0");
  EXPECT_EQ(empty[1].size(), 0u);
  EXPECT_TRUE(IsError(Run({"ZSCAN", "z", "x"}), "ERR invalid cursor"));
  EXPECT_TRUE(IsError(Run({"ZSCAN", "str", "x"}), "ERR invalid cursor"));
  EXPECT_TRUE(IsError(Run({"ZSCAN", "str", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"ZSCAN", "z", "0", "COUNT", "0"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZSCAN", "z", "0", "COUNT", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"ZSCAN", "z", "0", "MATCH"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"ZSCAN", "z", "0", "NOVALUES"}), kSyntax));
  // Scores stay bulk strings in RESP3.
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Wire({"ZSCAN", "z", "0", "MATCH", "b"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$3\r\n2.5\r\n");
}

TEST_F(ZSetFamilyTest, ScanOfASkipListReturnsEveryStableMemberDespiteChanges) {
  Fill("z", 1000);
  ASSERT_EQ(Encoding("z"), "skiplist");
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  int added = 0;
  do {
    RespValue r = Run({"ZSCAN", "z", cursor, "COUNT", "20"});
    cursor = r[0].str;
    for (size_t i = 0; i < r[1].size(); i += 2) {
      seen.insert(r[1][i].str);
      EXPECT_EQ(Run({"ZSCORE", "z", r[1][i].str}).str, r[1][i + 1].str);
    }
    // Grow the table between calls, then shrink it: members present throughout must show up.
    if (calls == 5) {
      Fill("z", 3000, "grow");
      added = 3000;
    }
    if (calls == 30) {
      std::vector<std::string> rem{"ZREM", "z"};
      for (int i = 0; i < added; ++i) rem.push_back("grow" + std::to_string(i));
      Run(client(), rem);
    }
    ++calls;
  } while (cursor != "0");
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("m" + std::to_string(i))) << i;
}

// Pops across the conversion point and on a large skip list keep ZRANK, ZRANGE, ZSCORE and
// ZSCAN exact, whether they come from ZPOPMIN, ZPOPMAX, BZPOPMIN or ZMPOP with a count.
TEST_F(ZSetFamilyTest, PopsFromALargeSetKeepRanksAndRanges) {
  Fill("z", 100);
  ASSERT_EQ(Encoding("z"), "listpack");
  ASSERT_EQ(Run({"ZPOPMIN", "z"}).Strings(), (Strings{"m0", "0"}));
  Fill("z", 5000);  // converts; m0 is back
  ASSERT_EQ(Encoding("z"), "skiplist");
  EXPECT_EQ(Run({"ZPOPMIN", "z"}).Strings(), (Strings{"m0", "0"}));
  EXPECT_EQ(Run({"BZPOPMIN", "z", "1"}).Strings(), (Strings{"z", "m1", "1"}));
  EXPECT_EQ(Run({"ZPOPMAX", "z"}).Strings(), (Strings{"m4999", "4999"}));
  EXPECT_EQ(Run({"ZPOPMIN", "z", "3"}).Strings(), (Strings{"m2", "2", "m3", "3", "m4", "4"}));
  RespValue mpop = Run({"ZMPOP", "1", "z", "MIN", "COUNT", "1000"});
  ASSERT_EQ(mpop[1].size(), 1000u);
  EXPECT_EQ(mpop[1][999][0].str, "m1004");
  for (int i = 0; i < 3000; ++i) Run({"ZPOPMIN", "z"});
  // m4005 .. m4998 remain.
  EXPECT_EQ(Run({"ZCARD", "z"}), 994);
  EXPECT_EQ(Run({"ZRANK", "z", "m4005"}), 0);
  EXPECT_EQ(Run({"ZRANK", "z", "m4500"}), 495);
  EXPECT_EQ(Run({"ZREVRANK", "z", "m4998"}), 0);
  EXPECT_TRUE(Run({"ZRANK", "z", "m4004"}).is_null());
  EXPECT_TRUE(Run({"ZSCORE", "z", "m10"}).is_null());
  EXPECT_EQ(Run({"ZSCORE", "z", "m4600"}), "4600");
  EXPECT_EQ(Run({"ZRANGE", "z", "10", "12"}).Strings(), (Strings{"m4015", "m4016", "m4017"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "4997", "+inf"}).Strings(), (Strings{"m4997", "m4998"}));
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    RespValue r = Run({"ZSCAN", "z", cursor, "COUNT", "100"});
    cursor = r[0].str;
    for (size_t i = 0; i < r[1].size(); i += 2) seen.insert(r[1][i].str);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 994u);
  EXPECT_EQ(Run({"ZPOPMIN", "z", "5000"}).size(), 994u * 2);
  EXPECT_FALSE(Exists("z"));
}

// --- Encodings --------------------------------------------------------------------------------

TEST_F(ZSetFamilyTest, EncodingFollowsTheListpackLimits) {
  Fill("z", 128);
  EXPECT_EQ(Encoding("z"), "listpack");
  Run({"ZADD", "z", "1000", "one-more"});
  EXPECT_EQ(Encoding("z"), "skiplist");
  // Shrinking never converts back.
  Run({"ZREMRANGEBYRANK", "z", "0", "-3"});
  EXPECT_EQ(Encoding("z"), "skiplist");
  Run({"ZADD", "v", "1", std::string(64, 'x')});
  EXPECT_EQ(Encoding("v"), "listpack");
  Run({"ZADD", "v", "XX", "1", std::string(65, 'x')});  // not added: no conversion
  EXPECT_EQ(Encoding("v"), "listpack");
  Run({"ZINCRBY", "v", "1", std::string(65, 'y')});
  EXPECT_EQ(Encoding("v"), "skiplist");
  // Repeated members do not count towards the limit.
  std::vector<std::string> args{"ZADD", "same"};
  for (int i = 0; i < 200; ++i) {
    args.push_back("1");
    args.push_back("m");
  }
  Run(client(), args);
  EXPECT_EQ(Encoding("same"), "listpack");
}

TEST_F(ZSetFamilyTest, EncodingLimitsComeFromTheConfiguration) {
  SetConfig("zset-max-listpack-entries", "0");
  Run({"ZADD", "a", "1", "m"});
  EXPECT_EQ(Encoding("a"), "skiplist");
  SetConfig("zset-max-ziplist-entries", "2");  // the old name
  Run({"ZADD", "b", "1", "x", "2", "y"});
  EXPECT_EQ(Encoding("b"), "listpack");
  Run({"ZADD", "b", "3", "z"});
  EXPECT_EQ(Encoding("b"), "skiplist");
  SetConfig("zset-max-listpack-entries", "128");
  SetConfig("zset-max-listpack-value", "3");
  Run({"ZADD", "c", "1", "abc"});
  EXPECT_EQ(Encoding("c"), "listpack");
  Run({"ZADD", "c", "1", "abcd"});
  EXPECT_EQ(Encoding("c"), "skiplist");
}

TEST_F(ZSetFamilyTest, StoredResultsTakeTheCompactEncodingWhenTheyFit) {
  Fill("big", 200);
  ASSERT_EQ(Encoding("big"), "skiplist");
  EXPECT_EQ(Run({"ZRANGESTORE", "small", "big", "0", "9"}), 10);
  EXPECT_EQ(Encoding("small"), "listpack");
  EXPECT_EQ(Run({"ZUNIONSTORE", "copy", "1", "big"}), 200);
  EXPECT_EQ(Encoding("copy"), "skiplist");
  Run({"ZREMRANGEBYRANK", "big", "0", "149"});
  EXPECT_EQ(Run({"ZINTERSTORE", "inter", "1", "big"}), 50);
  EXPECT_EQ(Encoding("inter"), "listpack");
  EXPECT_EQ(All("inter"), All("big"));
}

TEST_F(ZSetFamilyTest, SkipListAndListpackAnswerAlike) {
  // The same commands on both encodings give the same replies.
  SetConfig("zset-max-listpack-entries", "0");
  Run({"ZADD", "s", "1", "a", "2", "b", "2", "bb", "3", "c", "4", "d", "inf", "e"});
  SetConfig("zset-max-listpack-entries", "128");
  Run({"ZADD", "p", "1", "a", "2", "b", "2", "bb", "3", "c", "4", "d", "inf", "e"});
  ASSERT_EQ(Encoding("s"), "skiplist");
  ASSERT_EQ(Encoding("p"), "listpack");
  std::vector<std::vector<std::string>> queries = {
      {"ZRANGE", "", "1", "-2", "WITHSCORES"},
      {"ZRANGE", "", "(1", "4", "BYSCORE", "LIMIT", "1", "2"},
      {"ZRANGE", "", "+inf", "2", "BYSCORE", "REV", "WITHSCORES"},
      {"ZRANGE", "", "[b", "(d", "BYLEX"},
      {"ZREVRANGEBYLEX", "", "+", "(b", "LIMIT", "0", "3"},
      {"ZCOUNT", "", "(2", "inf"},
      {"ZLEXCOUNT", "", "(a", "[c"},
      {"ZRANK", "", "bb"},
      {"ZREVRANK", "", "bb"},
      {"ZMSCORE", "", "e", "b", "x"},
      {"ZRANDMEMBER", "", "10", "WITHSCORES"},
  };
  for (auto q : queries) {
    q[1] = "s";
    RespValue a = Run(client(), q);
    q[1] = "p";
    EXPECT_EQ(a.ToString(), Run(client(), q).ToString()) << q[0];
  }
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "s", "2", "3"}), 3);
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "p", "2", "3"}), 3);
  EXPECT_EQ(All("s"), All("p"));
}

// --- DUMP / RESTORE ---------------------------------------------------------------------------

TEST_F(ZSetFamilyTest, DumpRestoreRoundTripsBothEncodings) {
  Run({"ZADD", "small", "1", "a", "-2.5", std::string("\0\r\n", 3), "inf", "top", "-0", "z"});
  Fill("large", 500);
  for (std::string key : {"small", "large"}) {
    std::string payload = Run({"DUMP", key}).str;
    ASSERT_FALSE(payload.empty());
    EXPECT_EQ(Run({"RESTORE", key + "2", "0", payload}), "OK");
    EXPECT_EQ(Encoding(key + "2"), Encoding(key));
    EXPECT_EQ(All(key + "2"), All(key));
  }
  EXPECT_EQ(Run({"ZSCORE", "small2", std::string("\0\r\n", 3)}), "-2.5");
  EXPECT_EQ(Run({"ZRANK", "large2", "m250"}), 250);
}

TEST_F(ZSetFamilyTest, RestoreRebuildsTheCompactEncoding) {
  Fill("z", 200);
  Run({"ZREMRANGEBYRANK", "z", "10", "-1"});
  ASSERT_EQ(Encoding("z"), "skiplist");
  EXPECT_EQ(Run({"RESTORE", "back", "0", Run({"DUMP", "z"}).str}), "OK");
  EXPECT_EQ(Encoding("back"), "listpack");
  EXPECT_EQ(All("back"), All("z"));
}

TEST_F(ZSetFamilyTest, LoadRefusesMalformedBodies) {
  auto load = [](const std::string& body) {
    PayloadReader in(body);
    Object out;
    return LoadZSet(in, &out) && in.at_end();
  };
  auto body = [](std::vector<std::pair<std::string, double>> entries, uint64_t count) {
    std::string out;
    PayloadWriter w(&out);
    w.PutVarint(count);
    for (const auto& [member, score] : entries) {
      w.PutString(member);
      w.PutDouble(score);
    }
    return out;
  };
  EXPECT_TRUE(load(body({{"b", 1}, {"a", 2}}, 2)));
  EXPECT_FALSE(load(body({}, 0))) << "empty set";
  EXPECT_FALSE(load(body({{"a", 1}, {"a", 2}}, 2))) << "repeated member";
  EXPECT_FALSE(load(body({{"a", std::nan("")}}, 1))) << "NaN score";
  std::string good = body({{"a", 1}}, 1);
  EXPECT_FALSE(load(good.substr(0, good.size() - 1))) << "truncated";
  EXPECT_FALSE(load(body({{"a", 1}}, 1000000))) << "count larger than the bytes";
  // The loaded set is sorted whatever the body's order.
  std::string unsorted = body({{"c", 3}, {"a", 1}, {"b", 2}}, 3);
  PayloadReader in(unsorted);
  Object out;
  ASSERT_TRUE(LoadZSet(in, &out));
  std::string members;
  out.As<ZSetObject>()->ForEach([&](std::string_view m, double) { members.append(m); });
  EXPECT_EQ(members, "abc");
}

TEST_F(ZSetFamilyTest, AppendOnlyLogRewritesASetAsZaddBatches) {
  Fill("z", 130);
  Run({"ZADD", "z", "inf", "top", "-0.5", "neg"});
  Run({"PEXPIREAT", "z", "4000000000000"});
  std::string log;
  AofWriter writer(&log);
  ASSERT_TRUE(RewriteKey("z", *server_->db(0).Find("z", Now()), writer));
  // Replaying the commands into a fresh key rebuilds the same set.
  std::vector<std::string_view> args;
  size_t pos = 0, commands = 0;
  while (pos < log.size()) {
    size_t consumed, bad_at;
    std::string error;
    ASSERT_EQ(ParseAofRecord(std::string_view(log).substr(pos), &args, &consumed, &bad_at, &error),
              AofParse::kRecord)
        << error;
    pos += consumed;
    ++commands;
    std::vector<std::string> replay(args.begin(), args.end());
    if (replay[0] == "ZADD") {
      EXPECT_LE(replay.size(), 2 + 2 * kAofItemsPerCommand);
      replay[1] = "copy";
    } else {
      EXPECT_EQ(replay[0], "PEXPIREAT");
      continue;
    }
    Run(client(), replay);
  }
  EXPECT_EQ(commands, 4u);  // 132 members in batches of 64, then the expiry
  EXPECT_EQ(All("copy"), All("z"));
  EXPECT_EQ(Run({"ZSCORE", "copy", "top"}), "inf");
}

// --- WATCH and keyspace events ----------------------------------------------------------------

TEST_F(ZSetFamilyTest, OnlyRealChangesDisturbWatchers) {
  Run({"ZADD", "z", "1", "a", "2", "b"});
  EXPECT_TRUE(WatchSurvives("z", {"ZADD", "z", "1", "a"}));
  EXPECT_TRUE(WatchSurvives("z", {"ZADD", "z", "NX", "5", "a"}));
  EXPECT_FALSE(WatchSurvives("z", {"ZADD", "z", "5", "a"}));
  EXPECT_TRUE(WatchSurvives("z", {"ZREM", "z", "nope"}));
  EXPECT_TRUE(WatchSurvives("z", {"ZINCRBY", "z", "0", "a"}));
  EXPECT_FALSE(WatchSurvives("z", {"ZINCRBY", "z", "1", "a"}));
  EXPECT_TRUE(WatchSurvives("z", {"ZREMRANGEBYSCORE", "z", "100", "200"}));
  EXPECT_TRUE(WatchSurvives("z", {"ZPOPMIN", "z", "0"}));
  EXPECT_FALSE(WatchSurvives("z", {"ZPOPMIN", "z"}));
  EXPECT_TRUE(WatchSurvives("z", {"ZRANGE", "z", "0", "-1"}));
  EXPECT_TRUE(WatchSurvives("gone", {"ZUNIONSTORE", "gone", "1", "missing"}));
  EXPECT_FALSE(WatchSurvives("dst", {"ZUNIONSTORE", "dst", "1", "z"}));
  EXPECT_FALSE(WatchSurvives("dst", {"ZDIFFSTORE", "dst", "2", "z", "z"}));  // deletes dst
}

TEST_F(ZSetFamilyTest, KeyspaceEvents) {
  Session* sub = NewClient();
  Run(sub, {"PSUBSCRIBE", "__keyevent@0__:*"});
  TakeReplies(sub);
  SetConfig("notify-keyspace-events", "Egz");
  auto events = [&]() {
    Strings out;
    for (const RespValue& v : TakeReplies(sub)) {
      std::string channel = v[2].str;
      out.push_back(channel.substr(channel.find(':') + 1) + " " + v[3].str);
    }
    return out;
  };
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  Run({"ZADD", "z", "1", "a"});
  Run({"ZADD", "z", "INCR", "1", "a"});
  Run({"ZINCRBY", "z", "1", "a"});
  Run({"ZREM", "z", "nope"});
  Run({"ZREM", "z", "a"});
  Run({"ZPOPMIN", "z"});
  Run({"ZUNIONSTORE", "d", "1", "z"});
  Run({"ZREMRANGEBYRANK", "d", "0", "-1"});
  Run({"ZPOPMAX", "z"});
  EXPECT_EQ(events(),
            (Strings{"zadd z", "zincr z", "zincr z", "zrem z", "zpopmin z", "zunionstore d",
                     "zremrangebyrank d", "del d", "zpopmax z", "del z"}));
}

// --- The encodings against a model ------------------------------------------------------------

using Model = std::set<std::pair<double, std::string>>;

// Checks every rank-based view of the set against the model.
void ExpectMatches(const ZSetObject& zset, const Model& model) {
  ASSERT_EQ(zset.size(), model.size());
  std::vector<std::pair<double, std::string>> got;
  zset.ForEach([&](std::string_view m, double s) { got.emplace_back(s, std::string(m)); });
  ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin(), model.end()));
  std::vector<std::pair<double, std::string>> reversed;
  zset.ForRange(0, zset.size(), true,
                [&](std::string_view m, double s) { reversed.emplace_back(s, std::string(m)); });
  ASSERT_TRUE(std::equal(reversed.begin(), reversed.end(), model.rbegin(), model.rend()));
  size_t rank = 0;
  for (const auto& [score, member] : model) {
    size_t r;
    double s;
    ASSERT_TRUE(zset.Rank(member, &r, &s));
    ASSERT_EQ(r, rank);
    ASSERT_EQ(s, score);
    ++rank;
  }
}

TEST(ZSetTypeTest, BothEncodingsMatchAModelUnderRandomOperations) {
  for (uint64_t max_entries : {uint64_t{1000000}, uint64_t{0}}) {
    ZSetObject::SetPackedLimits(max_entries, 64);
    Random rng(42 + max_entries);
    ZSetObject zset;
    Model model;
    std::map<std::string, double> scores;
    for (int step = 0; step < 4000; ++step) {
      std::string member = "m" + std::to_string(rng.Uniform(300));
      double score = static_cast<double>(rng.Uniform(50)) / 2;
      uint64_t op = rng.Uniform(10);
      auto found = scores.find(member);
      if (op < 5) {
        if (found == scores.end()) {
          zset.Insert(member, score);
        } else {
          model.erase({found->second, member});
          zset.Update(member, score);
        }
        model.insert({score, member});
        scores[member] = score;
      } else if (op < 8) {
        EXPECT_EQ(zset.Erase(member), found != scores.end());
        if (found != scores.end()) {
          model.erase({found->second, member});
          scores.erase(found);
        }
      } else if (op == 8 && !model.empty()) {
        size_t first = rng.Uniform(model.size());
        size_t end = first + rng.Uniform(std::min<size_t>(5, model.size() - first) + 1);
        zset.EraseRange(first, end);
        auto it = std::next(model.begin(), static_cast<long>(first));
        for (size_t i = first; i < end; ++i) {
          scores.erase(it->second);
          it = model.erase(it);
        }
      } else {
        ScoreRange range;
        range.min = static_cast<double>(rng.Uniform(30)) / 2;
        range.max = range.min + static_cast<double>(rng.Uniform(10));
        range.min_exclusive = rng.Uniform(2) == 0;
        range.max_exclusive = rng.Uniform(2) == 0;
        size_t first, end;
        zset.ScoreRangeRanks(range, &first, &end);
        size_t expect_first = 0, expect_count = 0;
        for (const auto& [s, m] : model) {
          bool above = range.min_exclusive ? s > range.min : s >= range.min;
          bool below = range.max_exclusive ? s < range.max : s <= range.max;
          if (!above) ++expect_first;
          if (above && below) ++expect_count;
        }
        ASSERT_EQ(first, expect_first);
        ASSERT_EQ(end - first, expect_count);
      }
      if (step % 97 == 0) ExpectMatches(zset, model);
    }
    ExpectMatches(zset, model);
    EXPECT_EQ(zset.is_packed(), max_entries != 0);
    ZSetObject copy(zset);
    ExpectMatches(copy, model);
  }
  ZSetObject::SetPackedLimits(128, 64);
}

// The skip list keeps each member's bytes inside its node and indexes the nodes by hash. Pops from
// either end of a large set, single or counted, must leave ranks, scores, order and lookups exact
// while the index shrinks underneath; members of every length (empty, binary, longer than a
// packed set allows) must come back byte for byte.
TEST(ZSetTypeTest, SkipListPopsFromLargeSetsKeepEveryView) {
  SkipListZSet list;
  Model model;
  Random rng(7);
  std::vector<std::string> members = {"", std::string(1, '\0'), std::string("a\0b", 3),
                                      std::string(1000, 'x')};
  for (int i = 0; i < 20000; ++i) members.push_back("m" + std::to_string(i));
  for (const std::string& m : members) {
    double score = static_cast<double>(rng.Uniform(5000)) / 4;
    list.Insert(m, score);
    model.insert({score, m});
  }
  size_t grown = list.bucket_count();
  EXPECT_GE(grown, list.size());
  auto check = [&] {
    ASSERT_EQ(list.size(), model.size());
    std::vector<std::pair<double, std::string>> got;
    list.ForRange(0, list.size(), false,
                  [&](std::string_view m, double s) { got.emplace_back(s, std::string(m)); });
    ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin(), model.end()));
    // Ranks and scores of a sample of members, present and popped.
    size_t rank = 0;
    for (const auto& [score, member] : model) {
      if (rank % 37 == 0) {
        size_t r;
        double s;
        ASSERT_TRUE(list.Rank(member, &r, &s));
        EXPECT_EQ(r, rank);
        EXPECT_EQ(s, score);
      }
      ++rank;
    }
  };
  int round = 0;
  while (model.size() > 10) {
    // Alternate ZPOPMIN, ZPOPMAX and counted pops of both kinds.
    bool max = round % 2 == 1;
    size_t count = round % 4 < 2 ? 1 : std::min<size_t>(model.size(), 1 + rng.Uniform(300));
    size_t first = max ? model.size() - count : 0;
    std::vector<std::string> popped;
    list.ForRange(first, first + count, max,
                  [&](std::string_view m, double) { popped.emplace_back(m); });
    list.EraseRange(first, first + count);
    ASSERT_EQ(popped.size(), count);
    for (const std::string& m : popped) {
      auto it = max ? std::prev(model.end()) : model.begin();
      ASSERT_EQ(it->second, m);
      model.erase(it);
      double s;
      EXPECT_FALSE(list.Score(m, &s));
    }
    if (round % 50 == 0) check();
    ++round;
  }
  check();
  EXPECT_LT(list.bucket_count(), grown / 8);
  for (const auto& [score, member] : model) {
    double s;
    ASSERT_TRUE(list.Score(member, &s));
    EXPECT_EQ(s, score);
  }
  list.EraseRange(0, list.size());
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.bucket_count(), 0u);
  // Empty, the set is usable again.
  list.Insert("again", 1);
  double s;
  EXPECT_TRUE(list.Score("again", &s));
}

// An update that moves a member keeps its node, so lookups, scans and ranks follow it.
TEST(ZSetTypeTest, SkipListUpdatesMoveMembersAcrossTheOrder) {
  SkipListZSet list;
  for (int i = 0; i < 1000; ++i) list.Insert("m" + std::to_string(i), i);
  list.Update("m0", 5000);
  list.Update("m999", -1);
  list.Update("m500", 500.5);  // stays between its neighbours
  size_t rank;
  double score;
  ASSERT_TRUE(list.Rank("m0", &rank, &score));
  EXPECT_EQ(rank, 999u);
  EXPECT_EQ(score, 5000);
  ASSERT_TRUE(list.Rank("m999", &rank, &score));
  EXPECT_EQ(rank, 0u);
  ASSERT_TRUE(list.Rank("m500", &rank, &score));
  EXPECT_EQ(rank, 500u);
  EXPECT_EQ(score, 500.5);
  std::set<std::string> scanned;
  uint64_t cursor = 0;
  do {
    cursor = list.ScanStep(cursor, [&](std::string_view m, double) { scanned.emplace(m); });
  } while (cursor != 0);
  EXPECT_EQ(scanned.size(), 1000u);
  EXPECT_TRUE(list.Erase("m0"));
  EXPECT_FALSE(list.Erase("m0"));
  EXPECT_EQ(list.size(), 999u);
}

TEST(ZSetTypeTest, LexRanksOnEqualScores) {
  using Walk = ZSetObject::LexWalk;
  for (uint64_t max_entries : {uint64_t{128}, uint64_t{0}}) {
    ZSetObject::SetPackedLimits(max_entries, 64);
    ZSetObject zset;
    for (std::string m : {"a", "b", "c", "d", "e"}) zset.Insert(m, 0);
    for (Walk walk : {Walk::kForward, Walk::kBackward, Walk::kCount}) {
      LexRange range;
      size_t first, end;
      ASSERT_TRUE(ParseLexRange("(a", "[d", &range));
      zset.LexRangeRanks(range, walk, &first, &end);
      EXPECT_EQ(first, 1u);
      EXPECT_EQ(end, 4u);
      ASSERT_TRUE(ParseLexRange("+", "-", &range));
      zset.LexRangeRanks(range, walk, &first, &end);
      EXPECT_EQ(first, end);
      ASSERT_TRUE(ParseLexRange("-", "(c", &range));
      zset.LexRangeRanks(range, walk, &first, &end);
      EXPECT_EQ(first, 0u);
      EXPECT_EQ(end, 2u);
      ASSERT_TRUE(ParseLexRange("[c", "[c", &range));
      zset.LexRangeRanks(range, walk, &first, &end);
      EXPECT_EQ(end - first, 1u);
      ASSERT_TRUE(ParseLexRange("[c", "(c", &range));
      zset.LexRangeRanks(range, walk, &first, &end);
      EXPECT_EQ(first, end);
      ASSERT_TRUE(ParseLexRange("(x", "+", &range));
      zset.LexRangeRanks(range, walk, &first, &end);
      EXPECT_EQ(first, end);
    }
  }
  ZSetObject::SetPackedLimits(128, 64);
}

TEST(ZSetTypeTest, LexRangesOnMixedScoresWalkLikeRedis) {
  // m0..m20 scored by their number: the member order is not the score order. Forward ranges
  // start at the first member reaching min and stop at the first one past max; backward ranges
  // (checked on the packed form, where Redis's answer does not depend on the skip list's random
  // shape) mirror that from max.
  using Walk = ZSetObject::LexWalk;
  for (uint64_t max_entries : {uint64_t{128}, uint64_t{0}}) {
    ZSetObject::SetPackedLimits(max_entries, 64);
    ZSetObject zset;
    for (int i = 0; i <= 20; ++i) zset.Insert("m" + std::to_string(i), i);
    LexRange range;
    size_t first, end;
    ASSERT_TRUE(ParseLexRange("(m1", "[m2", &range));
    zset.LexRangeRanks(range, Walk::kForward, &first, &end);
    EXPECT_EQ(first, 2u);  // m2
    EXPECT_EQ(end, 3u);    // m3 is past "m2", although m10..m19 are not
    if (zset.is_packed()) {
      ASSERT_TRUE(ParseLexRange("-", "(m15", &range));
      zset.LexRangeRanks(range, Walk::kBackward, &first, &end);
      EXPECT_EQ(end, 15u);   // m14, the last member below "m15" seen from m20 down
      EXPECT_EQ(first, 0u);  // everything before it is above "-"
    }
  }
  ZSetObject::SetPackedLimits(128, 64);
}

TEST(ZSetTypeTest, RangeArgumentParsing) {
  double v;
  bool ex;
  EXPECT_TRUE(ParseScoreBound("(1.5", &v, &ex));
  EXPECT_EQ(v, 1.5);
  EXPECT_TRUE(ex);
  EXPECT_TRUE(ParseScoreBound(" 2", &v, &ex));
  EXPECT_EQ(v, 2);
  EXPECT_FALSE(ex);
  EXPECT_TRUE(ParseScoreBound("-inf", &v, &ex));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_TRUE(ParseScoreBound("1e400", &v, &ex));
  EXPECT_TRUE(std::isinf(v));
  EXPECT_TRUE(ParseScoreBound("", &v, &ex));
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(ParseScoreBound("nan", &v, &ex));
  EXPECT_FALSE(ParseScoreBound("1 ", &v, &ex));
  EXPECT_FALSE(ParseScoreBound("((1", &v, &ex));
  LexBound b;
  EXPECT_TRUE(ParseLexBound("[", &b));
  EXPECT_EQ(b.kind, LexBound::Kind::kValue);
  EXPECT_EQ(b.value, "");
  EXPECT_TRUE(ParseLexBound("-", &b));
  EXPECT_EQ(b.kind, LexBound::Kind::kMinusInf);
  EXPECT_FALSE(ParseLexBound("", &b));
  EXPECT_FALSE(ParseLexBound("a", &b));
  EXPECT_FALSE(ParseLexBound("++", &b));
}

}  // namespace
}  // namespace sluice::testing
