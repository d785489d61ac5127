#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using T = RespValue::Type;

// The value under `key` in a map reply (RESP3 map or RESP2 flat array), or nullptr.
const RespValue* MapGet(const RespValue& map, std::string_view key) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i] == key) return &map.elements[i + 1];
  }
  return nullptr;
}

// The value of "name:value" in an INFO text, or "<missing>".
std::string InfoField(const std::string& info, std::string_view name) {
  std::istringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
      return line.substr(name.size() + 1);
    }
  }
  return "<missing>";
}

bool Contains(const std::vector<std::string>& items, std::string_view item) {
  for (const auto& i : items) {
    if (i == item) return true;
  }
  return false;
}

class ServerFamilyTest : public ServerTest {
 protected:
  std::string Info(std::initializer_list<std::string_view> args) {
    RespValue v = Run(args);
    EXPECT_TRUE(v.type == T::kBulk || v.type == T::kVerbatim) << v;
    return v.str;
  }
  void Resp3() { Run({"HELLO", "3"}); }
};

// ---------------------------------------------------------------------------------------------
// COMMAND

TEST_F(ServerFamilyTest, CommandCountMatchesCommandArray) {
  RespValue count = Run({"COMMAND", "COUNT"});
  ASSERT_EQ(count.type, T::kInteger);
  EXPECT_GT(count.integer, 10);
  RespValue all = Run({"COMMAND"});
  ASSERT_EQ(all.type, T::kArray);
  EXPECT_EQ(static_cast<int64_t>(all.size()), count.integer);
  EXPECT_EQ(Run({"COMMAND", "INFO"}).size(), all.size());
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "COUNT", "x"}),
                              "ERR wrong number of arguments for 'command|count' command"));
}

TEST_F(ServerFamilyTest, CommandInfoDescribesGet) {
  RespValue v = Run({"COMMAND", "INFO", "get"});
  ASSERT_EQ(v.size(), 1u);
  const RespValue& get = v[0];
  ASSERT_EQ(get.size(), 10u);
  EXPECT_EQ(get[0], "get");
  EXPECT_EQ(get[1], 2);
  EXPECT_EQ(get[2], (std::vector<std::string>{"readonly", "fast"}));
  EXPECT_EQ(get[3], 1);
  EXPECT_EQ(get[4], 1);
  EXPECT_EQ(get[5], 1);
  EXPECT_EQ(get[6], (std::vector<std::string>{"@read", "@string", "@fast"}));
  EXPECT_EQ(get[7].size(), 0u);  // tips
  ASSERT_EQ(get[8].size(), 1u);  // key specs
  const RespValue& spec = get[8][0];
  EXPECT_EQ(*MapGet(spec, "flags"), (std::vector<std::string>{"RO", "access"}));
  EXPECT_EQ(*MapGet(*MapGet(*MapGet(spec, "begin_search"), "spec"), "index"), 1);
  const RespValue& find_keys = *MapGet(spec, "find_keys");
  EXPECT_EQ(*MapGet(find_keys, "type"), "range");
  EXPECT_EQ(*MapGet(*MapGet(find_keys, "spec"), "lastkey"), 0);
  EXPECT_EQ(get[9].size(), 0u);  // subcommands
}

TEST_F(ServerFamilyTest, CommandInfoUsesSetsInResp3) {
  Resp3();
  RespValue v = Run({"COMMAND", "INFO", "set"});
  const RespValue& set = v[0];
  EXPECT_EQ(set[2].type, T::kSet);
  EXPECT_EQ(set[6].type, T::kSet);
  EXPECT_EQ(set[7].type, T::kSet);
  EXPECT_EQ(set[8].type, T::kSet);
  EXPECT_EQ(set[8][0].type, T::kMap);
  EXPECT_EQ(*MapGet(set[8][0], "flags"), (std::vector<std::string>{"RW", "access", "update"}));
  EXPECT_EQ(set[9].type, T::kSet);  // no subcommands: an empty set, as Redis answers
}

TEST_F(ServerFamilyTest, CommandInfoUnknownIsNilAndNamesAreCaseInsensitive) {
  RespValue v = Run({"COMMAND", "INFO", "GET", "nosuch", "config|GET"});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0][0], "get");
  EXPECT_TRUE(v[1].is_null());
  EXPECT_EQ(v[2][0], "config|get");
  EXPECT_EQ(v[2][1], -3);
  EXPECT_EQ(v[2][2], (std::vector<std::string>{"admin", "noscript", "loading", "stale"}));
  EXPECT_EQ(v[2][6], (std::vector<std::string>{"@admin", "@slow", "@dangerous"}));
}

TEST_F(ServerFamilyTest, CommandInfoOfContainerNestsSubcommands) {
  RespValue v = Run({"COMMAND", "INFO", "config"});
  const RespValue& config = v[0];
  EXPECT_EQ(config[0], "config");
  EXPECT_EQ(config[1], -2);
  EXPECT_EQ(config[2].size(), 0u);
  EXPECT_EQ(config[6], (std::vector<std::string>{"@slow"}));
  ASSERT_EQ(config[9].type, T::kArray);
  std::vector<std::string> names;
  for (const auto& sub : config[9].elements) names.push_back(sub[0].str);
  EXPECT_TRUE(Contains(names, "config|get"));
  EXPECT_TRUE(Contains(names, "config|set"));
  EXPECT_TRUE(Contains(names, "config|resetstat"));
  EXPECT_TRUE(Contains(names, "config|rewrite"));
  EXPECT_TRUE(Contains(names, "config|help"));
}

TEST_F(ServerFamilyTest, CommandDocsDescribesArguments) {
  Resp3();
  RespValue v = Run({"COMMAND", "DOCS", "get"});
  ASSERT_EQ(v.type, T::kMap);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "get");
  const RespValue& docs = v[1];
  EXPECT_EQ(MapGet(docs, "summary")->type, T::kBulk);
  EXPECT_EQ(*MapGet(docs, "since"), "1.0.0");
  EXPECT_EQ(*MapGet(docs, "group"), "string");
  EXPECT_EQ(*MapGet(docs, "complexity"), "O(1)");
  const RespValue& args = *MapGet(docs, "arguments");
  ASSERT_EQ(args.size(), 1u);
  // Exactly Redis 7.0's fields for a key argument.
  EXPECT_EQ(args[0].size(), 6u);
  EXPECT_EQ(*MapGet(args[0], "name"), "key");
  EXPECT_EQ(*MapGet(args[0], "type"), "key");
  EXPECT_EQ(*MapGet(args[0], "key_spec_index"), 0);
}

TEST_F(ServerFamilyTest, CommandDocsNestsOptionsLikeRedis) {
  Resp3();
  RespValue v = Run({"COMMAND", "DOCS", "set"});
  const RespValue& args = *MapGet(v[1], "arguments");
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(*MapGet(args[1], "type"), "string");
  // [NX | XX]
  const RespValue& condition = args[2];
  EXPECT_EQ(*MapGet(condition, "type"), "oneof");
  EXPECT_EQ(*MapGet(condition, "flags"), (std::vector<std::string>{"optional"}));
  const RespValue& nx = (*MapGet(condition, "arguments"))[0];
  EXPECT_EQ(*MapGet(nx, "type"), "pure-token");
  EXPECT_EQ(*MapGet(nx, "token"), "NX");
  // [GET]
  EXPECT_EQ(*MapGet(args[3], "token"), "GET");
  // [EX seconds | ... | KEEPTTL]: the token rides on its argument.
  const RespValue& expiration = *MapGet(args[4], "arguments");
  EXPECT_EQ(*MapGet(expiration[0], "name"), "seconds");
  EXPECT_EQ(*MapGet(expiration[0], "type"), "integer");
  EXPECT_EQ(*MapGet(expiration[0], "token"), "EX");
  EXPECT_EQ(MapGet(expiration[0], "display_text"), nullptr);
}

TEST_F(ServerFamilyTest, CommandDocsTokenOnChoiceAndRepeatedArgument) {
  Resp3();
  RespValue v = Run({"COMMAND", "DOCS", "client|list"});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "client|list");
  const RespValue& args = *MapGet(v[1], "arguments");
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(*MapGet(args[0], "type"), "oneof");
  EXPECT_EQ(*MapGet(args[0], "token"), "TYPE");
  EXPECT_EQ(*MapGet(args[0], "flags"), (std::vector<std::string>{"optional"}));
  EXPECT_EQ(MapGet(args[0], "arguments")->size(), 4u);
  EXPECT_EQ(*MapGet(args[1], "type"), "integer");
  EXPECT_EQ(*MapGet(args[1], "token"), "ID");
  EXPECT_EQ(*MapGet(args[1], "flags"), (std::vector<std::string>{"optional", "multiple"}));
}

// redis-cli draws its hints from these trees: "[REPLACE] function-code" is an optional token
// and a separate argument, not a token carried by the argument after it.
TEST_F(ServerFamilyTest, CommandDocsOptionalTokenStandsAlone) {
  Resp3();
  RespValue v = Run({"COMMAND", "DOCS", "function|load"});
  const RespValue& args = *MapGet(v[1], "arguments");
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(*MapGet(args[0], "type"), "pure-token");
  EXPECT_EQ(*MapGet(args[0], "token"), "REPLACE");
  EXPECT_EQ(*MapGet(args[0], "flags"), (std::vector<std::string>{"optional"}));
  EXPECT_EQ(*MapGet(args[1], "name"), "function-code");
  EXPECT_EQ(MapGet(args[1], "token"), nullptr);
  EXPECT_EQ(MapGet(args[1], "flags"), nullptr);
}

// CLIENT KILL takes the old single address, or any number of filters: a choice between an
// argument and a repeated choice.
TEST_F(ServerFamilyTest, CommandDocsRepeatedChoiceInsideChoice) {
  Resp3();
  RespValue v = Run({"COMMAND", "DOCS", "client|kill"});
  const RespValue& args = *MapGet(v[1], "arguments");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(*MapGet(args[0], "type"), "oneof");
  EXPECT_EQ(MapGet(args[0], "flags"), nullptr);
  const RespValue& choices = *MapGet(args[0], "arguments");
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(*MapGet(choices[0], "name"), "ip:port");
  EXPECT_EQ(*MapGet(choices[1], "type"), "oneof");
  EXPECT_EQ(*MapGet(choices[1], "flags"), (std::vector<std::string>{"multiple"}));
  const RespValue& filters = *MapGet(choices[1], "arguments");
  ASSERT_EQ(filters.size(), 6u);
  EXPECT_EQ(*MapGet(filters[0], "token"), "ID");
  EXPECT_EQ(*MapGet(filters[5], "token"), "SKIPME");
  EXPECT_EQ(*MapGet(filters[5], "name"), "yes/no");
  EXPECT_EQ(*MapGet(filters[5], "type"), "string");
  EXPECT_EQ(*MapGet(filters[5], "flags"), (std::vector<std::string>{"optional"}));
}

// Argument names as Redis 7.0 documents them, since redis-cli shows them in its hints.
TEST_F(ServerFamilyTest, CommandDocsArgumentNamesMatchRedis) {
  Resp3();
  auto names = [&](std::vector<std::string> command) {
    command.insert(command.begin(), {"COMMAND", "DOCS"});
    RespValue v = Run(client(), command);
    std::vector<std::string> out;
    for (const RespValue& arg : MapGet(v[1], "arguments")->elements) {
      out.push_back(MapGet(arg, "name")->str);
    }
    return out;
  };
  std::vector<std::string> create = names({"xgroup|create"});
  ASSERT_EQ(create.size(), 5u);
  EXPECT_EQ(create[1], "groupname");
  EXPECT_EQ(create[4], "entries_read");
  EXPECT_EQ(names({"xgroup|delconsumer"}),
            (std::vector<std::string>{"key", "groupname", "consumername"}));
  EXPECT_EQ(names({"xinfo|consumers"}), (std::vector<std::string>{"key", "groupname"}));
  EXPECT_EQ(names({"xsetid"}),
            (std::vector<std::string>{"key", "last-id", "entries_added", "max_deleted_entry_id"}));
  EXPECT_EQ(names({"xclaim"}).back(), "id");
  EXPECT_EQ(names({"lcs"}),
            (std::vector<std::string>{"key1", "key2", "len", "idx", "len", "withmatchlen"}));
  RespValue lcs = Run({"COMMAND", "DOCS", "lcs"});
  EXPECT_EQ(*MapGet((*MapGet(lcs[1], "arguments"))[1], "type"), "key");
}

TEST_F(ServerFamilyTest, CommandDocsSkipsUnknownAndListsSubcommands) {
  Resp3();
  RespValue none = Run({"COMMAND", "DOCS", "nosuch"});
  EXPECT_EQ(none.type, T::kMap);
  EXPECT_EQ(none.size(), 0u);
  RespValue config = Run({"COMMAND", "DOCS", "config", "nosuch"});
  ASSERT_EQ(config.size(), 2u);
  const RespValue* subs = MapGet(config[1], "subcommands");
  ASSERT_NE(subs, nullptr);
  ASSERT_NE(MapGet(*subs, "config|set"), nullptr);
  EXPECT_EQ(*MapGet(*MapGet(*subs, "config|set"), "group"), "server");
  RespValue all = Run({"COMMAND", "DOCS"});
  EXPECT_EQ(static_cast<int64_t>(all.size() / 2), Run({"COMMAND", "COUNT"}).integer);
}

TEST_F(ServerFamilyTest, CommandGetKeys) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "SET", "a", "b"}), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "memory", "usage", "k"}), (std::vector<std::string>{"k"}));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"COMMAND", "GETKEYS", "nosuch", "a"}), "ERR Invalid command specified"));
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "GETKEYS", "config", "nosuch", "x"}),
                              "ERR Invalid command specified"));
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "GETKEYS", "get", "a", "b"}),
                              "ERR Invalid number of arguments specified for command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "GETKEYS", "config", "get", "x"}),
                              "ERR The command has no key arguments"));
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "GETKEYS", "get"}),
                              "ERR wrong number of arguments for 'command|getkeys' command"));
}

TEST_F(ServerFamilyTest, CommandGetKeysAndFlags) {
  RespValue v = Run({"COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0][0], "a");
  EXPECT_EQ(v[0][1], (std::vector<std::string>{"RW", "access", "update"}));
  v = Run({"COMMAND", "GETKEYSANDFLAGS", "get", "a"});
  EXPECT_EQ(v[0][1], (std::vector<std::string>{"RO", "access"}));
}

TEST_F(ServerFamilyTest, CommandList) {
  std::vector<std::string> all = Run({"COMMAND", "LIST"}).Strings();
  EXPECT_TRUE(Contains(all, "get"));
  EXPECT_TRUE(Contains(all, "config"));
  EXPECT_TRUE(Contains(all, "config|get"));
  std::vector<std::string> config =
      Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG*"}).Strings();
  EXPECT_EQ(config.size(), 6u);
  EXPECT_TRUE(Contains(config, "config|rewrite"));
  std::vector<std::string> strings =
      Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"}).Strings();
  EXPECT_TRUE(Contains(strings, "get"));
  EXPECT_FALSE(Contains(strings, "config|get"));
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}).size(), 0u);
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "m"}).size(), 0u);
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "LIST", "FILTERBY", "bad", "x"}), "ERR syntax"));
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "LIST", "FILTERBY", "MODULE"}), "ERR syntax"));
  EXPECT_TRUE(ErrorStartsWith(Run({"COMMAND", "LIST", "extra"}), "ERR syntax"));
}

TEST_F(ServerFamilyTest, CommandHelpAndUnknownSubcommand) {
  RespValue help = Run({"COMMAND", "HELP"});
  ASSERT_GT(help.size(), 4u);
  EXPECT_EQ(help[0].type, T::kStatus);
  EXPECT_TRUE(help[0].str.starts_with("COMMAND <subcommand>"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"COMMAND", "FOO"}), "ERR unknown subcommand 'FOO'. Try COMMAND HELP."));
}

// ---------------------------------------------------------------------------------------------
// INFO

TEST_F(ServerFamilyTest, InfoDefaultSections) {
  std::string info = Info({"INFO"});
  EXPECT_TRUE(info.starts_with("# Server\r\n"));
  for (std::string_view section :
       {"# Clients\r\n", "# Memory\r\n", "# Persistence\r\n", "# Stats\r\n", "# Replication\r\n",
        "# CPU\r\n", "# Errorstats\r\n", "# Keyspace\r\n"}) {
    EXPECT_NE(info.find(section), std::string::npos) << section;
  }
  EXPECT_EQ(info.find("# Commandstats"), std::string::npos);
  EXPECT_EQ(Info({"INFO", "default"}).find("# Commandstats"), std::string::npos);
  EXPECT_NE(Info({"INFO", "all"}).find("# Commandstats"), std::string::npos);
  EXPECT_NE(Info({"INFO", "everything"}).find("# Commandstats"), std::string::npos);
  EXPECT_EQ(InfoField(info, "redis_version"), "7.0.15");
  EXPECT_EQ(InfoField(info, "redis_mode"), "standalone");
  EXPECT_EQ(InfoField(info, "role"), "master");
  EXPECT_EQ(InfoField(info, "process_id"), std::to_string(getpid()));
  EXPECT_EQ(InfoField(info, "mem_allocator"), "libc");
  EXPECT_EQ(InfoField(info, "maxmemory_policy"), "noeviction");
  EXPECT_EQ(InfoField(info, "loading"), "0");
  EXPECT_EQ(InfoField(info, "arch_bits"), "64");
}

TEST_F(ServerFamilyTest, InfoSectionsAreCaseInsensitiveAndCombine) {
  std::string info = Info({"INFO", "SERVER", "keyspace"});
  EXPECT_TRUE(info.starts_with("# Server\r\n"));
  EXPECT_NE(info.find("\r\n\r\n# Keyspace\r\n"), std::string::npos);
  EXPECT_EQ(info.find("# Clients"), std::string::npos);
  EXPECT_EQ(Info({"INFO", "nosuch"}), "");
  EXPECT_EQ(Info({"INFO", "CPU"}).find("# CPU\r\nused_cpu_sys:"), 0u);
}

TEST_F(ServerFamilyTest, InfoIsVerbatimInResp3) {
  Resp3();
  RespValue v = Run({"INFO", "server"});
  EXPECT_EQ(v.type, T::kVerbatim);
  EXPECT_TRUE(v.str.starts_with("# Server\r\n"));
}

TEST_F(ServerFamilyTest, InfoClientsCountsConnections) {
  NewClient();
  NewClient();
  std::string info = Info({"INFO", "clients"});
  EXPECT_EQ(InfoField(info, "connected_clients"), "3");
  EXPECT_EQ(InfoField(info, "blocked_clients"), "0");
  EXPECT_EQ(InfoField(info, "maxclients"), "10000");
}

TEST_F(ServerFamilyTest, InfoKeyspaceListsNonEmptyDatabases) {
  EXPECT_EQ(Info({"INFO", "keyspace"}), "# Keyspace\r\n");
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2", "PX", "10000"});
  Run({"SELECT", "3"});
  Run({"SET", "c", "3"});
  std::string info = Info({"INFO", "keyspace"});
  EXPECT_EQ(InfoField(info, "db0"), "keys=2,expires=1,avg_ttl=10000");
  EXPECT_EQ(InfoField(info, "db3"), "keys=1,expires=0,avg_ttl=0");
  EXPECT_EQ(InfoField(info, "db1"), "<missing>");
}

TEST_F(ServerFamilyTest, InfoCommandStats) {
  Run({"SET", "k", "v"});
  Run({"GET", "k"});
  Run({"GET", "k"});
  Run({"GET"});              // rejected: arity
  Run({"LPUSH", "k", "x"});  // failed: wrong type
  Run({"CONFIG", "GET", "hz"});
  std::string info = Info({"INFO", "commandstats"});
  EXPECT_TRUE(InfoField(info, "cmdstat_get").starts_with("calls=2,usec="));
  EXPECT_TRUE(InfoField(info, "cmdstat_get").ends_with(",rejected_calls=1,failed_calls=0"));
  EXPECT_TRUE(InfoField(info, "cmdstat_lpush").ends_with(",rejected_calls=0,failed_calls=1"));
  EXPECT_TRUE(InfoField(info, "cmdstat_config|get").starts_with("calls=1,"));
  // The fake clock stands still, so every call took no time.
  EXPECT_EQ(InfoField(info, "cmdstat_set"),
            "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0");
}

TEST_F(ServerFamilyTest, InfoErrorStats) {
  Run({"SET", "k", "v"});
  Run({"LPUSH", "k", "x"});
  Run({"NOSUCHCOMMAND"});
  Run({"GET"});
  std::string info = Info({"INFO", "errorstats"});
  EXPECT_EQ(InfoField(info, "errorstat_ERR"), "count=2");
  EXPECT_EQ(InfoField(info, "errorstat_WRONGTYPE"), "count=1");
  EXPECT_EQ(InfoField(Info({"INFO", "stats"}), "total_error_replies"), "3");
}

TEST_F(ServerFamilyTest, InfoStatsAndPersistence) {
  std::string before = Info({"INFO"});
  EXPECT_EQ(InfoField(before, "rdb_changes_since_last_save"), "0");
  EXPECT_EQ(InfoField(before, "aof_enabled"), "0");
  EXPECT_EQ(InfoField(before, "aof_last_bgrewrite_status"), "ok");
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  Run({"GET", "a"});
  Run({"GET", "missing"});
  Run({"CONFIG", "SET", "appendonly", "yes"});
  std::string after = Info({"INFO"});
  EXPECT_EQ(InfoField(after, "rdb_changes_since_last_save"), "2");
  EXPECT_EQ(InfoField(after, "aof_enabled"), "1");
  EXPECT_EQ(InfoField(after, "keyspace_hits"), "1");
  EXPECT_EQ(InfoField(after, "keyspace_misses"), "1");
  EXPECT_EQ(std::stoll(InfoField(after, "total_commands_processed")),
            std::stoll(InfoField(before, "total_commands_processed")) + 6);
}

TEST_F(ServerFamilyTest, InfoReplicationIdAndMemory) {
  std::string info = Info({"INFO"});
  std::string replid = InfoField(info, "master_replid");
  EXPECT_EQ(replid.size(), 40u);
  EXPECT_EQ(replid.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(InfoField(info, "run_id").size(), 40u);
  EXPECT_EQ(InfoField(info, "master_repl_offset"), "0");
  EXPECT_GT(std::stoll(InfoField(info, "used_memory")), 0);
  EXPECT_GT(std::stoll(InfoField(info, "used_memory_rss")), 0);
  std::string human = InfoField(info, "used_memory_human");
  EXPECT_TRUE(human.ends_with("K") || human.ends_with("M") || human.ends_with("G")) << human;
}

TEST_F(ServerFamilyTest, InfoUptimeFollowsTheClock) {
  int64_t before = std::stoll(InfoField(Info({"INFO", "server"}), "uptime_in_seconds"));
  AdvanceTime(5000);
  int64_t after = std::stoll(InfoField(Info({"INFO", "server"}), "uptime_in_seconds"));
  EXPECT_EQ(after - before, 5);
}

TEST_F(ServerFamilyTest, InstantaneousOpsPerSecondSamplesThroughput) {
  EXPECT_EQ(InfoField(Info({"INFO", "stats"}), "instantaneous_ops_per_sec"), "0");
  AdvanceTime(100);
  for (int i = 0; i < 160; ++i) Run({"PING"});
  AdvanceTime(100);
  // The first sample holds the first INFO (10 per second), the second the 160 PINGs (1600 per
  // second); the figure is the average over the 16 samples.
  EXPECT_EQ(InfoField(Info({"INFO", "stats"}), "instantaneous_ops_per_sec"), "101");
}

// ---------------------------------------------------------------------------------------------
// CONFIG

TEST_F(ServerFamilyTest, ConfigGet) {
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), (std::vector<std::string>{"maxmemory", "0"}));
  EXPECT_EQ(Run({"CONFIG", "GET", "HZ"}), (std::vector<std::string>{"HZ", "10"}));
  EXPECT_EQ(Run({"CONFIG", "GET", "nosuch"}).size(), 0u);
  EXPECT_EQ(Run({"CONFIG", "GET", "hz", "hz"}).size(), 2u);
  RespValue many = Run({"CONFIG", "GET", "maxmemory*", "hz"});
  EXPECT_EQ(*MapGet(many, "maxmemory-policy"), "noeviction");
  EXPECT_EQ(*MapGet(many, "maxmemory-samples"), "5");
  EXPECT_EQ(*MapGet(many, "hz"), "10");
  RespValue aliases = Run({"CONFIG", "GET", "*ziplist*"});
  EXPECT_EQ(*MapGet(aliases, "list-max-ziplist-size"), "-2");
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "GET"}),
                              "ERR wrong number of arguments for 'config|get' command"));
  Resp3();
  RespValue map = Run({"CONFIG", "GET", "hz"});
  EXPECT_EQ(map.type, T::kMap);
  EXPECT_EQ(*MapGet(map, "hz"), "10");
}

TEST_F(ServerFamilyTest, ConfigSetSeveral) {
  EXPECT_EQ(Run({"CONFIG", "SET", "hz", "20", "maxmemory", "1mb"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "hz"}), (std::vector<std::string>{"hz", "20"}));
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}),
            (std::vector<std::string>{"maxmemory", "1048576"}));
  EXPECT_EQ(Run({"CONFIG", "SET", "list-max-ziplist-size", "5"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "list-max-listpack-size"}),
            (std::vector<std::string>{"list-max-listpack-size", "5"}));
}

TEST_F(ServerFamilyTest, ConfigSetIsAtomic) {
  EXPECT_TRUE(ErrorStartsWith(
      Run({"CONFIG", "SET", "maxmemory", "100", "hz", "abc"}),
      "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed "
      "into an integer"));
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), (std::vector<std::string>{"maxmemory", "0"}));
}

TEST_F(ServerFamilyTest, ConfigSetErrors) {
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "nosuch", "1"}),
                              "ERR Unknown option or number of arguments for CONFIG SET - "
                              "'nosuch'"));
  // Names are checked before any value.
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "hz", "abc", "databases", "4"}),
                              "ERR CONFIG SET failed (possibly related to argument 'databases') "
                              "- can't set immutable config"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "hz", "abc", "nosuch", "4"}),
                              "ERR Unknown option or number of arguments for CONFIG SET - "
                              "'nosuch'"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "hz", "10", "HZ", "10"}),
                              "ERR CONFIG SET failed (possibly related to argument 'HZ') - "
                              "duplicate parameter"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "hz", "10", "maxmemory"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "hz"}),
                              "ERR wrong number of arguments for 'config|set' command"));
  EXPECT_TRUE(ErrorStartsWith(
      Run({"CONFIG", "SET", "maxmemory-policy", "foo"}),
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) "
      "must be one of the following: volatile-lru"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "SET", "appendonly", "maybe"}),
                              "ERR CONFIG SET failed (possibly related to argument 'appendonly') "
                              "- argument must be 'yes' or 'no'"));
}

TEST_F(ServerFamilyTest, ConfigResetStat) {
  Run({"SET", "k", "v"});
  Run({"LPUSH", "k", "x"});
  EXPECT_EQ(Run({"CONFIG", "RESETSTAT"}), "OK");
  std::string info = Info({"INFO", "all"});
  EXPECT_EQ(InfoField(info, "cmdstat_set"), "<missing>");
  EXPECT_EQ(InfoField(info, "errorstat_WRONGTYPE"), "<missing>");
  EXPECT_EQ(InfoField(info, "total_error_replies"), "0");
  // Only the RESETSTAT itself ran since: it is counted once it completes, as in Redis.
  EXPECT_EQ(InfoField(info, "total_commands_processed"), "1");
  EXPECT_TRUE(InfoField(info, "cmdstat_config|resetstat").starts_with("calls=1,"));
  EXPECT_EQ(InfoField(info, "rdb_changes_since_last_save"), "1");
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "RESETSTAT", "x"}), "ERR wrong number"));
  // A command counted before the reset starts again from zero.
  Run({"SET", "k", "v"});
  EXPECT_TRUE(InfoField(Info({"INFO", "commandstats"}), "cmdstat_set").starts_with("calls=1,"));
}

TEST_F(ServerFamilyTest, ConfigRewrite) {
  EXPECT_TRUE(ErrorStartsWith(Run({"CONFIG", "REWRITE"}),
                              "ERR The server is running without a config file"));
  char path[] = "/tmp/sluice-config-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "hz 15\n";
  }
  std::string error;
  ASSERT_TRUE(config_.LoadFile(path, &error)) << error;
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "OK");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("hz 15"), std::string::npos);
  EXPECT_NE(text.find("maxmemory-policy allkeys-lru"), std::string::npos);
  std::remove(path);
}

TEST_F(ServerFamilyTest, ConfigHelp) {
  RespValue help = Run({"CONFIG", "HELP"});
  ASSERT_GT(help.size(), 2u);
  EXPECT_TRUE(help[0].str.starts_with("CONFIG <subcommand>"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CONFIG"}), "ERR wrong number of arguments for 'config' command"));
}

// ---------------------------------------------------------------------------------------------
// TIME, LASTSAVE, SHUTDOWN, DEBUG

TEST_F(ServerFamilyTest, TimeUsesTheServerClock) {
  EXPECT_EQ(Run({"TIME"}), (std::vector<std::string>{"1700000000", "0"}));
  AdvanceTime(1500);
  EXPECT_EQ(Run({"TIME"}), (std::vector<std::string>{"1700000001", "500000"}));
}

TEST_F(ServerFamilyTest, LastSaveIsTheStartTime) {
  EXPECT_EQ(Run({"LASTSAVE"}), server_->start_time_ms() / 1000);
}

TEST_F(ServerFamilyTest, ShutdownOptions) {
  EXPECT_TRUE(ErrorStartsWith(Run({"SHUTDOWN", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SHUTDOWN", "NOSAVE", "SAVE"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SHUTDOWN", "ABORT", "NOW"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SHUTDOWN", "ABORT"}), "ERR No shutdown in progress."));
  EXPECT_FALSE(server_->shutting_down());
  Run({"MULTI"});
  EXPECT_TRUE(ErrorStartsWith(Run({"SHUTDOWN"}), "ERR Command not allowed inside a transaction"));
  Run({"DISCARD"});
  Send(client(), {"SHUTDOWN", "NOSAVE", "NOW"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  EXPECT_TRUE(server_->shutting_down());
}

TEST_F(ServerFamilyTest, DebugObject) {
  Run({"SET", "s", "hello"});
  Run({"SET", "n", "12"});
  std::string s = Run({"DEBUG", "OBJECT", "s"}).str;
  EXPECT_TRUE(s.starts_with("Value at:0x")) << s;
  EXPECT_NE(s.find(" refcount:1 encoding:embstr serializedlength:6 lru:"), std::string::npos) << s;
  EXPECT_TRUE(s.ends_with(" lru_seconds_idle:0")) << s;
  std::string n = Run({"DEBUG", "OBJECT", "n"}).str;
  EXPECT_NE(n.find("encoding:int serializedlength:2 "), std::string::npos) << n;
  EXPECT_TRUE(ErrorStartsWith(Run({"DEBUG", "OBJECT", "nosuch"}), "ERR no such key"));
}

TEST_F(ServerFamilyTest, DebugSubcommands) {
  EXPECT_EQ(Run({"DEBUG", "SLEEP", "0"}), "OK");
  EXPECT_EQ(Run({"DEBUG", "SLEEP", "abc"}), "OK");
  EXPECT_EQ(Run({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}), "OK");
  EXPECT_TRUE(Run({"DEBUG", "HELP"})[0].str.starts_with("DEBUG <subcommand>"));
  EXPECT_TRUE(ErrorStartsWith(
      Run({"DEBUG", "FOO"}),
      "ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP."));
  EXPECT_TRUE(ErrorStartsWith(Run({"DEBUG", "OBJECT"}), "ERR unknown subcommand"));
  EXPECT_TRUE(ErrorStartsWith(Run({"DEBUG"}), "ERR wrong number of arguments for 'debug' command"));
}

// ---------------------------------------------------------------------------------------------
// MEMORY

TEST_F(ServerFamilyTest, MemoryUsage) {
  Run({"SET", "key", std::string(1000, 'x')});
  RespValue usage = Run({"MEMORY", "USAGE", "key"});
  ASSERT_EQ(usage.type, T::kInteger);
  EXPECT_GE(usage.integer, 1003);
  EXPECT_EQ(Run({"MEMORY", "USAGE", "key", "SAMPLES", "5"}), usage.integer);
  EXPECT_EQ(Run({"MEMORY", "USAGE", "key", "SAMPLES", "0"}), usage.integer);
  EXPECT_TRUE(Run({"MEMORY", "USAGE", "nosuch"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"MEMORY", "USAGE", "key", "SAMPLES"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"MEMORY", "USAGE", "key", "SAMPLES", "x"}),
                              "ERR value is not an integer"));
  EXPECT_TRUE(ErrorStartsWith(Run({"MEMORY", "USAGE", "key", "bar"}), "ERR syntax error"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"MEMORY", "FOO"}), "ERR unknown subcommand 'FOO'. Try MEMORY HELP."));
}

TEST_F(ServerFamilyTest, MemoryStatsDoctorAndFriends) {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  Resp3();
  RespValue stats = Run({"MEMORY", "STATS"});
  ASSERT_EQ(stats.type, T::kMap);
  EXPECT_EQ(*MapGet(stats, "keys.count"), 2);
  EXPECT_GT(MapGet(stats, "total.allocated")->integer, 0);
  EXPECT_EQ(MapGet(stats, "dataset.percentage")->type, T::kDouble);
  ASSERT_NE(MapGet(stats, "db.0"), nullptr);
  EXPECT_EQ(MapGet(stats, "db.1"), nullptr);
  EXPECT_EQ(Run({"MEMORY", "DOCTOR"}).type, T::kVerbatim);
  EXPECT_EQ(Run({"MEMORY", "MALLOC-STATS"}).type, T::kVerbatim);
  EXPECT_EQ(Run({"MEMORY", "PURGE"}), "OK");
  EXPECT_TRUE(Run({"MEMORY", "HELP"})[0].str.starts_with("MEMORY <subcommand>"));
}

// ---------------------------------------------------------------------------------------------
// SLOWLOG

TEST_F(ServerFamilyTest, SlowlogRecordsCommandsOverTheThreshold) {
  // The default threshold (10 ms) is never reached with a frozen clock.
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), 0);
  Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  Run({"CLIENT", "SETNAME", "worker"});
  Run({"SET", "k", "v"});
  // The CONFIG SET already ran under the new threshold, so it is logged too.
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), 3);
  RespValue entries = Run({"SLOWLOG", "GET"});
  // Newest first: SLOWLOG LEN, SET, CLIENT SETNAME, CONFIG SET.
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0][3], (std::vector<std::string>{"SLOWLOG", "LEN"}));
  const RespValue& set = entries[1];
  ASSERT_EQ(set.size(), 6u);
  EXPECT_EQ(set[0], 2);
  EXPECT_EQ(set[1], 1700000000);
  EXPECT_EQ(set[2], 0);
  EXPECT_EQ(set[3], (std::vector<std::string>{"SET", "k", "v"}));
  EXPECT_EQ(set[4], "");
  EXPECT_EQ(set[5], "worker");
  EXPECT_EQ(entries[3][0], 0);
  EXPECT_EQ(entries[3][5], "");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "1"}).size(), 1u);
  EXPECT_EQ(Run({"SLOWLOG", "RESET"}), "OK");
  // Only the RESET itself, logged once it completed.
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), 1);
}

TEST_F(ServerFamilyTest, SlowlogLimitsAndTruncation) {
  Run({"CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3"});
  std::vector<std::string> many = {"RPUSH", "list"};
  for (int i = 0; i < 40; ++i) many.push_back(std::to_string(i));
  Run(client(), many);
  Run({"SET", "k", std::string(200, 'a')});
  for (int i = 0; i < 5; ++i) Run({"PING"});
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), 3);
  Run({"CONFIG", "SET", "slowlog-max-len", "10"});
  Run(client(), many);
  Run({"SET", "k", std::string(200, 'a')});
  RespValue entries = Run({"SLOWLOG", "GET", "-1"});
  ASSERT_GE(entries.size(), 3u);
  const RespValue& set = entries[0];
  EXPECT_EQ(set[3][2], std::string(128, 'a') + "... (72 more bytes)");
  const RespValue& push = entries[1];
  ASSERT_EQ(push[3].size(), 32u);
  EXPECT_EQ(push[3][30], "28");
  EXPECT_EQ(push[3][31], "... (11 more arguments)");
  EXPECT_TRUE(ErrorStartsWith(Run({"SLOWLOG", "GET", "-2"}),
                              "ERR count should be greater than or equal to -1"));
  EXPECT_TRUE(ErrorStartsWith(Run({"SLOWLOG", "GET", "abc"}),
                              "ERR count should be greater than or equal to -1"));
  Run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"});
  Run({"SLOWLOG", "RESET"});
  Run({"PING"});
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), 0);
  EXPECT_TRUE(Run({"SLOWLOG", "HELP"})[0].str.starts_with("SLOWLOG <subcommand>"));
}

// maxmemory is compared with used memory by the periodic work: a dataset that grows past the
// limit gets its writes refused from the next measurement on, while reads and deletions go on.
TEST_F(ServerFamilyTest, WritesAreRefusedOnceMemoryGrowsPastMaxmemory) {
  auto used = [&] {
    std::string info = Run({"INFO", "memory"}).str;
    size_t at = info.find("used_memory:");
    return std::stoll(info.substr(at + 12));
  };
  int64_t limit = used() + (8 << 20);
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", std::to_string(limit)}), "OK");
  EXPECT_EQ(Run({"SET", "small", "v"}), "OK");
  // 32 MiB, written through so the pages are really in use.
  EXPECT_EQ(Run({"SET", "big", std::string(32 << 20, 'x')}), "OK");
  RespValue refused;
  for (int tick = 0; tick < 50 && !refused.is_error(); ++tick) {
    AdvanceTime(1000);
    refused = Run({"SET", "k", "v"});
  }
  EXPECT_TRUE(ErrorStartsWith(refused, "OOM command not allowed when used memory > 'maxmemory'."));
  EXPECT_TRUE(ErrorStartsWith(Run({"LPUSH", "l", "a"}), "OOM"));
  EXPECT_EQ(Run({"GET", "small"}), "v");
  EXPECT_EQ(Run({"DEL", "big"}), 1);
  // No limit, no refusal, at once.
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "0"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
}

}  // namespace
}  // namespace sluice::testing
