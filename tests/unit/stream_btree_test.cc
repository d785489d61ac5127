#include "server/types/stream_btree.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace sluice {
namespace {

using Tree = BTreeMap<uint64_t, uint64_t, 8>;  // small nodes: many splits and merges

::testing::AssertionResult SameAs(const Tree& tree, const std::map<uint64_t, uint64_t>& model) {
  if (!tree.CheckInvariants()) return ::testing::AssertionFailure() << "invariants broken";
  if (tree.size() != model.size()) {
    return ::testing::AssertionFailure() << "size " << tree.size() << " vs " << model.size();
  }
  auto it = tree.Begin();
  for (const auto& [k, v] : model) {
    if (!it.valid() || it.key() != k || it.value() != v) {
      return ::testing::AssertionFailure() << "differs at key " << k;
    }
    it.Next();
  }
  if (it.valid()) return ::testing::AssertionFailure() << "extra keys";
  return ::testing::AssertionSuccess();
}

TEST(StreamBTreeTest, EmptyTree) {
  Tree tree;
  EXPECT_TRUE(tree.empty());
  EXPECT_FALSE(tree.Begin().valid());
  EXPECT_FALSE(tree.Last().valid());
  EXPECT_FALSE(tree.LowerBound(5).valid());
  EXPECT_FALSE(tree.Floor(5).valid());
  EXPECT_EQ(tree.Find(5), nullptr);
  EXPECT_FALSE(tree.Erase(5));
  EXPECT_TRUE(tree.CheckInvariants());
}

TEST(StreamBTreeTest, AppendsFillNodes) {
  Tree tree;
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(tree.Insert(i, i * 10));
  EXPECT_FALSE(tree.Insert(500, 1));  // present already: unchanged
  EXPECT_EQ(*tree.Find(500), 5000u);
  EXPECT_TRUE(tree.CheckInvariants());
  // Appending keeps every closed leaf full: 1000 keys in 8-key leaves need 125 leaves, and the
  // inner levels add a few more nodes (well under half of a half-full tree's 250 leaves).
  EXPECT_LT(tree.node_count(), 160u);
}

TEST(StreamBTreeTest, SeekAndWalk) {
  Tree tree;
  for (uint64_t i = 10; i <= 200; i += 10) tree.Insert(i, i);
  EXPECT_EQ(tree.LowerBound(15).key(), 20u);
  EXPECT_EQ(tree.LowerBound(20).key(), 20u);
  EXPECT_FALSE(tree.LowerBound(201).valid());
  EXPECT_EQ(tree.Floor(15).key(), 10u);
  EXPECT_EQ(tree.Floor(20).key(), 20u);
  EXPECT_FALSE(tree.Floor(9).valid());
  EXPECT_EQ(tree.Floor(1000).key(), 200u);
  EXPECT_EQ(tree.Begin().key(), 10u);
  EXPECT_EQ(tree.Last().key(), 200u);
  uint64_t expect = 200;
  for (auto it = tree.Last(); it.valid(); it.Prev()) {
    EXPECT_EQ(it.key(), expect);
    expect -= 10;
  }
  EXPECT_EQ(expect, 0u);
}

TEST(StreamBTreeTest, FrontErasureAsTrimming) {
  Tree tree;
  std::map<uint64_t, uint64_t> model;
  for (uint64_t i = 0; i < 2000; ++i) {
    tree.Insert(i, i);
    model[i] = i;
  }
  for (uint64_t i = 0; i < 1990; ++i) {
    ASSERT_TRUE(tree.Erase(tree.Begin().key()));
    model.erase(model.begin());
  }
  EXPECT_TRUE(SameAs(tree, model));
  // Emptied nodes were merged away: a handful of keys needs only a handful of nodes.
  EXPECT_LT(tree.node_count(), 6u);
}

TEST(StreamBTreeTest, RandomOperationsMatchStdMap) {
  std::mt19937_64 rng(42);
  Tree tree;
  std::map<uint64_t, uint64_t> model;
  for (int round = 0; round < 20000; ++round) {
    uint64_t key = rng() % 600;
    switch (rng() % 4) {
      case 0:
      case 1: {
        bool inserted = tree.Insert(key, round);
        EXPECT_EQ(inserted, model.emplace(key, round).second);
        break;
      }
      case 2:
        EXPECT_EQ(tree.Erase(key), model.erase(key) == 1);
        break;
      case 3: {
        auto it = tree.LowerBound(key);
        auto mit = model.lower_bound(key);
        ASSERT_EQ(it.valid(), mit != model.end());
        if (it.valid()) {
          EXPECT_EQ(it.key(), mit->first);
        }
        auto fl = tree.Floor(key);
        auto mfl = model.upper_bound(key);
        ASSERT_EQ(fl.valid(), mfl != model.begin());
        if (fl.valid()) {
          EXPECT_EQ(fl.key(), std::prev(mfl)->first);
        }
        break;
      }
    }
    if (round % 1000 == 0) {
      ASSERT_TRUE(SameAs(tree, model)) << "round " << round;
    }
  }
  EXPECT_TRUE(SameAs(tree, model));
  while (!model.empty()) {
    uint64_t key = model.begin()->first;
    if (rng() % 2) key = std::prev(model.end())->first;
    ASSERT_TRUE(tree.Erase(key));
    model.erase(key);
  }
  EXPECT_TRUE(SameAs(tree, model));
  EXPECT_EQ(tree.node_count(), 0u);
}

TEST(StreamBTreeTest, MoveLeavesSourceEmpty) {
  Tree a;
  for (uint64_t i = 0; i < 100; ++i) a.Insert(i, i);
  Tree b = std::move(a);
  EXPECT_EQ(b.size(), 100u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(b.CheckInvariants());
}

}  // namespace
}  // namespace sluice
