// ReplyBuilder: the wire forms of each reply kind, and the integer capture script calls use.
#include "server/protocol/reply_builder.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

TEST(ReplyBuilderTest, IntegersAndHeadersInBothProtocols) {
  std::string out;
  ReplyBuilder reply(&out);
  reply.Integer(-42);
  reply.MapHeader(2);
  reply.Null();
  EXPECT_EQ(out, ":-42\r\n*4\r\n$-1\r\n");
  out.clear();
  reply.set_resp3(true);
  reply.Integer(INT64_MIN);
  reply.MapHeader(2);
  reply.Null();
  EXPECT_EQ(out, ":-9223372036854775808\r\n%2\r\n_\r\n");
}

TEST(ReplyBuilderTest, CaptureTakesOnlyAnIntegerThatIsTheWholeReplySoFar) {
  std::string out;
  ReplyBuilder reply(&out);
  ReplyBuilder::IntegerCapture capture;
  reply.set_integer_capture(&capture);
  reply.Integer(7);
  EXPECT_TRUE(capture.captured);
  EXPECT_EQ(capture.value, 7);
  EXPECT_EQ(out, "");
  // A second integer is written: the capture holds one value.
  reply.Integer(8);
  EXPECT_EQ(out, ":8\r\n");
  EXPECT_EQ(capture.value, 7);

  // An integer inside an aggregate is written where it belongs.
  out.clear();
  ReplyBuilder::IntegerCapture inner;
  reply.set_integer_capture(&inner);
  reply.ArrayHeader(1);
  reply.Integer(9);
  EXPECT_FALSE(inner.captured);
  EXPECT_EQ(out, "*1\r\n:9\r\n");

  // Without a capture nothing is held back.
  out.clear();
  reply.set_integer_capture(nullptr);
  reply.Integer(10);
  EXPECT_EQ(out, ":10\r\n");
}

}  // namespace
}  // namespace sluice
