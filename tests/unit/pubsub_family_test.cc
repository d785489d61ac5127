#include <algorithm>
#include <string>
#include <vector>

#include "server/pubsub/pubsub.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class PubSubFamilyTest : public ServerTest {
 protected:
  // Every reply and message the session has, rendered like redis-cli (pushes as >[...]).
  std::vector<std::string> Drain(Session* s) {
    std::vector<std::string> out;
    for (const RespValue& v : TakeReplies(s)) out.push_back(v.ToString());
    return out;
  }
  std::vector<std::string> Call(Session* s, std::initializer_list<std::string_view> args) {
    Send(s, args);
    return Drain(s);
  }
  void SetConfig(std::string_view name, std::string_view value) {
    RespValue r = Run({"CONFIG", "SET", name, value});
    ASSERT_EQ(r, "OK") << r;
  }
  PubSub& pubsub() { return server_->pubsub(); }
};

using Lines = std::vector<std::string>;

// --- SUBSCRIBE / UNSUBSCRIBE -------------------------------------------------------------------

TEST_F(PubSubFamilyTest, SubscribeConfirmsEachChannelWithRunningCount) {
  EXPECT_EQ(Call(client(), {"SUBSCRIBE", "a", "b", "a"}),
            (Lines{R"(["subscribe", "a", (integer) 1])", R"(["subscribe", "b", (integer) 2])",
                   R"(["subscribe", "a", (integer) 2])"}));
  EXPECT_EQ(client()->subscription_count, 2u);
  EXPECT_EQ(Call(client(), {"PSUBSCRIBE", "a*"}), (Lines{R"(["psubscribe", "a*", (integer) 3])"}));
  // Shard subscriptions are counted on their own.
  EXPECT_EQ(Call(client(), {"SSUBSCRIBE", "s"}), (Lines{R"(["ssubscribe", "s", (integer) 1])"}));
  EXPECT_EQ(client()->subscription_count, 4u);
}

TEST_F(PubSubFamilyTest, UnsubscribeWithoutArgumentsLeavesEveryChannelOldestFirst) {
  Call(client(), {"SUBSCRIBE", "c1", "c2", "c3"});
  Call(client(), {"PSUBSCRIBE", "p*"});
  EXPECT_EQ(Call(client(), {"UNSUBSCRIBE"}),
            (Lines{R"(["unsubscribe", "c1", (integer) 3])", R"(["unsubscribe", "c2", (integer) 2])",
                   R"(["unsubscribe", "c3", (integer) 1])"}));
  // Nothing left to remove: one reply with a nil channel, still counting the pattern.
  EXPECT_EQ(Call(client(), {"UNSUBSCRIBE"}), (Lines{R"(["unsubscribe", (nil), (integer) 1])"}));
  EXPECT_EQ(Call(client(), {"PUNSUBSCRIBE"}), (Lines{R"(["punsubscribe", "p*", (integer) 0])"}));
  EXPECT_EQ(Call(client(), {"PUNSUBSCRIBE"}), (Lines{R"(["punsubscribe", (nil), (integer) 0])"}));
  EXPECT_EQ(Call(client(), {"SUNSUBSCRIBE"}), (Lines{R"(["sunsubscribe", (nil), (integer) 0])"}));
  EXPECT_EQ(client()->subscription_count, 0u);
}

TEST_F(PubSubFamilyTest, UnsubscribeFromChannelsNeverSubscribedStillConfirms) {
  EXPECT_EQ(
      Call(client(), {"UNSUBSCRIBE", "x", "y"}),
      (Lines{R"(["unsubscribe", "x", (integer) 0])", R"(["unsubscribe", "y", (integer) 0])"}));
  // And the client is not in subscriber mode afterwards.
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
}

TEST_F(PubSubFamilyTest, Resp3ConfirmationsArePushes) {
  Run({"HELLO", "3"});
  EXPECT_EQ(Call(client(), {"SUBSCRIBE", "a"}), (Lines{R"(>["subscribe", "a", (integer) 1])"}));
  EXPECT_EQ(Call(client(), {"UNSUBSCRIBE"}), (Lines{R"(>["unsubscribe", "a", (integer) 0])"}));
  EXPECT_EQ(Call(client(), {"UNSUBSCRIBE"}), (Lines{R"(>["unsubscribe", (nil), (integer) 0])"}));
  // The nil is RESP3's null, not a RESP2 null bulk.
  Send(client(), {"UNSUBSCRIBE"});
  server_->RunPendingWork();
  EXPECT_EQ(client()->output(), ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
}

TEST_F(PubSubFamilyTest, ArityErrors) {
  EXPECT_TRUE(
      ErrorStartsWith(Run({"SUBSCRIBE"}), "ERR wrong number of arguments for 'subscribe' command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"PSUBSCRIBE"}),
                              "ERR wrong number of arguments for 'psubscribe' command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SSUBSCRIBE"}),
                              "ERR wrong number of arguments for 'ssubscribe' command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"PUBLISH", "a"}),
                              "ERR wrong number of arguments for 'publish' command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SPUBLISH", "a", "b", "c"}),
                              "ERR wrong number of arguments for 'spublish' command"));
}

// --- Subscriber mode ---------------------------------------------------------------------------

TEST_F(PubSubFamilyTest, Resp2SubscriberOnlyRunsSubscriptionCommands) {
  Call(client(), {"SUBSCRIBE", "a"});
  EXPECT_EQ(Run({"GET", "k"}).str,
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
            "are allowed in this context");
  EXPECT_EQ(Run({"PING"}).ToString(), R"(["pong", ""])");
  EXPECT_EQ(Run({"PING", "hi"}).ToString(), R"(["pong", "hi"])");
  Call(client(), {"UNSUBSCRIBE", "a"});
  EXPECT_EQ(Run({"PING"}), "PONG");
  EXPECT_TRUE(Run({"GET", "k"}).is_null());
}

TEST_F(PubSubFamilyTest, ShardSubscriptionAloneKeepsSubscriberMode) {
  Call(client(), {"SUBSCRIBE", "a"});
  Call(client(), {"SSUBSCRIBE", "s"});
  Call(client(), {"UNSUBSCRIBE"});
  EXPECT_TRUE(ErrorStartsWith(Run({"GET", "k"}), "ERR Can't execute 'get'"));
  Call(client(), {"SUNSUBSCRIBE"});
  EXPECT_TRUE(Run({"GET", "k"}).is_null());
}

TEST_F(PubSubFamilyTest, Resp3SubscriberRunsAnyCommand) {
  Run({"HELLO", "3"});
  Call(client(), {"SUBSCRIBE", "a"});
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"PING"}), "PONG");
}

TEST_F(PubSubFamilyTest, ResetDropsEverySubscriptionSilently) {
  Call(client(), {"SUBSCRIBE", "a", "b"});
  Call(client(), {"PSUBSCRIBE", "x*"});
  Call(client(), {"SSUBSCRIBE", "s"});
  EXPECT_EQ(Call(client(), {"RESET"}), (Lines{"+RESET"}));
  EXPECT_EQ(client()->subscription_count, 0u);
  EXPECT_EQ(pubsub().channel_count(), 0u);
  EXPECT_EQ(pubsub().pattern_count(), 0u);
  EXPECT_EQ(pubsub().shard_channel_count(), 0u);
  Session* publisher = NewClient();
  EXPECT_EQ(Run(publisher, {"PUBLISH", "a", "m"}), 0);
  EXPECT_TRUE(Drain(client()).empty());
}

// INFO stats counts channels, patterns and shard channels with at least one subscriber.
TEST_F(PubSubFamilyTest, InfoCountsSubscribedChannelsAndPatterns) {
  auto field = [&](const std::string& name) {
    std::string info = Run({"INFO", "stats"}).str;
    size_t at = info.find("\r\n" + name + ":");
    EXPECT_NE(at, std::string::npos) << name;
    return at == std::string::npos ? std::string() : info.substr(at + name.size() + 3, 1);
  };
  Session* a = NewClient();
  Session* b = NewClient();
  Call(a, {"SUBSCRIBE", "x", "y"});
  Call(b, {"SUBSCRIBE", "y"});
  Call(b, {"PSUBSCRIBE", "h*"});
  Call(b, {"SSUBSCRIBE", "s"});
  EXPECT_EQ(field("pubsub_channels"), "2");
  EXPECT_EQ(field("pubsub_patterns"), "1");
  EXPECT_EQ(field("pubsubshard_channels"), "1");
  Call(a, {"UNSUBSCRIBE"});
  EXPECT_EQ(field("pubsub_channels"), "1");
}

TEST_F(PubSubFamilyTest, DisconnectDropsSubscriptions) {
  Session* sub = NewClient();
  Call(sub, {"SUBSCRIBE", "a"});
  Call(sub, {"PSUBSCRIBE", "*"});
  EXPECT_EQ(Run({"PUBLISH", "a", "m"}), 2);
  sub->OnClosed();  // what the connection does when the peer goes away
  server_->RunPendingWork();
  EXPECT_EQ(Run({"PUBLISH", "a", "m"}), 0);
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), 0);
}

TEST_F(PubSubFamilyTest, ClientReplyOffDoesNotSilencePushes) {
  Run({"HELLO", "3"});
  Send(client(), {"CLIENT", "REPLY", "OFF"});
  EXPECT_EQ(Call(client(), {"SUBSCRIBE", "q"}), (Lines{R"(>["subscribe", "q", (integer) 1])"}));
  // The message to itself is delivered; PUBLISH's own reply is not.
  EXPECT_EQ(Call(client(), {"PUBLISH", "q", "x"}), (Lines{R"(>["message", "q", "x"])"}));
  EXPECT_TRUE(Call(client(), {"GET", "k"}).empty());
  Session* other = NewClient();
  Run(other, {"PUBLISH", "q", "y"});
  EXPECT_EQ(Drain(client()), (Lines{R"(>["message", "q", "y"])"}));
}

// --- PUBLISH -----------------------------------------------------------------------------------

TEST_F(PubSubFamilyTest, PublishReachesEverySubscriberInItsProtocol) {
  Session* r2 = NewClient();
  Session* r3 = NewClient();
  Session* other = NewClient();
  Run(r3, {"HELLO", "3"});
  Call(r2, {"SUBSCRIBE", "news"});
  Call(r3, {"SUBSCRIBE", "news"});
  Call(other, {"SUBSCRIBE", "sports"});
  EXPECT_EQ(Run({"PUBLISH", "news", "hello"}), 2);
  EXPECT_EQ(Drain(r2), (Lines{R"(["message", "news", "hello"])"}));
  EXPECT_EQ(Drain(r3), (Lines{R"(>["message", "news", "hello"])"}));
  EXPECT_TRUE(Drain(other).empty());
  EXPECT_EQ(Run({"PUBLISH", "nobody", "x"}), 0);
}

TEST_F(PubSubFamilyTest, FramesAreExactProtocolBytes) {
  Session* r2 = NewClient();
  Session* r3 = NewClient();
  Run(r3, {"HELLO", "3"});
  Call(r2, {"PSUBSCRIBE", "n*"});
  Call(r3, {"SUBSCRIBE", "news"});
  Run({"PUBLISH", "news", std::string_view("a\0b", 3)});
  server_->RunPendingWork();
  EXPECT_EQ(r2->output(), "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$3\r\na" +
                              std::string(1, '\0') + "b\r\n");
  EXPECT_EQ(r3->output(),
            ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$3\r\na" + std::string(1, '\0') + "b\r\n");
}

TEST_F(PubSubFamilyTest, ChannelAndMatchingPatternsEachDeliverACopy) {
  Session* sub = NewClient();
  Call(sub, {"SUBSCRIBE", "user.1"});
  Call(sub, {"PSUBSCRIBE", "user.*"});
  EXPECT_EQ(Run({"PUBLISH", "user.1", "hi"}), 2);
  EXPECT_EQ(Drain(sub),
            (Lines{R"(["message", "user.1", "hi"])", R"(["pmessage", "user.*", "user.1", "hi"])"}));
  EXPECT_EQ(Run({"PUBLISH", "user.2", "yo"}), 1);
  EXPECT_EQ(Drain(sub), (Lines{R"(["pmessage", "user.*", "user.2", "yo"])"}));
}

TEST_F(PubSubFamilyTest, PatternsFollowRedisGlobRules) {
  Session* sub = NewClient();
  Call(sub, {"PSUBSCRIBE", "h?llo", "a[bc]d", "x\\*y", "[^z]1"});
  EXPECT_EQ(Run({"PUBLISH", "hello", "m"}), 1);
  EXPECT_EQ(Run({"PUBLISH", "heello", "m"}), 0);
  EXPECT_EQ(Run({"PUBLISH", "acd", "m"}), 1);
  EXPECT_EQ(Run({"PUBLISH", "aed", "m"}), 0);
  EXPECT_EQ(Run({"PUBLISH", "x*y", "m"}), 1);
  EXPECT_EQ(Run({"PUBLISH", "xzy", "m"}), 0);
  EXPECT_EQ(Run({"PUBLISH", "a1", "m"}), 1);
  EXPECT_EQ(Run({"PUBLISH", "z1", "m"}), 0);
  // Pattern matching is case-sensitive.
  EXPECT_EQ(Run({"PUBLISH", "HELLO", "m"}), 0);
}

TEST_F(PubSubFamilyTest, SubscriberPublishingToItselfGetsTheMessageBeforeTheReply) {
  Run({"HELLO", "3"});
  Call(client(), {"SUBSCRIBE", "me"});
  EXPECT_EQ(Call(client(), {"PUBLISH", "me", "x"}),
            (Lines{R"(>["message", "me", "x"])", "(integer) 1"}));
}

TEST_F(PubSubFamilyTest, ShardChannelsAreSeparateFromChannels) {
  Session* shard = NewClient();
  Session* plain = NewClient();
  Call(shard, {"SSUBSCRIBE", "orders"});
  Call(plain, {"SUBSCRIBE", "orders"});
  Call(plain, {"PSUBSCRIBE", "*"});
  EXPECT_EQ(Run({"SPUBLISH", "orders", "o1"}), 1);
  EXPECT_EQ(Drain(shard), (Lines{R"(["smessage", "orders", "o1"])"}));
  EXPECT_TRUE(Drain(plain).empty());
  EXPECT_EQ(Run({"PUBLISH", "orders", "o2"}), 2);
  EXPECT_TRUE(Drain(shard).empty());
  EXPECT_EQ(Call(shard, {"SUNSUBSCRIBE", "orders"}),
            (Lines{R"(["sunsubscribe", "orders", (integer) 0])"}));
  EXPECT_EQ(Run({"SPUBLISH", "orders", "o3"}), 0);
}

TEST_F(PubSubFamilyTest, SubscribeInsideTransaction) {
  Run({"MULTI"});
  Run({"SUBSCRIBE", "a"});
  Run({"PUBLISH", "a", "x"});
  // The message to this very client lands inside EXEC's array, before PUBLISH's count, which
  // then trails the two-element array: Redis writes exactly these bytes too.
  EXPECT_EQ(Call(client(), {"EXEC"}),
            (Lines{R"([["subscribe", "a", (integer) 1], ["message", "a", "x"]])", "(integer) 1"}));
  EXPECT_EQ(client()->subscription_count, 1u);
}

// --- PUBSUB introspection ----------------------------------------------------------------------

TEST_F(PubSubFamilyTest, PubSubChannelsAndNumSub) {
  Session* a = NewClient();
  Session* b = NewClient();
  Call(a, {"SUBSCRIBE", "news.tech", "news.art", "weather"});
  Call(b, {"SUBSCRIBE", "news.tech"});
  Call(b, {"PSUBSCRIBE", "news.*", "news.*", "w*"});
  Call(a, {"PSUBSCRIBE", "news.*"});
  RespValue all = Run({"PUBSUB", "CHANNELS"});
  std::vector<std::string> names = all.Strings();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"news.art", "news.tech", "weather"}));
  RespValue news = Run({"PUBSUB", "CHANNELS", "news.*"});
  names = news.Strings();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"news.art", "news.tech"}));
  // An empty pattern matches only an empty channel name.
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", ""}), std::vector<std::string>{});
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "news.tech", "weather", "none", "news.tech"}).ToString(),
            R"(["news.tech", (integer) 2, "weather", (integer) 1, "none", (integer) 0, )"
            R"("news.tech", (integer) 2])");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB"}), std::vector<std::string>{});
  // Distinct patterns, however many clients use them.
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), 2);
  EXPECT_EQ(pubsub().channel_count(), 3u);
  EXPECT_EQ(pubsub().pattern_count(), 2u);
}

TEST_F(PubSubFamilyTest, PubSubShardIntrospection) {
  Session* a = NewClient();
  Call(a, {"SSUBSCRIBE", "s1", "s2"});
  Call(a, {"SUBSCRIBE", "c1"});
  RespValue shards = Run({"PUBSUB", "SHARDCHANNELS"});
  std::vector<std::string> names = shards.Strings();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(Run({"PUBSUB", "SHARDCHANNELS", "*2"}), (std::vector<std::string>{"s2"}));
  EXPECT_EQ(Run({"PUBSUB", "SHARDNUMSUB", "s1", "c1"}).ToString(),
            R"(["s1", (integer) 1, "c1", (integer) 0])");
  EXPECT_EQ(pubsub().shard_channel_count(), 2u);
}

TEST_F(PubSubFamilyTest, PubSubArgumentErrors) {
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", "a", "b"}).str,
            "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.");
  EXPECT_EQ(
      Run({"PUBSUB", "shardchannels", "a", "b"}).str,
      "ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP.");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT", "x"}).str,
            "ERR wrong number of arguments for 'pubsub|numpat' command");
  EXPECT_EQ(Run({"PUBSUB", "nope"}).str, "ERR unknown subcommand 'nope'. Try PUBSUB HELP.");
  RespValue help = Run({"PUBSUB", "HELP"});
  ASSERT_EQ(help.type, RespValue::Type::kArray);
  EXPECT_GT(help.size(), 6u);
}

// --- Keyspace notifications --------------------------------------------------------------------

TEST_F(PubSubFamilyTest, NotifyKeyspaceEventsCanonicalSpelling) {
  SetConfig("notify-keyspace-events", "KEA");
  EXPECT_EQ(Run({"CONFIG", "GET", "notify-keyspace-events"}).Strings(),
            (std::vector<std::string>{"notify-keyspace-events", "AKE"}));
  SetConfig("notify-keyspace-events", "nmKl$");
  EXPECT_EQ(Run({"CONFIG", "GET", "notify-keyspace-events"}).Strings(),
            (std::vector<std::string>{"notify-keyspace-events", "$lnKm"}));
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEQ"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  SetConfig("notify-keyspace-events", "");
  EXPECT_EQ(pubsub().notify_flags(), 0);
}

TEST_F(PubSubFamilyTest, KeyspaceAndKeyeventChannels) {
  Session* sub = NewClient();
  Call(sub, {"PSUBSCRIBE", "__key*__:*"});
  Run({"SET", "k", "v"});
  EXPECT_TRUE(Drain(sub).empty()) << "notifications are off by default";
  SetConfig("notify-keyspace-events", "KEA");
  Run({"SET", "k", "v"});
  EXPECT_EQ(Drain(sub), (Lines{R"(["pmessage", "__key*__:*", "__keyspace@0__:k", "set"])",
                               R"(["pmessage", "__key*__:*", "__keyevent@0__:set", "k"])"}));
  Run({"SELECT", "3"});
  Run({"LPUSH", "q", "a"});
  EXPECT_EQ(Drain(sub), (Lines{R"(["pmessage", "__key*__:*", "__keyspace@3__:q", "lpush"])",
                               R"(["pmessage", "__key*__:*", "__keyevent@3__:lpush", "q"])"}));
}

TEST_F(PubSubFamilyTest, OnlyEnabledClassesAreNotified) {
  Session* sub = NewClient();
  Call(sub, {"PSUBSCRIBE", "__keyevent@0__:*"});
  SetConfig("notify-keyspace-events", "E$");  // strings only, keyevent channel only
  Run({"SET", "k", "1"});
  Run({"INCR", "k"});
  Run({"EXPIRE", "k", "100"});  // generic: not enabled
  Run({"DEL", "k"});
  Run({"RPUSH", "l", "x"});  // list: not enabled
  EXPECT_EQ(Drain(sub),
            (Lines{R"(["pmessage", "__keyevent@0__:*", "__keyevent@0__:set", "k"])",
                   R"(["pmessage", "__keyevent@0__:*", "__keyevent@0__:incrby", "k"])"}));
  SetConfig("notify-keyspace-events", "K$");  // keyspace channel only: nothing on keyevent
  Run({"SET", "k", "1"});
  EXPECT_TRUE(Drain(sub).empty());
}

TEST_F(PubSubFamilyTest, EventsOfStringListAndGenericWrites) {
  Session* sub = NewClient();
  Call(sub, {"PSUBSCRIBE", "__keyevent@*"});
  SetConfig("notify-keyspace-events", "EA");
  auto events = [&]() {
    std::vector<std::string> out;
    for (const RespValue& v : TakeReplies(sub)) {
      std::string channel = v[2].str;
      out.push_back(channel.substr(channel.find(':') + 1) + " " + v[3].str);
    }
    return out;
  };
  Run({"SET", "s", "1", "EX", "100"});
  EXPECT_EQ(events(), (Lines{"set s", "expire s"}));
  Run({"SET", "s", "1", "NX"});
  EXPECT_TRUE(events().empty());
  Run({"MSET", "a", "1", "b", "2"});
  EXPECT_EQ(events(), (Lines{"set a", "set b"}));
  Run({"APPEND", "a", "x"});
  Run({"SETRANGE", "a", "0", "z"});
  Run({"INCRBYFLOAT", "f", "1.5"});
  Run({"DECR", "n"});
  EXPECT_EQ(events(), (Lines{"append a", "setrange a", "incrbyfloat f", "incrby n"}));
  Run({"GETEX", "a", "PX", "100000"});
  Run({"GETEX", "a", "PERSIST"});
  Run({"GETDEL", "a"});
  EXPECT_EQ(events(), (Lines{"expire a", "persist a", "del a"}));
  Run({"RENAME", "b", "c"});
  Run({"COPY", "c", "d"});
  Run({"MOVE", "d", "1"});
  Run({"DEL", "c", "missing"});
  EXPECT_EQ(events(), (Lines{"rename_from b", "rename_to c", "copy_to d", "move_from d",
                             "move_to d", "del c"}));
  Run({"RPUSH", "l", "a", "b", "c"});
  Run({"LMOVE", "l", "m", "LEFT", "RIGHT"});
  Run({"LINSERT", "l", "BEFORE", "c", "x"});
  Run({"LSET", "l", "0", "y"});
  Run({"LREM", "l", "0", "y"});
  Run({"LTRIM", "l", "5", "10"});
  EXPECT_EQ(events(), (Lines{"rpush l", "rpush m", "lpop l", "linsert l", "lset l", "lrem l",
                             "ltrim l", "del l"}));
  Run({"RPOP", "m"});
  EXPECT_EQ(events(), (Lines{"rpop m", "del m"}));
  Run({"SET", "e", "1"});
  Run({"EXPIRE", "e", "0"});
  EXPECT_EQ(events(), (Lines{"set e", "del e"}));
}

TEST_F(PubSubFamilyTest, ServedBlockedPopIsNotified) {
  Session* sub = NewClient();
  Session* waiter = NewClient();
  Call(sub, {"PSUBSCRIBE", "__keyevent@0__:*"});
  SetConfig("notify-keyspace-events", "El");
  Send(waiter, {"BLPOP", "q", "0"});
  Run({"RPUSH", "q", "job"});
  EXPECT_EQ(TakeReplies(waiter).size(), 1u);
  std::vector<std::string> events;
  for (const RespValue& v : TakeReplies(sub)) events.push_back(v[2].str);
  EXPECT_EQ(events, (Lines{"__keyevent@0__:rpush", "__keyevent@0__:lpop"}));
}

TEST_F(PubSubFamilyTest, ExpiredKeysAreNotified) {
  Session* sub = NewClient();
  Call(sub, {"SUBSCRIBE", "__keyevent@0__:expired"});
  SetConfig("notify-keyspace-events", "Ex");
  Run({"SET", "lazy", "v", "PX", "10"});
  server_->AdvanceFakeTime(20);  // no periodic sweep: only an access finds it
  EXPECT_TRUE(Run({"GET", "lazy"}).is_null());
  EXPECT_EQ(Drain(sub), (Lines{R"(["message", "__keyevent@0__:expired", "lazy"])"}));
  Run({"SET", "active", "v", "PX", "10"});
  AdvanceTime(20);  // the periodic sweep
  EXPECT_EQ(Drain(sub), (Lines{R"(["message", "__keyevent@0__:expired", "active"])"}));
}

// --- client-output-buffer-limit ----------------------------------------------------------------

TEST_F(PubSubFamilyTest, OutputBufferLimitConfigUpdatesOneClass) {
  EXPECT_EQ(Run({"CONFIG", "GET", "client-output-buffer-limit"})[1],
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  SetConfig("client-output-buffer-limit", "pubsub 64mb 1kb 30");
  EXPECT_EQ(Run({"CONFIG", "GET", "client-output-buffer-limit"})[1],
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 1024 30");
  SetConfig("client-output-buffer-limit", "normal 1k 2 3 replica 4 5 6");
  EXPECT_EQ(Run({"CONFIG", "GET", "client-output-buffer-limit"})[1],
            "normal 1000 2 3 slave 4 5 6 pubsub 67108864 1024 30");
  const char* kPrefix =
      "ERR CONFIG SET failed (possibly related to argument "
      "'client-output-buffer-limit') - ";
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2"}).str,
            std::string(kPrefix) + "Wrong number of arguments in buffer limit configuration.");
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"}).str,
            std::string(kPrefix) + "Invalid client class specified in buffer limit configuration.");
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2 3 normal 1x 2 3"}).str,
            std::string(kPrefix) +
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  // A refused value changes nothing, not even its valid groups.
  EXPECT_EQ(pubsub().output_limits().of(ClientClass::kPubSub).hard_bytes, 64 << 20);
  EXPECT_EQ(pubsub().output_limits().of(ClientClass::kNormal).hard_bytes, 1000);
}

TEST_F(PubSubFamilyTest, SubscriberOverHardLimitIsDisconnected) {
  SetConfig("client-output-buffer-limit", "pubsub 2000 0 0");
  Session* slow = NewClient();
  Session* fast = NewClient();
  Call(slow, {"SUBSCRIBE", "ch"});
  Call(fast, {"SUBSCRIBE", "ch"});
  std::string payload(500, 'x');
  int delivered_to_fast = 0;
  for (int i = 0; i < 10; ++i) {
    // Both still count as receivers: Redis counts a client it is about to close too.
    EXPECT_EQ(Run({"PUBLISH", "ch", payload}), 2);
    delivered_to_fast += static_cast<int>(TakeReplies(fast).size());
  }
  EXPECT_TRUE(slow->closed());
  EXPECT_FALSE(fast->closed());
  EXPECT_EQ(delivered_to_fast, 10);
  // The slow client stopped receiving at the limit: about 2000 bytes, never all ten messages.
  EXPECT_LT(slow->output().size(), 10 * payload.size());
}

TEST_F(PubSubFamilyTest, SubscriberOverSoftLimitForTooLongIsDisconnected) {
  SetConfig("client-output-buffer-limit", "pubsub 0 1000 10");
  Session* sub = NewClient();
  Call(sub, {"SUBSCRIBE", "ch"});
  std::string payload(600, 'x');
  Run({"PUBLISH", "ch", payload});
  Run({"PUBLISH", "ch", payload});  // over the soft limit from now on
  AdvanceTime(9000);
  Run({"PUBLISH", "ch", payload});
  EXPECT_FALSE(sub->closed());
  // Reading the backlog ends the episode: the grace period starts over.
  TakeReplies(sub);
  Run({"PUBLISH", "ch", payload});
  AdvanceTime(2000);
  Run({"PUBLISH", "ch", payload});
  EXPECT_FALSE(sub->closed());
  AdvanceTime(9000);
  Run({"PUBLISH", "ch", payload});
  EXPECT_FALSE(sub->closed());
  AdvanceTime(1001);
  Run({"PUBLISH", "ch", payload});
  EXPECT_TRUE(sub->closed());
}

TEST_F(PubSubFamilyTest, NormalClassLimitAppliesToCommandReplies) {
  Run({"SET", "big", std::string(5000, 'v')});
  SetConfig("client-output-buffer-limit", "normal 4000 0 0");
  Session* reader = NewClient();
  Send(reader, {"GET", "big"});
  EXPECT_TRUE(reader->closed());
  // 0 means unlimited again.
  SetConfig("client-output-buffer-limit", "normal 0 0 0");
  EXPECT_EQ(Run({"GET", "big"}).str.size(), 5000u);
}

}  // namespace
}  // namespace sluice::testing
