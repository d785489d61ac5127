// The append-only log's byte format, its reader (units, MULTI groups, truncation, corruption)
// and the manifest.
#include "server/persistence/aof_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/persistence/aof_reader.h"
#include "server/persistence/manifest.h"

namespace sluice {
namespace {

std::string Encode(std::initializer_list<std::string_view> args) {
  std::string out;
  AofWriter(&out).Command(args);
  return out;
}

// Every unit of `data` read `chunk` bytes at a time, each command joined with spaces and the
// commands of a unit with " | ".
struct ReadResult {
  std::vector<std::string> units;
  AofReader::Status end;
  uint64_t good_offset;
  uint64_t bad_offset;
  std::string error;
};

ReadResult ReadAll(std::string_view data, size_t chunk) {
  AofReader reader;
  reader.OpenMemory(data, chunk);
  ReadResult r;
  while (true) {
    AofReader::Status st = reader.Next();
    if (st != AofReader::Status::kUnit) {
      r.end = st;
      break;
    }
    std::string unit;
    for (size_t i = 0; i < reader.unit_size(); ++i) {
      if (i > 0) unit += " | ";
      std::string command;
      for (std::string_view a : reader.command(i)) {
        if (!command.empty()) command += ' ';
        command.append(a);
      }
      unit += command;
    }
    r.units.push_back(unit);
  }
  r.good_offset = reader.good_offset();
  r.bad_offset = reader.bad_offset();
  r.error = reader.error();
  return r;
}

TEST(AofFormatTest, WriterProducesRespMultibulk) {
  EXPECT_EQ(Encode({"SET", "k", "v"}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  using namespace std::string_literals;
  EXPECT_EQ(Encode({"SET", "", std::string_view("a\0b", 3)}),
            "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\na\0b\r\n"s);
  std::string out;
  AofWriter writer(&out);
  writer.Begin(3);
  writer.Arg("PEXPIREAT");
  writer.Arg("k");
  writer.Arg(int64_t{-1700000000000});
  EXPECT_EQ(out, "*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$14\r\n-1700000000000\r\n");
  EXPECT_EQ(writer.commands(), 1u);
}

TEST(AofFormatTest, ParsesRecordsAndAnnotations) {
  std::string data = "#TS:1700000000\r\n" + Encode({"SET", "k", "v"});
  std::vector<std::string_view> args;
  size_t consumed = 0, bad_at = 0;
  std::string error;
  ASSERT_EQ(ParseAofRecord(data, &args, &consumed, &bad_at, &error), AofParse::kRecord);
  EXPECT_TRUE(args.empty());  // the annotation
  EXPECT_EQ(consumed, 16u);
  std::string_view rest = std::string_view(data).substr(consumed);
  ASSERT_EQ(ParseAofRecord(rest, &args, &consumed, &bad_at, &error), AofParse::kRecord);
  EXPECT_EQ(consumed, rest.size());
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], "v");
}

TEST(AofFormatTest, EveryPrefixOfARecordIsIncomplete) {
  std::string record = Encode({"RPUSH", "list", "", "element"});
  for (size_t n = 0; n < record.size(); ++n) {
    std::vector<std::string_view> args;
    size_t consumed = 0, bad_at = 0;
    std::string error;
    EXPECT_EQ(
        ParseAofRecord(std::string_view(record).substr(0, n), &args, &consumed, &bad_at, &error),
        AofParse::kIncomplete)
        << "prefix of " << n << " bytes";
  }
}

TEST(AofFormatTest, MalformedRecordsNameTheOffendingByte) {
  struct Case {
    std::string data;
    size_t bad_at;
  };
  std::vector<Case> cases = {
      {"$3\r\nSET\r\n", 0},               // not a multibulk
      {"*0\r\n", 1},                      // no arguments
      {"*x\r\n", 1},                      // not a number
      {"*1\r$", 3},                       // CR without LF
      {"*1\r\n+OK\r\n", 4},               // not a bulk
      {"*1\r\n$3\r\nSETX\r\n", 11},       // bulk longer than its length
      {"*1\r\n$3\r\nSET\rX", 12},         // bad terminator
      {"*12345678901234567890\r\n", 20},  // absurd count
      {"*-1\r\n", 1},                     // negative
  };
  for (const Case& c : cases) {
    std::vector<std::string_view> args;
    size_t consumed = 0, bad_at = 0;
    std::string error;
    EXPECT_EQ(ParseAofRecord(c.data, &args, &consumed, &bad_at, &error), AofParse::kBad) << c.data;
    EXPECT_EQ(bad_at, c.bad_at) << c.data;
    EXPECT_FALSE(error.empty());
  }
}

TEST(AofFormatTest, ReaderHandsOutTransactionsWhole) {
  std::string data = Encode({"SELECT", "0"}) + Encode({"SET", "a", "1"}) + Encode({"MULTI"}) +
                     Encode({"INCR", "a"}) + Encode({"LPUSH", "l", "x"}) + Encode({"EXEC"}) +
                     Encode({"DEL", "a"});
  for (size_t chunk : {1u, 2u, 7u, 4096u}) {
    ReadResult r = ReadAll(data, chunk);
    EXPECT_EQ(r.end, AofReader::Status::kEnd) << chunk;
    std::vector<std::string> expected = {"SELECT 0", "SET a 1", "INCR a | LPUSH l x", "DEL a"};
    EXPECT_EQ(r.units, expected) << chunk;
    EXPECT_EQ(r.good_offset, data.size());
  }
}

TEST(AofFormatTest, ReaderReportsTruncationAtTheLastCompleteUnit) {
  std::string head = Encode({"SET", "a", "1"});
  std::string tx = Encode({"MULTI"}) + Encode({"INCR", "a"}) + Encode({"EXEC"});
  std::string data = head + tx;
  // Cut inside the transaction, even after complete commands: nothing of it is applied.
  for (size_t cut = head.size() + 1; cut < data.size(); ++cut) {
    ReadResult r = ReadAll(std::string_view(data).substr(0, cut), 5);
    EXPECT_EQ(r.end, AofReader::Status::kTruncated) << cut;
    EXPECT_EQ(r.units, std::vector<std::string>{"SET a 1"}) << cut;
    EXPECT_EQ(r.good_offset, head.size()) << cut;
  }
}

TEST(AofFormatTest, ReaderReportsCorruptionWithOffsets) {
  std::string a = Encode({"SET", "a", "1"});
  std::string b = Encode({"SET", "b", "2"});
  std::string data = a + b + Encode({"SET", "c", "3"});
  data[a.size() + 5] = 'X';  // the '3' of "$3" in the second command
  ReadResult r = ReadAll(data, 3);
  EXPECT_EQ(r.end, AofReader::Status::kCorrupt);
  EXPECT_EQ(r.units, std::vector<std::string>{"SET a 1"});
  EXPECT_EQ(r.good_offset, a.size());
  EXPECT_EQ(r.bad_offset, a.size() + 5);

  ReadResult nested = ReadAll(Encode({"MULTI"}) + Encode({"MULTI"}), 64);
  EXPECT_EQ(nested.end, AofReader::Status::kCorrupt);
  EXPECT_EQ(nested.good_offset, 0u);
  ReadResult stray = ReadAll(a + Encode({"EXEC"}), 64);
  EXPECT_EQ(stray.end, AofReader::Status::kCorrupt);
  EXPECT_EQ(stray.good_offset, a.size());
}

// Whatever prefix of a log survives, reading it either ends cleanly at a unit boundary or
// reports truncation at the last complete unit, and never yields a unit that was not complete.
TEST(AofFormatTest, EveryTruncationReadsAsAPrefixOfUnits) {
  std::vector<std::string> units = {Encode({"SELECT", "0"}), Encode({"SET", "k", "v"}),
                                    Encode({"MULTI"}) + Encode({"RPUSH", "l", "a", "b"}) +
                                        Encode({"SET", "k", "w"}) + Encode({"EXEC"}),
                                    "#annotation\n", Encode({"DEL", "k"})};
  std::vector<size_t> ends;
  std::string data;
  for (const std::string& u : units) {
    data += u;
    ends.push_back(data.size());
  }
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    ReadResult r = ReadAll(std::string_view(data).substr(0, cut), 4);
    size_t complete = 0;
    size_t good = 0;
    for (size_t i = 0; i < ends.size(); ++i) {
      if (ends[i] <= cut) {
        good = ends[i];
        if (units[i][0] != '#') ++complete;
      }
    }
    EXPECT_EQ(r.units.size(), complete) << cut;
    EXPECT_EQ(r.good_offset, good) << cut;
    EXPECT_EQ(r.end, good == cut ? AofReader::Status::kEnd : AofReader::Status::kTruncated) << cut;
  }
}

TEST(AofManifestTest, RoundTripsAndNamesFiles) {
  AofManifest m;
  m.base = AofManifest::File{AofBaseFileName("appendonly.aof", 3), 3};
  m.incrs.push_back(AofManifest::File{AofIncrFileName("appendonly.aof", 5), 5});
  m.incrs.push_back(AofManifest::File{AofIncrFileName("appendonly.aof", 6), 6});
  std::string text = m.Serialize();
  EXPECT_EQ(text,
            "file appendonly.aof.3.base.aof seq 3 type b\n"
            "file appendonly.aof.5.incr.aof seq 5 type i\n"
            "file appendonly.aof.6.incr.aof seq 6 type i\n");
  AofManifest parsed;
  std::string error;
  ASSERT_TRUE(
      AofManifest::Parse("# comment\n\n" + text + "file old seq 1 type h\n", &parsed, &error))
      << error;
  EXPECT_EQ(parsed.Files(), m.Files());
  EXPECT_EQ(parsed.NextBaseSeq(), 4);
  EXPECT_EQ(parsed.NextIncrSeq(), 7);
  EXPECT_EQ(AofManifestFileName("appendonly.aof"), "appendonly.aof.manifest");
}

TEST(AofManifestTest, RefusesMalformedManifests) {
  AofManifest m;
  std::string error;
  for (std::string_view bad : {
           "",
           "file a seq 1\n",
           "file a seq x type b\n",
           "file a seq 1 type z\n",
           "file ../a seq 1 type b\n",
           "file a seq 1 type b\nfile b seq 2 type b\n",
           "file a seq 2 type i\nfile b seq 1 type i\n",
           "file a seq 1 type",
       }) {
    EXPECT_FALSE(AofManifest::Parse(bad, &m, &error)) << bad;
  }
}

}  // namespace
}  // namespace sluice
