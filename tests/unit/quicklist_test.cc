// Unit tests for sluice::QuickList: Redis list semantics of every operation checked against a
// std::deque model, the listpack/quicklist encoding rules, and the per-element memory cost.

#include "server/types/quicklist.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "server/util/sanitizer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

using sluice::QuickList;
using Model = std::deque<std::string>;

// --- Reference semantics, written as directly from the Redis documentation as possible. -------

bool ModelIndex(const Model& m, long idx, std::string* out) {
  const long n = static_cast<long>(m.size());
  if (idx < 0) idx += n;
  if (idx < 0 || idx >= n) return false;
  *out = m[idx];
  return true;
}

bool ModelSet(Model& m, long idx, const std::string& v) {
  const long n = static_cast<long>(m.size());
  if (idx < 0) idx += n;
  if (idx < 0 || idx >= n) return false;
  m[idx] = v;
  return true;
}

// Normalised inclusive [start, stop], or false when the range is empty.
bool ModelNormalise(long n, long* start, long* stop) {
  if (*start < 0) *start += n;
  if (*stop < 0) *stop += n;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= n) return false;
  if (*stop >= n) *stop = n - 1;
  return true;
}

std::vector<std::string> ModelRange(const Model& m, long start, long stop) {
  std::vector<std::string> out;
  if (!ModelNormalise(static_cast<long>(m.size()), &start, &stop)) return out;
  for (long i = start; i <= stop; ++i) out.push_back(m[i]);
  return out;
}

void ModelTrim(Model& m, long start, long stop) {
  if (!ModelNormalise(static_cast<long>(m.size()), &start, &stop)) {
    m.clear();
    return;
  }
  m = Model(m.begin() + start, m.begin() + stop + 1);
}

long ModelInsert(Model& m, const std::string& pivot, const std::string& v, bool before) {
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == pivot) {
      m.insert(m.begin() + static_cast<long>(before ? i : i + 1), v);
      return static_cast<long>(m.size());
    }
  }
  return -1;
}

long ModelRemove(Model& m, const std::string& v, long count) {
  long removed = 0;
  if (count >= 0) {
    for (size_t i = 0; i < m.size();) {
      if (m[i] == v && (count == 0 || removed < count)) {
        m.erase(m.begin() + static_cast<long>(i));
        ++removed;
      } else {
        ++i;
      }
    }
  } else {
    for (long i = static_cast<long>(m.size()) - 1; i >= 0; --i) {
      if (m[i] == v && removed < -count) {
        m.erase(m.begin() + i);
        ++removed;
      }
    }
  }
  return removed;
}

std::vector<long> ModelPos(const Model& m, const std::string& v, long rank, long count,
                           long maxlen) {
  std::vector<long> out;
  const long n = static_cast<long>(m.size());
  long skip = rank > 0 ? rank - 1 : (rank == LONG_MIN ? LONG_MAX : -rank - 1);
  if (rank == 0) skip = 0;
  long scanned = 0;
  for (long k = 0; k < n; ++k) {
    if (maxlen > 0 && scanned >= maxlen) break;
    ++scanned;
    const long i = rank < 0 ? n - 1 - k : k;
    if (m[i] != v) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    out.push_back(i);
    if (count > 0 && static_cast<long>(out.size()) >= count) break;
  }
  return out;
}

std::vector<std::string> ToVec(const Model& m) { return {m.begin(), m.end()}; }

// prefix + number. (Spelled out because GCC 12 at -O3 warns falsely on "literal" + std::string.)
std::string Tag(const char* prefix, long n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

std::vector<std::string> Reversed(const QuickList& ql) {
  std::vector<std::string> out;
  ql.ReverseForEach([&](std::string_view v) { out.emplace_back(v); });
  return out;
}

std::vector<std::string> RangeOf(const QuickList& ql, long start, long stop) {
  std::vector<std::string> out;
  ql.Range(start, stop, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

// --- Value generation ---------------------------------------------------------------------------

const std::vector<std::string>& Canonical() {
  static const std::vector<std::string> v = {"0",
                                             "1",
                                             "47",
                                             "48",
                                             "-1",
                                             "127",
                                             "128",
                                             "-128",
                                             "-129",
                                             "32767",
                                             "32768",
                                             "-32768",
                                             "-32769",
                                             "8388607",
                                             "8388608",
                                             "-8388608",
                                             "-8388609",
                                             "2147483647",
                                             "2147483648",
                                             "-2147483648",
                                             "-2147483649",
                                             "1700000000000",
                                             "9223372036854775807",
                                             "-9223372036854775808"};
  return v;
}

const std::vector<std::string>& NonCanonical() {
  static const std::vector<std::string> v = {"007",
                                             "-0",
                                             "+5",
                                             " 5",
                                             "5 ",
                                             "00",
                                             "1e3",
                                             "0x10",
                                             "--1",
                                             "-",
                                             "9223372036854775808",
                                             "-9223372036854775809",
                                             "12345678901234567890"};
  return v;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0 : rng());
  return s;
}

std::string RandomValue(std::mt19937_64& rng) {
  switch (rng() % 20) {
    case 0:
      return "";
    case 1:
      return std::string("a\0b", 3);
    case 2:
      return Canonical()[rng() % Canonical().size()];
    case 3:
      return NonCanonical()[rng() % NonCanonical().size()];
    case 4:
      return std::to_string(static_cast<long>(rng() % 300) - 150);
    case 5:
      return RandomBytes(rng, 100 + rng() % 200);
    case 6:
      // Occasionally larger than any node budget, or around the header size boundaries.
      switch (rng() % 16) {
        case 0:
          return std::string(9000, 'L');
        case 1:
          return std::string(16383 + rng() % 3, 'H');
        case 2:
          return RandomBytes(rng, 127 + rng() % 3);
        default:
          return RandomBytes(rng, 20 + rng() % 40);
      }
    case 7:
      return std::string(64, static_cast<char>('a' + rng() % 3));
    default:
      return Tag("v", static_cast<long>(rng() % 12));
  }
}

long RandomIndex(std::mt19937_64& rng, size_t size) {
  const long n = static_cast<long>(size);
  switch (rng() % 20) {
    case 0:
      return LONG_MIN;
    case 1:
      return LONG_MAX;
    default:
      return static_cast<long>(rng() % (2 * n + 7)) - n - 3;
  }
}

// Picks an element already in the list most of the time, so searches find something.
std::string PickValue(std::mt19937_64& rng, const Model& m) {
  if (!m.empty() && rng() % 4 != 0) return m[rng() % m.size()];
  return RandomValue(rng);
}

void RunRandomOps(int fill, uint64_t seed, int ops) {
  SCOPED_TRACE(Tag("fill=", fill) + Tag(" seed=", static_cast<long>(seed)));
  std::mt19937_64 rng(seed);
  QuickList ql(fill);
  Model m;
  size_t max_nodes = 0, max_size = 0;
  for (int step = 0; step < ops; ++step) {
    SCOPED_TRACE(Tag("step=", step));
    const unsigned op = rng() % 100;
    std::string a, b;
    if (op < 2) {
      // Bursts keep the list long enough to span many nodes.
      const bool front = rng() % 2;
      for (int k = static_cast<int>(rng() % 200); k >= 0; --k) {
        const std::string v = RandomValue(rng);
        if (front) {
          ql.PushFront(v);
          m.push_front(v);
        } else {
          ql.PushBack(v);
          m.push_back(v);
        }
      }
    } else if (op < 22) {
      const std::string v = RandomValue(rng);
      ql.PushBack(v);
      m.push_back(v);
    } else if (op < 40) {
      const std::string v = RandomValue(rng);
      ql.PushFront(v);
      m.push_front(v);
    } else if (op < 46) {
      const bool ok = ql.PopFront(&a);
      ASSERT_EQ(ok, !m.empty());
      if (ok) {
        ASSERT_EQ(a, m.front());
        m.pop_front();
      }
    } else if (op < 52) {
      const bool ok = ql.PopBack(&a);
      ASSERT_EQ(ok, !m.empty());
      if (ok) {
        ASSERT_EQ(a, m.back());
        m.pop_back();
      }
    } else if (op < 60) {
      const long idx = RandomIndex(rng, m.size());
      const bool ok = ql.Index(idx, &a);
      ASSERT_EQ(ok, ModelIndex(m, idx, &b)) << idx;
      if (ok) {
        ASSERT_EQ(a, b);
      }
    } else if (op < 67) {
      const long idx = RandomIndex(rng, m.size());
      const std::string v = RandomValue(rng);
      ASSERT_EQ(ql.Set(idx, v), ModelSet(m, idx, v)) << idx;
    } else if (op < 74) {
      const std::string pivot = PickValue(rng, m);
      const std::string v = RandomValue(rng);
      const bool before = rng() % 2;
      ASSERT_EQ(ql.Insert(pivot, v, before), ModelInsert(m, pivot, v, before));
    } else if (op < 78) {
      const std::string v = PickValue(rng, m);
      const long count = static_cast<long>(rng() % 7) - 3;
      ASSERT_EQ(ql.Remove(v, count), ModelRemove(m, v, count));
    } else if (op < 80) {
      long start, stop;
      if (rng() % 4) {
        // Mostly-keeping trims, as a capped queue does.
        start = static_cast<long>(rng() % 4);
        stop = -1 - static_cast<long>(rng() % 4);
      } else {
        start = RandomIndex(rng, m.size());
        stop = RandomIndex(rng, m.size());
      }
      ql.Trim(start, stop);
      ModelTrim(m, start, stop);
    } else if (op < 88) {
      const long start = RandomIndex(rng, m.size());
      const long stop = rng() % 3 && start < LONG_MAX - 40 ? start + static_cast<long>(rng() % 40)
                                                           : RandomIndex(rng, m.size());
      ASSERT_EQ(RangeOf(ql, start, stop), ModelRange(m, start, stop)) << start << " " << stop;
    } else if (op < 94) {
      const std::string v = PickValue(rng, m);
      long rank = static_cast<long>(rng() % 7) - 3;
      if (rank == 0) rank = 1;
      const long count = static_cast<long>(rng() % 4);
      const long maxlen = rng() % 2 ? 0 : static_cast<long>(rng() % (m.size() + 2));
      ASSERT_EQ(ql.Pos(v, rank, count, maxlen), ModelPos(m, v, rank, count, maxlen));
    } else if (op < 96) {
      // Walk a few steps both ways from a random position.
      const long idx = RandomIndex(rng, m.size());
      QuickList::Iterator it = ql.At(idx);
      long i = idx < 0 ? idx + static_cast<long>(m.size()) : idx;
      ASSERT_EQ(it.Valid(), i >= 0 && i < static_cast<long>(m.size()));
      const bool forward = rng() % 2;
      for (int k = 0; k < 30 && it.Valid(); ++k) {
        ASSERT_EQ(it.value(), m[i]);
        if (forward) {
          it.Next();
          ++i;
        } else {
          it.Prev();
          --i;
        }
      }
      if (!it.Valid()) {
        ASSERT_TRUE(i < 0 || i >= static_cast<long>(m.size()));
      }
    } else if (op < 97) {
      QuickList copy = ql.Clone();
      ASSERT_TRUE(copy.Verify());
      ASSERT_EQ(copy.ToVector(), ToVec(m));
      ASSERT_EQ(copy.Encoding(), ql.Encoding());
      QuickList moved(std::move(copy));
      ASSERT_EQ(moved.size(), m.size());
      ASSERT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
      ql = std::move(moved);
    } else {
      ASSERT_EQ(Reversed(ql), std::vector<std::string>(m.rbegin(), m.rend()));
    }
    ASSERT_EQ(ql.size(), m.size());
    ASSERT_EQ(ql.empty(), m.empty());
    max_nodes = std::max(max_nodes, ql.node_count());
    max_size = std::max(max_size, ql.size());
    if (step % 64 == 0 || step == ops - 1) {
      ASSERT_TRUE(ql.Verify());
      ASSERT_EQ(ql.ToVector(), ToVec(m));
    }
  }
  // The run must actually have spanned several nodes (64 KiB nodes hold most of the list).
  EXPECT_GT(max_nodes, fill < -2 ? 1u : 3u);
  EXPECT_GT(max_size, 500u);
}

// --- Random differential tests -------------------------------------------------------------------

TEST(QuickList, RandomOpsCountLimitedNodes) {
  for (int fill : {0, 1, 2, 3, 4, 7, 16}) {
    RunRandomOps(fill, 1000 + fill, 4000);
    if (HasFatalFailure()) return;
  }
}

TEST(QuickList, RandomOpsSizeLimitedNodes) {
  for (int fill : {-1, -2, -5}) {
    RunRandomOps(fill, 2000 - fill, 6000);
    if (HasFatalFailure()) return;
  }
}

TEST(QuickList, RandomOpsManySeeds) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    RunRandomOps(static_cast<int>(seed % 5) + 1, seed, 2500);
    if (HasFatalFailure()) return;
  }
}

// --- Basic operations and index semantics --------------------------------------------------------

TEST(QuickList, EmptyList) {
  QuickList ql(-2);
  std::string out = "untouched";
  EXPECT_TRUE(ql.empty());
  EXPECT_EQ(ql.size(), 0u);
  EXPECT_EQ(ql.node_count(), 0u);
  EXPECT_FALSE(ql.PopFront(&out));
  EXPECT_FALSE(ql.PopBack(&out));
  EXPECT_FALSE(ql.Index(0, &out));
  EXPECT_FALSE(ql.Index(-1, &out));
  EXPECT_EQ(out, "untouched");
  EXPECT_FALSE(ql.Set(0, "x"));
  EXPECT_EQ(ql.Insert("p", "x", true), -1);
  EXPECT_EQ(ql.Remove("x", 0), 0);
  EXPECT_TRUE(ql.Pos("x").empty());
  EXPECT_TRUE(RangeOf(ql, 0, -1).empty());
  EXPECT_FALSE(ql.Front().Valid());
  EXPECT_FALSE(ql.Back().Valid());
  EXPECT_FALSE(ql.At(0).Valid());
  ql.Trim(0, -1);
  EXPECT_TRUE(ql.Verify());
  EXPECT_EQ(ql.Encoding(), "listpack");
}

TEST(QuickList, PushPopBothEnds) {
  QuickList ql(3);
  for (int i = 0; i < 10; ++i) ql.PushBack(Tag("b", i));
  for (int i = 0; i < 10; ++i) ql.PushFront(Tag("f", i));
  EXPECT_EQ(ql.size(), 20u);
  EXPECT_GE(ql.node_count(), 7u);
  EXPECT_TRUE(ql.Verify());
  std::string out;
  for (int i = 9; i >= 0; --i) {
    ASSERT_TRUE(ql.PopFront(&out));
    EXPECT_EQ(out, Tag("f", i));
  }
  for (int i = 9; i >= 0; --i) {
    ASSERT_TRUE(ql.PopBack(&out));
    EXPECT_EQ(out, Tag("b", i));
  }
  EXPECT_TRUE(ql.empty());
  EXPECT_EQ(ql.node_count(), 0u);
  EXPECT_EQ(ql.bytes(), 0u);
  ql.PushBack("x");
  EXPECT_TRUE(ql.PopFront(nullptr));
  EXPECT_TRUE(ql.Verify());
}

TEST(QuickList, IndexSemantics) {
  QuickList ql(2);
  for (int i = 0; i < 9; ++i) ql.PushBack(std::to_string(i * 10));
  std::string out;
  EXPECT_TRUE(ql.Index(0, &out));
  EXPECT_EQ(out, "0");
  EXPECT_TRUE(ql.Index(8, &out));
  EXPECT_EQ(out, "80");
  EXPECT_TRUE(ql.Index(-1, &out));
  EXPECT_EQ(out, "80");
  EXPECT_TRUE(ql.Index(-9, &out));
  EXPECT_EQ(out, "0");
  EXPECT_TRUE(ql.Index(5, &out));
  EXPECT_EQ(out, "50");
  EXPECT_TRUE(ql.Index(-4, &out));
  EXPECT_EQ(out, "50");
  EXPECT_FALSE(ql.Index(9, &out));
  EXPECT_FALSE(ql.Index(-10, &out));
  EXPECT_FALSE(ql.Index(LONG_MAX, &out));
  EXPECT_FALSE(ql.Index(LONG_MIN, &out));
  EXPECT_TRUE(ql.Index(3, nullptr));
}

TEST(QuickList, SetSemantics) {
  QuickList ql(2);
  for (int i = 0; i < 5; ++i) ql.PushBack(Tag("e", i));
  EXPECT_TRUE(ql.Set(0, "first"));
  EXPECT_TRUE(ql.Set(-1, "last"));
  EXPECT_TRUE(ql.Set(2, std::string(10000, 'z')));  // bigger than a node may hold
  EXPECT_TRUE(ql.Set(-4, ""));
  EXPECT_FALSE(ql.Set(5, "x"));
  EXPECT_FALSE(ql.Set(-6, "x"));
  EXPECT_FALSE(ql.Set(LONG_MIN, "x"));
  EXPECT_TRUE(ql.Verify());
  EXPECT_EQ(ql.ToVector(),
            (std::vector<std::string>{"first", "", std::string(10000, 'z'), "e3", "last"}));
  EXPECT_TRUE(ql.Set(2, "small"));
  EXPECT_TRUE(ql.Verify());
  EXPECT_EQ(ql.ToVector(), (std::vector<std::string>{"first", "", "small", "e3", "last"}));
}

TEST(QuickList, SetGrowingSplitsFullNode) {
  QuickList ql(-1);
  for (int i = 0; i < 200; ++i) ql.PushBack(std::string(40, 'a' + i % 26));
  Model m;
  ql.ForEach([&](std::string_view v) { m.emplace_back(v); });
  // Grow elements in the middle of full nodes until they no longer fit.
  for (int i = 0; i < 200; i += 7) {
    const std::string v(900, 'A' + i % 26);
    ASSERT_TRUE(ql.Set(i, v));
    m[i] = v;
    ASSERT_TRUE(ql.Verify()) << i;
  }
  EXPECT_EQ(ql.ToVector(), ToVec(m));
}

TEST(QuickList, InsertSemantics) {
  QuickList ql(3);
  for (const char* v : {"a", "b", "c", "b", "d"}) ql.PushBack(v);
  EXPECT_EQ(ql.Insert("b", "x", true), 6);  // first occurrence from the head
  EXPECT_EQ(ql.Insert("b", "y", false), 7);
  EXPECT_EQ(ql.Insert("a", "head", true), 8);
  EXPECT_EQ(ql.Insert("d", "tail", false), 9);
  EXPECT_EQ(ql.Insert("missing", "z", true), -1);
  EXPECT_EQ(ql.Insert("", "z", true), -1);
  EXPECT_TRUE(ql.Verify());
  EXPECT_EQ(ql.ToVector(),
            (std::vector<std::string>{"head", "a", "x", "b", "y", "c", "b", "d", "tail"}));
}

TEST(QuickList, InsertIntoFullNodesAcrossBoundaries) {
  for (int fill : {1, 2, 3, -1}) {
    QuickList ql(fill);
    Model m;
    for (int i = 0; i < 60; ++i) {
      ql.PushBack(Tag("k", i));
      m.push_back(Tag("k", i));
    }
    std::mt19937_64 rng(fill + 77);
    for (int k = 0; k < 300; ++k) {
      const std::string pivot = m[rng() % m.size()];
      const std::string v = k % 5 == 0 ? std::string(3000, 'q') : Tag("n", k);
      const bool before = rng() % 2;
      ASSERT_EQ(ql.Insert(pivot, v, before), ModelInsert(m, pivot, v, before));
      ASSERT_TRUE(ql.Verify()) << "fill " << fill << " step " << k;
    }
    EXPECT_EQ(ql.ToVector(), ToVec(m));
  }
}

TEST(QuickList, RemoveSemantics) {
  auto make = [] {
    QuickList ql(2);
    for (const char* v : {"x", "a", "x", "b", "x", "c", "x"}) ql.PushBack(v);
    return ql;
  };
  {
    QuickList ql = make();
    EXPECT_EQ(ql.Remove("x", 2), 2);
    EXPECT_EQ(ql.ToVector(), (std::vector<std::string>{"a", "b", "x", "c", "x"}));
  }
  {
    QuickList ql = make();
    EXPECT_EQ(ql.Remove("x", -3), 3);
    EXPECT_EQ(ql.ToVector(), (std::vector<std::string>{"x", "a", "b", "c"}));
  }
  {
    QuickList ql = make();
    EXPECT_EQ(ql.Remove("x", 0), 4);
    EXPECT_EQ(ql.ToVector(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(ql.Verify());
  }
  {
    QuickList ql = make();
    EXPECT_EQ(ql.Remove("x", LONG_MIN), 4);
    EXPECT_EQ(ql.Remove("x", LONG_MAX), 0);
    EXPECT_EQ(ql.Remove("nope", 0), 0);
    EXPECT_EQ(ql.size(), 3u);
  }
}

TEST(QuickList, RemoveMergesSparseNodes) {
  QuickList ql(8);
  for (int i = 0; i < 1000; ++i) ql.PushBack(i % 2 ? "y" : "x");
  EXPECT_EQ(ql.node_count(), 125u);
  EXPECT_EQ(ql.Remove("y", 0), 500);
  EXPECT_TRUE(ql.Verify());
  EXPECT_LE(ql.node_count(), 70u);
  EXPECT_EQ(ql.Pos("y").size(), 0u);
  EXPECT_EQ(ql.Pos("x", 1, 0).size(), 500u);
}

TEST(QuickList, TrimSemantics) {
  const std::vector<std::pair<long, long>> cases = {
      {0, -1},       {0, 0},   {-1, -1},       {2, 4},      {4, 2},   {-3, -1},
      {-100, 2},     {3, 100}, {10, 20},       {-100, -50}, {0, -11}, {LONG_MIN, LONG_MAX},
      {LONG_MAX, 0}, {1, -2},  {LONG_MIN, -1}, {5, 5}};
  for (int fill : {1, 3, -2}) {
    for (auto [start, stop] : cases) {
      QuickList ql(fill);
      Model m;
      for (int i = 0; i < 10; ++i) {
        ql.PushBack(Tag("t", i));
        m.push_back(Tag("t", i));
      }
      ql.Trim(start, stop);
      ModelTrim(m, start, stop);
      EXPECT_EQ(ql.ToVector(), ToVec(m)) << start << " " << stop;
      EXPECT_TRUE(ql.Verify());
    }
  }
}

TEST(QuickList, RangeSemantics) {
  QuickList ql(3);
  Model m;
  for (int i = 0; i < 20; ++i) {
    ql.PushBack(std::to_string(i));
    m.push_back(std::to_string(i));
  }
  for (long start = -25; start <= 25; ++start) {
    for (long stop = -25; stop <= 25; ++stop) {
      ASSERT_EQ(RangeOf(ql, start, stop), ModelRange(m, start, stop)) << start << " " << stop;
    }
  }
  EXPECT_EQ(RangeOf(ql, LONG_MIN, LONG_MAX), ToVec(m));
  EXPECT_TRUE(RangeOf(ql, LONG_MAX, LONG_MIN).empty());
  // A callback returning false stops the walk.
  int seen = 0;
  ql.Range(0, -1, [&](std::string_view) { return ++seen < 5; });
  EXPECT_EQ(seen, 5);
}

TEST(QuickList, PosSemantics) {
  QuickList ql(2);
  for (const char* v : {"a", "b", "c", "1", "2", "3", "c", "c"}) ql.PushBack(v);
  EXPECT_EQ(ql.Pos("c"), (std::vector<long>{2}));
  EXPECT_EQ(ql.Pos("c", 2), (std::vector<long>{6}));
  EXPECT_EQ(ql.Pos("c", -1), (std::vector<long>{7}));
  EXPECT_EQ(ql.Pos("c", -3), (std::vector<long>{2}));
  EXPECT_TRUE(ql.Pos("c", 4).empty());
  EXPECT_TRUE(ql.Pos("c", -4).empty());
  EXPECT_EQ(ql.Pos("c", 1, 0), (std::vector<long>{2, 6, 7}));
  EXPECT_EQ(ql.Pos("c", -1, 0), (std::vector<long>{7, 6, 2}));
  EXPECT_EQ(ql.Pos("c", 2, 0), (std::vector<long>{6, 7}));
  EXPECT_EQ(ql.Pos("c", 1, 2), (std::vector<long>{2, 6}));
  EXPECT_EQ(ql.Pos("c", 1, 0, 3), (std::vector<long>{2}));
  EXPECT_TRUE(ql.Pos("c", 1, 0, 2).empty());
  EXPECT_EQ(ql.Pos("c", -1, 0, 2), (std::vector<long>{7, 6}));
  EXPECT_TRUE(ql.Pos("c", LONG_MIN, 0).empty());
  EXPECT_EQ(ql.Pos("2"), (std::vector<long>{4}));
  EXPECT_TRUE(ql.Pos("02").empty());
  EXPECT_TRUE(ql.Pos("z", 1, 0).empty());
}

// --- Values -----------------------------------------------------------------------------------

TEST(QuickList, BinarySafeValues) {
  const std::vector<std::string> values = {
      "",
      std::string(1, '\0'),
      std::string("\0\0\0", 3),
      std::string("key\0value", 9),
      std::string("\xff\x80\x7f\xc0\xf5", 5),
      std::string(127, '\0'),
      std::string(128, '\xff'),
      std::string(16383, 's'),
      std::string(16384, 't'),
      std::string(9000, 'u'),   // over the 8 KiB node budget
      std::string(70000, 'v'),  // over the largest budget
      std::string(1 << 20, 'w'),
      std::string(3 << 20, 'W'),  // three-byte backlen
  };
  for (int fill : {1, -2, -5}) {
    QuickList ql(fill);
    for (const auto& v : values) {
      ql.PushBack(v);
      ql.PushFront(v);
    }
    ASSERT_TRUE(ql.Verify());
    for (size_t i = 0; i < values.size(); ++i) {
      std::string out;
      ASSERT_TRUE(ql.Index(static_cast<long>(values.size() + i), &out));
      EXPECT_EQ(out, values[i]);
      ASSERT_TRUE(ql.Index(static_cast<long>(values.size() - 1 - i), &out));
      EXPECT_EQ(out, values[i]);
      EXPECT_EQ(ql.Pos(values[i], 1, 0).size(), 2u);
    }
    EXPECT_EQ(ql.Remove(std::string(9000, 'u'), 0), 2);
    EXPECT_EQ(ql.Remove("", -1), 1);
    EXPECT_TRUE(ql.Verify());
    EXPECT_EQ(ql.size(), 2 * values.size() - 3);
  }
}

TEST(QuickList, IntegerLikeValuesRoundTrip) {
  QuickList ql(4);
  Model m;
  for (const auto& v : Canonical()) {
    ql.PushBack(v);
    m.push_back(v);
  }
  for (const auto& v : NonCanonical()) {
    ql.PushBack(v);
    m.push_back(v);
  }
  for (long i = -100; i <= 100; ++i) {
    ql.PushFront(std::to_string(i));
    m.push_front(std::to_string(i));
  }
  ASSERT_TRUE(ql.Verify());
  EXPECT_EQ(ql.ToVector(), ToVec(m));
  // Equal strings match, equal numbers written differently do not.
  EXPECT_EQ(ql.Remove("5", 0), 1);
  EXPECT_EQ(ql.Remove("007", 0), 1);
  EXPECT_EQ(ql.Remove("7", 0), 1);
  EXPECT_EQ(ql.Remove("-0", 0), 1);
  EXPECT_EQ(ql.Remove("0", 0), 2);
  EXPECT_EQ(ql.Pos("-9223372036854775808"), (std::vector<long>{200 + 23 - 3}));
  EXPECT_TRUE(ql.Set(0, "-8388609"));
  std::string out;
  ASSERT_TRUE(ql.Index(0, &out));
  EXPECT_EQ(out, "-8388609");
  // Views of integer elements come from the iterator itself and survive copying it.
  QuickList::Iterator it = ql.Front();
  QuickList::Iterator copy = it;
  it.Next();
  EXPECT_EQ(copy.value(), "-8388609");
}

TEST(QuickList, LargeElementsGetTheirOwnNode) {
  QuickList ql(-2);
  ql.PushBack("small1");
  ql.PushBack(std::string(20000, 'B'));
  ql.PushBack("small2");
  EXPECT_EQ(ql.node_count(), 3u);
  EXPECT_EQ(ql.Encoding(), "quicklist");
  EXPECT_TRUE(ql.Verify());
  EXPECT_EQ(ql.Insert(std::string(20000, 'B'), "mid", false), 4);
  EXPECT_TRUE(ql.Verify());
  std::string out;
  ASSERT_TRUE(ql.Index(2, &out));
  EXPECT_EQ(out, "mid");
}

// --- Iteration, copies --------------------------------------------------------------------------

TEST(QuickList, IteratorsWalkBothWays) {
  QuickList ql(3);
  std::vector<std::string> expect;
  for (int i = 0; i < 25; ++i) {
    expect.push_back(i % 3 ? Tag("s", i) : std::to_string(i));
    ql.PushBack(expect.back());
  }
  std::vector<std::string> forward, backward;
  for (auto it = ql.Front(); it.Valid(); it.Next()) forward.emplace_back(it.value());
  for (auto it = ql.Back(); it.Valid(); it.Prev()) backward.emplace_back(it.value());
  EXPECT_EQ(forward, expect);
  EXPECT_EQ(backward, std::vector<std::string>(expect.rbegin(), expect.rend()));
  for (long i = -25; i < 25; ++i) {
    auto it = ql.At(i);
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.value(), expect[(i + 25) % 25]);
  }
  EXPECT_FALSE(ql.At(25).Valid());
  EXPECT_FALSE(ql.At(-26).Valid());
  // ForEach stops when the callback returns false.
  int n = 0;
  ql.ForEach([&](std::string_view) { return ++n != 10; });
  EXPECT_EQ(n, 10);
  n = 0;
  ql.ReverseForEach([&](std::string_view) { ++n; });
  EXPECT_EQ(n, 25);
}

TEST(QuickList, CopyAndMove) {
  QuickList ql(2);
  for (int i = 0; i < 11; ++i) ql.PushBack(Tag("c", i));
  QuickList copy = ql.Clone();
  EXPECT_EQ(copy.ToVector(), ql.ToVector());
  EXPECT_EQ(copy.fill(), 2);
  copy.PushBack("extra");
  copy.Set(0, "changed");
  EXPECT_EQ(ql.size(), 11u);
  std::string out;
  ASSERT_TRUE(ql.Index(0, &out));
  EXPECT_EQ(out, "c0");

  QuickList assigned(-2);
  assigned.PushBack("old");
  assigned = copy;
  EXPECT_EQ(assigned.ToVector(), copy.ToVector());
  QuickList& alias = assigned;
  assigned = alias;  // self-assignment is a no-op
  EXPECT_EQ(assigned.size(), 12u);

  QuickList moved(std::move(copy));
  EXPECT_EQ(moved.size(), 12u);
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(copy.bytes(), 0u);
  copy.PushBack("reusable");
  EXPECT_EQ(copy.size(), 1u);
  moved = std::move(ql);
  EXPECT_EQ(moved.size(), 11u);
  EXPECT_TRUE(moved.Verify());
  EXPECT_TRUE(copy.Verify());
}

// --- Encoding, mirroring Redis's conversion tests ----------------------------------------------

QuickList FromValues(int fill, const std::vector<std::string>& values) {
  QuickList ql(fill);
  for (const auto& v : values) ql.PushBack(v);
  return ql;
}

TEST(QuickList, EncodingListpackToQuicklist) {
  {
    QuickList ql = FromValues(3, {"a", "b", "c"});
    EXPECT_EQ(ql.Encoding(), "listpack");
    ql.PushBack("d");
    EXPECT_EQ(ql.Encoding(), "quicklist");
  }
  {
    QuickList ql = FromValues(3, {"a", "b", "c"});
    ql.PushFront("d");
    EXPECT_EQ(ql.Encoding(), "quicklist");
  }
  {
    QuickList ql = FromValues(3, {"a", "b", "c"});
    EXPECT_EQ(ql.Insert("b", "d", false), 4);
    EXPECT_EQ(ql.Encoding(), "quicklist");
  }
  {
    QuickList ql = FromValues(-1, {"a", "b", "c"});
    EXPECT_TRUE(ql.Set(1, std::string(5000, 'x')));
    EXPECT_EQ(ql.Encoding(), "quicklist");
  }
  {
    // A single value over the budget is enough.
    QuickList ql = FromValues(-2, {std::string(8192, 'x')});
    EXPECT_EQ(ql.Encoding(), "quicklist");
  }
  {
    // 64-byte values: Redis converts once the listpack passes 8 KiB.
    QuickList ql(-2);
    size_t n = 0;
    while (ql.Encoding() == "listpack") {
      ql.PushBack(std::string(64, 'p'));
      ++n;
    }
    EXPECT_GE(n, 120u);
    EXPECT_LE(n, 126u);
  }
}

TEST(QuickList, EncodingQuicklistToListpack) {
  {
    QuickList ql = FromValues(3, {"a", "b", "c", "d"});
    ASSERT_EQ(ql.Encoding(), "quicklist");
    for (int i = 0; i < 3; ++i) ql.PopBack(nullptr);
    EXPECT_EQ(ql.Encoding(), "listpack");
  }
  {
    QuickList ql = FromValues(3, {"a", "a", "a", "d"});
    EXPECT_EQ(ql.Remove("a", 3), 3);
    EXPECT_EQ(ql.Encoding(), "listpack");
  }
  {
    QuickList ql = FromValues(3, {"a", "b", "c", "d"});
    ql.Trim(1, 1);
    EXPECT_EQ(ql.Encoding(), "listpack");
  }
  {
    QuickList ql = FromValues(-1, {"a", "b", "c", std::string(5000, 'd')});
    ASSERT_EQ(ql.Encoding(), "quicklist");
    ql.PopBack(nullptr);
    EXPECT_EQ(ql.Encoding(), "listpack");
  }
  {
    // One node again but above half the budget: still a quicklist until LSET shrinks it.
    QuickList ql = FromValues(-1, {std::string(3000, 'a'), std::string(2000, 'b')});
    ASSERT_EQ(ql.Encoding(), "quicklist");
    ql.PopBack(nullptr);
    EXPECT_EQ(ql.Encoding(), "quicklist");
    EXPECT_TRUE(ql.Set(0, "a"));
    EXPECT_EQ(ql.Encoding(), "listpack");
  }
  {
    // Shrinking only a little keeps the quicklist encoding (hysteresis).
    QuickList ql = FromValues(4, {"a", "b", "c", "d", "e"});
    ASSERT_EQ(ql.Encoding(), "quicklist");
    ql.PopBack(nullptr);
    EXPECT_EQ(ql.Encoding(), "quicklist");
    ql.PopBack(nullptr);
    EXPECT_EQ(ql.Encoding(), "quicklist");
    ql.PopBack(nullptr);
    EXPECT_EQ(ql.Encoding(), "listpack");
  }
}

TEST(QuickList, FillClampingAndDefault) {
  QuickList a(-100);
  EXPECT_EQ(a.fill(), -5);
  QuickList b(1 << 20);
  EXPECT_EQ(b.fill(), 32767);
  const int saved = QuickList::DefaultFill();
  EXPECT_EQ(saved, QuickList::kDefaultFill);
  QuickList::SetDefaultFill(5);
  QuickList c;
  EXPECT_EQ(c.fill(), 5);
  QuickList::SetDefaultFill(saved);
  QuickList d;
  EXPECT_EQ(d.fill(), -2);
  d.SetFill(1);
  d.PushBack("x");
  d.PushBack("y");
  EXPECT_EQ(d.node_count(), 2u);
}

// --- Memory ------------------------------------------------------------------------------------

TEST(QuickList, QueuePatternStaysBounded) {
  QuickList ql(-2);
  char buf[64];
  std::memset(buf, 'q', sizeof(buf));
  for (int i = 0; i < 1000; ++i) ql.PushBack(std::string_view(buf, sizeof(buf)));
  const size_t nodes = ql.node_count();
  size_t max_bytes = 0;
  std::string out;
  for (int i = 0; i < 200000; ++i) {
    ql.PushBack(std::string_view(buf, sizeof(buf)));
    ASSERT_TRUE(ql.PopFront(&out));
    max_bytes = std::max(max_bytes, ql.bytes());
  }
  EXPECT_EQ(ql.size(), 1000u);
  EXPECT_LE(ql.node_count(), nodes + 2);
  EXPECT_LT(max_bytes, 1000 * 66 + 3 * 8192);
  EXPECT_TRUE(ql.Verify());
  // A short queue living in one node: push at one end, pop at the other.
  QuickList small(-2);
  for (int i = 0; i < 200000; ++i) {
    small.PushFront(std::to_string(i) + "-message");
    if (small.size() > 20) small.PopBack(nullptr);
    ASSERT_LT(small.bytes(), 2048u);
  }
  EXPECT_EQ(small.node_count(), 1u);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)) && \
    !defined(SLUICE_ASAN)
#define SLUICE_HAVE_MALLINFO2 1
#endif

#ifdef SLUICE_HAVE_MALLINFO2
// Heap growth per element (as glibc accounts it) for n 64-byte elements pushed at one end.
double HeapBytesPerElement(bool front, size_t n, size_t* reported) {
  char buf[64];
  std::memset(buf, 'm', sizeof(buf));
  const size_t before = mallinfo2().uordblks;
  auto* ql = new QuickList(-2);
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%016zx", i);  // writes 17 bytes; the rest stays 'm'
    buf[16] = 'm';
    if (front) {
      ql->PushFront(std::string_view(buf, sizeof(buf)));
    } else {
      ql->PushBack(std::string_view(buf, sizeof(buf)));
    }
  }
  const size_t after = mallinfo2().uordblks;
  *reported = ql->bytes();
  delete ql;
  return static_cast<double>(after - before) / static_cast<double>(n);
}
#endif

TEST(QuickList, MemoryPerElement) {
#ifndef SLUICE_HAVE_MALLINFO2
  GTEST_SKIP() << "needs glibc mallinfo2 and an uninstrumented allocator";
#else
  constexpr size_t kN = 200000;
  for (bool front : {false, true}) {
    size_t reported = 0;
    const double per = HeapBytesPerElement(front, kN, &reported);
    std::printf("[ memory ] %s: %.2f heap bytes per 64-byte element, bytes() %.2f\n",
                front ? "PushFront" : "PushBack", per, static_cast<double>(reported) / kN);
    RecordProperty(front ? "bytes_per_element_front" : "bytes_per_element_back",
                   std::to_string(per));
    EXPECT_LE(per, 72.0);
    EXPECT_GE(per, 64.0);
    // bytes() leaves out only the allocator's per-chunk overhead.
    EXPECT_NEAR(static_cast<double>(reported) / kN, per, 1.0);
  }
#endif
}

}  // namespace
