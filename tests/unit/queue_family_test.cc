// Reliable queues through their commands: pushes, leases, acknowledgements, failed deliveries
// and their backoff, dead letters, delays, expiry, groups, deduplication, overflow, QREDRIVE,
// QBIND, blocking QPOP, MULTI, scripts and RESP3 shapes. Every timer runs on the fake clock.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/scripting/script_engine.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

constexpr int64_t kT0 = 1700000000000;

class QueueTest : public ServerTest {
 protected:
  // The value of `field` in a map reply (RESP3 map or RESP2 flat array).
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
  std::string Push(std::string_view key, std::string_view payload) {
    return Run({"QPUSH", key, payload}).str;
  }
  // Pops one message from `key`; returns its ID, or "" when none is ready.
  std::string PopId(std::string_view key) {
    RespValue v = Run({"QPOP", "FROM", key});
    if (v.is_null()) return "";
    return v[0][1].str;
  }
  std::string PopPayload(std::string_view key) {
    RespValue v = Run({"QPOP", "FROM", key});
    if (v.is_null()) return "(nil)";
    return v[0][2].str;
  }
  std::string Reply(Session* s) {
    auto replies = TakeReplies(s);
    if (replies.empty()) return "(none)";
    EXPECT_EQ(replies.size(), 1u);
    return replies[0].ToString();
  }
};

std::string Id(int64_t ms, int seq) { return std::to_string(ms) + "-" + std::to_string(seq); }

// ---------------------------------------------------------------------------------------------
// Pushing and popping

TEST_F(QueueTest, PushAssignsIncreasingIdsAndCreatesTheQueue) {
  EXPECT_EQ(Run({"QPUSH", "q", "a"}), Id(kT0, 0));
  EXPECT_EQ(Run({"QPUSH", "q", "b"}), Id(kT0, 1));
  AdvanceTime(5);
  EXPECT_EQ(Run({"QPUSH", "q", "c"}), Id(kT0 + 5, 0));
  EXPECT_EQ(Run({"TYPE", "q"}), "queue");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "q"}), "queue");
  EXPECT_EQ(Run({"QLEN", "q"}), 3);
  EXPECT_EQ(Run({"EXISTS", "q"}), 1);
}

TEST_F(QueueTest, IdsKeepIncreasingWhenTheClockGoesBack) {
  Push("q", "a");
  server_->SetFakeTime(kT0 - 1000);
  EXPECT_EQ(Run({"QPUSH", "q", "b"}), Id(kT0, 1));
}

TEST_F(QueueTest, PopRepliesKeyIdPayloadAndDeliveryCount) {
  std::string id = Push("q", "hello");
  RespValue v = Run({"QPOP", "FROM", "q"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (std::vector<std::string>{"q", id, "hello", ""}));
  EXPECT_EQ(v[0][3], 1);
  EXPECT_TRUE(Run({"QPOP", "FROM", "q"}).is_null());
  EXPECT_TRUE(Run({"QPOP", "FROM", "missing"}).is_null());
  EXPECT_EQ(Run({"QLEN", "q"}), 0);
  EXPECT_EQ(Info("q", "inflight"), 1);
}

TEST_F(QueueTest, FifoWithinPriorityHigherPrioritiesFirst) {
  Run({"QPUSH", "q", "low1"});
  Run({"QPUSH", "q", "high1", "PRIORITY", "9"});
  Run({"QPUSH", "q", "mid", "PRIORITY", "5"});
  Run({"QPUSH", "q", "low2", "PRIORITY", "0"});
  Run({"QPUSH", "q", "high2", "PRIORITY", "9"});
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) order.push_back(PopPayload("q"));
  EXPECT_EQ(order, (std::vector<std::string>{"high1", "high2", "mid", "low1", "low2"}));
}

TEST_F(QueueTest, CountTakesFromKeysLeftToRight) {
  Push("a", "a1");
  Push("b", "b1");
  Push("b", "b2");
  RespValue v = Run({"QPOP", "COUNT", "2", "FROM", "missing", "a", "b"});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0][0], "a");
  EXPECT_EQ(v[1][0], "b");
  EXPECT_EQ(v[1][2], "b1");
  v = Run({"QPOP", "COUNT", "10", "FROM", "a", "b"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0][2], "b2");
}

TEST_F(QueueTest, NoackDeliversAndForgets) {
  std::string id = Push("q", "x");
  RespValue v = Run({"QPOP", "NOACK", "FROM", "q"});
  EXPECT_EQ(v[0][1], id);
  EXPECT_EQ(v[0][3], 1);
  EXPECT_EQ(Info("q", "inflight"), 0);
  EXPECT_EQ(Info("q", "delivered"), 1);
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  EXPECT_EQ(Run({"QACK", "q", id}), 0);
}

TEST_F(QueueTest, ArgumentErrors) {
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q", "x", "PRIORITY", "10"}),
                              "ERR PRIORITY must be between 0 and 9"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q", "x", "PRIORITY", "a"}),
                              "ERR value is not an integer or out of range"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"QPUSH", "q", "x", "DELAY", "5", "AT", "6"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q", "x", "BOGUS"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q", "x", "TTL", "0"}), "ERR value is out of range"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPOP", "q", "x"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPOP", "FROM"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QPOP", "COUNT", "0", "FROM", "q"}), "ERR COUNT"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"QPOP", "BLOCK", "-1", "FROM", "q"}), "ERR timeout is negative"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QACK", "q", "nope"}), "ERR Invalid queue message ID"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"QNACK", "q", "1-1", "DELAY", "1", "DEAD"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QEXTEND", "q", "1-1", "0"}), "ERR value is out of range"));
  EXPECT_EQ(Run({"EXISTS", "q"}), 0) << "failed commands create nothing";
}

TEST_F(QueueTest, WrongTypeEverywhere) {
  Run({"SET", "s", "v"});
  for (auto args : std::vector<std::vector<std::string>>{{"QPUSH", "s", "x"},
                                                         {"QPOP", "FROM", "s"},
                                                         {"QACK", "s", "1-1"},
                                                         {"QNACK", "s", "1-1"},
                                                         {"QLEN", "s"},
                                                         {"QINFO", "s"},
                                                         {"QPEEK", "s"},
                                                         {"QGET", "s", "1-1"},
                                                         {"QPENDING", "s"},
                                                         {"QDEL", "s", "1-1"},
                                                         {"QPURGE", "s"},
                                                         {"QEXTEND", "s", "1-1", "5"},
                                                         {"QBIND", "s", "c"},
                                                         {"QCONFIG", "s", "GET"}}) {
    EXPECT_TRUE(ErrorStartsWith(Run(client_, args), "WRONGTYPE")) << args[0];
  }
  EXPECT_TRUE(ErrorStartsWith(Run({"QCREATE", "s"}), "BUSYKEY"));
  Push("q", "x");
  EXPECT_TRUE(ErrorStartsWith(Run({"LPUSH", "q", "x"}), "WRONGTYPE"));
}

// ---------------------------------------------------------------------------------------------
// Acknowledgements, leases, retries

TEST_F(QueueTest, AckRemovesOnlyInFlightMessages) {
  std::string a = Push("q", "a");
  std::string b = Push("q", "b");
  EXPECT_EQ(Run({"QACK", "q", a}), 0) << "ready, not in flight";
  EXPECT_EQ(PopId("q"), a);
  EXPECT_EQ(Run({"QACK", "q", a, b, "9-9"}), 1);
  EXPECT_EQ(Run({"QACK", "q", a}), 0);
  EXPECT_EQ(Info("q", "acked"), 1);
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  EXPECT_EQ(Run({"QACK", "missing", a}), 0);
}

TEST_F(QueueTest, ExpiredLeaseComesBackAfterBackoff) {
  Run({"QCREATE", "q", "VISIBILITY", "1000", "BACKOFF", "FIXED", "500"});
  std::string id = Push("q", "job");
  EXPECT_EQ(PopId("q"), id);
  AdvanceTime(999);
  EXPECT_EQ(Info("q", "inflight"), 1);
  AdvanceTime(1);
  EXPECT_EQ(Info("q", "inflight"), 0);
  EXPECT_EQ(Info("q", "delayed"), 1);
  EXPECT_EQ(Info("q", "timeouts"), 1);
  EXPECT_EQ(Get("q", id, "available-at"), kT0 + 1500);
  AdvanceTime(499);
  EXPECT_EQ(PopId("q"), "");
  AdvanceTime(1);
  RespValue v = Run({"QPOP", "FROM", "q"});
  EXPECT_EQ(v[0][1], id);
  EXPECT_EQ(v[0][3], 2) << "second delivery";
  EXPECT_EQ(Run({"QACK", "q", id}), 1);
}

TEST_F(QueueTest, ExponentialBackoffDoublesUpToTheCap) {
  Run({"QCREATE", "q", "BACKOFF", "EXPONENTIAL", "100", "350"});
  std::string id = Push("q", "job");
  std::vector<int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(PopId("q"), id);
    int64_t before = Now();
    EXPECT_EQ(Run({"QNACK", "q", id}), 1);
    delays.push_back(Get("q", id, "available-at").integer - before);
    AdvanceTime(delays.back());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200, 350, 350}));
  EXPECT_EQ(Info("q", "nacked"), 4);
}

TEST_F(QueueTest, JitterStaysWithinItsBounds) {
  Run({"QCREATE", "q", "BACKOFF", "FIXED", "1000", "JITTER", "20"});
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    std::string id = Push("q", "m");
    ASSERT_EQ(PopId("q"), id);
    Run({"QNACK", "q", id});
    int64_t delay = Get("q", id, "available-at").integer - Now();
    EXPECT_GE(delay, 800);
    EXPECT_LE(delay, 1200);
    seen.insert(delay);
    Run({"QDEL", "q", id});
  }
  EXPECT_GT(seen.size(), 10u) << "the delays are spread, not one value";
}

TEST_F(QueueTest, NackDelayAndErrorText) {
  std::string id = Push("q", "job");
  PopId("q");
  EXPECT_EQ(Run({"QNACK", "q", id, "DELAY", "250", "ERROR", "boom"}), 1);
  EXPECT_EQ(Get("q", id, "state"), "delayed");
  EXPECT_EQ(Get("q", id, "last-error"), "boom");
  EXPECT_EQ(Get("q", id, "available-at"), kT0 + 250);
  EXPECT_EQ(Run({"QNACK", "q", id}), 0) << "no longer in flight";
  AdvanceTime(250);
  EXPECT_EQ(Get("q", id, "state"), "ready");
  // DELAY 0: ready at once.
  PopId("q");
  Run({"QNACK", "q", id, "DELAY", "0"});
  EXPECT_EQ(PopId("q"), id);
}

TEST_F(QueueTest, NackDeadGoesToTheDeadLetterQueue) {
  Run({"QCREATE", "q", "DEADLETTER", "dlq"});
  std::string id = Push("q", "poison");
  PopId("q");
  EXPECT_EQ(Run({"QNACK", "q", id, "DEAD", "ERROR", "bad input"}), 1);
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  EXPECT_EQ(Info("q", "deadlettered"), 1);
  RespValue dead = Run({"QPEEK", "dlq"});
  ASSERT_EQ(dead.size(), 1u);
  std::string dead_id = dead[0][1].str;
  EXPECT_EQ(dead[0][2], "poison");
  EXPECT_EQ(Get("dlq", dead_id, "dead-reason"), "rejected");
  EXPECT_EQ(Get("dlq", dead_id, "origin"), "q");
  EXPECT_EQ(Get("dlq", dead_id, "last-error"), "bad input");
  EXPECT_EQ(Get("dlq", dead_id, "deliveries"), 1);
}

TEST_F(QueueTest, MaxDeliveriesDeadLettersOrDrops) {
  Run({"QCREATE", "q", "MAXDELIVERIES", "2", "DEADLETTER", "dlq", "BACKOFF", "FIXED", "0"});
  std::string id = Push("q", "job");
  PopId("q");
  Run({"QNACK", "q", id});
  EXPECT_EQ(PopId("q"), id);
  Run({"QNACK", "q", id, "ERROR", "again"});
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  RespValue dead = Run({"QPEEK", "dlq"});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(Get("dlq", dead[0][1].str, "dead-reason"), "maxdeliveries");
  EXPECT_EQ(Get("dlq", dead[0][1].str, "deliveries"), 2);
  EXPECT_EQ(Get("dlq", dead[0][1].str, "last-error"), "again");

  Run({"QCREATE", "nodlq", "MAXDELIVERIES", "1", "VISIBILITY", "10"});
  std::string lost = Push("nodlq", "job");
  PopId("nodlq");
  AdvanceTime(10);
  EXPECT_TRUE(Run({"QGET", "nodlq", lost}).is_null());
  EXPECT_EQ(Info("nodlq", "dropped"), 1);
  EXPECT_EQ(Info("nodlq", "timeouts"), 1);
}

TEST_F(QueueTest, ExtendMovesTheDeadline) {
  Run({"QCREATE", "q", "VISIBILITY", "100"});
  std::string id = Push("q", "job");
  PopId("q");
  AdvanceTime(90);
  EXPECT_EQ(Run({"QEXTEND", "q", id, "500"}), 500);
  AdvanceTime(100);
  EXPECT_EQ(Get("q", id, "state"), "inflight");
  RespValue pending = Run({"QPENDING", "q"});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0][3], 400);
  AdvanceTime(400);
  EXPECT_EQ(Get("q", id, "state"), "delayed");
  EXPECT_EQ(Run({"QEXTEND", "q", id, "500"}), 0);
  EXPECT_EQ(Run({"QEXTEND", "q", "1-1", "500"}), 0);
}

TEST_F(QueueTest, PendingListsInFlightByDeadlineAndConsumer) {
  for (int i = 0; i < 3; ++i) Push("q", "m" + std::to_string(i));
  Run({"QPOP", "CONSUMER", "alice", "VISIBILITY", "300", "FROM", "q"});
  Run({"QPOP", "CONSUMER", "bob", "VISIBILITY", "100", "FROM", "q"});
  Run({"QPOP", "CONSUMER", "alice", "VISIBILITY", "200", "FROM", "q"});
  RespValue all = Run({"QPENDING", "q"});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0][1], "bob");
  EXPECT_EQ(all[0][3], 100);
  EXPECT_EQ(all[1][3], 200);
  EXPECT_EQ(all[2][2], 1);
  RespValue alice = Run({"QPENDING", "q", "CONSUMER", "alice", "COUNT", "1"});
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0][1], "alice");
  EXPECT_EQ(alice[0][3], 200);
  EXPECT_EQ(Run({"QPENDING", "missing"}).size(), 0u);
  // Without CONSUMER a client is named after its connection.
  Push("q", "m3");
  RespValue v = Run({"QPOP", "FROM", "q"});
  EXPECT_EQ(Field(Run({"QGET", "q", v[0][1].str}), "consumer").str.rfind("client-", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Delays, expiry, groups, dedup, overflow

TEST_F(QueueTest, DelayAndAtHoldMessagesBack) {
  std::string later = Run({"QPUSH", "q", "later", "DELAY", "100"}).str;
  std::string at = Run({"QPUSH", "q", "at", "AT", std::to_string(kT0 + 50)}).str;
  std::string past = Run({"QPUSH", "q", "past", "AT", "1"}).str;
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  EXPECT_EQ(Info("q", "delayed"), 2);
  EXPECT_EQ(PopPayload("q"), "past");
  EXPECT_EQ(Get("q", later, "state"), "delayed");
  AdvanceTime(50);
  EXPECT_EQ(PopPayload("q"), "at");
  AdvanceTime(49);
  EXPECT_EQ(PopPayload("q"), "(nil)");
  AdvanceTime(1);
  EXPECT_EQ(PopPayload("q"), "later");
}

TEST_F(QueueTest, DelayedMessagesLineUpByAvailability) {
  Run({"QPUSH", "q", "d", "DELAY", "10"});
  AdvanceTime(5);
  Run({"QPUSH", "q", "a"});
  AdvanceTime(10);
  Run({"QPUSH", "q", "b"});
  // "d" became available at +10, after "a" (+5) and before "b" (+15).
  EXPECT_EQ(PopPayload("q"), "a");
  EXPECT_EQ(PopPayload("q"), "d");
  EXPECT_EQ(PopPayload("q"), "b");
}

TEST_F(QueueTest, TtlExpiresToTheDeadLetterQueue) {
  Run({"QCREATE", "q", "DEADLETTER", "dlq"});
  std::string id = Run({"QPUSH", "q", "short", "TTL", "100"}).str;
  Push("q", "long");
  EXPECT_EQ(Get("q", id, "expires-at"), kT0 + 100);
  AdvanceTime(100);
  EXPECT_TRUE(Run({"QGET", "q", id}).is_null());
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  RespValue dead = Run({"QPEEK", "dlq"});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(Get("dlq", dead[0][1].str, "dead-reason"), "expired");
  EXPECT_EQ(Info("q", "deadlettered"), 1);
}

TEST_F(QueueTest, RetentionExpiresEveryStateButSparesALiveLease) {
  Run({"QCREATE", "q", "RETENTION", "1000", "VISIBILITY", "5000"});
  std::string a = Push("q", "a");
  std::string b = Push("q", "b");
  std::string c = Run({"QPUSH", "q", "c", "DELAY", "5000"}).str;
  EXPECT_EQ(PopId("q"), a);
  AdvanceTime(1000);
  EXPECT_TRUE(Run({"QGET", "q", b}).is_null()) << "ready: gone";
  EXPECT_TRUE(Run({"QGET", "q", c}).is_null()) << "delayed: gone";
  EXPECT_EQ(Get("q", a, "state"), "inflight");
  EXPECT_EQ(Info("q", "dropped"), 2);
  // The consumer still finishes it...
  EXPECT_EQ(Run({"QACK", "q", a}), 1);
  // ... and one that fails is expired, not retried.
  std::string d = Push("q", "d");
  PopId("q");
  AdvanceTime(1000);
  EXPECT_EQ(Get("q", d, "state"), "inflight");
  Run({"QNACK", "q", d});
  EXPECT_TRUE(Run({"QGET", "q", d}).is_null());
  EXPECT_EQ(Info("q", "dropped"), 3);
}

TEST_F(QueueTest, RetentionChangeAppliesToQueuedMessages) {
  std::string a = Push("q", "a");
  AdvanceTime(500);
  EXPECT_EQ(Run({"QCONFIG", "q", "SET", "retention", "400"}), "OK");
  AdvanceTime(0);
  EXPECT_TRUE(Run({"QGET", "q", a}).is_null());
}

TEST_F(QueueTest, GroupsDeliverOneAtATimeInPushOrder) {
  std::string g1a = Run({"QPUSH", "q", "g1a", "GROUP", "g1"}).str;
  std::string g1b = Run({"QPUSH", "q", "g1b", "GROUP", "g1"}).str;
  std::string g2a = Run({"QPUSH", "q", "g2a", "GROUP", "g2"}).str;
  std::string free = Push("q", "free");
  EXPECT_EQ(Get("q", g1b, "state"), "waiting");
  EXPECT_EQ(Get("q", g1b, "group"), "g1");
  EXPECT_EQ(Run({"QLEN", "q"}), 4);
  EXPECT_EQ(Info("q", "waiting"), 1);
  RespValue v = Run({"QPOP", "COUNT", "10", "FROM", "q"});
  ASSERT_EQ(v.size(), 3u) << "g1b waits for g1a";
  EXPECT_EQ(PopId("q"), "");
  // A failed delivery keeps the group waiting for the retry.
  Run({"QNACK", "q", g1a, "DELAY", "100"});
  EXPECT_EQ(PopId("q"), "");
  AdvanceTime(100);
  EXPECT_EQ(PopId("q"), g1a);
  EXPECT_EQ(Run({"QACK", "q", g1a}), 1);
  EXPECT_EQ(PopId("q"), g1b);
  EXPECT_EQ(Run({"QACK", "q", g2a, free, g1b}), 3);
  EXPECT_EQ(Info("q", "ready"), 0);
}

TEST_F(QueueTest, DeletingAGroupHeadReleasesTheNext) {
  std::string a = Run({"QPUSH", "q", "a", "GROUP", "g"}).str;
  std::string b = Run({"QPUSH", "q", "b", "GROUP", "g"}).str;
  EXPECT_EQ(Run({"QDEL", "q", a}), 1);
  EXPECT_EQ(PopId("q"), b);
  std::string c = Run({"QPUSH", "q", "c", "GROUP", "g"}).str;
  Run({"QPOP", "NOACK", "FROM", "q"});  // nothing: b is in flight
  EXPECT_EQ(Get("q", c, "state"), "waiting");
  Run({"QACK", "q", b});
  EXPECT_EQ(Run({"QPOP", "NOACK", "FROM", "q"})[0][1], c);
}

TEST_F(QueueTest, DedupWithinTheWindowReturnsTheFirstId) {
  Run({"QCREATE", "q", "DEDUPWINDOW", "1000"});
  std::string first = Run({"QPUSH", "q", "a", "DEDUP", "order-1"}).str;
  EXPECT_EQ(Run({"QPUSH", "q", "b", "DEDUP", "order-1"}), first);
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  EXPECT_EQ(Info("q", "dedup-hits"), 1);
  // Still a duplicate after the first was consumed.
  PopId("q");
  Run({"QACK", "q", first});
  AdvanceTime(999);
  EXPECT_EQ(Run({"QPUSH", "q", "c", "DEDUP", "order-1"}), first);
  AdvanceTime(1);
  std::string again = Run({"QPUSH", "q", "d", "DEDUP", "order-1"}).str;
  EXPECT_NE(again, first);
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
}

TEST_F(QueueTest, OverflowReject) {
  Run({"QCREATE", "q", "MAXLEN", "2"});
  Push("q", "a");
  Push("q", "b");
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q", "c"}), "QFULL queue is full"));
  // In-flight messages count too.
  PopId("q");
  EXPECT_TRUE(ErrorStartsWith(Run({"QPUSH", "q", "c"}), "QFULL"));
}

TEST_F(QueueTest, OverflowDropOldestAndDeadLetter) {
  Run({"QCREATE", "q", "MAXLEN", "2", "OVERFLOW", "DROPOLDEST"});
  Push("q", "a");
  Push("q", "b");
  Push("q", "c");
  EXPECT_EQ(PopPayload("q"), "b");
  EXPECT_EQ(Info("q", "dropped"), 1);

  Run({"QCREATE", "r", "MAXLEN", "1", "OVERFLOW", "DEADLETTER", "DEADLETTER", "rdlq"});
  Push("r", "old");
  Push("r", "new");
  EXPECT_EQ(PopPayload("r"), "new");
  RespValue dead = Run({"QPEEK", "rdlq"});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0][2], "old");
  EXPECT_EQ(Get("rdlq", dead[0][1].str, "dead-reason"), "maxlen");
}

// ---------------------------------------------------------------------------------------------
// QREDRIVE, QBIND, QDEL, QPURGE, QPEEK, QGET

TEST_F(QueueTest, RedriveReturnsDeadMessagesToTheirOrigin) {
  Run({"QCREATE", "q", "DEADLETTER", "dlq"});
  Run({"QCREATE", "r", "DEADLETTER", "dlq"});
  for (std::string key : {"q", "r", "q"}) {
    std::string id = Push(key, "from-" + key);
    PopId(key);
    Run({"QNACK", key, id, "DEAD"});
  }
  EXPECT_EQ(Run({"QLEN", "dlq"}), 3);
  EXPECT_EQ(Run({"QREDRIVE", "dlq", "COUNT", "2"}), 2);
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  EXPECT_EQ(Run({"QLEN", "r"}), 1);
  RespValue back = Run({"QPOP", "FROM", "q"});
  EXPECT_EQ(back[0][2], "from-q");
  EXPECT_EQ(back[0][3], 1) << "delivery count reset";
  EXPECT_EQ(Run({"QREDRIVE", "dlq", "TO", "elsewhere"}), 1);
  EXPECT_EQ(Run({"QLEN", "elsewhere"}), 1);
  EXPECT_EQ(Run({"QLEN", "dlq"}), 0);
  Run({"SET", "s", "x"});
  EXPECT_TRUE(ErrorStartsWith(Run({"QREDRIVE", "dlq", "TO", "s"}), "WRONGTYPE"));
  EXPECT_EQ(Run({"QREDRIVE", "missing"}), 0);
}

TEST_F(QueueTest, BoundQueuesReceivePublishedMessages) {
  EXPECT_EQ(Run({"QBIND", "q", "news.*"}), 1);
  EXPECT_EQ(Run({"QBIND", "q", "news.*"}), 0);
  EXPECT_EQ(Run({"QBIND", "exact", "news.sport"}), 1);
  Session* sub = NewClient();
  Run(sub, {"SUBSCRIBE", "news.sport"});
  EXPECT_EQ(Run({"PUBLISH", "news.sport", "goal"}), 3) << "one subscriber, two queues";
  EXPECT_EQ(Run({"PUBLISH", "news.weather", "rain"}), 1);
  EXPECT_EQ(Run({"PUBLISH", "other", "x"}), 0);
  EXPECT_EQ(PopPayload("q"), "goal");
  EXPECT_EQ(PopPayload("q"), "rain");
  EXPECT_EQ(PopPayload("exact"), "goal");
  EXPECT_EQ(Run({"QUNBIND", "q", "news.*"}), 1);
  EXPECT_EQ(Run({"QUNBIND", "q", "news.*"}), 0);
  EXPECT_EQ(Run({"PUBLISH", "news.weather", "sun"}), 0);
  // A renamed queue keeps its bindings; a deleted one loses them.
  Run({"RENAME", "exact", "renamed"});
  EXPECT_EQ(Run({"PUBLISH", "news.sport", "again"}), 2);
  EXPECT_EQ(PopPayload("renamed"), "again");
  Run({"DEL", "renamed"});
  EXPECT_EQ(Run({"PUBLISH", "news.sport", "x"}), 1);
  EXPECT_EQ(Run({"QINFO", "q"}).is_error(), false);
}

TEST_F(QueueTest, DelPurgePeekAndGet) {
  std::string a = Push("q", "a");
  std::string b = Run({"QPUSH", "q", "b", "PRIORITY", "3"}).str;
  std::string c = Run({"QPUSH", "q", "c", "DELAY", "100"}).str;
  std::string d = Push("q", "d");
  RespValue peek = Run({"QPEEK", "q", "COUNT", "10"});
  ASSERT_EQ(peek.size(), 3u);
  EXPECT_EQ(peek[0][2], "b");
  EXPECT_EQ(peek[1][2], "a");
  EXPECT_EQ(peek[2][2], "d");
  EXPECT_EQ(Run({"QPEEK", "q"}).size(), 1u);
  EXPECT_EQ(Run({"QPEEK", "missing"}).size(), 0u);
  RespValue got = Run({"QGET", "q", b});
  EXPECT_EQ(Field(got, "payload"), "b");
  EXPECT_EQ(Field(got, "state"), "ready");
  EXPECT_EQ(Field(got, "priority"), 3);
  EXPECT_EQ(Field(got, "deliveries"), 0);
  EXPECT_EQ(Field(got, "enqueued-at"), kT0);
  EXPECT_EQ(Field(got, "available-at"), kT0);
  EXPECT_TRUE(Field(got, "group").is_null());
  EXPECT_TRUE(Field(got, "last-error").is_null());
  EXPECT_TRUE(Field(got, "dead-reason").is_null());
  EXPECT_TRUE(Field(got, "origin").is_null());
  EXPECT_TRUE(Run({"QGET", "q", "1-1"}).is_null());
  EXPECT_EQ(PopId("q"), b);
  EXPECT_EQ(Run({"QDEL", "q", a, b, "1-1"}), 2) << "any state";
  EXPECT_EQ(Run({"QPURGE", "q"}), 2);
  EXPECT_EQ(Info("q", "delayed"), 0);
  EXPECT_EQ(Run({"QLEN", "q"}), 0);
  EXPECT_EQ(Run({"EXISTS", "q"}), 1) << "an empty queue stays";
  (void)c;
  (void)d;
}

TEST_F(QueueTest, PurgeKeepsInFlightMessagesAndTheirGroups) {
  std::string a = Run({"QPUSH", "q", "a", "GROUP", "g"}).str;
  Run({"QPUSH", "q", "b", "GROUP", "g"});
  Push("q", "c");
  EXPECT_EQ(PopId("q"), a);
  EXPECT_EQ(Run({"QPURGE", "q"}), 2);
  EXPECT_EQ(Get("q", a, "state"), "inflight");
  EXPECT_EQ(Run({"QACK", "q", a}), 1);
  Run({"QPUSH", "q", "d", "GROUP", "g"});
  EXPECT_EQ(PopPayload("q"), "d");
}

// ---------------------------------------------------------------------------------------------
// Configuration and introspection

TEST_F(QueueTest, CreateConfigAndInfo) {
  EXPECT_EQ(Run({"QCREATE", "q",          "VISIBILITY", "5000",       "MAXDELIVERIES",
                 "3",       "DEADLETTER", "d",          "BACKOFF",    "FIXED",
                 "10",      "JITTER",     "5",          "RETENTION",  "60000",
                 "MAXLEN",  "9",          "OVERFLOW",   "DROPOLDEST", "DEDUPWINDOW",
                 "7",       "RETRYHOOK",  "rh",         "ROUTEHOOK",  "ro"}),
            "OK");
  EXPECT_TRUE(ErrorStartsWith(Run({"QCREATE", "q"}), "BUSYKEY"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QCREATE", "x", "JITTER", "101"}), "ERR JITTER"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QCREATE", "x", "BACKOFF", "LINEAR", "1"}), "ERR syntax"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QCREATE", "x", "OVERFLOW", "NO"}), "ERR syntax"));
  EXPECT_EQ(Run({"EXISTS", "x"}), 0);
  RespValue config = Run({"QCONFIG", "q", "GET"});
  EXPECT_EQ(Field(config, "visibility"), 5000);
  EXPECT_EQ(Field(config, "maxdeliveries"), 3);
  EXPECT_EQ(Field(config, "deadletter"), "d");
  EXPECT_EQ(Field(config, "backoff"), "fixed");
  EXPECT_EQ(Field(config, "backoff-base"), 10);
  EXPECT_EQ(Field(config, "jitter"), 5);
  EXPECT_EQ(Field(config, "retention"), 60000);
  EXPECT_EQ(Field(config, "maxlen"), 9);
  EXPECT_EQ(Field(config, "overflow"), "dropoldest");
  EXPECT_EQ(Field(config, "dedupwindow"), 7);
  EXPECT_EQ(Field(config, "retryhook"), "rh");
  EXPECT_EQ(Field(config, "routehook"), "ro");
  EXPECT_EQ(Run({"QCONFIG", "q", "GET", "MAXLEN"}), (std::vector<std::string>{"maxlen", ""}));
  EXPECT_EQ(Run({"QCONFIG", "q", "SET", "maxlen", "0", "overflow", "reject", "deadletter", ""}),
            "OK");
  EXPECT_EQ(Field(Run({"QCONFIG", "q", "GET"}), "deadletter"), "");
  EXPECT_TRUE(ErrorStartsWith(Run({"QCONFIG", "q", "SET", "nope", "1"}), "ERR unknown queue"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QCONFIG", "q", "SET", "visibility", "0"}), "ERR value"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"QCONFIG", "q", "SET", "maxlen", "1", "jitter", "500"}), "ERR JITTER"));
  EXPECT_EQ(Field(Run({"QCONFIG", "q", "GET"}), "maxlen"), 0) << "all or nothing";
  EXPECT_TRUE(ErrorStartsWith(Run({"QCONFIG", "q", "SET", "maxlen"}), "ERR wrong number"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QCONFIG", "missing", "GET"}), "ERR no such key"));
  EXPECT_TRUE(ErrorStartsWith(Run({"QINFO", "missing"}), "ERR no such key"));
  // Defaults.
  Push("fresh", "x");
  RespValue info = Run({"QINFO", "fresh"});
  EXPECT_EQ(Field(info, "visibility"), 30000);
  EXPECT_EQ(Field(info, "maxdeliveries"), 0);
  EXPECT_EQ(Field(info, "backoff"), "exponential");
  EXPECT_EQ(Field(info, "backoff-base"), 1000);
  EXPECT_EQ(Field(info, "backoff-max"), 300000);
  EXPECT_EQ(Field(info, "jitter"), 0);
  EXPECT_EQ(Field(info, "retention"), 0);
  EXPECT_EQ(Field(info, "maxlen"), 0);
  EXPECT_EQ(Field(info, "overflow"), "reject");
  EXPECT_EQ(Field(info, "dedupwindow"), 300000);
  EXPECT_EQ(Field(info, "ready"), 1);
  EXPECT_EQ(Field(info, "pushed"), 1);
  AdvanceTime(40);
  EXPECT_EQ(Field(Run({"QINFO", "fresh"}), "oldest-ready-age-ms"), 40);
}

TEST_F(QueueTest, Resp3Shapes) {
  Run({"HELLO", "3"});
  std::string id = Push("q", "x");
  EXPECT_EQ(Run({"QINFO", "q"}).type, RespValue::Type::kMap);
  EXPECT_EQ(Run({"QCONFIG", "q", "GET"}).type, RespValue::Type::kMap);
  RespValue got = Run({"QGET", "q", id});
  EXPECT_EQ(got.type, RespValue::Type::kMap);
  EXPECT_EQ(Field(got, "group").type, RespValue::Type::kNull);
  EXPECT_EQ(Run({"QGET", "q", "1-1"}).type, RespValue::Type::kNull);
  RespValue popped = Run({"QPOP", "FROM", "q"});
  EXPECT_EQ(popped.type, RespValue::Type::kArray);
  EXPECT_EQ(popped[0].type, RespValue::Type::kArray);
  EXPECT_EQ(Run({"QPOP", "FROM", "q"}).type, RespValue::Type::kNull);
}

TEST_F(QueueTest, CommandTableAndKeys) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "QPOP", "COUNT", "5", "CONSUMER", "FROM", "FROM", "a", "b"}),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "QPUSH", "q", "x"}), (std::vector<std::string>{"q"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "QREDRIVE", "d", "TO", "q"}),
            (std::vector<std::string>{"d", "q"}));
  RespValue info = Run({"COMMAND", "INFO", "QPOP"});
  std::vector<std::string> flags = info[0][2].Strings();
  EXPECT_NE(std::find(flags.begin(), flags.end(), "blocking"), flags.end());
  EXPECT_NE(std::find(flags.begin(), flags.end(), "write"), flags.end());
  EXPECT_EQ(std::find(flags.begin(), flags.end(), "noscript"), flags.end());
}

TEST_F(QueueTest, KeyspaceCommandsTreatQueuesAsKeys) {
  Run({"QCREATE", "q", "VISIBILITY", "100"});
  std::string id = Push("q", "x");
  PopId("q");
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "queue"})[1], (std::vector<std::string>{"q"}));
  EXPECT_EQ(Run({"COPY", "q", "copy"}), 1);
  EXPECT_EQ(Run({"RENAME", "q", "moved"}), "OK");
  // The timers follow the key wherever it went, and the copy has its own.
  AdvanceTime(100);
  EXPECT_EQ(Get("moved", id, "state"), "delayed");
  EXPECT_EQ(Get("copy", id, "state"), "delayed");
  EXPECT_EQ(Run({"MOVE", "moved", "1"}), 1);
  Run({"SELECT", "1"});
  AdvanceTime(1000);
  EXPECT_EQ(Get("moved", id, "state"), "ready");
  EXPECT_EQ(Run({"DEL", "moved"}), 1);
  EXPECT_EQ(Run({"TYPE", "moved"}), "none");
  Run({"SELECT", "0"});
  EXPECT_GT(Run({"MEMORY", "USAGE", "copy"}).integer, 0);
}

TEST_F(QueueTest, DumpAndRestoreKeepEveryState) {
  Run({"QCREATE", "q", "VISIBILITY", "700", "DEADLETTER", "d", "JITTER", "10"});
  std::vector<std::string> ids;
  ids.push_back(Push("q", "a"));
  ids.push_back(Run({"QPUSH", "q", "b", "PRIORITY", "4", "GROUP", "g", "TTL", "9000"}).str);
  ids.push_back(Run({"QPUSH", "q", "c", "GROUP", "g"}).str);
  ids.push_back(Run({"QPUSH", "q", "d", "DELAY", "50", "DEDUP", "x"}).str);
  Run({"QPOP", "CONSUMER", "me", "FROM", "q"});
  Run({"QBIND", "q", "ch"});
  Run({"QNACK", "q", ids[0], "DELAY", "5", "ERROR", "e"});
  RespValue payload = Run({"DUMP", "q"});
  ASSERT_EQ(payload.type, RespValue::Type::kBulk);
  EXPECT_EQ(Run({"RESTORE", "r", "0", payload.str}), "OK");
  auto describe = [&](std::string_view key) {
    RespValue info = Run({"QINFO", key});
    std::string out;
    for (size_t i = 0; i + 1 < info.size(); i += 2) {
      if (!(info[i] == "memory")) out += info[i].str + "=" + info[i + 1].ToString() + " ";
    }
    out += Run({"QPENDING", key}).ToString();
    for (const std::string& id : ids) out += Run({"QGET", key, id}).ToString();
    return out;
  };
  EXPECT_EQ(describe("r"), describe("q"));
  EXPECT_EQ(Run({"QPUSH", "r", "again", "DEDUP", "x"}), ids[3]);
  AdvanceTime(700);
  EXPECT_EQ(Info("r", "inflight"), 0) << "the restored lease expires";
  std::string bad = payload.str;
  bad[5] = static_cast<char>(bad[5] ^ 0x7f);
  EXPECT_TRUE(ErrorStartsWith(Run({"RESTORE", "s", "0", bad}), "ERR"));
}

// ---------------------------------------------------------------------------------------------
// Blocking QPOP

TEST_F(QueueTest, BlockedPopWokenByPush) {
  Session* consumer = NewClient();
  Send(consumer, {"QPOP", "BLOCK", "0", "FROM", "a", "b"});
  EXPECT_EQ(Reply(consumer), "(none)");
  std::string id = Push("b", "job");
  EXPECT_EQ(Reply(consumer), "[[\"b\", \"" + id + "\", \"job\", (integer) 1]]");
  EXPECT_EQ(Info("b", "inflight"), 1);
}

TEST_F(QueueTest, BlockedPopWokenByDelayedMessage) {
  Session* consumer = NewClient();
  Run({"QPUSH", "q", "later", "DELAY", "200"});
  Send(consumer, {"QPOP", "BLOCK", "1000", "FROM", "q"});
  AdvanceTime(199);
  EXPECT_EQ(Reply(consumer), "(none)");
  AdvanceTime(1);
  EXPECT_NE(Reply(consumer).find("later"), std::string::npos);
}

TEST_F(QueueTest, BlockedPopWokenByExpiredLease) {
  Run({"QCREATE", "q", "VISIBILITY", "100", "BACKOFF", "FIXED", "0"});
  std::string id = Push("q", "job");
  PopId("q");
  Session* consumer = NewClient();
  Send(consumer, {"QPOP", "BLOCK", "0", "FROM", "q"});
  AdvanceTime(99);
  EXPECT_EQ(Reply(consumer), "(none)");
  AdvanceTime(1);
  EXPECT_EQ(Reply(consumer), "[[\"q\", \"" + id + "\", \"job\", (integer) 2]]");
}

TEST_F(QueueTest, BlockedPopTimesOutWithNullArray) {
  Session* consumer = NewClient();
  Send(consumer, {"QPOP", "BLOCK", "50", "FROM", "q"});
  AdvanceTime(49);
  EXPECT_EQ(Reply(consumer), "(none)");
  AdvanceTime(1);
  EXPECT_EQ(Reply(consumer), "(nil)");
  Push("q", "late");
  EXPECT_EQ(Reply(consumer), "(none)");
}

TEST_F(QueueTest, BlockedConsumersAreServedInArrivalOrder) {
  Session* first = NewClient();
  Session* second = NewClient();
  Send(first, {"QPOP", "BLOCK", "0", "FROM", "q"});
  Send(second, {"QPOP", "BLOCK", "0", "FROM", "q"});
  Push("q", "one");
  EXPECT_NE(Reply(first).find("one"), std::string::npos);
  EXPECT_EQ(Reply(second), "(none)");
  Push("q", "two");
  EXPECT_NE(Reply(second).find("two"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// MULTI and scripts

TEST_F(QueueTest, InsideMultiBlockingPopDoesNotBlock) {
  Run({"MULTI"});
  Run({"QPOP", "BLOCK", "0", "FROM", "q"});
  Run({"QPUSH", "q", "x"});
  Run({"QPOP", "FROM", "q"});
  RespValue v = Run({"EXEC"});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(v[0].is_null());
  EXPECT_EQ(v[2][0][2], "x");
}

TEST_F(QueueTest, WatchSeesTimerChanges) {
  Run({"QCREATE", "q", "VISIBILITY", "10"});
  Push("q", "x");
  PopId("q");
  Run({"WATCH", "q"});
  AdvanceTime(10);
  Run({"MULTI"});
  Run({"QLEN", "q"});
  EXPECT_TRUE(Run({"EXEC"}).is_null()) << "the lease expiry changed the queue";
}

TEST_F(QueueTest, ScriptsCallQueueCommands) {
  RespValue v = Run({"EVAL",
                     "redis.call('QPUSH', KEYS[1], 'a') "
                     "local popped = redis.call('QPOP', 'BLOCK', '0', 'FROM', KEYS[1]) "
                     "redis.call('QACK', KEYS[1], popped[1][2]) "
                     "return redis.call('QPOP', 'FROM', KEYS[1])",
                     "1", "q"});
  EXPECT_TRUE(v.is_null()) << v.ToString();
  EXPECT_EQ(Info("q", "acked"), 1);
}

// ---------------------------------------------------------------------------------------------
// Hooks, with real Lua

class QueueHookTest : public QueueTest {
 protected:
  void SetUp() override {
    RespValue loaded = Run({"FUNCTION", "LOAD",
                            "#!lua name=hooks\n"
                            "redis.register_function('retry_later', function(keys, args)\n"
                            "  return {'retry', 42}\n"
                            "end)\n"
                            "redis.register_function('by_error', function(keys, args)\n"
                            "  if args[5] == 'fatal' then return {'dead', 'poison'} end\n"
                            "  if args[5] == 'skip' then return {'drop'} end\n"
                            "  if args[5] == 'elsewhere' then return {'move', 'parking'} end\n"
                            "  if args[5] == 'record' then\n"
                            "    redis.call('RPUSH', 'seen', keys[1], args[1], args[2],\n"
                            "               args[3], args[4])\n"
                            "  end\n"
                            "  return nil\n"
                            "end)\n"
                            "redis.register_function('broken', function(keys, args)\n"
                            "  error('oops')\n"
                            "end)\n"
                            "redis.register_function('bad_reply', function(keys, args)\n"
                            "  return {'explode'}\n"
                            "end)\n"
                            "redis.register_function('forever', function(keys, args)\n"
                            "  while true do end\n"
                            "end)\n"
                            "redis.register_function('fan_out', function(keys, args)\n"
                            "  if args[1] == 'keep' then return nil end\n"
                            "  return {'copy1', 'copy2'}\n"
                            "end)\n"
                            "redis.register_function('shortest', function(keys, args)\n"
                            "  if redis.call('QLEN', 'w1') <= redis.call('QLEN', 'w2') then\n"
                            "    return {'w1'}\n"
                            "  end\n"
                            "  return {'w2'}\n"
                            "end)\n"
                            "redis.register_function('to_string', function(keys, args)\n"
                            "  return {'str'}\n"
                            "end)\n"});
    ASSERT_EQ(loaded, "hooks");
  }
  std::string NackedOnce(std::string_view key, std::string_view error) {
    std::string id = Push(key, "job");
    EXPECT_EQ(PopId(key), id);
    EXPECT_EQ(Run({"QNACK", key, id, "ERROR", error}), 1);
    return id;
  }
};

TEST_F(QueueHookTest, RetryHookDecidesTheDelay) {
  Run({"QCREATE", "q", "RETRYHOOK", "retry_later"});
  std::string id = NackedOnce("q", "e");
  EXPECT_EQ(Get("q", id, "available-at"), kT0 + 42);
  // Lease expiries call it too.
  AdvanceTime(42);
  PopId("q");
  AdvanceTime(30000);
  EXPECT_EQ(Get("q", id, "available-at"), Now() + 42);
  EXPECT_EQ(Info("q", "hook-errors"), 0);
}

TEST_F(QueueHookTest, RetryHookSeesTheMessageAndCanDeadLetterDropOrMove) {
  Run({"QCREATE", "q", "RETRYHOOK", "by_error", "DEADLETTER", "dlq", "BACKOFF", "FIXED", "7"});
  std::string id = NackedOnce("q", "record");
  EXPECT_EQ(Run({"LRANGE", "seen", "0", "-1"}),
            (std::vector<std::string>{"q", id, "job", "1", "nack"}));
  EXPECT_EQ(Get("q", id, "available-at"), kT0 + 7) << "nil: the built-in policy";
  NackedOnce("q", "fatal");
  RespValue dead = Run({"QPEEK", "dlq"});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(Get("dlq", dead[0][1].str, "dead-reason"), "poison");
  NackedOnce("q", "skip");
  EXPECT_EQ(Info("q", "dropped"), 1);
  std::string moved = NackedOnce("q", "elsewhere");
  EXPECT_EQ(Run({"QLEN", "parking"}), 1);
  EXPECT_EQ(Info("q", "moved"), 1);
  EXPECT_TRUE(Run({"QGET", "q", moved}).is_null());
  EXPECT_EQ(Info("q", "hook-errors"), 0);
}

TEST_F(QueueHookTest, FailingHooksFallBackAndAreCounted) {
  Run({"QCREATE", "q", "RETRYHOOK", "broken", "BACKOFF", "FIXED", "5"});
  std::string id = NackedOnce("q", "e");
  EXPECT_EQ(Get("q", id, "state"), "delayed") << "the message is kept";
  EXPECT_EQ(Get("q", id, "available-at"), kT0 + 5);
  EXPECT_EQ(Info("q", "hook-errors"), 1);
  Run({"QCONFIG", "q", "SET", "retryhook", "bad_reply"});
  AdvanceTime(5);
  PopId("q");
  Run({"QNACK", "q", id});
  EXPECT_EQ(Info("q", "hook-errors"), 2);
  Run({"QCONFIG", "q", "SET", "retryhook", "no_such_function"});
  AdvanceTime(5);
  PopId("q");
  Run({"QNACK", "q", id});
  EXPECT_EQ(Info("q", "hook-errors"), 3);
  Run({"QCONFIG", "q", "SET", "retryhook", "by_error", "deadletter", "s"});
  Run({"SET", "s", "string"});
  AdvanceTime(5);
  PopId("q");
  Run({"QNACK", "q", id, "ERROR", "elsewhere"});  // moves to "parking": fine
  EXPECT_EQ(Run({"QLEN", "parking"}), 1);
}

TEST_F(QueueHookTest, HookPastTheTimeLimitIsStopped) {
  Run({"CONFIG", "SET", "busy-reply-threshold", "100"});
  Run({"QCREATE", "q", "RETRYHOOK", "forever", "BACKOFF", "FIXED", "100000"});
  std::string id = Push("q", "job");
  PopId("q");
  // The fake clock moves only when told: the hook's instruction-count checks move it.
  auto& e = scripting::Engine::Of(*server_);
  e.SetHookObserverForTesting([this] { server_->AdvanceFakeTime(10); });
  EXPECT_EQ(Run({"QNACK", "q", id}), 1);
  e.SetHookObserverForTesting(nullptr);
  EXPECT_EQ(Info("q", "hook-errors"), 1);
  EXPECT_EQ(Get("q", id, "state"), "delayed");
  EXPECT_EQ(Run({"PING"}), "PONG");
}

TEST_F(QueueHookTest, RouteHookFansOut) {
  Run({"QCREATE", "topic", "ROUTEHOOK", "fan_out"});
  std::string id = Run({"QPUSH", "topic", "event"}).str;
  EXPECT_EQ(Run({"QLEN", "topic"}), 0);
  EXPECT_EQ(Run({"QLEN", "copy1"}), 1);
  EXPECT_EQ(Run({"QLEN", "copy2"}), 1);
  EXPECT_EQ(Run({"QPEEK", "copy1"})[0][1], id);
  Run({"QPUSH", "topic", "keep"});
  EXPECT_EQ(Run({"QLEN", "topic"}), 1) << "nil keeps the message here";
}

TEST_F(QueueHookTest, RouteHookBalancesWithRedisCall) {
  Run({"QCREATE", "in", "ROUTEHOOK", "shortest"});
  for (int i = 0; i < 6; ++i) Run({"QPUSH", "in", "m" + std::to_string(i)});
  EXPECT_EQ(Run({"QLEN", "w1"}), 3);
  EXPECT_EQ(Run({"QLEN", "w2"}), 3);
}

TEST_F(QueueHookTest, RouteToAWrongTypeKeyKeepsTheMessage) {
  Run({"SET", "str", "x"});
  Run({"QCREATE", "q", "ROUTEHOOK", "to_string"});
  Run({"QPUSH", "q", "m"});
  EXPECT_EQ(Run({"QLEN", "q"}), 1);
  EXPECT_EQ(Info("q", "hook-errors"), 1);
}

TEST_F(QueueHookTest, HooksRunForQueueCommandsInsideFunctions) {
  Run({"FUNCTION", "LOAD",
       "#!lua name=caller\n"
       "redis.register_function('nack_all', function(keys, args)\n"
       "  return redis.call('QNACK', keys[1], args[1], 'ERROR', 'record')\n"
       "end)\n"});
  Run({"QCREATE", "q", "RETRYHOOK", "by_error"});
  std::string id = Push("q", "job");
  PopId("q");
  EXPECT_EQ(Run({"FCALL", "nack_all", "1", "q", id}), 1);
  EXPECT_EQ(Run({"LLEN", "seen"}), 5);
  EXPECT_EQ(Get("q", id, "state"), "delayed");
}

}  // namespace
}  // namespace sluice::testing
