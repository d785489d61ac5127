// End-to-end tests of pub/sub: hiredis and raw-socket subscribers in RESP2 and RESP3,
// redis-cli's subscriber mode, fan-out to many clients, keyspace notifications, and a
// subscriber that stops reading while a publisher keeps sending.
//
// Every test here also passes against redis-server 7.0 (SLUICE_SERVER=$(which redis-server)).

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/resp.h"
#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

// The elements of an array or push reply as strings (integers as their digits).
std::vector<std::string> Items(const resp::Reply& r) {
  std::vector<std::string> out;
  for (const resp::Reply& e : r.elems) out.push_back(e.IsNull() ? "(nil)" : e.str);
  return out;
}

std::vector<std::string> Items(const redisReply* r) {
  std::vector<std::string> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type == REDIS_REPLY_INTEGER) {
      out.push_back(std::to_string(e->integer));
    } else if (e->type == REDIS_REPLY_NIL) {
      out.push_back("(nil)");
    } else {
      out.emplace_back(e->str, e->len);
    }
  }
  return out;
}

using Strings = std::vector<std::string>;

class PubSubE2ETest : public SharedServerTest<PubSubE2ETest> {
 protected:
  // Waits until `channel` has `count` subscribers (a subscriber's SUBSCRIBE may still be in
  // flight when it was sent from another process).
  bool WaitForSubscribers(redisContext* c, const std::string& channel, long long count) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      RedisReplyPtr r = Command(c, {"PUBSUB", "NUMSUB", channel});
      if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
          r->element[1]->integer == count) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

TEST_F(PubSubE2ETest, HiredisSubscriberReceivesMessagesInOrder) {
  auto sub = Connect();
  auto pub = Connect();
  ASSERT_TRUE(sub && pub);
  RedisReplyPtr r = Command(sub.get(), {"SUBSCRIBE", "e2e:a", "e2e:b"});
  EXPECT_EQ(Items(r.get()), (Strings{"subscribe", "e2e:a", "1"}));
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sub.get(), &raw), REDIS_OK);
  r.reset(static_cast<redisReply*>(raw));
  EXPECT_EQ(Items(r.get()), (Strings{"subscribe", "e2e:b", "2"}));

  for (int i = 0; i < 100; ++i) {
    RedisReplyPtr n =
        Command(pub.get(), {"PUBLISH", i % 2 ? "e2e:b" : "e2e:a", "m" + std::to_string(i)});
    ASSERT_TRUE(n && n->type == REDIS_REPLY_INTEGER && n->integer == 1);
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(redisGetReply(sub.get(), &raw), REDIS_OK) << sub->errstr;
    r.reset(static_cast<redisReply*>(raw));
    EXPECT_EQ(Items(r.get()),
              (Strings{"message", i % 2 ? "e2e:b" : "e2e:a", "m" + std::to_string(i)}));
  }
  // Subscriber mode: other commands are refused until the last unsubscribe.
  r = Command(sub.get(), {"GET", "k"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(r->str, r->len),
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context");
  r = Command(sub.get(), {"UNSUBSCRIBE", "e2e:a", "e2e:b"});
  EXPECT_EQ(Items(r.get()), (Strings{"unsubscribe", "e2e:a", "1"}));
  ASSERT_EQ(redisGetReply(sub.get(), &raw), REDIS_OK);
  r.reset(static_cast<redisReply*>(raw));
  EXPECT_EQ(Items(r.get()), (Strings{"unsubscribe", "e2e:b", "0"}));
  r = Command(sub.get(), {"GET", "e2e:nokey"});
  EXPECT_TRUE(r && r->type == REDIS_REPLY_NIL);
}

TEST_F(PubSubE2ETest, Resp3SubscriberGetsPushesBetweenReplies) {
  RawConnection sub = ConnectRaw();
  auto pub = Connect();
  ASSERT_TRUE(sub.Call({"HELLO", "3"}));
  auto r = sub.Call({"SUBSCRIBE", "e2e:r3"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, resp::Type::kPush);
  EXPECT_EQ(Items(*r), (Strings{"subscribe", "e2e:r3", "1"}));
  r = sub.Call({"PSUBSCRIBE", "e2e:r*"});
  ASSERT_TRUE(r);
  EXPECT_EQ(Items(*r), (Strings{"psubscribe", "e2e:r*", "2"}));

  RedisReplyPtr n = Command(pub.get(), {"PUBLISH", "e2e:r3", "hello"});
  ASSERT_TRUE(n && n->integer == 2);
  r = sub.ReadReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, resp::Type::kPush);
  EXPECT_EQ(Items(*r), (Strings{"message", "e2e:r3", "hello"}));
  r = sub.ReadReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, resp::Type::kPush);
  EXPECT_EQ(Items(*r), (Strings{"pmessage", "e2e:r*", "e2e:r3", "hello"}));

  // A RESP3 subscriber keeps running ordinary commands.
  r = sub.Call({"SET", "e2e:r3:key", "v"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str, "OK");
  r = sub.Call({"UNSUBSCRIBE"});
  ASSERT_TRUE(r);
  EXPECT_EQ(Items(*r), (Strings{"unsubscribe", "e2e:r3", "1"}));
  r = sub.Call({"UNSUBSCRIBE"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elems.size(), 3u);
  EXPECT_EQ(r->elems[1].type, resp::Type::kNull);
}

TEST_F(PubSubE2ETest, ClientReplyOffSilencesRepliesButNotPushes) {
  RawConnection sub = ConnectRaw();
  auto pub = Connect();
  ASSERT_TRUE(sub.Send(resp::EncodeCommand({"CLIENT", "REPLY", "OFF"})));
  auto r = sub.Call({"SUBSCRIBE", "e2e:quiet"});
  ASSERT_TRUE(r) << sub.error();
  EXPECT_EQ(Items(*r), (Strings{"subscribe", "e2e:quiet", "1"}));
  RedisReplyPtr n = Command(pub.get(), {"PUBLISH", "e2e:quiet", "m"});
  r = sub.ReadReply();
  ASSERT_TRUE(r) << sub.error();
  EXPECT_EQ(Items(*r), (Strings{"message", "e2e:quiet", "m"}));
  // PING's reply is silenced; the next confirmation is the next thing on the wire.
  ASSERT_TRUE(sub.Send(resp::EncodeCommand({"PING"})));
  r = sub.Call({"UNSUBSCRIBE"});
  ASSERT_TRUE(r) << sub.error();
  EXPECT_EQ(Items(*r), (Strings{"unsubscribe", "e2e:quiet", "0"}));
}

TEST_F(PubSubE2ETest, RedisCliSubscribeResp2AndResp3) {
  auto pub = Connect();
  ProcessResult resp2, resp3, pattern;
  // redis-cli in subscriber mode reads until it is stopped: each runs until its timeout.
  std::thread t2([&] { resp2 = RunRedisCli(port(), {"SUBSCRIBE", "e2e:cli"}, {}, 3s); });
  std::thread t3([&] { resp3 = RunRedisCli(port(), {"-3", "SUBSCRIBE", "e2e:cli"}, {}, 3s); });
  std::thread tp([&] { pattern = RunRedisCli(port(), {"PSUBSCRIBE", "e2e:c*"}, {}, 3s); });
  bool ready = WaitForSubscribers(pub.get(), "e2e:cli", 2);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ready && std::chrono::steady_clock::now() < deadline) {
    RedisReplyPtr numpat = Command(pub.get(), {"PUBSUB", "NUMPAT"});
    if (numpat && numpat->integer >= 1) break;
    std::this_thread::sleep_for(10ms);
  }
  RedisReplyPtr n = Command(pub.get(), {"PUBLISH", "e2e:cli", "first"});
  EXPECT_TRUE(n && n->integer == 3);
  n = Command(pub.get(), {"PUBLISH", "e2e:cli", "second"});
  t2.join();
  t3.join();
  tp.join();
  ASSERT_TRUE(ready) << "redis-cli did not subscribe: " << resp2.err << resp3.err;
  EXPECT_EQ(resp2.out,
            "subscribe\ne2e:cli\n1\nmessage\ne2e:cli\nfirst\nmessage\ne2e:cli\nsecond\n");
  EXPECT_EQ(resp3.out,
            "subscribe\ne2e:cli\n1\nmessage\ne2e:cli\nfirst\nmessage\ne2e:cli\nsecond\n");
  EXPECT_EQ(pattern.out,
            "psubscribe\ne2e:c*\n1\npmessage\ne2e:c*\ne2e:cli\nfirst\npmessage\ne2e:c*\n"
            "e2e:cli\nsecond\n");
}

TEST_F(PubSubE2ETest, FanOutReachesEverySubscriber) {
  constexpr int kSubscribers = 40;
  constexpr int kMessages = 300;
  std::vector<RawConnection> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(ConnectRaw());
    if (i % 2) {
      ASSERT_TRUE(subs.back().Call({"HELLO", "3"}));
    }
    auto r = subs.back().Call({"SUBSCRIBE", "e2e:fan"});
    ASSERT_TRUE(r);
  }
  auto pub = Connect();
  for (int i = 0; i < kMessages; ++i) {
    RedisReplyPtr n = Command(pub.get(), {"PUBLISH", "e2e:fan", "msg" + std::to_string(i)});
    ASSERT_TRUE(n && n->type == REDIS_REPLY_INTEGER);
    ASSERT_EQ(n->integer, kSubscribers);
  }
  for (int s = 0; s < kSubscribers; ++s) {
    for (int i = 0; i < kMessages; ++i) {
      auto r = subs[s].ReadReply();
      ASSERT_TRUE(r) << "subscriber " << s << " message " << i << ": " << subs[s].error();
      ASSERT_EQ(r->type, s % 2 ? resp::Type::kPush : resp::Type::kArray);
      ASSERT_EQ(Items(*r), (Strings{"message", "e2e:fan", "msg" + std::to_string(i)}));
    }
  }
}

TEST_F(PubSubE2ETest, KeyspaceNotificationsIncludingActiveExpiry) {
  auto c = Connect();
  RawConnection sub = ConnectRaw();
  ASSERT_TRUE(sub.Call({"PSUBSCRIBE", "__keyevent@0__:*"}));
  RedisReplyPtr r = Command(c.get(), {"CONFIG", "SET", "notify-keyspace-events", "Eg$x"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  Command(c.get(), {"SET", "e2e:ks", "v", "PX", "50"});
  Command(c.get(), {"DEL", "e2e:ks:none"});
  Strings events;
  for (int i = 0; i < 3; ++i) {
    auto m = sub.ReadReply(5s);  // the expiry arrives from the periodic sweep
    ASSERT_TRUE(m) << sub.error();
    ASSERT_EQ(m->elems.size(), 4u);
    events.push_back(m->elems[2].str + " " + m->elems[3].str);
  }
  EXPECT_EQ(events, (Strings{"__keyevent@0__:set e2e:ks", "__keyevent@0__:expire e2e:ks",
                             "__keyevent@0__:expired e2e:ks"}));
  Command(c.get(), {"CONFIG", "SET", "notify-keyspace-events", ""});
}

// ---------------------------------------------------------------------------------------------
// A subscriber that stops reading is disconnected at its output buffer limit; the others keep
// getting every message and the server's memory stays bounded.

class SlowSubscriberTest : public SharedServerTest<SlowSubscriberTest> {
 public:
  static std::vector<std::string> ServerArgs() {
    return {"--client-output-buffer-limit", "pubsub 8mb 4mb 60"};
  }
};

TEST_F(SlowSubscriberTest, NonReadingSubscriberIsDisconnectedAndOthersGetEverything) {
  constexpr int kMessages = 2000;
  constexpr size_t kMessageSize = 256 * 1024;  // 500 MB published in all
  constexpr long kRssLimitKb = 150 * 1024 * kRssScale;

  RawConnection slow = ConnectRaw();
  ASSERT_TRUE(slow.Call({"SUBSCRIBE", "e2e:firehose"}));

  // The fast subscriber reads on its own thread and counts complete messages.
  RawConnection fast = ConnectRaw();
  ASSERT_TRUE(fast.Call({"SUBSCRIBE", "e2e:firehose"}));
  std::atomic<int> received{0};
  std::atomic<bool> in_order{true};
  std::thread reader([&] {
    for (int i = 0; i < kMessages; ++i) {
      auto m = fast.ReadReply(30s);
      if (!m || m->elems.size() != 3 || m->elems[2].str.size() != kMessageSize ||
          m->elems[2].str[0] != static_cast<char>('a' + i % 26)) {
        in_order = false;
        return;
      }
      received++;
    }
  });

  std::atomic<bool> stop{false};
  std::atomic<long> peak_kb{0};
  std::atomic<bool> killed{false};
  pid_t pid = server().pid();
  std::thread sampler([&] {
    while (!stop) {
      long rss = server().RssKb();
      if (rss > peak_kb) peak_kb = rss;
      if (rss > kRssLimitKb * 2 && !killed) {
        killed = true;  // keep a runaway server from exhausting the machine
        ::kill(pid, SIGKILL);
      }
      std::this_thread::sleep_for(5ms);
    }
  });

  auto pub = Connect();
  long long first_count = -1;
  long long last_count = -1;
  for (int i = 0; i < kMessages && !killed; ++i) {
    // Stay a few messages (well under the limit) ahead of the reading subscriber, so only the
    // one that never reads can reach the limit however the threads are scheduled.
    while (i - received > 8 && in_order && !killed) std::this_thread::sleep_for(1ms);
    RedisReplyPtr n = Command(
        pub.get(),
        {"PUBLISH", "e2e:firehose", std::string(kMessageSize, static_cast<char>('a' + i % 26))});
    if (!n || n->type != REDIS_REPLY_INTEGER) {
      // Not ASSERT: the reader and sampler threads must be joined before the test returns.
      ADD_FAILURE() << "PUBLISH failed: " << pub->errstr;
      break;
    }
    if (first_count < 0) first_count = n->integer;
    last_count = n->integer;
  }
  reader.join();
  stop = true;
  sampler.join();

  RecordProperty("peak_rss_kb", std::to_string(peak_kb.load()));
  EXPECT_FALSE(killed) << "server RSS passed " << kRssLimitKb * 2 / 1024 << " MB";
  EXPECT_EQ(first_count, 2);
  EXPECT_EQ(last_count, 1) << "the slow subscriber should be gone by the last message";
  EXPECT_TRUE(in_order);
  EXPECT_EQ(received, kMessages) << "the reading subscriber must get every message";
  EXPECT_LT(peak_kb, kRssLimitKb) << "server RSS reached " << peak_kb / 1024 << " MB";
  // The slow client finds its connection closed once it reads what the kernel had buffered.
  EXPECT_TRUE(slow.WaitClosed(10s));
  EXPECT_NE(server().LogTail().find("overcoming of output buffer limits"), std::string::npos)
      << server().LogTail();
  RedisReplyPtr numsub = Command(pub.get(), {"PUBSUB", "NUMSUB", "e2e:firehose"});
  ASSERT_TRUE(numsub && numsub->elements == 2);
  EXPECT_EQ(numsub->element[1]->integer, 1);
}

}  // namespace
}  // namespace sluice::test
