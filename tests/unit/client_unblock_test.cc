#include <string>

#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

class ClientUnblockTest : public ServerTest {};

TEST_F(ClientUnblockTest, UnblockAsTimeoutOrError) {
  Session* waiter = NewClient();
  std::string id = std::to_string(waiter->id());
  Send(waiter, {"BLPOP", "q", "0"});
  EXPECT_TRUE(TakeReplies(waiter).empty());
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id}), 1);
  auto replies = TakeReplies(waiter);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].is_null());
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id}), 0);  // no longer blocked

  Send(waiter, {"BRPOP", "q", "0"});
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "ERROR"}), 1);
  replies = TakeReplies(waiter);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(ErrorStartsWith(replies[0], "UNBLOCKED"));
  // The unblocked client is a normal client again: a later push is not delivered to it.
  EXPECT_EQ(Run({"LPUSH", "q", "x"}), 1);
  EXPECT_TRUE(TakeReplies(waiter).empty());
}

TEST_F(ClientUnblockTest, Errors) {
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "UNBLOCK", "abc"}), "ERR value is not an integer"));
  EXPECT_TRUE(ErrorStartsWith(Run({"CLIENT", "UNBLOCK", "1", "LATER"}),
                              "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", "999999"}), 0);
}

}  // namespace
}  // namespace sluice::testing
