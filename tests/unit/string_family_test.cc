#include <climits>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/commands/command_table.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

// A non-string value, so WRONGTYPE paths are checked without depending on another family.
class OtherTypeValue : public Collection {
 public:
  ObjType type() const override { return ObjType::kList; }
  std::string_view Encoding() const override { return "quicklist"; }
  std::unique_ptr<Collection> Clone() const override { return std::make_unique<OtherTypeValue>(); }
  size_t MemoryUsage() const override { return 1; }
  size_t Length() const override { return 1; }
};

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kNotFloat = "ERR value is not a valid float";
constexpr std::string_view kTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

class StringFamilyTest : public ServerTest {
 protected:
  void PutOtherType(std::string_view key) {
    server_->db(0).Put(key, Object(std::make_unique<OtherTypeValue>()));
  }
  bool IsOtherType(std::string_view key) {
    Object* obj = server_->db(0).FindRaw(key);
    return obj != nullptr && obj->type() == ObjType::kList;
  }
  bool Exists(std::string_view key) { return server_->db(0).Find(key, Now()) != nullptr; }
  // Absolute expiry of a key in unix ms, 0 for none, -1 when the key is missing.
  int64_t ExpireAt(std::string_view key) {
    Object* obj = server_->db(0).Find(key, Now());
    return obj == nullptr ? -1 : obj->expire_at();
  }
  void SetMaxBulkLen(std::string_view value) {
    std::string error;
    ASSERT_TRUE(config_.Set("proto-max-bulk-len", value, false, &error)) << error;
  }
  // WATCHes `key`, runs `change` from another client, and reports whether a transaction started
  // afterwards still executes (false: the change disturbed the watcher).
  bool WatchSurvives(std::string_view key, const std::function<void(Session*)>& change) {
    Session* other = NewClient();
    EXPECT_EQ(Run({"WATCH", key}), "OK");
    change(other);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    return !Run({"EXEC"}).is_null();
  }
};

// --- GET / SET ---------------------------------------------------------------------------------

TEST_F(StringFamilyTest, SetThenGet) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_TRUE(Run({"GET", "missing"}).is_null());
}

TEST_F(StringFamilyTest, SetConditions) {
  EXPECT_TRUE(Run({"SET", "k", "v", "XX"}).is_null());
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), "OK");
  EXPECT_TRUE(Run({"SET", "k", "w", "NX"}).is_null());
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "v");
  EXPECT_EQ(Run({"GET", "k"}), "w");
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "k", "v", "NX", "XX"}), "ERR syntax error"));
}

TEST_F(StringFamilyTest, SetExpiresWithFakeClock) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "OK");
  AdvanceTime(99);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  AdvanceTime(1);
  EXPECT_TRUE(Run({"GET", "k"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "k", "v", "EX", "x"}), "ERR value is not an integer"));
}

TEST_F(StringFamilyTest, ActiveExpiryRemovesUntouchedKeys) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "10"}), "OK");
  EXPECT_EQ(server_->db(0).size(), 1u);
  AdvanceTime(20);
  EXPECT_EQ(server_->db(0).size(), 0u);
  EXPECT_EQ(server_->stats().expired_keys, 1u);
}

TEST_F(StringFamilyTest, Resp3NullAndProtocolSwitch) {
  RespValue hello = Run({"HELLO", "3"});
  ASSERT_EQ(hello.type, RespValue::Type::kMap);
  EXPECT_EQ(hello[4], "proto");
  EXPECT_EQ(hello[5], 3);
  EXPECT_TRUE(Run({"GET", "missing"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"HELLO", "4"}), "NOPROTO"));
}

TEST_F(StringFamilyTest, InlineAndPipelinedInput) {
  auto replies = RunRaw(client(), "PING\r\nSET a \"x y\"\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], "PONG");
  EXPECT_EQ(replies[1], "OK");
  EXPECT_EQ(replies[2], "x y");
}

TEST_F(StringFamilyTest, UnknownCommandAndArity) {
  EXPECT_EQ(Run({"NOPE", "a"}).str, "ERR unknown command 'NOPE', with args beginning with: 'a' ");
  EXPECT_EQ(Run({"GET"}).str, "ERR wrong number of arguments for 'get' command");
}

TEST_F(StringFamilyTest, GetAndSetBinaryAndEmptyValues) {
  std::string binary("a\0b\r\n", 5);
  EXPECT_EQ(Run(client(), std::vector<std::string>{"SET", "bin", binary}), "OK");
  EXPECT_EQ(Run({"GET", "bin"}).str, binary);
  EXPECT_EQ(Run({"SET", "", ""}), "OK");
  RespValue empty = Run({"GET", ""});
  EXPECT_EQ(empty.type, RespValue::Type::kBulk);
  EXPECT_EQ(empty, "");
}

TEST_F(StringFamilyTest, GetAgainstOtherTypeIsWrongType) {
  PutOtherType("l");
  EXPECT_EQ(Run({"GET", "l"}).str, kWrongType);
}

TEST_F(StringFamilyTest, SetOverwritesOtherTypes) {
  PutOtherType("l");
  EXPECT_EQ(Run({"SET", "l", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "v");
  PutOtherType("l");
  EXPECT_EQ(Run({"SET", "l", "w", "XX"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "w");
}

TEST_F(StringFamilyTest, SetOptionsAreCaseInsensitiveAndMayRepeat) {
  EXPECT_EQ(Run({"SET", "k", "v", "ex", "10", "EX", "20"}), "OK");
  EXPECT_EQ(ExpireAt("k"), Now() + 20000);
  EXPECT_TRUE(Run({"SET", "k", "v", "nx", "NX"}).is_null());
  EXPECT_EQ(Run({"SET", "k", "w", "keepttl", "KEEPTTL"}), "OK");
  EXPECT_EQ(ExpireAt("k"), Now() + 20000);
  EXPECT_EQ(Run({"SET", "k", "x", "get", "GET"}), "w");
  EXPECT_EQ(ExpireAt("k"), 0);
  EXPECT_EQ(Run({"SET", "k", "y", "xx", "XX"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "y");
}

TEST_F(StringFamilyTest, SetConflictingOptionsAreSyntaxErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"SET", "k", "v", "KEEPTTL", "EX", "5"},
      {"SET", "k", "v", "EX", "5", "KEEPTTL"},
      {"SET", "k", "v", "EX", "5", "PX", "5"},
      {"SET", "k", "v", "EXAT", "5", "PXAT", "5"},
      {"SET", "k", "v", "XX", "NX"},
      {"SET", "k", "v", "EX"},
      {"SET", "k", "v", "FOO"},
      {"SET", "k", "v", "PERSIST"},
  };
  for (const auto& args : bad) {
    EXPECT_EQ(Run(client(), args).str, "ERR syntax error") << args[3];
  }
  EXPECT_FALSE(Exists("k"));
}

TEST_F(StringFamilyTest, SetSyntaxErrorWinsOverBadAmount) {
  // Every option is read before any amount is validated.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "x", "BAD"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0", "BAD"}).str, "ERR syntax error");
}

TEST_F(StringFamilyTest, SetExpiryForms) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(ExpireAt("k"), Now() + 100000);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1234"}), "OK");
  EXPECT_EQ(ExpireAt("k"), Now() + 1234);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "4000000000"}), "OK");
  EXPECT_EQ(ExpireAt("k"), 4000000000000);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "4000000000123"}), "OK");
  EXPECT_EQ(ExpireAt("k"), 4000000000123);
}

TEST_F(StringFamilyTest, SetInvalidExpiryAmounts) {
  const std::string invalid = "ERR invalid expire time in 'set' command";
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}).str, invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "-1"}).str, invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "0"}).str, invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "-5"}).str, invalid);
  // Seconds that overflow once in milliseconds, and relative amounts that overflow with now.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775807"}).str, invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}).str, invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775807"}).str, invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "1.5"}).str, kNotInteger);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", ""}).str, kNotInteger);
  EXPECT_FALSE(Exists("k"));
  // An absolute deadline this large is accepted: it does not overflow.
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "9223372036854775807"}), "OK");
  EXPECT_EQ(ExpireAt("k"), LLONG_MAX);
}

TEST_F(StringFamilyTest, SetWithPastAbsoluteDeadlineLeavesNoKey) {
  EXPECT_EQ(Run({"SET", "k", "old"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "1", "GET"}), "old");
  EXPECT_TRUE(Run({"GET", "k"}).is_null());
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "1"}), "OK");
  EXPECT_FALSE(Exists("k"));
}

TEST_F(StringFamilyTest, SetClearsTtlUnlessKeepTtl) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v2", "KEEPTTL"}), "OK");
  EXPECT_EQ(ExpireAt("k"), Now() + 100000);
  EXPECT_EQ(Run({"SET", "k", "v3", "KEEPTTL", "XX", "GET"}), "v2");
  EXPECT_EQ(ExpireAt("k"), Now() + 100000);
  EXPECT_EQ(Run({"SET", "k", "v4"}), "OK");
  EXPECT_EQ(ExpireAt("k"), 0);
  AdvanceTime(200000);
  EXPECT_EQ(Run({"GET", "k"}), "v4");
  EXPECT_EQ(server_->db(0).expires_count(), 0u);
}

TEST_F(StringFamilyTest, SetKeepTtlOverAnotherTypeKeepsItsExpiry) {
  PutOtherType("l");
  server_->db(0).SetExpire(*server_->db(0).FindRaw("l"), "l", Now() + 5000);
  EXPECT_EQ(Run({"SET", "l", "v", "KEEPTTL"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "v");
  EXPECT_EQ(ExpireAt("l"), Now() + 5000);
}

TEST_F(StringFamilyTest, SetGetOption) {
  EXPECT_TRUE(Run({"SET", "k", "first", "GET"}).is_null());
  EXPECT_EQ(Run({"SET", "k", "second", "GET"}), "first");
  EXPECT_EQ(Run({"SET", "k", "third", "NX", "GET"}), "second");
  EXPECT_EQ(Run({"GET", "k"}), "second");
  EXPECT_TRUE(Run({"SET", "new", "v", "NX", "GET"}).is_null());
  EXPECT_EQ(Run({"GET", "new"}), "v");
  EXPECT_TRUE(Run({"SET", "absent", "v", "XX", "GET"}).is_null());
  EXPECT_FALSE(Exists("absent"));
}

TEST_F(StringFamilyTest, SetGetAgainstOtherTypeChangesNothing) {
  PutOtherType("l");
  EXPECT_EQ(Run({"SET", "l", "v", "GET"}).str, kWrongType);
  EXPECT_EQ(Run({"SET", "l", "v", "NX", "GET"}).str, kWrongType);
  EXPECT_TRUE(IsOtherType("l"));
  // The expiry amount is checked before the type.
  EXPECT_EQ(Run({"SET", "l", "v", "EX", "0", "GET"}).str,
            "ERR invalid expire time in 'set' command");
}

TEST_F(StringFamilyTest, SetReusesTheStringBuffer) {
  const std::string long_value(40, 'a');
  EXPECT_EQ(Run(client(), std::vector<std::string>{"SET", "k", long_value}), "OK");
  const char* before = server_->db(0).FindRaw("k")->str().data();
  EXPECT_EQ(Run(client(), std::vector<std::string>{"SET", "k", std::string(30, 'b')}), "OK");
  EXPECT_EQ(server_->db(0).FindRaw("k")->str().data(), before);
  EXPECT_EQ(Run({"GET", "k"}), std::string(30, 'b'));
}

TEST_F(StringFamilyTest, SetGivesBackABigBufferForASmallValue) {
  EXPECT_EQ(Run(client(), std::vector<std::string>{"SET", "k", std::string(100000, 'a')}), "OK");
  EXPECT_EQ(Run({"SET", "k", "x"}), "OK");
  EXPECT_LT(server_->db(0).FindRaw("k")->str().capacity(), 4096u);
  EXPECT_EQ(Run({"GET", "k"}), "x");
}

TEST_F(StringFamilyTest, ReadsCountKeyspaceHitsAndMisses) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  uint64_t hits = server_->stats().keyspace_hits;
  uint64_t misses = server_->stats().keyspace_misses;
  Run({"GET", "k"});
  Run({"GET", "missing"});
  Run({"MGET", "k", "k", "missing"});
  EXPECT_EQ(server_->stats().keyspace_hits, hits + 3);
  EXPECT_EQ(server_->stats().keyspace_misses, misses + 2);
}

// --- SETNX / SETEX / PSETEX --------------------------------------------------------------------

TEST_F(StringFamilyTest, SetNx) {
  EXPECT_EQ(Run({"SETNX", "k", "1"}), 1);
  EXPECT_EQ(Run({"SETNX", "k", "2"}), 0);
  EXPECT_EQ(Run({"GET", "k"}), "1");
  PutOtherType("l");
  EXPECT_EQ(Run({"SETNX", "l", "1"}), 0);
  EXPECT_TRUE(IsOtherType("l"));
  EXPECT_EQ(Run({"SETNX", "k"}).str, "ERR wrong number of arguments for 'setnx' command");
}

TEST_F(StringFamilyTest, SetNxOnAnExpiredKeySets) {
  EXPECT_EQ(Run({"SET", "k", "old", "PX", "10"}), "OK");
  AdvanceTime(10);
  EXPECT_EQ(Run({"SETNX", "k", "new"}), 1);
  EXPECT_EQ(ExpireAt("k"), 0);
}

TEST_F(StringFamilyTest, SetExAndPSetEx) {
  EXPECT_EQ(Run({"SETEX", "k", "100", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(ExpireAt("k"), Now() + 100000);
  EXPECT_EQ(Run({"PSETEX", "p", "1500", "w"}), "OK");
  EXPECT_EQ(ExpireAt("p"), Now() + 1500);
  AdvanceTime(1500);
  EXPECT_TRUE(Run({"GET", "p"}).is_null());
  EXPECT_EQ(Run({"GET", "k"}), "v");
  PutOtherType("l");
  EXPECT_EQ(Run({"SETEX", "l", "10", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "l"}), "v");
}

TEST_F(StringFamilyTest, SetExErrors) {
  EXPECT_EQ(Run({"SETEX", "k", "0", "v"}).str, "ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Run({"SETEX", "k", "-5", "v"}).str, "ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Run({"SETEX", "k", "9223372036854775807", "v"}).str,
            "ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Run({"SETEX", "k", "abc", "v"}).str, kNotInteger);
  EXPECT_EQ(Run({"SETEX", "k", "1.5", "v"}).str, kNotInteger);
  EXPECT_EQ(Run({"PSETEX", "k", "0", "v"}).str, "ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(Run({"PSETEX", "k", "-1", "v"}).str, "ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(Run({"PSETEX", "k", "9223372036854775807", "v"}).str,
            "ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(Run({"SETEX", "k", "100"}).str, "ERR wrong number of arguments for 'setex' command");
  EXPECT_FALSE(Exists("k"));
}

// --- GETSET / GETDEL / GETEX -------------------------------------------------------------------

TEST_F(StringFamilyTest, GetSet) {
  EXPECT_TRUE(Run({"GETSET", "k", "first"}).is_null());
  EXPECT_EQ(Run({"GETSET", "k", "second"}), "first");
  EXPECT_EQ(Run({"GET", "k"}), "second");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"GETSET", "k", "w"}), "v");
  EXPECT_EQ(ExpireAt("k"), 0);
  PutOtherType("l");
  EXPECT_EQ(Run({"GETSET", "l", "x"}).str, kWrongType);
  EXPECT_TRUE(IsOtherType("l"));
}

TEST_F(StringFamilyTest, GetDel) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"GETDEL", "k"}), "v");
  EXPECT_FALSE(Exists("k"));
  EXPECT_EQ(server_->db(0).expires_count(), 0u);
  EXPECT_TRUE(Run({"GETDEL", "k"}).is_null());
  PutOtherType("l");
  EXPECT_EQ(Run({"GETDEL", "l"}).str, kWrongType);
  EXPECT_TRUE(IsOtherType("l"));
  EXPECT_EQ(Run({"GETDEL", "a", "b"}).str, "ERR wrong number of arguments for 'getdel' command");
}

TEST_F(StringFamilyTest, GetExWithoutOptionsLeavesTtl) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k"}), "v");
  EXPECT_EQ(ExpireAt("k"), Now() + 100000);
}

TEST_F(StringFamilyTest, GetExSetsAndRemovesExpiry) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "100"}), "v");
  EXPECT_EQ(ExpireAt("k"), Now() + 100000);
  EXPECT_EQ(Run({"GETEX", "k", "px", "2500"}), "v");
  EXPECT_EQ(ExpireAt("k"), Now() + 2500);
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "4000000000"}), "v");
  EXPECT_EQ(ExpireAt("k"), 4000000000000);
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", "4000000000123"}), "v");
  EXPECT_EQ(ExpireAt("k"), 4000000000123);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST"}), "v");
  EXPECT_EQ(ExpireAt("k"), 0);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "persist"}), "v");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "5", "EX", "6"}), "v");
  EXPECT_EQ(ExpireAt("k"), Now() + 6000);
  AdvanceTime(6000);
  EXPECT_TRUE(Run({"GETEX", "k"}).is_null());
}

TEST_F(StringFamilyTest, GetExPastAbsoluteDeadlineDeletes) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "1"}), "v");
  EXPECT_FALSE(Exists("k"));
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  std::string now_ms = std::to_string(Now());
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", now_ms}), "v");
  EXPECT_FALSE(Exists("k"));
}

TEST_F(StringFamilyTest, GetExErrors) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "0"}).str, "ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Run({"GETEX", "k", "PX", "-1"}).str, "ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "9223372036854775807"}).str,
            "ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "abc"}).str, kNotInteger);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"GETEX", "k", "EX"},
                                             {"GETEX", "k", "NX"},
                                             {"GETEX", "k", "KEEPTTL"},
                                             {"GETEX", "k", "GET"},
                                             {"GETEX", "k", "EX", "10", "PX", "10"},
                                             {"GETEX", "k", "EX", "10", "PERSIST"},
                                             {"GETEX", "k", "PERSIST", "EX", "10"},
                                             {"GETEX", "k", "FOO"}}) {
    EXPECT_EQ(Run(client(), args).str, "ERR syntax error") << args[2];
  }
  EXPECT_EQ(ExpireAt("k"), 0);
  EXPECT_EQ(Run({"GETEX"}).str, "ERR wrong number of arguments for 'getex' command");
}

TEST_F(StringFamilyTest, GetExOrderOfChecks) {
  // A missing key answers nil before the amount is looked at; syntax comes first of all.
  EXPECT_TRUE(Run({"GETEX", "missing", "EX", "0"}).is_null());
  EXPECT_TRUE(Run({"GETEX", "missing", "EX", "abc"}).is_null());
  EXPECT_EQ(Run({"GETEX", "missing", "FOO"}).str, "ERR syntax error");
  EXPECT_FALSE(Exists("missing"));
  PutOtherType("l");
  EXPECT_EQ(Run({"GETEX", "l", "EX", "0"}).str, kWrongType);
  EXPECT_EQ(Run({"GETEX", "l", "BAD"}).str, "ERR syntax error");
}

// --- MGET / MSET / MSETNX ----------------------------------------------------------------------

TEST_F(StringFamilyTest, MGet) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Run({"SET", "b", "2"}), "OK");
  PutOtherType("l");
  RespValue v = Run({"MGET", "a", "missing", "l", "b", "a"});
  ASSERT_EQ(v.type, RespValue::Type::kArray);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], "1");
  EXPECT_TRUE(v[1].is_null());
  EXPECT_TRUE(v[2].is_null());
  EXPECT_EQ(v[3], "2");
  EXPECT_EQ(v[4], "1");
  EXPECT_EQ(Run({"MGET"}).str, "ERR wrong number of arguments for 'mget' command");
}

TEST_F(StringFamilyTest, MSet) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Run({"MGET", "a", "b"}), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Run({"MSET", "a", "x", "a", "y"}), "OK");
  EXPECT_EQ(Run({"GET", "a"}), "y");
  EXPECT_EQ(Run({"SET", "t", "v", "EX", "100"}), "OK");
  PutOtherType("l");
  EXPECT_EQ(Run({"MSET", "t", "w", "l", "z"}), "OK");
  EXPECT_EQ(ExpireAt("t"), 0);
  EXPECT_EQ(Run({"GET", "l"}), "z");
}

TEST_F(StringFamilyTest, MSetOddArgumentCount) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}).str, "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MSET", "a"}).str, "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MSETNX", "a", "1", "b"}).str,
            "ERR wrong number of arguments for 'msetnx' command");
  EXPECT_FALSE(Exists("a"));
}

TEST_F(StringFamilyTest, MSetNx) {
  EXPECT_EQ(Run({"MSETNX", "a", "1", "b", "2"}), 1);
  EXPECT_EQ(Run({"MSETNX", "c", "3", "a", "x"}), 0);
  EXPECT_FALSE(Exists("c"));
  EXPECT_EQ(Run({"GET", "a"}), "1");
  EXPECT_EQ(Run({"MSETNX", "d", "1", "d", "2"}), 1);
  EXPECT_EQ(Run({"GET", "d"}), "2");
  PutOtherType("l");
  EXPECT_EQ(Run({"MSETNX", "l", "x"}), 0);
  EXPECT_TRUE(IsOtherType("l"));
}

TEST_F(StringFamilyTest, MSetNxTreatsExpiredKeysAsMissing) {
  EXPECT_EQ(Run({"SET", "a", "old", "PX", "5"}), "OK");
  AdvanceTime(5);
  EXPECT_EQ(Run({"MSETNX", "a", "new", "b", "2"}), 1);
  EXPECT_EQ(Run({"GET", "a"}), "new");
  EXPECT_EQ(ExpireAt("a"), 0);
}

// --- INCR / DECR / INCRBY / DECRBY -------------------------------------------------------------

TEST_F(StringFamilyTest, IncrDecrFamily) {
  EXPECT_EQ(Run({"INCR", "n"}), 1);
  EXPECT_EQ(Run({"INCR", "n"}), 2);
  EXPECT_EQ(Run({"DECR", "n"}), 1);
  EXPECT_EQ(Run({"INCRBY", "n", "10"}), 11);
  EXPECT_EQ(Run({"INCRBY", "n", "-20"}), -9);
  EXPECT_EQ(Run({"DECRBY", "n", "5"}), -14);
  EXPECT_EQ(Run({"DECRBY", "n", "-4"}), -10);
  EXPECT_EQ(Run({"GET", "n"}), "-10");
  EXPECT_EQ(Run({"DECR", "fresh"}), -1);
  EXPECT_EQ(Run({"DECRBY", "fresh2", "7"}), -7);
  EXPECT_EQ(Run({"INCRBY", "n", "0"}), -10);
}

TEST_F(StringFamilyTest, IncrRejectsNonCanonicalIntegers) {
  for (const std::string& value : std::vector<std::string>{
           "abc", "1.5", " 1", "1 ", "+1", "007", "-0", "", "9223372036854775808", "1e3"}) {
    EXPECT_EQ(Run(client(), std::vector<std::string>{"SET", "n", value}), "OK");
    EXPECT_EQ(Run({"INCR", "n"}).str, kNotInteger) << '"' << value << '"';
    EXPECT_EQ(Run({"GET", "n"}).str, value);
  }
}

TEST_F(StringFamilyTest, IncrByRejectsBadIncrements) {
  EXPECT_EQ(Run({"INCRBY", "n", "abc"}).str, kNotInteger);
  EXPECT_EQ(Run({"INCRBY", "n", "1.5"}).str, kNotInteger);
  EXPECT_EQ(Run({"INCRBY", "n", ""}).str, kNotInteger);
  EXPECT_EQ(Run({"DECRBY", "n", " 1"}).str, kNotInteger);
  EXPECT_EQ(Run({"INCRBY", "n", "9223372036854775808"}).str, kNotInteger);
  EXPECT_FALSE(Exists("n"));
}

TEST_F(StringFamilyTest, IncrOverflow) {
  const std::string overflow = "ERR increment or decrement would overflow";
  EXPECT_EQ(Run({"SET", "n", "9223372036854775806"}), "OK");
  EXPECT_EQ(Run({"INCR", "n"}), INT64_MAX);
  EXPECT_EQ(Run({"INCR", "n"}).str, overflow);
  EXPECT_EQ(Run({"GET", "n"}), "9223372036854775807");
  EXPECT_EQ(Run({"SET", "n", "-9223372036854775807"}), "OK");
  EXPECT_EQ(Run({"DECR", "n"}), INT64_MIN);
  EXPECT_EQ(Run({"DECR", "n"}).str, overflow);
  EXPECT_EQ(Run({"SET", "n", "1"}), "OK");
  EXPECT_EQ(Run({"INCRBY", "n", "9223372036854775807"}).str, overflow);
  EXPECT_EQ(Run({"SET", "n", "-1"}), "OK");
  EXPECT_EQ(Run({"INCRBY", "n", "-9223372036854775808"}).str, overflow);
  EXPECT_EQ(Run({"DECRBY", "n", "9223372036854775807"}), INT64_MIN);
  EXPECT_EQ(Run({"SET", "n", "0"}), "OK");
  EXPECT_EQ(Run({"INCRBY", "n", "-9223372036854775808"}), INT64_MIN);
}

TEST_F(StringFamilyTest, DecrByMostNegativeCannotBeNegated) {
  EXPECT_EQ(Run({"DECRBY", "n", "-9223372036854775808"}).str, "ERR decrement would overflow");
  EXPECT_FALSE(Exists("n"));
  // Checked before the key's type.
  PutOtherType("l");
  EXPECT_EQ(Run({"DECRBY", "l", "-9223372036854775808"}).str, "ERR decrement would overflow");
}

TEST_F(StringFamilyTest, IncrAgainstOtherType) {
  PutOtherType("l");
  EXPECT_EQ(Run({"INCR", "l"}).str, kWrongType);
  EXPECT_EQ(Run({"DECR", "l"}).str, kWrongType);
  EXPECT_EQ(Run({"INCRBY", "l", "1"}).str, kWrongType);
  EXPECT_EQ(Run({"DECRBY", "l", "1"}).str, kWrongType);
  // The increment is parsed before the key is looked at.
  EXPECT_EQ(Run({"INCRBY", "l", "x"}).str, kNotInteger);
  EXPECT_TRUE(IsOtherType("l"));
}

TEST_F(StringFamilyTest, IncrKeepsTtl) {
  EXPECT_EQ(Run({"SET", "n", "10", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"INCR", "n"}), 11);
  EXPECT_EQ(Run({"DECRBY", "n", "3"}), 8);
  EXPECT_EQ(ExpireAt("n"), Now() + 100000);
  AdvanceTime(100000);
  EXPECT_EQ(Run({"INCR", "n"}), 1);
  EXPECT_EQ(ExpireAt("n"), 0);
}

TEST_F(StringFamilyTest, IncrUpdatesInPlace) {
  // 19 digits: longer than any small-string buffer, so the bytes live on the heap.
  EXPECT_EQ(Run({"SET", "n", "1000000000000000000"}), "OK");
  const char* before = server_->db(0).FindRaw("n")->str().data();
  EXPECT_EQ(Run({"INCR", "n"}), 1000000000000000001);
  EXPECT_EQ(server_->db(0).FindRaw("n")->str().data(), before);
  EXPECT_EQ(Run({"GET", "n"}), "1000000000000000001");
}

// --- INCRBYFLOAT -------------------------------------------------------------------------------

TEST_F(StringFamilyTest, IncrByFloatFormatting) {
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "10.5"}), "10.5");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), "10.6");
  EXPECT_EQ(Run({"GET", "f"}), "10.6");
  EXPECT_EQ(Run({"SET", "f", "5.0e3"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "2.0e2"}), "5200");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-5200"}), "0");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0x10"}), "16");
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "1.23456789012345678901"}), "1.23456789012345679");
  EXPECT_EQ(Run({"INCRBYFLOAT", "h", "-0.0000000000000000001"}), "0");
  RespValue v = Run({"INCRBYFLOAT", "i", "3"});
  EXPECT_EQ(v.type, RespValue::Type::kBulk);
  EXPECT_EQ(v, "3");
}

TEST_F(StringFamilyTest, IncrByFloatReplyIsBulkInResp3) {
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  RespValue v = Run({"INCRBYFLOAT", "f", "1.5"});
  EXPECT_EQ(v.type, RespValue::Type::kBulk);
  EXPECT_EQ(v, "1.5");
}

TEST_F(StringFamilyTest, IncrByFloatErrors) {
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "abc"}).str, kNotFloat);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", ""}).str, kNotFloat);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1 "}).str, kNotFloat);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "nan"}).str, kNotFloat);
  EXPECT_FALSE(Exists("f"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}).str, "ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"SET", "f", "1.7e308"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-inf"}).str, "ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"GET", "f"}), "1.7e308");
  EXPECT_EQ(Run({"SET", "f", "1.5 "}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1"}).str, kNotFloat);
  EXPECT_EQ(Run({"SET", "f", ""}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1"}).str, kNotFloat);
}

TEST_F(StringFamilyTest, IncrByFloatAgainstOtherTypeChecksTypeFirst) {
  PutOtherType("l");
  EXPECT_EQ(Run({"INCRBYFLOAT", "l", "1"}).str, kWrongType);
  EXPECT_EQ(Run({"INCRBYFLOAT", "l", "x"}).str, kWrongType);
  EXPECT_TRUE(IsOtherType("l"));
}

TEST_F(StringFamilyTest, IncrByFloatKeepsTtl) {
  EXPECT_EQ(Run({"SET", "f", "10", "PX", "5000"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.5"}), "10.5");
  EXPECT_EQ(ExpireAt("f"), Now() + 5000);
}

// --- APPEND / STRLEN ---------------------------------------------------------------------------

TEST_F(StringFamilyTest, AppendAndStrLen) {
  EXPECT_EQ(Run({"APPEND", "s", "Hello"}), 5);
  EXPECT_EQ(Run({"APPEND", "s", " World"}), 11);
  EXPECT_EQ(Run({"GET", "s"}), "Hello World");
  EXPECT_EQ(Run({"STRLEN", "s"}), 11);
  EXPECT_EQ(Run({"APPEND", "s", ""}), 11);
  EXPECT_EQ(Run({"STRLEN", "missing"}), 0);
  EXPECT_EQ(Run({"SET", "n", "123"}), "OK");
  EXPECT_EQ(Run({"APPEND", "n", "45"}), 5);
  EXPECT_EQ(Run({"INCR", "n"}), 12346);
}

TEST_F(StringFamilyTest, AppendEmptyCreatesTheKey) {
  EXPECT_EQ(Run({"APPEND", "e", ""}), 0);
  EXPECT_TRUE(Exists("e"));
  EXPECT_EQ(Run({"GET", "e"}), "");
}

TEST_F(StringFamilyTest, AppendKeepsTtl) {
  EXPECT_EQ(Run({"SET", "s", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"APPEND", "s", "x"}), 2);
  EXPECT_EQ(ExpireAt("s"), Now() + 100000);
}

TEST_F(StringFamilyTest, AppendAndStrLenAgainstOtherType) {
  PutOtherType("l");
  EXPECT_EQ(Run({"APPEND", "l", "x"}).str, kWrongType);
  EXPECT_EQ(Run({"STRLEN", "l"}).str, kWrongType);
  EXPECT_TRUE(IsOtherType("l"));
}

TEST_F(StringFamilyTest, AppendRespectsMaxBulkLen) {
  SetMaxBulkLen("1048576");
  std::string chunk(1048570, 'a');
  EXPECT_EQ(Run(client(), std::vector<std::string>{"SET", "s", chunk}), "OK");
  EXPECT_EQ(Run({"APPEND", "s", "123456"}), 1048576);
  EXPECT_EQ(Run({"APPEND", "s", "x"}).str, kTooLong);
  EXPECT_EQ(Run({"STRLEN", "s"}), 1048576);
}

// --- GETRANGE / SUBSTR / SETRANGE --------------------------------------------------------------

TEST_F(StringFamilyTest, GetRange) {
  EXPECT_EQ(Run({"SET", "s", "Hello World"}), "OK");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "4"}), "Hello");
  EXPECT_EQ(Run({"GETRANGE", "s", "-5", "-1"}), "World");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "-1"}), "Hello World");
  EXPECT_EQ(Run({"GETRANGE", "s", "3", "100"}), "lo World");
  EXPECT_EQ(Run({"GETRANGE", "s", "-100", "3"}), "Hell");
  EXPECT_EQ(Run({"GETRANGE", "s", "10", "10"}), "d");
  EXPECT_EQ(Run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}), "Hello World");
  // Both ends clamp to the first byte when they fall before the start without crossing.
  EXPECT_EQ(Run({"GETRANGE", "s", "-100", "-50"}), "H");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "-100"}), "H");
  EXPECT_EQ(Run({"SUBSTR", "s", "6", "-1"}), "World");
}

TEST_F(StringFamilyTest, GetRangeEmptyResults) {
  EXPECT_EQ(Run({"SET", "s", "Hello World"}), "OK");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"GETRANGE", "s", "5", "2"},
                                             {"GETRANGE", "s", "-1", "-5"},
                                             {"GETRANGE", "s", "100", "200"},
                                             {"GETRANGE", "s", "11", "11"},
                                             {"GETRANGE", "missing", "0", "-1"}}) {
    RespValue v = Run(client(), args);
    EXPECT_EQ(v.type, RespValue::Type::kBulk) << args[2] << " " << args[3];
    EXPECT_EQ(v, "") << args[2] << " " << args[3];
  }
  EXPECT_EQ(Run({"SET", "e", ""}), "OK");
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "-1"}), "");
}

TEST_F(StringFamilyTest, GetRangeErrors) {
  PutOtherType("l");
  EXPECT_EQ(Run({"GETRANGE", "l", "0", "1"}).str, kWrongType);
  EXPECT_EQ(Run({"GETRANGE", "l", "0", "x"}).str, kNotInteger);
  EXPECT_EQ(Run({"GETRANGE", "s", "a", "1"}).str, kNotInteger);
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "1.0"}).str, kNotInteger);
  EXPECT_EQ(Run({"GETRANGE", "s", "0"}).str,
            "ERR wrong number of arguments for 'getrange' command");
  EXPECT_EQ(Run({"SUBSTR", "s", "0"}).str, "ERR wrong number of arguments for 'substr' command");
}

TEST_F(StringFamilyTest, SetRange) {
  EXPECT_EQ(Run({"SET", "s", "Hello World"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "s", "6", "Redis"}), 11);
  EXPECT_EQ(Run({"GET", "s"}), "Hello Redis");
  EXPECT_EQ(Run({"SETRANGE", "s", "0", "J"}), 11);
  EXPECT_EQ(Run({"SETRANGE", "s", "11", "!"}), 12);
  EXPECT_EQ(Run({"GET", "s"}), "Jello Redis!");
  EXPECT_EQ(Run({"SETRANGE", "s", "14", "end"}), 17);
  EXPECT_EQ(Run({"GET", "s"}).str, std::string("Jello Redis!\0\0end", 17));
  EXPECT_EQ(Run({"SETRANGE", "fresh", "3", "ab"}), 5);
  EXPECT_EQ(Run({"GET", "fresh"}).str, std::string("\0\0\0ab", 5));
  EXPECT_EQ(Run({"SET", "n", "12345"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "n", "1", "x"}), 5);
  EXPECT_EQ(Run({"GET", "n"}), "1x345");
}

TEST_F(StringFamilyTest, SetRangeWithEmptyValueChangesNothing) {
  EXPECT_EQ(Run({"SETRANGE", "missing", "0", ""}), 0);
  EXPECT_EQ(Run({"SETRANGE", "missing", "10", ""}), 0);
  EXPECT_FALSE(Exists("missing"));
  EXPECT_EQ(Run({"SET", "s", "abc"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "s", "5", ""}), 3);
  // No size check either: nothing would be written.
  EXPECT_EQ(Run({"SETRANGE", "s", "99999999999", ""}), 3);
  EXPECT_EQ(Run({"GET", "s"}), "abc");
}

TEST_F(StringFamilyTest, SetRangeErrors) {
  EXPECT_EQ(Run({"SET", "s", "abc"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "s", "-1", "x"}).str, "ERR offset is out of range");
  EXPECT_EQ(Run({"SETRANGE", "s", "-1", ""}).str, "ERR offset is out of range");
  EXPECT_EQ(Run({"SETRANGE", "s", "abc", "x"}).str, kNotInteger);
  EXPECT_EQ(Run({"SETRANGE", "s", "536870912", "x"}).str, kTooLong);
  EXPECT_EQ(Run({"SETRANGE", "s", "536870911", "xy"}).str, kTooLong);
  EXPECT_EQ(Run({"SETRANGE", "s", "9223372036854775807", "x"}).str, kTooLong);
  EXPECT_EQ(Run({"SETRANGE", "huge", "536870912", "x"}).str, kTooLong);
  EXPECT_FALSE(Exists("huge"));
  EXPECT_EQ(Run({"GET", "s"}), "abc");
  PutOtherType("l");
  EXPECT_EQ(Run({"SETRANGE", "l", "0", "x"}).str, kWrongType);
  EXPECT_EQ(Run({"SETRANGE", "l", "0", ""}).str, kWrongType);
  EXPECT_TRUE(IsOtherType("l"));
}

TEST_F(StringFamilyTest, SetRangeFollowsConfiguredMaxBulkLen) {
  SetMaxBulkLen("1048576");
  EXPECT_EQ(Run({"SETRANGE", "s", "1048575", "x"}), 1048576);
  EXPECT_EQ(Run({"SETRANGE", "s", "1048576", "x"}).str, kTooLong);
  EXPECT_EQ(Run({"SETRANGE", "s", "1048575", "xy"}).str, kTooLong);
}

TEST_F(StringFamilyTest, SetRangeKeepsTtl) {
  EXPECT_EQ(Run({"SET", "s", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"SETRANGE", "s", "1", "x"}), 2);
  EXPECT_EQ(ExpireAt("s"), Now() + 100000);
}

// --- LCS ---------------------------------------------------------------------------------------

TEST_F(StringFamilyTest, LcsStringAndLength) {
  EXPECT_EQ(Run({"MSET", "a", "ohmytext", "b", "mynewtext"}), "OK");
  EXPECT_EQ(Run({"LCS", "a", "b"}), "mytext");
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN"}), 6);
  EXPECT_EQ(Run({"LCS", "a", "b", "len", "LEN", "WITHMATCHLEN"}), 6);
  EXPECT_EQ(Run({"LCS", "a", "missing"}), "");
  EXPECT_EQ(Run({"LCS", "missing", "other", "LEN"}), 0);
}

TEST_F(StringFamilyTest, LcsIndexes) {
  EXPECT_EQ(Run({"MSET", "a", "ohmytext", "b", "mynewtext"}), "OK");
  RespValue v = Run({"LCS", "a", "b", "IDX"});
  ASSERT_EQ(v.type, RespValue::Type::kArray);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "matches");
  EXPECT_EQ(v[2], "len");
  EXPECT_EQ(v[3], 6);
  const RespValue& matches = v[1];
  ASSERT_EQ(matches.size(), 2u);
  // Reported from the end of the strings: "text" first, then "my".
  EXPECT_EQ(matches[0].size(), 2u);
  EXPECT_EQ(matches[0][0][0], 4);
  EXPECT_EQ(matches[0][0][1], 7);
  EXPECT_EQ(matches[0][1][0], 5);
  EXPECT_EQ(matches[0][1][1], 8);
  EXPECT_EQ(matches[1][0][0], 2);
  EXPECT_EQ(matches[1][0][1], 3);
  EXPECT_EQ(matches[1][1][0], 0);
  EXPECT_EQ(matches[1][1][1], 1);

  RespValue filtered = Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"});
  ASSERT_EQ(filtered[1].size(), 1u);
  ASSERT_EQ(filtered[1][0].size(), 3u);
  EXPECT_EQ(filtered[1][0][2], 4);
  EXPECT_EQ(filtered[3], 6);

  // A negative minimum counts as none.
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "-4"})[1].size(), 2u);
}

TEST_F(StringFamilyTest, LcsIndexesOfEmptyInputs) {
  RespValue v = Run({"LCS", "x", "y", "IDX", "WITHMATCHLEN"});
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[1].type, RespValue::Type::kArray);
  EXPECT_EQ(v[1].size(), 0u);
  EXPECT_EQ(v[3], 0);
}

TEST_F(StringFamilyTest, LcsRangesStopAtTheStartOfEitherString) {
  EXPECT_EQ(Run({"MSET", "a", "abcXdefYghi", "b", "abcdefZghi"}), "OK");
  RespValue v = Run({"LCS", "a", "b", "IDX", "WITHMATCHLEN"});
  ASSERT_EQ(v[1].size(), 3u);
  EXPECT_EQ(v[1][0][0][0], 8);  // "ghi"
  EXPECT_EQ(v[1][0][1][0], 7);
  EXPECT_EQ(v[1][1][0][0], 4);  // "def"
  EXPECT_EQ(v[1][1][0][1], 6);
  EXPECT_EQ(v[1][2][0][0], 0);  // "abc"
  EXPECT_EQ(v[1][2][1][1], 2);
  EXPECT_EQ(v[1][2][2], 3);
  EXPECT_EQ(v[3], 9);
}

TEST_F(StringFamilyTest, LcsIsAMapInResp3) {
  EXPECT_EQ(Run({"MSET", "a", "ohmytext", "b", "mynewtext"}), "OK");
  EXPECT_EQ(Run({"HELLO", "3"}).type, RespValue::Type::kMap);
  RespValue v = Run({"LCS", "a", "b", "IDX"});
  ASSERT_EQ(v.type, RespValue::Type::kMap);
  EXPECT_EQ(v[0], "matches");
  EXPECT_EQ(v[2], "len");
  EXPECT_EQ(v[3], 6);
}

TEST_F(StringFamilyTest, LcsErrors) {
  EXPECT_EQ(Run({"MSET", "a", "abc", "b", "abd"}), "OK");
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "LEN"}).str,
            "ERR If you want both the length and indexes, please just use IDX.");
  EXPECT_EQ(Run({"LCS", "a", "b", "MINMATCHLEN"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"LCS", "a", "b", "MINMATCHLEN", "x"}).str, kNotInteger);
  EXPECT_EQ(Run({"LCS", "a", "b", "FOO"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"LCS", "a"}).str, "ERR wrong number of arguments for 'lcs' command");
  PutOtherType("l");
  // The type check comes before the options.
  EXPECT_EQ(Run({"LCS", "l", "a", "FOO"}).str, "ERR The specified keys must contain string values");
  EXPECT_EQ(Run({"LCS", "a", "l"}).str, "ERR The specified keys must contain string values");
}

TEST_F(StringFamilyTest, LcsTableIsBoundedByMaxBulkLen) {
  SetMaxBulkLen("1048576");
  // (601 * 601) cells of 4 bytes exceed 1 MiB; (601 * 401) do not.
  EXPECT_EQ(
      Run(client(), std::vector<std::string>{"MSET", "a", std::string(600, 'a'), "b",
                                             std::string(600, 'a'), "c", std::string(400, 'a')}),
      "OK");
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN"}).str,
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  EXPECT_EQ(Run({"LCS", "a", "c", "LEN"}), 400);
}

// --- WATCH: writes that change nothing ---------------------------------------------------------

TEST_F(StringFamilyTest, NoOpWritesDoNotDisturbWatchers) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  PutOtherType("l");
  using Args = std::vector<std::string>;
  const std::vector<std::pair<std::string, Args>> no_ops = {
      {"k", {"SET", "k", "w", "NX"}},
      {"k", {"SET", "k", "w", "NX", "GET"}},
      {"absent", {"SET", "absent", "w", "XX"}},
      {"k", {"SETNX", "k", "w"}},
      {"k", {"MSETNX", "other", "1", "k", "w"}},
      {"other", {"MSETNX", "other", "1", "k", "w"}},
      {"k", {"GETEX", "k"}},
      {"k", {"GETEX", "k", "PERSIST"}},
      {"absent", {"GETEX", "absent", "EX", "10"}},
      {"absent", {"GETDEL", "absent"}},
      {"k", {"SETRANGE", "k", "0", ""}},
      {"k", {"GET", "k"}},
      {"k", {"INCR", "k"}},              // fails: not an integer
      {"l", {"APPEND", "l", "x"}},       // fails: wrong type
      {"k", {"GETEX", "k", "EX", "0"}},  // fails: invalid expiry
  };
  for (const auto& [key, args] : no_ops) {
    EXPECT_TRUE(WatchSurvives(key, [&](Session* other) { Run(other, args); }))
        << args[0] << " " << args[1];
  }
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_FALSE(Exists("other"));
}

TEST_F(StringFamilyTest, WritesDisturbWatchers) {
  using Args = std::vector<std::string>;
  const std::vector<std::pair<std::string, Args>> writes = {
      {"k", {"SET", "k", "v"}},
      {"k", {"SET", "k", "v"}},  // same value: still a write
      {"k", {"SETNX", "k2", "v"}},
      {"n", {"INCR", "n"}},
      {"f", {"INCRBYFLOAT", "f", "1"}},
      {"k", {"APPEND", "k", ""}},
      {"k", {"SETRANGE", "k", "0", "x"}},
      {"k", {"GETEX", "k", "EX", "100"}},
      {"k", {"GETEX", "k", "PERSIST"}},
      {"b", {"MSET", "a", "1", "b", "2"}},
      {"d", {"MSETNX", "c", "1", "d", "2"}},
      {"k", {"GETSET", "k", "z"}},
      {"k", {"GETDEL", "k"}},
  };
  for (const auto& [key, args] : writes) {
    // SETNX on k2 must not disturb a watcher of k; every other write touches the watched key.
    bool expect_survive = args[0] == "SETNX";
    EXPECT_EQ(WatchSurvives(key, [&](Session* other) { Run(other, args); }), expect_survive)
        << args[0] << " " << args[1];
  }
}

// --- Specs -------------------------------------------------------------------------------------

TEST_F(StringFamilyTest, SpecsMatchRedis) {
  struct Expected {
    std::string_view name;
    int arity;
    uint32_t flags;
    int first, last, step;
    std::string_view since;
  };
  const uint32_t w = kCmdWrite, r = kCmdReadOnly, d = kCmdDenyOom, f = kCmdFast;
  const std::vector<Expected> expected = {
      {"get", 2, r | f, 1, 1, 1, "1.0.0"},        {"set", -3, w | d, 1, 1, 1, "1.0.0"},
      {"setnx", 3, w | d | f, 1, 1, 1, "1.0.0"},  {"setex", 4, w | d, 1, 1, 1, "2.0.0"},
      {"psetex", 4, w | d, 1, 1, 1, "2.6.0"},     {"getset", 3, w | d | f, 1, 1, 1, "1.0.0"},
      {"getdel", 2, w | f, 1, 1, 1, "6.2.0"},     {"getex", -2, w | f, 1, 1, 1, "6.2.0"},
      {"mget", -2, r | f, 1, -1, 1, "1.0.0"},     {"mset", -3, w | d, 1, -1, 2, "1.0.1"},
      {"msetnx", -3, w | d, 1, -1, 2, "1.0.1"},   {"incr", 2, w | d | f, 1, 1, 1, "1.0.0"},
      {"decr", 2, w | d | f, 1, 1, 1, "1.0.0"},   {"incrby", 3, w | d | f, 1, 1, 1, "1.0.0"},
      {"decrby", 3, w | d | f, 1, 1, 1, "1.0.0"}, {"incrbyfloat", 3, w | d | f, 1, 1, 1, "2.6.0"},
      {"append", 3, w | d | f, 1, 1, 1, "2.0.0"}, {"strlen", 2, r | f, 1, 1, 1, "2.2.0"},
      {"getrange", 4, r, 1, 1, 1, "2.4.0"},       {"substr", 4, r, 1, 1, 1, "1.0.0"},
      {"setrange", 4, w | d, 1, 1, 1, "2.2.0"},   {"lcs", -3, r, 1, 2, 1, "7.0.0"},
  };
  for (const Expected& e : expected) {
    const CommandSpec* spec = server_->commands().Find(e.name);
    ASSERT_NE(spec, nullptr) << e.name;
    EXPECT_EQ(spec->arity, e.arity) << e.name;
    EXPECT_EQ(spec->flags, e.flags) << e.name;
    EXPECT_EQ(spec->first_key, e.first) << e.name;
    EXPECT_EQ(spec->last_key, e.last) << e.name;
    EXPECT_EQ(spec->key_step, e.step) << e.name;
    EXPECT_EQ(spec->since, e.since) << e.name;
    EXPECT_EQ(spec->group, "string") << e.name;
    EXPECT_FALSE(spec->summary.empty()) << e.name;
    EXPECT_FALSE(spec->syntax.empty()) << e.name;
    EXPECT_FALSE(spec->complexity.empty()) << e.name;
  }
}

TEST_F(StringFamilyTest, MSetKeyPositionsSkipValues) {
  const CommandSpec* spec = server_->commands().Find("mset");
  ASSERT_NE(spec, nullptr);
  std::vector<std::string_view> args = {"mset", "a", "1", "b", "2", "c", "3"};
  std::vector<size_t> positions;
  spec->KeyPositions(args, &positions);
  EXPECT_EQ(positions, (std::vector<size_t>{1, 3, 5}));
}

}  // namespace
}  // namespace sluice::testing
