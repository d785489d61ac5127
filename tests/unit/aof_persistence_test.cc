// The append-only log end to end inside one process: what is recorded for each kind of command,
// replay reproducing the dataset, truncated and corrupted logs, rewrites, replies held under
// appendfsync always, and the loading state.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "server/commands/command_table.h"
#include "server/commands/dispatcher.h"
#include "server/persistence/aof.h"
#include "server/persistence/aof_format.h"
#include "server/persistence/manifest.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Records of a log, each as its arguments joined with spaces.
std::vector<std::string> ParseRecords(std::string_view data) {
  std::vector<std::string> records;
  std::vector<std::string_view> args;
  while (!data.empty()) {
    size_t consumed = 0;
    size_t bad_at = 0;
    std::string error;
    if (ParseAofRecord(data, &args, &consumed, &bad_at, &error) != AofParse::kRecord) {
      records.push_back("<unparsable>");
      break;
    }
    data.remove_prefix(consumed);
    std::string record;
    for (std::string_view a : args) {
      if (!record.empty()) record += ' ';
      record.append(a);
    }
    records.push_back(record);
  }
  return records;
}

// Stands in for a script: runs commands on a private session from inside its own handler, the
// way the scripting engine does.
Session* g_stand_in_session = nullptr;

void CmdScriptStandIn(CommandContext& ctx) {
  for (std::vector<std::string_view> args :
       {std::vector<std::string_view>{"SET", "s", "1"}, std::vector<std::string_view>{"GET", "s"},
        std::vector<std::string_view>{"LPUSH", "sl", "x"}}) {
    std::string error;
    const CommandSpec* spec = ResolveCommand(ctx.server, args, &error);
    ASSERT_NE(spec, nullptr) << error;
    ExecuteCommand(ctx.server, *g_stand_in_session, *spec, args, /*may_block=*/false);
  }
  ctx.reply.Ok();
}

class AofTest : public ServerTest {
 protected:
  AofTest() {
    char tmpl[] = "/tmp/sluice-aof-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string error = Restart();
    EXPECT_EQ(error, "");
  }

  ~AofTest() override {
    client_ = nullptr;
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string LogDir() const { return dir_ + "/appendonlydir"; }
  std::string LogPath(const std::string& name) const { return LogDir() + "/" + name; }
  Aof& aof() { return server_->aof(); }

  // A new server over the same files, loading them (the previous one shuts down first, which
  // writes and syncs its log). Returns Start()'s error.
  std::string Restart(const Settings& settings = {}, bool in_slices = false) {
    int64_t now = server_ ? server_->now_ms() : kStartTimeMs;
    client_ = nullptr;
    stand_in_.reset();
    server_.reset();
    config_ = Config();
    std::string ignored;
    config_.Set("appenddirname", LogDir(), true, &ignored);
    for (const auto& [name, value] : settings) {
      EXPECT_TRUE(config_.Set(name, value, true, &ignored)) << name << ": " << ignored;
    }
    server_ = std::make_unique<Server>(&config_);
    server_->SetFakeTime(now);
    client_ = NewClient();
    seen_records_ = 0;
    return server_->aof().Start(in_slices);
  }

  AofManifest Manifest() {
    AofManifest manifest;
    std::string error;
    std::string text = ReadFile(LogPath(AofManifestFileName("appendonly.aof")));
    EXPECT_TRUE(AofManifest::Parse(text, &manifest, &error)) << error << ": " << text;
    return manifest;
  }

  // Every record of the log so far, once this iteration's writes are done.
  std::vector<std::string> Records() {
    server_->RunPendingWork();
    std::string data;
    for (const std::string& name : Manifest().Files()) data += ReadFile(LogPath(name));
    return ParseRecords(data);
  }

  // Records added since the last call.
  std::vector<std::string> NewRecords() {
    std::vector<std::string> all = Records();
    std::vector<std::string> fresh(
        all.begin() + static_cast<long>(std::min(seen_records_, all.size())), all.end());
    seen_records_ = all.size();
    return fresh;
  }

  // The dataset as text: per database and key, type, deadline and contents (unordered
  // collections sorted), so two servers can be compared.
  std::string Dataset() {
    Session* s = NewClient();
    std::ostringstream out;
    for (int db = 0; db < server_->db_count(); ++db) {
      std::vector<std::string> keys;
      for (auto& [key, obj] : server_->db(db).map()) keys.push_back(key);
      if (keys.empty()) continue;
      std::sort(keys.begin(), keys.end());
      Run(s, {"SELECT", std::to_string(db)});
      for (const std::string& key : keys) {
        std::string type = Run(s, {"TYPE", key}).str;
        if (type == "none") continue;  // expired, not yet removed
        out << db << ' ' << key << ' ' << type << ' ' << Run(s, {"PEXPIRETIME", key}).ToString()
            << ' ';
        if (type == "string") {
          out << Run(s, {"GET", key}).ToString();
        } else if (type == "list") {
          out << Run(s, {"LRANGE", key, "0", "-1"}).ToString();
        } else if (type == "hash" || type == "set") {
          RespValue v = Run(s, {type == "hash" ? "HGETALL" : "SMEMBERS", key});
          std::vector<std::string> items;
          size_t step = type == "hash" ? 2 : 1;
          for (size_t i = 0; i + step <= v.size(); i += step) {
            items.push_back(step == 2 ? v[i].str + "=" + v[i + 1].str : v[i].str);
          }
          std::sort(items.begin(), items.end());
          for (const std::string& item : items) out << item << ',';
        } else if (type == "zset") {
          out << Run(s, {"ZRANGE", key, "0", "-1", "WITHSCORES"}).ToString();
        } else if (type == "stream") {
          out << Run(s, {"XRANGE", key, "-", "+"}).ToString()
              << Run(s, {"XINFO", "STREAM", key}).ToString()
              << Run(s, {"XINFO", "GROUPS", key}).ToString();
        }
        out << '\n';
      }
    }
    return out.str();
  }

  // Runs the loop until `done` holds (the fsync thread reports through it).
  void PumpUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the loop never got there";
      server_->RunPendingWork();
      uv_run(server_->loop(), UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void AddScriptStandIn() {
    stand_in_ = std::make_unique<Session>(*server_, 999999, nullptr);
    g_stand_in_session = stand_in_.get();
    server_->commands().Add(CommandSpec{.name = "aofstandin",
                                        .arity = 1,
                                        .flags = kCmdNoScript,
                                        .group = "scripting",
                                        .since = "7.0.0",
                                        .summary = "Runs commands like a script would.",
                                        .syntax = "",
                                        .handler = CmdScriptStandIn});
  }

  std::string Deadline(int64_t ms_from_now) { return std::to_string(Now() + ms_from_now); }

  std::string dir_;
  size_t seen_records_ = 0;
  std::unique_ptr<Session> stand_in_;
};

// ---------------------------------------------------------------------------------------------
// What is recorded

TEST_F(AofTest, RecordsChangesOnlyWithTheirDatabase) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "OK");
  EXPECT_TRUE(Run({"GET", "a"}) == "1");
  EXPECT_TRUE(Run({"SET", "a", "2", "NX"}).is_null());  // changed nothing
  EXPECT_EQ(Run({"DEL", "missing"}), 0);
  EXPECT_TRUE(ErrorStartsWith(Run({"LPUSH", "a", "x"}), "WRONGTYPE"));
  EXPECT_EQ(Run({"SELECT", "2"}), "OK");
  EXPECT_EQ(Run({"LPUSH", "l", "x"}), 1);
  EXPECT_EQ(Run({"SELECT", "0"}), "OK");
  EXPECT_EQ(Run({"INCR", "n"}), 1);
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{"SELECT 0", "SET a 1", "SELECT 2", "LPUSH l x",
                                                    "SELECT 0", "INCR n"}));
}

TEST_F(AofTest, RelativeExpiriesAreRecordedAsDeadlines) {
  Run({"SET", "k", "v", "EX", "10"});
  Run({"SET", "k", "v", "PX", "500", "GET"});
  Run({"SETEX", "k", "5", "v"});
  Run({"PSETEX", "k", "700", "v"});
  Run({"SET", "k", "w", "KEEPTTL"});
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{
                              "SELECT 0", "SET k v PXAT " + Deadline(10000),
                              "SET k v PXAT " + Deadline(500), "SET k v PXAT " + Deadline(5000),
                              "SET k v PXAT " + Deadline(700), "SET k w PXAT " + Deadline(700)}));
  Run({"EXPIRE", "k", "100"});
  Run({"PEXPIRE", "k", "100", "NX"});  // refused: the key has a deadline
  Run({"PEXPIRE", "k", "250", "XX"});
  Run({"EXPIREAT", "k", std::to_string(Now() / 1000 + 60)});
  Run({"GETEX", "k", "EX", "7"});
  Run({"GETEX", "k", "PERSIST"});
  Run({"GETEX", "k"});  // reads only
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{
                              "PEXPIREAT k " + Deadline(100000), "PEXPIREAT k " + Deadline(250),
                              "PEXPIREAT k " + std::to_string((Now() / 1000 + 60) * 1000),
                              "PEXPIREAT k " + Deadline(7000), "PERSIST k"}));
  // A deadline in the past deletes the key: the deletion is what replays.
  Run({"EXPIRE", "k", "-1"});
  Run({"SET", "f", "1.5"});
  Run({"INCRBYFLOAT", "f", "0.25"});
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{"DEL k", "SET f 1.5", "SET f 1.75 KEEPTTL"}));
}

TEST_F(AofTest, RestoreWithARelativeTtlIsRecordedWithItsDeadline) {
  Run({"SET", "src", "value"});
  RespValue payload = Run({"DUMP", "src"});
  ASSERT_EQ(payload.type, RespValue::Type::kBulk);
  Run({"RESTORE", "dst", "3000", payload.str});
  Run({"RESTORE", "plain", "0", payload.str});
  std::vector<std::string> records = NewRecords();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[2], "RESTORE dst " + Deadline(3000) + " " + payload.str + " REPLACE ABSTTL");
  EXPECT_EQ(records[3], "RESTORE plain 0 " + payload.str);
}

TEST_F(AofTest, ExpiryDeletionsAreRecordedWhereTheyHappen) {
  Run({"SET", "k", "v", "PX", "100"});
  Run({"SET", "j", "v", "PX", "100"});
  NewRecords();
  AdvanceTime(200);  // the active sweep
  std::vector<std::string> records = NewRecords();
  std::sort(records.begin(), records.end());
  EXPECT_EQ(records, (std::vector<std::string>{"DEL j", "DEL k"}));
  // A lazy expiry inside a write becomes part of the write's unit.
  Run({"SET", "m", "old", "PX", "50"});
  server_->AdvanceFakeTime(100);
  Run({"APPEND", "m", "new"});
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{"SET m old PXAT " + Deadline(-50), "MULTI",
                                                    "DEL m", "APPEND m new", "EXEC"}));
}

TEST_F(AofTest, BlockingPopsAreRecordedAsThePopTheyPerformed) {
  Session* waiter = NewClient();
  Send(waiter, {"BLPOP", "q1", "q2", "0"});
  EXPECT_TRUE(TakeReplies(waiter).empty());
  Run({"RPUSH", "q2", "a", "b"});
  EXPECT_EQ(TakeReplies(waiter).at(0), (std::vector<std::string>{"q2", "a"}));
  Send(waiter, {"BRPOP", "q1", "q2", "0"});  // served at once
  Send(waiter, {"BLMOVE", "q3", "dst", "LEFT", "RIGHT", "0"});
  Run({"LPUSH", "q3", "m"});
  Send(waiter, {"BLMPOP", "0", "2", "q1", "q4", "RIGHT", "COUNT", "5"});
  Run({"RPUSH", "q4", "1", "2", "3"});
  Send(waiter, {"BRPOPLPUSH", "q5", "dst", "0"});
  Run({"RPUSH", "q5", "z"});
  EXPECT_EQ(TakeReplies(waiter).size(), 4u);
  EXPECT_EQ(NewRecords(),
            (std::vector<std::string>{"SELECT 0", "RPUSH q2 a b", "LPOP q2", "RPOP q2",
                                      "LPUSH q3 m", "LMOVE q3 dst LEFT RIGHT", "RPUSH q4 1 2 3",
                                      "RPOP q4 5", "RPUSH q5 z", "RPOPLPUSH q5 dst"}));
  // A blocking pop that times out records nothing.
  Send(waiter, {"BLPOP", "none", "1"});
  AdvanceTime(1500);
  EXPECT_EQ(TakeReplies(waiter).size(), 1u);
  EXPECT_TRUE(NewRecords().empty());
}

TEST_F(AofTest, TransactionsAreRecordedWrapped) {
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"GET", "a"});
  Run({"INCR", "a"});
  Run({"SELECT", "3"});
  Run({"LPUSH", "l", "x"});
  EXPECT_EQ(Run({"EXEC"}).size(), 5u);
  // One write needs no wrapper.
  Run({"MULTI"});
  Run({"SET", "b", "2"});
  Run({"GET", "b"});
  Run({"EXEC"});
  // A transaction that wrote nothing records nothing.
  Run({"MULTI"});
  Run({"GET", "b"});
  Run({"EXEC"});
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{"MULTI", "SELECT 0", "SET a 1", "INCR a",
                                                    "SELECT 3", "LPUSH l x", "EXEC", "SET b 2"}));
}

TEST_F(AofTest, ScriptsAreRecordedAsTheCommandsTheyRan) {
  AddScriptStandIn();
  EXPECT_EQ(Run({"AOFSTANDIN"}), "OK");
  EXPECT_EQ(NewRecords(),
            (std::vector<std::string>{"MULTI", "SELECT 0", "SET s 1", "LPUSH sl x", "EXEC"}));
  EXPECT_EQ(
      Run({"EVAL", "redis.call('incr', KEYS[1]); return redis.call('incr', KEYS[1])", "1", "e"}),
      2);
  EXPECT_EQ(Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "e"}), "2");
  // As the script called them.
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{"MULTI", "incr e", "incr e", "EXEC"}));
}

TEST_F(AofTest, RandomResultsAreRecordedAsTheirEffects) {
  Run({"SADD", "s", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Run({"SPOP", "s", "2"}).size(), 2u);
  EXPECT_EQ(Run({"SPOP", "s"}).type, RespValue::Type::kBulk);
  Run({"XADD", "st", "*", "f", "v"});
  Run({"XADD", "st", "MAXLEN", "~", "1", "*", "f", "w"});
  for (const std::string& r : Records()) {
    EXPECT_FALSE(r.starts_with("SPOP")) << r;
    if (r.starts_with("XADD")) {
      EXPECT_EQ(r.find(" * "), std::string::npos) << r;
    }
  }
  std::vector<std::string> records = Records();
  EXPECT_NE(
      std::find(records.begin(), records.end(), "XADD st " + std::to_string(Now()) + "-0 f v"),
      records.end());
  std::string before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
}

TEST_F(AofTest, ConsumerGroupReadsAndClaimsAreRecordedAsTheirResult) {
  Run({"XADD", "st", "1-1", "a", "1"});
  Run({"XADD", "st", "1-2", "b", "2"});
  Run({"XADD", "st", "1-3", "c", "3"});
  Run({"XGROUP", "CREATE", "st", "g", "0"});
  NewRecords();
  std::string now = std::to_string(Now());
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "st", ">"}).size(),
            1u);
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{
                              "MULTI", "XGROUP CREATECONSUMER st g alice",
                              "XCLAIM st g alice 0 1-1 TIME " + now + " RETRYCOUNT 1 FORCE JUSTID",
                              "XCLAIM st g alice 0 1-2 TIME " + now + " RETRYCOUNT 1 FORCE JUSTID",
                              "XGROUP SETID st g 1-2 ENTRIESREAD 2", "EXEC"}));
  // A re-read of the history delivers again: only what it delivered is recorded.
  server_->AdvanceFakeTime(10);
  std::string later = std::to_string(Now());
  Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "st", "0"});
  Run({"XACK", "st", "g", "1-1"});
  Run({"XCLAIM", "st", "g", "bob", "5", "1-2"});
  EXPECT_EQ(NewRecords(),
            (std::vector<std::string>{
                "XCLAIM st g alice 0 1-1 TIME " + later + " RETRYCOUNT 2 FORCE JUSTID",
                "XACK st g 1-1", "MULTI", "XGROUP CREATECONSUMER st g bob",
                "XCLAIM st g bob 0 1-2 TIME " + later + " RETRYCOUNT 2 FORCE JUSTID", "EXEC"}));
  // A reader woken by a later XADD.
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", ">"});
  NewRecords();
  Session* waiter = NewClient();
  Send(waiter, {"XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "st", ">"});
  EXPECT_TRUE(TakeReplies(waiter).empty());
  EXPECT_TRUE(NewRecords().empty());
  Run({"XADD", "st", "1-4", "d", "4"});
  EXPECT_EQ(TakeReplies(waiter).size(), 1u);
  EXPECT_EQ(NewRecords(), (std::vector<std::string>{
                              "XADD st 1-4 d 4", "MULTI",
                              "XCLAIM st g bob 0 1-4 TIME " + later + " RETRYCOUNT 1 FORCE JUSTID",
                              "XGROUP SETID st g 1-4 ENTRIESREAD 4", "EXEC"}));
  RespValue pending = Run({"XPENDING", "st", "g"});
  std::string before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
  EXPECT_EQ(Run({"XPENDING", "st", "g"}).ToString(), pending.ToString());
}

// ---------------------------------------------------------------------------------------------
// Replay

TEST_F(AofTest, RestartReproducesTheDataset) {
  AddScriptStandIn();
  Run({"SET", "str", "v", "EX", "100"});
  Run({"RPUSH", "list", "a", "b", "c"});
  Run({"LPOP", "list"});
  Run({"HSET", "h", "f1", "1", "f2", "2"});
  Run({"HINCRBYFLOAT", "h", "f1", "0.5"});
  Run({"SADD", "set", "x", "y", "z"});
  Run({"SREM", "set", "y"});
  Run({"ZADD", "z", "1", "one", "2.5", "two"});
  Run({"ZINCRBY", "z", "3", "one"});
  Run({"XADD", "st", "*", "a", "1"});
  Run({"XADD", "st", "*", "b", "2"});
  Run({"XGROUP", "CREATE", "st", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "st", ">"});
  Run({"SELECT", "5"});
  Run({"SET", "other", "db"});
  Run({"MULTI"});
  Run({"INCR", "counter"});
  Run({"INCR", "counter"});
  Run({"EXEC"});
  Run({"SELECT", "0"});
  Run({"AOFSTANDIN"});
  Run({"EVAL", "redis.call('rpush', KEYS[1], 'from-script')", "1", "list"});
  Run({"SET", "gone", "1"});
  Run({"DEL", "gone"});
  Run({"SET", "tmp", "1", "PX", "10"});
  Session* waiter = NewClient();
  Send(waiter, {"BLMOVE", "jobs", "doing", "LEFT", "LEFT", "0"});
  Run({"RPUSH", "jobs", "j1", "j2"});
  std::string before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
  // Replay reproduces deadlines exactly, including those already past.
  EXPECT_EQ(Run({"PEXPIRETIME", "str"}), Now() + 100000);
  AdvanceTime(20);
  EXPECT_TRUE(Run({"GET", "tmp"}).is_null());
  // A second restart (the log now continues in the same file) still agrees.
  Run({"RPUSH", "list", "after"});
  before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
}

TEST_F(AofTest, EveryTruncationLoadsACompletePrefixOrFailsCleanly) {
  // One command per unit, noting where each ends in the file and the dataset after it.
  std::vector<std::vector<std::string>> commands = {
      {"SET", "a", "1"}, {"RPUSH", "l", "x", "y"},
      {"INCR", "a"},     {"SET", "e", "v", "EX", "50"},
      {"LPOP", "l"},     {"DEL", "a"},
  };
  std::vector<std::string> datasets = {Dataset()};
  std::vector<uint64_t> ends = {0};
  std::string incr = LogPath(Manifest().incrs.back().name);
  for (const auto& command : commands) {
    Run(client(), command);
    server_->RunPendingWork();
    ends.push_back(std::filesystem::file_size(incr));
    datasets.push_back(Dataset());
  }
  // And a transaction, which loads whole or not at all.
  Run({"MULTI"});
  Run({"SET", "t1", "1"});
  Run({"SET", "t2", "2"});
  Run({"EXEC"});
  server_->RunPendingWork();
  ends.push_back(std::filesystem::file_size(incr));
  datasets.push_back(Dataset());
  client_ = nullptr;
  server_.reset();
  std::string full = ReadFile(incr);
  ASSERT_EQ(full.size(), ends.back());

  // The SELECT that opens the file is a complete record of its own: a cut right after it is a
  // clean end too.
  std::string select;
  AofWriter(&select).Command({"SELECT", "0"});
  ASSERT_TRUE(full.starts_with(select));
  for (bool allow : {true, false}) {
    for (size_t cut = 0; cut <= full.size(); ++cut) {
      WriteFile(incr, std::string_view(full).substr(0, cut));
      std::string error = Restart({{"aof-load-truncated", allow ? "yes" : "no"}});
      size_t complete = 0;
      while (complete + 1 < ends.size() && ends[complete + 1] <= cut) ++complete;
      bool clean = cut == ends[complete] || cut == select.size();
      if (allow || clean) {
        ASSERT_EQ(error, "") << "cut at " << cut;
        EXPECT_EQ(Dataset(), datasets[complete]) << "cut at " << cut;
        // The file was cut back to its last complete record (or left whole).
        uint64_t size = std::filesystem::file_size(incr);
        EXPECT_LE(size, cut);
        EXPECT_GE(size, ends[complete]);
        EXPECT_EQ(size == cut, clean) << "cut at " << cut;
      } else {
        EXPECT_NE(error.find(incr), std::string::npos) << error;
        EXPECT_NE(error.find("offset"), std::string::npos) << error;
        EXPECT_TRUE(aof().failed());
      }
      client_ = nullptr;
      server_.reset();
    }
  }
}

TEST_F(AofTest, CorruptionStopsLoadingNamingTheFileAndOffset) {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  Run({"SET", "c", "3"});
  std::string incr = LogPath(Manifest().incrs.back().name);
  client_ = nullptr;
  server_.reset();
  std::string data = ReadFile(incr);
  size_t second = data.find("*3\r\n$3\r\nSET\r\n$1\r\nb");
  ASSERT_NE(second, std::string::npos);
  data[second + 5] = '?';  // "$3" of the SET
  WriteFile(incr, data);
  std::string error = Restart();
  EXPECT_NE(error.find(incr), std::string::npos) << error;
  EXPECT_NE(error.find("offset " + std::to_string(second + 5)), std::string::npos) << error;
  EXPECT_TRUE(aof().failed());
  // aof-load-truncated does not cover damage inside the file.
  error = Restart({{"aof-load-truncated", "yes"}});
  EXPECT_FALSE(error.empty());
}

TEST_F(AofTest, UnknownCommandsAndBadManifestsStopLoading) {
  Run({"SET", "a", "1"});
  std::string incr = LogPath(Manifest().incrs.back().name);
  client_ = nullptr;
  server_.reset();
  std::string data = ReadFile(incr);
  std::string bogus;
  AofWriter(&bogus).Command({"NOSUCHCOMMAND", "x"});
  WriteFile(incr, data + bogus);
  std::string error = Restart();
  EXPECT_NE(error.find("unknown command"), std::string::npos) << error;
  EXPECT_NE(error.find(incr), std::string::npos) << error;

  WriteFile(incr, data);
  WriteFile(LogPath("appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq x type i\n");
  error = Restart();
  EXPECT_NE(error.find("Bad manifest"), std::string::npos) << error;
  WriteFile(LogPath("appendonly.aof.manifest"), "file missing.aof seq 1 type i\n");
  error = Restart();
  EXPECT_NE(error.find("missing.aof"), std::string::npos) << error;
}

TEST_F(AofTest, LoadingAnswersLoadingUntilTheLogIsReplayed) {
  for (int i = 0; i < 50; ++i) Run({"RPUSH", "l", std::to_string(i)});
  ASSERT_EQ(Restart({}, /*in_slices=*/true), "");
  EXPECT_TRUE(server_->loading());
  EXPECT_TRUE(ErrorStartsWith(Run({"LLEN", "l"}), "LOADING"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SET", "x", "1"}), "LOADING"));
  RespValue info = Run({"INFO", "persistence"});
  EXPECT_NE(info.str.find("loading:1\r\n"), std::string::npos) << info.str;
  EXPECT_NE(info.str.find("loading_total_bytes:"), std::string::npos) << info.str;
  PumpUntil([&] { return !server_->loading(); });
  EXPECT_EQ(Run({"LLEN", "l"}), 50);
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("loading:0\r\n"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Rewrites

TEST_F(AofTest, SaveWritesASnapshotAndStartsANewIncrement) {
  for (int i = 0; i < 150; ++i) Run({"RPUSH", "big", std::to_string(i)});
  Run({"SET", "s", "v", "PX", "5000"});
  Run({"SET", "expired", "v", "PX", "10"});
  Run({"HSET", "h", "f", "v"});
  server_->AdvanceFakeTime(20);
  std::string old_incr = Manifest().incrs.back().name;
  EXPECT_EQ(Run({"SAVE"}), "OK");
  EXPECT_EQ(Run({"LASTSAVE"}), Now() / 1000);
  AofManifest m = Manifest();
  ASSERT_TRUE(m.base.has_value());
  ASSERT_EQ(m.incrs.size(), 1u);
  EXPECT_NE(m.incrs[0].name, old_incr);
  EXPECT_FALSE(std::filesystem::exists(LogPath(old_incr)));
  EXPECT_EQ(std::filesystem::file_size(LogPath(m.incrs[0].name)), 0u);
  std::vector<std::string> base = ParseRecords(ReadFile(LogPath(m.base->name)));
  size_t rpushes = 0;
  for (const std::string& r : base) {
    if (r.starts_with("RPUSH big")) ++rpushes;
    EXPECT_EQ(r.find("expired"), std::string::npos) << r;  // already past: left out
  }
  EXPECT_EQ(rpushes, 3u);  // 64 + 64 + 22
  EXPECT_NE(std::find(base.begin(), base.end(), "SET s v PXAT " + Deadline(4980)), base.end());
  Run({"RPUSH", "big", "after"});
  std::string before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("rdb_changes_since_last_save:0"),
            std::string::npos);
}

TEST_F(AofTest, RewritesKeepFunctionLibraries) {
  std::string code = "#!lua name=lib\nredis.register_function('f', function() return 7 end)";
  ASSERT_EQ(Run({"FUNCTION", "LOAD", code}), "lib");
  EXPECT_EQ(Run({"SAVE"}), "OK");
  std::vector<std::string> base = ParseRecords(ReadFile(LogPath(Manifest().base->name)));
  ASSERT_FALSE(base.empty());
  EXPECT_TRUE(base[0].starts_with("FUNCTION RESTORE ")) << base[0];
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Run({"FCALL", "f", "0"}), 7);
  EXPECT_EQ(Run({"BGREWRITEAOF"}), "Background append only file rewriting started");
  aof().WaitForRewrite();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Run({"FCALL", "f", "0"}), 7);
}

TEST_F(AofTest, BackgroundRewriteKeepsWhatIsWrittenMeanwhile) {
  for (int i = 0; i < 100; ++i) Run({"SET", "k" + std::to_string(i), std::to_string(i)});
  Run({"ZADD", "z", "1", "a"});
  Run({"SADD", "s", "m"});
  Run({"XADD", "st", "1-1", "f", "v"});
  std::string old_incr = Manifest().incrs.back().name;
  EXPECT_EQ(Run({"BGREWRITEAOF"}), "Background append only file rewriting started");
  EXPECT_TRUE(aof().rewrite_in_progress());
  EXPECT_TRUE(ErrorStartsWith(Run({"BGREWRITEAOF"}),
                              "ERR Background append only file rewriting already in progress"));
  EXPECT_TRUE(ErrorStartsWith(Run({"BGSAVE"}), "ERR Another child process is active"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SAVE"}), "ERR Background save already in progress"));
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("aof_rewrite_in_progress:1"), std::string::npos);
  // Until the child is done the manifest names the old files and the new increment.
  AofManifest during = Manifest();
  ASSERT_EQ(during.incrs.size(), 2u);
  EXPECT_EQ(during.incrs[0].name, old_incr);
  Run({"SET", "k0", "changed"});
  Run({"DEL", "k1"});
  Run({"ZADD", "z", "2", "b"});
  aof().WaitForRewrite();
  AofManifest after = Manifest();
  ASSERT_TRUE(after.base.has_value());
  ASSERT_EQ(after.incrs.size(), 1u);
  EXPECT_EQ(after.incrs[0].name, during.incrs[1].name);
  EXPECT_FALSE(std::filesystem::exists(LogPath(old_incr)));
  EXPECT_EQ(ParseRecords(ReadFile(LogPath(after.incrs[0].name))),
            (std::vector<std::string>{"SELECT 0", "SET k0 changed", "DEL k1", "ZADD z 2 b"}));
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("aof_rewrites:1"), std::string::npos);
  std::string before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
}

// auto-aof-rewrite-percentage: once the log has grown that far past its last base (and is at
// least auto-aof-rewrite-min-size), the cron starts a rewrite by itself.
TEST_F(AofTest, GrowthPastThePercentageStartsARewrite) {
  auto info_number = [&](const std::string& field) {
    std::string info = Run({"INFO", "persistence"}).str;
    size_t at = info.find(field + ":");
    EXPECT_NE(at, std::string::npos) << field;
    return at == std::string::npos ? -1 : std::stoll(info.substr(at + field.size() + 1));
  };
  EXPECT_EQ(Run({"CONFIG", "SET", "auto-aof-rewrite-min-size", "4096"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "auto-aof-rewrite-percentage", "100"}), "OK");
  Run({"SET", "seed", std::string(3000, 'x')});
  EXPECT_EQ(Run({"BGREWRITEAOF"}), "Background append only file rewriting started");
  aof().WaitForRewrite();
  int64_t base = info_number("aof_base_size");
  ASSERT_GT(base, 3000);
  // Grow the log to just under twice the base: no rewrite yet.
  int i = 0;
  while (info_number("aof_current_size") + 200 < 2 * base) {
    Run({"SET", "k" + std::to_string(i++), std::string(100, 'v')});
  }
  AdvanceTime(1000);
  EXPECT_FALSE(aof().rewrite_in_progress());
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("aof_rewrites:1"), std::string::npos);
  // Past 100% growth the next cron run starts one.
  while (info_number("aof_current_size") < 2 * base) {
    Run({"SET", "k" + std::to_string(i++), std::string(100, 'v')});
  }
  AdvanceTime(1000);
  EXPECT_TRUE(aof().rewrite_in_progress());
  aof().WaitForRewrite();
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("aof_rewrites:2"), std::string::npos);
  // A percentage of 0 turns the trigger off, however far the log grows.
  EXPECT_EQ(Run({"CONFIG", "SET", "auto-aof-rewrite-percentage", "0"}), "OK");
  base = info_number("aof_base_size");
  while (info_number("aof_current_size") < 3 * base) {
    Run({"SET", "k" + std::to_string(i++), std::string(100, 'v')});
  }
  AdvanceTime(1000);
  EXPECT_FALSE(aof().rewrite_in_progress());
}

TEST_F(AofTest, BgsaveScheduleRunsAfterTheCurrentRewrite) {
  Run({"SET", "a", "1"});
  EXPECT_EQ(Run({"BGSAVE"}), "Background saving started");
  EXPECT_EQ(Run({"BGSAVE", "SCHEDULE"}), "Background saving scheduled");
  EXPECT_TRUE(ErrorStartsWith(Run({"BGSAVE", "NOW"}), "ERR syntax error"));
  aof().WaitForRewrite();
  AdvanceTime(1);  // the cron starts the scheduled one
  EXPECT_TRUE(aof().rewrite_in_progress());
  aof().WaitForRewrite();
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("aof_rewrites:2"), std::string::npos);
}

TEST_F(AofTest, ConfigSetAppendonlyTurnsTheLogOffAndOn) {
  Run({"SET", "a", "1"});
  EXPECT_EQ(Run({"CONFIG", "SET", "appendonly", "no"}), "OK");
  EXPECT_NE(Run({"INFO", "persistence"}).str.find("aof_enabled:0"), std::string::npos);
  size_t records = Records().size();
  Run({"SET", "b", "2"});
  EXPECT_EQ(Records().size(), records);
  EXPECT_EQ(Run({"CONFIG", "SET", "appendonly", "yes"}), "OK");
  EXPECT_TRUE(aof().rewrite_in_progress());
  Run({"SET", "c", "3"});
  aof().WaitForRewrite();
  AofManifest m = Manifest();
  ASSERT_TRUE(m.base.has_value());
  ASSERT_EQ(m.incrs.size(), 1u);
  std::string before = Dataset();
  ASSERT_EQ(Restart(), "");
  EXPECT_EQ(Dataset(), before);
  EXPECT_TRUE(Run({"GET", "b"}) == "2");
}

// ---------------------------------------------------------------------------------------------
// appendfsync

TEST_F(AofTest, AlwaysHoldsRepliesUntilTheirWriteIsSynced) {
  // The fsync thread's path: an idle loop would otherwise fsync before replying.
  ASSERT_EQ(Restart({{"appendfsync", "always"}, {"aof-inline-fsync-when-idle", "no"}}), "");
  Session* writer = NewClient();
  // However fast the disk, the fsync has not finished until the thread goes on.
  aof().PauseFsyncThread(true);
  Send(writer, {"SET", "k", "v"});
  Send(writer, {"GET", "k"});  // behind the write: waits with it
  EXPECT_TRUE(TakeReplies(writer).empty());
  // Other clients are not held back.
  Session* reader = NewClient();
  EXPECT_TRUE(Run(reader, {"GET", "k"}) == "v");
  EXPECT_TRUE(TakeReplies(writer).empty());
  aof().PauseFsyncThread(false);
  std::vector<RespValue> replies;
  PumpUntil([&] {
    for (RespValue& r : TakeReplies(writer)) replies.push_back(std::move(r));
    return replies.size() == 2;
  });
  EXPECT_EQ(replies[0], "OK");
  EXPECT_TRUE(replies[1] == "v");
  // By then the record is in the file.
  std::vector<std::string> records = ParseRecords(ReadFile(LogPath(Manifest().incrs[0].name)));
  EXPECT_NE(std::find(records.begin(), records.end(), "SET k v"), records.end());
  // A client that only reads is answered at once.
  EXPECT_TRUE(Run(writer, {"GET", "k"}) == "v");
}

TEST_F(AofTest, AlwaysWithAnIdleLoopSyncsBeforeTheIterationEnds) {
  ASSERT_EQ(Restart({{"appendfsync", "always"}}), "");
  auto inline_fsyncs = [&] {
    std::string info = Run({"INFO", "persistence"}).str;
    size_t at = info.find("aof_inline_fsyncs:");
    return at == std::string::npos ? int64_t{-1} : std::stoll(info.substr(at + 18));
  };
  int64_t before = inline_fsyncs();
  ASSERT_GE(before, 0);
  // Nothing else waits for the loop: the reply leaves in the iteration that wrote it, and the
  // record is already in the file.
  Send(client(), {"SET", "k", "v"});
  std::vector<RespValue> replies = TakeReplies(client());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], "OK");
  EXPECT_EQ(inline_fsyncs(), before + 1);
  std::vector<std::string> records = ParseRecords(ReadFile(LogPath(Manifest().incrs[0].name)));
  EXPECT_NE(std::find(records.begin(), records.end(), "SET k v"), records.end());
  // Reads write nothing and sync nothing.
  EXPECT_TRUE(Run({"GET", "k"}) == "v");
  EXPECT_EQ(inline_fsyncs(), before + 1);
  // Turned off, the fsync thread does it and the reply waits for the thread.
  EXPECT_EQ(Run({"CONFIG", "SET", "aof-inline-fsync-when-idle", "no"}), "OK");
  aof().PauseFsyncThread(true);
  Send(client(), {"SET", "k", "w"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  aof().PauseFsyncThread(false);
  PumpUntil([&] { return !TakeReplies(client()).empty(); });
  EXPECT_EQ(inline_fsyncs(), before + 1);
}

// Under `always`, when requests wait for the loop the fsync is put off until they are served, so
// it covers their records too, and it runs on the loop once nothing waits; but not for longer
// than a fraction of a millisecond, after which the fsync thread takes it.
TEST_F(AofTest, AlwaysPutsTheFsyncOffWhileRequestsWait) {
  // A limit no test machine reaches by accident, then a short one.
  ASSERT_EQ(Restart({{"appendfsync", "always"}, {"aof-fsync-defer-max-us", "1000000"}}), "");
  // Reads on a connection of their own, behind no held reply.
  Session* observer = NewClient();
  auto field = [&](std::string_view name) {
    std::string info = Run(observer, {"INFO", "persistence"}).str;
    size_t at = info.find(std::string(name) + ":");
    return at == std::string::npos ? int64_t{-1} : std::stoll(info.substr(at + name.size() + 1));
  };
  // A readable descriptor in the loop stands for a request waiting to be read.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  uv_poll_t waiting;
  ASSERT_EQ(uv_poll_init(server_->loop(), &waiting, fds[0]), 0);
  ASSERT_EQ(uv_poll_start(&waiting, UV_READABLE, [](uv_poll_t*, int, int) {}), 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  // The loop registers descriptors with the kernel when it next polls.
  uv_run(server_->loop(), UV_RUN_NOWAIT);
  int64_t inline_before = field("aof_inline_fsyncs");
  int64_t deferred_before = field("aof_deferred_fsyncs");

  Session* other = NewClient();
  Send(client(), {"SET", "k", "v"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  EXPECT_EQ(field("aof_deferred_fsyncs"), deferred_before + 1);
  // The waiting request is served (here: another client's write) and nothing else waits: one
  // fsync on the loop covers both records and both replies leave.
  char byte;
  ASSERT_EQ(read(fds[0], &byte, 1), 1);
  Send(other, {"SET", "j", "w"});
  std::vector<RespValue> mine = TakeReplies(client());
  std::vector<RespValue> theirs = TakeReplies(other);
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(mine[0], "OK");
  EXPECT_EQ(theirs[0], "OK");
  EXPECT_EQ(field("aof_inline_fsyncs"), inline_before + 1);

  // A request that keeps waiting: past the limit the thread fsyncs, and the reply follows.
  EXPECT_EQ(Run(observer, {"CONFIG", "SET", "aof-fsync-defer-max-us", "1000"}), "OK");
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  int64_t inline_now = field("aof_inline_fsyncs");
  Send(client(), {"SET", "k", "x"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::vector<RespValue> replies;
  PumpUntil([&] {
    for (RespValue& r : TakeReplies(client())) replies.push_back(std::move(r));
    return !replies.empty();
  });
  EXPECT_EQ(replies[0], "OK");
  EXPECT_EQ(field("aof_inline_fsyncs"), inline_now);

  uv_poll_stop(&waiting);
  uv_close(reinterpret_cast<uv_handle_t*>(&waiting), nullptr);
  uv_run(server_->loop(), UV_RUN_NOWAIT);
  close(fds[0]);
  close(fds[1]);
}

TEST_F(AofTest, EverysecAndNoDoNotHoldReplies) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendfsync", "no"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "aof-inline-fsync-when-idle", "no"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendfsync", "always"}), "OK");
  aof().PauseFsyncThread(true);
  Send(client(), {"SET", "k", "x"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  aof().PauseFsyncThread(false);
  std::vector<RespValue> replies;
  PumpUntil([&] {
    for (RespValue& r : TakeReplies(client())) replies.push_back(std::move(r));
    return !replies.empty();
  });
  EXPECT_EQ(replies[0], "OK");
}

TEST_F(AofTest, ShutdownWritesAndSyncsEverything) {
  // Sent without finishing the loop iteration, so nothing has been written yet.
  Send(client(), {"SET", "k", "v"});
  std::string incr = LogPath(Manifest().incrs.back().name);
  client_ = nullptr;
  server_.reset();
  EXPECT_NE(ReadFile(incr).find("$1\r\nk\r\n$1\r\nv\r\n"), std::string::npos);
}

TEST_F(AofTest, InfoPersistenceReportsTheLog) {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  std::string info = Run({"INFO", "persistence"}).str;
  for (std::string_view field :
       {"loading:0", "async_loading:0", "rdb_changes_since_last_save:2", "rdb_bgsave_in_progress:0",
        "aof_enabled:1", "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1", "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok", "aof_last_write_status:ok", "aof_base_size:0",
        "aof_pending_rewrite:0", "aof_buffer_length:", "aof_delayed_fsync:0"}) {
    EXPECT_NE(info.find(std::string(field)), std::string::npos) << field << "\n" << info;
  }
  EXPECT_LT(info.find("aof_enabled"), info.find("aof_current_size"));
  EXPECT_LT(info.find("loading:"), info.find("rdb_changes_since_last_save"));
  server_->RunPendingWork();
  info = Run({"INFO", "persistence"}).str;
  uint64_t size = std::filesystem::file_size(LogPath(Manifest().incrs.back().name));
  EXPECT_NE(info.find("aof_current_size:" + std::to_string(size)), std::string::npos) << info;
}

}  // namespace
}  // namespace sluice::testing
