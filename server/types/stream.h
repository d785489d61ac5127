// The stream type: an append-only log of entries (an ID plus field/value pairs) with consumer
// groups.
//
// Entries live in packed nodes, each a single heap block holding up to
// stream-node-max-entries entries / stream-node-max-bytes bytes. A node starts with its "master"
// field names (those of its first entry); every entry stores its ID as a delta from the node's
// first ID and, when its field names equal the master ones, only its values. Deleted entries are
// flagged in place and skipped by readers; a node whose entries are all deleted is freed. The
// nodes are indexed by their first ID in a B+ tree, so a range read or a trim finds its starting
// node in O(log n).
//
// Consumer groups keep their pending entries lists (PEL) in B+ trees keyed by ID: one per group
// owning the records, and one per consumer pointing at the same records.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/types/object.h"
#include "server/types/stream_btree.h"
#include "server/types/stream_id.h"

namespace sluice {

struct StreamConsumer;

// A delivered, not yet acknowledged entry.
struct StreamNack {
  int64_t delivery_time = 0;  // unix ms of the last delivery
  uint64_t delivery_count = 0;
  StreamConsumer* consumer = nullptr;
};

using StreamPel = BTreeMap<StreamID, StreamNack*>;

// The active time of a consumer that never read or claimed anything.
inline constexpr int64_t kConsumerNeverActive = -1;

struct StreamConsumer {
  std::string name;
  // Unix ms of the consumer's last attempted read or claim (XINFO CONSUMERS `idle`), and of
  // the last one that actually delivered or claimed entries (`inactive`; Redis 7.2 split the two).
  int64_t seen_time = 0;
  int64_t active_time = kConsumerNeverActive;
  StreamPel pel;  // the group's records delivered to this consumer
};

// The entries_read value that means "unknown".
inline constexpr int64_t kEntriesReadUnknown = -1;

struct StreamGroup {
  StreamGroup() = default;
  ~StreamGroup();
  StreamGroup(const StreamGroup&) = delete;
  StreamGroup& operator=(const StreamGroup&) = delete;

  StreamID last_id;  // last entry delivered to the group
  int64_t entries_read = kEntriesReadUnknown;
  StreamPel pel;  // owns the records
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  StreamConsumer* FindConsumer(std::string_view name) const;
  // nullptr when a consumer of that name exists already.
  StreamConsumer* CreateConsumer(std::string_view name, int64_t now_ms);
  // Removes a consumer and its pending entries; returns how many entries it had pending.
  size_t DeleteConsumer(std::string_view name);
  // Drops one pending entry from the group and its consumer; false when it was not pending.
  bool Ack(const StreamID& id);
  // A new pending record for `consumer` (the group must not hold the ID yet).
  StreamNack* AddPending(const StreamID& id, StreamConsumer* consumer, int64_t now_ms);
  // Moves an existing record to another consumer.
  void Reassign(const StreamID& id, StreamNack* nack, StreamConsumer* consumer);
};

// Trimming request, as XADD and XTRIM parse it.
struct StreamTrim {
  enum class Strategy { kNone, kMaxLen, kMinId };
  Strategy strategy = Strategy::kNone;
  uint64_t maxlen = 0;
  StreamID minid;
  bool approx = false;
  int64_t limit = 0;  // 0: no limit
};

class Stream {
 public:
  using FieldValues = std::vector<std::string_view>;  // field, value, field, value...

  Stream() = default;
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  std::unique_ptr<Stream> Clone() const;

  uint64_t length() const { return length_; }
  const StreamID& last_id() const { return last_id_; }
  const StreamID& first_id() const { return first_id_; }
  const StreamID& max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  void set_last_id(const StreamID& id) { last_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }
  void set_max_deleted_id(const StreamID& id) { max_deleted_id_ = id; }

  // Appends an entry; `id` must be greater than last_id(). A node is closed once it holds
  // `node_max_entries` entries or adding would reach `node_max_bytes` (0: no limit).
  void Append(const StreamID& id, std::span<const std::string_view> field_values,
              size_t node_max_bytes, size_t node_max_entries);
  // Deletes one entry; false when there is no live entry with that ID. Does not touch
  // first/max-deleted bookkeeping (XDEL does, see RecordDeletion).
  bool Delete(const StreamID& id);
  bool Contains(const StreamID& id) const;
  // After XDEL: remembers the largest deleted ID and refreshes the first ID.
  void RecordDeletion(const StreamID& id);
  // Recomputes first_id() from the live entries (0-0 when empty).
  void RefreshFirstId();
  // Removes entries from the head as XTRIM/XADD do; returns how many were removed.
  int64_t Trim(const StreamTrim& trim);

  // Visits the live entries with start <= ID <= end, in ID order or reversed; `fn(id, fvs)`
  // returns false to stop. The views are valid during the call only.
  template <typename Fn>
  void Scan(const StreamID& start, const StreamID& end, bool reverse, Fn&& fn) const {
    ScanImpl(
        start, end, reverse,
        [](void* ctx, const StreamID& id, const FieldValues& fvs) {
          return (*static_cast<Fn*>(ctx))(id, fvs);
        },
        &fn);
  }
  // The first / last live entry ID; false when the stream has no entries.
  bool FirstEntryId(StreamID* id) const;
  bool LastEntryId(StreamID* id) const;

  // Consumer groups, by name (byte order).
  const std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>& groups() const {
    return groups_;
  }
  StreamGroup* FindGroup(std::string_view name) const;
  // nullptr when a group of that name exists already.
  StreamGroup* CreateGroup(std::string_view name, const StreamID& last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);

  // The logical position (count of entries ever added up to it) of `id`, or kEntriesReadUnknown
  // when it cannot be told because of deletions.
  int64_t EstimateEntriesRead(const StreamID& id) const;
  // Whether a deleted entry may lie within [start, end].
  bool RangeHasTombstones(const StreamID& start, const StreamID& end) const;
  // The group's lag (entries not yet delivered to it); false when it cannot be told.
  bool GroupLag(const StreamGroup& group, int64_t* lag) const;
  // Bookkeeping when `id` is delivered to the group as a new entry.
  void AdvanceGroup(StreamGroup* group, const StreamID& id) const;

  // Packed nodes, and nodes of the index over them (XINFO STREAM's radix-tree-keys and
  // radix-tree-nodes).
  size_t node_count() const { return nodes_.size(); }
  size_t index_node_count() const;
  size_t MemoryUsage() const;

 private:
  struct Node;
  using EntryFn = bool (*)(void* ctx, const StreamID& id, const FieldValues& fvs);

  void ScanImpl(const StreamID& start, const StreamID& end, bool reverse, EntryFn fn,
                void* ctx) const;
  static void FreeNode(Node* node);
  // Marks the entry at `offset` of `node` deleted and frees the node when nothing is left.
  void MarkDeleted(const StreamID& master, Node* node, size_t offset);

  BTreeMap<StreamID, Node*> nodes_;  // by each node's first (master) ID
  uint64_t length_ = 0;
  StreamID last_id_;
  StreamID first_id_;
  StreamID max_deleted_id_;
  uint64_t entries_added_ = 0;
  size_t node_bytes_ = 0;  // heap taken by the packed nodes
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>> groups_;
};

class StreamObject : public Collection {
 public:
  StreamObject() : stream_(std::make_unique<Stream>()) {}
  explicit StreamObject(std::unique_ptr<Stream> stream) : stream_(std::move(stream)) {}

  ObjType type() const override { return ObjType::kStream; }
  std::string_view Encoding() const override { return "stream"; }
  std::unique_ptr<Collection> Clone() const override {
    return std::make_unique<StreamObject>(stream_->Clone());
  }
  size_t MemoryUsage() const override { return sizeof(*this) + stream_->MemoryUsage(); }
  size_t Length() const override { return stream_->length(); }

  Stream& stream() { return *stream_; }
  const Stream& stream() const { return *stream_; }

 private:
  std::unique_ptr<Stream> stream_;
};

// DUMP/RESTORE body codec for streams (registered by the stream family).
class PayloadWriter;
class PayloadReader;
void DumpStream(const Object& obj, PayloadWriter& out);
bool LoadStream(PayloadReader& in, Object* out);

}  // namespace sluice
