// The request parser's number lines (multibulk counts and bulk lengths): complete lines, lines
// split across reads, signs, and the longest numbers accepted.
#include "server/protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace sluice {
namespace {

using Status = RequestParser::Status;

class RespParserTest : public ::testing::Test {
 protected:
  // Parses `input` as one read.
  Status Parse(std::string input) {
    buffer_ = std::move(input);
    consumed_ = 0;
    return parser_.Parse(buffer_.data(), buffer_.size(), &args_, &consumed_);
  }

  ParserLimits limits_;
  RequestParser parser_{&limits_};
  std::string buffer_;
  std::vector<std::string_view> args_;
  size_t consumed_ = 0;
};

TEST_F(RespParserTest, CompleteCommand) {
  ASSERT_EQ(Parse("*3\r\n$5\r\nLPUSH\r\n$2\r\nsq\r\n$10\r\n0123456789\r\nrest"), Status::kCommand);
  EXPECT_EQ(args_, (std::vector<std::string_view>{"LPUSH", "sq", "0123456789"}));
  EXPECT_EQ(consumed_, buffer_.size() - 4);
}

TEST_F(RespParserTest, NumberLinesSplitAnywhere) {
  const std::string command = "*2\r\n$3\r\nGET\r\n$12\r\nabcdefghijkl\r\n";
  for (size_t split = 0; split < command.size(); ++split) {
    RequestParser parser(&limits_);
    std::string buffer = command.substr(0, split);
    std::vector<std::string_view> args;
    size_t consumed = 0;
    Status status = parser.Parse(buffer.data(), buffer.size(), &args, &consumed);
    EXPECT_EQ(status, Status::kIncomplete) << split;
    buffer = command;
    status = parser.Parse(buffer.data(), buffer.size(), &args, &consumed);
    ASSERT_EQ(status, Status::kCommand) << split;
    EXPECT_EQ(args, (std::vector<std::string_view>{"GET", "abcdefghijkl"})) << split;
    EXPECT_EQ(consumed, command.size()) << split;
  }
}

TEST_F(RespParserTest, BadNumbers) {
  EXPECT_EQ(Parse("*1\r\n$-1\r\n"), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: invalid bulk length");
  parser_.Reset();
  EXPECT_EQ(Parse("*1\r\n$3x\r\nabc\r\n"), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: invalid bulk length");
  parser_.Reset();
  EXPECT_EQ(Parse("*1\r\n$\r\n"), Status::kError);
  parser_.Reset();
  EXPECT_EQ(Parse("*x\r\n"), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: invalid multibulk length");
  parser_.Reset();
  // As in Redis: no leading zeros, no "-0", and numbers too long for any length or count (the
  // 19-digit one would also overflow).
  for (std::string_view bad :
       {"*1\r\n$03\r\nabc\r\n", "*1\r\n$-0\r\n", "*1\r\n$0000000000000000003\r\nabc\r\n",
        "*1\r\n$9999999999999999999\r\nabc\r\n"}) {
    EXPECT_EQ(Parse(std::string(bad)), Status::kError) << bad;
    EXPECT_EQ(parser_.error(), "Protocol error: invalid bulk length") << bad;
    parser_.Reset();
  }
  EXPECT_EQ(Parse("*01\r\n$4\r\nPING\r\n"), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: invalid multibulk length");
  parser_.Reset();
  args_.clear();
  EXPECT_EQ(Parse("*1\r\n$0\r\n\r\n"), Status::kCommand);
  EXPECT_EQ(args_, (std::vector<std::string_view>{""}));
  // Empty requests (*0, *-1) are skipped.
  EXPECT_EQ(Parse("*-1\r\n"), Status::kCommand);
  EXPECT_EQ(consumed_, 5u);
}

}  // namespace
}  // namespace sluice
