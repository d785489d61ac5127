#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

using T = RespValue::Type;

// CLIENT LIST / CLIENT INFO lines as field maps, in order.
std::vector<std::map<std::string, std::string>> ParseClients(const std::string& text) {
  std::vector<std::map<std::string, std::string>> clients;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::map<std::string, std::string> fields;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      size_t eq = word.find('=');
      fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    clients.push_back(std::move(fields));
  }
  return clients;
}

// The field names of a line, in order.
std::vector<std::string> FieldNames(const std::string& line) {
  std::vector<std::string> names;
  std::istringstream words(line);
  std::string word;
  while (words >> word) names.push_back(word.substr(0, word.find('=')));
  return names;
}

class ClientFamilyTest : public ServerTest {
 protected:
  std::map<std::string, std::string> Describe(Session* session) {
    RespValue v = Run(session, {"CLIENT", "INFO"});
    auto clients = ParseClients(v.str);
    EXPECT_EQ(clients.size(), 1u) << v;
    return clients.empty() ? std::map<std::string, std::string>{} : clients[0];
  }
  std::vector<std::map<std::string, std::string>> List(
      std::initializer_list<std::string_view> args = {"CLIENT", "LIST"}) {
    return ParseClients(Run(args).str);
  }
  int64_t Id(Session* session) { return Run(session, {"CLIENT", "ID"}).integer; }
};

TEST_F(ClientFamilyTest, IdIsUniqueAndMatchesInfo) {
  Session* other = NewClient();
  int64_t mine = Id(client());
  int64_t theirs = Id(other);
  EXPECT_GT(mine, 0);
  EXPECT_NE(mine, theirs);
  EXPECT_EQ(Describe(client())["id"], std::to_string(mine));
  EXPECT_EQ(Describe(other)["id"], std::to_string(theirs));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "ID", "x"}),
                              "ERR wrong number of arguments for 'client|id' command"));
}

TEST_F(ClientFamilyTest, SetNameAndGetName) {
  EXPECT_TRUE(Run({"CLIENT", "GETNAME"}).is_null());
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "worker-1"}), "OK");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "worker-1");
  EXPECT_EQ(Describe(client())["name"], "worker-1");
  for (std::string_view bad : {"a b", "a\nb", "caf\xc3\xa9", "tab\t"}) {
    EXPECT_TRUE(
        ErrorStartsWith(Run({"CLIENT", "SETNAME", bad}),
                        "ERR Client names cannot contain spaces, newlines or special characters."));
  }
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "worker-1");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", ""}), "OK");
  EXPECT_TRUE(Run({"CLIENT", "GETNAME"}).is_null());
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "SETNAME", "a", "b"}),
                              "ERR wrong number of arguments for 'client|setname' command"));
}

TEST_F(ClientFamilyTest, InfoLineHasRedisFieldsInOrder) {
  RespValue v = Run({"CLIENT", "INFO"});
  ASSERT_EQ(v.type, T::kBulk);
  ASSERT_TRUE(v.str.ends_with("\n"));
  EXPECT_EQ(FieldNames(v.str),
            (std::vector<std::string>{
                "id",        "addr",     "laddr",     "fd",   "name", "age",   "idle",
                "flags",     "db",       "sub",       "psub", "ssub", "multi", "qbuf",
                "qbuf-free", "argv-mem", "multi-mem", "rbs",  "rbp",  "obl",   "oll",
                "omem",      "tot-mem",  "events",    "cmd",  "user", "redir", "resp"}));
  auto info = ParseClients(v.str)[0];
  EXPECT_EQ(info["flags"], "N");
  EXPECT_EQ(info["db"], "0");
  EXPECT_EQ(info["multi"], "-1");
  EXPECT_EQ(info["cmd"], "client|info");
  EXPECT_EQ(info["argv-mem"], "10");
  EXPECT_EQ(info["user"], "default");
  EXPECT_EQ(info["redir"], "-1");
  EXPECT_EQ(info["resp"], "2");
  Run({"HELLO", "3"});
  EXPECT_EQ(Run({"CLIENT", "INFO"}).type, T::kVerbatim);
  EXPECT_EQ(Describe(client())["resp"], "3");
}

TEST_F(ClientFamilyTest, ListShowsEveryClientWithItsState) {
  Session* a = NewClient();
  Session* b = NewClient();
  Run(a, {"SELECT", "2"});
  Run(a, {"CLIENT", "SETNAME", "alpha"});
  Run(b, {"MULTI"});
  Run(b, {"SET", "k", "v"});
  Run(b, {"NO-SUCH"});
  auto clients = List();
  ASSERT_EQ(clients.size(), 3u);
  EXPECT_EQ(clients[0]["cmd"], "client|list");
  EXPECT_EQ(clients[0]["idle"], "0");
  EXPECT_EQ(clients[1]["name"], "alpha");
  EXPECT_EQ(clients[1]["db"], "2");
  EXPECT_EQ(clients[1]["cmd"], "client|setname");
  EXPECT_EQ(clients[2]["flags"], "x");
  EXPECT_EQ(clients[2]["multi"], "1");
  EXPECT_NE(clients[2]["multi-mem"], "0");
  EXPECT_EQ(clients[0]["argv-mem"], "10");
  EXPECT_EQ(clients[1]["argv-mem"], "0");
}

TEST_F(ClientFamilyTest, AgeAndIdleFollowTheClock) {
  Session* other = NewClient();
  AdvanceTime(3000);
  Run(other, {"PING"});
  AdvanceTime(5000);
  auto clients = List();
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[1]["age"], "8");
  EXPECT_EQ(clients[1]["idle"], "5");
  EXPECT_EQ(clients[0]["age"], "8");
  EXPECT_EQ(clients[0]["idle"], "0");
}

TEST_F(ClientFamilyTest, ListFilters) {
  Session* a = NewClient();
  Session* b = NewClient();
  std::string id_a = std::to_string(Id(a));
  std::string id_b = std::to_string(Id(b));
  auto by_id = List({"CLIENT", "LIST", "ID", id_b, id_a, "9999"});
  ASSERT_EQ(by_id.size(), 2u);
  EXPECT_EQ(by_id[0]["id"], id_b);
  EXPECT_EQ(by_id[1]["id"], id_a);
  EXPECT_EQ(List({"CLIENT", "LIST", "TYPE", "normal"}).size(), 3u);
  EXPECT_EQ(List({"CLIENT", "LIST", "TYPE", "PUBSUB"}).size(), 0u);
  EXPECT_EQ(List({"CLIENT", "LIST", "TYPE", "replica"}).size(), 0u);
  EXPECT_EQ(List({"CLIENT", "LIST", "TYPE", "master"}).size(), 0u);
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CLIENT", "LIST", "TYPE", "foo"}), "ERR Unknown client type 'foo'"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "LIST", "ID", "abc"}), "ERR Invalid client ID"));
  EXPECT_EQ(Run({"CLIENT", "LIST", "ID", "0", "-1"}), "");
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "LIST", "ID"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "LIST", "TYPE"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "LIST", "foo"}), "ERR syntax error"));
}

TEST_F(ClientFamilyTest, KillById) {
  Session* victim = NewClient();
  std::string id = std::to_string(Id(victim));
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", id}), 1);
  EXPECT_TRUE(victim->closed());
  EXPECT_EQ(List().size(), 1u);
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", id}), 0);
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "9999"}), 0);
  // A killed client runs nothing more.
  Send(victim, {"PING"});
  EXPECT_TRUE(TakeReplies(victim).empty());
}

TEST_F(ClientFamilyTest, KillSkipsTheCallerUnlessAsked) {
  NewClient();
  NewClient();
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "normal"}), 2);
  EXPECT_FALSE(client()->closed());
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "pubsub"}), 0);
  std::string me = std::to_string(Id(client()));
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", me}), 0);
  // The caller still gets its reply, then goes.
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", me, "SKIPME", "no"}), 1);
  EXPECT_TRUE(client()->closed());
}

TEST_F(ClientFamilyTest, KillFiltersCombine) {
  Session* a = NewClient();
  Session* b = NewClient();
  std::string id_a = std::to_string(Id(a));
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", id_a, "TYPE", "pubsub"}), 0);
  EXPECT_EQ(Run({"CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"}), 0);
  EXPECT_EQ(Run({"CLIENT", "KILL", "USER", "default", "ID", id_a}), 1);
  EXPECT_TRUE(a->closed());
  EXPECT_FALSE(b->closed());
}

TEST_F(ClientFamilyTest, KillErrors) {
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL", "1.2.3.4:5"}), "ERR No such client"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL", "ID", "abc"}),
                              "ERR client-id should be greater than 0"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL", "ID", "0"}),
                              "ERR client-id should be greater than 0"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CLIENT", "KILL", "TYPE", "bogus"}), "ERR Unknown client type 'bogus'"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CLIENT", "KILL", "USER", "nobody"}), "ERR No such user 'nobody'"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL", "SKIPME", "maybe"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL", "foo", "bar"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL", "ID", "1", "TYPE"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "KILL"}),
                              "ERR wrong number of arguments for 'client|kill' command"));
}

TEST_F(ClientFamilyTest, PauseWriteHoldsWritesUntilItEnds) {
  Session* writer = NewClient();
  Session* reader = NewClient();
  Run(reader, {"SET", "k", "before"});
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "1000", "WRITE"}), "OK");
  Send(writer, {"SET", "k", "after"});
  Send(writer, {"GET", "k"});  // pipelined behind the held write: waits too
  EXPECT_TRUE(TakeReplies(writer).empty());
  EXPECT_EQ(Run(reader, {"GET", "k"}), "before");
  EXPECT_EQ(Describe(reader)["flags"], "N");
  auto clients = List();
  EXPECT_EQ(clients[1]["flags"], "b");
  std::string info = Run({"INFO", "clients"}).str;
  EXPECT_NE(info.find("blocked_clients:1\r\n"), std::string::npos) << info;
  AdvanceTime(999);
  EXPECT_TRUE(TakeReplies(writer).empty());
  AdvanceTime(1);
  std::vector<RespValue> replies = TakeReplies(writer);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0], "OK");
  EXPECT_EQ(replies[1], "after");
}

TEST_F(ClientFamilyTest, PauseAllHoldsEveryCommand) {
  Session* reader = NewClient();
  Session* other = NewClient();
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "500"}), "OK");
  Send(reader, {"GET", "k"});
  EXPECT_TRUE(TakeReplies(reader).empty());
  // Even CLIENT UNPAUSE waits, as in Redis.
  Send(other, {"CLIENT", "UNPAUSE"});
  EXPECT_TRUE(TakeReplies(other).empty());
  // Unknown commands and arity errors are answered at once.
  EXPECT_TRUE(ErrorStartsWith(Run({"NOSUCH"}), "ERR unknown command"));
  EXPECT_TRUE(ErrorStartsWith(Run({"GET"}), "ERR wrong number of arguments"));
  AdvanceTime(500);
  std::vector<RespValue> replies = TakeReplies(reader);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].is_null());
  replies = TakeReplies(other);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], "OK");
}

TEST_F(ClientFamilyTest, UnpauseReleasesHeldCommands) {
  Session* writer = NewClient();
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "100000", "WRITE"}), "OK");
  Send(writer, {"SET", "k", "v"});
  EXPECT_TRUE(TakeReplies(writer).empty());
  EXPECT_EQ(Run({"CLIENT", "UNPAUSE"}), "OK");
  std::vector<RespValue> replies = TakeReplies(writer);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
}

TEST_F(ClientFamilyTest, PauseHoldsExecOfQueuedWrites) {
  Session* tx = NewClient();
  Run(tx, {"MULTI"});
  EXPECT_EQ(Run(tx, {"INCR", "n"}), "QUEUED");
  Run({"CLIENT", "PAUSE", "100", "WRITE"});
  Send(tx, {"EXEC"});
  EXPECT_TRUE(TakeReplies(tx).empty());
  EXPECT_EQ(Run({"GET", "n"}).type, T::kNull);
  AdvanceTime(100);
  std::vector<RespValue> replies = TakeReplies(tx);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0], 1);
}

TEST_F(ClientFamilyTest, PausesCombineToTheStrongestAndLongest) {
  Session* reader = NewClient();
  Run({"CLIENT", "PAUSE", "2000", "WRITE"});
  Run({"CLIENT", "PAUSE", "500", "ALL"});
  Send(reader, {"GET", "k"});
  AdvanceTime(1500);
  EXPECT_TRUE(TakeReplies(reader).empty());  // ALL, until the later end
  AdvanceTime(500);
  EXPECT_EQ(TakeReplies(reader).size(), 1u);
}

TEST_F(ClientFamilyTest, PauseErrors) {
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "PAUSE", "abc"}),
                              "ERR timeout is not an integer or out of range"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "PAUSE", "-1"}), "ERR timeout is negative"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "PAUSE", "10", "foo"}),
                              "ERR CLIENT PAUSE mode must be WRITE or ALL"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "PAUSE", "10", "ALL", "x"}), "ERR syntax error"));
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");  // none of these paused anything
}

TEST_F(ClientFamilyTest, ReplyOffAndSkip) {
  Send(client(), {"CLIENT", "REPLY", "OFF"});
  Send(client(), {"SET", "k", "v"});
  Send(client(), {"GET", "k"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  EXPECT_EQ(Run({"CLIENT", "REPLY", "ON"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  Send(client(), {"CLIENT", "REPLY", "SKIP"});
  Send(client(), {"SET", "k", "w"});
  Send(client(), {"GET", "k"});
  std::vector<RespValue> replies = TakeReplies(client());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], "w");
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "REPLY", "foo"}), "ERR syntax error"));
}

// Refusals (unknown command, wrong arity) and QUEUED are replies too: silenced like the rest,
// and a SKIP is used up by a refused command.
TEST_F(ClientFamilyTest, ReplyOffSilencesRefusalsAndQueued) {
  Send(client(), {"CLIENT", "REPLY", "OFF"});
  Send(client(), {"NOSUCHCOMMAND"});
  Send(client(), {"GET"});
  Send(client(), {"MULTI"});
  Send(client(), {"SET", "k", "v"});
  Send(client(), {"EXEC"});
  EXPECT_TRUE(TakeReplies(client()).empty());
  EXPECT_EQ(Run({"CLIENT", "REPLY", "ON"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  Send(client(), {"CLIENT", "REPLY", "SKIP"});
  Send(client(), {"NOSUCHCOMMAND"});
  Send(client(), {"PING"});
  std::vector<RespValue> replies = TakeReplies(client());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], "PONG");
}

TEST_F(ClientFamilyTest, SetInfo) {
  EXPECT_EQ(Run({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), "OK");
  EXPECT_EQ(Run({"CLIENT", "SETINFO", "lib-ver", "5.0.1"}), "OK");
  EXPECT_EQ(client()->lib_name, "redis-py");
  EXPECT_EQ(client()->lib_ver, "5.0.1");
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "SETINFO", "lib-foo", "x"}),
                              "ERR Unrecognized option 'lib-foo'"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "SETINFO", "lib-name", "a b"}),
                              "ERR lib-name cannot contain spaces, newlines or special "
                              "characters."));
  EXPECT_EQ(client()->lib_name, "redis-py");
}

TEST_F(ClientFamilyTest, NoEvictAndNoTouch) {
  EXPECT_EQ(Run({"CLIENT", "NO-EVICT", "on"}), "OK");
  EXPECT_EQ(Describe(client())["flags"], "e");
  EXPECT_EQ(Run({"CLIENT", "NO-TOUCH", "ON"}), "OK");
  EXPECT_EQ(Describe(client())["flags"], "Te");
  EXPECT_EQ(Run({"CLIENT", "NO-EVICT", "off"}), "OK");
  EXPECT_EQ(Run({"CLIENT", "NO-TOUCH", "off"}), "OK");
  EXPECT_EQ(Describe(client())["flags"], "N");
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "NO-EVICT", "maybe"}), "ERR syntax error"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "NO-TOUCH", "maybe"}), "ERR syntax error"));
}

TEST_F(ClientFamilyTest, TrackingIsReportedOff) {
  EXPECT_EQ(Run({"CLIENT", "GETREDIR"}), -1);
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "TRACKING", "on"}), "ERR client-side caching"));
  EXPECT_EQ(Run({"CLIENT", "TRACKING", "off"}), "OK");
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "CACHING", "yes"}), "ERR CLIENT CACHING"));
  Run({"HELLO", "3"});
  RespValue info = Run({"CLIENT", "TRACKINGINFO"});
  ASSERT_EQ(info.type, T::kMap);
  EXPECT_EQ(info[0], "flags");
  EXPECT_EQ(info[1], (std::vector<std::string>{"off"}));
  EXPECT_EQ(info[3], -1);
}

TEST_F(ClientFamilyTest, HelpAndUnknownSubcommand) {
  RespValue help = Run({"CLIENT", "HELP"});
  ASSERT_GT(help.size(), 10u);
  EXPECT_TRUE(help[0].str.starts_with("CLIENT <subcommand>"));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CLIENT", "FOO"}), "ERR unknown subcommand 'FOO'. Try CLIENT HELP."));
  EXPECT_TRUE(
      ErrorStartsWith(Run({"CLIENT"}), "ERR wrong number of arguments for 'client' command"));
}

}  // namespace
}  // namespace sluice::testing
