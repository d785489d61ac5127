// QuickList: the value type behind Redis lists. A linked list of packed nodes, each node a single
// heap block holding its elements back to back, in the spirit of Redis's quicklist of listpacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice {

// Results come back either as std::string copies (Pop*, Index) or as string_views passed to
// callbacks and iterators, valid only until the list changes. Values passed in must not point into
// the same list: an insertion may move its nodes. Not thread-safe.
class QuickList {
  struct Node;

 public:
  // Same meaning as Redis's list-max-listpack-size: a negative value selects a per-node byte
  // budget (-1: 4 KiB, -2: 8 KiB, ... -5: 64 KiB), a positive value an element count per node
  // (with an 8 KiB safety cap on the bytes). 0 behaves as 1. Out-of-range values are clamped.
  static constexpr int kDefaultFill = -2;
  // Elements must be shorter than this; larger values throw std::length_error.
  static constexpr size_t kMaxElementSize = 0x7fff0000;

  // Process-wide fill used by lists constructed without an explicit one; the server updates it
  // when list-max-listpack-size changes. Existing lists keep the fill they were created with.
  static void SetDefaultFill(int fill);
  static int DefaultFill();

  QuickList();
  explicit QuickList(int fill);
  ~QuickList();

  QuickList(const QuickList& other);
  QuickList& operator=(const QuickList& other);
  QuickList(QuickList&& other) noexcept;
  QuickList& operator=(QuickList&& other) noexcept;
  QuickList Clone() const { return QuickList(*this); }

  // Changes the node limits for future insertions; existing nodes are left as they are.
  void SetFill(int fill);
  int fill() const { return fill_; }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return nodes_; }
  // Heap bytes requested for the nodes (headers plus capacity), excluding allocator overhead.
  size_t bytes() const { return bytes_; }
  // "listpack" or "quicklist", following Redis 7.2's conversion rules: a list is a listpack until
  // it outgrows one node's limits, and goes back only once a shrinking command leaves it in a
  // single node at no more than half of those limits.
  std::string_view Encoding() const { return listpack_ ? "listpack" : "quicklist"; }

  void Clear();

  void PushFront(std::string_view value);
  void PushBack(std::string_view value);
  // Return false when the list is empty. `out` may be null.
  bool PopFront(std::string* out);
  bool PopBack(std::string* out);

  // Negative indexes count from the tail (-1 is the last element). False when out of range.
  bool Index(long idx, std::string* out) const;
  bool Set(long idx, std::string_view value);
  // LINSERT: inserts next to the first occurrence of `pivot` from the head. Returns the new
  // length, or -1 when the pivot is absent.
  long Insert(std::string_view pivot, std::string_view value, bool before);
  // LREM: count > 0 removes the first `count` matches from the head, count < 0 the first
  // |count| from the tail, 0 all of them. Returns how many were removed.
  long Remove(std::string_view value, long count);
  // LTRIM: keeps [start, stop] after Redis's index normalisation; an empty range empties the list.
  void Trim(long start, long stop);
  // LPOS: positions (from the head) of matches, starting with the |rank|-th match counted from
  // the head (rank > 0) or the tail (rank < 0), at most `count` of them (0 = all), looking at no
  // more than `maxlen` elements (0 = all). Rank 0 is treated as 1; the command rejects it anyway.
  std::vector<long> Pos(std::string_view value, long rank = 1, long count = 1,
                        long maxlen = 0) const;

  // Read-only cursor over the elements. A default-constructed or exhausted iterator is invalid.
  // Any mutation of the list invalidates every iterator.
  class Iterator {
   public:
    Iterator() = default;
    bool Valid() const { return node_ != nullptr; }
    // The current element. The view points into list memory (or, for elements stored as
    // integers, into this iterator) and stays valid until this iterator moves or the list
    // changes.
    std::string_view value() const;
    void Next();
    void Prev();

   private:
    friend class QuickList;
    Iterator(const Node* node, uint32_t offset) : node_(node), offset_(offset) {}
    const Node* node_ = nullptr;
    uint32_t offset_ = 0;  // byte offset of the current entry inside the node's data
    mutable char scratch_[24];
  };

  Iterator Front() const;
  Iterator Back() const;
  // Positioned at `idx` (negative counts from the tail), found by walking from the nearer end;
  // invalid when out of range.
  Iterator At(long idx) const;

  // The callbacks take a std::string_view that is only valid during the call. They may return
  // void, or bool where false stops the walk early.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (Iterator it = Front(); it.Valid(); it.Next()) {
      if (!Call(fn, it.value())) return;
    }
  }
  template <typename Fn>
  void ReverseForEach(Fn&& fn) const {
    for (Iterator it = Back(); it.Valid(); it.Prev()) {
      if (!Call(fn, it.value())) return;
    }
  }
  // LRANGE over [start, stop] with Redis's index normalisation.
  template <typename Fn>
  void Range(long start, long stop, Fn&& fn) const {
    long n = static_cast<long>(count_);
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > stop || start >= n) return;
    if (stop >= n) stop = n - 1;
    Iterator it = At(start);
    for (long i = start; i <= stop && it.Valid(); ++i, it.Next()) {
      if (!Call(fn, it.value())) return;
    }
  }
  std::vector<std::string> ToVector() const;

  // Checks internal consistency (links, counts, encodings, limits); for tests and debugging.
  bool Verify() const;

 private:
  class Encoded;

  template <typename Fn>
  static bool Call(Fn& fn, std::string_view v) {
    if constexpr (std::is_same_v<std::invoke_result_t<Fn&, std::string_view>, bool>) {
      return fn(v);
    } else {
      fn(v);
      return true;
    }
  }

  bool Exceeds(size_t lp_bytes, size_t count) const;
  bool AllowInsert(const Node* n, size_t raw_len) const;
  bool AllowMerge(const Node* a, const Node* b) const;
  void NoteGrowth(size_t raw_len);
  void NoteShrink();

  Node* NewNode(uint32_t cap);
  void LinkAfter(Node* at, Node* n);
  void LinkBefore(Node* at, Node* n);
  void FreeNode(Node* n);
  Node* Realloc(Node* n, uint32_t cap);
  Node* MakeRoom(Node* n, uint32_t add, bool front);
  Node* OpenGap(Node* n, uint32_t pos, uint32_t len);
  void CloseGap(Node* n, uint32_t pos, uint32_t len);
  Node* ShrinkToFit(Node* n);
  Node* MaybeShrink(Node* n);
  Node* Merge(Node* a, Node* b);
  Node* MergeIfFits(Node* a, Node* b);

  void Push(std::string_view value, bool front);
  bool Pop(std::string* out, bool front);
  void InsertEntry(Node* n, uint32_t pos, uint32_t idx, const Encoded& e);
  std::pair<Node*, uint32_t> Locate(size_t idx) const;
  static uint32_t EntryOffset(const Node* n, uint32_t idx);
  void DeleteRange(size_t start, size_t n);
  void CopyFrom(const QuickList& other);

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  size_t count_ = 0;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
  size_t size_limit_;     // listpack-equivalent bytes per node, SIZE_MAX in count mode
  uint32_t count_limit_;  // elements per node, UINT32_MAX in size mode
  uint32_t grow_limit_;   // data bytes an end node may preallocate up to
  int fill_;
  bool listpack_ = true;

  static int default_fill_;
};

}  // namespace sluice
