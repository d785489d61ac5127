#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/commands/command_table.h"
#include "server/types/serialize.h"
#include "server/types/set.h"
#include "server/util/random.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using Strings = std::vector<std::string>;
using T = RespValue::Type;

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kSyntax = "ERR syntax error";

::testing::AssertionResult IsError(const RespValue& v, std::string_view text) {
  if (v.is_error() && v.str == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected error '" << text << "', got " << v;
}

Strings Sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

class SetFamilyTest : public ServerTest {
 protected:
  std::string Encoding(std::string_view key) { return Run({"OBJECT", "ENCODING", key}).str; }
  bool Exists(std::string_view key) { return server_->db(0).Find(key, Now()) != nullptr; }
  Strings Members(std::string_view key) { return Sorted(Run({"SMEMBERS", key}).Strings()); }
  // Adds the integers [first, first + n) to key.
  void FillInts(std::string_view key, int n, int first = 0) {
    std::vector<std::string> args = {"SADD", std::string(key)};
    for (int i = first; i < first + n; ++i) args.push_back(std::to_string(i));
    Run(client(), args);
  }
  // Adds the strings m<first> .. m<first + n - 1> to key.
  void FillStrings(std::string_view key, int n, int first = 0) {
    std::vector<std::string> args = {"SADD", std::string(key)};
    for (int i = first; i < first + n; ++i) args.push_back("m" + std::to_string(i));
    Run(client(), args);
  }
  bool WatchSurvives(std::string_view key, const std::vector<std::string>& command) {
    Session* other = NewClient();
    EXPECT_EQ(Run({"WATCH", key}), "OK");
    Run(other, command);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    return !Run({"EXEC"}).is_null();
  }
};

// --- SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS ----------------------------------

TEST_F(SetFamilyTest, SAddCountsNewMembers) {
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "a"}), 2);
  EXPECT_EQ(Run({"SADD", "s", "b", "c"}), 1);
  EXPECT_EQ(Run({"SADD", "s", "c"}), 0);
  EXPECT_EQ(Run({"SCARD", "s"}), 3);
  EXPECT_EQ(Members("s"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Run({"TYPE", "s"}), "set");
}

TEST_F(SetFamilyTest, SRemCountsRemovedMembersAndDropsTheEmptySet) {
  Run({"SADD", "s", "a", "b", "c", "1"});
  EXPECT_EQ(Run({"SREM", "s", "a", "zz", "a"}), 1);
  EXPECT_EQ(Run({"SREM", "s", "zz"}), 0);
  EXPECT_EQ(Run({"SREM", "missing", "a"}), 0);
  EXPECT_EQ(Run({"SREM", "s", "b", "c", "1"}), 3);
  EXPECT_FALSE(Exists("s"));
  FillInts("i", 3);
  EXPECT_EQ(Run({"SREM", "i", "0", "1", "2", "x", "007"}), 3);
  EXPECT_FALSE(Exists("i"));
}

TEST_F(SetFamilyTest, MembershipQueries) {
  Run({"SADD", "s", "a", "", std::string("\0b", 2), "5"});
  EXPECT_EQ(Run({"SISMEMBER", "s", "a"}), 1);
  EXPECT_EQ(Run({"SISMEMBER", "s", ""}), 1);
  EXPECT_EQ(Run({"SISMEMBER", "s", std::string("\0b", 2)}), 1);
  EXPECT_EQ(Run({"SISMEMBER", "s", "zz"}), 0);
  EXPECT_EQ(Run({"SISMEMBER", "missing", "a"}), 0);
  RespValue m = Run({"SMISMEMBER", "s", "a", "zz", "5", "05"});
  EXPECT_EQ(m.ToString(), "[(integer) 1, (integer) 0, (integer) 1, (integer) 0]");
  EXPECT_EQ(Run({"SMISMEMBER", "missing", "a", "b"}).ToString(), "[(integer) 0, (integer) 0]");
  EXPECT_EQ(Run({"SCARD", "missing"}), 0);
  EXPECT_EQ(Run({"SMEMBERS", "missing"}), Strings{});
}

TEST_F(SetFamilyTest, IntsetMembershipNeedsCanonicalIntegers) {
  Run({"SADD", "i", "5", "-3", "0"});
  ASSERT_EQ(Encoding("i"), "intset");
  EXPECT_EQ(Run({"SISMEMBER", "i", "5"}), 1);
  for (const char* spelling : {"05", "+5", " 5", "5 ", "-0", "5.0", "x", ""}) {
    EXPECT_EQ(Run({"SISMEMBER", "i", spelling}), 0) << spelling;
    EXPECT_EQ(Run({"SREM", "i", spelling}), 0) << spelling;
  }
  EXPECT_EQ(Run({"SCARD", "i"}), 3);
}

TEST_F(SetFamilyTest, EveryCommandRefusesOtherTypes) {
  Run({"SET", "str", "v"});
  Run({"SADD", "s", "a"});
  const std::vector<std::vector<std::string>> commands = {
      {"SADD", "str", "a"},
      {"SREM", "str", "a"},
      {"SCARD", "str"},
      {"SMEMBERS", "str"},
      {"SISMEMBER", "str", "a"},
      {"SMISMEMBER", "str", "a"},
      {"SPOP", "str"},
      {"SPOP", "str", "2"},
      {"SRANDMEMBER", "str"},
      {"SRANDMEMBER", "str", "2"},
      {"SMOVE", "str", "s", "a"},
      {"SMOVE", "s", "str", "a"},
      {"SINTER", "s", "str"},
      {"SINTER", "missing", "str"},
      {"SINTERCARD", "2", "missing", "str"},
      {"SUNION", "missing", "str"},
      {"SDIFF", "missing", "str"},
      {"SDIFF", "s", "str"},
      {"SINTERSTORE", "d", "missing", "str"},
      {"SUNIONSTORE", "d", "s", "str"},
      {"SDIFFSTORE", "d", "s", "str"},
      {"SSCAN", "str", "0"},
  };
  for (const auto& command : commands) {
    EXPECT_TRUE(IsError(Run(client(), command), kWrongType)) << command[0] << " " << command[1];
  }
  EXPECT_EQ(Run({"GET", "str"}), "v");
  EXPECT_FALSE(Exists("d"));
  EXPECT_EQ(Members("s"), (Strings{"a"}));
}

TEST_F(SetFamilyTest, Resp3RepliesWithSets) {
  Run({"HELLO", "3"});
  Run({"SADD", "a", "1", "2"});
  Run({"SADD", "b", "2", "3"});
  for (const auto& command : std::vector<std::vector<std::string>>{{"SMEMBERS", "a"},
                                                                   {"SMEMBERS", "missing"},
                                                                   {"SINTER", "a", "b"},
                                                                   {"SINTER", "a", "missing"},
                                                                   {"SUNION", "a", "b"},
                                                                   {"SDIFF", "a", "b"},
                                                                   {"SPOP", "missing", "2"},
                                                                   {"SPOP", "a", "0"}}) {
    EXPECT_EQ(Run(client(), command).type, T::kSet) << command[0];
  }
  EXPECT_EQ(Run({"SMEMBERS", "a"}).ToString(), Run({"SMEMBERS", "a"}).ToString());
  EXPECT_EQ(Run({"SRANDMEMBER", "a", "5"}).type, T::kArray);
  EXPECT_EQ(Run({"SMISMEMBER", "a", "1"}).type, T::kArray);
  EXPECT_TRUE(Run({"SPOP", "missing"}).is_null());
  RespValue popped = Run({"SPOP", "a", "5"});
  EXPECT_EQ(popped.type, T::kSet);
  EXPECT_EQ(popped.size(), 2u);
}

// --- Encodings -----------------------------------------------------------------------------------

TEST_F(SetFamilyTest, IntegersStayAnIntsetInOrder) {
  Run({"SADD", "i", "5", "-3", "100", "0", "9223372036854775807", "-9223372036854775808"});
  EXPECT_EQ(Encoding("i"), "intset");
  EXPECT_EQ(Run({"SMEMBERS", "i"}),
            (Strings{"-9223372036854775808", "-3", "0", "5", "100", "9223372036854775807"}));
}

TEST_F(SetFamilyTest, NonIntegersConvertToHashtable) {
  for (const char* member : {"a", "007", "-0", " 1", "9223372036854775808", "1.0", ""}) {
    Run({"DEL", "i"});
    Run({"SADD", "i", "1", member});
    EXPECT_EQ(Encoding("i"), "hashtable") << member;
    EXPECT_EQ(Run({"SISMEMBER", "i", "1"}), 1);
    EXPECT_EQ(Run({"SISMEMBER", "i", member}), 1) << member;
  }
  Run({"DEL", "i"});
  Run({"SADD", "i", "1", "2", "a"});
  Run({"SREM", "i", "a"});
  EXPECT_EQ(Encoding("i"), "hashtable") << "never converts back";
}

TEST_F(SetFamilyTest, TooManyIntegersConvertToHashtable) {
  FillInts("i", 512);
  EXPECT_EQ(Encoding("i"), "intset");
  FillInts("i", 1, 512);
  EXPECT_EQ(Encoding("i"), "hashtable");
  EXPECT_EQ(Run({"SCARD", "i"}), 513);
  EXPECT_EQ(Run({"SISMEMBER", "i", "512"}), 1);
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-intset-entries", "3"}), "OK");
  Run({"SADD", "j", "1", "2", "3"});
  EXPECT_EQ(Encoding("j"), "intset");
  Run({"SADD", "j", "4"});
  EXPECT_EQ(Encoding("j"), "hashtable");
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-intset-entries", "0"}), "OK");
  Run({"SADD", "k", "1"});
  EXPECT_EQ(Encoding("k"), "hashtable");
}

TEST_F(SetFamilyTest, ComputedSetsTakeTheirOwnEncoding) {
  Run({"CONFIG", "SET", "set-max-intset-entries", "4"});
  FillInts("big", 6);
  ASSERT_EQ(Encoding("big"), "hashtable");
  Run({"SREM", "big", "4", "5"});
  ASSERT_EQ(Encoding("big"), "hashtable");
  EXPECT_EQ(Run({"SUNIONSTORE", "out", "big"}), 4);
  EXPECT_EQ(Encoding("out"), "intset");
  EXPECT_EQ(Run({"SINTERSTORE", "out", "big", "big"}), 4);
  EXPECT_EQ(Encoding("out"), "intset");
  EXPECT_EQ(Run({"SDIFFSTORE", "out", "big", "missing"}), 4);
  EXPECT_EQ(Encoding("out"), "intset");
  Run({"SADD", "more", "9", "10"});
  EXPECT_EQ(Run({"SUNIONSTORE", "out", "big", "more"}), 6);
  EXPECT_EQ(Encoding("out"), "hashtable");
  Run({"SADD", "words", "x", "1"});
  EXPECT_EQ(Run({"SMOVE", "words", "fresh", "1"}), 1);
  EXPECT_EQ(Encoding("fresh"), "intset");
  EXPECT_EQ(Run({"SMOVE", "words", "fresh", "x"}), 1);
  EXPECT_EQ(Encoding("fresh"), "hashtable");
}

TEST_F(SetFamilyTest, SPopOfMostMembersRebuildsTheSurvivors) {
  Run({"CONFIG", "SET", "set-max-intset-entries", "8"});
  FillInts("s", 20);
  ASSERT_EQ(Encoding("s"), "hashtable");
  RespValue popped = Run({"SPOP", "s", "18"});
  EXPECT_EQ(popped.size(), 18u);
  EXPECT_EQ(Run({"SCARD", "s"}), 2);
  EXPECT_EQ(Encoding("s"), "intset");
  std::set<std::string> all;
  for (const auto& e : popped.elements) all.insert(e.str);
  for (const std::string& m : Run({"SMEMBERS", "s"}).Strings()) all.insert(m);
  EXPECT_EQ(all.size(), 20u) << "popped and remaining members partition the set";
  // Popping a few leaves the encoding alone.
  FillInts("t", 20);
  EXPECT_EQ(Run({"SPOP", "t", "2"}).size(), 2u);
  EXPECT_EQ(Encoding("t"), "hashtable");
}

// --- SPOP --------------------------------------------------------------------------------------

TEST_F(SetFamilyTest, SPopRemovesWhatItReturns) {
  for (std::string key : {"ints", "strs"}) {
    if (key == "ints") {
      FillInts(key, 1000);
    } else {
      FillStrings(key, 1000);
    }
    std::set<std::string> popped;
    RespValue one = Run({"SPOP", key});
    ASSERT_EQ(one.type, T::kBulk);
    popped.insert(one.str);
    for (int count : {1, 10, 200, 500}) {
      RespValue r = Run({"SPOP", key, std::to_string(count)});
      ASSERT_EQ(r.size(), static_cast<size_t>(count)) << key;
      for (const auto& e : r.elements) EXPECT_TRUE(popped.insert(e.str).second) << e.str;
    }
    EXPECT_EQ(Run({"SCARD", key}), 1000 - static_cast<int64_t>(popped.size()));
    for (const std::string& m : Run({"SMEMBERS", key}).Strings()) {
      EXPECT_FALSE(popped.count(m)) << m;
    }
    RespValue rest = Run({"SPOP", key, "1000"});
    EXPECT_EQ(rest.size() + popped.size(), 1000u);
    EXPECT_FALSE(Exists(key));
  }
}

TEST_F(SetFamilyTest, SPopEdgeCases) {
  EXPECT_TRUE(Run({"SPOP", "missing"}).is_null());
  EXPECT_EQ(Run({"SPOP", "missing", "3"}), Strings{});
  Run({"SADD", "s", "1", "2", "3"});
  EXPECT_EQ(Run({"SPOP", "s", "0"}), Strings{});
  EXPECT_EQ(Run({"SCARD", "s"}), 3);
  EXPECT_EQ(Run({"SPOP", "s", "3"}), (Strings{"1", "2", "3"})) << "a whole intset, in order";
  EXPECT_FALSE(Exists("s"));
  Run({"SADD", "one", "x"});
  EXPECT_EQ(Run({"SPOP", "one"}), "x");
  EXPECT_FALSE(Exists("one"));
  constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
  Run({"SADD", "s", "1"});
  for (const char* count : {"-1", "x", "1.5", "-9223372036854775808"}) {
    EXPECT_TRUE(IsError(Run({"SPOP", "s", count}), kNotPositive)) << count;
  }
  EXPECT_TRUE(IsError(Run({"SPOP", "s", "1", "2"}), kSyntax));
  Run({"SET", "str", "v"});
  EXPECT_TRUE(IsError(Run({"SPOP", "str", "-1"}), kNotPositive)) << "count before type";
  EXPECT_EQ(Run({"SCARD", "s"}), 1);
}

// --- SRANDMEMBER ---------------------------------------------------------------------------------

TEST_F(SetFamilyTest, SRandMemberWithoutCount) {
  EXPECT_TRUE(Run({"SRANDMEMBER", "missing"}).is_null());
  Run({"SADD", "s", "a", "b", "c"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(Run({"SRANDMEMBER", "s"}).str);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
  FillInts("i", 10);
  seen.clear();
  for (int i = 0; i < 500; ++i) seen.insert(Run({"SRANDMEMBER", "i"}).str);
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(Run({"SCARD", "i"}), 10);
}

TEST_F(SetFamilyTest, SRandMemberPositiveCountGivesDistinctMembers) {
  FillInts("ints", 300);
  FillStrings("strs", 300);
  for (std::string key : {"ints", "strs"}) {
    for (int count : {1, 5, 99, 100, 101, 250, 299}) {
      RespValue r = Run({"SRANDMEMBER", key, std::to_string(count)});
      ASSERT_EQ(r.size(), static_cast<size_t>(count)) << key;
      std::set<std::string> distinct;
      for (const auto& e : r.elements) {
        EXPECT_EQ(Run({"SISMEMBER", key, e.str}), 1) << e.str;
        distinct.insert(e.str);
      }
      EXPECT_EQ(distinct.size(), static_cast<size_t>(count)) << key << " " << count;
    }
    EXPECT_EQ(Sorted(Run({"SRANDMEMBER", key, "300"}).Strings()), Members(key));
    EXPECT_EQ(Run({"SRANDMEMBER", key, "100000"}).size(), 300u);
    EXPECT_EQ(Run({"SCARD", key}), 300);
  }
  Run({"SADD", "small", "3", "1", "2"});
  EXPECT_EQ(Run({"SRANDMEMBER", "small", "5"}), (Strings{"1", "2", "3"}));
}

TEST_F(SetFamilyTest, SRandMemberNegativeCountMayRepeat) {
  Run({"SADD", "s", "a", "b"});
  RespValue r = Run({"SRANDMEMBER", "s", "-100"});
  ASSERT_EQ(r.size(), 100u);
  std::set<std::string> seen;
  for (const auto& e : r.elements) seen.insert(e.str);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));
  Run({"SADD", "one", "7"});
  EXPECT_EQ(Run({"SRANDMEMBER", "one", "-3"}), (Strings{"7", "7", "7"}));
  EXPECT_EQ(Run({"SRANDMEMBER", "missing", "-3"}), Strings{});
}

TEST_F(SetFamilyTest, SRandMemberErrors) {
  Run({"SADD", "s", "a"});
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "0"}), Strings{});
  EXPECT_TRUE(IsError(Run({"SRANDMEMBER", "s", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"SRANDMEMBER", "s", "1", "2"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"SRANDMEMBER", "s", "-9223372036854775808"}),
                      "ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"));
  Run({"SET", "str", "v"});
  EXPECT_TRUE(IsError(Run({"SRANDMEMBER", "str", "x"}), kNotInteger)) << "count before type";
  EXPECT_TRUE(IsError(Run({"SRANDMEMBER", "missing", "x"}), kNotInteger));
}

// --- SMOVE ---------------------------------------------------------------------------------------

TEST_F(SetFamilyTest, SMoveMovesOneMember) {
  Run({"SADD", "src", "a", "b"});
  Run({"SADD", "dst", "a", "c"});
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "a"}), 1);
  EXPECT_EQ(Members("src"), (Strings{"b"}));
  EXPECT_EQ(Members("dst"), (Strings{"a", "c"}));
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "zz"}), 0);
  EXPECT_EQ(Run({"SMOVE", "src", "new", "b"}), 1);
  EXPECT_FALSE(Exists("src"));
  EXPECT_EQ(Members("new"), (Strings{"b"}));
  EXPECT_EQ(Run({"SMOVE", "missing", "dst", "a"}), 0);
}

TEST_F(SetFamilyTest, SMoveOntoItself) {
  Run({"SADD", "s", "a"});
  EXPECT_EQ(Run({"SMOVE", "s", "s", "a"}), 1);
  EXPECT_EQ(Run({"SMOVE", "s", "s", "zz"}), 0);
  EXPECT_EQ(Members("s"), (Strings{"a"}));
}

TEST_F(SetFamilyTest, SMoveTypeChecks) {
  Run({"SET", "str", "v"});
  Run({"SADD", "s", "a"});
  // A missing source answers 0 before the destination's type is looked at.
  EXPECT_EQ(Run({"SMOVE", "missing", "str", "a"}), 0);
  EXPECT_TRUE(IsError(Run({"SMOVE", "s", "str", "zz"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"SMOVE", "s", "str", "a"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"SMOVE", "str", "s", "a"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"SMOVE", "str", "str", "a"}), kWrongType));
  EXPECT_EQ(Members("s"), (Strings{"a"}));
}

// --- SINTER / SINTERSTORE / SINTERCARD ------------------------------------------------------

TEST_F(SetFamilyTest, SInter) {
  Run({"SADD", "a", "1", "2", "3", "4", "5"});
  Run({"SADD", "b", "2", "3", "4", "6"});
  Run({"SADD", "c", "3", "4", "7", "x"});
  EXPECT_EQ(Run({"SINTER", "a", "b"}), (Strings{"2", "3", "4"}));
  EXPECT_EQ(Sorted(Run({"SINTER", "c", "a", "b"}).Strings()), (Strings{"3", "4"}));
  EXPECT_EQ(Run({"SINTER", "a"}), (Strings{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(Run({"SINTER", "a", "a"}), (Strings{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(Run({"SINTER", "a", "missing"}), Strings{});
  EXPECT_EQ(Run({"SINTER", "missing", "a"}), Strings{});
}

TEST_F(SetFamilyTest, SInterStoreReplacesOrDeletesTheDestination) {
  Run({"SADD", "a", "1", "2", "3"});
  Run({"SADD", "b", "2", "3", "4"});
  Run({"SET", "out", "v", "EX", "100"});
  EXPECT_EQ(Run({"SINTERSTORE", "out", "a", "b"}), 2);
  EXPECT_EQ(Run({"TYPE", "out"}), "set");
  EXPECT_EQ(Run({"TTL", "out"}), -1);
  EXPECT_EQ(Run({"SMEMBERS", "out"}), (Strings{"2", "3"}));
  EXPECT_EQ(Run({"SINTERSTORE", "out", "a", "missing"}), 0);
  EXPECT_FALSE(Exists("out"));
  EXPECT_EQ(Run({"SINTERSTORE", "a", "a", "b"}), 2) << "the destination may be a source";
  EXPECT_EQ(Run({"SMEMBERS", "a"}), (Strings{"2", "3"}));
  Run({"SET", "str", "v"});
  EXPECT_EQ(Run({"SINTERSTORE", "str", "a"}), 2) << "any type is overwritten";
  EXPECT_EQ(Run({"TYPE", "str"}), "set");
}

TEST_F(SetFamilyTest, SInterCard) {
  Run({"SADD", "a", "1", "2", "3", "4", "5"});
  Run({"SADD", "b", "2", "3", "4", "6"});
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b"}), 3);
  EXPECT_EQ(Run({"SINTERCARD", "1", "a"}), 5);
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "missing"}), 0);
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}), 2);
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "0"}), 3);
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "limit", "100"}), 3);
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "4"}), 4);
}

TEST_F(SetFamilyTest, SInterCardErrors) {
  Run({"SADD", "a", "1"});
  Run({"SET", "str", "v"});
  constexpr std::string_view kNumkeys = "ERR numkeys should be greater than 0";
  constexpr std::string_view kTooMany = "ERR Number of keys can't be greater than number of args";
  constexpr std::string_view kLimit = "ERR LIMIT can't be negative";
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "0", "a"}), kNumkeys));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "-1", "a"}), kNumkeys));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "x", "a"}), kNumkeys));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "2", "a"}), kTooMany));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "9223372036854775807", "a"}), kTooMany));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "a", "LIMIT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "a", "LIMIT", "-1"}), kLimit));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "a", "LIMIT", "x"}), kLimit));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "a", "b"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "a", "FOO", "1"}), kSyntax));
  // Options are checked before types.
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "str", "LIMIT", "x"}), kLimit));
  EXPECT_TRUE(IsError(Run({"SINTERCARD", "1", "str"}), kWrongType));
  EXPECT_TRUE(
      IsError(Run({"SINTERCARD", "1"}), "ERR wrong number of arguments for 'sintercard' command"));
}

TEST_F(SetFamilyTest, SInterCardKeysComeFromNumkeys) {
  const CommandSpec* spec = server_->commands().Find("sintercard");
  ASSERT_NE(spec, nullptr);
  std::vector<std::string_view> args = {"SINTERCARD", "2", "a", "b", "LIMIT", "1"};
  std::vector<size_t> positions;
  spec->KeyPositions(args, &positions);
  EXPECT_EQ(positions, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"}),
            (Strings{"a", "b"}));
}

// --- SUNION / SDIFF and their STORE forms ---------------------------------------------------

TEST_F(SetFamilyTest, SUnion) {
  Run({"SADD", "a", "3", "1"});
  Run({"SADD", "b", "2", "3"});
  Run({"SADD", "c", "x"});
  EXPECT_EQ(Run({"SUNION", "a", "b"}), (Strings{"1", "2", "3"}));
  EXPECT_EQ(Run({"SUNION", "a", "missing"}), (Strings{"1", "3"}));
  EXPECT_EQ(Run({"SUNION", "missing"}), Strings{});
  EXPECT_EQ(Sorted(Run({"SUNION", "a", "b", "c"}).Strings()), (Strings{"1", "2", "3", "x"}));
  EXPECT_EQ(Run({"SUNIONSTORE", "out", "a", "b", "c"}), 4);
  EXPECT_EQ(Members("out"), (Strings{"1", "2", "3", "x"}));
  EXPECT_EQ(Run({"SUNIONSTORE", "out", "missing", "missing2"}), 0);
  EXPECT_FALSE(Exists("out"));
  EXPECT_EQ(Run({"SUNIONSTORE", "a", "a", "c"}), 3);
  EXPECT_EQ(Members("a"), (Strings{"1", "3", "x"}));
}

TEST_F(SetFamilyTest, SDiff) {
  Run({"SADD", "a", "1", "2", "3", "4"});
  Run({"SADD", "b", "2"});
  Run({"SADD", "c", "4", "x"});
  EXPECT_EQ(Run({"SDIFF", "a", "b", "c"}), (Strings{"1", "3"}));
  EXPECT_EQ(Run({"SDIFF", "a", "missing"}), (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(Run({"SDIFF", "missing", "a"}), Strings{});
  EXPECT_EQ(Run({"SDIFF", "a", "a"}), Strings{});
  EXPECT_EQ(Run({"SDIFF", "c", "a"}), (Strings{"x"}));
  EXPECT_EQ(Run({"SDIFFSTORE", "out", "a", "b", "c"}), 2);
  EXPECT_EQ(Run({"SMEMBERS", "out"}), (Strings{"1", "3"}));
  EXPECT_EQ(Run({"SDIFFSTORE", "out", "a", "a"}), 0);
  EXPECT_FALSE(Exists("out"));
  EXPECT_EQ(Run({"SDIFFSTORE", "b", "b", "a"}), 0);
  EXPECT_FALSE(Exists("b"));
}

TEST_F(SetFamilyTest, AlgebraOnLargeSets) {
  FillStrings("a", 3000);
  FillStrings("b", 3000, 1500);
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b"}), 1500);
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "10"}), 10);
  EXPECT_EQ(Run({"SINTER", "a", "b"}).size(), 1500u);
  EXPECT_EQ(Run({"SUNIONSTORE", "u", "a", "b"}), 4500);
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "a", "b"}), 1500);
  EXPECT_EQ(Run({"SISMEMBER", "d", "m0"}), 1);
  EXPECT_EQ(Run({"SISMEMBER", "d", "m1500"}), 0);
}

// --- SSCAN ---------------------------------------------------------------------------------------

TEST_F(SetFamilyTest, SScanReturnsIntsetsWhole) {
  Run({"SADD", "i", "10", "2", "33"});
  EXPECT_EQ(Run({"SSCAN", "i", "0"}).ToString(), R"(["0", ["2", "10", "33"]])");
  EXPECT_EQ(Run({"SSCAN", "i", "77", "COUNT", "1"}).ToString(), R"(["0", ["2", "10", "33"]])");
  EXPECT_EQ(Run({"SSCAN", "i", "0", "MATCH", "3*"}).ToString(), R"(["0", ["33"]])");
  EXPECT_EQ(Run({"SSCAN", "missing", "0"}).ToString(), R"(["0", []])");
}

TEST_F(SetFamilyTest, SScanErrors) {
  Run({"SADD", "s", "a"});
  for (const char* cursor : {"x", " 1", "1x", "18446744073709551616"}) {
    EXPECT_TRUE(IsError(Run({"SSCAN", "s", cursor}), "ERR invalid cursor")) << cursor;
  }
  EXPECT_TRUE(IsError(Run({"SSCAN", "s", "0", "COUNT", "0"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"SSCAN", "s", "0", "COUNT", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"SSCAN", "s", "0", "MATCH"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"SSCAN", "s", "0", "TYPE", "set"}), kSyntax));
  Run({"SET", "str", "v"});
  EXPECT_TRUE(IsError(Run({"SSCAN", "str", "0", "COUNT", "0"}), kWrongType));
  EXPECT_EQ(Run({"SSCAN", "missing", "0", "COUNT", "0"}).ToString(), R"(["0", []])");
}

TEST_F(SetFamilyTest, SScanCoversStableMembersWhileTheSetChanges) {
  FillStrings("s", 800);
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int step = 0;
  do {
    RespValue r = Run({"SSCAN", "s", cursor, "COUNT", "15"});
    cursor = r[0].str;
    for (const auto& e : r[1].elements) seen.insert(e.str);
    ++step;
    if (step == 2) FillStrings("s", 6000, 10000);
    if (step == 10) {
      std::vector<std::string> args = {"SREM", "s"};
      for (int i = 10000; i < 16000; ++i) args.push_back("m" + std::to_string(i));
      Run(client(), args);
    }
  } while (cursor != "0");
  for (int i = 0; i < 800; ++i) {
    EXPECT_GE(seen.count("m" + std::to_string(i)), 1u) << "m" << i << " missed";
  }
  // Without changes a walk returns each member exactly once.
  seen.clear();
  cursor = "0";
  do {
    RespValue r = Run({"SSCAN", "s", cursor});
    cursor = r[0].str;
    for (const auto& e : r[1].elements) seen.insert(e.str);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 800u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 800u);
}

// --- DUMP / RESTORE ----------------------------------------------------------------------------

TEST_F(SetFamilyTest, DumpRestoreRoundTripsBothEncodings) {
  FillInts("ints", 100);
  FillStrings("strs", 700);
  Run({"SADD", "strs", "", std::string("\0\r\n", 3)});
  for (std::string key : {"ints", "strs"}) {
    std::string payload = Run({"DUMP", key}).str;
    ASSERT_FALSE(payload.empty());
    EXPECT_EQ(Run({"RESTORE", key + "2", "0", payload}), "OK");
    EXPECT_EQ(Encoding(key + "2"), Encoding(key));
    EXPECT_EQ(Members(key + "2"), Members(key)) << key;
  }
}

TEST_F(SetFamilyTest, RestoreRebuildsTheIntsetEncoding) {
  Run({"SADD", "s", "1", "2", "x"});
  Run({"SREM", "s", "x"});
  ASSERT_EQ(Encoding("s"), "hashtable");
  EXPECT_EQ(Run({"RESTORE", "back", "0", Run({"DUMP", "s"}).str}), "OK");
  EXPECT_EQ(Encoding("back"), "intset");
  EXPECT_EQ(Run({"SMEMBERS", "back"}), (Strings{"1", "2"}));
}

TEST_F(SetFamilyTest, LoadRefusesEmptyAndDuplicateBodies) {
  auto load = [](const std::string& body) {
    PayloadReader in(body);
    Object out;
    return LoadSet(in, &out) && in.at_end();
  };
  std::string body;
  PayloadWriter w(&body);
  w.PutVarint(2);
  w.PutString("a");
  w.PutString("1");
  EXPECT_TRUE(load(body));
  EXPECT_FALSE(load(std::string(1, '\0'))) << "empty set";
  EXPECT_FALSE(load(body.substr(0, body.size() - 1))) << "truncated";
  std::string dup;
  PayloadWriter d(&dup);
  d.PutVarint(2);
  d.PutString("7");
  d.PutString("7");
  EXPECT_FALSE(load(dup)) << "repeated member";
}

// --- WATCH and keyspace events ------------------------------------------------------------------

TEST_F(SetFamilyTest, OnlyRealChangesDisturbWatchers) {
  Run({"SADD", "s", "a"});
  EXPECT_TRUE(WatchSurvives("s", {"SADD", "s", "a"}));
  EXPECT_FALSE(WatchSurvives("s", {"SADD", "s", "b"}));
  EXPECT_TRUE(WatchSurvives("s", {"SREM", "s", "zz"}));
  EXPECT_TRUE(WatchSurvives("s", {"SMOVE", "s", "s", "a"}));
  EXPECT_TRUE(WatchSurvives("s", {"SMOVE", "s", "other", "zz"}));
  EXPECT_FALSE(WatchSurvives("s", {"SMOVE", "s", "other", "b"}));
  EXPECT_TRUE(WatchSurvives("s", {"SPOP", "s", "0"}));
  EXPECT_TRUE(WatchSurvives("out", {"SINTERSTORE", "out", "s", "missing"}));
  EXPECT_FALSE(WatchSurvives("out", {"SINTERSTORE", "out", "s"}));
  EXPECT_FALSE(WatchSurvives("out", {"SINTERSTORE", "out", "s", "missing"}));
}

TEST_F(SetFamilyTest, KeyspaceEvents) {
  Session* sub = NewClient();
  Run(sub, {"PSUBSCRIBE", "__keyevent@0__:*"});
  TakeReplies(sub);
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Egs"}), "OK");
  auto events = [&]() {
    Strings out;
    for (const RespValue& v : TakeReplies(sub)) {
      std::string channel = v[2].str;
      out.push_back(channel.substr(channel.find(':') + 1) + " " + v[3].str);
    }
    return out;
  };
  Run({"SADD", "s", "a", "b", "c"});
  Run({"SADD", "s", "a"});
  Run({"SREM", "s", "zz"});
  Run({"SREM", "s", "c"});
  EXPECT_EQ(events(), (Strings{"sadd s", "srem s"}));
  Run({"SMOVE", "s", "t", "a"});
  Run({"SMOVE", "s", "t", "b"});
  EXPECT_EQ(events(), (Strings{"srem s", "sadd t", "srem s", "del s", "sadd t"}));
  Run({"SINTERSTORE", "u", "t"});
  Run({"SUNIONSTORE", "u", "t"});
  Run({"SDIFFSTORE", "u", "t", "t"});
  Run({"SDIFFSTORE", "u", "t", "t"});
  EXPECT_EQ(events(), (Strings{"sinterstore u", "sunionstore u", "del u"}));
  Run({"SPOP", "t"});
  Run({"SPOP", "t", "5"});
  EXPECT_EQ(events(), (Strings{"spop t", "spop t", "del t"}));
}

}  // namespace
}  // namespace sluice::testing
