// The queue hook examples shipped in scripts/: each library is read from the source tree, loaded
// with FUNCTION LOAD as a user would load it, attached to queues with QCREATE, and checked
// through the queue commands with the fake clock. Every scripts/*.lua file must be covered here.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/server_fixture.h"

#ifndef SLUICE_SOURCE_DIR
#error "SLUICE_SOURCE_DIR must name the source tree (set by CMakeLists.txt)"
#endif

namespace sluice::testing {
namespace {

const std::filesystem::path kScriptsDir = std::filesystem::path(SLUICE_SOURCE_DIR) / "scripts";

// The libraries this file tests, by file name; the library and its function share the name.
const std::vector<std::string> kScripts = {"backoff_by_error", "poison_detector", "topic_router",
                                           "shortest_queue"};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class QueueScriptsTest : public ServerTest {
 protected:
  // Loads scripts/<name>.lua and checks that FUNCTION LOAD names the library `name`.
  void Load(const std::string& name) {
    std::string code = ReadFile(kScriptsDir / (name + ".lua"));
    ASSERT_FALSE(code.empty()) << "cannot read scripts/" << name << ".lua";
    RespValue loaded = Run(client(), std::vector<std::string>{"FUNCTION", "LOAD", code});
    ASSERT_EQ(loaded, name) << loaded.ToString();
  }
  static RespValue Field(const RespValue& map, std::string_view field) {
    for (size_t i = 0; i + 1 < map.size(); i += 2) {
      if (map[i] == field) return map[i + 1];
    }
    ADD_FAILURE() << "no field " << field << " in " << map.ToString();
    return RespValue{};
  }
  int64_t Info(std::string_view key, std::string_view field) {
    return Field(Run({"QINFO", key}), field).integer;
  }
  RespValue Get(std::string_view key, std::string_view id, std::string_view field) {
    return Field(Run({"QGET", key, id}), field);
  }
  int64_t Len(std::string_view key) { return Run({"QLEN", key}).integer; }
  std::string Push(std::string_view key, std::string_view payload) {
    return Run({"QPUSH", key, payload}).str;
  }
  // Pops one message; returns its ID, or "" when none is ready.
  std::string PopId(std::string_view key) {
    RespValue v = Run({"QPOP", "FROM", key});
    if (v.is_null()) return "";
    EXPECT_EQ(v.size(), 1u);
    return v[0][1].str;
  }
  // Pops `id` (which must be next) and fails the delivery with QNACK ... ERROR error; returns
  // the time of the failure.
  int64_t PopAndNack(std::string_view key, const std::string& id, std::string_view error) {
    EXPECT_EQ(PopId(key), id);
    if (error.empty()) {
      EXPECT_EQ(Run({"QNACK", key, id}), 1);
    } else {
      EXPECT_EQ(Run({"QNACK", key, id, "ERROR", error}), 1);
    }
    return Now();
  }
  // The only message of a dead-letter queue.
  std::string OnlyId(std::string_view key) {
    RespValue peek = Run({"QPEEK", key, "COUNT", "10"});
    EXPECT_EQ(peek.size(), 1u) << peek.ToString();
    return peek.size() == 1 ? peek[0][1].str : std::string();
  }
};

// ---------------------------------------------------------------------------------------------
// The files themselves

TEST_F(QueueScriptsTest, EveryScriptIsTestedHere) {
  std::set<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(kScriptsDir)) {
    if (entry.path().extension() == ".lua") found.insert(entry.path().stem().string());
  }
  EXPECT_EQ(found, std::set<std::string>(kScripts.begin(), kScripts.end()));
  std::string readme = ReadFile(kScriptsDir / "README.md");
  for (const std::string& name : kScripts) {
    EXPECT_NE(readme.find(name + ".lua"), std::string::npos) << name << " not in README.md";
  }
}

TEST_F(QueueScriptsTest, EachLibraryLoadsUnderItsFileNameAndDocumentsItsHook) {
  for (const std::string& name : kScripts) {
    SCOPED_TRACE(name);
    std::string code = ReadFile(kScriptsDir / (name + ".lua"));
    EXPECT_EQ(code.rfind("#!lua name=" + name + "\n", 0), 0u);
    // The header says how to attach it and what the hook receives and returns.
    std::string header = code.substr(0, code.find("]]"));
    EXPECT_TRUE(header.find("RETRYHOOK " + name) != std::string::npos ||
                header.find("ROUTEHOOK " + name) != std::string::npos);
    for (const char* word : {"KEYS[1]", "ARGV[1]", "ARGV[3]", "Returns"}) {
      EXPECT_NE(header.find(word), std::string::npos) << word;
    }
    Load(name);
    // Registered read-only: a hook that only decides cannot change data by mistake.
    RespValue list = Run({"FUNCTION", "LIST", "LIBRARYNAME", name});
    EXPECT_NE(list.ToString().find("no-writes"), std::string::npos) << list.ToString();
  }
  // Loading again replaces, as the headers tell users to do after editing.
  Run(client(), std::vector<std::string>{"FUNCTION", "LOAD", "REPLACE",
                                         ReadFile(kScriptsDir / "topic_router.lua")});
  EXPECT_EQ(Run({"FUNCTION", "LIST"}).size(), kScripts.size());
}

// ---------------------------------------------------------------------------------------------
// backoff_by_error.lua

class BackoffByErrorTest : public QueueScriptsTest {
 protected:
  void SetUp() override { Load("backoff_by_error"); }
};

TEST_F(BackoffByErrorTest, TransientErrorsRetryFastAndDoubleUpToTheirCap) {
  Run({"QCREATE", "q", "RETRYHOOK", "backoff_by_error"});
  std::string id = Push("q", "job");
  int64_t expected = 100;
  for (int delivery = 1; delivery <= 8; ++delivery) {
    SCOPED_TRACE(delivery);
    int64_t failed_at = PopAndNack("q", id, "read: Connection reset by peer");
    EXPECT_EQ(Get("q", id, "state"), "delayed");
    EXPECT_EQ(Get("q", id, "available-at"), failed_at + expected);
    AdvanceTime(expected - 1);
    EXPECT_EQ(PopId("q"), "") << "not before its time";
    AdvanceTime(1);
    expected = std::min<int64_t>(expected * 2, 5000);
  }
  RespValue v = Run({"QPOP", "FROM", "q"});
  ASSERT_FALSE(v.is_null());
  EXPECT_EQ(v[0][3], 9) << "delivered again each time";
  EXPECT_EQ(Info("q", "hook-errors"), 0);
}

TEST_F(BackoffByErrorTest, RateLimitErrorsRetrySlowerAndHonourRetryAfter) {
  Run({"QCREATE", "q", "RETRYHOOK", "backoff_by_error"});
  std::string id = Push("q", "call the partner API");
  int64_t failed_at = PopAndNack("q", id, "HTTP 429 Too Many Requests");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 5000);
  AdvanceTime(5000);
  failed_at = PopAndNack("q", id, "rate limit exceeded");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 10000);
  AdvanceTime(10000);
  failed_at = PopAndNack("q", id, "Too many requests; Retry-After=42");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 42000) << "the server said when";
  AdvanceTime(42000);
  failed_at = PopAndNack("q", id, "quota exhausted, retry after 86400");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 300000) << "capped at the class maximum";
  // A rate-limit error takes precedence over a transient word in the same text.
  AdvanceTime(300000);
  failed_at = PopAndNack("q", id, "429 from upstream after a timeout");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 80000) << "5 s x 2^4";
}

TEST_F(BackoffByErrorTest, OtherFailuresKeepTheQueuesOwnBackoff) {
  Run({"QCREATE", "q", "RETRYHOOK", "backoff_by_error", "BACKOFF", "FIXED", "777", "VISIBILITY",
       "1000"});
  std::string a = Push("q", "a");
  int64_t failed_at = PopAndNack("q", a, "division by zero");
  EXPECT_EQ(Get("q", a, "available-at"), failed_at + 777) << "an error of no class";
  std::string b = Push("q", "b");
  failed_at = PopAndNack("q", b, "");
  EXPECT_EQ(Get("q", b, "available-at"), failed_at + 777) << "no error text";
  // An expired lease: the last error is from the attempt before, so it does not classify this.
  std::string c = Push("q", "c");
  failed_at = PopAndNack("q", c, "connection refused");
  EXPECT_EQ(Get("q", c, "available-at"), failed_at + 100);
  AdvanceTime(777);  // a and b become ready too
  EXPECT_EQ(Run({"QPOP", "COUNT", "10", "FROM", "q"}).size(), 3u);
  AdvanceTime(1000);
  EXPECT_EQ(Get("q", c, "state"), "delayed");
  EXPECT_EQ(Get("q", c, "available-at"), Now() + 777);
  EXPECT_EQ(Info("q", "timeouts"), 3);
  EXPECT_EQ(Info("q", "hook-errors"), 0);
}

TEST_F(BackoffByErrorTest, MaxDeliveriesStillDeadLetters) {
  Run({"QCREATE", "q", "RETRYHOOK", "backoff_by_error", "MAXDELIVERIES", "3", "DEADLETTER", "dlq"});
  std::string id = Push("q", "job");
  int64_t failed_at = PopAndNack("q", id, "timed out");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 100);
  AdvanceTime(100);
  failed_at = PopAndNack("q", id, "timed out");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 200);
  AdvanceTime(200);
  PopAndNack("q", id, "timed out");
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  EXPECT_EQ(Info("q", "deadlettered"), 1);
  std::string dead = OnlyId("dlq");
  EXPECT_EQ(Get("dlq", dead, "dead-reason"), "maxdeliveries");
  EXPECT_EQ(Get("dlq", dead, "origin"), "q");
  EXPECT_EQ(Get("dlq", dead, "deliveries"), 3);
  EXPECT_EQ(Get("dlq", dead, "last-error"), "timed out");
  EXPECT_EQ(Get("dlq", dead, "payload"), "job");
}

// ---------------------------------------------------------------------------------------------
// poison_detector.lua

class PoisonDetectorTest : public QueueScriptsTest {
 protected:
  void SetUp() override { Load("poison_detector"); }
};

TEST_F(PoisonDetectorTest, AMatchingErrorDeadLettersAtOnce) {
  Run({"QCREATE", "orders", "RETRYHOOK", "poison_detector", "DEADLETTER", "orders:dead",
       "MAXDELIVERIES", "10"});
  std::string id = Push("orders", "{\"id\": 7,");
  PopAndNack("orders", id, "Invalid JSON at byte 9");
  EXPECT_TRUE(Run({"QGET", "orders", id}).is_null());
  EXPECT_EQ(Info("orders", "ready") + Info("orders", "delayed") + Info("orders", "inflight"), 0);
  EXPECT_EQ(Info("orders", "deadlettered"), 1);
  std::string dead = OnlyId("orders:dead");
  EXPECT_EQ(Get("orders:dead", dead, "dead-reason"), "poison");
  EXPECT_EQ(Get("orders:dead", dead, "origin"), "orders");
  EXPECT_EQ(Get("orders:dead", dead, "payload"), "{\"id\": 7,");
  EXPECT_EQ(Get("orders:dead", dead, "last-error"), "Invalid JSON at byte 9");
  EXPECT_EQ(Get("orders:dead", dead, "deliveries"), 1);
  // Once the consumer is fixed, the message goes back.
  EXPECT_EQ(Run({"QREDRIVE", "orders:dead"}), 1);
  EXPECT_EQ(Len("orders"), 1);
}

TEST_F(PoisonDetectorTest, OtherErrorsFollowTheQueuesPolicy) {
  Run({"QCREATE", "q", "RETRYHOOK", "poison_detector", "DEADLETTER", "dlq", "BACKOFF", "FIXED",
       "50", "MAXDELIVERIES", "2"});
  std::string id = Push("q", "job");
  int64_t failed_at = PopAndNack("q", id, "database unavailable");
  EXPECT_EQ(Get("q", id, "state"), "delayed");
  EXPECT_EQ(Get("q", id, "available-at"), failed_at + 50);
  AdvanceTime(50);
  PopAndNack("q", id, "database unavailable");
  std::string dead = OnlyId("dlq");
  EXPECT_EQ(Get("dlq", dead, "dead-reason"), "maxdeliveries");
  // A poison error on a later delivery still counts.
  std::string late = Push("q", "job 2");
  PopAndNack("q", late, "database unavailable");
  AdvanceTime(50);
  PopAndNack("q", late, "Schema validation failed: missing field 'sku'");
  RespValue all = Run({"QPEEK", "dlq", "COUNT", "10"});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(Get("dlq", all[1][1].str, "dead-reason"), "poison");
  EXPECT_EQ(Info("q", "hook-errors"), 0);
}

TEST_F(PoisonDetectorTest, AMessageThatKeepsLosingItsLeaseIsPoison) {
  Run({"QCREATE", "q", "RETRYHOOK", "poison_detector", "DEADLETTER", "dlq", "VISIBILITY", "1000",
       "BACKOFF", "FIXED", "10"});
  std::string id = Push("q", "crashes the consumer");
  for (int lost = 1; lost <= 2; ++lost) {
    SCOPED_TRACE(lost);
    EXPECT_EQ(PopId("q"), id);
    AdvanceTime(1000);
    EXPECT_EQ(Get("q", id, "state"), "delayed");
    AdvanceTime(10);
  }
  EXPECT_EQ(PopId("q"), id);
  AdvanceTime(1000);
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  std::string dead = OnlyId("dlq");
  EXPECT_EQ(Get("dlq", dead, "dead-reason"), "lost-leases");
  EXPECT_EQ(Get("dlq", dead, "deliveries"), 3);
  EXPECT_EQ(Info("q", "timeouts"), 3);
}

TEST_F(PoisonDetectorTest, LeasesLostAfterAnErrorAreOrdinaryFailures) {
  Run({"QCREATE", "q", "RETRYHOOK", "poison_detector", "VISIBILITY", "1000", "BACKOFF", "FIXED",
       "10"});
  std::string id = Push("q", "slow job");
  PopAndNack("q", id, "downstream busy");
  for (int lost = 2; lost <= 4; ++lost) {
    SCOPED_TRACE(lost);
    AdvanceTime(10);
    EXPECT_EQ(PopId("q"), id);
    AdvanceTime(1000);
    EXPECT_EQ(Get("q", id, "state"), "delayed");
  }
  EXPECT_EQ(Info("q", "deadlettered") + Info("q", "dropped"), 0);
}

TEST_F(PoisonDetectorTest, WithoutADeadLetterQueueThePoisonIsDroppedAndCounted) {
  Run({"QCREATE", "q", "RETRYHOOK", "poison_detector"});
  std::string id = Push("q", "garbage");
  PopAndNack("q", id, "malformed payload");
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  EXPECT_EQ(Info("q", "dropped"), 1);
}

// ---------------------------------------------------------------------------------------------
// topic_router.lua

class TopicRouterTest : public QueueScriptsTest {
 protected:
  void SetUp() override {
    Load("topic_router");
    ASSERT_EQ(Run({"HSET", "events:routes", "orders.created", "billing shipping", "orders.*",
                   "audit", "payments.refunded", "billing,audit"}),
              3);
    ASSERT_EQ(Run({"QCREATE", "events", "ROUTEHOOK", "topic_router"}), "OK");
  }
  std::vector<int64_t> Lens() {
    return {Len("events"), Len("billing"), Len("shipping"), Len("audit")};
  }
};

TEST_F(TopicRouterTest, APayloadPrefixPicksTheQueues) {
  std::string id = Push("events", "orders.created:{\"id\":7}");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{0, 1, 1, 1}));
  RespValue billed = Run({"QPEEK", "billing"});
  ASSERT_EQ(billed.size(), 1u);
  EXPECT_EQ(billed[0][1], id) << "QPUSH replies with the first copy's id";
  EXPECT_EQ(billed[0][2], "orders.created:{\"id\":7}");
  EXPECT_EQ(Run({"QPEEK", "audit"})[0][2], "orders.created:{\"id\":7}");
  // orders.* matches deeper topics; exact topics match only themselves.
  Push("events", "orders.eu.cancelled:{\"id\":8}");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{0, 1, 1, 2}));
  Push("events", "payments.refunded:{\"id\":9}");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(Info("events", "hook-errors"), 0);
}

TEST_F(TopicRouterTest, AJsonTopicFieldPicksTheQueues) {
  Push("events", "{\"topic\": \"orders.created\", \"id\": 7}");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{0, 1, 1, 1}));
  Push("events", "  {\"id\": 8, \"topic\": \"payments.refunded\"}");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{0, 2, 1, 2}));
}

TEST_F(TopicRouterTest, UnroutedMessagesStayInTheQueue) {
  Push("events", "payments.failed:{}");        // a topic nobody routes
  Push("events", "no topic at all");           // no colon
  Push("events", ":empty topic");              // nothing before the colon
  Push("events", "{\"kind\": \"no topic\"}");  // JSON without a topic
  Push("events", "{not json:");                // a brace but not JSON
  EXPECT_EQ(Lens(), (std::vector<int64_t>{5, 0, 0, 0}));
  EXPECT_EQ(Info("events", "hook-errors"), 0) << "not routing is not an error";
}

TEST_F(TopicRouterTest, EachQueueGetsOneCopyWithThePushOptions) {
  Run({"HSET", "events:routes", "*", "audit events"});
  std::string id =
      Run({"QPUSH", "events", "orders.created:x", "PRIORITY", "7", "GROUP", "c-1"}).str;
  // audit matches through orders.* and *, once; the queue itself is a destination too.
  EXPECT_EQ(Lens(), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(Get("billing", id, "priority"), 7);
  EXPECT_EQ(Get("billing", id, "group"), "c-1");
  std::string shipped = Run({"QPEEK", "shipping"})[0][1].str;
  EXPECT_EQ(Get("shipping", shipped, "priority"), 7);
  std::string delayed = Run({"QPUSH", "events", "orders.created:y", "DELAY", "500"}).str;
  EXPECT_EQ(Get("billing", delayed, "state"), "delayed");
  EXPECT_EQ(Get("billing", delayed, "available-at"), Now() + 500);
}

TEST_F(TopicRouterTest, TheTableIsReadOnEveryPush) {
  Run({"HDEL", "events:routes", "orders.created", "orders.*"});
  Push("events", "orders.created:1");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{1, 0, 0, 0}));
  Run({"HSET", "events:routes", "orders.created", "shipping"});
  Push("events", "orders.created:2");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{1, 0, 1, 0}));
}

TEST_F(TopicRouterTest, ARouteToAKeyOfAnotherTypeKeepsTheMessage) {
  Run({"SET", "shipping", "not a queue"});
  Push("events", "orders.created:1");
  EXPECT_EQ(Len("events"), 1) << "a hook never loses a message";
  EXPECT_EQ(Len("billing"), 0);
  EXPECT_EQ(Info("events", "hook-errors"), 1);
}

// ---------------------------------------------------------------------------------------------
// shortest_queue.lua

class ShortestQueueTest : public QueueScriptsTest {
 protected:
  void SetUp() override {
    Load("shortest_queue");
    ASSERT_EQ(Run({"RPUSH", "work:pool", "work:a", "work:b", "work:c"}), 3);
    ASSERT_EQ(Run({"QCREATE", "work", "ROUTEHOOK", "shortest_queue"}), "OK");
  }
  std::vector<int64_t> Lens() { return {Len("work:a"), Len("work:b"), Len("work:c")}; }
};

TEST_F(ShortestQueueTest, EachMessageGoesToTheShortestQueue) {
  std::string first = Push("work", "1");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{1, 0, 0})) << "a tie goes to the first of the pool";
  EXPECT_EQ(Run({"QPEEK", "work:a"})[0][1], first);
  for (int i = 2; i <= 6; ++i) Push("work", std::to_string(i));
  EXPECT_EQ(Lens(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(Len("work"), 0);
  // A worker that drains its queue gets the next messages.
  std::string b1 = PopId("work:b");
  std::string b2 = PopId("work:b");
  EXPECT_EQ(Run({"QACK", "work:b", b1, b2}), 2);
  Push("work", "7");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{2, 1, 2}));
  Push("work", "8");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{2, 2, 2}));
  // In-flight messages are not waiting: QLEN counts only ready ones.
  PopId("work:c");
  Push("work", "9");
  EXPECT_EQ(Lens(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(Info("work", "hook-errors"), 0);
}

TEST_F(ShortestQueueTest, AGroupStaysInOneQueueInOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Run({"QPUSH", "work", "step " + std::to_string(i), "GROUP", "customer-42"}).str);
  }
  std::vector<int64_t> lens = Lens();
  std::sort(lens.begin(), lens.end());
  EXPECT_EQ(lens, (std::vector<int64_t>{0, 0, 5})) << "the whole group in one queue";
  std::string home;
  for (const char* q : {"work:a", "work:b", "work:c"}) {
    if (Len(q) == 5) home = q;
  }
  ASSERT_FALSE(home.empty());
  // Its queue is now the longest, and the group still goes there.
  Run({"QPUSH", "work", "step 5", "GROUP", "customer-42"});
  EXPECT_EQ(Len(home), 6);
  // Delivered one at a time, in push order.
  for (const std::string& id : ids) {
    EXPECT_EQ(PopId(home), id);
    EXPECT_EQ(PopId(home), "") << "the next waits for the acknowledgement";
    EXPECT_EQ(Run({"QACK", home, id}), 1);
  }
}

TEST_F(ShortestQueueTest, WithoutAPoolTheMessageStays) {
  Run({"DEL", "work:pool"});
  Push("work", "1");
  EXPECT_EQ(Len("work"), 1);
  EXPECT_EQ(Lens(), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(Info("work", "hook-errors"), 0);
}

TEST_F(ShortestQueueTest, APoolMemberOfAnotherTypeIsAHookErrorAndTheMessageStays) {
  Run({"SET", "work:b", "not a queue"});
  Push("work", "1");
  EXPECT_EQ(Len("work"), 1);
  EXPECT_EQ(Len("work:a"), 0);
  EXPECT_EQ(Info("work", "hook-errors"), 1);
}

}  // namespace
}  // namespace sluice::testing
