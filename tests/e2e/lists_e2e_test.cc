// End-to-end tests of lists and blocking over real connections: a waiter and a pusher on two
// sockets, a reliable-queue producer and consumers moving a thousand messages, a waiter that
// hangs up, and redis-cli's view of a timed-out BRPOP.
//
// Every test here also passes against redis-server 7.0 (SLUICE_SERVER=$(which redis-server)).

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

class ListsE2eTest : public SharedServerTest<ListsE2eTest> {
 protected:
  // The blocked_clients figure of INFO clients, or -1 if it cannot be read.
  long BlockedClients(redisContext* c) {
    RedisReplyPtr r = Command(c, {"INFO", "clients"});
    if (!r || r->type != REDIS_REPLY_STRING) return -1;
    std::string info(r->str, r->len);
    size_t at = info.find("blocked_clients:");
    if (at == std::string::npos) return -1;
    return std::stol(info.substr(at + 16));
  }
  // Polls until the server reports `n` blocked clients; false if it never does within a bound
  // that only guards against a hang (a pass never waits for it).
  bool WaitForBlockedClients(redisContext* c, long n) {
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up) {
      if (BlockedClients(c) == n) return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }
};

std::vector<std::string> Strings(const redisReply* r) {
  std::vector<std::string> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    out.emplace_back(r->element[i]->str ? r->element[i]->str : "(nil)");
  }
  return out;
}

TEST_F(ListsE2eTest, BlpopServedByAPushFromAnotherConnection) {
  auto waiter = Connect();
  auto pusher = Connect();
  ASSERT_TRUE(waiter && pusher);
  Command(pusher.get(), {"DEL", "e2e:q"});
  ASSERT_EQ(redisAppendCommand(waiter.get(), "BLPOP e2e:q 0"), REDIS_OK);
  // Nothing is read yet: flush the request and make sure the server has parked it.
  int done = 0;
  while (!done) ASSERT_EQ(redisBufferWrite(waiter.get(), &done), REDIS_OK);
  ASSERT_TRUE(WaitForBlockedClients(pusher.get(), 1));

  RedisReplyPtr pushed = Command(pusher.get(), {"RPUSH", "e2e:q", "hello"});
  ASSERT_TRUE(pushed && pushed->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(pushed->integer, 1);

  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(waiter.get(), &raw), REDIS_OK) << waiter->errstr;
  RedisReplyPtr got(static_cast<redisReply*>(raw));
  EXPECT_EQ(Strings(got.get()), (std::vector<std::string>{"e2e:q", "hello"}));
  EXPECT_EQ(BlockedClients(pusher.get()), 0);
  RedisReplyPtr len = Command(pusher.get(), {"LLEN", "e2e:q"});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer, 0);
}

TEST_F(ListsE2eTest, BlmoveQueueMovesAThousandMessagesWithoutLoss) {
  constexpr int kMessages = 1000;
  constexpr int kConsumers = 2;
  auto admin = Connect();
  ASSERT_TRUE(admin);
  Command(admin.get(), {"DEL", "e2e:jobs", "e2e:processing"});

  // Consumers move jobs into the processing list as the reliable-queue pattern does, until
  // each gets a "stop".
  std::vector<std::vector<std::string>> received(kConsumers);
  std::vector<std::string> errors(kConsumers);
  std::vector<std::thread> consumers;
  for (int i = 0; i < kConsumers; ++i) {
    consumers.emplace_back([this, i, &received, &errors] {
      RedisContextPtr c = server().Connect();
      if (!c || c->err) {
        errors[static_cast<size_t>(i)] = "connect failed";
        return;
      }
      for (;;) {
        RedisReplyPtr r =
            Command(c.get(), {"BLMOVE", "e2e:jobs", "e2e:processing", "RIGHT", "LEFT", "0"});
        if (!r || r->type != REDIS_REPLY_STRING) {
          errors[static_cast<size_t>(i)] = r ? "unexpected reply type" : c->errstr;
          return;
        }
        std::string job(r->str, r->len);
        if (job == "stop") return;
        received[static_cast<size_t>(i)].push_back(job);
      }
    });
  }

  // Produce in bursts: single pushes and pipelined batches, so both the one-element and the
  // several-elements wake-up paths are used.
  auto producer = Connect();
  ASSERT_TRUE(producer);
  int sent = 0;
  while (sent < kMessages) {
    int batch = (sent / 10) % 3 == 0 ? 1 : 7;
    std::vector<std::string> argv = {"LPUSH", "e2e:jobs"};
    for (int j = 0; j < batch && sent < kMessages; ++j, ++sent) {
      argv.push_back("job:" + std::to_string(sent));
    }
    RedisReplyPtr r = Command(producer.get(), argv);
    ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << producer->errstr;
  }
  for (int i = 0; i < kConsumers; ++i) Command(producer.get(), {"LPUSH", "e2e:jobs", "stop"});
  for (auto& t : consumers) t.join();

  std::set<std::string> all;
  size_t total = 0;
  for (int i = 0; i < kConsumers; ++i) {
    EXPECT_EQ(errors[static_cast<size_t>(i)], "") << "consumer " << i;
    // LPUSH then RIGHT pops is first in, first out: each consumer sees increasing numbers.
    int last = -1;
    for (const std::string& job : received[static_cast<size_t>(i)]) {
      int n = std::stoi(job.substr(4));
      EXPECT_GT(n, last) << "consumer " << i << " got jobs out of order";
      last = n;
      all.insert(job);
    }
    total += received[static_cast<size_t>(i)].size();
  }
  EXPECT_EQ(total, static_cast<size_t>(kMessages)) << "a job was delivered twice or lost";
  EXPECT_EQ(all.size(), static_cast<size_t>(kMessages));
  RedisReplyPtr left = Command(admin.get(), {"LLEN", "e2e:jobs"});
  RedisReplyPtr processing = Command(admin.get(), {"LLEN", "e2e:processing"});
  ASSERT_TRUE(left && processing);
  EXPECT_EQ(left->integer, 0);
  EXPECT_EQ(processing->integer, kMessages + kConsumers);
  EXPECT_EQ(BlockedClients(admin.get()), 0);
}

TEST_F(ListsE2eTest, WaiterThatHangsUpIsForgotten) {
  auto admin = Connect();
  ASSERT_TRUE(admin);
  Command(admin.get(), {"DEL", "e2e:gone", "e2e:stay"});
  {
    auto waiter = Connect();
    ASSERT_TRUE(waiter);
    ASSERT_EQ(redisAppendCommand(waiter.get(), "BLPOP e2e:gone e2e:stay 0"), REDIS_OK);
    int done = 0;
    while (!done) ASSERT_EQ(redisBufferWrite(waiter.get(), &done), REDIS_OK);
    ASSERT_TRUE(WaitForBlockedClients(admin.get(), 1));
  }  // the connection closes here with its BLPOP pending
  ASSERT_TRUE(WaitForBlockedClients(admin.get(), 0));

  // Pushes after the hang-up stay in their lists: nobody is served on the departed client's
  // behalf, and a new waiter is served normally.
  Command(admin.get(), {"RPUSH", "e2e:gone", "a"});
  RedisReplyPtr len = Command(admin.get(), {"LLEN", "e2e:gone"});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer, 1);
  auto next = Connect();
  ASSERT_TRUE(next);
  RedisReplyPtr r = Command(next.get(), {"BLPOP", "e2e:stay", "e2e:gone", "0"});
  EXPECT_EQ(Strings(r.get()), (std::vector<std::string>{"e2e:gone", "a"}));
}

// A client blocked with a long timeout when the server is told to stop must not hold the
// server up: SIGTERM exits cleanly well before that timeout, whether the client hung up first
// or is still connected.
TEST_F(ListsE2eTest, BlockedClientsDoNotDelayShutdown) {
  for (bool hang_up_first : {true, false}) {
    ServerProcess server;
    ASSERT_TRUE(server.Start()) << server.error();
    auto admin = server.Connect();
    ASSERT_TRUE(admin);
    auto waiter = server.Connect();
    ASSERT_TRUE(waiter);
    ASSERT_EQ(redisAppendCommand(waiter.get(), "BLPOP e2e:never 3600"), REDIS_OK);
    int done = 0;
    while (!done) ASSERT_EQ(redisBufferWrite(waiter.get(), &done), REDIS_OK);
    ASSERT_TRUE(WaitForBlockedClients(admin.get(), 1));
    if (hang_up_first) {
      waiter.reset();
      ASSERT_TRUE(WaitForBlockedClients(admin.get(), 0));
    }
    ExitStatus status = server.Stop(/*grace=*/30s);
    EXPECT_TRUE(status.ok()) << "hang_up_first=" << hang_up_first << ": " << status.ToString();
  }
}

TEST_F(ListsE2eTest, RedisCliShowsATimedOutBrpopAsNil) {
  auto admin = Connect();
  ASSERT_TRUE(admin);
  Command(admin.get(), {"DEL", "e2e:cli"});
  ProcessResult r = RunRedisCli(port(), {"--no-raw", "BRPOP", "e2e:cli", "0.1"});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString() << " " << r.err;
  EXPECT_EQ(r.out, "(nil)\n");
  // Raw output (stdout not a terminal) prints a nil as an empty line.
  r = RunRedisCli(port(), {"BRPOP", "e2e:cli", "0.1"});
  EXPECT_EQ(r.out, "\n");
  r = RunRedisCli(port(), {"-3", "--no-raw", "BRPOP", "e2e:cli", "0.1"});
  EXPECT_EQ(r.out, "(nil)\n");
  Command(admin.get(), {"RPUSH", "e2e:cli", "x", "y"});
  r = RunRedisCli(port(), {"--no-raw", "BRPOP", "e2e:cli", "0.1"});
  EXPECT_EQ(r.out, "1) \"e2e:cli\"\n2) \"y\"\n");
}

}  // namespace
}  // namespace sluice::test
