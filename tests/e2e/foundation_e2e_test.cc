// End-to-end tests of the foundation: connection handling, the RESP2/RESP3/inline protocol,
// string basics, redis-cli compatibility, output back-pressure and process lifecycle.
//
// Every test here also passes against redis-server 7.0 (SLUICE_SERVER=$(which redis-server)).

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/resp.h"
#include "tests/e2e/server_process.h"

namespace sluice::test {
namespace {

std::string Describe(const redisReply* r) {
  if (!r) return "(no reply: I/O error)";
  std::string text(r->str ? r->str : "", r->str ? r->len : 0);
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      return "(status) " + text;
    case REDIS_REPLY_ERROR:
      return "(error) " + text;
    case REDIS_REPLY_INTEGER:
      return "(integer) " + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_STRING:
      return text.size() > 200 ? "(bulk of " + std::to_string(text.size()) + " bytes)"
                               : resp::Quote(text);
    case REDIS_REPLY_ARRAY:
      return "(array of " + std::to_string(r->elements) + ")";
  }
  return "(type " + std::to_string(r->type) + ")";
}

::testing::AssertionResult IsReply(const RedisReplyPtr& r, int type, std::string_view text) {
  if (r && r->type == type && std::string_view(r->str, r->len) == text) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << Describe(r.get());
}

::testing::AssertionResult IsStatus(const RedisReplyPtr& r, std::string_view text) {
  return IsReply(r, REDIS_REPLY_STATUS, text) << ", want (status) " << text;
}

::testing::AssertionResult IsBulk(const RedisReplyPtr& r, std::string_view text) {
  return IsReply(r, REDIS_REPLY_STRING, text)
         << ", want bulk "
         << (text.size() > 200 ? std::to_string(text.size()) + " bytes" : resp::Quote(text));
}

::testing::AssertionResult IsError(const RedisReplyPtr& r, std::string_view text) {
  return IsReply(r, REDIS_REPLY_ERROR, text) << ", want (error) " << text;
}

::testing::AssertionResult IsNil(const RedisReplyPtr& r) {
  if (r && r->type == REDIS_REPLY_NIL) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << Describe(r.get()) << ", want (nil)";
}

::testing::AssertionResult IsInteger(const RedisReplyPtr& r, long long value) {
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer == value) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << Describe(r.get()) << ", want (integer) " << value;
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string Bulk(std::string_view s) {
  std::string out(1, '$');
  out.append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
  return out;
}

// Sends `request` and checks that exactly `want` comes back (reading want.size() bytes).
::testing::AssertionResult SendAndExpect(RawConnection& raw, std::string_view request,
                                         std::string_view want) {
  if (!raw.Send(request)) return ::testing::AssertionFailure() << "send: " << raw.error();
  std::string got = raw.ReadN(want.size());
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "sent " << resp::Quote(request) << "\n     got " << resp::Quote(got) << "\n    want "
         << resp::Quote(want) << (got.size() < want.size() ? "\n(" + raw.error() + ")" : "");
}

class FoundationTest : public SharedServerTest<FoundationTest> {};

// ---------------------------------------------------------------------------------------------
// Basic commands over hiredis

TEST_F(FoundationTest, PingAndEcho) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(IsStatus(Command(c.get(), {"PING"}), "PONG"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"PING", "hello there"}), "hello there"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"ECHO", "echo me"}), "echo me"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"ECHO", ""}), ""));
  EXPECT_TRUE(IsStatus(Command(c.get(), {"ping"}), "PONG")) << "command names ignore case";
}

TEST_F(FoundationTest, SetAndGet) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(IsStatus(Command(c.get(), {"SET", "fd:k", "v"}), "OK"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"GET", "fd:k"}), "v"));
  EXPECT_TRUE(IsStatus(Command(c.get(), {"set", "fd:k", "v2"}), "OK"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"get", "fd:k"}), "v2"));
  EXPECT_TRUE(IsNil(Command(c.get(), {"GET", "fd:missing"})));
  EXPECT_TRUE(IsStatus(Command(c.get(), {"SET", "", ""}), "OK")) << "empty key and value";
  EXPECT_TRUE(IsBulk(Command(c.get(), {"GET", ""}), ""));
}

TEST_F(FoundationTest, BinarySafeKeysAndValues) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  std::string value = std::string("a\0b\r\n$3\r\n*1\r\n", 13) + all_bytes + all_bytes;
  std::string key("fd:bin\0key\r\n", 12);
  EXPECT_TRUE(IsStatus(Command(c.get(), {"SET", key, value}), "OK"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"GET", key}), value));
  EXPECT_TRUE(IsNil(Command(c.get(), {"GET", std::string("fd:bin\0kez\r\n", 12)})));
  std::string nuls(100, '\0');
  EXPECT_TRUE(IsStatus(Command(c.get(), {"SET", nuls, nuls}), "OK"));
  EXPECT_TRUE(IsBulk(Command(c.get(), {"GET", nuls}), nuls));
}

TEST_F(FoundationTest, OneMegabyteValues) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  for (unsigned seed = 1; seed <= 3; ++seed) {
    std::string value = RandomBytes(1 << 20, seed);
    EXPECT_TRUE(IsStatus(Command(c.get(), {"SET", "fd:big", value}), "OK"));
    EXPECT_TRUE(IsBulk(Command(c.get(), {"GET", "fd:big"}), value)) << "seed " << seed;
  }
  // Also over a raw socket, where the exact framing is visible.
  RawConnection raw = ConnectRaw();
  std::string value = RandomBytes((1 << 20) + 7, 42);
  ASSERT_TRUE(raw.Send(resp::EncodeCommand({"SET", "fd:big2", value})));
  EXPECT_EQ(raw.ReadN(5), "+OK\r\n");
  ASSERT_TRUE(raw.Send(resp::EncodeCommand({"GET", "fd:big2"})));
  std::string want = Bulk(value);
  EXPECT_TRUE(raw.ReadN(want.size()) == want) << "1 MB GET reply differs";
}

// ---------------------------------------------------------------------------------------------
// Pipelining

TEST_F(FoundationTest, PipelinedTenThousandSetsThenGets) {
  constexpr int kCount = 10000;
  RawConnection raw = ConnectRaw();
  std::string sets, gets, want_gets;
  for (int i = 0; i < kCount; ++i) {
    std::string key = "fd:pipe:" + std::to_string(i);
    std::string value = "value-" + std::to_string(i * 7);
    sets += resp::EncodeCommand({"SET", key, value});
    gets += resp::EncodeCommand({"GET", key});
    want_gets += Bulk(value);
  }
  ASSERT_TRUE(raw.Send(sets)) << raw.error();
  std::string want_sets;
  for (int i = 0; i < kCount; ++i) want_sets += "+OK\r\n";
  std::string got = raw.ReadN(want_sets.size(), 30s);
  ASSERT_EQ(got.size(), want_sets.size()) << raw.error();
  EXPECT_TRUE(got == want_sets) << "SET replies differ";

  ASSERT_TRUE(raw.Send(gets)) << raw.error();
  got = raw.ReadN(want_gets.size(), 30s);
  ASSERT_EQ(got.size(), want_gets.size()) << raw.error();
  EXPECT_TRUE(got == want_gets) << "GET replies differ";
  EXPECT_EQ(raw.ReadFor(50ms), "") << "no extra replies";
}

TEST_F(FoundationTest, PipelinedThroughHiredis) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  for (int i = 0; i < 1000; ++i) {
    std::string key = "fd:hp:" + std::to_string(i);
    const char* argv[] = {"SET", key.c_str(), key.c_str()};
    ASSERT_EQ(redisAppendCommandArgv(c.get(), 3, argv, nullptr), REDIS_OK);
  }
  for (int i = 0; i < 1000; ++i) {
    void* reply = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK) << c->errstr;
    EXPECT_TRUE(IsStatus(RedisReplyPtr(static_cast<redisReply*>(reply)), "OK"));
  }
  EXPECT_TRUE(IsBulk(Command(c.get(), {"GET", "fd:hp:999"}), "fd:hp:999"));
}

// ---------------------------------------------------------------------------------------------
// Inline protocol

TEST_F(FoundationTest, InlineCommands) {
  RawConnection raw = ConnectRaw();
  EXPECT_TRUE(SendAndExpect(raw, "PING\r\n", "+PONG\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "SET fd:inline b\r\n", "+OK\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "GET fd:inline\r\n", "$1\r\nb\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "PING\n", "+PONG\r\n")) << "a bare LF ends an inline command";
  EXPECT_TRUE(SendAndExpect(raw, "  ECHO   spaced\t \r\n", "$6\r\nspaced\r\n"));
}

TEST_F(FoundationTest, InlineQuoting) {
  RawConnection raw = ConnectRaw();
  EXPECT_TRUE(SendAndExpect(raw, "SET fd:q \"hello world\"\r\nGET fd:q\r\n",
                            "+OK\r\n$11\r\nhello world\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "SET fd:q \"a\\x41\\n\\t\\\"\\\\z\"\r\nGET fd:q\r\n",
                            "+OK\r\n$7\r\naA\n\t\"\\z\r\n"));
  EXPECT_TRUE(
      SendAndExpect(raw, "SET fd:q 'it\\'s \"x\"'\r\nGET fd:q\r\n", "+OK\r\n$8\r\nit's \"x\"\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "SET fd:q \"\"\r\nGET fd:q\r\n", "+OK\r\n$0\r\n\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "SET fd:q a\"b c\"\r\nGET fd:q\r\n", "+OK\r\n$4\r\nab c\r\n"))
      << "a quote may open in the middle of an argument";
}

TEST_F(FoundationTest, EmptyInlineLinesAreIgnored) {
  RawConnection raw = ConnectRaw();
  EXPECT_TRUE(SendAndExpect(raw, "\r\n\r\n\n   \r\nPING\r\n", "+PONG\r\n"));
  EXPECT_EQ(raw.ReadFor(100ms), "");
}

TEST_F(FoundationTest, NonPositiveMultibulkCountsAreIgnored) {
  RawConnection raw = ConnectRaw();
  EXPECT_TRUE(SendAndExpect(raw, "*0\r\n*-1\r\n*-5\r\nPING\r\n", "+PONG\r\n"));
  EXPECT_EQ(raw.ReadFor(100ms), "");
}

TEST_F(FoundationTest, CommandSentOneByteAtATime) {
  RawConnection raw = ConnectRaw();
  const std::vector<std::pair<std::string, std::string>> requests = {
      {resp::EncodeCommand({"SET", "fd:split", "1234567890"}), "+OK\r\n"},
      {"PING\r\n", "+PONG\r\n"},
  };
  for (const auto& [request, reply] : requests) {
    for (size_t i = 0; i + 1 < request.size(); ++i) {
      ASSERT_TRUE(raw.Send(request.substr(i, 1)));
      if (i % 8 == 0) std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(raw.ReadFor(100ms), "") << "no reply before the request is complete";
    EXPECT_TRUE(SendAndExpect(raw, request.substr(request.size() - 1), reply));
  }
  // Two commands split at every possible point, each part in its own write.
  std::string two = resp::EncodeCommand({"GET", "fd:split"}) + "ECHO x\r\n";
  for (size_t cut = 1; cut < two.size(); ++cut) {
    SCOPED_TRACE("split at byte " + std::to_string(cut));
    ASSERT_TRUE(raw.Send(two.substr(0, cut)));
    std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(SendAndExpect(raw, two.substr(cut), "$10\r\n1234567890\r\n$1\r\nx\r\n"));
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol errors: the server replies with the error, then closes the connection.

struct ProtocolErrorCase {
  std::string input;
  std::string reply;
};

TEST_F(FoundationTest, ProtocolErrorsCloseTheConnection) {
  const std::vector<ProtocolErrorCase> cases = {
      {"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*1\r\nx3\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"},
      {"*2\r\n$4\r\nECHO\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
      {"SET k \"hello world\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"SET k 'abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"SET k \"a\"b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"PING\r\n*1\r\n$abc\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
  };
  for (const ProtocolErrorCase& c : cases) {
    SCOPED_TRACE("input " + resp::Quote(c.input));
    RawConnection raw = ConnectRaw();
    ASSERT_TRUE(raw.Send(c.input));
    EXPECT_EQ(raw.ReadN(c.reply.size()), c.reply);
    EXPECT_TRUE(raw.WaitClosed()) << "the server should close the connection";
  }
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(IsStatus(Command(c.get(), {"PING"}), "PONG")) << "other clients are unaffected";
}

TEST_F(FoundationTest, OversizedRequestLinesAreRejected) {
  // An inline request, a multibulk count and a bulk length line are each limited to 64 KB.
  const std::vector<ProtocolErrorCase> cases = {
      {std::string(70000, 'x'), "-ERR Protocol error: too big inline request\r\n"},
      {std::string("*").append(70000, '1'), "-ERR Protocol error: too big mbulk count string\r\n"},
      {std::string("*1\r\n$").append(70000, '1'),
       "-ERR Protocol error: too big bulk count string\r\n"},
  };
  for (const ProtocolErrorCase& c : cases) {
    SCOPED_TRACE(c.reply);
    RawConnection raw = ConnectRaw();
    ASSERT_TRUE(raw.Send(c.input));
    EXPECT_EQ(raw.ReadN(c.reply.size()), c.reply);
    EXPECT_TRUE(raw.WaitClosed());
  }
}

// ---------------------------------------------------------------------------------------------
// RESP3

TEST_F(FoundationTest, Hello3ReturnsServerInfoMap) {
  RawConnection raw = ConnectRaw();
  std::optional<resp::Reply> r = raw.Call({"HELLO", "3"});
  ASSERT_TRUE(r) << raw.error();
  ASSERT_EQ(r->type, resp::Type::kMap) << r->ToString();
  const resp::Reply* field = nullptr;
  ASSERT_TRUE(field = r->Find("server")) << r->ToString();
  EXPECT_EQ(field->type, resp::Type::kBulk);
  EXPECT_FALSE(field->str.empty());
  ASSERT_TRUE(field = r->Find("version")) << r->ToString();
  EXPECT_EQ(field->type, resp::Type::kBulk);
  ASSERT_TRUE(field = r->Find("proto")) << r->ToString();
  EXPECT_EQ(field->type, resp::Type::kInteger);
  EXPECT_EQ(field->integer(), 3);
  ASSERT_TRUE(field = r->Find("id")) << r->ToString();
  EXPECT_EQ(field->type, resp::Type::kInteger);
  EXPECT_GT(field->integer(), 0);
  ASSERT_TRUE(field = r->Find("mode")) << r->ToString();
  EXPECT_EQ(field->str, "standalone");
  ASSERT_TRUE(field = r->Find("role")) << r->ToString();
  EXPECT_EQ(field->str, "master");
  ASSERT_TRUE(field = r->Find("modules")) << r->ToString();
  EXPECT_EQ(field->type, resp::Type::kArray);

  // Back to RESP2: the same fields as a flat array.
  r = raw.Call({"HELLO", "2"});
  ASSERT_TRUE(r) << raw.error();
  ASSERT_EQ(r->type, resp::Type::kArray) << r->ToString();
  EXPECT_EQ(r->elems.size(), 14u) << r->ToString();
  EXPECT_TRUE(SendAndExpect(raw, "GET fd:missing\r\n", "$-1\r\n"));
}

TEST_F(FoundationTest, HelloRejectsUnsupportedProtocols) {
  RawConnection raw = ConnectRaw();
  std::string noproto = "-NOPROTO unsupported protocol version\r\n";
  EXPECT_TRUE(SendAndExpect(raw, "HELLO 4\r\nHELLO 1\r\n", noproto + noproto));
  EXPECT_TRUE(SendAndExpect(raw, "HELLO abc\r\n",
                            "-ERR Protocol version is not an integer or out of range\r\n"));
  EXPECT_TRUE(SendAndExpect(raw, "GET fd:missing\r\n", "$-1\r\n"))
      << "a failed HELLO leaves the protocol unchanged";
}

TEST_F(FoundationTest, Resp3NullsAndMaps) {
  RawConnection raw = ConnectRaw();
  ASSERT_TRUE(raw.Call({"HELLO", "3"})) << raw.error();
  EXPECT_TRUE(SendAndExpect(raw, "GET fd:missing\r\n", "_\r\n"));
  std::optional<resp::Reply> r = raw.Call({"CONFIG", "GET", "maxmemory"});
  ASSERT_TRUE(r) << raw.error();
  ASSERT_EQ(r->type, resp::Type::kMap) << r->ToString();
  ASSERT_EQ(r->elems.size(), 2u) << r->ToString();
  EXPECT_EQ(r->elems[0].str, "maxmemory");
  EXPECT_EQ(r->elems[1].type, resp::Type::kBulk);
  EXPECT_TRUE(
      SendAndExpect(raw, "SET fd:r3 v\r\nGET fd:r3\r\nPING\r\n", "+OK\r\n$1\r\nv\r\n+PONG\r\n"));

  ASSERT_TRUE(raw.Call({"HELLO", "2"})) << raw.error();
  r = raw.Call({"CONFIG", "GET", "maxmemory"});
  ASSERT_TRUE(r) << raw.error();
  EXPECT_EQ(r->type, resp::Type::kArray) << r->ToString();
  EXPECT_TRUE(SendAndExpect(raw, "GET fd:missing\r\n", "$-1\r\n"));
}

// ---------------------------------------------------------------------------------------------
// Error texts

TEST_F(FoundationTest, UnknownCommandError) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(IsError(Command(c.get(), {"FOO", "a", "b"}),
                      "ERR unknown command 'FOO', with args beginning with: 'a' 'b' "));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"foo"}), "ERR unknown command 'foo', with args beginning with: "));
  RawConnection raw = ConnectRaw();
  EXPECT_TRUE(
      SendAndExpect(raw, "NOSUCHCMD x \"\"\r\n",
                    "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' '' \r\n"));
  EXPECT_TRUE(IsStatus(Command(c.get(), {"PING"}), "PONG")) << "the connection stays usable";
}

TEST_F(FoundationTest, WrongArityError) {
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(
      IsError(Command(c.get(), {"GET"}), "ERR wrong number of arguments for 'get' command"));
  EXPECT_TRUE(IsError(Command(c.get(), {"get", "a", "b"}),
                      "ERR wrong number of arguments for 'get' command"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"SET", "k"}), "ERR wrong number of arguments for 'set' command"));
  EXPECT_TRUE(IsStatus(Command(c.get(), {"PING"}), "PONG"));
}

// ---------------------------------------------------------------------------------------------
// redis-cli

class RedisCliTest : public SharedServerTest<RedisCliTest> {};

TEST_F(RedisCliTest, SetAndGet) {
  ProcessResult r = RunRedisCli(port(), {"SET", "cli:k", "v"});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString() << " " << r.err;
  EXPECT_EQ(r.out, "OK\n");
  r = RunRedisCli(port(), {"GET", "cli:k"});
  EXPECT_EQ(r.out, "v\n") << "raw output when stdout is not a terminal";
  r = RunRedisCli(port(), {"--no-raw", "GET", "cli:k"});
  EXPECT_EQ(r.out, "\"v\"\n");
  r = RunRedisCli(port(), {"--no-raw", "GET", "cli:missing"});
  EXPECT_EQ(r.out, "(nil)\n");
  r = RunRedisCli(port(), {"--no-raw", "INCR", "cli:counter"});
  EXPECT_EQ(r.out, "(integer) 1\n");
  r = RunRedisCli(port(), {"--no-raw", "GET"});
  EXPECT_EQ(r.out, "(error) ERR wrong number of arguments for 'get' command\n");
}

TEST_F(RedisCliTest, ValueFromStdin) {
  ProcessResult r = RunRedisCli(port(), {"-x", "SET", "cli:stdin"}, "line one\nline two");
  EXPECT_EQ(r.out, "OK\n") << r.err;
  r = RunRedisCli(port(), {"--no-raw", "GET", "cli:stdin"});
  EXPECT_EQ(r.out, "\"line one\\nline two\"\n");
}

TEST_F(RedisCliTest, CommandDocs) {
  ProcessResult r = RunRedisCli(port(), {"COMMAND", "DOCS", "GET"});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString() << " " << r.err;
  EXPECT_NE(r.out.find("summary"), std::string::npos) << r.out;
}

TEST_F(RedisCliTest, PipeMode) {
  std::string input;
  for (int i = 0; i < 500; ++i) {
    input += resp::EncodeCommand({"SET", "cli:pipe:" + std::to_string(i), std::to_string(i)});
  }
  ProcessResult r = RunRedisCli(port(), {"--pipe"}, input);
  EXPECT_TRUE(r.status.ok()) << r.status.ToString() << " " << r.err;
  EXPECT_NE(r.out.find("errors: 0, replies: 500"), std::string::npos) << r.out << r.err;
  r = RunRedisCli(port(), {"GET", "cli:pipe:499"});
  EXPECT_EQ(r.out, "499\n");
}

// ---------------------------------------------------------------------------------------------
// A client that never reads its replies must not make the server buffer without bound.

class SlowClientTest : public SharedServerTest<SlowClientTest> {};

TEST_F(SlowClientTest, UnreadRepliesDoNotGrowMemoryWithoutBound) {
  constexpr long kRssLimitKb = 300 * 1024 * kRssScale;
  constexpr int kGets = 2000;
  auto c = Connect();
  ASSERT_TRUE(c && !c->err);
  RedisReplyPtr info = Command(c.get(), {"INFO", "server"});
  std::string info_text =
      info && info->type == REDIS_REPLY_STRING ? std::string(info->str, info->len) : "";
  if (info_text.find("redis_version") != std::string::npos &&
      info_text.find("sluice_version") == std::string::npos) {
    // Redis limits a normal client's output buffer only through client-output-buffer-limit,
    // which is unlimited by default; set one so the reference server passes the same check.
    ASSERT_TRUE(IsStatus(
        Command(c.get(), {"CONFIG", "SET", "client-output-buffer-limit", "normal 64mb 16mb 10"}),
        "OK"));
  }
  ASSERT_TRUE(IsStatus(Command(c.get(), {"SET", "big", std::string(1 << 20, 'x')}), "OK"));

  // Watch the server's memory from another thread: the main thread may be stuck in a PING
  // while a misbehaving server churns out replies. Past the limit the server is killed so the
  // test cannot drive the machine into the OOM killer.
  std::atomic<bool> stop{false};
  std::atomic<long> peak_kb{0};
  std::atomic<bool> killed{false};
  pid_t pid = server().pid();
  std::thread sampler([&] {
    while (!stop) {
      long rss = server().RssKb();
      if (rss > peak_kb) peak_kb = rss;
      if (rss > kRssLimitKb && !killed) {
        killed = true;
        ::kill(pid, SIGKILL);
      }
      std::this_thread::sleep_for(5ms);
    }
  });

  RawConnection slow = ConnectRaw();
  std::string requests;
  for (int i = 0; i < kGets; ++i) requests += resp::EncodeCommand({"GET", "big"});
  size_t sent = slow.SendSome(requests);
  EXPECT_GT(sent, 0u) << slow.error();

  RedisContextPtr other = server().Connect(5s);
  int pings = 0;
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline && !killed) {
    if (sent < requests.size()) sent += slow.SendSome(std::string_view(requests).substr(sent));
    if (!IsStatus(Command(other.get(), {"PING"}), "PONG")) break;
    ++pings;
    std::this_thread::sleep_for(20ms);
  }
  stop = true;
  sampler.join();

  EXPECT_LT(peak_kb, kRssLimitKb) << "server RSS reached " << peak_kb / 1024 << " MB with "
                                  << sent / 22 << " GETs of a 1 MB value left unread"
                                  << (killed ? "; the server was killed" : "");
  EXPECT_GE(pings, 20) << "another client's PINGs must keep being answered";
  slow.Close();
  if (!killed) {
    EXPECT_TRUE(IsStatus(Command(c.get(), {"PING"}), "PONG"));
    EXPECT_TRUE(IsInteger(Command(c.get(), {"STRLEN", "big"}), 1 << 20));
  }
}

// ---------------------------------------------------------------------------------------------
// Process lifecycle: each test runs its own server.

TEST(LifecycleTest, ShutdownNosaveExitsCleanly) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  RedisReplyPtr r = Command(c.get(), {"SHUTDOWN", "NOSAVE"});
  EXPECT_TRUE(r == nullptr) << "SHUTDOWN closes the connection without a reply, got "
                            << Describe(r.get());
  std::optional<ExitStatus> st = server.WaitForExit(10s);
  ASSERT_TRUE(st) << "the server is still running";
  EXPECT_TRUE(st->ok()) << st->ToString() << "\n" << server.LogTail();
}

TEST(LifecycleTest, SigtermStopsGracefully) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  RedisContextPtr c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(IsStatus(Command(c.get(), {"SET", "k", "v"}), "OK"));
  ExitStatus st = server.Stop();
  EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << server.LogTail();
}

TEST(LifecycleTest, RestartKeepsPortAndDirectory) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  int port = server.port();
  std::string dir = server.dir();
  ASSERT_TRUE(server.Restart()) << server.error();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.dir(), dir);
  RedisContextPtr c = server.Connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_TRUE(IsStatus(Command(c.get(), {"PING"}), "PONG"));
}

TEST(LifecycleTest, Kill9IsReported) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.error();
  ExitStatus st = server.Kill9();
  EXPECT_FALSE(st.exited);
  EXPECT_EQ(st.signal, SIGKILL);
  EXPECT_FALSE(server.running());
}

TEST(LifecycleTest, StartFailureIsReported) {
  ServerProcess server({}, "/nonexistent/sluice-server");
  EXPECT_FALSE(server.Start(2s));
  EXPECT_NE(server.error().find("exited with code 127"), std::string::npos) << server.error();
}

}  // namespace
}  // namespace sluice::test
