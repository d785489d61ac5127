// Durability of the real binary: a producer's acknowledged writes survive SIGKILL at a random
// moment (appendfsync always and everysec, and with a log rewrite in progress), expiry,
// transactions and blocking pops replay, the loading state, damaged logs, sluice-check-aof.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void AppendFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string Resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// Persistence flags for the server under test. redis-server gets the same AOF settings (and no
// RDB preamble) so the crash tests can be checked against the reference too.
std::vector<std::string> AofArgs(const std::string& fsync, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--appendonly", "yes", "--appendfsync", fsync};
  if (IsRedisServerBinary(DefaultServerBinary())) {
    for (const char* a : {"--aof-use-rdb-preamble", "no"}) args.push_back(a);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

RedisReplyPtr Must(redisContext* c, const std::vector<std::string>& argv) {
  RedisReplyPtr r = Command(c, argv);
  EXPECT_TRUE(r != nullptr) << argv[0] << ": " << c->errstr;
  return r;
}

std::string InfoField(redisContext* c, const std::string& field) {
  RedisReplyPtr r = Command(c, {"INFO", "persistence"});
  if (!r || r->type != REDIS_REPLY_STRING) return "";
  std::string info(r->str, r->len);
  size_t at = info.find(field + ":");
  if (at == std::string::npos) return "";
  size_t end = info.find("\r\n", at);
  return info.substr(at + field.size() + 1, end - at - field.size() - 1);
}

// The newest incremental file named by the manifest.
std::string LastIncr(const ServerProcess& server) {
  std::string dir = server.dir() + "/appendonlydir/";
  std::string manifest = ReadFile(dir + "appendonly.aof.manifest");
  std::string last;
  std::istringstream lines(manifest);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string file, name, seq, n, type, t;
    words >> file >> name >> seq >> n >> type >> t;
    if (t == "i") last = name;
  }
  return last.empty() ? "" : dir + last;
}

// ---------------------------------------------------------------------------------------------
// The producer

// Pipelines LPUSH list v<i> and XADD stream * n <i> alternately over one connection, keeping up
// to `window` commands in flight, and records every reply until the connection ends (the server
// is killed from another thread, while commands are in flight) or every command is answered.
// `replies` is updated as they arrive. Replies read after the kill were sent before it: those
// writes were acknowledged too.
struct ProducerResult {
  size_t sent = 0;
  std::vector<int64_t> list_replies;        // LPUSH replies in order
  std::vector<std::string> stream_replies;  // XADD IDs in order
  std::string error;
};

ProducerResult Produce(int port, size_t commands, size_t window,
                       std::atomic<size_t>* replies_seen) {
  ProducerResult result;
  RawConnection conn;
  if (!conn.Connect(port)) {
    result.error = conn.error();
    return result;
  }
  int fd = conn.fd();
  std::string out;
  size_t out_pos = 0;
  std::string in;
  size_t in_pos = 0;
  size_t replies = 0;
  auto command_bytes = [](size_t i) {
    std::string n = std::to_string(i / 2);
    return i % 2 == 0 ? Resp({"LPUSH", "list", "v" + n}) : Resp({"XADD", "stream", "*", "n", n});
  };
  while (true) {
    while (result.sent < commands && result.sent - replies < window) {
      out += command_bytes(result.sent++);
    }
    pollfd p{fd, POLLIN, 0};
    if (out_pos < out.size()) p.events |= POLLOUT;
    if (::poll(&p, 1, 10000) <= 0) {
      result.error = "timed out";
      break;
    }
    if (p.revents & POLLOUT) {
      ssize_t n = ::send(fd, out.data() + out_pos, out.size() - out_pos, MSG_NOSIGNAL);
      if (n > 0) out_pos += static_cast<size_t>(n);
      if (out_pos == out.size()) {
        out.clear();
        out_pos = 0;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;  // the server is gone
      in.append(buf, static_cast<size_t>(n));
      // Replies: ":<n>\r\n" for LPUSH, "$<len>\r\n<id>\r\n" for XADD.
      while (true) {
        size_t eol = in.find("\r\n", in_pos);
        if (eol == std::string::npos) break;
        if (in[in_pos] == ':') {
          result.list_replies.push_back(std::stoll(in.substr(in_pos + 1, eol - in_pos - 1)));
          in_pos = eol + 2;
        } else if (in[in_pos] == '$') {
          size_t len = std::stoul(in.substr(in_pos + 1, eol - in_pos - 1));
          if (in.size() < eol + 2 + len + 2) break;
          result.stream_replies.push_back(in.substr(eol + 2, len));
          in_pos = eol + 2 + len + 2;
        } else {
          result.error = "unexpected reply: " + in.substr(in_pos, eol - in_pos);
          return result;
        }
        ++replies;
        replies_seen->store(replies, std::memory_order_relaxed);
      }
      if (in_pos > (1 << 20)) {
        in.erase(0, in_pos);
        in_pos = 0;
      }
    }
    if (replies == commands) break;
  }
  return result;
}

// After a restart: every acknowledged write is there, in order, exactly once; anything after
// them is a prefix of what was sent next (written but not yet acknowledged).
void CheckSurvivors(redisContext* c, const ProducerResult& produced) {
  ASSERT_TRUE(produced.error.empty()) << produced.error;
  ::testing::Test::RecordProperty("sent", static_cast<int>(produced.sent));
  ::testing::Test::RecordProperty("acknowledged", static_cast<int>(produced.list_replies.size() +
                                                                   produced.stream_replies.size()));
  // Replies themselves came in order.
  for (size_t i = 0; i < produced.list_replies.size(); ++i) {
    ASSERT_EQ(produced.list_replies[i], static_cast<int64_t>(i + 1));
  }
  RedisReplyPtr list = Must(c, {"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(list);
  ASSERT_TRUE(list->type == REDIS_REPLY_ARRAY);
  size_t n = list->elements;
  ::testing::Test::RecordProperty("list_length_after_restart", static_cast<int>(n));
  ASSERT_GE(n, produced.list_replies.size()) << "acknowledged LPUSHes were lost";
  ASSERT_LE(n, produced.sent / 2 + 1);
  for (size_t i = 0; i < n; ++i) {
    // LPUSH puts the newest first.
    redisReply* e = list->element[n - 1 - i];
    ASSERT_EQ(std::string(e->str, e->len), "v" + std::to_string(i)) << "element " << i;
  }
  RedisReplyPtr stream = Must(c, {"XRANGE", "stream", "-", "+"});
  ASSERT_TRUE(stream);
  ASSERT_TRUE(stream->type == REDIS_REPLY_ARRAY);
  size_t m = stream->elements;
  ASSERT_GE(m, produced.stream_replies.size()) << "acknowledged XADDs were lost";
  for (size_t i = 0; i < m; ++i) {
    redisReply* entry = stream->element[i];
    ASSERT_EQ(entry->elements, 2u);
    std::string id(entry->element[0]->str, entry->element[0]->len);
    redisReply* fields = entry->element[1];
    ASSERT_EQ(fields->elements, 2u);
    ASSERT_EQ(std::string(fields->element[1]->str, fields->element[1]->len), std::to_string(i));
    if (i < produced.stream_replies.size()) {
      ASSERT_EQ(id, produced.stream_replies[i]) << "entry " << i;
    }
  }
}

class DurabilityTest : public ::testing::Test {
 protected:
  // The producer's run: commands sent at most, and when to kill, at a random point.
  static constexpr size_t kCommands = 200000;  // 100,000 LPUSH and 100,000 XADD

  size_t RandomKillPoint() {
    std::random_device rd;
    std::uniform_int_distribution<size_t> d(kCommands / 20, kCommands / 2);
    size_t at = d(rd);
    RecordProperty("kill_after_replies", static_cast<int>(at));
    return at;
  }

  void CrashAndCheck(const std::string& fsync, size_t window) {
    ServerProcess server(AofArgs(fsync));
    ASSERT_TRUE(server.Start()) << server.error();
    size_t kill_at = RandomKillPoint();
    std::atomic<size_t> replies{0};
    pid_t pid = server.pid();
    std::thread killer([&] {
      while (replies.load(std::memory_order_relaxed) < kill_at) {
        std::this_thread::sleep_for(50us);
      }
      ::kill(pid, SIGKILL);
    });
    ProducerResult produced = Produce(server.port(), kCommands, window, &replies);
    killer.join();
    server.WaitForExit(10s);
    ASSERT_TRUE(server.Start()) << server.error();
    RedisContextPtr c = server.Connect();
    ASSERT_TRUE(c && !c->err);
    CheckSurvivors(c.get(), produced);
  }
};

TEST_F(DurabilityTest, AcknowledgedWritesSurviveSigkillWithAppendfsyncAlways) {
  CrashAndCheck("always", 2000);
}

TEST_F(DurabilityTest, AcknowledgedWritesSurviveSigkillWithAppendfsyncEverysec) {
  CrashAndCheck("everysec", 2000);
}

// Many clients each waiting for one reply at a time, the shape in which the loop is often idle
// when it syncs and fsyncs the log itself rather than on the fsync thread (both paths run here).
TEST_F(DurabilityTest, AcknowledgedWritesOfManySequentialClientsSurviveSigkillWithAlways) {
  constexpr int kClients = 16;
  constexpr int kWritesPerClient = 400;
  ServerProcess server(AofArgs("always"));
  ASSERT_TRUE(server.Start()) << server.error();
  std::random_device rd;
  std::uniform_int_distribution<int> d(kClients * kWritesPerClient / 10,
                                       kClients * kWritesPerClient / 2);
  const int kill_at = d(rd);
  RecordProperty("kill_after_replies", kill_at);
  std::atomic<int> replies{0};
  std::vector<int> acknowledged(kClients, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      RedisContextPtr c = server.Connect();
      if (!c || c->err) return;
      for (int n = 0; n < kWritesPerClient; ++n) {
        RedisReplyPtr r =
            Command(c.get(), {"RPUSH", "client:" + std::to_string(i), std::to_string(n)});
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != n + 1) return;
        acknowledged[static_cast<size_t>(i)] = n + 1;
        replies.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  // The server as the clients left it, before the kill: both ways of syncing were used.
  while (replies.load(std::memory_order_relaxed) < kill_at) std::this_thread::sleep_for(50us);
  if (!IsRedisServerBinary(DefaultServerBinary())) {
    RedisContextPtr info = server.Connect();
    RedisReplyPtr persistence = Must(info.get(), {"INFO", "persistence"});
    ASSERT_TRUE(persistence && persistence->type == REDIS_REPLY_STRING);
    EXPECT_NE(std::string(persistence->str).find("aof_inline_fsyncs:"), std::string::npos);
  }
  ::kill(server.pid(), SIGKILL);
  for (std::thread& t : clients) t.join();
  server.WaitForExit(10s);
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  for (int i = 0; i < kClients; ++i) {
    RedisReplyPtr list = Must(c.get(), {"LRANGE", "client:" + std::to_string(i), "0", "-1"});
    ASSERT_TRUE(list && list->type == REDIS_REPLY_ARRAY);
    ASSERT_GE(static_cast<int>(list->elements), acknowledged[static_cast<size_t>(i)])
        << "client " << i << " lost acknowledged writes";
    for (size_t n = 0; n < list->elements; ++n) {
      ASSERT_EQ(std::string(list->element[n]->str), std::to_string(n)) << "client " << i;
    }
  }
}

// With one client the loop has nothing else to do whenever it syncs, so it fsyncs itself; what
// it acknowledged that way survives a SIGKILL like everything else.
TEST_F(DurabilityTest, AnIdleLoopFsyncsItselfUnderAlways) {
  if (IsRedisServerBinary(DefaultServerBinary())) GTEST_SKIP() << "a Sluice INFO field";
  // However slow this machine's disk, an inline fsync is not taken for a sign of a slow one.
  ServerProcess server(AofArgs("always", {"--aof-inline-fsync-max-us", "10000000"}));
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  auto inline_fsyncs = [&] {
    RedisReplyPtr info = Must(c.get(), {"INFO", "persistence"});
    std::string text = info ? std::string(info->str, info->len) : "";
    size_t at = text.find("aof_inline_fsyncs:");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + 18));
  };
  int64_t before = inline_fsyncs();
  ASSERT_GE(before, 0);
  for (int n = 0; n < 20; ++n) Must(c.get(), {"RPUSH", "l", std::to_string(n)});
  // Most of the twenty find the loop idle; a stray readable socket may send a few to the thread.
  EXPECT_GE(inline_fsyncs() - before, 10);
  ::kill(server.pid(), SIGKILL);
  server.WaitForExit(10s);
  ASSERT_TRUE(server.Start()) << server.error();
  c = server.Connect();
  EXPECT_EQ(Must(c.get(), {"LLEN", "l"})->integer, 20);
}

TEST_F(DurabilityTest, AcknowledgedWritesSurviveSigkillDuringARewrite) {
  // Enough keys, each taking the rewrite child 1.5 ms, that the second rewrite is still running
  // when the server dies.
  ServerProcess server(AofArgs("always"));
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  {
    RawConnection fill;
    ASSERT_TRUE(fill.Connect(server.port()));
    std::string batch;
    for (int i = 0; i < 4000; ++i) batch += Resp({"SET", "pad:" + std::to_string(i), "x"});
    ASSERT_TRUE(fill.Send(batch));
    std::string got = fill.ReadUntil(
        [](std::string_view s) { return std::count(s.begin(), s.end(), '\n') >= 4000; }, 30s);
    ASSERT_EQ(std::count(got.begin(), got.end(), '\n'), 4000);
  }
  std::atomic<bool> first_done{false};
  std::atomic<bool> second_started{false};
  std::atomic<bool> rewriter_done{false};
  std::string rewrite_error;
  size_t kill_at = RandomKillPoint();
  pid_t pid = server.pid();
  // A first rewrite completes while the producer runs; a second, slowed one is in progress
  // when the kill comes (the kill point is counted from the moment it is seen running).
  std::thread rewriter([&] {
    struct Done {
      std::atomic<bool>* flag;
      ~Done() { *flag = true; }
    } done{&rewriter_done};
    RedisContextPtr admin = server.Connect();
    auto deadline = std::chrono::steady_clock::now() + 60s;
    auto wait_for = [&](const char* field, const char* value) {
      while (InfoField(admin.get(), field) != value) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
      }
      return true;
    };
    RedisReplyPtr r = Command(admin.get(), {"BGREWRITEAOF"});
    if (!wait_for("aof_rewrites", "1")) {
      rewrite_error = "the first rewrite did not finish";
      return;
    }
    first_done = true;
    Command(admin.get(), {"CONFIG", "SET", "rdb-key-save-delay", "1500"});
    r = Command(admin.get(), {"BGREWRITEAOF"});
    if (!r || r->type == REDIS_REPLY_ERROR) rewrite_error = "second BGREWRITEAOF refused";
    if (!wait_for("aof_rewrite_in_progress", "1")) rewrite_error = "no second rewrite seen";
    second_started = true;
  });
  std::atomic<size_t> replies{0};
  std::thread killer([&] {
    while (!second_started && !rewriter_done) std::this_thread::sleep_for(50us);
    size_t start = replies;
    while (replies < std::min(start + kill_at / 10, kCommands)) std::this_thread::sleep_for(50us);
    ::kill(pid, SIGKILL);
  });
  ProducerResult produced = Produce(server.port(), kCommands, 2000, &replies);
  killer.join();
  rewriter.join();
  ASSERT_TRUE(rewrite_error.empty()) << rewrite_error;
  ASSERT_TRUE(first_done);
  server.WaitForExit(10s);
  // The interrupted rewrite never named its base: the manifest still lists the increments.
  if (!server.is_redis()) {
    std::string manifest = ReadFile(server.dir() + "/appendonlydir/appendonly.aof.manifest");
    EXPECT_EQ(std::count(manifest.begin(), manifest.end(), '\n'), 3) << manifest;
  }
  ASSERT_TRUE(server.Start()) << server.error();
  c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  CheckSurvivors(c.get(), produced);
  RedisReplyPtr dbsize = Must(c.get(), {"DBSIZE"});
  EXPECT_EQ(dbsize->integer, 4002);
}

TEST_F(DurabilityTest, ExpiryDeadlinesSurviveRestart) {
  ServerProcess server(AofArgs("everysec"));
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  Must(c.get(), {"SET", "long", "v", "EX", "1000"});
  Must(c.get(), {"SET", "plain", "v"});
  Must(c.get(), {"EXPIRE", "plain", "500"});
  Must(c.get(), {"SET", "short", "v", "PX", "300"});
  Must(c.get(), {"SET", "gone", "v"});
  Must(c.get(), {"PEXPIRE", "gone", "-1"});
  int64_t long_at = Must(c.get(), {"PEXPIRETIME", "long"})->integer;
  int64_t plain_at = Must(c.get(), {"PEXPIRETIME", "plain"})->integer;
  int64_t short_at = Must(c.get(), {"PEXPIRETIME", "short"})->integer;
  server.Kill9();
  ASSERT_TRUE(server.Start()) << server.error();
  c = server.Connect();
  EXPECT_EQ(Must(c.get(), {"PEXPIRETIME", "long"})->integer, long_at);
  EXPECT_EQ(Must(c.get(), {"PEXPIRETIME", "plain"})->integer, plain_at);
  EXPECT_EQ(Must(c.get(), {"EXISTS", "gone"})->integer, 0);
  // The short key keeps its deadline (or is already gone): it never comes back without one.
  while (true) {
    int64_t at = Must(c.get(), {"PEXPIRETIME", "short"})->integer;
    if (at == -2) break;  // gone
    ASSERT_EQ(at, short_at);
    std::this_thread::sleep_for(20ms);
  }
  // Its expiry was logged: another restart does not bring it back either.
  server.Kill9();
  ASSERT_TRUE(server.Start()) << server.error();
  c = server.Connect();
  EXPECT_EQ(Must(c.get(), {"EXISTS", "short"})->integer, 0);
  EXPECT_EQ(Must(c.get(), {"PEXPIRETIME", "long"})->integer, long_at);
}

TEST_F(DurabilityTest, TransactionsAndBlockingPopsReplay) {
  ServerProcess server(AofArgs("everysec"));
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  RedisContextPtr waiter = server.Connect();
  Must(c.get(), {"MULTI"});
  Must(c.get(), {"INCR", "counter"});
  Must(c.get(), {"LPUSH", "tx", "a"});
  Must(c.get(), {"SET", "s", "v"});
  RedisReplyPtr exec = Must(c.get(), {"EXEC"});
  ASSERT_EQ(exec->elements, 3u);
  // BLPOP and BLMOVE served by later pushes.
  auto wait_blocked = [&] {
    while (std::string(Must(c.get(), {"INFO", "clients"})->str).find("blocked_clients:1") ==
           std::string::npos) {
      std::this_thread::sleep_for(2ms);
    }
  };
  std::thread pops([&] {
    Command(waiter.get(), {"BLPOP", "q", "0"});
    Command(waiter.get(), {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
  });
  wait_blocked();
  Must(c.get(), {"RPUSH", "q", "a", "b"});
  wait_blocked();
  Must(c.get(), {"RPUSH", "src", "m", "n"});
  pops.join();
  Must(c.get(), {"PING"});
  server.Kill9();
  if (!server.is_redis()) {
    std::string log = ReadFile(LastIncr(server));
    EXPECT_NE(log.find("MULTI"), std::string::npos);
    EXPECT_EQ(log.find("BLPOP"), std::string::npos);
    EXPECT_EQ(log.find("BLMOVE"), std::string::npos);
    EXPECT_NE(log.find("LMOVE"), std::string::npos);
  }
  ASSERT_TRUE(server.Start()) << server.error();
  c = server.Connect();
  EXPECT_EQ(Must(c.get(), {"GET", "counter"})->str, std::string("1"));
  EXPECT_EQ(Must(c.get(), {"LLEN", "tx"})->integer, 1);
  EXPECT_EQ(Must(c.get(), {"GET", "s"})->str, std::string("v"));
  RedisReplyPtr q = Must(c.get(), {"LRANGE", "q", "0", "-1"});
  ASSERT_EQ(q->elements, 1u);
  EXPECT_EQ(std::string(q->element[0]->str), "b");
  RedisReplyPtr src = Must(c.get(), {"LRANGE", "src", "0", "-1"});
  ASSERT_EQ(src->elements, 1u);
  EXPECT_EQ(std::string(src->element[0]->str), "n");
  RedisReplyPtr dst = Must(c.get(), {"LRANGE", "dst", "0", "-1"});
  ASSERT_EQ(dst->elements, 1u);
  EXPECT_EQ(std::string(dst->element[0]->str), "m");
}

TEST_F(DurabilityTest, RepliesHeldForTheDiskStillGoOutBeforeQuitCloses) {
  ServerProcess server(AofArgs("always"));
  ASSERT_TRUE(server.Start()) << server.error();
  RawConnection conn;
  ASSERT_TRUE(conn.Connect(server.port()));
  ASSERT_TRUE(conn.Send(Resp({"SET", "k", "v"}) + Resp({"GET", "k"}) + Resp({"QUIT"})));
  std::string got = conn.ReadUntil([](std::string_view) { return false; }, 5s);
  EXPECT_EQ(got, "+OK\r\n$1\r\nv\r\n+OK\r\n");
  EXPECT_TRUE(conn.peer_closed());
}

TEST_F(DurabilityTest, ShutdownWritesEverythingInEveryMode) {
  for (const char* fsync : {"no", "everysec"}) {
    for (const char* how : {"SHUTDOWN", "NOSAVE", "SIGTERM"}) {
      ServerProcess server(AofArgs(fsync));
      ASSERT_TRUE(server.Start()) << server.error();
      RedisContextPtr c = server.Connect();
      for (int i = 0; i < 100; ++i) Must(c.get(), {"RPUSH", "l", std::to_string(i)});
      if (std::string(how) == "SIGTERM") {
        EXPECT_TRUE(server.Stop().ok());
      } else {
        std::vector<std::string> cmd = {"SHUTDOWN"};
        if (std::string(how) == "NOSAVE") cmd.push_back("NOSAVE");
        Command(c.get(), cmd);
        ASSERT_TRUE(server.WaitForExit(10s).has_value());
      }
      ASSERT_TRUE(server.Start()) << server.error();
      c = server.Connect();
      EXPECT_EQ(Must(c.get(), {"LLEN", "l"})->integer, 100) << fsync << " " << how;
    }
  }
}

TEST_F(DurabilityTest, ClientsAreAnsweredLoadingWhileTheLogReplays) {
  ServerProcess server(AofArgs("everysec", {"--key-load-delay", "1000"}));
  ASSERT_TRUE(server.Start()) << server.error();
  {
    RawConnection fill;
    ASSERT_TRUE(fill.Connect(server.port()));
    std::string batch;
    for (int i = 0; i < 2000; ++i) batch += Resp({"RPUSH", "l", std::to_string(i)});
    ASSERT_TRUE(fill.Send(batch));
    std::string got = fill.ReadUntil(
        [](std::string_view s) { return std::count(s.begin(), s.end(), '\n') >= 2000; }, 30s);
  }
  server.Stop();
  // While the server starts, a probe keeps asking for the data until it gets an answer.
  std::atomic<bool> stop{false};
  std::vector<std::string> answers;
  std::string info;
  int port = server.port();
  std::thread probe([&] {
    while (!stop) {
      RawConnection conn;
      if (!conn.Connect(port, 100ms)) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      std::optional<resp::Reply> r = conn.Call({"LLEN", "l"}, 2s);
      if (!r) continue;
      answers.push_back(r->ToString());
      if (answers.back().find("LOADING") != std::string::npos && info.empty()) {
        std::optional<resp::Reply> i = conn.Call({"INFO", "persistence"}, 2s);
        if (i) info = i->ToString();
      }
      if (answers.back().find("2000") != std::string::npos) break;
    }
  });
  ASSERT_TRUE(server.Start(60s)) << server.error();
  stop = true;
  probe.join();
  ASSERT_FALSE(answers.empty());
  EXPECT_NE(answers.front().find("LOADING"), std::string::npos) << answers.front();
  EXPECT_NE(info.find("loading:1"), std::string::npos) << info;
  RedisContextPtr c = server.Connect();
  EXPECT_EQ(Must(c.get(), {"LLEN", "l"})->integer, 2000);
}

// ---------------------------------------------------------------------------------------------
// Damaged logs (Sluice's own files and tool)

class DamagedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (IsRedisServerBinary(DefaultServerBinary())) GTEST_SKIP() << "Sluice's files and tool";
  }
  static std::string CheckTool() {
    return std::filesystem::path(DefaultServerBinary()).parent_path().string() +
           "/sluice-check-aof";
  }
  static ProcessResult RunTool(const std::vector<std::string>& args) {
    ProcessResult result;
    std::string command = CheckTool();
    for (const std::string& a : args) command += " '" + a + "'";
    command += " 2>&1";
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) return result;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) result.out.append(buf, n);
    result.status = ExitStatus::FromWaitStatus(::pclose(p));
    return result;
  }
};

TEST_F(DamagedLogTest, ATruncatedTailIsTrimmedWithALogLine) {
  ServerProcess server(AofArgs("everysec"));
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  Must(c.get(), {"SET", "a", "1"});
  Must(c.get(), {"SET", "b", "2"});
  server.Stop();
  std::string incr = LastIncr(server);
  uint64_t size = std::filesystem::file_size(incr);
  AppendFile(incr, "*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$5\r\nhal");  // a power cut mid-record
  ProcessResult check = RunTool({incr});
  EXPECT_EQ(check.status.code, 1) << check.out;
  EXPECT_NE(check.out.find("the last complete record ends at offset " + std::to_string(size)),
            std::string::npos)
      << check.out;
  ASSERT_TRUE(server.Start()) << server.error();
  EXPECT_NE(server.LogTail().find("ends with an incomplete record"), std::string::npos);
  EXPECT_EQ(std::filesystem::file_size(incr), size);
  c = server.Connect();
  EXPECT_EQ(std::string(Must(c.get(), {"GET", "b"})->str), "2");
  EXPECT_EQ(Must(c.get(), {"EXISTS", "z"})->integer, 0);
}

TEST_F(DamagedLogTest, CorruptionStopsStartupUntilTheToolFixesIt) {
  ServerProcess server(AofArgs("everysec"));
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  Must(c.get(), {"SET", "a", "1"});
  Must(c.get(), {"SET", "b", "2"});
  Must(c.get(), {"SET", "c", "3"});
  server.Stop();
  std::string incr = LastIncr(server);
  std::string data = ReadFile(incr);
  size_t second = data.find("$1\r\nb\r\n");
  ASSERT_NE(second, std::string::npos);
  size_t record = data.rfind("*3\r\n", second);
  data[second] = '#';
  std::ofstream(incr, std::ios::binary | std::ios::trunc) << data;
  EXPECT_FALSE(server.Start(10s));
  ASSERT_TRUE(server.exit_status().has_value());
  EXPECT_EQ(server.exit_status()->code, 1);
  std::string log = server.LogTail();
  EXPECT_NE(log.find("Bad file format reading the append only file"), std::string::npos) << log;
  EXPECT_NE(log.find(std::filesystem::path(incr).filename().string()), std::string::npos) << log;
  EXPECT_NE(log.find("at offset " + std::to_string(second)), std::string::npos) << log;

  std::string manifest = server.dir() + "/appendonlydir/appendonly.aof.manifest";
  ProcessResult check = RunTool({manifest});
  EXPECT_EQ(check.status.code, 1) << check.out;
  EXPECT_NE(check.out.find("bad format at offset " + std::to_string(second)), std::string::npos)
      << check.out;
  ProcessResult fix = RunTool({"--fix", manifest});
  EXPECT_EQ(fix.status.code, 0) << fix.out;
  EXPECT_EQ(std::filesystem::file_size(incr), record);
  EXPECT_EQ(RunTool({manifest}).status.code, 0);
  ASSERT_TRUE(server.Start()) << server.error();
  c = server.Connect();
  EXPECT_EQ(std::string(Must(c.get(), {"GET", "a"})->str), "1");
  EXPECT_EQ(Must(c.get(), {"EXISTS", "b"})->integer, 0);
}

}  // namespace
}  // namespace sluice::test
