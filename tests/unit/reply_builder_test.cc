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

TEST(ReplyBuilderTest, CaptureTakesAnIntegerThatIsTheWholeReply) {
  std::string out;
  ReplyBuilder reply(&out);
  ReplyBuilder::IntegerCapture capture;
  reply.StartIntegerCapture(&capture);
  reply.Integer(7);
  EXPECT_EQ(out, "");
  reply.EndIntegerCapture();
  EXPECT_TRUE(capture.captured);
  EXPECT_EQ(capture.value, 7);
  EXPECT_EQ(out, "");
  // Ended, nothing is held back.
  reply.Integer(10);
  EXPECT_EQ(out, ":10\r\n");
}

TEST(ReplyBuilderTest, AnIntegerAheadOfMoreOutputGoesBackInFront) {
  std::string out;
  ReplyBuilder reply(&out);
  ReplyBuilder::IntegerCapture capture;
  reply.StartIntegerCapture(&capture);
  reply.Integer(7);
  reply.Integer(8);  // the capture holds one value; this one is written
  reply.Bulk("x");
  reply.EndIntegerCapture();
  EXPECT_FALSE(capture.captured);
  EXPECT_EQ(out, ":7\r\n:8\r\n$1\r\nx\r\n");
}

TEST(ReplyBuilderTest, AnIntegerInsideAnAggregateIsNotCaptured) {
  std::string out;
  ReplyBuilder reply(&out);
  ReplyBuilder::IntegerCapture capture;
  reply.StartIntegerCapture(&capture);
  reply.ArrayHeader(1);
  reply.Integer(9);
  reply.EndIntegerCapture();
  EXPECT_FALSE(capture.captured);
  EXPECT_EQ(out, "*1\r\n:9\r\n");
}

}  // namespace
}  // namespace sluice
