// List family: every list command's replies and error paths, checked against what Redis 7.0
// answers. Blocking behaviour with several clients lives in blocking_test.cc; here the blocking
// commands are checked where they do not block (data present, or inside MULTI).
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using Strings = std::vector<std::string>;

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kSyntax = "ERR syntax error";
constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";

// Exact error text: the fixture's == compares replies with strings only for non-errors.
::testing::AssertionResult IsError(const RespValue& v, std::string_view text) {
  if (v.is_error() && v.str == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected the error '" << text << "', got " << v;
}

class ListFamilyTest : public ServerTest {
 protected:
  void SetUp() override { ASSERT_EQ(Run({"SET", "str", "v"}), "OK"); }

  // The exact bytes of the reply, to tell a nil bulk ($-1) from a nil array (*-1).
  std::string Wire(std::initializer_list<std::string_view> args) {
    Send(client(), args);
    server_->RunPendingWork();
    std::string out = client()->output();
    client()->output().clear();
    return out;
  }
  Strings Range(std::string_view key) { return Run({"LRANGE", key, "0", "-1"}).Strings(); }
  bool Exists(std::string_view key) { return server_->db(0).Find(key, Now()) != nullptr; }
  // Whether a WATCH on `key` survives `command` run by another client.
  bool WatchSurvives(std::string_view key, std::initializer_list<std::string_view> command) {
    Session* other = NewClient();
    EXPECT_EQ(Run({"WATCH", key}), "OK");
    Run(other, command);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    return !Run({"EXEC"}).is_null();
  }
};

// --- LPUSH / RPUSH / LPUSHX / RPUSHX / LLEN ---------------------------------------------------

TEST_F(ListFamilyTest, PushAddsAtEitherEndAndRepliesLength) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b"}), 2);
  EXPECT_EQ(Run({"LPUSH", "l", "x", "y"}), 4);  // y ends up first: elements go in one by one
  EXPECT_EQ(Run({"RPUSH", "l", "c"}), 5);
  EXPECT_EQ(Range("l"), (Strings{"y", "x", "a", "b", "c"}));
  EXPECT_EQ(Run({"LLEN", "l"}), 5);
  EXPECT_EQ(Run({"TYPE", "l"}), "list");
}

TEST_F(ListFamilyTest, PushIsBinarySafe) {
  std::string binary("a\0b\r\n", 5);
  EXPECT_EQ(Run({"RPUSH", "l", binary, "", "-12", "9223372036854775807"}), 4);
  EXPECT_EQ(Range("l"), (Strings{binary, "", "-12", "9223372036854775807"}));
}

TEST_F(ListFamilyTest, PushXOnlyTouchesExistingLists) {
  EXPECT_EQ(Run({"LPUSHX", "l", "a"}), 0);
  EXPECT_EQ(Run({"RPUSHX", "l", "a", "b"}), 0);
  EXPECT_FALSE(Exists("l"));
  EXPECT_EQ(Run({"RPUSH", "l", "m"}), 1);
  EXPECT_EQ(Run({"LPUSHX", "l", "a", "b"}), 3);
  EXPECT_EQ(Run({"RPUSHX", "l", "y", "z"}), 5);
  EXPECT_EQ(Range("l"), (Strings{"b", "a", "m", "y", "z"}));
}

TEST_F(ListFamilyTest, PushWrongTypeLeavesTheKeyAlone) {
  for (const char* cmd : {"LPUSH", "RPUSH", "LPUSHX", "RPUSHX"}) {
    EXPECT_TRUE(IsError(Run({cmd, "str", "a"}), kWrongType)) << cmd;
  }
  EXPECT_TRUE(ErrorStartsWith(Run({"LLEN", "str"}), "WRONGTYPE"));
  EXPECT_EQ(Run({"GET", "str"}), "v");
}

TEST_F(ListFamilyTest, LlenOfMissingKeyIsZero) { EXPECT_EQ(Run({"LLEN", "missing"}), 0); }

TEST_F(ListFamilyTest, ArityErrors) {
  EXPECT_TRUE(ErrorStartsWith(Run({"LPUSH", "l"}), "ERR wrong number of arguments for 'lpush'"));
  EXPECT_TRUE(ErrorStartsWith(Run({"LLEN", "a", "b"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"LPOP", "l", "1", "2"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"BLPOP", "l"}), "ERR wrong number of arguments for 'blpop'"));
  EXPECT_TRUE(ErrorStartsWith(Run({"LMPOP", "1", "l"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"LMOVE", "a", "b", "LEFT"}), "ERR wrong number of arguments"));
}

// --- LPOP / RPOP ------------------------------------------------------------------------------

TEST_F(ListFamilyTest, PopOneFromEachEnd) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LPOP", "l"}), "a");
  EXPECT_EQ(Run({"RPOP", "l"}), "c");
  EXPECT_EQ(Run({"RPOP", "l"}), "b");
  // The last element takes the key with it.
  EXPECT_FALSE(Exists("l"));
  EXPECT_EQ(Wire({"LPOP", "l"}), "$-1\r\n");
  EXPECT_EQ(Wire({"RPOP", "l"}), "$-1\r\n");
}

TEST_F(ListFamilyTest, PopWithCount) {
  Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Run({"LPOP", "l", "2"}), (Strings{"a", "b"}));
  EXPECT_EQ(Run({"RPOP", "l", "2"}), (Strings{"e", "d"}));
  EXPECT_EQ(Wire({"LPOP", "l", "0"}), "*0\r\n");
  EXPECT_EQ(Run({"RPOP", "l", "100"}), (Strings{"c"}));
  EXPECT_FALSE(Exists("l"));
  // With a count a missing key is a nil array, not a nil bulk.
  EXPECT_EQ(Wire({"LPOP", "l", "1"}), "*-1\r\n");
  EXPECT_EQ(Wire({"RPOP", "l", "0"}), "*-1\r\n");
}

TEST_F(ListFamilyTest, PopCountErrorsComeBeforeTheTypeCheck) {
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(IsError(Run({"LPOP", "l", "-1"}), kMustBePositive));
  EXPECT_TRUE(IsError(Run({"RPOP", "l", "x"}), kMustBePositive));
  EXPECT_TRUE(IsError(Run({"LPOP", "missing", "-1"}), kMustBePositive));
  EXPECT_TRUE(IsError(Run({"LPOP", "str", "-1"}), kMustBePositive));
  EXPECT_TRUE(IsError(Run({"LPOP", "str"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"RPOP", "str", "0"}), kWrongType));
  EXPECT_EQ(Range("l"), (Strings{"a"}));
}

TEST_F(ListFamilyTest, PopRepliesNullInResp3) {
  Run({"HELLO", "3"});
  EXPECT_EQ(Wire({"LPOP", "missing"}), "_\r\n");
  EXPECT_EQ(Wire({"LPOP", "missing", "2"}), "_\r\n");
}

// --- LRANGE / LINDEX --------------------------------------------------------------------------

TEST_F(ListFamilyTest, RangeNormalisesIndexes) {
  Run({"RPUSH", "r", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  EXPECT_EQ(Run({"LRANGE", "r", "0", "0"}), (Strings{"0"}));
  EXPECT_EQ(Run({"LRANGE", "r", "1", "3"}), (Strings{"1", "2", "3"}));
  EXPECT_EQ(Run({"LRANGE", "r", "-3", "-1"}), (Strings{"7", "8", "9"}));
  EXPECT_EQ(Run({"LRANGE", "r", "8", "100"}), (Strings{"8", "9"}));
  EXPECT_EQ(Run({"LRANGE", "r", "-100", "1"}), (Strings{"0", "1"}));
  EXPECT_EQ(Run({"LRANGE", "r", "5", "2"}), Strings{});
  EXPECT_EQ(Run({"LRANGE", "r", "10", "100"}), Strings{});
  EXPECT_EQ(Run({"LRANGE", "r", "-100", "-50"}), Strings{});
  EXPECT_EQ(Run({"LRANGE", "r", "-9223372036854775808", "9223372036854775807"}).size(), 10u);
  EXPECT_EQ(Wire({"LRANGE", "missing", "0", "-1"}), "*0\r\n");
}

TEST_F(ListFamilyTest, RangeErrors) {
  Run({"RPUSH", "r", "a"});
  EXPECT_TRUE(IsError(Run({"LRANGE", "r", "a", "1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"LRANGE", "r", "0", "1.5"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"LRANGE", "str", "0", "-1"}), kWrongType));
}

TEST_F(ListFamilyTest, IndexFromEitherEnd) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), "a");
  EXPECT_EQ(Run({"LINDEX", "l", "2"}), "c");
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), "c");
  EXPECT_EQ(Run({"LINDEX", "l", "-3"}), "a");
  EXPECT_EQ(Wire({"LINDEX", "l", "3"}), "$-1\r\n");
  EXPECT_EQ(Wire({"LINDEX", "l", "-4"}), "$-1\r\n");
  EXPECT_EQ(Wire({"LINDEX", "missing", "0"}), "$-1\r\n");
  EXPECT_TRUE(IsError(Run({"LINDEX", "l", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"LINDEX", "str", "0"}), kWrongType));
}

// --- LSET / LINSERT / LREM / LTRIM ------------------------------------------------------------

TEST_F(ListFamilyTest, SetReplacesAnElement) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LSET", "l", "1", "B"}), "OK");
  EXPECT_EQ(Run({"LSET", "l", "-1", std::string(300, 'x')}), "OK");
  EXPECT_EQ(Range("l"), (Strings{"a", "B", std::string(300, 'x')}));
}

TEST_F(ListFamilyTest, SetErrors) {
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(IsError(Run({"LSET", "l", "1", "x"}), "ERR index out of range"));
  EXPECT_TRUE(IsError(Run({"LSET", "l", "-2", "x"}), "ERR index out of range"));
  EXPECT_TRUE(IsError(Run({"LSET", "l", "x", "x"}), kNotInteger));
  // The key is looked up before the index is parsed.
  EXPECT_TRUE(IsError(Run({"LSET", "missing", "0", "x"}), "ERR no such key"));
  EXPECT_TRUE(IsError(Run({"LSET", "missing", "x", "x"}), "ERR no such key"));
  EXPECT_TRUE(IsError(Run({"LSET", "str", "x", "x"}), kWrongType));
  EXPECT_FALSE(Exists("missing"));
}

TEST_F(ListFamilyTest, InsertNextToFirstPivot) {
  Run({"RPUSH", "l", "a", "b", "a"});
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "a", "x"}), 4);
  EXPECT_EQ(Run({"LINSERT", "l", "after", "a", "y"}), 5);
  EXPECT_EQ(Range("l"), (Strings{"x", "a", "y", "b", "a"}));
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "zz", "q"}), -1);
  EXPECT_EQ(Run({"LINSERT", "missing", "BEFORE", "a", "q"}), 0);
  EXPECT_FALSE(Exists("missing"));
}

TEST_F(ListFamilyTest, InsertErrors) {
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(IsError(Run({"LINSERT", "l", "MIDDLE", "a", "b"}), kSyntax));
  // The position word is checked before the key.
  EXPECT_TRUE(IsError(Run({"LINSERT", "str", "MIDDLE", "a", "b"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LINSERT", "str", "BEFORE", "a", "b"}), kWrongType));
}

TEST_F(ListFamilyTest, RemoveByCountAndDirection) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"});
  EXPECT_EQ(Run({"LREM", "l", "2", "a"}), 2);  // the first two from the head
  EXPECT_EQ(Range("l"), (Strings{"b", "c", "a", "b", "a"}));
  EXPECT_EQ(Run({"LREM", "l", "-1", "b"}), 1);  // the last b
  EXPECT_EQ(Range("l"), (Strings{"b", "c", "a", "a"}));
  EXPECT_EQ(Run({"LREM", "l", "0", "a"}), 2);  // all of them
  EXPECT_EQ(Run({"LREM", "l", "0", "zz"}), 0);
  EXPECT_EQ(Run({"LREM", "l", "0", "b"}), 1);
  EXPECT_EQ(Run({"LREM", "l", "0", "c"}), 1);
  EXPECT_FALSE(Exists("l"));
  EXPECT_EQ(Run({"LREM", "missing", "0", "a"}), 0);
  EXPECT_TRUE(IsError(Run({"LREM", "l", "x", "a"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"LREM", "str", "0", "a"}), kWrongType));
}

TEST_F(ListFamilyTest, TrimKeepsARange) {
  Run({"RPUSH", "l", "0", "1", "2", "3", "4", "5"});
  EXPECT_EQ(Run({"LTRIM", "l", "1", "-2"}), "OK");
  EXPECT_EQ(Range("l"), (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(Run({"LTRIM", "l", "-100", "100"}), "OK");
  EXPECT_EQ(Range("l"), (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(Run({"LTRIM", "l", "2", "2"}), "OK");
  EXPECT_EQ(Range("l"), (Strings{"3"}));
  // An empty range empties the list, and an empty list is no key.
  EXPECT_EQ(Run({"LTRIM", "l", "1", "0"}), "OK");
  EXPECT_FALSE(Exists("l"));
  EXPECT_EQ(Run({"LTRIM", "missing", "0", "1"}), "OK");
  EXPECT_TRUE(IsError(Run({"LTRIM", "l", "x", "1"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"LTRIM", "str", "0", "1"}), kWrongType));
}

// --- LPOS -------------------------------------------------------------------------------------

TEST_F(ListFamilyTest, PosFindsMatches) {
  Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  EXPECT_EQ(Run({"LPOS", "l", "c"}), 2);
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "2"}), 6);
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1"}), 7);
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-3"}), 2);
  EXPECT_EQ(Wire({"LPOS", "l", "c", "RANK", "4"}), "$-1\r\n");
  EXPECT_EQ(Wire({"LPOS", "l", "zz"}), "$-1\r\n");
}

TEST_F(ListFamilyTest, PosWithCountAndMaxlen) {
  Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "2"}).size(), 2u);
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "2"})[1], 6);
  RespValue all = Run({"LPOS", "l", "c", "COUNT", "0"});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], 2);
  EXPECT_EQ(all[2], 7);
  RespValue from_tail = Run({"LPOS", "l", "c", "RANK", "-1", "COUNT", "2"});
  ASSERT_EQ(from_tail.size(), 2u);
  EXPECT_EQ(from_tail[0], 7);
  EXPECT_EQ(from_tail[1], 6);
  // MAXLEN bounds the elements looked at, from whichever end the search starts.
  EXPECT_EQ(Wire({"LPOS", "l", "c", "MAXLEN", "2"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "c", "MAXLEN", "3"}), 2);
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1", "COUNT", "0", "MAXLEN", "2"}).size(), 2u);
  EXPECT_EQ(Wire({"LPOS", "l", "zz", "COUNT", "1"}), "*0\r\n");
  EXPECT_EQ(Wire({"LPOS", "missing", "a", "COUNT", "1"}), "*0\r\n");
  EXPECT_EQ(Wire({"LPOS", "missing", "a"}), "$-1\r\n");
}

TEST_F(ListFamilyTest, PosMostNegativeRankSearchesTheWholeListFromTheTail) {
  // Redis 7.0 negates the rank without an overflow check: the search starts at the tail's first
  // match and COUNT stops limiting it.
  Run({"RPUSH", "l", "a", "b", "a", "c", "a", "a"});
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-9223372036854775808"}), 5);
  RespValue all = Run({"LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1"});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0], 5);
  EXPECT_EQ(all[3], 0);
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-9223372036854775808", "MAXLEN", "3"}), 5);
  EXPECT_EQ(Wire({"LPOS", "l", "a", "RANK", "-9223372036854775807"}), "$-1\r\n");
}

TEST_F(ListFamilyTest, PosErrors) {
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(ErrorStartsWith(Run({"LPOS", "l", "a", "RANK", "0"}), "ERR RANK can't be zero"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "COUNT", "-1"}), "ERR COUNT can't be negative"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "MAXLEN", "-1"}), "ERR MAXLEN can't be negative"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "RANK", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "FOO", "1"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "RANK"}), kSyntax));
  // Options are judged before the key's type.
  EXPECT_TRUE(ErrorStartsWith(Run({"LPOS", "str", "a", "RANK", "0"}), "ERR RANK"));
  EXPECT_TRUE(IsError(Run({"LPOS", "str", "a"}), kWrongType));
}

// --- LMOVE / RPOPLPUSH ------------------------------------------------------------------------

TEST_F(ListFamilyTest, MoveInEveryDirection) {
  Run({"RPUSH", "src", "1", "2", "3", "4"});
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "LEFT", "LEFT"}), "1");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "RIGHT", "RIGHT"}), "4");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "left", "right"}), "2");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "Right", "Left"}), "3");
  EXPECT_EQ(Range("dst"), (Strings{"3", "1", "4", "2"}));
  EXPECT_FALSE(Exists("src"));
  EXPECT_EQ(Wire({"LMOVE", "src", "dst", "LEFT", "LEFT"}), "$-1\r\n");
}

TEST_F(ListFamilyTest, MoveWithinOneListRotates) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LMOVE", "l", "l", "LEFT", "RIGHT"}), "a");
  EXPECT_EQ(Range("l"), (Strings{"b", "c", "a"}));
  EXPECT_EQ(Run({"RPOPLPUSH", "l", "l"}), "a");
  EXPECT_EQ(Range("l"), (Strings{"a", "b", "c"}));
  // A single element moved onto its own list stays.
  Run({"RPUSH", "one", "x"});
  EXPECT_EQ(Run({"LMOVE", "one", "one", "RIGHT", "LEFT"}), "x");
  EXPECT_EQ(Range("one"), (Strings{"x"}));
}

TEST_F(ListFamilyTest, RPopLPushMovesTailToHead) {
  Run({"RPUSH", "src", "a", "b"});
  Run({"RPUSH", "dst", "z"});
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "b");
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "a");
  EXPECT_EQ(Range("dst"), (Strings{"a", "b", "z"}));
  EXPECT_EQ(Wire({"RPOPLPUSH", "src", "dst"}), "$-1\r\n");
}

TEST_F(ListFamilyTest, MoveChecksBothTypesBeforeMoving) {
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(IsError(Run({"LMOVE", "l", "str", "LEFT", "LEFT"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"RPOPLPUSH", "l", "str"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"LMOVE", "str", "l", "LEFT", "LEFT"}), kWrongType));
  EXPECT_EQ(Range("l"), (Strings{"a"}));
  // A missing source answers nil whatever the destination holds.
  EXPECT_EQ(Wire({"LMOVE", "missing", "str", "LEFT", "LEFT"}), "$-1\r\n");
  EXPECT_TRUE(IsError(Run({"LMOVE", "l", "x", "UP", "LEFT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMOVE", "l", "x", "LEFT", "DOWN"}), kSyntax));
}

// --- LMPOP ------------------------------------------------------------------------------------

TEST_F(ListFamilyTest, MPopTakesFromTheFirstNonEmptyList) {
  Run({"RPUSH", "b", "1", "2", "3"});
  Run({"RPUSH", "c", "x"});
  RespValue r = Run({"LMPOP", "3", "a", "b", "c", "LEFT"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "b");
  EXPECT_EQ(r[1], (Strings{"1"}));
  r = Run({"LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "b");
  EXPECT_EQ(r[1], (Strings{"3", "2"}));
  EXPECT_FALSE(Exists("b"));
  EXPECT_EQ(Wire({"LMPOP", "2", "a", "b", "LEFT"}), "*-1\r\n");
  r = Run({"LMPOP", "1", "c", "left", "count", "1"});
  EXPECT_EQ(r[0], "c");
}

TEST_F(ListFamilyTest, MPopErrors) {
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(IsError(Run({"LMPOP", "0", "l", "LEFT"}), "ERR numkeys should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"LMPOP", "-1", "l", "LEFT"}), "ERR numkeys should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"LMPOP", "x", "l", "LEFT"}), "ERR numkeys should be greater than 0"));
  // More keys than arguments leaves no direction: a syntax error in Redis 7.0.
  EXPECT_TRUE(IsError(Run({"LMPOP", "2", "l", "LEFT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "5", "l", "LEFT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "99999999999", "l", "LEFT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "UP"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "FOO"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT", "0"}),
                      "ERR count should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT", "x"}),
                      "ERR count should be greater than 0"));
  // A key of another type before the first non-empty list is an error.
  EXPECT_TRUE(IsError(Run({"LMPOP", "2", "str", "l", "LEFT"}), kWrongType));
  EXPECT_EQ(Range("l"), (Strings{"a"}));
}

// --- Blocking commands where they need not block ----------------------------------------------

TEST_F(ListFamilyTest, BlockingFormsServeAtOnceWhenDataIsThere) {
  Run({"RPUSH", "b", "1", "2", "3", "4", "5"});
  EXPECT_EQ(Run({"BLPOP", "a", "b", "0"}), (Strings{"b", "1"}));
  EXPECT_EQ(Run({"BRPOP", "a", "b", "0"}), (Strings{"b", "5"}));
  EXPECT_EQ(Run({"BLMOVE", "b", "d", "LEFT", "RIGHT", "0"}), "2");
  EXPECT_EQ(Run({"BRPOPLPUSH", "b", "d", "0"}), "4");
  RespValue r = Run({"BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "3"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "b");
  EXPECT_EQ(r[1], (Strings{"3"}));
  EXPECT_EQ(Range("d"), (Strings{"4", "2"}));
  EXPECT_EQ(server_->blocking().blocked_count(), 0u);
}

TEST_F(ListFamilyTest, BlockingFormsInsideMultiAnswerLikeTheirNonBlockingForms) {
  Run({"MULTI"});
  for (auto cmd : {std::initializer_list<std::string_view>{"BLPOP", "q", "0"},
                   {"BRPOP", "q", "0"},
                   {"BLMOVE", "q", "d", "LEFT", "LEFT", "0"},
                   {"BRPOPLPUSH", "q", "d", "0"},
                   {"BLMPOP", "0", "1", "q", "LEFT"}}) {
    EXPECT_EQ(Run(cmd), "QUEUED");
  }
  // The pops give a nil array, the moves a nil bulk string.
  EXPECT_EQ(Wire({"EXEC"}), "*5\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n");
  EXPECT_EQ(server_->blocking().blocked_count(), 0u);
}

TEST_F(ListFamilyTest, BlockingArgumentErrors) {
  EXPECT_TRUE(IsError(Run({"BLPOP", "q", "x"}), "ERR timeout is not a float or out of range"));
  EXPECT_TRUE(IsError(Run({"BRPOP", "q", "-1"}), "ERR timeout is negative"));
  EXPECT_TRUE(IsError(Run({"BLMOVE", "q", "d", "UP", "LEFT", "0"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"BLMOVE", "q", "d", "LEFT", "LEFT", "x"}),
                      "ERR timeout is not a float or out of range"));
  EXPECT_TRUE(IsError(Run({"BRPOPLPUSH", "q", "d", "-1"}), "ERR timeout is negative"));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "x", "1", "q", "LEFT"}),
                      "ERR timeout is not a float or out of range"));
  EXPECT_TRUE(
      IsError(Run({"BLMPOP", "0", "0", "q", "LEFT"}), "ERR numkeys should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "0", "5", "q", "LEFT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "0", "1", "q", "LEFT", "COUNT", "0"}),
                      "ERR count should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"BLPOP", "str", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"BLPOP", "missing", "str", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "0", "1", "str", "LEFT"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"BLMOVE", "str", "d", "LEFT", "LEFT", "0"}), kWrongType));
  Run({"RPUSH", "l", "a"});
  EXPECT_TRUE(IsError(Run({"BLMOVE", "l", "str", "LEFT", "LEFT", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"BRPOPLPUSH", "l", "str", "0"}), kWrongType));
  EXPECT_EQ(Range("l"), (Strings{"a"}));
  EXPECT_EQ(server_->blocking().blocked_count(), 0u);
}

// --- Encoding, keyspace -----------------------------------------------------------------------

TEST_F(ListFamilyTest, EncodingIsQuicklistWhateverTheSize) {
  // Redis 7.0 has one list encoding: OBJECT ENCODING says quicklist for one short element as
  // for many long ones (listpack-encoded lists arrived in 7.2).
  Run({"RPUSH", "l", "a"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "l"}), "quicklist");
  for (int i = 0; i < 200; ++i) Run({"RPUSH", "l", std::string(64, 'x')});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "l"}), "quicklist");
  Run({"RPUSH", "big", std::string(9000, 'y')});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "quicklist");
  Run({"LTRIM", "l", "0", "0"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "l"}), "quicklist");
  EXPECT_TRUE(Run({"OBJECT", "ENCODING", "missing"}).is_null());
}

TEST_F(ListFamilyTest, LongListsKeepOrderAcrossNodes) {
  // Enough elements for many nodes, pushed from both ends and read back by index and range.
  for (int i = 0; i < 3000; ++i) {
    std::string v = std::to_string(i);
    Run({i % 2 == 0 ? "RPUSH" : "LPUSH", "l", v});
  }
  EXPECT_EQ(Run({"LLEN", "l"}), 3000);
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), "2999");
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), "2998");
  EXPECT_EQ(Run({"LINDEX", "l", "1500"}), "0");
  EXPECT_EQ(Run({"LRANGE", "l", "1499", "1501"}), (Strings{"1", "0", "2"}));
  EXPECT_EQ(Run({"LPOS", "l", "2", "COUNT", "0"}).size(), 1u);
  EXPECT_EQ(Run({"LREM", "l", "0", "1500"}), 1);
  EXPECT_EQ(Run({"LLEN", "l"}), 2999);
}

TEST_F(ListFamilyTest, OnlyRealChangesDisturbWatchers) {
  Run({"RPUSH", "l", "a", "b"});
  EXPECT_FALSE(WatchSurvives("l", {"RPUSH", "l", "c"}));
  EXPECT_FALSE(WatchSurvives("l", {"LSET", "l", "0", "a"}));
  EXPECT_FALSE(WatchSurvives("l", {"LTRIM", "l", "0", "-1"}));
  EXPECT_FALSE(WatchSurvives("dst", {"LMOVE", "l", "dst", "LEFT", "LEFT"}));
  EXPECT_TRUE(WatchSurvives("l", {"LREM", "l", "0", "zz"}));
  EXPECT_TRUE(WatchSurvives("l", {"LINSERT", "l", "BEFORE", "zz", "x"}));
  EXPECT_TRUE(WatchSurvives("l", {"LPOP", "l", "0"}));
  EXPECT_TRUE(WatchSurvives("l", {"LRANGE", "l", "0", "-1"}));
  EXPECT_TRUE(WatchSurvives("nope", {"LPUSHX", "nope", "a"}));
  EXPECT_TRUE(WatchSurvives("nope", {"LPOP", "nope"}));
  EXPECT_TRUE(WatchSurvives("nope", {"LMOVE", "nope", "dst", "LEFT", "LEFT"}));
  EXPECT_TRUE(WatchSurvives("nope", {"LMPOP", "1", "nope", "LEFT"}));
  EXPECT_TRUE(WatchSurvives("nope", {"LTRIM", "nope", "0", "1"}));
}

}  // namespace
}  // namespace sluice::testing
