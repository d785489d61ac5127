// The queue data structure on its own: placement by state, delivery order, groups, timers' due
// times, copies, and the memory a queued message costs.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/types/queue.h"

namespace sluice {
namespace {

constexpr int64_t kT0 = 1700000000000;

QueueMessage* AddPlain(Queue& q, uint64_t seq, std::string_view payload, uint8_t priority = 0) {
  QueueAddSpec spec;
  spec.id = StreamID{static_cast<uint64_t>(kT0), seq};
  spec.payload = payload;
  spec.priority = priority;
  return q.Add(spec, kT0);
}

TEST(QueueTypeTest, PlainMessagesCostAtMost120Bytes) {
  Queue q;
  constexpr size_t kCount = 100000;
  size_t empty = q.MemoryUsage();
  std::string payload(64, 'x');
  for (size_t i = 0; i < kCount; ++i) AddPlain(q, i, payload);
  size_t per_message = (q.MemoryUsage() - empty) / kCount;
  EXPECT_LE(per_message, 120u);
  EXPECT_GE(per_message, 64u) << "the payload itself is counted";
  EXPECT_EQ(q.ready(), kCount);
}

TEST(QueueTypeTest, DeliveryOrderMergesPlainAndReturnedMessages) {
  Queue q;
  QueueMessage* a = AddPlain(q, 1, "a");
  AddPlain(q, 2, "b");
  AddPlain(q, 3, "hi", 7);
  EXPECT_EQ(q.NextReady()->payload(), "hi");
  q.Lease(q.NextReady(), kT0 + 10, "c");
  EXPECT_EQ(q.NextReady(), a);
  q.Lease(a, kT0 + 10, "c");
  EXPECT_EQ(q.Deliveries(a), 1u);
  EXPECT_EQ(q.inflight(), 2u);
  // a comes back available at kT0 + 5: after b (available at kT0).
  q.Retry(a, kT0 + 5, nullptr, kT0 + 6);
  std::vector<std::string> order;
  q.ForEachReady([&](QueueMessage* m) {
    order.emplace_back(m->payload());
    return true;
  });
  EXPECT_EQ(order, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(q.Find(a->id), a);
  EXPECT_EQ(q.Find(StreamID{static_cast<uint64_t>(kT0), 2})->payload(), "b");
  EXPECT_EQ(q.Find(StreamID{1, 1}), nullptr);
}

TEST(QueueTypeTest, DelayedMessagesAreDueAtTheirTime) {
  Queue q;
  QueueAddSpec spec;
  spec.id = StreamID{static_cast<uint64_t>(kT0), 0};
  spec.payload = "d";
  spec.avail = kT0 + 100;
  QueueMessage* m = q.Add(spec, kT0);
  EXPECT_EQ(m->state, QueueState::kDelayed);
  EXPECT_EQ(q.NextDue(), kT0 + 100);
  EXPECT_EQ(q.PromoteDue(kT0 + 99), 0u);
  EXPECT_EQ(q.PromoteDue(kT0 + 100), 1u);
  EXPECT_EQ(m->state, QueueState::kReady);
  EXPECT_EQ(q.NextDue(), 0);
}

TEST(QueueTypeTest, LeaseAndExpiryDueTimes) {
  Queue q;
  q.config().retention_ms = 1000;
  QueueMessage* m = AddPlain(q, 0, "x");
  EXPECT_EQ(q.NextDue(), kT0 + 1000);
  q.Lease(m, kT0 + 300, "c");
  EXPECT_EQ(q.NextDue(), kT0 + 300);
  EXPECT_EQ(q.DueLease(kT0 + 299), nullptr);
  EXPECT_EQ(q.DueLease(kT0 + 300), m);
  q.Extend(m, kT0 + 2000);
  EXPECT_EQ(q.NextDue(), kT0 + 1000);
  EXPECT_EQ(q.DueExpiry(kT0 + 1000), m);
  q.MarkExpired(m);
  EXPECT_EQ(q.DueExpiry(kT0 + 1000), nullptr);
  EXPECT_EQ(q.NextDue(), kT0 + 2000);
}

TEST(QueueTypeTest, GroupsHoldBackLaterMessages) {
  Queue q;
  QueueAddSpec spec;
  spec.group = "g";
  std::vector<QueueMessage*> msgs;
  for (uint64_t i = 0; i < 3; ++i) {
    spec.id = StreamID{static_cast<uint64_t>(kT0), i};
    spec.payload = "m";
    msgs.push_back(q.Add(spec, kT0));
  }
  EXPECT_EQ(q.ready(), 1u);
  EXPECT_EQ(q.waiting(), 2u);
  EXPECT_EQ(msgs[1]->state, QueueState::kWaiting);
  q.Lease(msgs[0], kT0 + 10, "c");
  EXPECT_EQ(q.NextReady(), nullptr);
  q.Remove(msgs[1], kT0);  // a waiting message leaves without disturbing the head
  EXPECT_EQ(q.NextReady(), nullptr);
  q.Remove(msgs[0], kT0);
  EXPECT_EQ(q.NextReady(), msgs[2]);
  q.Remove(msgs[2], kT0);
  EXPECT_EQ(q.total(), 0u);
}

TEST(QueueTypeTest, PurgeSparesInFlight) {
  Queue q;
  QueueMessage* a = AddPlain(q, 0, "a");
  AddPlain(q, 1, "b");
  q.Lease(a, kT0 + 10, "c");
  EXPECT_EQ(q.Purge(kT0), 1u);
  EXPECT_EQ(q.total(), 1u);
  EXPECT_EQ(q.inflight(), 1u);
}

TEST(QueueTypeTest, CloneCopiesEveryState) {
  Queue q;
  q.config().visibility_ms = 1234;
  QueueMessage* a = AddPlain(q, 0, "a");
  AddPlain(q, 1, "b", 4);
  q.Lease(a, kT0 + 10, "c");
  q.Bind("chan");
  q.RecordDedup("d", a->id, kT0);
  std::unique_ptr<Collection> copy = q.Clone();
  auto* c = static_cast<Queue*>(copy.get());
  EXPECT_EQ(c->config().visibility_ms, 1234);
  EXPECT_EQ(c->total(), 2u);
  EXPECT_EQ(c->inflight(), 1u);
  EXPECT_EQ(c->MetaOf(c->Find(a->id))->consumer, "c");
  EXPECT_EQ(c->NextReady()->payload(), "b");
  EXPECT_EQ(c->bindings(), std::vector<std::string>{"chan"});
  EXPECT_NE(c->FindDedup("d", kT0), nullptr);
  EXPECT_EQ(c->last_id(), q.last_id());
}

TEST(QueueTypeTest, RegistrySchedulesQueuesByDueTime) {
  QueueRegistry registry;
  QueueRegistry* previous = QueueRegistry::Current();
  QueueRegistry::SetCurrent(&registry);
  {
    Queue q;
    QueueAddSpec spec;
    spec.id = StreamID{static_cast<uint64_t>(kT0), 0};
    spec.avail = kT0 + 50;
    q.Add(spec, kT0);
    EXPECT_EQ(registry.EarliestDue(), kT0 + 50);
    EXPECT_TRUE(registry.TakeDue(kT0 + 49).empty());
    std::vector<Queue*> due = registry.TakeDue(kT0 + 50);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0], &q);
    EXPECT_EQ(registry.EarliestDue(), 0);
    q.Rearm();
    EXPECT_EQ(registry.EarliestDue(), kT0 + 50);
  }
  EXPECT_EQ(registry.EarliestDue(), 0) << "a destroyed queue leaves the schedule";
  EXPECT_EQ(registry.size(), 0u);
  QueueRegistry::SetCurrent(previous);
}

TEST(QueueTypeTest, NextIdFollowsTheClockAndNeverGoesBack) {
  Queue q;
  StreamID id;
  ASSERT_TRUE(q.NextId(kT0, &id));
  EXPECT_EQ(id, (StreamID{static_cast<uint64_t>(kT0), 0}));
  q.set_last_id(id);
  ASSERT_TRUE(q.NextId(kT0 - 5, &id));
  EXPECT_EQ(id, (StreamID{static_cast<uint64_t>(kT0), 1}));
  q.set_last_id(StreamID::Max());
  EXPECT_FALSE(q.NextId(kT0, &id));
}

}  // namespace
}  // namespace sluice
