// Stream commands through the server: IDs from the fake clock, ranges, trimming, consumer groups
// with idle times and claiming, introspection, DUMP/RESTORE and WATCH.
#include <string>
#include <vector>

#include "server/util/crc64.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class StreamFamilyTest : public ServerTest {
 protected:
  std::string Ms(int64_t offset = 0) { return std::to_string(kStartTimeMs + offset); }
  // Adds entries 1-0 .. n-0, each with field f and value v<i>.
  void Fill(std::string_view key, int n) {
    for (int i = 1; i <= n; ++i) {
      std::string id = std::to_string(i) + "-0";
      std::string value = "v" + std::to_string(i);
      ASSERT_EQ(Run({"XADD", key, id, "f", value}), id);
    }
  }
  // The reply of a map-shaped reply (RESP2 flat array) as field -> value text.
  static std::string Field(const RespValue& map, std::string_view name) {
    for (size_t i = 0; i + 1 < map.size(); i += 2) {
      if (map[i] == name) return map[i + 1].ToString();
    }
    return "(missing)";
  }
  static RespValue Get(const RespValue& map, std::string_view name) {
    for (size_t i = 0; i + 1 < map.size(); i += 2) {
      if (map[i] == name) return map[i + 1];
    }
    return {};
  }
  // XINFO CONSUMERS' idle and inactive times of one consumer, as "idle/inactive".
  std::string Times(std::string_view key, std::string_view consumer) {
    for (const RespValue& c : Run({"XINFO", "CONSUMERS", key, "g"}).elements) {
      if (Get(c, "name") == consumer) {
        return std::to_string(Get(c, "idle").integer) + "/" +
               std::to_string(Get(c, "inactive").integer);
      }
    }
    return "(no such consumer)";
  }
};

TEST_F(StreamFamilyTest, AutoIdsFollowTheClock) {
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), Ms() + "-0");
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), Ms() + "-1");
  AdvanceTime(5);
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), Ms(5) + "-0");
  // An explicit ID ahead of the clock: later "*" IDs continue from it rather than go back.
  std::string ahead = Ms(1000) + "-7";
  EXPECT_EQ(Run({"XADD", "s", ahead, "f", "v"}), ahead);
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), Ms(1000) + "-8");
  EXPECT_EQ(Run({"XADD", "s", Ms(1000) + "-*", "f", "v"}), Ms(1000) + "-9");
  EXPECT_EQ(Run({"XADD", "s", Ms(2000) + "-*", "f", "v"}), Ms(2000) + "-0");
  EXPECT_TRUE(ErrorStartsWith(Run({"XADD", "s", Ms(1500) + "-*", "f", "v"}),
                              "ERR The ID specified in XADD is equal or smaller"));
  EXPECT_EQ(Run({"XLEN", "s"}), 7);
}

TEST_F(StreamFamilyTest, TypeEncodingAndWrongType) {
  Run({"XADD", "s", "1-0", "f", "v"});
  EXPECT_EQ(Run({"TYPE", "s"}), "stream");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "stream");
  EXPECT_TRUE(ErrorStartsWith(Run({"LPUSH", "s", "x"}), "WRONGTYPE"));
  Run({"SET", "str", "x"});
  EXPECT_TRUE(ErrorStartsWith(Run({"XADD", "str", "*", "f", "v"}), "WRONGTYPE"));
  EXPECT_TRUE(ErrorStartsWith(Run({"XRANGE", "str", "-", "+"}), "WRONGTYPE"));
  EXPECT_TRUE(ErrorStartsWith(Run({"XREAD", "STREAMS", "str", "0"}), "WRONGTYPE"));
}

TEST_F(StreamFamilyTest, RangesWithExclusiveBoundsAndCount) {
  Fill("s", 5);
  EXPECT_EQ(Run({"XRANGE", "s", "(2-0", "4"}).ToString(),
            R"([["3-0", ["f", "v3"]], ["4-0", ["f", "v4"]]])");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "-", "COUNT", "2"}).ToString(),
            R"([["5-0", ["f", "v5"]], ["4-0", ["f", "v4"]]])");
  EXPECT_EQ(Run({"XREVRANGE", "s", "(3-0", "(1"}).ToString(), R"([["2-0", ["f", "v2"]]])");
  // A bare end "3" means 3-<max>, so excluding it still includes 3-0 (as in Redis).
  EXPECT_EQ(Run({"XREVRANGE", "s", "(3", "(1"}).size(), 2u);
  EXPECT_TRUE(Run({"XRANGE", "s", "-", "+", "COUNT", "0"}).is_null());
  EXPECT_EQ(Run({"XRANGE", "s", "4", "2"}).size(), 0u);
  EXPECT_TRUE(ErrorStartsWith(Run({"XRANGE", "s", "(-", "+"}), "ERR Invalid stream ID"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"XRANGE", "s", "-", "(0-0"}), "ERR invalid end ID for the interval"));
}

TEST_F(StreamFamilyTest, RangesAcrossManyNodes) {
  // Small nodes so ranges, deletions and trims cross node boundaries.
  std::string error;
  ASSERT_TRUE(config_.Set("stream-node-max-entries", "7", false, &error)) << error;
  for (int i = 1; i <= 200; ++i) Run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  EXPECT_EQ(Run({"XRANGE", "s", "95", "105"}).size(), 11u);
  EXPECT_EQ(Run({"XREVRANGE", "s", "105", "95", "COUNT", "3"})[0][0], "105-0");
  for (int i = 50; i <= 150; ++i) Run({"XDEL", "s", std::to_string(i) + "-0"});
  RespValue r = Run({"XRANGE", "s", "45", "155"});
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r[4][0], "49-0");
  EXPECT_EQ(r[5][0], "151-0");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "20"}), 79);
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "1"})[0][0], "181-0");
  RespValue info = Run({"XINFO", "STREAM", "s"});
  EXPECT_EQ(Field(info, "length"), "(integer) 20");
  EXPECT_EQ(Field(info, "recorded-first-entry-id"), "\"181-0\"");
  EXPECT_EQ(Field(info, "max-deleted-entry-id"), "\"150-0\"");
  EXPECT_EQ(Field(info, "entries-added"), "(integer) 200");
}

TEST_F(StreamFamilyTest, PendingIdleTimesAndDeliveryCounts) {
  Fill("s", 3);
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "OK");
  EXPECT_EQ(
      Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"})[0][1].size(),
      2u);
  AdvanceTime(100);
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10"}).ToString(),
            R"([["1-0", "alice", (integer) 100, (integer) 1], )"
            R"(["2-0", "alice", (integer) 100, (integer) 1]])");
  // Reading the consumer's own history is a new delivery of each entry.
  Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0"});
  AdvanceTime(30);
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10"}).ToString(),
            R"([["1-0", "alice", (integer) 30, (integer) 2], )"
            R"(["2-0", "alice", (integer) 130, (integer) 1]])");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "IDLE", "100", "-", "+", "10"}).size(), 1u);
  EXPECT_EQ(Run({"XPENDING", "s", "g"}).ToString(),
            R"([(integer) 2, "1-0", "2-0", [["alice", "2"]]])");
  RespValue consumers = Run({"XINFO", "CONSUMERS", "s", "g"});
  ASSERT_EQ(consumers.size(), 1u);
  EXPECT_EQ(Field(consumers[0], "idle"), "(integer) 30");
  EXPECT_EQ(Field(consumers[0], "pending"), "(integer) 2");
  // XPENDING does not count as the consumer being seen.
  AdvanceTime(10);
  Run({"XPENDING", "s", "g", "-", "+", "10", "alice"});
  EXPECT_EQ(Field(Run({"XINFO", "CONSUMERS", "s", "g"})[0], "idle"), "(integer) 40");
  EXPECT_EQ(Run({"XACK", "s", "g", "1-0", "2-0", "3-0"}), 2);
  EXPECT_EQ(Run({"XPENDING", "s", "g"}).ToString(), "[(integer) 0, (nil), (nil), (nil)]");
}

TEST_F(StreamFamilyTest, ClaimRespectsIdleTimeAndCounters) {
  Fill("s", 3);
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  AdvanceTime(40);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "50", "1-0"}).size(), 0u);
  // Nothing was claimed, so bob was not created.
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "g"}).size(), 1u);
  AdvanceTime(20);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "50", "1-0"}).ToString(), R"([["1-0", ["f", "v1"]]])");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "2-0", "JUSTID"}).ToString(), R"(["2-0"])");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "3-0", "RETRYCOUNT", "9", "IDLE", "500"}).size(),
            1u);
  EXPECT_EQ(
      Run({"XPENDING", "s", "g", "-", "+", "10"}).ToString(),
      R"([["1-0", "bob", (integer) 0, (integer) 2], ["2-0", "bob", (integer) 0, (integer) 1], )"
      R"(["3-0", "bob", (integer) 500, (integer) 9]])");
  // TIME sets the delivery time itself; a time in the future means now.
  Run({"XCLAIM", "s", "g", "bob", "0", "1-0", "TIME", std::to_string(kStartTimeMs + 10), "JUSTID"});
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "1-0", "1"})[0][2], 50);
  Run({"XCLAIM", "s", "g", "bob", "0", "1-0", "TIME", std::to_string(kStartTimeMs + 99999),
       "JUSTID"});
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "1-0", "1"})[0][2], 0);
  // FORCE creates a pending record for an entry nobody read; LASTID moves the group forward.
  Run({"XADD", "s", "4-0", "f", "v4"});
  EXPECT_EQ(
      Run({"XCLAIM", "s", "g", "carol", "0", "4-0", "FORCE", "JUSTID", "LASTID", "4-0"}).ToString(),
      R"(["4-0"])");
  EXPECT_EQ(Field(Run({"XINFO", "GROUPS", "s"})[0], "last-delivered-id"), "\"4-0\"");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "4-0", "4-0", "1"})[0][3], 1);
  // Claiming an entry deleted from the stream drops its pending record.
  Run({"XDEL", "s", "2-0"});
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "carol", "0", "2-0"}).size(), 0u);
  EXPECT_EQ(Run({"XPENDING", "s", "g"})[0], 3);
}

TEST_F(StreamFamilyTest, AutoClaimCursorAndDeletedEntries) {
  Fill("s", 6);
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  AdvanceTime(100);
  Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "3"});  // 4-0 fresh
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "bob", "50", "0", "COUNT", "2", "JUSTID"}).ToString(),
            R"(["3-0", ["1-0", "2-0"], []])");
  // 4-0 is not idle enough and is skipped.
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "bob", "50", "3-0", "COUNT", "2", "JUSTID"}).ToString(),
            R"(["6-0", ["3-0", "5-0"], []])");
  Run({"XDEL", "s", "6-0"});
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "bob", "50", "6-0"}).ToString(),
            R"(["0-0", [], ["6-0"]])");
  // Deleted entries met on the way take their share of COUNT.
  Run({"XDEL", "s", "1-0", "2-0"});
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2", "JUSTID"}).ToString(),
            R"(["3-0", [], ["1-0", "2-0"]])");
  Run({"XADD", "s", "7-0", "f", "v7"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  // JUSTID leaves the delivery counter alone; a full claim increments it.
  EXPECT_EQ(Run({"XPENDING", "s", "g", "3-0", "3-0", "1"})[0][3], 1);
  AdvanceTime(100);
  Run({"XAUTOCLAIM", "s", "g", "carol", "0", "3-0", "COUNT", "1"});
  EXPECT_EQ(Run({"XPENDING", "s", "g", "3-0", "3-0", "1"}).ToString(),
            R"([["3-0", "carol", (integer) 0, (integer) 2]])");
}

// Redis 7.2's split: `idle` restarts with every attempted read or claim, `inactive` only with one
// that delivered or claimed something (-1 until then).
TEST_F(StreamFamilyTest, ConsumerIdleAndInactiveTimes) {
  Fill("s", 2);
  Run({"XGROUP", "CREATE", "s", "g", "$"});
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "alice"}), 1);
  AdvanceTime(50);
  EXPECT_EQ(Times("s", "alice"), "50/-1");
  // Nothing new to read: an attempt all the same.
  EXPECT_TRUE(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"}).is_null());
  EXPECT_EQ(Times("s", "alice"), "0/-1");
  AdvanceTime(20);
  Run({"XADD", "s", "3-0", "f", "v3"});
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"})[0][1].size(), 1u);
  AdvanceTime(30);
  EXPECT_EQ(Times("s", "alice"), "30/30");
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  EXPECT_EQ(Times("s", "alice"), "0/30");
  // Re-reading its own history and NOACK reads are attempts only.
  AdvanceTime(10);
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"})[0][1].size(), 1u);
  EXPECT_EQ(Times("s", "alice"), "0/40");
  Run({"XADD", "s", "4-0", "f", "v4"});
  AdvanceTime(5);
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "s", ">"})[0][1].size(),
            1u);
  EXPECT_EQ(Times("s", "alice"), "0/45");
  // A claim that takes nothing is an attempt; one that takes something a success.
  AdvanceTime(5);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "alice", "100000", "3-0"}).size(), 0u);
  EXPECT_EQ(Times("s", "alice"), "0/50");
  AdvanceTime(5);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "alice", "0", "3-0", "JUSTID"}).size(), 1u);
  EXPECT_EQ(Times("s", "alice"), "0/0");
  // A consumer is still created only by a claim that takes something (as in Redis 7.0).
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "100000", "3-0"}).size(), 0u);
  EXPECT_EQ(Times("s", "bob"), "(no such consumer)");
  AdvanceTime(7);
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "bob", "0", "0", "JUSTID"})[1].size(), 1u);
  EXPECT_EQ(Times("s", "bob"), "0/0");
  EXPECT_EQ(Times("s", "alice"), "7/7");
  AdvanceTime(3);
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "alice", "100000", "0"})[1].size(), 0u);
  EXPECT_EQ(Times("s", "alice"), "0/10");
  EXPECT_EQ(Times("s", "bob"), "3/3");
}

TEST_F(StreamFamilyTest, BlockedConsumerBecomesActiveWhenServed) {
  Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "alice"});
  AdvanceTime(10);
  Session* reader = NewClient();
  Send(reader, {"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"});
  EXPECT_TRUE(TakeReplies(reader).empty());
  AdvanceTime(25);
  EXPECT_EQ(Times("s", "alice"), "25/-1");
  Run({"XADD", "s", "1-0", "f", "v"});
  ASSERT_EQ(TakeReplies(reader).size(), 1u);
  EXPECT_EQ(Times("s", "alice"), "0/0");
}

TEST_F(StreamFamilyTest, XReadPlusReadsTheLastEntry) {
  Fill("s", 3);
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "+"}).ToString(), R"([["s", [["3-0", ["f", "v3"]]]]])");
  EXPECT_EQ(Run({"XREAD", "COUNT", "10", "STREAMS", "s", "+"}).ToString(),
            R"([["s", [["3-0", ["f", "v3"]]]]])");
  // The last live entry, not the last ID ever added.
  Run({"XDEL", "s", "3-0"});
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "+"}).ToString(), R"([["s", [["2-0", ["f", "v2"]]]]])");
  // Mixed with other IDs; a missing or empty stream contributes nothing.
  Fill("t", 2);
  Run({"XADD", "e", "1-0", "f", "v"});
  Run({"XTRIM", "e", "MAXLEN", "0"});
  EXPECT_EQ(
      Run({"XREAD", "STREAMS", "missing", "e", "t", "s", "+", "+", "0", "+"}).ToString(),
      R"([["t", [["1-0", ["f", "v1"]], ["2-0", ["f", "v2"]]]], ["s", [["2-0", ["f", "v2"]]]]])");
  EXPECT_TRUE(Run({"XREAD", "STREAMS", "missing", "e", "+", "+"}).is_null());
  Run({"XADD", "one", "0-1", "f", "v"});  // the smallest possible entry ID
  EXPECT_EQ(Run({"XREAD", "STREAMS", "one", "+"}).ToString(),
            R"([["one", [["0-1", ["f", "v"]]]]])");
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  EXPECT_TRUE(ErrorStartsWith(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "+"}),
                              "ERR The + ID is meaningless in the context of XREADGROUP"));
  EXPECT_TRUE(ErrorStartsWith(Run({"XREAD", "STREAMS", "s", "-"}), "ERR Invalid stream ID"));
}

TEST_F(StreamFamilyTest, EntriesReadAndLag) {
  Fill("s", 4);
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  RespValue g = Run({"XINFO", "GROUPS", "s"})[0];
  EXPECT_EQ(Field(g, "entries-read"), "(nil)");
  EXPECT_EQ(Field(g, "lag"), "(integer) 4");
  Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"});
  g = Run({"XINFO", "GROUPS", "s"})[0];
  EXPECT_EQ(Field(g, "entries-read"), "(integer) 1");
  EXPECT_EQ(Field(g, "lag"), "(integer) 3");
  Run({"XDEL", "s", "3-0"});  // a tombstone ahead of the group: the lag cannot be told
  EXPECT_EQ(Field(Run({"XINFO", "GROUPS", "s"})[0], "lag"), "(nil)");
  Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  g = Run({"XINFO", "GROUPS", "s"})[0];
  EXPECT_EQ(Field(g, "entries-read"), "(integer) 4");
  EXPECT_EQ(Field(g, "lag"), "(integer) 0");
}

TEST_F(StreamFamilyTest, InfoStreamFull) {
  Fill("s", 3);
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"});
  AdvanceTime(7);
  RespValue full = Run({"XINFO", "STREAM", "s", "FULL", "COUNT", "1"});
  EXPECT_EQ(full.size(), 18u);
  EXPECT_EQ(Field(full, "entries"), R"([["1-0", ["f", "v1"]]])");
  RespValue group = full[17][0];
  EXPECT_EQ(Field(group, "pel-count"), "(integer) 2");
  EXPECT_EQ(Field(group, "pending"),
            "[[\"1-0\", \"c\", (integer) " + std::to_string(kStartTimeMs) + ", (integer) 1]]");
  EXPECT_EQ(Field(group, "consumers"),
            "[[\"name\", \"c\", \"seen-time\", (integer) " + std::to_string(kStartTimeMs) +
                ", \"active-time\", (integer) " + std::to_string(kStartTimeMs) +
                ", \"pel-count\", (integer) 2, \"pending\", [[\"1-0\", (integer) " +
                std::to_string(kStartTimeMs) + ", (integer) 1]]]]");
  // A consumer that never read anything has no active time.
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "idler"});
  RespValue consumers = Get(Run({"XINFO", "STREAM", "s", "FULL"})[17][0], "consumers");
  ASSERT_EQ(consumers.size(), 2u);
  EXPECT_EQ(Field(consumers[1], "name"), "\"idler\"");
  EXPECT_EQ(Field(consumers[1], "active-time"), "(integer) -1");
  RespValue brief = Run({"XINFO", "STREAM", "s"});
  EXPECT_EQ(brief.size(), 20u);
  EXPECT_EQ(Field(brief, "first-entry"), R"(["1-0", ["f", "v1"]])");
  EXPECT_EQ(Field(brief, "last-entry"), R"(["3-0", ["f", "v3"]])");
  EXPECT_EQ(Field(brief, "groups"), "(integer) 1");
  EXPECT_EQ(Field(brief, "radix-tree-keys"), "(integer) 1");
}

TEST_F(StreamFamilyTest, DumpRestoreKeepsGroups) {
  Fill("s", 3);
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"});
  Run({"XDEL", "s", "3-0"});
  RespValue payload = Run({"DUMP", "s"});
  ASSERT_EQ(payload.type, RespValue::Type::kBulk);
  EXPECT_EQ(Run({"RESTORE", "copy", "0", payload.str}), "OK");
  EXPECT_EQ(Run({"TYPE", "copy"}), "stream");
  EXPECT_EQ(Run({"XRANGE", "copy", "-", "+"}).ToString(),
            Run({"XRANGE", "s", "-", "+"}).ToString());
  EXPECT_EQ(Run({"XINFO", "GROUPS", "copy"}).ToString(), Run({"XINFO", "GROUPS", "s"}).ToString());
  EXPECT_EQ(Run({"XPENDING", "copy", "g", "-", "+", "10"}).ToString(),
            Run({"XPENDING", "s", "g", "-", "+", "10"}).ToString());
  RespValue a = Run({"XINFO", "STREAM", "s"});
  RespValue b = Run({"XINFO", "STREAM", "copy"});
  for (std::string_view f : {"length", "last-generated-id", "max-deleted-entry-id", "entries-added",
                             "recorded-first-entry-id"}) {
    EXPECT_EQ(Field(a, f), Field(b, f)) << f;
  }
  // Consumers keep their seen and active times (a never-active one included).
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "idler"});
  AdvanceTime(60);
  Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});  // an attempt, nothing new
  AdvanceTime(15);
  payload = Run({"DUMP", "s"});
  EXPECT_EQ(Run({"RESTORE", "copy", "0", payload.str, "REPLACE"}), "OK");
  EXPECT_EQ(Times("copy", "c"), "15/75");
  EXPECT_EQ(Times("copy", "idler"), "75/-1");
  // A payload from before active times were kept (the body ends after the groups) loads with
  // every consumer last active when it was last seen.
  std::string old = payload.str.substr(0, payload.str.size() - 10);
  old.resize(old.size() - 2 * 8);
  old += payload.str.substr(payload.str.size() - 10, 2);  // format version
  uint64_t crc = Crc64(0, old.data(), old.size());
  for (int i = 0; i < 8; ++i) old.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  EXPECT_EQ(Run({"RESTORE", "old", "0", old}), "OK");
  EXPECT_EQ(Times("old", "c"), "15/15");
  EXPECT_EQ(Times("old", "idler"), "75/75");
  // COPY is deep: reading on the copy leaves the original's group alone.
  EXPECT_EQ(Run({"COPY", "s", "s2"}), 1);
  Run({"XACK", "s2", "g", "1-0"});
  EXPECT_EQ(Run({"XPENDING", "s", "g"})[0], 2);
  EXPECT_EQ(Run({"XPENDING", "s2", "g"})[0], 1);
}

TEST_F(StreamFamilyTest, GroupCommandsLeaveWatchAlone) {
  Fill("s", 2);
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Session* other = NewClient();
  auto survives = [&](std::initializer_list<std::string_view> cmd) {
    EXPECT_EQ(Run({"WATCH", "s"}), "OK");
    Run(other, cmd);
    Run({"MULTI"});
    Run({"PING"});
    return !Run({"EXEC"}).is_null();
  };
  EXPECT_TRUE(survives({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}));
  EXPECT_TRUE(survives({"XACK", "s", "g", "1-0"}));
  EXPECT_TRUE(survives({"XCLAIM", "s", "g", "d", "0", "2-0"}));
  EXPECT_TRUE(survives({"XGROUP", "CREATECONSUMER", "s", "g", "e"}));
  EXPECT_TRUE(survives({"XSETID", "s", "9-0"}));
  EXPECT_TRUE(survives({"XDEL", "s", "7-0"}));  // nothing deleted
  EXPECT_FALSE(survives({"XDEL", "s", "1-0"}));
  EXPECT_FALSE(survives({"XADD", "s", "*", "f", "v"}));
}

TEST_F(StreamFamilyTest, CommandKeysFollowStreams) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "streams", "c", "STREAMS", "x", ">"}),
            (std::vector<std::string>{"x"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "XADD", "k", "*", "f", "v"}),
            (std::vector<std::string>{"k"}));
}

}  // namespace
}  // namespace sluice::testing
