// The reliable-queue benchmark's load generator (bench/queue_load.c) against real servers. The
// generator checks its own accounting (every message received once, every acknowledgement
// removing one, nothing in flight afterwards) and exits non-zero on a violation, so a run that
// exits 0 is the assertion; a message taken by another client must make it fail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

std::string LoadBinary() {
  const char* env = std::getenv("SLUICE_QUEUE_LOAD");
  return env && *env ? env : SLUICE_QUEUE_LOAD_BINARY;
}

// Whether `name` is an executable: a path, or a file found in PATH.
bool Executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

ProcessResult RunLoad(int port, const std::string& pattern, int pipeline, long long messages,
                      std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {LoadBinary(),
                                   "--pattern",
                                   pattern,
                                   "--port",
                                   std::to_string(port),
                                   "--messages",
                                   std::to_string(messages),
                                   "--pipeline",
                                   std::to_string(pipeline)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv, {}, 120s);
}

std::string Describe(const ProcessResult& r) {
  return r.status.ToString() + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// Runs every pattern at depths 1 and 16 and checks that each run passed and reported itself.
void ExpectCleanRuns(const ServerProcess& server, const std::vector<std::string>& patterns,
                     long long messages) {
  for (const std::string& pattern : patterns) {
    for (int pipeline : {1, 16}) {
      SCOPED_TRACE(pattern + " -P " + std::to_string(pipeline));
      ProcessResult r = RunLoad(server.port(), pattern, pipeline, messages);
      ASSERT_TRUE(r.status.ok()) << Describe(r);
      EXPECT_NE(r.out.find("pattern=" + pattern + " pipeline=" + std::to_string(pipeline) +
                           " messages=" + std::to_string(messages) + " "),
                std::string::npos)
          << r.out;
      // The generator removes its keys after the run.
      auto c = server.Connect();
      ASSERT_TRUE(c && !c->err);
      RedisReplyPtr exists = Command(c.get(), {"EXISTS", "q", "q:processing"});
      ASSERT_TRUE(exists && exists->type == REDIS_REPLY_INTEGER);
      EXPECT_EQ(exists->integer, 0);
    }
  }
}

TEST(QueueLoadTest, AllPatternsOnTheServerUnderTest) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  std::vector<std::string> patterns = {"redis-list", "redis-stream"};
  if (!server.is_redis()) patterns.insert(patterns.begin(), "sluice-q");
  ExpectCleanRuns(server, patterns, 3000);
}

TEST(QueueLoadTest, RedisPatternsOnRedisServer) {
  if (!Executable(RedisServerBinary())) GTEST_SKIP() << "no redis-server";
  ServerProcess redis({}, RedisServerBinary());
  ASSERT_TRUE(redis.Start()) << redis.error();
  ExpectCleanRuns(redis, {"redis-list", "redis-stream"}, 3000);
}

// Fewer messages than producers: most producers have nothing to push and most pops find
// nothing, and the run still ends once every message is acknowledged.
TEST(QueueLoadTest, FewerMessagesThanConnections) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  std::string pattern = server.is_redis() ? "redis-list" : "sluice-q";
  ProcessResult r = RunLoad(server.port(), pattern, 16, 7);
  ASSERT_TRUE(r.status.ok()) << Describe(r);
  EXPECT_NE(r.out.find("messages=7 "), std::string::npos) << r.out;
}

// A client outside the run that leases a message (its blocking pop waits first, and waiting
// consumers are served in arrival order) takes it from the generator's consumers: the run must
// fail rather than report a rate.
TEST(QueueLoadTest, AMessageTakenByAnotherClientFailsTheRun) {
  ServerProcess server;
  if (server.is_redis()) GTEST_SKIP() << "queues are Sluice's own";
  ASSERT_TRUE(server.Start()) << server.error();
  RawConnection thief;
  ASSERT_TRUE(thief.Connect(server.port())) << thief.error();
  ASSERT_TRUE(
      thief.Send("*5\r\n$4\r\nQPOP\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$4\r\nFROM\r\n$1\r\nq\r\n"));
  auto c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  bool blocked = false;
  for (int i = 0; i < 500 && !blocked; ++i) {
    RedisReplyPtr info = Command(c.get(), {"INFO", "clients"});
    ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING);
    blocked = std::string(info->str, info->len).find("blocked_clients:1") != std::string::npos;
    if (!blocked) usleep(10000);
  }
  ASSERT_TRUE(blocked) << "the extra consumer never blocked";

  ProcessResult r = RunLoad(server.port(), "sluice-q", 1, 200, {"--stall", "1"});
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << Describe(r);
  EXPECT_NE(r.err.find("stalled: 199 of 200"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  std::optional<resp::Reply> taken = thief.ReadReply();
  ASSERT_TRUE(taken.has_value()) << thief.error();
}

}  // namespace
}  // namespace sluice::test
