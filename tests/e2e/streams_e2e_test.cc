// End-to-end tests of streams over real connections: XREAD BLOCK served by an XADD from another
// connection, several group consumers sharing a stream's work without loss or duplicates, and a
// blocked XREADGROUP told its group is gone.
//
// Every test here also passes against redis-server 7.0 (SLUICE_SERVER=$(which redis-server)).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

class StreamsE2eTest : public SharedServerTest<StreamsE2eTest> {
 protected:
  long BlockedClients(redisContext* c) {
    RedisReplyPtr r = Command(c, {"INFO", "clients"});
    if (!r || r->type != REDIS_REPLY_STRING) return -1;
    std::string info(r->str, r->len);
    size_t at = info.find("blocked_clients:");
    if (at == std::string::npos) return -1;
    return std::stol(info.substr(at + 16));
  }
  // Polls until the server reports `n` blocked clients; the bound only guards against a hang.
  bool WaitForBlockedClients(redisContext* c, long n) {
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up) {
      if (BlockedClients(c) == n) return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }
  // Sends a command without reading its reply.
  void SendOnly(redisContext* c, const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    ASSERT_EQ(redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()),
              REDIS_OK);
    int done = 0;
    while (!done) ASSERT_EQ(redisBufferWrite(c, &done), REDIS_OK);
  }
  RedisReplyPtr Receive(redisContext* c) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK) return nullptr;
    return RedisReplyPtr(static_cast<redisReply*>(raw));
  }
};

std::string Str(const redisReply* r) {
  return r != nullptr && r->str != nullptr ? std::string(r->str, r->len) : "(nil)";
}

// [[key, [[id, [f, v, ...]], ...]]] -> the IDs, checking the key.
std::vector<std::string> ReadIds(const redisReply* r, const std::string& key) {
  std::vector<std::string> ids;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 1) return ids;
  const redisReply* stream = r->element[0];
  if (stream->elements != 2 || Str(stream->element[0]) != key) return ids;
  const redisReply* entries = stream->element[1];
  for (size_t i = 0; i < entries->elements; ++i)
    ids.push_back(Str(entries->element[i]->element[0]));
  return ids;
}

TEST_F(StreamsE2eTest, XreadBlockServedByXaddFromAnotherConnection) {
  auto reader = Connect();
  auto writer = Connect();
  ASSERT_TRUE(reader && writer);
  Command(writer.get(), {"DEL", "e2e:s"});
  Command(writer.get(), {"XADD", "e2e:s", "1-0", "f", "old"});
  SendOnly(reader.get(), {"XREAD", "BLOCK", "0", "STREAMS", "e2e:s", "$"});
  ASSERT_TRUE(WaitForBlockedClients(writer.get(), 1));
  RedisReplyPtr added = Command(writer.get(), {"XADD", "e2e:s", "2-0", "f", "new"});
  ASSERT_TRUE(added);
  EXPECT_EQ(Str(added.get()), "2-0");
  RedisReplyPtr got = Receive(reader.get());
  ASSERT_TRUE(got) << reader->errstr;
  EXPECT_EQ(ReadIds(got.get(), "e2e:s"), (std::vector<std::string>{"2-0"}));
  const redisReply* fields = got->element[0]->element[1]->element[0]->element[1];
  ASSERT_EQ(fields->elements, 2u);
  EXPECT_EQ(Str(fields->element[1]), "new");
  EXPECT_EQ(BlockedClients(writer.get()), 0);
}

TEST_F(StreamsE2eTest, XreadBlockTimesOutWithNil) {
  auto reader = Connect();
  ASSERT_TRUE(reader);
  Command(reader.get(), {"DEL", "e2e:quiet"});
  RedisReplyPtr r = Command(reader.get(), {"XREAD", "BLOCK", "50", "STREAMS", "e2e:quiet", "$"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_NIL);
}

TEST_F(StreamsE2eTest, GroupConsumersShareTheWorkExactlyOnce) {
  constexpr int kMessages = 600;
  constexpr int kConsumers = 3;
  auto admin = Connect();
  ASSERT_TRUE(admin);
  Command(admin.get(), {"DEL", "e2e:work"});
  RedisReplyPtr created =
      Command(admin.get(), {"XGROUP", "CREATE", "e2e:work", "workers", "$", "MKSTREAM"});
  ASSERT_TRUE(created);
  ASSERT_EQ(Str(created.get()), "OK");

  std::vector<std::vector<std::string>> received(kConsumers);
  std::vector<std::string> errors(kConsumers);
  std::vector<std::thread> consumers;
  std::atomic<int> finished{0};
  for (int i = 0; i < kConsumers; ++i) {
    consumers.emplace_back([this, i, &received, &errors, &finished] {
      struct Done {
        std::atomic<int>& n;
        ~Done() { ++n; }
      } done{finished};
      RedisContextPtr c = server().Connect();
      if (!c || c->err) {
        errors[static_cast<size_t>(i)] = "connect failed";
        return;
      }
      std::string name = "consumer-" + std::to_string(i);
      for (;;) {
        RedisReplyPtr r = Command(c.get(), {"XREADGROUP", "GROUP", "workers", name, "COUNT", "5",
                                            "BLOCK", "0", "STREAMS", "e2e:work", ">"});
        if (!r || r->type != REDIS_REPLY_ARRAY) {
          errors[static_cast<size_t>(i)] = r ? "unexpected reply: " + Str(r.get()) : c->errstr;
          return;
        }
        bool stop = false;
        std::vector<std::string> ack{"XACK", "e2e:work", "workers"};
        const redisReply* entries = r->element[0]->element[1];
        for (size_t e = 0; e < entries->elements; ++e) {
          std::string body = Str(entries->element[e]->element[1]->element[1]);
          ack.push_back(Str(entries->element[e]->element[0]));
          if (body == "stop") {
            stop = true;
          } else {
            received[static_cast<size_t>(i)].push_back(body);
          }
        }
        RedisReplyPtr acked = Command(c.get(), ack);
        if (!acked || acked->type != REDIS_REPLY_INTEGER ||
            acked->integer != static_cast<long long>(ack.size() - 3)) {
          errors[static_cast<size_t>(i)] = "XACK failed";
          return;
        }
        if (stop) return;
      }
    });
  }
  ASSERT_TRUE(WaitForBlockedClients(admin.get(), kConsumers));
  for (int m = 0; m < kMessages; ++m) {
    Command(admin.get(), {"XADD", "e2e:work", "*", "job", "job-" + std::to_string(m)});
  }
  // Stops until every consumer has seen one (a consumer may take several in one batch; spare
  // stops are acknowledged like any entry).
  auto give_up = std::chrono::steady_clock::now() + 30s;
  while (finished.load() < kConsumers && std::chrono::steady_clock::now() < give_up) {
    Command(admin.get(), {"XADD", "e2e:work", "*", "job", "stop"});
    std::this_thread::sleep_for(5ms);
  }
  for (auto& t : consumers) t.join();
  std::set<std::string> all;
  size_t total = 0;
  for (int i = 0; i < kConsumers; ++i) {
    EXPECT_EQ(errors[static_cast<size_t>(i)], "") << "consumer " << i;
    total += received[static_cast<size_t>(i)].size();
    all.insert(received[static_cast<size_t>(i)].begin(), received[static_cast<size_t>(i)].end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kMessages));       // nothing twice
  EXPECT_EQ(all.size(), static_cast<size_t>(kMessages));  // nothing lost
  RedisReplyPtr pending = Command(admin.get(), {"XPENDING", "e2e:work", "workers"});
  ASSERT_TRUE(pending && pending->type == REDIS_REPLY_ARRAY);
  EXPECT_EQ(pending->element[0]->integer, 0);
}

TEST_F(StreamsE2eTest, BlockedGroupReaderLearnsTheGroupIsGone) {
  auto reader = Connect();
  auto admin = Connect();
  ASSERT_TRUE(reader && admin);
  Command(admin.get(), {"DEL", "e2e:g"});
  Command(admin.get(), {"XGROUP", "CREATE", "e2e:g", "grp", "$", "MKSTREAM"});
  SendOnly(reader.get(),
           {"XREADGROUP", "GROUP", "grp", "c", "BLOCK", "0", "STREAMS", "e2e:g", ">"});
  ASSERT_TRUE(WaitForBlockedClients(admin.get(), 1));
  RedisReplyPtr destroyed = Command(admin.get(), {"XGROUP", "DESTROY", "e2e:g", "grp"});
  ASSERT_TRUE(destroyed);
  EXPECT_EQ(destroyed->integer, 1);
  RedisReplyPtr got = Receive(reader.get());
  ASSERT_TRUE(got) << reader->errstr;
  EXPECT_EQ(got->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(got.get()),
            "NOGROUP the consumer group this client was blocked on no longer exists");
}

}  // namespace
}  // namespace sluice::test
