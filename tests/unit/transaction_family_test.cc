#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class TransactionTest : public ServerTest {};

TEST_F(TransactionTest, QueuesAndExecutesInOrder) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"GET", "a"}), "QUEUED");
  RespValue result = Run({"EXEC"});
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], "OK");
  EXPECT_EQ(result[1], "1");
}

TEST_F(TransactionTest, QueuingErrorAbortsExec) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_TRUE(ErrorStartsWith(Run({"GET"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"NOSUCHCOMMAND"}), "ERR unknown command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"EXEC"}), "EXECABORT"));
  EXPECT_TRUE(Run({"GET", "a"}).is_null());
}

TEST_F(TransactionTest, RuntimeErrorDoesNotAbort) {
  EXPECT_EQ(Run({"SET", "s", "x"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "1", "EX", "0"}), "QUEUED");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  RespValue result = Run({"EXEC"});
  ASSERT_EQ(result.size(), 2u);
  EXPECT_TRUE(ErrorStartsWith(result[0], "ERR invalid expire time"));
  EXPECT_EQ(result[1], "OK");
}

TEST_F(TransactionTest, NestingAndStrayCommands) {
  EXPECT_TRUE(ErrorStartsWith(Run({"EXEC"}), "ERR EXEC without MULTI"));
  EXPECT_TRUE(ErrorStartsWith(Run({"DISCARD"}), "ERR DISCARD without MULTI"));
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_TRUE(ErrorStartsWith(Run({"MULTI"}), "ERR MULTI calls can not be nested"));
  EXPECT_TRUE(ErrorStartsWith(Run({"WATCH", "x"}), "ERR WATCH inside MULTI is not allowed"));
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"DISCARD"}), "OK");
  EXPECT_TRUE(Run({"GET", "a"}).is_null());
}

TEST_F(TransactionTest, WatchedKeyChangedByAnotherClientFailsExec) {
  Session* other = NewClient();
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(Run(other, {"SET", "k", "theirs"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "mine"}), "QUEUED");
  EXPECT_TRUE(Run({"EXEC"}).is_null());
  EXPECT_EQ(Run({"GET", "k"}), "theirs");
  // The failed EXEC unwatched everything: the next transaction succeeds.
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "mine"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}).size(), 1u);
}

TEST_F(TransactionTest, FailedConditionalWriteDoesNotDisturbWatch) {
  Session* other = NewClient();
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_TRUE(Run(other, {"SET", "k", "w", "NX"}).is_null());
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}).size(), 1u);
}

// A command's source keys are not modified by it: only a *STORE's destination and the key a
// multi-key pop served from disturb a WATCH, as in Redis.
TEST_F(TransactionTest, OnlyTheKeysACommandChangedDisturbWatch) {
  Session* other = NewClient();
  Run({"SADD", "s1", "a", "b"});
  Run({"SADD", "s2", "b"});
  Run({"ZADD", "z1", "1", "a"});
  Run({"RPUSH", "full", "x", "y"});
  Run({"ZADD", "zfull", "1", "x", "2", "y"});
  auto exec_survives = [&](const std::vector<std::string>& watched,
                           const std::vector<std::string>& command) {
    std::vector<std::string> watch = {"WATCH"};
    watch.insert(watch.end(), watched.begin(), watched.end());
    EXPECT_EQ(Run(client(), watch), "OK");
    RespValue r = Run(other, command);
    EXPECT_NE(r.type, RespValue::Type::kError) << r;
    EXPECT_EQ(Run({"MULTI"}), "OK");
    EXPECT_EQ(Run({"PING"}), "QUEUED");
    return !Run({"EXEC"}).is_null();
  };
  EXPECT_TRUE(exec_survives({"s1", "s2"}, {"SINTERSTORE", "dest", "s1", "s2"}));
  EXPECT_FALSE(exec_survives({"dest"}, {"SUNIONSTORE", "dest", "s1", "s2"}));
  EXPECT_TRUE(exec_survives({"z1"}, {"ZUNIONSTORE", "zdest", "1", "z1"}));
  EXPECT_FALSE(exec_survives({"zdest"}, {"ZINTERSTORE", "zdest", "1", "z1"}));
  EXPECT_TRUE(exec_survives({"z1"}, {"ZRANGESTORE", "zdest2", "z1", "0", "-1"}));
  EXPECT_TRUE(exec_survives({"empty"}, {"LMPOP", "2", "empty", "full", "LEFT"}));
  EXPECT_FALSE(exec_survives({"full"}, {"LMPOP", "2", "empty", "full", "LEFT"}));
  EXPECT_TRUE(exec_survives({"empty"}, {"BZPOPMIN", "empty", "zfull", "0"}));
  EXPECT_FALSE(exec_survives({"zfull"}, {"ZMPOP", "2", "empty", "zfull", "MIN"}));
  // DEL changes the keys it deleted, not the missing ones it named.
  Run({"SET", "gone", "v"});
  EXPECT_TRUE(exec_survives({"missing"}, {"DEL", "gone", "missing"}));
  Run({"SET", "gone", "v"});
  EXPECT_FALSE(exec_survives({"gone"}, {"UNLINK", "missing", "gone"}));
  // COPY writes its destination only, here or in another database.
  EXPECT_TRUE(exec_survives({"s1"}, {"COPY", "s1", "copy"}));
  EXPECT_FALSE(exec_survives({"copy"}, {"COPY", "s1", "copy", "REPLACE"}));
  EXPECT_TRUE(exec_survives({"s1", "copy"}, {"COPY", "s1", "copy", "DB", "1", "REPLACE"}));
}

TEST_F(TransactionTest, WatchSeesExpiry) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "50"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  server_->AdvanceFakeTime(100);  // expired, but nothing has deleted it yet
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "x", "1"}), "QUEUED");
  EXPECT_TRUE(Run({"EXEC"}).is_null());
}

TEST_F(TransactionTest, UnwatchAndFlushAll) {
  Session* other = NewClient();
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(Run({"UNWATCH"}), "OK");
  EXPECT_EQ(Run(other, {"SET", "k", "w"}), "OK");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"EXEC"}).size(), 0u);
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  server_->DatabaseModified(0);
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_TRUE(Run({"EXEC"}).is_null());
}

}  // namespace
}  // namespace sluice::testing
