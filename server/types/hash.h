// The hash type, and the string-keyed hash table it shares with the set type.
//
// A hash starts as a packed buffer of field/value pairs ("listpack" in OBJECT ENCODING) and turns
// into a hash table ("hashtable") for good, at the moments Redis 7.0 converts:
//   - a field or a value being written is longer than hash-max-listpack-value bytes;
//   - an insertion takes the number of fields past hash-max-listpack-entries.
// Nothing ever converts back, except that a value rebuilt by RESTORE starts packed again.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/types/object.h"
#include "server/util/random.h"

namespace sluice {

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

// The cursor after `cursor` in a table of mask + 1 buckets: the bucket bits incremented as read in
// reverse (see StringDict for why a walk survives resizes). 0 once the walk is complete.
inline uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  ++cursor;
  return ReverseBits(cursor);
}

// A chained hash table keyed by byte strings. The bucket array is a power of two and is resized in
// one step (doubling when the load passes 1, shrinking when it falls under 1/8), so there is never
// an incremental rehash in progress.
//
// SCAN guarantee: an element present from the first Scan() call of a walk to the last is returned
// at least once, however the table grows or shrinks between calls (after a shrink some elements
// may come back twice, as in Redis). Scan() visits one bucket and moves the cursor on by
// incrementing its bits read in reverse, so the reversed cursor only grows. An element lives in
// the bucket named by its hash's low bits whatever the table size, and reversed those are the
// leading bits; whether the walk has passed an element therefore only depends on comparing the
// reversed cursor with the reversed hash on as many leading bits as the current size uses.
// Growing adds trailing bits to that comparison (the cursor's are zero after the carry), shrinking
// removes some; neither makes an element that is still ahead of the cursor look passed.
template <typename V>
class StringDict {
 public:
  struct Entry {
    Entry* next;
    size_t hash;
    std::string key;
    [[no_unique_address]] V value;
  };

  StringDict() = default;
  StringDict(const StringDict& other) {
    Rehash(other.buckets_.size());
    other.ForEach([&](const Entry& e) {
      Entry* copy = new Entry{nullptr, e.hash, e.key, e.value};
      Link(copy);
    });
  }
  StringDict& operator=(const StringDict&) = delete;
  ~StringDict() { Clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t bucket_count() const { return buckets_.size(); }

  Entry* Find(std::string_view key) const {
    if (size_ == 0) return nullptr;
    size_t h = HashOf(key);
    for (Entry* e = buckets_[h & (buckets_.size() - 1)]; e != nullptr; e = e->next) {
      if (e->hash == h && e->key == key) return e;
    }
    return nullptr;
  }

  // The entry for `key`, added with a default value when missing; *inserted tells which.
  Entry* Insert(std::string_view key, bool* inserted) {
    Entry* found = Find(key);
    if (found != nullptr) {
      *inserted = false;
      return found;
    }
    *inserted = true;
    if (size_ + 1 > buckets_.size()) Rehash(buckets_.empty() ? kMinBuckets : buckets_.size() * 2);
    Entry* e = new Entry{nullptr, HashOf(key), std::string(key), V{}};
    Link(e);
    return e;
  }

  bool Erase(std::string_view key) {
    if (size_ == 0) return false;
    size_t h = HashOf(key);
    Entry** link = &buckets_[h & (buckets_.size() - 1)];
    while (*link != nullptr) {
      Entry* e = *link;
      if (e->hash == h && e->key == key) {
        *link = e->next;
        delete e;
        --size_;
        MaybeShrink();
        return true;
      }
      link = &e->next;
    }
    return false;
  }

  // Sizes the table for n elements up front (no effect when it is already large enough).
  void Reserve(size_t n) {
    size_t want = std::bit_ceil(n < kMinBuckets ? kMinBuckets : n);
    if (want > buckets_.size()) Rehash(want);
  }

  void Clear() {
    for (Entry* head : buckets_) {
      while (head != nullptr) {
        Entry* next = head->next;
        delete head;
        head = next;
      }
    }
    buckets_.clear();
    size_ = 0;
  }

  // f(const Entry&) for every entry, in bucket order. The table must not change meanwhile.
  template <typename F>
  void ForEach(F&& f) const {
    for (Entry* head : buckets_) {
      for (Entry* e = head; e != nullptr; e = e->next) f(*e);
    }
  }
  // Like ForEach, stopping as soon as f returns false.
  template <typename F>
  void ForEachWhile(F&& f) const {
    for (Entry* head : buckets_) {
      for (Entry* e = head; e != nullptr; e = e->next) {
        if (!f(*e)) return;
      }
    }
  }

  // Visits the bucket `cursor` designates and returns the cursor of the next one; 0 once the walk
  // is complete (see the class comment).
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& f) const {
    if (buckets_.empty()) return 0;
    uint64_t mask = buckets_.size() - 1;
    for (Entry* e = buckets_[cursor & mask]; e != nullptr; e = e->next) f(*e);
    return NextScanCursor(cursor, mask);
  }

  // A random entry (nullptr when empty): a random non-empty bucket, then a random entry in its
  // chain. Entries in short chains are slightly favoured, as in Redis. The load never falls far
  // under 1/8, so finding a non-empty bucket takes a few tries.
  const Entry* RandomEntry(Random& rng) const {
    if (size_ == 0) return nullptr;
    Entry* head;
    do {
      head = buckets_[rng.Uniform(buckets_.size())];
    } while (head == nullptr);
    size_t length = 0;
    for (Entry* e = head; e != nullptr; e = e->next) ++length;
    for (uint64_t skip = rng.Uniform(length); skip > 0; --skip) head = head->next;
    return head;
  }

  // Heap bytes of the table and its entries, values excluded.
  size_t MemoryUsage() const {
    size_t bytes = buckets_.capacity() * sizeof(Entry*) + size_ * sizeof(Entry);
    ForEach([&](const Entry& e) {
      if (e.key.capacity() > 15) bytes += e.key.capacity() + 1;
    });
    return bytes;
  }

 private:
  static constexpr size_t kMinBuckets = 4;

  static size_t HashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }

  void Link(Entry* e) {
    Entry*& head = buckets_[e->hash & (buckets_.size() - 1)];
    e->next = head;
    head = e;
    ++size_;
  }

  void Rehash(size_t count) {
    std::vector<Entry*> old;
    old.swap(buckets_);
    buckets_.assign(count, nullptr);
    size_ = 0;
    for (Entry* head : old) {
      while (head != nullptr) {
        Entry* next = head->next;
        Link(head);
        head = next;
      }
    }
  }

  void MaybeShrink() {
    if (buckets_.size() <= kMinBuckets || size_ * 8 >= buckets_.size()) return;
    if (size_ == 0) {
      buckets_.clear();
      buckets_.shrink_to_fit();
      return;
    }
    Rehash(std::bit_ceil(size_ < kMinBuckets ? kMinBuckets : size_));
  }

  std::vector<Entry*> buckets_;
  size_t size_ = 0;
};

// Field/value pairs back to back in one buffer, each string stored as a varint length and its
// bytes: the listpack idea without its integer forms and back links. Lookups are linear scans,
// which is the price of one allocation for the whole hash; it is only used while the hash is
// small. Pairs keep their insertion order and an update rewrites a value in place, so replies
// list fields in the order Redis's listpack gives.
class PackedPairs {
 public:
  size_t size() const { return pairs_; }
  size_t bytes() const { return buf_.capacity(); }

  bool Find(std::string_view field, std::string_view* value) const;
  // Returns true when the field was added, false when an existing value was replaced.
  bool Set(std::string_view field, std::string_view value);
  bool Erase(std::string_view field);

  // f(field, value) for every pair, in order.
  template <typename F>
  void ForEach(F&& f) const {
    size_t pos = 0;
    std::string_view field, value;
    while (pos < buf_.size()) {
      pos = Read(Read(pos, &field), &value);
      f(field, value);
    }
  }

  // The start of each pair, in order, for PairAt().
  void Offsets(std::vector<uint32_t>* out) const;
  void PairAt(uint32_t offset, std::string_view* field, std::string_view* value) const {
    Read(Read(offset, field), value);
  }

 private:
  // Decodes the string at `pos` and returns the position just after it.
  size_t Read(size_t pos, std::string_view* s) const;
  // Start of the pair holding `field`, or npos; *value_pos gets the start of its value.
  size_t Locate(std::string_view field, size_t* value_pos) const;
  void Append(std::string_view s);

  std::string buf_;
  size_t pairs_ = 0;
};

using PairVisitor = std::function<void(std::string_view field, std::string_view value)>;

class HashObject : public Collection {
 public:
  // Conversion thresholds (hash-max-listpack-entries / -value), process-wide: the hash family
  // keeps them in step with the configuration.
  static void SetPackedLimits(uint64_t max_entries, uint64_t max_value);
  static uint64_t MaxPackedEntries();
  static uint64_t MaxPackedValue();

  HashObject() = default;
  HashObject(const HashObject& other);

  ObjType type() const override { return ObjType::kHash; }
  std::string_view Encoding() const override { return table_ ? "hashtable" : "listpack"; }
  std::unique_ptr<Collection> Clone() const override { return std::make_unique<HashObject>(*this); }
  size_t MemoryUsage() const override;
  size_t Length() const override { return table_ ? table_->size() : packed_.size(); }

  bool is_packed() const { return table_ == nullptr; }

  // The value is a view valid until the hash next changes.
  bool Get(std::string_view field, std::string_view* value) const;
  bool Contains(std::string_view field) const {
    std::string_view ignored;
    return Get(field, &ignored);
  }
  // Returns true when the field is new. `field` and `value` must not point into this hash.
  bool Set(std::string_view field, std::string_view value);
  bool Delete(std::string_view field);

  // f(field, value) for every pair: insertion order while packed, table order after.
  template <typename F>
  void ForEach(F&& f) const {
    if (table_) {
      table_->ForEach([&](const Table::Entry& e) { f(std::string_view(e.key), e.value); });
    } else {
      packed_.ForEach(f);
    }
  }

  // One step of HSCAN over the table encoding: visits the pairs of one bucket and returns the next
  // cursor (0 at the end). Packed hashes are returned whole by the command instead.
  template <typename F>
  uint64_t ScanStep(uint64_t cursor, F&& f) const {
    return table_->Scan(cursor,
                        [&](const Table::Entry& e) { f(std::string_view(e.key), e.value); });
  }

  // `count` pairs picked independently at random (repeats possible).
  void RandomPairs(size_t count, Random& rng, const PairVisitor& f) const;
  // `count` distinct pairs in random order; count must be less than Length().
  void RandomDistinctPairs(size_t count, Random& rng, const PairVisitor& f) const;

 private:
  using Table = StringDict<std::string>;

  void ConvertToTable();

  PackedPairs packed_;
  std::unique_ptr<Table> table_;
};

class PayloadReader;
class PayloadWriter;

// DUMP / RESTORE body of a hash: the pair count, then each field and value. Loading rebuilds the
// hash through Set(), so its encoding follows the current limits: a small hash that had become a
// hash table comes back packed, as RESTORE does in Redis. Empty hashes and repeated fields are
// refused.
void DumpHash(const Object& obj, PayloadWriter& out);
bool LoadHash(PayloadReader& in, Object* out);

}  // namespace sluice
