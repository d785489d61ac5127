// Reliable queues against the real binary: SIGKILL during a producer/consumer run with
// appendfsync always (no acknowledged push lost, no acknowledged message back, in-flight
// messages back after their lease), a soak of consumers acknowledging, failing and abandoning
// messages at random with every ID counted, timers on the real clock, and the memory a queued
// message costs.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

std::string Str(const redisReply* r) { return std::string(r->str, r->len); }

// The integer field of a QINFO reply (RESP2: a flat array), -1 when missing.
long long InfoField(redisContext* c, const std::string& key, const std::string& field) {
  RedisReplyPtr r = Command(c, {"QINFO", key});
  if (!r || r->type != REDIS_REPLY_ARRAY) return -1;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (Str(r->element[i]) == field && r->element[i + 1]->type == REDIS_REPLY_INTEGER) {
      return r->element[i + 1]->integer;
    }
  }
  return -1;
}

long long UsedMemory(redisContext* c) {
  RedisReplyPtr r = Command(c, {"INFO", "memory"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  std::string info = Str(r.get());
  size_t at = info.find("used_memory:");
  if (at == std::string::npos) return -1;
  return std::stoll(info.substr(at + 12));
}

class QueueE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (IsRedisServerBinary(DefaultServerBinary())) {
      GTEST_SKIP() << "queues are Sluice's own";
    }
  }
};

// Messages popped from `key` (leased, then acknowledged) until it has nothing left in any
// state; waits for leases from before a crash to expire. Returns the payloads.
std::vector<std::string> Drain(redisContext* c, const std::string& key) {
  std::vector<std::string> seen;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    RedisReplyPtr r = Command(c, {"QPOP", "COUNT", "100", "BLOCK", "100", "FROM", key});
    if (!r) break;
    if (r->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < r->elements; ++i) {
        redisReply* e = r->element[i];
        seen.push_back(Str(e->element[2]));
        Command(c, {"QACK", key, Str(e->element[1])});
      }
      continue;
    }
    if (InfoField(c, key, "ready") == 0 && InfoField(c, key, "delayed") == 0 &&
        InfoField(c, key, "inflight") == 0) {
      break;
    }
  }
  return seen;
}

TEST_F(QueueE2ETest, SigkillDuringProducerConsumerLosesNothingAcknowledged) {
  ServerProcess server({"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(server.Start()) << server.error();
  {
    RedisContextPtr c = server.Connect();
    RedisReplyPtr r =
        Command(c.get(), {"QCREATE", "jobs", "VISIBILITY", "500", "BACKOFF", "FIXED", "0"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  }
  std::mutex mu;
  std::set<std::string> pushed;    // acknowledged pushes
  std::set<std::string> consumed;  // acknowledged acks
  std::set<std::string> in_doubt;  // acks sent whose reply never came: applied or not
  std::atomic<bool> stop{false};
  auto producer = [&](int n) {
    RedisContextPtr c = server.Connect();
    for (int i = 0; !stop; ++i) {
      std::string payload = "p" + std::to_string(n) + "-" + std::to_string(i);
      RedisReplyPtr r = Command(c.get(), {"QPUSH", "jobs", payload});
      if (!r || r->type != REDIS_REPLY_STRING) return;
      std::lock_guard<std::mutex> lock(mu);
      pushed.insert(payload);
    }
  };
  auto consumer = [&](int n) {
    RedisContextPtr c = server.Connect();
    std::mt19937 rng(static_cast<unsigned>(n));
    while (!stop) {
      RedisReplyPtr r = Command(c.get(), {"QPOP", "COUNT", "5", "BLOCK", "50", "FROM", "jobs"});
      if (!r) return;
      if (r->type != REDIS_REPLY_ARRAY) continue;
      for (size_t i = 0; i < r->elements; ++i) {
        std::string id = Str(r->element[i]->element[1]);
        std::string payload = Str(r->element[i]->element[2]);
        if (rng() % 10 == 0) continue;  // abandoned: its lease will expire
        {
          std::lock_guard<std::mutex> lock(mu);
          in_doubt.insert(payload);
        }
        RedisReplyPtr ack = Command(c.get(), {"QACK", "jobs", id});
        if (!ack) return;
        if (ack->type == REDIS_REPLY_INTEGER && ack->integer == 1) {
          std::lock_guard<std::mutex> lock(mu);
          EXPECT_TRUE(consumed.insert(payload).second) << payload << " acknowledged twice";
          in_doubt.erase(payload);
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back(producer, i);
  for (int i = 0; i < 3; ++i) threads.emplace_back(consumer, i);
  std::random_device rd;
  std::this_thread::sleep_for(std::chrono::milliseconds(300 + rd() % 400));
  server.Kill9();
  stop = true;
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  std::vector<std::string> drained = Drain(c.get(), "jobs");
  RecordProperty("pushed", static_cast<int>(pushed.size()));
  RecordProperty("consumed", static_cast<int>(consumed.size()));
  ASSERT_GT(pushed.size(), 20u) << "the run did some work before the kill";
  std::set<std::string> after(drained.begin(), drained.end());
  EXPECT_EQ(after.size(), drained.size()) << "a message came back twice after the restart";
  for (const std::string& p : pushed) {
    EXPECT_TRUE(consumed.count(p) != 0 || after.count(p) != 0 || in_doubt.count(p) != 0)
        << p << " was lost";
  }
  for (const std::string& p : after) {
    EXPECT_EQ(consumed.count(p), 0u) << p << " came back after its acknowledgement";
  }
}

TEST_F(QueueE2ETest, SoakOfRandomConsumersCountsEveryId) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  constexpr int kMessages = 2000;
  constexpr int kConsumers = 8;
  {
    RedisContextPtr c = server.Connect();
    Command(c.get(), {"QCREATE", "soak", "VISIBILITY", "150", "BACKOFF", "EXPONENTIAL", "1", "20",
                      "JITTER", "50"});
    for (int i = 0; i < kMessages; ++i) {
      redisAppendCommand(c.get(), "QPUSH soak m%d", i);
    }
    for (int i = 0; i < kMessages; ++i) {
      void* reply = nullptr;
      ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK);
      freeReplyObject(reply);
    }
  }
  std::mutex mu;
  std::map<std::string, int> acked;  // payload -> successful acknowledgements
  std::map<std::string, int> deliveries;
  std::atomic<int> done{0};
  auto consumer = [&](int n) {
    RedisContextPtr c = server.Connect();
    std::mt19937 rng(static_cast<unsigned>(n) * 7919u);
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (done < kMessages && std::chrono::steady_clock::now() < deadline) {
      std::string count = std::to_string(1 + rng() % 4);
      RedisReplyPtr r = Command(c.get(), {"QPOP", "COUNT", count, "BLOCK", "20", "FROM", "soak"});
      if (!r) return;
      if (r->type != REDIS_REPLY_ARRAY) continue;
      for (size_t i = 0; i < r->elements; ++i) {
        std::string id = Str(r->element[i]->element[1]);
        std::string payload = Str(r->element[i]->element[2]);
        {
          std::lock_guard<std::mutex> lock(mu);
          deliveries[payload]++;
        }
        unsigned dice = rng() % 10;
        if (dice < 6) {
          RedisReplyPtr ack = Command(c.get(), {"QACK", "soak", id});
          if (ack && ack->type == REDIS_REPLY_INTEGER && ack->integer == 1) {
            std::lock_guard<std::mutex> lock(mu);
            acked[payload]++;
            ++done;
          }
        } else if (dice < 8) {
          Command(c.get(), {"QNACK", "soak", id, "ERROR", "random failure"});
        }  // else: abandoned until its lease expires
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kConsumers; ++i) threads.emplace_back(consumer, i);
  for (std::thread& t : threads) t.join();
  RedisContextPtr c = server.Connect();
  EXPECT_EQ(done.load(), kMessages);
  ASSERT_EQ(acked.size(), static_cast<size_t>(kMessages)) << "messages were lost";
  for (const auto& [payload, n] : acked) EXPECT_EQ(n, 1) << payload;
  EXPECT_EQ(InfoField(c.get(), "soak", "ready"), 0);
  EXPECT_EQ(InfoField(c.get(), "soak", "inflight"), 0);
  EXPECT_EQ(InfoField(c.get(), "soak", "delayed"), 0);
  EXPECT_EQ(InfoField(c.get(), "soak", "acked"), kMessages);
  long long delivered = 0;
  for (const auto& [payload, n] : deliveries) delivered += n;
  EXPECT_EQ(InfoField(c.get(), "soak", "delivered"), delivered);
  EXPECT_GT(InfoField(c.get(), "soak", "timeouts"), 0) << "some leases expired";
  EXPECT_GT(InfoField(c.get(), "soak", "nacked"), 0);
}

TEST_F(QueueE2ETest, TimersFireOnTheRealClock) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  RedisContextPtr waiter = server.Connect();
  Command(c.get(), {"QPUSH", "q", "soon", "DELAY", "50"});
  auto start = std::chrono::steady_clock::now();
  RedisReplyPtr r =
      Command(waiter.get(), {"QPOP", "BLOCK", "1000", "VISIBILITY", "50", "FROM", "q"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY) << "woken by the delayed message";
  EXPECT_EQ(Str(r->element[0]->element[2]), "soon");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
  // The lease expires and the backoff (1 s by default) passes: the message comes back.
  Command(c.get(), {"QCONFIG", "q", "SET", "backoff", "fixed", "backoff-base", "0"});
  r = Command(waiter.get(), {"QPOP", "BLOCK", "1000", "FROM", "q"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY) << "woken by the expired lease";
  EXPECT_EQ(r->element[0]->element[3]->integer, 2);
}

TEST_F(QueueE2ETest, QueuedMessagesCostAtMost120Bytes) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  constexpr int kMessages = 200000;
  std::string payload(64, 'x');
  // A first message creates the queue, so only messages are measured.
  Command(c.get(), {"QPUSH", "q", payload});
  long long before = UsedMemory(c.get());
  for (int sent = 1; sent < kMessages;) {
    int batch = std::min(1000, kMessages - sent);
    for (int i = 0; i < batch; ++i) {
      redisAppendCommand(c.get(), "QPUSH q %b", payload.data(), payload.size());
    }
    for (int i = 0; i < batch; ++i) {
      void* reply = nullptr;
      ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK);
      freeReplyObject(reply);
    }
    sent += batch;
  }
  long long after = UsedMemory(c.get());
  ASSERT_GT(before, 0);
  double per_message = static_cast<double>(after - before) / (kMessages - 1);
  RecordProperty("bytes_per_message", static_cast<int>(per_message));
  if (kRssScale == 1) {
    EXPECT_LE(per_message, 120.0);
  }
}

}  // namespace
}  // namespace sluice::test
