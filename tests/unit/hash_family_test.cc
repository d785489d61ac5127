#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/types/hash.h"
#include "server/types/serialize.h"
#include "server/util/random.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using Strings = std::vector<std::string>;
using T = RespValue::Type;

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kNotFloat = "ERR value is not a valid float";
constexpr std::string_view kSyntax = "ERR syntax error";

// An error reply with exactly this text.
::testing::AssertionResult IsError(const RespValue& v, std::string_view text) {
  if (v.is_error() && v.str == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected error '" << text << "', got " << v;
}

Strings Sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

class HashFamilyTest : public ServerTest {
 protected:
  void SetConfig(std::string_view name, std::string_view value) {
    std::string error;
    ASSERT_TRUE(config_.Set(name, value, false, &error)) << error;
  }
  std::string Encoding(std::string_view key) { return Run({"OBJECT", "ENCODING", key}).str; }
  bool Exists(std::string_view key) { return server_->db(0).Find(key, Now()) != nullptr; }
  // Fills key with fields f0..f<n-1> whose values are v0..v<n-1>.
  void Fill(std::string_view key, int n, int first = 0) {
    for (int i = first; i < first + n; ++i) {
      Run({"HSET", key, "f" + std::to_string(i), "v" + std::to_string(i)});
    }
  }
  // WATCHes key, runs the command from another client, and tells whether the watcher's
  // transaction still executes.
  bool WatchSurvives(std::string_view key, const std::vector<std::string>& command) {
    Session* other = NewClient();
    EXPECT_EQ(Run({"WATCH", key}), "OK");
    Run(other, command);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    return !Run({"EXEC"}).is_null();
  }
  // Every field a complete HSCAN walk returns (with repeats), checking that values follow fields.
  Strings ScanAll(std::string_view key, std::string_view count = "10") {
    Strings fields;
    std::string cursor = "0";
    do {
      RespValue r = Run({"HSCAN", key, cursor, "COUNT", count});
      EXPECT_EQ(r.size(), 2u) << r;
      cursor = r[0].str;
      for (size_t i = 0; i + 1 < r[1].size(); i += 2) {
        EXPECT_EQ("v" + r[1][i].str.substr(1), r[1][i + 1].str);
        fields.push_back(r[1][i].str);
      }
    } while (cursor != "0");
    return fields;
  }
};

// --- HSET / HMSET / HSETNX / HGET / HMGET ------------------------------------------------------

TEST_F(HashFamilyTest, HSetCountsOnlyNewFields) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), 2);
  EXPECT_EQ(Run({"HSET", "h", "a", "10", "c", "3"}), 1);
  EXPECT_EQ(Run({"HSET", "h", "c", "30", "c", "31"}), 0);
  EXPECT_EQ(Run({"HGET", "h", "a"}), "10");
  EXPECT_EQ(Run({"HGET", "h", "c"}), "31");
  EXPECT_TRUE(Run({"HGET", "h", "zz"}).is_null());
  EXPECT_TRUE(Run({"HGET", "missing", "a"}).is_null());
  EXPECT_EQ(Run({"TYPE", "h"}), "hash");
}

TEST_F(HashFamilyTest, BinaryFieldsAndValues) {
  std::string field("\0f\r\n", 4);
  std::string value("\0\xff", 2);
  EXPECT_EQ(Run({"HSET", "h", field, value, "", ""}), 2);
  EXPECT_EQ(Run({"HGET", "h", field}), value);
  EXPECT_EQ(Run({"HGET", "h", ""}), "");
  EXPECT_EQ(Run({"HSTRLEN", "h", field}), 2);
}

TEST_F(HashFamilyTest, HMSetRepliesOk) {
  EXPECT_EQ(Run({"HMSET", "h", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Run({"HMGET", "h", "a", "zz", "b"}).ToString(), R"(["1", (nil), "2"])");
  EXPECT_EQ(Run({"HMGET", "missing", "a", "b"}).ToString(), R"([(nil), (nil)])");
}

TEST_F(HashFamilyTest, UnpairedArgumentsAreAnArityErrorAndCreateNothing) {
  EXPECT_TRUE(IsError(Run({"HSET", "h", "a", "1", "b"}),
                      "ERR wrong number of arguments for 'hset' command"));
  EXPECT_TRUE(IsError(Run({"HMSET", "h", "a", "1", "b"}),
                      "ERR wrong number of arguments for 'hmset' command"));
  EXPECT_TRUE(IsError(Run({"HSET", "h", "a"}), "ERR wrong number of arguments for 'hset' command"));
  EXPECT_FALSE(Exists("h"));
}

TEST_F(HashFamilyTest, HSetNxOnlySetsMissingFields) {
  EXPECT_EQ(Run({"HSETNX", "h", "a", "1"}), 1);
  EXPECT_EQ(Run({"HSETNX", "h", "a", "2"}), 0);
  EXPECT_EQ(Run({"HGET", "h", "a"}), "1");
  EXPECT_EQ(Run({"HSETNX", "h", "b", "2"}), 1);
  EXPECT_EQ(Run({"HLEN", "h"}), 2);
}

TEST_F(HashFamilyTest, EveryCommandRefusesOtherTypes) {
  Run({"SET", "s", "v"});
  const std::vector<std::vector<std::string>> commands = {
      {"HSET", "s", "f", "v"},
      {"HMSET", "s", "f", "v"},
      {"HSETNX", "s", "f", "v"},
      {"HGET", "s", "f"},
      {"HMGET", "s", "f"},
      {"HGETALL", "s"},
      {"HKEYS", "s"},
      {"HVALS", "s"},
      {"HDEL", "s", "f"},
      {"HEXISTS", "s", "f"},
      {"HLEN", "s"},
      {"HSTRLEN", "s", "f"},
      {"HINCRBY", "s", "f", "1"},
      {"HINCRBYFLOAT", "s", "f", "1"},
      {"HRANDFIELD", "s"},
      {"HRANDFIELD", "s", "2"},
      {"HRANDFIELD", "s", "-2", "WITHVALUES"},
      {"HSCAN", "s", "0"},
  };
  for (const auto& command : commands) {
    EXPECT_TRUE(IsError(Run(client(), command), kWrongType)) << command[0];
  }
  EXPECT_EQ(Run({"GET", "s"}), "v");
}

// --- Reading the whole hash ----------------------------------------------------------------------

TEST_F(HashFamilyTest, SmallHashesKeepInsertionOrderWithUpdatesInPlace) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  Run({"HDEL", "h", "a"});
  Run({"HSET", "h", "a", "9"});
  Run({"HSET", "h", "b", "7"});
  EXPECT_EQ(Run({"HGETALL", "h"}), (Strings{"b", "7", "c", "3", "a", "9"}));
  EXPECT_EQ(Run({"HKEYS", "h"}), (Strings{"b", "c", "a"}));
  EXPECT_EQ(Run({"HVALS", "h"}), (Strings{"7", "3", "9"}));
}

TEST_F(HashFamilyTest, MissingKeysReadAsEmpty) {
  EXPECT_EQ(Run({"HGETALL", "missing"}), Strings{});
  EXPECT_EQ(Run({"HKEYS", "missing"}), Strings{});
  EXPECT_EQ(Run({"HVALS", "missing"}), Strings{});
  EXPECT_EQ(Run({"HLEN", "missing"}), 0);
  EXPECT_EQ(Run({"HEXISTS", "missing", "f"}), 0);
  EXPECT_EQ(Run({"HSTRLEN", "missing", "f"}), 0);
}

TEST_F(HashFamilyTest, Resp3RepliesHGetAllAsAMap) {
  Run({"HELLO", "3"});
  Run({"HSET", "h", "a", "1", "b", "2"});
  RespValue all = Run({"HGETALL", "h"});
  EXPECT_EQ(all.type, T::kMap);
  EXPECT_EQ(all.ToString(), Run({"HGETALL", "h"}).ToString());
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0], "a");
  EXPECT_EQ(all[1], "1");
  RespValue empty = Run({"HGETALL", "missing"});
  EXPECT_EQ(empty.type, T::kMap);
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(Run({"HKEYS", "h"}).type, T::kArray);
  EXPECT_EQ(Run({"HVALS", "h"}).type, T::kArray);
  EXPECT_TRUE(Run({"HGET", "h", "zz"}).is_null());
}

TEST_F(HashFamilyTest, LargeHashesReturnEveryPair) {
  Fill("h", 1000);
  EXPECT_EQ(Encoding("h"), "hashtable");
  RespValue all = Run({"HGETALL", "h"});
  ASSERT_EQ(all.size(), 2000u);
  std::map<std::string, std::string> pairs;
  for (size_t i = 0; i < all.size(); i += 2) pairs[all[i].str] = all[i + 1].str;
  ASSERT_EQ(pairs.size(), 1000u);
  for (const auto& [field, value] : pairs) EXPECT_EQ("v" + field.substr(1), value);
  EXPECT_EQ(Run({"HKEYS", "h"}).size(), 1000u);
  EXPECT_EQ(Run({"HLEN", "h"}), 1000);
}

// --- HDEL / HEXISTS / HLEN / HSTRLEN ---------------------------------------------------------

TEST_F(HashFamilyTest, HDelCountsRemovedFieldsAndDropsTheEmptyHash) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(Run({"HDEL", "h", "a", "zz", "a"}), 1);
  EXPECT_EQ(Run({"HDEL", "h", "zz"}), 0);
  EXPECT_EQ(Run({"HDEL", "missing", "a"}), 0);
  EXPECT_EQ(Run({"HLEN", "h"}), 2);
  EXPECT_EQ(Run({"HDEL", "h", "b", "c"}), 2);
  EXPECT_FALSE(Exists("h"));
  EXPECT_EQ(Run({"TYPE", "h"}), "none");
}

TEST_F(HashFamilyTest, HDelEmptiesLargeHashesToo) {
  Fill("h", 600);
  ASSERT_EQ(Encoding("h"), "hashtable");
  for (int i = 0; i < 599; ++i) Run({"HDEL", "h", "f" + std::to_string(i)});
  EXPECT_EQ(Run({"HLEN", "h"}), 1);
  EXPECT_EQ(Run({"HGETALL", "h"}), (Strings{"f599", "v599"}));
  EXPECT_EQ(Run({"HDEL", "h", "f599"}), 1);
  EXPECT_FALSE(Exists("h"));
}

TEST_F(HashFamilyTest, HExistsHLenHStrLen) {
  Run({"HSET", "h", "a", "hello", "e", ""});
  EXPECT_EQ(Run({"HEXISTS", "h", "a"}), 1);
  EXPECT_EQ(Run({"HEXISTS", "h", "e"}), 1);
  EXPECT_EQ(Run({"HEXISTS", "h", "zz"}), 0);
  EXPECT_EQ(Run({"HLEN", "h"}), 2);
  EXPECT_EQ(Run({"HSTRLEN", "h", "a"}), 5);
  EXPECT_EQ(Run({"HSTRLEN", "h", "e"}), 0);
  EXPECT_EQ(Run({"HSTRLEN", "h", "zz"}), 0);
}

// --- HINCRBY / HINCRBYFLOAT --------------------------------------------------------------------

TEST_F(HashFamilyTest, HIncrByStartsFromZero) {
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "5"}), 5);
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "-12"}), -7);
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "0"}), -7);
  EXPECT_EQ(Run({"HGET", "h", "n"}), "-7");
  EXPECT_EQ(Run({"HINCRBY", "h", "m", "-9223372036854775808"}), INT64_MIN);
}

TEST_F(HashFamilyTest, HIncrByOverflowIsRefusedAndLeavesTheValue) {
  Run({"HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808"});
  constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
  EXPECT_TRUE(IsError(Run({"HINCRBY", "h", "max", "1"}), kOverflow));
  EXPECT_TRUE(IsError(Run({"HINCRBY", "h", "min", "-1"}), kOverflow));
  EXPECT_EQ(Run({"HGET", "h", "max"}), "9223372036854775807");
  EXPECT_EQ(Run({"HINCRBY", "h", "min", "9223372036854775807"}), -1);
  EXPECT_EQ(Run({"HINCRBY", "h", "max", "-9223372036854775808"}), -1);
}

TEST_F(HashFamilyTest, HIncrByRefusesNonIntegers) {
  Run({"HSET", "h", "f", "1.5", "sp", " 1", "z", "007", "nz", "-0", "e", ""});
  for (const char* field : {"f", "sp", "z", "nz", "e"}) {
    EXPECT_TRUE(IsError(Run({"HINCRBY", "h", field, "1"}), "ERR hash value is not an integer"))
        << field;
  }
  for (const char* incr : {"x", "1.5", "007", " 1", "-0", "9223372036854775808", ""}) {
    EXPECT_TRUE(IsError(Run({"HINCRBY", "h", "n", incr}), kNotInteger)) << incr;
  }
  // The increment is checked before the key's type, and nothing is created.
  Run({"SET", "s", "v"});
  EXPECT_TRUE(IsError(Run({"HINCRBY", "s", "f", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"HINCRBY", "missing", "f", "x"}), kNotInteger));
  EXPECT_FALSE(Exists("missing"));
}

TEST_F(HashFamilyTest, HIncrByFloatFormatsLikeIncrByFloat) {
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "x", "10.5"}), "10.5");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "x", "0.1"}), "10.6");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "x", "-10.6"}), "0");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "y", "5.0e3"}), "5000");
  EXPECT_EQ(Run({"HINCRBY", "h", "y", "1"}), 5001);
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "z", "0x10"}), "16");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "big", "9223372036854775807"}), "9223372036854775807");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "big", "1"}), "9223372036854775808");
  EXPECT_EQ(Run({"HGET", "h", "x"}), "0");
}

TEST_F(HashFamilyTest, HIncrByFloatErrors) {
  Run({"HSET", "h", "s", "abc", "sp", " 1", "e", "", "huge", "1e4932"});
  constexpr std::string_view kNotHashFloat = "ERR hash value is not a float";
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "h", "s", "1"}), kNotHashFloat));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "h", "sp", "1"}), kNotHashFloat));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "h", "e", "1"}), kNotHashFloat));
  for (const char* incr : {"x", "", " 1", "1 ", "nan", "1e"}) {
    EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "h", "n", incr}), kNotFloat)) << incr;
  }
  for (const char* incr : {"inf", "-inf", "+inf", "Infinity"}) {
    EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "h", "n", incr}), "ERR value is NaN or Infinity"))
        << incr;
  }
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "h", "huge", "1e4932"}),
                      "ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(Run({"HGET", "h", "huge"}), "1e4932");
  EXPECT_FALSE(Run({"HEXISTS", "h", "n"}) == 1);
  // Increment errors come before the type check.
  Run({"SET", "str", "v"});
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "str", "f", "x"}), kNotFloat));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "str", "f", "inf"}), "ERR value is NaN or Infinity"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "str", "f", "1"}), kWrongType));
}

// --- Encodings -----------------------------------------------------------------------------------

TEST_F(HashFamilyTest, LongFieldsOrValuesConvertToHashtable) {
  std::string at_limit(64, 'x');
  std::string over(65, 'x');
  Run({"HSET", "h", "f", at_limit});
  EXPECT_EQ(Encoding("h"), "listpack");
  Run({"HSET", "h", "f", over});
  EXPECT_EQ(Encoding("h"), "hashtable");
  Run({"HSET", "h", "f", "short"});
  EXPECT_EQ(Encoding("h"), "hashtable") << "never converts back";
  Run({"HSET", "k", over, "v"});
  EXPECT_EQ(Encoding("k"), "hashtable");
  EXPECT_EQ(Run({"HGET", "k", over}), "v");
}

TEST_F(HashFamilyTest, OnlyWritesThatHappenConvert) {
  std::string over(65, 'x');
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"HSETNX", "h", "a", over}), 0);
  EXPECT_EQ(Encoding("h"), "listpack");
  EXPECT_EQ(Run({"HSETNX", "h", "b", over}), 1);
  EXPECT_EQ(Encoding("h"), "hashtable");
  Run({"HINCRBY", "i", over, "1"});
  EXPECT_EQ(Encoding("i"), "hashtable");
  // A float result longer than the limit converts too; a shorter one does not.
  Run({"HINCRBYFLOAT", "f", "a", "1e60"});
  EXPECT_EQ(Encoding("f"), "listpack");
  Run({"HINCRBYFLOAT", "f", "b", "1e300"});
  EXPECT_EQ(Encoding("f"), "hashtable");
}

TEST_F(HashFamilyTest, TooManyFieldsConvertToHashtable) {
  EXPECT_EQ(Run({"CONFIG", "GET", "hash-max-listpack-entries"}),
            (Strings{"hash-max-listpack-entries", "512"}));
  Fill("h", 512);
  EXPECT_EQ(Encoding("h"), "listpack");
  Run({"HSET", "h", "f0", "changed"});
  EXPECT_EQ(Encoding("h"), "listpack");
  Run({"HSET", "h", "f512", "v512"});
  EXPECT_EQ(Encoding("h"), "hashtable");
  Run({"HDEL", "h", "f512", "f511", "f510"});
  EXPECT_EQ(Encoding("h"), "hashtable");
  EXPECT_EQ(Run({"HGET", "h", "f0"}), "changed");
  EXPECT_EQ(Run({"HLEN", "h"}), 510);
}

TEST_F(HashFamilyTest, ThresholdsFollowConfigSet) {
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-entries", "2"}), "OK");
  Run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(Encoding("h"), "listpack");
  Run({"HSET", "h", "c", "3"});
  EXPECT_EQ(Encoding("h"), "hashtable");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-ziplist-entries", "0"}), "OK");
  Run({"HSET", "z", "a", "1"});
  EXPECT_EQ(Encoding("z"), "hashtable");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-entries", "512"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-value", "0"}), "OK");
  Run({"HSET", "v", "", ""});
  EXPECT_EQ(Encoding("v"), "listpack");
  Run({"HSET", "v", "a", ""});
  EXPECT_EQ(Encoding("v"), "hashtable");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-ziplist-value", "3"}), "OK");
  Run({"HSET", "w", "abc", "abc"});
  EXPECT_EQ(Encoding("w"), "listpack");
  Run({"HSET", "w", "abc", "abcd"});
  EXPECT_EQ(Encoding("w"), "hashtable");
}

TEST_F(HashFamilyTest, EveryCommandWorksOnBothEncodings) {
  for (std::string key : {"small", "large"}) {
    if (key == "large") Run({"HSET", key, "pad", std::string(100, 'p')});
    Run({"HSET", key, "a", "1", "b", "2"});
    EXPECT_EQ(Encoding(key), key == "small" ? "listpack" : "hashtable");
    EXPECT_EQ(Run({"HGET", key, "a"}), "1") << key;
    EXPECT_EQ(Run({"HSETNX", key, "a", "x"}), 0) << key;
    EXPECT_EQ(Run({"HINCRBY", key, "a", "4"}), 5) << key;
    EXPECT_EQ(Run({"HINCRBYFLOAT", key, "b", "0.5"}), "2.5") << key;
    EXPECT_EQ(Run({"HEXISTS", key, "b"}), 1) << key;
    EXPECT_EQ(Run({"HSTRLEN", key, "b"}), 3) << key;
    EXPECT_EQ(Run({"HMGET", key, "a", "b", "c"}).ToString(), R"(["5", "2.5", (nil)])") << key;
    EXPECT_EQ(Run({"HDEL", key, "a", "c"}), 1) << key;
    EXPECT_EQ(Run({"HEXISTS", key, "a"}), 0) << key;
  }
}

// --- HRANDFIELD ----------------------------------------------------------------------------------

TEST_F(HashFamilyTest, HRandFieldWithoutCount) {
  EXPECT_TRUE(Run({"HRANDFIELD", "missing"}).is_null());
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(Run({"HRANDFIELD", "h"}).str);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
}

TEST_F(HashFamilyTest, HRandFieldPositiveCountGivesDistinctFields) {
  for (std::string key : {"small", "large"}) {
    for (int i = 0; i < 300; ++i) Run({"HSET", key, "f" + std::to_string(i), "v"});
    if (key == "large") Run({"HSET", key, "f0", std::string(100, 'v')});
    for (int count : {1, 5, 99, 100, 101, 250, 299}) {
      RespValue r = Run({"HRANDFIELD", key, std::to_string(count)});
      ASSERT_EQ(r.size(), static_cast<size_t>(count)) << key << " " << count;
      std::set<std::string> distinct;
      for (const auto& e : r.elements) {
        EXPECT_EQ(e.str[0], 'f');
        distinct.insert(e.str);
      }
      EXPECT_EQ(distinct.size(), static_cast<size_t>(count)) << key << " " << count;
    }
    // A count at or past the size returns the whole hash.
    EXPECT_EQ(Sorted(Run({"HRANDFIELD", key, "300"}).Strings()),
              Sorted(Run({"HKEYS", key}).Strings()));
    EXPECT_EQ(Run({"HRANDFIELD", key, "100000"}).size(), 300u);
  }
}

TEST_F(HashFamilyTest, HRandFieldWholeSmallHashKeepsItsOrder) {
  Run({"HSET", "h", "c", "3", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"HRANDFIELD", "h", "3"}), (Strings{"c", "a", "b"}));
  EXPECT_EQ(Run({"HRANDFIELD", "h", "10", "WITHVALUES"}), (Strings{"c", "3", "a", "1", "b", "2"}));
}

TEST_F(HashFamilyTest, HRandFieldNegativeCountMayRepeat) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  RespValue r = Run({"HRANDFIELD", "h", "-50"});
  ASSERT_EQ(r.size(), 50u);
  std::set<std::string> seen;
  for (const auto& e : r.elements) seen.insert(e.str);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));
  Run({"HSET", "one", "f", "v"});
  EXPECT_EQ(Run({"HRANDFIELD", "one", "-3"}), (Strings{"f", "f", "f"}));
  EXPECT_EQ(Run({"HRANDFIELD", "one", "-2", "withvalues"}), (Strings{"f", "v", "f", "v"}));
  Fill("big", 600);
  r = Run({"HRANDFIELD", "big", "-1000", "WITHVALUES"});
  ASSERT_EQ(r.size(), 2000u);
  for (size_t i = 0; i < r.size(); i += 2) EXPECT_EQ("v" + r[i].str.substr(1), r[i + 1].str);
}

TEST_F(HashFamilyTest, HRandFieldWithValuesPairsUp) {
  Fill("h", 20);
  RespValue r = Run({"HRANDFIELD", "h", "7", "WITHVALUES"});
  ASSERT_EQ(r.size(), 14u);
  for (size_t i = 0; i < r.size(); i += 2) EXPECT_EQ("v" + r[i].str.substr(1), r[i + 1].str);
}

TEST_F(HashFamilyTest, HRandFieldResp3NestsPairs) {
  Run({"HELLO", "3"});
  Run({"HSET", "h", "a", "1"});
  RespValue r = Run({"HRANDFIELD", "h", "-2", "WITHVALUES"});
  ASSERT_EQ(r.type, T::kArray);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].ToString(), R"(["a", "1"])");
  EXPECT_EQ(r[1].ToString(), R"(["a", "1"])");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "2"}).ToString(), R"(["a"])");
  EXPECT_EQ(Run({"HRANDFIELD", "missing", "2", "WITHVALUES"}).size(), 0u);
  EXPECT_TRUE(Run({"HRANDFIELD", "missing"}).is_null());
}

TEST_F(HashFamilyTest, HRandFieldEdgeCountsAndErrors) {
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"HRANDFIELD", "h", "0"}), Strings{});
  EXPECT_EQ(Run({"HRANDFIELD", "h", "0", "WITHVALUES"}), Strings{});
  EXPECT_EQ(Run({"HRANDFIELD", "missing", "5"}), Strings{});
  EXPECT_EQ(Run({"HRANDFIELD", "missing", "-5", "WITHVALUES"}), Strings{});
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "x", "foo"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "1", "foo"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "-9223372036854775808"}),
                      "ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"}),
                      "ERR value is out of range"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}),
                      "ERR value is out of range"));
  EXPECT_EQ(Run({"HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"}), (Strings{"a", "1"}));
  // Argument errors come before the type check.
  Run({"SET", "s", "v"});
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "s", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "s", "1", "foo"}), kSyntax));
}

// --- HSCAN ---------------------------------------------------------------------------------------

TEST_F(HashFamilyTest, HScanReturnsSmallHashesWholeWithCursorZero) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(Run({"HSCAN", "h", "0"}).ToString(), R"(["0", ["a", "1", "b", "2", "c", "3"]])");
  EXPECT_EQ(Run({"HSCAN", "h", "12345", "COUNT", "1"}).ToString(),
            R"(["0", ["a", "1", "b", "2", "c", "3"]])");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "[ab]"}).ToString(), R"(["0", ["a", "1", "b", "2"]])");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "b", "MATCH", "c"}).ToString(),
            R"(["0", ["c", "3"]])");
  EXPECT_EQ(Run({"HSCAN", "h", "-1"})[0], "0");
  EXPECT_EQ(Run({"HSCAN", "h", ""})[0], "0");
  EXPECT_EQ(Run({"HSCAN", "missing", "0"}).ToString(), R"(["0", []])");
}

TEST_F(HashFamilyTest, HScanMatchStarKeepsTheEmptyField) {
  Run({"HSET", "h", "", "v"});
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "*"}).ToString(), R"(["0", ["", "v"]])");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "**"}).ToString(), R"(["0", []])");
}

TEST_F(HashFamilyTest, HScanErrors) {
  Run({"HSET", "h", "a", "1"});
  constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
  for (const char* cursor : {"x", " 1", "1x", "18446744073709551616"}) {
    EXPECT_TRUE(IsError(Run({"HSCAN", "h", cursor}), kInvalidCursor)) << cursor;
  }
  EXPECT_TRUE(IsError(Run({"HSCAN", "h", "0", "COUNT", "0"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"HSCAN", "h", "0", "COUNT", "-1"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"HSCAN", "h", "0", "COUNT", "x"}), kNotInteger));
  EXPECT_TRUE(IsError(Run({"HSCAN", "h", "0", "COUNT"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"HSCAN", "h", "0", "TYPE", "string"}), kSyntax));
  EXPECT_TRUE(IsError(Run({"HSCAN", "h", "0", "NOVALUES"}), kSyntax));
  // The cursor is read first; options only once the key turned out to be a hash.
  Run({"SET", "s", "v"});
  EXPECT_TRUE(IsError(Run({"HSCAN", "s", "x"}), kInvalidCursor));
  EXPECT_TRUE(IsError(Run({"HSCAN", "s", "0", "COUNT", "0"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"HSCAN", "missing", "x"}), kInvalidCursor));
  EXPECT_EQ(Run({"HSCAN", "missing", "0", "COUNT", "0"}).ToString(), R"(["0", []])");
}

TEST_F(HashFamilyTest, HScanWalksLargeHashesInSteps) {
  Fill("h", 2000);
  ASSERT_EQ(Encoding("h"), "hashtable");
  RespValue first = Run({"HSCAN", "h", "0"});
  EXPECT_NE(first[0], "0") << "a COUNT of 10 does not take 2000 fields at once";
  EXPECT_LT(first[1].size(), 200u);
  Strings fields = ScanAll("h");
  EXPECT_EQ(fields.size(), 2000u) << "nothing changed, so nothing repeats";
  EXPECT_EQ(std::set<std::string>(fields.begin(), fields.end()).size(), 2000u);
  RespValue all = Run({"HSCAN", "h", "0", "COUNT", "100000"});
  EXPECT_EQ(all[0], "0");
  EXPECT_EQ(all[1].size(), 4000u);
  RespValue matched = Run({"HSCAN", "h", "0", "COUNT", "100000", "MATCH", "f1??"});
  EXPECT_EQ(matched[1].size(), 200u);
}

TEST_F(HashFamilyTest, HScanReturnsStableFieldsWhileTheTableResizes) {
  // Fields present for the whole walk must all come back, even when the table grows and shrinks
  // between calls.
  Fill("h", 700);
  std::set<std::string> seen;
  std::string cursor = "0";
  int step = 0;
  do {
    RespValue r = Run({"HSCAN", "h", cursor, "COUNT", "20"});
    cursor = r[0].str;
    for (size_t i = 0; i < r[1].size(); i += 2) seen.insert(r[1][i].str);
    ++step;
    if (step == 3) Fill("h", 5000, 1000);  // grows the table several times
    if (step == 8) {
      for (int i = 1000; i < 6000; ++i) Run({"HDEL", "h", "f" + std::to_string(i)});
    }
  } while (cursor != "0");
  for (int i = 0; i < 700; ++i) {
    EXPECT_TRUE(seen.count("f" + std::to_string(i))) << "f" << i << " missed";
  }
}

// --- DUMP / RESTORE ----------------------------------------------------------------------------

TEST_F(HashFamilyTest, DumpRestoreRoundTripsBothEncodings) {
  Run({"HSET", "small", "a", "1", "", "empty", "bin", std::string("\0\r\n", 3)});
  Fill("large", 1000);
  for (std::string key : {"small", "large"}) {
    std::string payload = Run({"DUMP", key}).str;
    ASSERT_FALSE(payload.empty());
    EXPECT_EQ(Run({"RESTORE", key + "2", "0", payload}), "OK");
    EXPECT_EQ(Encoding(key + "2"), Encoding(key));
    RespValue a = Run({"HGETALL", key});
    RespValue b = Run({"HGETALL", key + "2"});
    std::map<std::string, std::string> pa, pb;
    for (size_t i = 0; i < a.size(); i += 2) pa[a[i].str] = a[i + 1].str;
    for (size_t i = 0; i < b.size(); i += 2) pb[b[i].str] = b[i + 1].str;
    EXPECT_EQ(pa, pb) << key;
  }
  EXPECT_EQ(Run({"HGET", "small2", "bin"}), std::string("\0\r\n", 3));
}

TEST_F(HashFamilyTest, RestoreRebuildsTheCompactEncoding) {
  Run({"HSET", "h", "a", "1", "b", std::string(100, 'x')});
  Run({"HSET", "h", "b", "short"});
  ASSERT_EQ(Encoding("h"), "hashtable");
  std::string payload = Run({"DUMP", "h"}).str;
  EXPECT_EQ(Run({"RESTORE", "back", "0", payload}), "OK");
  EXPECT_EQ(Encoding("back"), "listpack");
  EXPECT_EQ(Run({"HGETALL", "back"}).size(), 4u);
}

TEST_F(HashFamilyTest, LoadRefusesEmptyAndDuplicateBodies) {
  auto load = [](const std::string& body) {
    PayloadReader in(body);
    Object out;
    return LoadHash(in, &out) && in.at_end();
  };
  std::string body;
  PayloadWriter w(&body);
  w.PutVarint(1);
  w.PutString("f");
  w.PutString("v");
  EXPECT_TRUE(load(body));
  EXPECT_FALSE(load(std::string(1, '\0'))) << "empty hash";
  std::string dup;
  PayloadWriter d(&dup);
  d.PutVarint(2);
  for (int i = 0; i < 2; ++i) {
    d.PutString("f");
    d.PutString("v");
  }
  EXPECT_FALSE(load(dup)) << "repeated field";
  EXPECT_FALSE(load(body.substr(0, body.size() - 1))) << "truncated";
  std::string forged;
  PayloadWriter f(&forged);
  f.PutVarint(1000000);
  f.PutString("f");
  EXPECT_FALSE(load(forged)) << "count larger than the bytes";
}

// --- WATCH and keyspace events ------------------------------------------------------------------

TEST_F(HashFamilyTest, OnlyRealChangesDisturbWatchers) {
  Run({"HSET", "h", "a", "1"});
  EXPECT_FALSE(WatchSurvives("h", {"HSET", "h", "a", "1"}));
  EXPECT_TRUE(WatchSurvives("h", {"HSETNX", "h", "a", "2"}));
  EXPECT_FALSE(WatchSurvives("h", {"HSETNX", "h", "b", "2"}));
  EXPECT_TRUE(WatchSurvives("h", {"HDEL", "h", "zz"}));
  EXPECT_FALSE(WatchSurvives("h", {"HDEL", "h", "b"}));
  EXPECT_FALSE(WatchSurvives("h", {"HINCRBY", "h", "a", "0"}));
  EXPECT_TRUE(WatchSurvives("h", {"HINCRBY", "h", "a", "x"}));
  EXPECT_TRUE(WatchSurvives("h", {"HGETALL", "h"}));
}

TEST_F(HashFamilyTest, KeyspaceEvents) {
  Session* sub = NewClient();
  Run(sub, {"PSUBSCRIBE", "__keyevent@0__:*"});
  TakeReplies(sub);
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Egh"}), "OK");
  auto events = [&]() {
    Strings out;
    for (const RespValue& v : TakeReplies(sub)) {
      std::string channel = v[2].str;
      out.push_back(channel.substr(channel.find(':') + 1) + " " + v[3].str);
    }
    return out;
  };
  Run({"HSET", "h", "a", "1", "b", "2"});
  Run({"HMSET", "h", "c", "3"});
  Run({"HSETNX", "h", "a", "1"});
  Run({"HSETNX", "h", "d", "4"});
  Run({"HINCRBY", "h", "n", "1"});
  Run({"HINCRBYFLOAT", "h", "n", "1.5"});
  Run({"HDEL", "h", "zz"});
  Run({"HDEL", "h", "a", "b", "c", "d"});
  Run({"HDEL", "h", "n"});
  EXPECT_EQ(events(), (Strings{"hset h", "hset h", "hset h", "hincrby h", "hincrbyfloat h",
                               "hdel h", "hdel h", "del h"}));
}

// --- The table behind large hashes and sets ----------------------------------------------------

TEST(StringDictTest, InsertFindErase) {
  StringDict<std::string> dict;
  bool inserted;
  for (int i = 0; i < 1000; ++i) {
    dict.Insert("k" + std::to_string(i), &inserted)->value = std::to_string(i);
    ASSERT_TRUE(inserted);
  }
  dict.Insert("k5", &inserted);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(dict.size(), 1000u);
  EXPECT_EQ(dict.Find("k999")->value, "999");
  EXPECT_EQ(dict.Find("nope"), nullptr);
  for (int i = 0; i < 990; ++i) ASSERT_TRUE(dict.Erase("k" + std::to_string(i)));
  EXPECT_FALSE(dict.Erase("k0"));
  EXPECT_EQ(dict.size(), 10u);
  EXPECT_LE(dict.bucket_count(), 16u) << "shrinks once sparse";
  EXPECT_EQ(dict.Find("k995")->value, "995");
  StringDict<std::string> copy(dict);
  dict.Clear();
  EXPECT_EQ(copy.size(), 10u);
  EXPECT_EQ(copy.Find("k990")->value, "990");
}

TEST(StringDictTest, ScanSurvivesGrowthAndShrinkBetweenCalls) {
  Random rng(7);
  for (int round = 0; round < 20; ++round) {
    StringDict<std::string> dict;
    bool inserted;
    const int stable = 50 + static_cast<int>(rng.Uniform(500));
    for (int i = 0; i < stable; ++i) dict.Insert("s" + std::to_string(i), &inserted);
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int extra = 0;
    do {
      cursor = dict.Scan(cursor, [&](const auto& e) { seen.insert(e.key); });
      // Now and then grow the table several times over, or shrink it back, between steps.
      uint64_t action = rng.Uniform(40);
      if (action == 0 && extra < 8000) {
        for (int i = 0; i < 2000; ++i) dict.Insert("x" + std::to_string(extra++), &inserted);
      } else if (action == 1) {
        for (int i = 0; i < extra; ++i) dict.Erase("x" + std::to_string(i));
      }
    } while (cursor != 0);
    for (int i = 0; i < stable; ++i) {
      ASSERT_TRUE(seen.count("s" + std::to_string(i))) << "round " << round << " missed s" << i;
    }
  }
}

TEST(StringDictTest, RandomEntryReachesEveryEntry) {
  StringDict<std::string> dict;
  bool inserted;
  for (int i = 0; i < 20; ++i) dict.Insert(std::to_string(i), &inserted);
  Random rng(3);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(dict.RandomEntry(rng)->key);
  EXPECT_EQ(seen.size(), 20u);
  StringDict<std::string> empty;
  EXPECT_EQ(empty.RandomEntry(rng), nullptr);
}

}  // namespace
}  // namespace sluice::testing
