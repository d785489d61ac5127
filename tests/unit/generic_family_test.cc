#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server/types/serialize.h"
#include "server/util/crc64.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

// A collection standing in for the real types, so keyspace commands can be checked against
// non-string values without depending on another family.
class FakeCollection : public Collection {
 public:
  explicit FakeCollection(ObjType type) : type_(type) {}
  ObjType type() const override { return type_; }
  std::string_view Encoding() const override { return "fakeencoding"; }
  std::unique_ptr<Collection> Clone() const override {
    return std::make_unique<FakeCollection>(*this);
  }
  size_t MemoryUsage() const override { return items.size(); }
  size_t Length() const override { return items.size(); }

  std::vector<std::string> items;

 private:
  ObjType type_;
};

class GenericFamilyTest : public ServerTest {
 protected:
  FakeCollection* PutFake(int db, std::string_view key, ObjType type) {
    auto coll = std::make_unique<FakeCollection>(type);
    coll->items.push_back("a");
    FakeCollection* raw = coll.get();
    server_->db(db).Put(key, Object(std::move(coll)));
    return raw;
  }

  // WATCHes `key` in database `db`, lets `change` run on another client, and reports whether a
  // transaction started afterwards still executes.
  bool ExecSurvives(int db, std::string_view key, const std::function<void(Session*)>& change) {
    Session* other = NewClient();
    std::string index = std::to_string(db);
    EXPECT_EQ(Run({"SELECT", index}), "OK");
    EXPECT_EQ(Run({"WATCH", key}), "OK");
    change(other);
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    RespValue result = Run({"EXEC"});
    EXPECT_EQ(Run({"SELECT", "0"}), "OK");
    return !result.is_null();
  }

  std::string Dump(std::string_view key) {
    RespValue v = Run({"DUMP", key});
    EXPECT_EQ(v.type, RespValue::Type::kBulk) << v;
    return v.str;
  }

  uint64_t Dirty() { return server_->stats().dirty; }
};

TEST_F(GenericFamilyTest, DelCountsKeysThatExisted) {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  EXPECT_EQ(Run({"DEL", "a", "b", "a", "missing"}), 2);
  EXPECT_EQ(Run({"EXISTS", "a", "b"}), 0);
  Run({"SET", "c", "3"});
  EXPECT_EQ(Run({"UNLINK", "c", "c"}), 1);
  EXPECT_EQ(server_->db(0).size(), 0u);
  EXPECT_EQ(Run({"DEL"}).str, "ERR wrong number of arguments for 'del' command");
}

TEST_F(GenericFamilyTest, DelOfMissingKeysChangesNothing) {
  uint64_t before = Dirty();
  EXPECT_EQ(Run({"DEL", "nope", "nada"}), 0);
  EXPECT_EQ(Dirty(), before);
  EXPECT_TRUE(ExecSurvives(0, "nope", [&](Session* other) { Run(other, {"DEL", "nope"}); }));
  Run({"SET", "k", "v"});
  EXPECT_FALSE(ExecSurvives(0, "k", [&](Session* other) { Run(other, {"UNLINK", "k"}); }));
}

TEST_F(GenericFamilyTest, DelIgnoresExpiredKeys) {
  Run({"SET", "k", "v", "PX", "10"});
  server_->AdvanceFakeTime(10);  // expired but not yet swept
  EXPECT_EQ(Run({"DEL", "k"}), 0);
}

TEST_F(GenericFamilyTest, ExistsCountsRepeatsAndSkipsExpired) {
  Run({"SET", "a", "1"});
  EXPECT_EQ(Run({"EXISTS", "a", "a", "a", "b"}), 3);
  Run({"SET", "t", "1", "PX", "5"});
  EXPECT_EQ(Run({"EXISTS", "t"}), 1);
  server_->AdvanceFakeTime(5);
  EXPECT_EQ(Run({"EXISTS", "t"}), 0);
}

TEST_F(GenericFamilyTest, ExistsCountsHitsAndMisses) {
  Run({"SET", "a", "1"});
  uint64_t hits = server_->stats().keyspace_hits;
  uint64_t misses = server_->stats().keyspace_misses;
  EXPECT_EQ(Run({"EXISTS", "a", "b"}), 1);
  EXPECT_EQ(server_->stats().keyspace_hits, hits + 1);
  EXPECT_EQ(server_->stats().keyspace_misses, misses + 1);
}

TEST_F(GenericFamilyTest, TypeNamesEachType) {
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"TYPE", "s"}), "string");
  EXPECT_EQ(Run({"TYPE", "s"}).type, RespValue::Type::kStatus);
  EXPECT_EQ(Run({"TYPE", "missing"}), "none");
  PutFake(0, "l", ObjType::kList);
  PutFake(0, "h", ObjType::kHash);
  PutFake(0, "z", ObjType::kZSet);
  PutFake(0, "x", ObjType::kStream);
  PutFake(0, "q", ObjType::kQueue);
  EXPECT_EQ(Run({"TYPE", "l"}), "list");
  EXPECT_EQ(Run({"TYPE", "h"}), "hash");
  EXPECT_EQ(Run({"TYPE", "z"}), "zset");
  EXPECT_EQ(Run({"TYPE", "x"}), "stream");
  EXPECT_EQ(Run({"TYPE", "q"}), "queue");
}

TEST_F(GenericFamilyTest, KeysMatchesGlobAndSkipsExpired) {
  for (const char* key : {"user:1", "user:2", "admin", "user:10"}) Run({"SET", key, "x"});
  Run({"SET", "user:3", "x", "PX", "5"});
  server_->AdvanceFakeTime(5);
  RespValue v = Run({"KEYS", "user:?"});
  std::vector<std::string> keys = v.Strings();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"user:1", "user:2"}));
  EXPECT_EQ(Run({"KEYS", "*"}).size(), 4u);
  EXPECT_EQ(Run({"KEYS", "nothing*"}).size(), 0u);
}

TEST_F(GenericFamilyTest, KeysStarIncludesTheEmptyKey) {
  Run({"SET", "", "x"});
  EXPECT_EQ(Run({"KEYS", "*"}), (std::vector<std::string>{""}));
  EXPECT_EQ(Run({"KEYS", "**"}).size(), 0u);
}

TEST_F(GenericFamilyTest, ScanVisitsEveryKeyOnce) {
  constexpr int kKeys = 500;
  for (int i = 0; i < kKeys; ++i) Run({"SET", "key:" + std::to_string(i), "v"});
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    RespValue v = Run({"SCAN", cursor, "COUNT", "20"});
    ASSERT_EQ(v.size(), 2u);
    ASSERT_EQ(v[0].type, RespValue::Type::kBulk);
    cursor = v[0].str;
    for (const std::string& key : v[1].Strings()) seen.insert(key);
    ASSERT_LT(++calls, 10 * kKeys);
  } while (cursor != "0");
  EXPECT_GT(calls, 1);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kKeys));
}

// SCAN's guarantee: a key present from the start of a walk to its end is returned, however the
// keyspace's table grows between calls (keys may come back twice).
TEST_F(GenericFamilyTest, ScanReturnsEveryKeyPresentThroughoutWhileTheKeyspaceGrows) {
  constexpr int kKeys = 300;
  for (int i = 0; i < kKeys; ++i) Run({"SET", "old:" + std::to_string(i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  int added = 0;
  do {
    RespValue v = Run({"SCAN", cursor, "COUNT", "10"});
    ASSERT_EQ(v.size(), 2u);
    cursor = v[0].str;
    for (const std::string& key : v[1].Strings()) seen.insert(key);
    // Enough new keys between calls that the table is resized several times mid-walk.
    for (int j = 0; j < 40 && added < 20000; ++j, ++added) {
      Run({"SET", "new:" + std::to_string(added), "v"});
    }
    ASSERT_LT(++calls, 100000);
  } while (cursor != "0");
  EXPECT_GT(added, kKeys);
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_TRUE(seen.count("old:" + std::to_string(i))) << "old:" << i << " was never returned";
  }
}

// After mass deletion the periodic task gives the table's empty buckets back, and SCAN and
// RANDOMKEY still find every key left.
TEST_F(GenericFamilyTest, ASparseKeyspaceShrinks) {
  constexpr int kKeys = 20000;
  for (int i = 0; i < kKeys; ++i) Run({"SET", "k:" + std::to_string(i), "v"});
  size_t grown = server_->db(0).map().bucket_count();
  ASSERT_GE(grown, static_cast<size_t>(kKeys));
  for (int i = 10; i < kKeys; ++i) Run({"DEL", "k:" + std::to_string(i)});
  EXPECT_EQ(server_->db(0).map().bucket_count(), grown);  // deletion alone never shrinks it
  AdvanceTime(200);
  size_t shrunk = server_->db(0).map().bucket_count();
  EXPECT_LT(shrunk, 100u);
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    RespValue v = Run({"SCAN", cursor, "COUNT", "3"});
    ASSERT_EQ(v.size(), 2u);
    cursor = v[0].str;
    for (const std::string& key : v[1].Strings()) seen.insert(key);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(seen.count("k:" + std::to_string(i))) << i;
  RespValue random = Run({"RANDOMKEY"});
  EXPECT_TRUE(seen.count(random.str)) << random;
  // A table in use is left as it is.
  AdvanceTime(200);
  EXPECT_EQ(server_->db(0).map().bucket_count(), shrunk);
}

TEST_F(GenericFamilyTest, ScanFiltersByPatternTypeAndExpiry) {
  Run({"SET", "a1", "x"});
  Run({"SET", "a2", "x"});
  Run({"SET", "b1", "x"});
  Run({"SET", "a3", "x", "PX", "5"});
  PutFake(0, "alist", ObjType::kList);
  server_->AdvanceFakeTime(5);
  auto scan_all = [&](std::vector<std::string_view> extra) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      std::vector<std::string> args = {"SCAN", cursor};
      for (auto e : extra) args.emplace_back(e);
      RespValue v = Run(client(), args);
      EXPECT_EQ(v.size(), 2u) << v;
      if (v.size() != 2) break;
      cursor = v[0].str;
      for (const std::string& k : v[1].Strings()) keys.push_back(k);
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  EXPECT_EQ(scan_all({}), (std::vector<std::string>{"a1", "a2", "alist", "b1"}));
  EXPECT_EQ(scan_all({"MATCH", "a?"}), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(scan_all({"TYPE", "LIST"}), (std::vector<std::string>{"alist"}));
  EXPECT_EQ(scan_all({"MATCH", "a*", "TYPE", "string", "COUNT", "1"}),
            (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(scan_all({"TYPE", "nosuchtype"}), (std::vector<std::string>{}));
  // The expired key was found by the walk and deleted on the way.
  EXPECT_EQ(server_->db(0).size(), 4u);
}

TEST_F(GenericFamilyTest, ScanArgumentErrors) {
  EXPECT_EQ(Run({"SCAN", "x"}).str, "ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", " 1"}).str, "ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "1x"}).str, "ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "18446744073709551616"}).str, "ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "x", "COUNT", "0"}).str, "ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "0"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "-3"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "ten"}).str, "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SCAN", "0", "TYPE"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"SCAN", "0", "FOO", "bar"}).str, "ERR syntax error");
  // strtoull's leniency, as Redis has it: an empty cursor is 0 and a sign is accepted.
  Run({"SET", "k", "v"});
  RespValue v = Run({"SCAN", ""});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "0");
  EXPECT_EQ(v[1], (std::vector<std::string>{"k"}));
  EXPECT_EQ(Run({"SCAN", "+0"})[1], (std::vector<std::string>{"k"}));
  EXPECT_EQ(Run({"SCAN", "-1"})[0], "0");
}

TEST_F(GenericFamilyTest, RandomKey) {
  EXPECT_TRUE(Run({"RANDOMKEY"}).is_null());
  Run({"SET", "only", "v"});
  EXPECT_EQ(Run({"RANDOMKEY"}), "only");
  Run({"PEXPIRE", "only", "5"});
  server_->AdvanceFakeTime(5);
  EXPECT_TRUE(Run({"RANDOMKEY"}).is_null());
  for (const char* key : {"a", "b", "c"}) Run({"SET", key, "v"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(Run({"RANDOMKEY"}).str);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
}

TEST_F(GenericFamilyTest, RenameMovesValueAndExpiry) {
  Run({"SET", "a", "v", "PX", "1000"});
  Run({"SET", "b", "old"});
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "a"}), 0);
  EXPECT_EQ(Run({"GET", "b"}), "v");
  EXPECT_EQ(Run({"PTTL", "b"}), 1000);
  AdvanceTime(1000);
  EXPECT_EQ(Run({"EXISTS", "b"}), 0);
  EXPECT_EQ(server_->db(0).size(), 0u);
}

TEST_F(GenericFamilyTest, RenameOverKeyWithExpiryDropsIt) {
  Run({"SET", "a", "v"});
  Run({"SET", "b", "old", "PX", "10"});
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(Run({"TTL", "b"}), -1);
  AdvanceTime(20);
  EXPECT_EQ(Run({"GET", "b"}), "v");
  EXPECT_EQ(server_->db(0).expires_count(), 0u);
}

TEST_F(GenericFamilyTest, RenameErrorsAndSameKey) {
  EXPECT_EQ(Run({"RENAME", "nope", "b"}).str, "ERR no such key");
  EXPECT_EQ(Run({"RENAMENX", "nope", "b"}).str, "ERR no such key");
  EXPECT_EQ(Run({"RENAME", "nope", "nope"}).str, "ERR no such key");
  Run({"SET", "a", "v", "PX", "5"});
  uint64_t before = Dirty();
  EXPECT_EQ(Run({"RENAME", "a", "a"}), "OK");
  EXPECT_EQ(Run({"RENAMENX", "a", "a"}), 0);
  EXPECT_EQ(Dirty(), before);
  EXPECT_EQ(Run({"PTTL", "a"}), 5);
  server_->AdvanceFakeTime(5);
  EXPECT_EQ(Run({"RENAME", "a", "b"}).str, "ERR no such key");
}

TEST_F(GenericFamilyTest, RenameNxOnlyToFreeName) {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  EXPECT_EQ(Run({"RENAMENX", "a", "b"}), 0);
  EXPECT_EQ(Run({"GET", "a"}), "1");
  EXPECT_EQ(Run({"GET", "b"}), "2");
  EXPECT_EQ(Run({"RENAMENX", "a", "c"}), 1);
  EXPECT_EQ(Run({"GET", "c"}), "1");
  EXPECT_EQ(Run({"EXISTS", "a"}), 0);
  // A destination that has expired is free.
  Run({"SET", "d", "x", "PX", "5"});
  server_->AdvanceFakeTime(5);
  EXPECT_EQ(Run({"RENAMENX", "c", "d"}), 1);
}

TEST_F(GenericFamilyTest, RenameOfCollectionKeepsIt) {
  FakeCollection* coll = PutFake(0, "l", ObjType::kList);
  EXPECT_EQ(Run({"RENAME", "l", "m"}), "OK");
  Object* moved = server_->db(0).FindRaw("m");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->collection(), coll);
}

TEST_F(GenericFamilyTest, CopyWithinDatabase) {
  Run({"SET", "src", "v", "PX", "500"});
  EXPECT_EQ(Run({"COPY", "src", "dst"}), 1);
  EXPECT_EQ(Run({"GET", "dst"}), "v");
  EXPECT_EQ(Run({"PTTL", "dst"}), 500);
  Run({"SET", "src", "changed"});
  EXPECT_EQ(Run({"GET", "dst"}), "v");
  EXPECT_EQ(Run({"COPY", "src", "dst"}), 0);
  EXPECT_EQ(Run({"GET", "dst"}), "v");
  EXPECT_EQ(Run({"COPY", "src", "dst", "REPLACE"}), 1);
  EXPECT_EQ(Run({"GET", "dst"}), "changed");
  EXPECT_EQ(Run({"TTL", "dst"}), -1);
  EXPECT_EQ(Run({"COPY", "missing", "dst", "REPLACE"}), 0);
  EXPECT_EQ(Run({"GET", "dst"}), "changed");
}

TEST_F(GenericFamilyTest, CopyToAnotherDatabase) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"COPY", "k", "k", "DB", "2"}), 1);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SELECT", "2"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"SELECT", "0"}), "OK");
  EXPECT_EQ(Run({"COPY", "k", "k", "db", "2"}), 0);
  EXPECT_EQ(Run({"COPY", "k", "k", "REPLACE", "DB", "2"}), 1);
}

TEST_F(GenericFamilyTest, CopyDeepCopiesCollections) {
  FakeCollection* original = PutFake(0, "l", ObjType::kList);
  EXPECT_EQ(Run({"COPY", "l", "l2"}), 1);
  Object* copy = server_->db(0).FindRaw("l2");
  ASSERT_NE(copy, nullptr);
  ASSERT_NE(copy->collection(), original);
  original->items.push_back("b");
  EXPECT_EQ(copy->As<FakeCollection>()->items.size(), 1u);
  EXPECT_EQ(Run({"TYPE", "l2"}), "list");
}

TEST_F(GenericFamilyTest, CopyErrors) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"COPY", "k", "k"}).str, "ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "nope", "nope"}).str, "ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "k", "k", "DB", "0"}).str,
            "ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "k", "x", "DB", "16"}).str, "ERR DB index is out of range");
  EXPECT_EQ(Run({"COPY", "k", "x", "DB", "-1"}).str, "ERR DB index is out of range");
  EXPECT_EQ(Run({"COPY", "k", "x", "DB", "zero"}).str,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"COPY", "k", "x", "DB", "4294967296"}).str,
            "ERR value is out of range, value must between -2147483648 and 2147483647");
  EXPECT_EQ(Run({"COPY", "k", "x", "DB", "99999999999999999999"}).str,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"COPY", "k", "x", "DB"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"COPY", "k", "x", "NOW"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"COPY", "k"}).str, "ERR wrong number of arguments for 'copy' command");
}

TEST_F(GenericFamilyTest, CopyToAnotherDatabaseDisturbsWatchers) {
  Run({"SET", "k", "v"});
  EXPECT_FALSE(ExecSurvives(3, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"COPY", "k", "k", "DB", "3"}), 1);
  }));
  EXPECT_TRUE(ExecSurvives(3, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"COPY", "k", "k", "DB", "3"}), 0);
  }));
}

TEST_F(GenericFamilyTest, MoveToAnotherDatabase) {
  Run({"SET", "k", "v", "PX", "300"});
  EXPECT_EQ(Run({"MOVE", "k", "1"}), 1);
  EXPECT_EQ(Run({"EXISTS", "k"}), 0);
  EXPECT_EQ(Run({"SELECT", "1"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"PTTL", "k"}), 300);
  Run({"SET", "other", "here"});
  EXPECT_EQ(Run({"SELECT", "0"}), "OK");
  Run({"SET", "other", "there"});
  EXPECT_EQ(Run({"MOVE", "other", "1"}), 0);
  EXPECT_EQ(Run({"GET", "other"}), "there");
  EXPECT_EQ(Run({"MOVE", "missing", "1"}), 0);
  AdvanceTime(300);
  EXPECT_EQ(server_->db(1).size(), 1u);
}

TEST_F(GenericFamilyTest, MoveErrors) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"MOVE", "k", "0"}).str, "ERR source and destination objects are the same");
  EXPECT_EQ(Run({"MOVE", "k", "16"}).str, "ERR DB index is out of range");
  EXPECT_EQ(Run({"MOVE", "k", "-1"}).str, "ERR DB index is out of range");
  EXPECT_EQ(Run({"MOVE", "k", "x"}).str, "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"MOVE", "k", "4294967296"}).str,
            "ERR value is out of range, value must between -2147483648 and 2147483647");
  EXPECT_EQ(Run({"GET", "k"}), "v");
}

TEST_F(GenericFamilyTest, MoveDisturbsWatchersInBothDatabases) {
  Run({"SET", "k", "v"});
  EXPECT_FALSE(ExecSurvives(4, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"MOVE", "k", "4"}), 1);
  }));
  EXPECT_FALSE(ExecSurvives(4, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"SELECT", "4"}), "OK");
    EXPECT_EQ(Run(other, {"MOVE", "k", "0"}), 1);
  }));
  Run({"SELECT", "4"});
  Run({"SET", "k", "taken"});
  Run({"SELECT", "0"});
  EXPECT_TRUE(ExecSurvives(4, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"MOVE", "k", "4"}), 0);
  }));
}

TEST_F(GenericFamilyTest, DbSizeAndFlushDb) {
  EXPECT_EQ(Run({"DBSIZE"}), 0);
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  Run({"SELECT", "1"});
  Run({"SET", "c", "1"});
  EXPECT_EQ(Run({"DBSIZE"}), 1);
  Run({"SELECT", "0"});
  EXPECT_EQ(Run({"DBSIZE"}), 2);
  EXPECT_EQ(Run({"FLUSHDB"}), "OK");
  EXPECT_EQ(Run({"DBSIZE"}), 0);
  EXPECT_EQ(server_->db(1).size(), 1u);
  EXPECT_EQ(Run({"FLUSHDB", "ASYNC"}), "OK");
  EXPECT_EQ(Run({"FLUSHDB", "sync"}), "OK");
  EXPECT_EQ(Run({"FLUSHDB", "now"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"FLUSHDB", "SYNC", "ASYNC"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"DBSIZE", "x"}).str, "ERR wrong number of arguments for 'dbsize' command");
}

TEST_F(GenericFamilyTest, FlushAllClearsEveryDatabase) {
  Run({"SET", "a", "1", "PX", "100"});
  Run({"SELECT", "5"});
  Run({"SET", "b", "1"});
  EXPECT_EQ(Run({"FLUSHALL", "ASYNC"}), "OK");
  for (int i = 0; i < server_->db_count(); ++i) EXPECT_EQ(server_->db(i).size(), 0u);
  EXPECT_EQ(server_->db(0).expires_count(), 0u);
  EXPECT_EQ(Run({"FLUSHALL", "x"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"FLUSHALL"}), "OK");
}

TEST_F(GenericFamilyTest, FlushDisturbsWatchersOfExistingKeys) {
  Run({"SET", "k", "v"});
  EXPECT_FALSE(ExecSurvives(0, "k", [&](Session* other) { Run(other, {"FLUSHDB"}); }));
  Run({"SET", "k", "v"});
  EXPECT_FALSE(ExecSurvives(0, "k", [&](Session* other) {
    Run(other, {"SELECT", "9"});
    Run(other, {"FLUSHALL"});
  }));
  Run({"SET", "k", "v"});
  EXPECT_TRUE(ExecSurvives(0, "k", [&](Session* other) {
    Run(other, {"SELECT", "9"});
    Run(other, {"FLUSHDB"});
  }));
}

TEST_F(GenericFamilyTest, SwapDbExchangesContents) {
  Run({"SET", "a", "zero", "PX", "100"});
  Run({"SELECT", "1"});
  Run({"SET", "b", "one"});
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "OK");
  EXPECT_EQ(Run({"GET", "a"}), "zero");
  EXPECT_EQ(Run({"PTTL", "a"}), 100);
  EXPECT_EQ(Run({"EXISTS", "b"}), 0);
  Run({"SELECT", "0"});
  EXPECT_EQ(Run({"GET", "b"}), "one");
  AdvanceTime(100);
  EXPECT_EQ(server_->db(1).size(), 0u);
  EXPECT_EQ(Run({"SWAPDB", "3", "3"}), "OK");
}

TEST_F(GenericFamilyTest, SwapDbErrors) {
  EXPECT_EQ(Run({"SWAPDB", "x", "1"}).str, "ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "x"}).str, "ERR invalid second DB index");
  EXPECT_EQ(Run({"SWAPDB", "x", "y"}).str, "ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "4294967296", "0"}).str, "ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "-4294967296"}).str, "ERR invalid second DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "16"}).str, "ERR DB index is out of range");
  EXPECT_EQ(Run({"SWAPDB", "-1", "0"}).str, "ERR DB index is out of range");
  EXPECT_EQ(Run({"SWAPDB", "0"}).str, "ERR wrong number of arguments for 'swapdb' command");
}

TEST_F(GenericFamilyTest, SwapDbDisturbsWatchersOnBothSides) {
  Run({"SELECT", "1"});
  Run({"SET", "k", "v"});
  Run({"SELECT", "0"});
  // A key that appears in the watched database through the swap.
  EXPECT_FALSE(ExecSurvives(0, "k", [&](Session* other) { Run(other, {"SWAPDB", "0", "1"}); }));
  // And one that disappears from it.
  EXPECT_FALSE(ExecSurvives(0, "k", [&](Session* other) { Run(other, {"SWAPDB", "0", "1"}); }));
  EXPECT_TRUE(ExecSurvives(0, "k", [&](Session* other) { Run(other, {"SWAPDB", "2", "3"}); }));
}

TEST_F(GenericFamilyTest, TouchCountsAndRefreshesIdleTime) {
  Run({"SET", "a", "v"});
  AdvanceTime(10000);
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "a"}), 10);
  EXPECT_EQ(Run({"TOUCH", "a", "a", "missing"}), 2);
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "a"}), 0);
}

TEST_F(GenericFamilyTest, MetadataReadsDoNotRefreshIdleTime) {
  Run({"SET", "a", "v"});
  AdvanceTime(3000);
  Run({"TYPE", "a"});
  Run({"EXISTS", "a"});
  Run({"TTL", "a"});
  Run({"OBJECT", "ENCODING", "a"});
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "a"}), 3);
  Run({"GET", "a"});
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "a"}), 0);
}

TEST_F(GenericFamilyTest, DumpRestoreRoundTrip) {
  std::string binary("a\0b\r\n\xff", 6);
  Run({"SET", "k", binary});
  std::string payload = Dump("k");
  EXPECT_TRUE(Run({"DUMP", "missing"}).is_null());
  EXPECT_EQ(Run({"RESTORE", "copy", "0", payload}), "OK");
  EXPECT_EQ(Run({"GET", "copy"}), binary);
  EXPECT_EQ(Run({"TTL", "copy"}), -1);
  Run({"SET", "empty", ""});
  EXPECT_EQ(Run({"RESTORE", "e2", "0", Dump("empty")}), "OK");
  EXPECT_EQ(Run({"GET", "e2"}), "");
  std::string big(100000, 'x');
  Run({"SET", "big", big});
  EXPECT_EQ(Run({"RESTORE", "big2", "0", Dump("big")}), "OK");
  EXPECT_EQ(Run({"GET", "big2"}), big);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big2"}), "raw");
  Run({"SET", "n", "12345"});
  EXPECT_EQ(Run({"RESTORE", "n2", "0", Dump("n")}), "OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "n2"}), "int");
}

TEST_F(GenericFamilyTest, RestoreBusyKeyAndReplace) {
  Run({"SET", "k", "new"});
  std::string payload = Dump("k");
  Run({"SET", "k", "old", "PX", "100"});
  EXPECT_EQ(Run({"RESTORE", "k", "0", payload}).str, "BUSYKEY Target key name already exists.");
  // The busy check comes before the TTL and the payload are looked at.
  EXPECT_EQ(Run({"RESTORE", "k", "x", "junk"}).str, "BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"GET", "k"}), "old");
  EXPECT_EQ(Run({"RESTORE", "k", "0", payload, "REPLACE"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "new");
  EXPECT_EQ(Run({"TTL", "k"}), -1);
  EXPECT_EQ(server_->db(0).expires_count(), 0u);
  // An expired key is not in the way.
  Run({"SET", "gone", "x", "PX", "5"});
  server_->AdvanceFakeTime(5);
  EXPECT_EQ(Run({"RESTORE", "gone", "0", payload}), "OK");
}

TEST_F(GenericFamilyTest, RestoreTtlForms) {
  Run({"SET", "k", "v"});
  std::string payload = Dump("k");
  EXPECT_EQ(Run({"RESTORE", "rel", "1500", payload}), "OK");
  EXPECT_EQ(Run({"PTTL", "rel"}), 1500);
  std::string at = std::to_string(Now() + 2000);
  EXPECT_EQ(Run({"RESTORE", "abs", at, payload, "ABSTTL"}), "OK");
  EXPECT_EQ(Run({"PEXPIRETIME", "abs"}), Now() + 2000);
  // An absolute time already past: OK, but nothing is created.
  uint64_t before = Dirty();
  std::string past = std::to_string(Now() - 1);
  EXPECT_EQ(Run({"RESTORE", "past", past, payload, "ABSTTL"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "past"}), 0);
  EXPECT_EQ(Dirty(), before);
  // ... and with REPLACE the old value is deleted.
  Run({"SET", "old", "x"});
  EXPECT_EQ(Run({"RESTORE", "old", past, payload, "ABSTTL", "REPLACE"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "old"}), 0);
  // A relative TTL too large to add to the clock ends up in the past, as in Redis.
  EXPECT_EQ(Run({"RESTORE", "huge", "9223372036854775807", payload}), "OK");
  EXPECT_EQ(Run({"EXISTS", "huge"}), 0);
  AdvanceTime(1500);
  EXPECT_EQ(Run({"EXISTS", "rel"}), 0);
  EXPECT_EQ(Run({"EXISTS", "abs"}), 1);
}

TEST_F(GenericFamilyTest, RestoreIdleTimeAndFreq) {
  Run({"SET", "k", "v"});
  std::string payload = Dump("k");
  EXPECT_EQ(Run({"RESTORE", "idle", "0", payload, "IDLETIME", "1000"}), "OK");
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "idle"}), 1000);
  EXPECT_EQ(Run({"RESTORE", "fresh", "0", payload}), "OK");
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "fresh"}), 0);
  EXPECT_EQ(Run({"RESTORE", "f", "0", payload, "FREQ", "42"}), "OK");
  std::string error;
  ASSERT_TRUE(config_.Set("maxmemory-policy", "allkeys-lfu", false, &error)) << error;
  EXPECT_EQ(Run({"OBJECT", "FREQ", "f"}), 42);
}

TEST_F(GenericFamilyTest, RestoreArgumentErrors) {
  Run({"SET", "k", "v"});
  std::string payload = Dump("k");
  EXPECT_EQ(Run({"RESTORE", "x", "-1", payload}).str, "ERR Invalid TTL value, must be >= 0");
  EXPECT_EQ(Run({"RESTORE", "x", "1.5", payload}).str,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "IDLETIME", "-1"}).str,
            "ERR Invalid IDLETIME value, must be >= 0");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "IDLETIME", "x"}).str,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "FREQ", "256"}).str,
            "ERR Invalid FREQ value, must be >= 0 and <= 255");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "FREQ", "-1"}).str,
            "ERR Invalid FREQ value, must be >= 0 and <= 255");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "IDLETIME", "5", "FREQ", "5"}).str,
            "ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "FREQ", "5", "IDLETIME", "5"}).str,
            "ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "IDLETIME"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "NOW"}).str, "ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0"}).str, "ERR wrong number of arguments for 'restore' command");
  EXPECT_EQ(Run({"EXISTS", "x"}), 0);
}

TEST_F(GenericFamilyTest, RestoreRefusesDamagedPayloads) {
  Run({"SET", "k", "some value"});
  std::string payload = Dump("k");
  const std::string kWrong = "ERR DUMP payload version or checksum are wrong";
  EXPECT_EQ(Run({"RESTORE", "x", "0", "junk"}).str, kWrong);
  EXPECT_EQ(Run({"RESTORE", "x", "0", ""}).str, kWrong);
  for (size_t len = 0; len < payload.size(); ++len) {
    EXPECT_EQ(Run({"RESTORE", "x", "0", payload.substr(0, len)}).str, kWrong) << len;
  }
  for (size_t i = 0; i < payload.size(); ++i) {
    std::string flipped = payload;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    EXPECT_EQ(Run({"RESTORE", "x", "0", flipped}).str, kWrong) << i;
  }
  // Intact trailer, nonsense body.
  std::string body(
      "\x00\x05"
      "ab",
      4);
  body += std::string("\x01\x00", 2);
  uint64_t crc = Crc64(0, body.data(), body.size());
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  EXPECT_EQ(Run({"RESTORE", "x", "0", body}).str, "ERR Bad data format");
  EXPECT_EQ(Run({"EXISTS", "x"}), 0);
}

TEST_F(GenericFamilyTest, DumpOfTypeWithoutCodecIsAnError) {
  Serializer saved = GetSerializer(ObjType::kQueue);
  RegisterSerializer(ObjType::kQueue, nullptr, nullptr);
  PutFake(0, "q", ObjType::kQueue);
  RespValue v = Run({"DUMP", "q"});
  RegisterSerializer(ObjType::kQueue, saved.dump, saved.load);
  EXPECT_TRUE(ErrorStartsWith(v, "ERR DUMP is not supported"));
}

TEST_F(GenericFamilyTest, ObjectEncodingAndRefcount) {
  Run({"SET", "int", "123"});
  Run({"SET", "bigint", "123456789"});
  Run({"SET", "short", "hello"});
  Run({"SET", "long", std::string(45, 'x')});
  PutFake(0, "coll", ObjType::kSet);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "int"}), "int");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "short"}), "embstr");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "long"}), "raw");
  EXPECT_EQ(Run({"OBJECT", "encoding", "coll"}), "fakeencoding");
  EXPECT_TRUE(Run({"OBJECT", "ENCODING", "missing"}).is_null());
  // Small integers are shared objects in Redis, which reports them with the maximum count.
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "int"}), 2147483647);
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "bigint"}), 1);
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "short"}), 1);
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "coll"}), 1);
  EXPECT_TRUE(Run({"OBJECT", "REFCOUNT", "missing"}).is_null());
  std::string error;
  ASSERT_TRUE(config_.Set("maxmemory", "100mb", false, &error)) << error;
  ASSERT_TRUE(config_.Set("maxmemory-policy", "allkeys-lru", false, &error)) << error;
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "int"}), 1);
}

TEST_F(GenericFamilyTest, ObjectIdleTimeAndFreqDependOnPolicy) {
  Run({"SET", "k", "v"});
  AdvanceTime(2500);
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "k"}), 2);
  EXPECT_TRUE(Run({"OBJECT", "IDLETIME", "missing"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"OBJECT", "FREQ", "k"}),
                              "ERR An LFU maxmemory policy is not selected, access frequency not "
                              "tracked."));
  EXPECT_TRUE(Run({"OBJECT", "FREQ", "missing"}).is_null());
  std::string error;
  ASSERT_TRUE(config_.Set("maxmemory-policy", "volatile-lfu", false, &error)) << error;
  RespValue freq = Run({"OBJECT", "FREQ", "k"});
  EXPECT_EQ(freq.type, RespValue::Type::kInteger);
  Run({"GET", "k"});
  EXPECT_EQ(Run({"OBJECT", "FREQ", "k"}).integer, freq.integer + 1);
  EXPECT_TRUE(ErrorStartsWith(Run({"OBJECT", "IDLETIME", "k"}),
                              "ERR An LFU maxmemory policy is selected, idle time not tracked."));
}

TEST_F(GenericFamilyTest, ObjectHelpAndErrors) {
  RespValue help = Run({"OBJECT", "HELP"});
  ASSERT_EQ(help.type, RespValue::Type::kArray);
  ASSERT_GT(help.size(), 5u);
  EXPECT_EQ(help[0].type, RespValue::Type::kStatus);
  EXPECT_EQ(Run({"OBJECT", "FOO", "k"}).str, "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
  EXPECT_EQ(Run({"OBJECT"}).str, "ERR wrong number of arguments for 'object' command");
  EXPECT_EQ(Run({"OBJECT", "ENCODING"}).str,
            "ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(Run({"OBJECT", "HELP", "x"}).str,
            "ERR wrong number of arguments for 'object|help' command");
}

TEST_F(GenericFamilyTest, ExpireAndTtl) {
  EXPECT_EQ(Run({"TTL", "k"}), -2);
  EXPECT_EQ(Run({"PTTL", "k"}), -2);
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), 0);
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"TTL", "k"}), -1);
  EXPECT_EQ(Run({"PTTL", "k"}), -1);
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), 1);
  EXPECT_EQ(Run({"TTL", "k"}), 10);
  EXPECT_EQ(Run({"PTTL", "k"}), 10000);
  AdvanceTime(1499);
  EXPECT_EQ(Run({"TTL", "k"}), 9);  // 8501 ms rounds to 9
  AdvanceTime(2);
  EXPECT_EQ(Run({"TTL", "k"}), 8);  // 8499 ms rounds to 8
  AdvanceTime(8499);
  EXPECT_EQ(Run({"TTL", "k"}), -2);
  EXPECT_EQ(server_->db(0).size(), 0u);
}

TEST_F(GenericFamilyTest, PExpireAndAbsoluteForms) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"PEXPIRE", "k", "1234"}), 1);
  EXPECT_EQ(Run({"PTTL", "k"}), 1234);
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Now() + 1234);
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), (Now() + 1234) / 1000);
  int64_t at_s = Now() / 1000 + 100;
  EXPECT_EQ(Run({"EXPIREAT", "k", std::to_string(at_s)}), 1);
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), at_s);
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), at_s * 1000);
  EXPECT_EQ(Run({"PEXPIREAT", "k", std::to_string(Now() + 50)}), 1);
  EXPECT_EQ(Run({"PTTL", "k"}), 50);
  EXPECT_EQ(Run({"EXPIRETIME", "missing"}), -2);
  EXPECT_EQ(Run({"PEXPIRETIME", "missing"}), -2);
  Run({"SET", "p", "v"});
  EXPECT_EQ(Run({"EXPIRETIME", "p"}), -1);
  EXPECT_EQ(Run({"PEXPIRETIME", "p"}), -1);
}

TEST_F(GenericFamilyTest, ExpireInThePastDeletes) {
  for (std::vector<std::string> cmd :
       std::vector<std::vector<std::string>>{{"EXPIRE", "k", "0"},
                                             {"EXPIRE", "k", "-5"},
                                             {"PEXPIRE", "k", "-9223372036854775808"},
                                             {"EXPIREAT", "k", "1"},
                                             {"PEXPIREAT", "k", std::to_string(Now())}}) {
    Run({"SET", "k", "v"});
    EXPECT_EQ(Run(client(), cmd), 1) << cmd[0] << " " << cmd[2];
    EXPECT_EQ(Run({"EXISTS", "k"}), 0) << cmd[0] << " " << cmd[2];
  }
}

TEST_F(GenericFamilyTest, ExpireConditions) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), 0);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), 0);  // no expiry counts as infinite
  EXPECT_EQ(Run({"TTL", "k"}), -1);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "LT"}), 1);
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "NX"}), 0);
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "LT"}), 0);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "LT"}), 0);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), 0);
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "gt"}), 1);
  EXPECT_EQ(Run({"TTL", "k"}), 200);
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "xx", "lt"}), 1);
  EXPECT_EQ(Run({"TTL", "k"}), 50);
  EXPECT_EQ(Run({"PERSIST", "k"}), 1);
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "NX"}), 1);
  EXPECT_EQ(Run({"TTL", "k"}), 50);
  // A refused past time does not delete.
  EXPECT_EQ(Run({"EXPIRE", "k", "-1", "GT"}), 0);
  EXPECT_EQ(Run({"EXISTS", "k"}), 1);
}

TEST_F(GenericFamilyTest, ExpireArgumentErrors) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "NX", "XX"}).str,
            "ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "NX", "GT"}).str,
            "ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(Run({"PEXPIRE", "k", "10", "GT", "LT"}).str,
            "ERR GT and LT options at the same time are not compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "SOON"}).str, "ERR Unsupported option SOON");
  // Options are checked before the amount.
  EXPECT_EQ(Run({"EXPIRE", "k", "x", "SOON"}).str, "ERR Unsupported option SOON");
  EXPECT_EQ(Run({"EXPIRE", "k", "x"}).str, "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775"}).str,
            "ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Run({"EXPIRE", "k", "-9223372036854776"}).str,
            "ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Run({"PEXPIRE", "k", "9223372036854775807"}).str,
            "ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(Run({"EXPIREAT", "k", "9223372036854776"}).str,
            "ERR invalid expire time in 'expireat' command");
  EXPECT_EQ(Run({"EXPIRE", "k"}).str, "ERR wrong number of arguments for 'expire' command");
  // The largest representable absolute times are accepted.
  EXPECT_EQ(Run({"PEXPIREAT", "k", "9223372036854775807"}), 1);
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), int64_t{9223372036854775807});
  EXPECT_EQ(Run({"EXPIREAT", "k", "9223372036854775"}), 1);
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), int64_t{9223372036854775});
}

TEST_F(GenericFamilyTest, ExpireThatChangesNothingKeepsWatchers) {
  uint64_t before = Dirty();
  EXPECT_EQ(Run({"EXPIRE", "missing", "10"}), 0);
  EXPECT_EQ(Dirty(), before);
  Run({"SET", "k", "v", "EX", "100"});
  EXPECT_TRUE(ExecSurvives(0, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"EXPIRE", "k", "10", "NX"}), 0);
    EXPECT_EQ(Run(other, {"PERSIST", "missing"}), 0);
  }));
  EXPECT_FALSE(ExecSurvives(0, "k", [&](Session* other) {
    EXPECT_EQ(Run(other, {"EXPIRE", "k", "10"}), 1);
  }));
}

TEST_F(GenericFamilyTest, Persist) {
  EXPECT_EQ(Run({"PERSIST", "missing"}), 0);
  Run({"SET", "k", "v"});
  uint64_t before = Dirty();
  EXPECT_EQ(Run({"PERSIST", "k"}), 0);
  EXPECT_EQ(Dirty(), before);
  Run({"EXPIRE", "k", "5"});
  EXPECT_EQ(Run({"PERSIST", "k"}), 1);
  EXPECT_EQ(Run({"TTL", "k"}), -1);
  EXPECT_EQ(server_->db(0).expires_count(), 0u);
  AdvanceTime(6000);
  EXPECT_EQ(Run({"GET", "k"}), "v");
}

// A key that comes into existence under a name a client is blocked on wakes it, whichever
// database it came from.
TEST_F(GenericFamilyTest, ArrivingKeysWakeBlockedClients) {
  Session* waiter = NewClient();
  ASSERT_EQ(Run(waiter, {"SELECT", "1"}), "OK");
  auto block = [&](std::string_view key) {
    Send(waiter, {"BLPOP", key, "0"});
    EXPECT_TRUE(TakeReplies(waiter).empty());
  };
  auto expect_served = [&](const std::string& key, const std::string& value) {
    std::vector<RespValue> replies = TakeReplies(waiter);
    ASSERT_EQ(replies.size(), 1u) << key;
    EXPECT_EQ(replies[0], (std::vector<std::string>{key, value}));
  };
  Run({"RPUSH", "src", "a"});
  block("q");
  EXPECT_EQ(Run({"COPY", "src", "q", "DB", "1"}), 1);
  expect_served("q", "a");

  block("src");
  EXPECT_EQ(Run({"MOVE", "src", "1"}), 1);
  expect_served("src", "a");

  Run({"RPUSH", "s", "x"});
  block("s");
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "OK");
  expect_served("s", "x");

  Run({"SELECT", "1"});
  Run({"RPUSH", "r", "y"});
  block("renamed");
  EXPECT_EQ(Run({"RENAME", "r", "renamed"}), "OK");
  expect_served("renamed", "y");
}

TEST_F(GenericFamilyTest, CommandsAreRegisteredWithTheirGroups) {
  for (const char* name :
       {"del",       "unlink",  "exists",   "type",       "keys",        "scan",
        "randomkey", "rename",  "renamenx", "copy",       "move",        "touch",
        "dump",      "restore", "object",   "expire",     "pexpire",     "expireat",
        "pexpireat", "ttl",     "pttl",     "expiretime", "pexpiretime", "persist"}) {
    const CommandSpec* spec = server_->commands().Find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->group, "generic") << name;
  }
  for (const char* name : {"dbsize", "flushdb", "flushall", "swapdb"}) {
    const CommandSpec* spec = server_->commands().Find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->group, "server") << name;
  }
}

}  // namespace
}  // namespace sluice::testing
