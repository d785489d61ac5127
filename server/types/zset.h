// The sorted set type. Members are unique byte strings ordered by (score, member), members with
// equal scores comparing bytewise. Redis 7.0 has two encodings and so does Sluice:
//   - "listpack": every entry back to back in one buffer, in order. Lookups are linear scans,
//     which is the price of one allocation for the whole set; used while the set is small.
//   - "skiplist": a skip list with span counts, so rank lookups and rank ranges are O(log N), plus
//     a hash table from member to skip list node for O(1) ZSCORE and membership tests.
// The moments of conversion are Redis 7.0's: an insertion that takes the set past
// zset-max-listpack-entries members, or inserts a member longer than zset-max-listpack-value
// bytes, converts to a skip list for good. Only a freshly built set (the result of a *STORE
// command, a restored payload) is given the packed form again when it fits.
//
// Every range operation is expressed in ranks (0-based positions in ascending order), so score
// and lexicographic ranges are first turned into rank intervals [first, end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/types/hash.h"
#include "server/types/object.h"
#include "server/util/random.h"

namespace sluice {

// A score interval: "(" in front of a bound makes it exclusive.
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;
};

// One end of a member interval: "-" and "+" are the open ends below and above every member,
// "[x" includes x and "(x" excludes it.
struct LexBound {
  enum class Kind : uint8_t { kMinusInf, kPlusInf, kValue };
  Kind kind = Kind::kValue;
  bool exclusive = false;
  std::string_view value;  // points into the argument it was parsed from
};

struct LexRange {
  LexBound min;
  LexBound max;
};

// The argument forms ZRANGEBYSCORE accepts: a C strtod number ("1.5", " 2", "1e3", "0x10",
// "-inf"; an empty string is 0), optionally after "(", and never NaN. Overflowing values become
// infinities, as in Redis.
bool ParseScoreBound(std::string_view text, double* value, bool* exclusive);
bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out);
// "-", "+", "[member" or "(member"; anything else (including "") is refused.
bool ParseLexBound(std::string_view text, LexBound* out);
bool ParseLexRange(std::string_view min, std::string_view max, LexRange* out);

// (score, member) ordering shared by both encodings.
inline int CompareEntries(double score_a, std::string_view member_a, double score_b,
                          std::string_view member_b) {
  if (score_a < score_b) return -1;
  if (score_a > score_b) return 1;
  return member_a.compare(member_b);
}

// The packed ("listpack") encoding. Each entry is the score's 8 bytes followed by the member as a
// varint length and its bytes, in ascending (score, member) order. Scores are stored as they are
// except that a negative zero becomes 0, which is what Redis's listpack keeps too.
class PackedZSet {
 public:
  size_t size() const { return count_; }
  size_t bytes() const { return buf_.capacity(); }

  // Start of the entry holding `member` (npos if none); fills its score and rank when found.
  size_t Find(std::string_view member, double* score, size_t* rank) const;
  // Adds a member that is not present, at its place in the order.
  void Insert(std::string_view member, double score);
  // Appends an entry that sorts after every present one (building from sorted input).
  void Append(std::string_view member, double score);
  bool Erase(std::string_view member);
  // Removes the entries of ranks [first, end).
  void EraseRange(size_t first, size_t end);

  // Decodes the entry at `pos` and returns the position of the next one.
  size_t Read(size_t pos, std::string_view* member, double* score) const;
  // Position of the entry of a rank (rank < size()).
  size_t PositionOf(size_t rank) const;
  // The start of each entry, in order.
  void Offsets(std::vector<size_t>* out) const;

  // Number of leading entries for which pred(member, score) holds, stopping at the first that
  // fails.
  template <typename Pred>
  size_t CountPrefix(Pred&& pred) const {
    size_t n = 0;
    size_t pos = 0;
    std::string_view member;
    double score;
    while (n < count_) {
      size_t next = Read(pos, &member, &score);
      if (!pred(member, score)) break;
      pos = next;
      ++n;
    }
    return n;
  }

  // Number of consecutive entries from rank `first` on for which pred(member, score) holds.
  template <typename Pred>
  size_t CountFrom(size_t first, Pred&& pred) const {
    size_t n = 0;
    size_t pos = PositionOf(first);
    std::string_view member;
    double score;
    for (size_t i = first; i < count_; ++i, ++n) {
      pos = Read(pos, &member, &score);
      if (!pred(member, score)) break;
    }
    return n;
  }

  // Number of consecutive entries from rank `last` down for which pred(member, score) holds.
  template <typename Pred>
  size_t CountBackFrom(size_t last, Pred&& pred) const {
    std::vector<size_t> offsets;
    Offsets(&offsets);
    size_t n = 0;
    std::string_view member;
    double score;
    for (size_t i = last + 1; i > 0; --i, ++n) {
      Read(offsets[i - 1], &member, &score);
      if (!pred(member, score)) break;
    }
    return n;
  }

  // f(member, score) for ranks [first, end), ascending or descending. The views are valid until
  // the set changes.
  template <typename F>
  void ForRange(size_t first, size_t end, bool reverse, F&& f) const {
    if (first >= end) return;
    std::string_view member;
    double score;
    if (!reverse) {
      size_t pos = PositionOf(first);
      for (size_t i = first; i < end; ++i) {
        pos = Read(pos, &member, &score);
        f(member, score);
      }
      return;
    }
    std::vector<size_t> offsets;
    Offsets(&offsets);
    for (size_t i = end; i > first; --i) {
      Read(offsets[i - 1], &member, &score);
      f(member, score);
    }
  }

 private:
  // Encodes an entry into *out.
  static void Encode(std::string_view member, double score, std::string* out);

  std::string buf_;
  size_t count_ = 0;
};

// The "skiplist" encoding: a skip list whose forward links carry spans (how many entries a link
// jumps over) so that ranks come out of the same descent that finds a position, and a member
// index (a chained hash table) for O(1) ZSCORE and membership tests.
//
// Each entry is one allocation: the node's fields, its links and the member's bytes, and the index
// chains through the nodes themselves, keeping each node's hash. A pop therefore touches the node,
// one bucket and the bucket's chain, frees one block, and never hashes or compares the member.
// The index has the growth and shrink points and the SCAN guarantee of StringDict (see there).
class SkipListZSet {
 public:
  SkipListZSet();
  SkipListZSet(const SkipListZSet& other);
  SkipListZSet& operator=(const SkipListZSet&) = delete;
  ~SkipListZSet();

  size_t size() const { return length_; }

  bool Score(std::string_view member, double* score) const;
  bool Rank(std::string_view member, size_t* rank, double* score) const;
  // Adds a member that is not present.
  void Insert(std::string_view member, double score);
  // Changes the score of a present member.
  void Update(std::string_view member, double score);
  bool Erase(std::string_view member);
  // Removes the entries of ranks [first, end).
  void EraseRange(size_t first, size_t end);

  // Number of leading entries for which pred(member, score) holds; pred must hold on a prefix of
  // the order (the descent skips over entries without looking at each).
  template <typename Pred>
  size_t CountPrefix(Pred&& pred) const {
    size_t rank = 0;
    const Node* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (true) {
        const Node* next = x->links()[i].forward;
        if (next == nullptr || !pred(next->member(), next->score)) break;
        rank += x->links()[i].span;
        x = next;
      }
    }
    return rank;
  }

  // Number of consecutive entries from rank `first` on for which pred(member, score) holds.
  template <typename Pred>
  size_t CountFrom(size_t first, Pred&& pred) const {
    size_t n = 0;
    for (const Node* x = first < length_ ? NodeAt(first) : nullptr; x != nullptr;
         x = x->links()[0].forward, ++n) {
      if (!pred(x->member(), x->score)) break;
    }
    return n;
  }

  // Number of consecutive entries from rank `last` down for which pred(member, score) holds.
  template <typename Pred>
  size_t CountBackFrom(size_t last, Pred&& pred) const {
    size_t n = 0;
    for (const Node* x = NodeAt(last); x != nullptr; x = x->backward, ++n) {
      if (!pred(x->member(), x->score)) break;
    }
    return n;
  }

  template <typename F>
  void ForRange(size_t first, size_t end, bool reverse, F&& f) const {
    if (first >= end) return;
    if (!reverse) {
      const Node* x = NodeAt(first);
      for (size_t i = first; i < end; ++i, x = x->links()[0].forward) f(x->member(), x->score);
      return;
    }
    const Node* x = NodeAt(end - 1);
    for (size_t i = end; i > first; --i, x = x->backward) f(x->member(), x->score);
  }

  // One step of ZSCAN: the members of one index bucket, and the next cursor (0 at the end).
  template <typename F>
  uint64_t ScanStep(uint64_t cursor, F&& f) const {
    if (buckets_.empty()) return 0;
    uint64_t mask = buckets_.size() - 1;
    for (const Node* x = buckets_[cursor & mask]; x != nullptr; x = x->chain) {
      f(x->member(), x->score);
    }
    return NextScanCursor(cursor, mask);
  }

  size_t MemoryUsage() const;
  // Buckets of the member index (for tests of its resizing).
  size_t bucket_count() const { return buckets_.size(); }

 private:
  static constexpr int kMaxLevel = 32;
  static constexpr size_t kMinBuckets = 4;

  struct Node;
  struct Link {
    Node* forward;
    size_t span;
  };
  // Followed in the same allocation by `level` links, then the member's bytes.
  struct Node {
    double score;
    Node* backward;
    Node* chain;  // next node in the same index bucket
    size_t hash;
    size_t member_size;
    int level;
    Link* links() { return reinterpret_cast<Link*>(this + 1); }
    const Link* links() const { return reinterpret_cast<const Link*>(this + 1); }
    std::string_view member() const {
      return {reinterpret_cast<const char*>(links() + level), member_size};
    }
  };

  static Node* NewNode(int level, double score, std::string_view member, size_t hash);
  static void FreeNode(Node* node);
  static int RandomLevel();
  static size_t HashOf(std::string_view member);

  const Node* NodeAt(size_t rank) const;
  // Links a node not in the list at its place in the order.
  void LinkNode(Node* x);
  // Unlinks x given, per level, the last node before it.
  void UnlinkNode(Node* x, Node** update);
  // Fills update[] with the last node before (score, member) on each level.
  void FindPredecessors(double score, std::string_view member, Node** update) const;

  Node* FindNode(std::string_view member) const;
  void IndexAdd(Node* x);
  // Takes x out of its bucket's chain; the caller shrinks the index when it is done removing.
  void IndexRemove(Node* x);
  void IndexResize(size_t count);
  void MaybeShrinkIndex();

  std::vector<Node*> buckets_;
  Node* header_;
  Node* tail_ = nullptr;
  size_t length_ = 0;
  size_t member_bytes_ = 0;
  int level_ = 1;
};

class ZSetObject : public Collection {
 public:
  // zset-max-listpack-entries / zset-max-listpack-value, process-wide: the sorted set family
  // keeps them in step with the configuration.
  static void SetPackedLimits(uint64_t max_entries, uint64_t max_value);
  static uint64_t MaxPackedEntries();
  static uint64_t MaxPackedValue();

  ZSetObject() = default;
  ZSetObject(const ZSetObject& other);

  // A set holding `entries`, which must be in ascending (score, member) order without repeated
  // members; packed when it fits the limits, as Redis encodes a stored result.
  static std::unique_ptr<ZSetObject> FromSorted(
      const std::vector<std::pair<std::string_view, double>>& entries);

  ObjType type() const override { return ObjType::kZSet; }
  std::string_view Encoding() const override { return skiplist_ ? "skiplist" : "listpack"; }
  std::unique_ptr<Collection> Clone() const override { return std::make_unique<ZSetObject>(*this); }
  size_t MemoryUsage() const override;
  size_t Length() const override { return size(); }

  bool is_packed() const { return skiplist_ == nullptr; }
  size_t size() const { return skiplist_ ? skiplist_->size() : packed_.size(); }

  bool Score(std::string_view member, double* score) const;
  // 0-based rank in ascending order.
  bool Rank(std::string_view member, size_t* rank, double* score) const;
  // Adds a member that is not present (converting first if the packed form would outgrow the
  // limits). `member` must not point into this set.
  void Insert(std::string_view member, double score);
  // Changes the score of a present member.
  void Update(std::string_view member, double score);
  bool Erase(std::string_view member);
  // Removes ranks [first, end).
  void EraseRange(size_t first, size_t end);

  // The rank interval [first, end) of the members inside a range.
  void ScoreRangeRanks(const ScoreRange& range, size_t* first, size_t* end) const;
  // Member ranges assume equal scores. On other sets the answer is the one Redis gives, which
  // depends on the direction: forward, the first member at or above min found from the head and
  // the members after it while they stay at or below max; backward, the last member at or below
  // max and the members before it while they stay at or above min. kCount finds both ends by a
  // search on a skip list (ZLEXCOUNT in O(log N)).
  enum class LexWalk { kForward, kBackward, kCount };
  void LexRangeRanks(const LexRange& range, LexWalk walk, size_t* first, size_t* end) const;

  // f(member, score) for ranks [first, end), ascending or descending. Views stay valid until the
  // set changes.
  template <typename F>
  void ForRange(size_t first, size_t end, bool reverse, F&& f) const {
    if (skiplist_) {
      skiplist_->ForRange(first, end, reverse, f);
    } else {
      packed_.ForRange(first, end, reverse, f);
    }
  }
  template <typename F>
  void ForEach(F&& f) const {
    ForRange(0, size(), false, f);
  }

  // One step of ZSCAN over the skip list encoding (see StringDict::Scan for the guarantee);
  // packed sets are returned whole by the command instead.
  template <typename F>
  uint64_t ScanStep(uint64_t cursor, F&& f) const {
    return skiplist_->ScanStep(cursor, f);
  }

  // `count` entries picked independently at random (repeats possible).
  template <typename F>
  void RandomEntries(size_t count, Random& rng, F&& f) const {
    for (size_t i = 0; i < count; ++i) {
      size_t rank = rng.Uniform(size());
      ForRange(rank, rank + 1, false, f);
    }
  }
  // `count` distinct entries (count < size()) in random order.
  template <typename F>
  void RandomDistinctEntries(size_t count, Random& rng, F&& f) const {
    for (size_t rank : DistinctRanks(count, rng)) ForRange(rank, rank + 1, false, f);
  }

  void ConvertToSkipList();

 private:
  std::vector<size_t> DistinctRanks(size_t count, Random& rng) const;

  PackedZSet packed_;
  std::unique_ptr<SkipListZSet> skiplist_;
};

class PayloadReader;
class PayloadWriter;

// DUMP / RESTORE body of a sorted set: the member count, then each member and its score in
// ascending order. Loading picks the encoding from the current limits, as RESTORE does in Redis;
// empty sets, repeated members and NaN scores are refused.
void DumpZSet(const Object& obj, PayloadWriter& out);
bool LoadZSet(PayloadReader& in, Object* out);

}  // namespace sluice
