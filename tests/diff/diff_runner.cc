// Differential tests: every case file in tests/diff/cases is run against Sluice and against
// redis-server, and the replies must match exactly (see tests/diff/README.md).

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/diff/case_file.h"
#include "tests/e2e/resp.h"
#include "tests/e2e/server_process.h"

#ifndef SLUICE_DIFF_CASES_DIR
#define SLUICE_DIFF_CASES_DIR "tests/diff/cases"
#endif

namespace sluice::test::diff {
namespace {

using resp::Reply;
using resp::Type;

constexpr std::chrono::milliseconds kReplyTimeout = 10s;
constexpr int kMaxMismatchesPerFile = 20;

std::string CasesDir() {
  const char* env = std::getenv("SLUICE_DIFF_CASES_DIR");
  return env && *env ? env : SLUICE_DIFF_CASES_DIR;
}

bool Verbose() {
  const char* env = std::getenv("SLUICE_DIFF_VERBOSE");
  return env && *env && std::string(env) != "0";
}

std::vector<std::string> ListCaseFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(CasesDir(), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TestNameFor(const std::string& file) {
  std::string name = std::filesystem::path(file).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Reply comparison

struct CompareOptions {
  bool ignore_value = false;
  bool sort = false;
  bool error_prefix = false;
  bool hello = false;  // HELLO replies: the values of server, version and id may differ
};

void KeepErrorCodesOnly(Reply* r) {
  if (r->IsError()) r->str = r->str.substr(0, r->str.find(' '));
  for (Reply& e : r->elems) KeepErrorCodesOnly(&e);
}

// Applies the comparison options to a copy of the reply, so that equal means "matches".
Reply Normalize(Reply r, const CompareOptions& options) {
  if (options.error_prefix) KeepErrorCodesOnly(&r);
  if (options.hello && (r.type == Type::kMap || r.type == Type::kArray)) {
    for (size_t i = 0; i + 1 < r.elems.size(); i += 2) {
      const std::string& key = r.elems[i].str;
      if (key == "server" || key == "version" || key == "id") {
        r.elems[i + 1].str = "(not compared)";
      }
    }
  }
  if (options.sort && r.IsAggregate()) {
    if (r.type == Type::kMap) {
      std::vector<std::pair<std::string, size_t>> pairs;
      for (size_t i = 0; i + 1 < r.elems.size(); i += 2) {
        pairs.emplace_back(r.elems[i].Encode() + r.elems[i + 1].Encode(), i);
      }
      std::sort(pairs.begin(), pairs.end());
      std::vector<Reply> sorted;
      for (const auto& [encoded, i] : pairs) {
        sorted.push_back(r.elems[i]);
        sorted.push_back(r.elems[i + 1]);
      }
      r.elems = std::move(sorted);
    } else {
      std::sort(r.elems.begin(), r.elems.end(),
                [](const Reply& a, const Reply& b) { return a.Encode() < b.Encode(); });
    }
  }
  return r;
}

std::string Brief(const Reply& r) {
  std::string s = r.ToString();
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

// Describes the first difference between two (normalized) replies, or nullopt if they match.
std::optional<std::string> FirstDifference(const Reply& want, const Reply& got,
                                           const std::string& path) {
  std::string where = path.empty() ? "" : " at " + path;
  if (want.type != got.type) {
    return "reply types differ" + where + ": " + std::string(resp::TypeName(want.type)) + " vs " +
           std::string(resp::TypeName(got.type));
  }
  if (want.str != got.str)
    return "values differ" + where + ": " + Brief(want) + " vs " + Brief(got);
  if (want.elems.size() != got.elems.size()) {
    return "sizes differ" + where + ": " + std::to_string(want.elems.size()) + " vs " +
           std::to_string(got.elems.size()) + " elements";
  }
  for (size_t i = 0; i < want.elems.size(); ++i) {
    auto d = FirstDifference(want.elems[i], got.elems[i], path + "[" + std::to_string(i) + "]");
    if (d) return d;
  }
  if (want.attributes.size() != got.attributes.size()) return "attributes differ" + where;
  for (size_t i = 0; i < want.attributes.size(); ++i) {
    auto d = FirstDifference(want.attributes[i], got.attributes[i],
                             path + "{attribute " + std::to_string(i) + "}");
    if (d) return d;
  }
  return std::nullopt;
}

std::optional<std::string> Compare(const Reply& want, const Reply& got,
                                   const CompareOptions& options) {
  if (options.ignore_value) {
    if (want.type == got.type) return std::nullopt;
    return "reply types differ: " + std::string(resp::TypeName(want.type)) + " vs " +
           std::string(resp::TypeName(got.type));
  }
  return FirstDifference(Normalize(want, options), Normalize(got, options), "");
}

std::string Indent(const std::string& text) {
  std::string out = "    ";
  for (char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running one case file

struct Connection {
  RawConnection redis;
  RawConnection sluice;
  size_t pending = 0;  // replies of @async commands not yet read
};

class CaseRunner {
 public:
  CaseRunner(std::string path, ServerProcess* redis, ServerProcess* sluice)
      : path_(std::move(path)), redis_(redis), sluice_(sluice) {}

  void Run(const std::vector<Step>& steps) {
    if (!Open("default", 0) || !Setup()) return;
    for (const Step& step : steps) {
      if (!RunStep(step)) return;
      if (mismatches_ >= kMaxMismatchesPerFile) {
        ADD_FAILURE_AT(path_.c_str(), step.line)
            << "stopping after " << kMaxMismatchesPerFile << " mismatches";
        return;
      }
    }
  }

 private:
  // Reports a problem with the harness, the case file or the reference server.
  void HarnessFailure(int line, const std::string& what) {
    ADD_FAILURE_AT(path_.c_str(), line) << what;
  }

  bool Open(const std::string& name, int line) {
    Connection conn;
    if (!conn.redis.Connect(redis_->port())) {
      HarnessFailure(line, "cannot connect to redis-server: " + conn.redis.error());
      return false;
    }
    if (!conn.sluice.Connect(sluice_->port())) {
      ADD_FAILURE_AT(path_.c_str(), line) << "cannot connect to sluice: " << conn.sluice.error();
      return false;
    }
    conns_[name] = std::move(conn);
    current_ = name;
    return true;
  }

  // Puts both servers into a known state: RESP2, an empty keyspace, database 0.
  bool Setup() {
    Connection& conn = conns_["default"];
    for (const std::vector<std::string>& argv :
         std::vector<std::vector<std::string>>{{"HELLO", "2"}, {"FLUSHALL"}, {"SELECT", "0"}}) {
      std::string cmd = argv[0] + (argv.size() > 1 ? " " + argv[1] : "");
      std::optional<Reply> r = conn.redis.Call(argv, kReplyTimeout);
      if (!r || r->IsError()) {
        HarnessFailure(1, "setup " + cmd + " failed on redis-server: " +
                              (r ? r->ToString() : conn.redis.error()));
        return false;
      }
      if (argv[0] == "HELLO") {
        for (size_t i = 0; i + 1 < r->elems.size(); i += 2) {
          if (r->elems[i].str == "version") redis_version_ = r->elems[i + 1].str;
        }
      }
      std::optional<Reply> s = conn.sluice.Call(argv, kReplyTimeout);
      if (!s || s->IsError()) {
        ADD_FAILURE_AT(path_.c_str(), 1)
            << "setup " << cmd
            << " failed on sluice: " << (s ? s->ToString() : conn.sluice.error());
        return false;
      }
    }
    return true;
  }

  bool RunStep(const Step& step) {
    if (Verbose()) std::cout << "  " << step.line << ": " << step.text << "\n";
    switch (step.kind) {
      case Step::Kind::kConn:
        if (conns_.count(step.name)) {
          current_ = step.name;
          return true;
        }
        return Open(step.name, step.line);
      case Step::Kind::kClose:
        if (current_ == "default") {
          HarnessFailure(step.line, "@close cannot close the default connection");
          return false;
        }
        conns_.erase(current_);
        current_ = "default";
        return true;
      case Step::Kind::kSleep:
        std::this_thread::sleep_for(std::chrono::milliseconds(step.sleep_ms));
        return true;
      case Step::Kind::kRead: {
        Connection& conn = conns_[current_];
        if (conn.pending > 0) --conn.pending;
        return ReadAndCompare(step, conn, OptionsFor(step));
      }
      case Step::Kind::kCommand:
      case Step::Kind::kProtocol: {
        Connection& conn = conns_[current_];
        if (conn.pending > 0 && !step.async) {
          HarnessFailure(step.line, "connection '" + current_ +
                                        "' still has @async replies to @read before a command");
          return false;
        }
        std::string request = resp::EncodeCommand(step.argv);
        if (!conn.redis.Send(request)) {
          HarnessFailure(step.line, "send to redis-server failed: " + conn.redis.error());
          return false;
        }
        if (!conn.sluice.Send(request)) {
          ADD_FAILURE_AT(path_.c_str(), step.line)
              << step.text << "\nsend to sluice failed: " << conn.sluice.error();
          return false;
        }
        if (step.async) {
          ++conn.pending;
          return true;
        }
        return ReadAndCompare(step, conn, OptionsFor(step));
      }
    }
    return false;
  }

  static CompareOptions OptionsFor(const Step& step) {
    CompareOptions options;
    options.ignore_value = step.ignore_value;
    options.sort = step.sort;
    options.error_prefix = step.error_prefix;
    std::string name = step.argv.empty() ? "" : step.argv[0];
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    options.hello = name == "HELLO";
    return options;
  }

  bool ReadAndCompare(const Step& step, Connection& conn, const CompareOptions& options) {
    std::optional<Reply> want = conn.redis.ReadReply(kReplyTimeout);
    if (!want) {
      HarnessFailure(step.line, step.text + "\nno reply from redis-server: " + conn.redis.error());
      return false;
    }
    if (Verbose()) std::cout << Indent(want->ToString()) << "\n";
    bool compare = step.since.empty() || CompareVersions(redis_version_, step.since) >= 0;
    if (!compare && Verbose()) {
      std::cout << "    (not compared: redis-server " << redis_version_ << " predates "
                << step.since << ")\n";
    }
    std::optional<Reply> got = conn.sluice.ReadReply(kReplyTimeout);
    if (!got) {
      ADD_FAILURE_AT(path_.c_str(), step.line)
          << step.text << "\nno reply from sluice (" << conn.sluice.error() << ")"
          << (sluice_->running() ? "" : "; the server is not running")
          << "\n  redis-server replied:\n"
          << Indent(want->ToString());
      return false;  // the connection is out of step; give up on this file
    }
    if (!compare) return true;
    if (auto difference = Compare(*want, *got, options)) {
      ++mismatches_;
      ADD_FAILURE_AT(path_.c_str(), step.line)
          << step.text << "\n  " << *difference << "\n  redis-server replied:\n"
          << Indent(want->ToString()) << "\n  sluice replied:\n"
          << Indent(got->ToString());
    }
    return true;
  }

  std::string path_;
  ServerProcess* redis_;
  ServerProcess* sluice_;
  std::map<std::string, Connection> conns_;
  std::string current_;
  std::string redis_version_;  // from the reference server's HELLO reply
  int mismatches_ = 0;
};

// ---------------------------------------------------------------------------------------------
// GoogleTest glue: one test per case file, both servers shared by all of them.

class DiffTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    redis_ = std::make_unique<ServerProcess>(std::vector<std::string>{}, RedisServerBinary());
    sluice_ = std::make_unique<ServerProcess>();
  }
  static void TearDownTestSuite() {
    redis_.reset();
    sluice_.reset();
  }

  void SetUp() override {
    // Started here rather than in SetUpTestSuite so that a server that died in one file is
    // restarted for the next.
    ASSERT_TRUE(redis_->running() || redis_->Start())
        << "cannot start redis-server: " << redis_->error();
    ASSERT_TRUE(sluice_->running() || sluice_->Start())
        << "cannot start sluice: " << sluice_->error();
  }

  void TearDown() override {
    if (!sluice_->running()) {
      ADD_FAILURE() << "sluice died while running this file: "
                    << sluice_->exit_status().value_or(ExitStatus{}).ToString() << "\nlog:\n"
                    << sluice_->LogTail();
    }
    if (!redis_->running()) ADD_FAILURE() << "redis-server died:\n" << redis_->LogTail();
  }

  static inline std::unique_ptr<ServerProcess> redis_;
  static inline std::unique_ptr<ServerProcess> sluice_;
};

TEST_P(DiffTest, Matches) {
  std::string path = (std::filesystem::path(CasesDir()) / GetParam()).string();
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream content;
  content << in.rdbuf();
  std::vector<Step> steps;
  std::string error;
  ASSERT_TRUE(ParseCaseFile(content.str(), &steps, &error)) << path << ": " << error;
  if (Verbose()) std::cout << "== " << path << "\n";
  CaseRunner(path, redis_.get(), sluice_.get()).Run(steps);
}

INSTANTIATE_TEST_SUITE_P(Cases, DiffTest, ::testing::ValuesIn(ListCaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return TestNameFor(info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DiffTest);

// ---------------------------------------------------------------------------------------------
// The harness itself

TEST(DiffHarnessTest, SplitArgsFollowsRedisCli) {
  std::vector<std::string> args;
  ASSERT_TRUE(SplitArgs("  SET  k \"a b\\n\\x00\\x4a\" 'it\\'s' x\"y z\" ", &args));
  EXPECT_EQ(args,
            (std::vector<std::string>{"SET", "k", std::string("a b\n\0J", 6), "it's", "xy z"}));
  ASSERT_TRUE(SplitArgs("\"\" ''", &args));
  EXPECT_EQ(args, (std::vector<std::string>{"", ""}));
  EXPECT_FALSE(SplitArgs("SET k \"abc", &args));
  EXPECT_FALSE(SplitArgs("SET k \"a\"b", &args));
  EXPECT_FALSE(SplitArgs("SET k 'abc", &args));
}

TEST(DiffHarnessTest, ParseCaseFileAttachesModifiers) {
  std::vector<Step> steps;
  std::string error;
  ASSERT_TRUE(
      ParseCaseFile("# comment\n\n@sort\n@error-prefix\nKEYS *\n@conn b\n@async\n"
                    "BLPOP q 0\n@read\n@resp3\n@sleep 5\n@close\n",
                    &steps, &error))
      << error;
  ASSERT_EQ(steps.size(), 7u);
  EXPECT_EQ(steps[0].line, 5);
  EXPECT_TRUE(steps[0].sort && steps[0].error_prefix && !steps[0].ignore_value);
  EXPECT_EQ(steps[1].kind, Step::Kind::kConn);
  EXPECT_TRUE(steps[2].async);
  EXPECT_EQ(steps[3].kind, Step::Kind::kRead);
  EXPECT_EQ(steps[4].argv, (std::vector<std::string>{"HELLO", "3"}));
  EXPECT_EQ(steps[5].sleep_ms, 5);
  EXPECT_EQ(steps[6].kind, Step::Kind::kClose);
  EXPECT_FALSE(ParseCaseFile("@sort\n", &steps, &error));
  EXPECT_FALSE(ParseCaseFile("@bogus\n", &steps, &error));
  EXPECT_FALSE(ParseCaseFile("@sort\n@conn x\n", &steps, &error));
  ASSERT_TRUE(ParseCaseFile("@since 7.4\n@ignore-value\nXREAD STREAMS s +\n", &steps, &error))
      << error;
  EXPECT_EQ(steps[0].since, "7.4");
  EXPECT_TRUE(steps[0].ignore_value);
  EXPECT_FALSE(ParseCaseFile("@since\nPING\n", &steps, &error));
  EXPECT_FALSE(ParseCaseFile("@since 7.x\nPING\n", &steps, &error));
  EXPECT_FALSE(ParseCaseFile("@since 7..4\nPING\n", &steps, &error));
}

TEST(DiffHarnessTest, CompareVersions) {
  EXPECT_LT(CompareVersions("7.0.15", "7.4"), 0);
  EXPECT_EQ(CompareVersions("7.4.0", "7.4"), 0);
  EXPECT_GT(CompareVersions("7.10", "7.4"), 0);
  EXPECT_GT(CompareVersions("8.0.0", "7.4"), 0);
}

TEST(DiffHarnessTest, CompareOptions) {
  auto parse = [](const std::string& wire) {
    size_t pos = 0;
    Reply r;
    std::string error;
    EXPECT_EQ(resp::Parse(wire, &pos, &r, &error), resp::ParseStatus::kOk) << error;
    return r;
  };
  Reply a = parse("*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  Reply b = parse("*2\r\n$1\r\nb\r\n$1\r\na\r\n");
  EXPECT_TRUE(Compare(a, b, {}));
  EXPECT_FALSE(Compare(a, b, {.sort = true}));
  EXPECT_TRUE(Compare(parse("$-1\r\n"), parse("*-1\r\n"), {}));
  EXPECT_FALSE(Compare(parse("-ERR one\r\n"), parse("-ERR two\r\n"), {.error_prefix = true}));
  EXPECT_TRUE(Compare(parse("-ERR one\r\n"), parse("-WRONGTYPE one\r\n"), {.error_prefix = true}));
  EXPECT_FALSE(Compare(parse(":1\r\n"), parse(":2\r\n"), {.ignore_value = true}));
  EXPECT_FALSE(Compare(parse("%2\r\n$2\r\nid\r\n:5\r\n$5\r\nproto\r\n:3\r\n"),
                       parse("%2\r\n$2\r\nid\r\n:9\r\n$5\r\nproto\r\n:3\r\n"), {.hello = true}));
  EXPECT_TRUE(Compare(parse("%2\r\n$2\r\nid\r\n:5\r\n$5\r\nproto\r\n:3\r\n"),
                      parse("%2\r\n$2\r\nid\r\n:5\r\n$5\r\nproto\r\n:2\r\n"), {.hello = true}));
}

}  // namespace
}  // namespace sluice::test::diff
