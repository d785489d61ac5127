// Queues in the append-only log, in process: every state change is recorded with what it decided
// (IDs, deadlines, jittered retry times), replay after a restart rebuilds messages in every state
// with their counters, the dedup window and the bindings, log rewrites write the same state, and
// timers carry on from the absolute times after a restart.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "server/persistence/aof.h"
#include "server/persistence/aof_format.h"
#include "server/persistence/manifest.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

constexpr int64_t kT0 = 1700000000000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class QueuePersistenceTest : public ServerTest {
 protected:
  QueuePersistenceTest() {
    char tmpl[] = "/tmp/sluice-queue-aof-XXXXXX";
    dir_ = mkdtemp(tmpl);
    EXPECT_EQ(Restart(), "");
  }
  ~QueuePersistenceTest() override {
    client_ = nullptr;
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A new server over the same files (the previous one shuts down first, which writes and syncs
  // its log), at the same fake time.
  std::string Restart() {
    int64_t now = server_ ? server_->now_ms() : kT0;
    client_ = nullptr;
    server_.reset();
    config_ = Config();
    std::string ignored;
    config_.Set("appenddirname", dir_ + "/appendonlydir", true, &ignored);
    config_.Set("appendonly", "yes", true, &ignored);
    config_.Set("appendfsync", "everysec", true, &ignored);
    server_ = std::make_unique<Server>(&config_);
    server_->SetFakeTime(now);
    client_ = NewClient();
    return server_->aof().Start(false);
  }

  // Every record of the log so far, each as its arguments joined with spaces.
  std::vector<std::string> Records() {
    server_->RunPendingWork();
    std::string dir = dir_ + "/appendonlydir/";
    AofManifest manifest;
    std::string error;
    EXPECT_TRUE(AofManifest::Parse(ReadFile(dir + AofManifestFileName("appendonly.aof")), &manifest,
                                   &error))
        << error;
    std::string data;
    for (const std::string& name : manifest.Files()) data += ReadFile(dir + name);
    std::vector<std::string> records;
    std::string_view rest = data;
    std::vector<std::string_view> args;
    while (!rest.empty()) {
      size_t consumed = 0;
      size_t bad_at = 0;
      if (ParseAofRecord(rest, &args, &consumed, &bad_at, &error) != AofParse::kRecord) break;
      rest.remove_prefix(consumed);
      std::string record;
      for (std::string_view a : args) {
        if (!record.empty()) record += ' ';
        record.append(a);
      }
      if (!args.empty()) records.push_back(record);
    }
    return records;
  }
  bool HasRecordStartingWith(std::string_view prefix) {
    for (const std::string& r : Records()) {
      if (std::string_view(r).starts_with(prefix)) return true;
    }
    return false;
  }

  static RespValue Field(const RespValue& map, std::string_view field) {
    for (size_t i = 0; i + 1 < map.size(); i += 2) {
      if (map[i] == field) return map[i + 1];
    }
    ADD_FAILURE() << "no field " << field << " in " << map.ToString();
    return RespValue{};
  }
  // Everything observable about a queue: QINFO without its memory figure, and QGET of each ID.
  std::string Snapshot(std::string_view key, const std::vector<std::string>& ids) {
    RespValue info = Run({"QINFO", key});
    std::string out;
    for (size_t i = 0; i + 1 < info.size(); i += 2) {
      if (info[i] == "memory") continue;
      out += info[i].str + "=" + info[i + 1].ToString() + "\n";
    }
    for (const std::string& id : ids) out += id + ": " + Run({"QGET", key, id}).ToString() + "\n";
    out += "pending: " + Run({"QPENDING", key}).ToString() + "\n";
    out += "peek: " + Run({"QPEEK", key, "COUNT", "100"}).ToString() + "\n";
    return out;
  }

  std::string dir_;
};

// A queue with messages in every state and every counter moved.
std::vector<std::string> BuildBusyQueue(
    QueuePersistenceTest* t, const std::function<RespValue(std::vector<std::string>)>& run) {
  std::vector<std::string> ids;
  run({"QCREATE", "q", "VISIBILITY", "1000", "MAXDELIVERIES", "3", "DEADLETTER", "dlq", "BACKOFF",
       "EXPONENTIAL", "100", "1000", "JITTER", "30", "DEDUPWINDOW", "60000"});
  auto push = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "QPUSH");
    ids.push_back(run(args).str);
  };
  push({"q", "plain"});
  push({"q", "urgent", "PRIORITY", "9"});
  push({"q", "later", "DELAY", "5000"});
  push({"q", "ttl", "TTL", "9000"});
  push({"q", "g1", "GROUP", "g"});
  push({"q", "g2", "GROUP", "g"});
  push({"q", "dedup", "DEDUP", "d-1"});
  run({"QPUSH", "q", "dup", "DEDUP", "d-1"});
  push({"q", "leased"});
  push({"q", "nacked"});
  push({"q", "dead"});
  // Lease "urgent" (priority 9) and g1, nack and dead-letter others.
  run({"QPOP", "COUNT", "2", "CONSUMER", "c1", "FROM", "q"});
  run({"QDEL", "q", ids[0]});
  run({"QBIND", "q", "chan.*"});
  (void)t;
  return ids;
}

TEST_F(QueuePersistenceTest, ReplayRebuildsEveryState) {
  auto run = [this](std::vector<std::string> args) { return Run(client_, args); };
  std::vector<std::string> ids = BuildBusyQueue(this, run);
  // ids: 0 plain (deleted) 1 urgent 2 later 3 ttl 4 g1 5 g2 6 dedup 7 leased 8 nacked 9 dead
  RespValue popped =
      Run({"QPOP", "COUNT", "3", "CONSUMER", "c2", "VISIBILITY", "2000", "FROM", "q"});
  ASSERT_EQ(popped.size(), 3u);
  Run({"QNACK", "q", ids[8], "ERROR", "flaky"});
  Run({"QNACK", "q", ids[9], "DEAD", "ERROR", "poison"});
  Run({"QACK", "q", ids[6]});
  Run({"QEXTEND", "q", ids[7], "7000"});
  AdvanceTime(10);
  std::string before = Snapshot("q", ids);
  std::string dlq_before = Run({"QPEEK", "dlq", "COUNT", "10"}).ToString();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Snapshot("q", ids), before);
  EXPECT_EQ(Run({"QPEEK", "dlq", "COUNT", "10"}).ToString(), dlq_before);
  // The dedup window and the bindings came back too.
  EXPECT_EQ(Run({"QPUSH", "q", "again", "DEDUP", "d-1"}), ids[6]);
  EXPECT_EQ(Run({"PUBLISH", "chan.x", "hi"}), 1);
  // New IDs continue after the old ones.
  std::string next = Run({"QPUSH", "q", "next"}).str;
  EXPECT_GT(next, ids.back());
}

TEST_F(QueuePersistenceTest, RewriteWritesTheSameState) {
  auto run = [this](std::vector<std::string> args) { return Run(client_, args); };
  std::vector<std::string> ids = BuildBusyQueue(this, run);
  Run({"QNACK", "q", ids[4], "ERROR", "e"});
  AdvanceTime(3);
  std::string before = Snapshot("q", ids);
  EXPECT_EQ(Run({"BGREWRITEAOF"}).is_error(), false);
  server_->aof().WaitForRewrite();
  std::vector<std::string> records = Records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[1].rfind("QCREATE q VISIBILITY 1000", 0), 0u) << records[1];
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Snapshot("q", ids), before);
  // And once more from a base file written by a server that loaded one.
  Run({"BGREWRITEAOF"});
  server_->aof().WaitForRewrite();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Snapshot("q", ids), before);
}

TEST_F(QueuePersistenceTest, RecordsCarryResolvedTimes) {
  Run({"QCREATE", "q", "VISIBILITY", "1000", "BACKOFF", "FIXED", "1000", "JITTER", "50"});
  std::string id = Run({"QPUSH", "q", "x"}).str;
  EXPECT_TRUE(HasRecordStartingWith("QEFFECT q ADD " + id + " x"));
  Run({"QPOP", "CONSUMER", "me", "FROM", "q"});
  EXPECT_TRUE(
      HasRecordStartingWith("QEFFECT q LEASE " + id + " " + std::to_string(kT0 + 1000) + " me"));
  Run({"QNACK", "q", id});
  int64_t avail = Field(Run({"QGET", "q", id}), "available-at").integer;
  EXPECT_TRUE(
      HasRecordStartingWith("QEFFECT q RETRY " + id + " " + std::to_string(avail) + " nack"));
  // Timer work is recorded too: the lease expiry of a second delivery.
  AdvanceTime(avail - kT0);
  Run({"QPOP", "FROM", "q"});
  AdvanceTime(1000);
  EXPECT_TRUE(HasRecordStartingWith("QEFFECT q RETRY " + id + " "));
  EXPECT_EQ(Field(Run({"QINFO", "q"}), "timeouts"), 1);
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Field(Run({"QINFO", "q"}), "timeouts"), 1);
  EXPECT_EQ(Field(Run({"QINFO", "q"}), "nacked"), 1);
  EXPECT_EQ(Field(Run({"QGET", "q", id}), "deliveries"), 2);
}

TEST_F(QueuePersistenceTest, InFlightMessagesComeBackAfterTheirDeadline) {
  Run({"QCREATE", "q", "VISIBILITY", "5000", "BACKOFF", "FIXED", "0"});
  std::string acked = Run({"QPUSH", "q", "acked"}).str;
  std::string leased = Run({"QPUSH", "q", "leased"}).str;
  Run({"QPOP", "COUNT", "2", "FROM", "q"});
  Run({"QACK", "q", acked});
  ASSERT_EQ(Restart(), "");
  EXPECT_TRUE(Run({"QGET", "q", acked}).is_null()) << "an acknowledged message never returns";
  EXPECT_EQ(Field(Run({"QGET", "q", leased}), "state"), "inflight");
  EXPECT_EQ(Field(Run({"QGET", "q", leased}), "deadline"), kT0 + 5000);
  AdvanceTime(4999);
  EXPECT_TRUE(Run({"QPOP", "FROM", "q"}).is_null());
  AdvanceTime(1);
  RespValue v = Run({"QPOP", "FROM", "q"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0][1], leased);
  EXPECT_EQ(v[0][3], 2);
}

TEST_F(QueuePersistenceTest, DeadlinesPassedWhileDownFireOnStart) {
  Run({"QCREATE", "q", "VISIBILITY", "100", "MAXDELIVERIES", "1", "DEADLETTER", "dlq"});
  Run({"QPUSH", "q", "x"});
  Run({"QPOP", "FROM", "q"});
  Run({"QPUSH", "q", "delayed", "DELAY", "50"});
  server_->AdvanceFakeTime(1000);  // "down" for a second: no timer ran
  ASSERT_EQ(Restart(), "");
  AdvanceTime(0);
  EXPECT_EQ(Run({"QLEN", "dlq"}), 1);
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  EXPECT_EQ(Field(Run({"QINFO", "q"}), "deadlettered"), 1);
}

TEST_F(QueuePersistenceTest, TransactionsAndScriptsReplay) {
  Run({"MULTI"});
  Run({"QPUSH", "q", "a"});
  Run({"QPUSH", "q", "b"});
  Run({"QPOP", "FROM", "q"});
  Run({"EXEC"});
  Run({"EVAL",
       "redis.call('QPUSH', KEYS[1], 'c') return redis.call('QPOP', 'NOACK', 'FROM', KEYS[1])", "1",
       "q"});
  std::string before = Snapshot("q", {});
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Snapshot("q", {}), before);
}

}  // namespace
}  // namespace sluice::testing
