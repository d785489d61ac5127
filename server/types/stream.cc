#include "server/types/stream.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include "server/types/serialize.h"

namespace sluice {

// ---- IDs ---------------------------------------------------------------------------------------

bool StreamID::Increment() {
  if (seq != UINT64_MAX) {
    ++seq;
    return true;
  }
  if (ms == UINT64_MAX) return false;
  ++ms;
  seq = 0;
  return true;
}

bool StreamID::Decrement() {
  if (seq != 0) {
    --seq;
    return true;
  }
  if (ms == 0) return false;
  --ms;
  seq = UINT64_MAX;
  return true;
}

void StreamID::AppendTo(std::string* out) const {
  // Each number takes at most 20 digits.
  char buf[48];
  char* end = std::to_chars(buf, buf + 20, ms).ptr;
  end[0] = '-';
  end = std::to_chars(end + 1, end + 21, seq).ptr;
  out->append(buf, static_cast<size_t>(end - buf));
}

std::string StreamID::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

namespace {

// Redis reads ID parts with a strict integer parse first and falls back to strtoull, so leading
// blanks and a sign pass while trailing garbage and overflow do not. A strictly written negative
// number is refused, but a lenient one (" -1") wraps as strtoull makes it.
bool IsStrictNegative(const std::string& text) {
  if (text.size() < 2 || text.size() > 20 || text[0] != '-' || text[1] < '1' || text[1] > '9') {
    return false;
  }
  for (size_t i = 2; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  // Within long long's range (its magnitude may reach 2^63).
  return text.size() < 20 || text.substr(1) <= "9223372036854775808";
}

bool ParseIdPart(const std::string& text, uint64_t* out) {
  if (text.empty() || IsStrictNegative(text)) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(text.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0' || end == text.c_str()) return false;
  *out = v;
  return true;
}

}  // namespace

bool ParseStreamID(std::string_view text, uint64_t missing_seq, bool strict, StreamID* id,
                   bool* seq_given) {
  if (text.size() > 127) return false;
  // The text is handled as a C string: an embedded NUL ends it.
  std::string buf(text.substr(0, text.find('\0')));
  if (strict && (buf == "-" || buf == "+")) return false;
  if (seq_given != nullptr) *seq_given = true;
  if (buf == "-") {
    *id = StreamID::Min();
    return true;
  }
  if (buf == "+") {
    *id = StreamID::Max();
    return true;
  }
  size_t dash = buf.find('-');
  uint64_t ms = 0, seq = missing_seq;
  if (!ParseIdPart(dash == std::string::npos ? buf : buf.substr(0, dash), &ms)) return false;
  if (dash != std::string::npos) {
    std::string rest = buf.substr(dash + 1);
    if (seq_given != nullptr && rest == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!ParseIdPart(rest, &seq)) {
      return false;
    }
  }
  id->ms = ms;
  id->seq = seq;
  return true;
}

// ---- Packed nodes ------------------------------------------------------------------------------
//
// Layout of a node's bytes:
//   master:  varint field-count, then each field as varint length + bytes
//   entries: flags (1 byte: kDeleted, kSameFields)
//            varint ms delta from the master ID
//            varint sequence: delta from the master sequence when the ms delta is 0, else the
//              sequence itself (both are small in practice)
//            kSameFields: one value per master field (varint length + bytes)
//            otherwise:   varint pair count, then field, value, field, value...

namespace {

constexpr uint8_t kDeleted = 1;
constexpr uint8_t kSameFields = 2;
constexpr size_t kNoByteLimit = size_t{1} << 30;
constexpr uint32_t kInitialCapacity = 256;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Node bytes are written by this file only, so reads trust them.
const char* GetVarint(const char* p, uint64_t* v) {
  uint64_t result = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<uint8_t>(*p++);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  *v = result;
  return p;
}

char* PutBytes(char* p, std::string_view s) {
  p = PutVarint(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

const char* GetBytes(const char* p, std::string_view* s) {
  uint64_t len;
  p = GetVarint(p, &len);
  *s = std::string_view(p, static_cast<size_t>(len));
  return p + len;
}

size_t BytesSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }

// Node boundaries follow Redis's: it closes a node when the node's listpack size plus the new
// entry's raw field and value bytes reach stream-node-max-bytes. Tracking what that listpack
// would weigh keeps node boundaries, and so approximate trimming (MAXLEN ~) and XINFO's node
// counts, identical to Redis's although the encoding here is more compact. The functions below
// give the size of one listpack element: its encoding plus its back-length.
size_t LpBacklenSize(size_t n) {
  if (n <= 127) return 1;
  if (n < 16383) return 2;
  if (n < 2097151) return 3;
  if (n < 268435455) return 4;
  return 5;
}

size_t LpIntSize(int64_t v) {
  size_t n;
  if (v >= 0 && v <= 127) {
    n = 1;
  } else if (v >= -4096 && v <= 4095) {
    n = 2;
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    n = 3;
  } else if (v >= -8388608 && v <= 8388607) {
    n = 4;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    n = 5;
  } else {
    n = 9;
  }
  return n + LpBacklenSize(n);
}

// Strings that read as canonical 64-bit integers are stored as integers.
bool LpStringAsInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size() || s[i] < '0' || s[i] > '9' || (s[i] == '0' && s.size() > 1)) return false;
  uint64_t magnitude = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (magnitude > (UINT64_MAX - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  if (s[0] == '-') {
    if (magnitude > uint64_t{1} << 63) return false;
    *v = static_cast<int64_t>(0 - magnitude);
  } else {
    if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(magnitude);
  }
  return true;
}

size_t LpStringSize(std::string_view s) {
  int64_t v;
  if (LpStringAsInt(s, &v)) return LpIntSize(v);
  size_t n = s.size() < 64 ? 1 + s.size() : s.size() < 4096 ? 2 + s.size() : 5 + s.size();
  return n + LpBacklenSize(n);
}

// The listpack bytes of a node apart from its two changing counters: header, master fields
// (count, names, terminator) and end marker.
size_t LpMasterSize(std::span<const std::string_view> field_values) {
  size_t n = 6 + 1 + LpIntSize(static_cast<int64_t>(field_values.size() / 2)) + LpIntSize(0);
  for (size_t i = 0; i < field_values.size(); i += 2) n += LpStringSize(field_values[i]);
  return n;
}

size_t LpEntrySize(const StreamID& master, const StreamID& id, bool same,
                   std::span<const std::string_view> field_values) {
  size_t fields = field_values.size() / 2;
  size_t n = LpIntSize(same ? 2 : 0) + LpIntSize(static_cast<int64_t>(id.ms - master.ms)) +
             LpIntSize(static_cast<int64_t>(id.seq - master.seq));
  if (same) {
    for (size_t i = 1; i < field_values.size(); i += 2) n += LpStringSize(field_values[i]);
    return n + LpIntSize(static_cast<int64_t>(fields + 3));
  }
  n += LpIntSize(static_cast<int64_t>(fields));
  for (std::string_view s : field_values) n += LpStringSize(s);
  return n + LpIntSize(static_cast<int64_t>(2 * fields + 4));
}

size_t RawSize(std::span<const std::string_view> field_values) {
  size_t n = 0;
  for (std::string_view s : field_values) n += s.size();
  return n;
}

}  // namespace

struct Stream::Node {
  uint32_t bytes;           // used bytes of data()
  uint32_t capacity;        // allocated bytes of data()
  uint32_t live;            // entries not deleted
  uint32_t deleted;         // entries flagged deleted
  uint32_t entries_offset;  // where the first entry starts, after the master fields
  uint32_t lp_bytes;        // Redis's listpack size for the same entries, counters aside

  // Redis's listpack size for this node.
  size_t ListpackBytes() const { return lp_bytes + LpIntSize(live) + LpIntSize(deleted); }

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  static Node* Allocate(uint32_t capacity) {
    void* mem = std::malloc(sizeof(Node) + capacity);
    if (mem == nullptr) throw std::bad_alloc();
    auto* node = static_cast<Node*>(mem);
    node->bytes = 0;
    node->capacity = capacity;
    node->live = 0;
    node->deleted = 0;
    node->entries_offset = 0;
    node->lp_bytes = 0;
    return node;
  }
  static Node* Resize(Node* node, uint32_t capacity) {
    void* mem = std::realloc(node, sizeof(Node) + capacity);
    if (mem == nullptr) throw std::bad_alloc();
    node = static_cast<Node*>(mem);
    node->capacity = capacity;
    return node;
  }

  void ReadMaster(Stream::FieldValues* fields) const {
    fields->clear();
    const char* p = data();
    uint64_t count;
    p = GetVarint(p, &count);
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view f;
      p = GetBytes(p, &f);
      fields->push_back(f);
    }
  }

  // Decodes the entry at `pos` and returns the offset of the next one. `fvs` (may be null)
  // receives the field/value views.
  size_t Decode(const StreamID& master, const Stream::FieldValues& master_fields, size_t pos,
                StreamID* id, uint8_t* flags, Stream::FieldValues* fvs) const {
    const char* p = data() + pos;
    *flags = static_cast<uint8_t>(*p++);
    uint64_t ms_delta, seq;
    p = GetVarint(p, &ms_delta);
    p = GetVarint(p, &seq);
    id->ms = master.ms + ms_delta;
    id->seq = ms_delta == 0 ? master.seq + seq : seq;
    if (fvs != nullptr) fvs->clear();
    if (*flags & kSameFields) {
      for (std::string_view field : master_fields) {
        std::string_view value;
        p = GetBytes(p, &value);
        if (fvs != nullptr) {
          fvs->push_back(field);
          fvs->push_back(value);
        }
      }
    } else {
      uint64_t pairs;
      p = GetVarint(p, &pairs);
      for (uint64_t i = 0; i < pairs * 2; ++i) {
        std::string_view s;
        p = GetBytes(p, &s);
        if (fvs != nullptr) fvs->push_back(s);
      }
    }
    return static_cast<size_t>(p - data());
  }
};

namespace {

bool SameFields(const Stream::FieldValues& master_fields,
                std::span<const std::string_view> field_values) {
  if (master_fields.size() * 2 != field_values.size()) return false;
  for (size_t i = 0; i < master_fields.size(); ++i) {
    if (master_fields[i] != field_values[2 * i]) return false;
  }
  return true;
}

size_t EntrySize(const StreamID& master, const StreamID& id, bool same,
                 std::span<const std::string_view> field_values) {
  uint64_t ms_delta = id.ms - master.ms;
  size_t size = 1 + VarintSize(ms_delta) + VarintSize(ms_delta == 0 ? id.seq - master.seq : id.seq);
  if (same) {
    for (size_t i = 1; i < field_values.size(); i += 2) size += BytesSize(field_values[i]);
  } else {
    size += VarintSize(field_values.size() / 2);
    for (std::string_view s : field_values) size += BytesSize(s);
  }
  return size;
}

thread_local Stream::FieldValues tls_master;
thread_local Stream::FieldValues tls_fvs;

}  // namespace

// ---- Stream ------------------------------------------------------------------------------------

Stream::~Stream() {
  for (auto it = nodes_.Begin(); it.valid(); it.Next()) FreeNode(it.value());
}

void Stream::FreeNode(Node* node) { std::free(node); }

void Stream::Append(const StreamID& id, std::span<const std::string_view> field_values,
                    size_t node_max_bytes, size_t node_max_entries) {
  if (node_max_bytes == 0 || node_max_bytes > kNoByteLimit) node_max_bytes = kNoByteLimit;
  Node* node = nullptr;
  StreamID master;
  auto tail = nodes_.Last();
  bool same = false;
  if (tail.valid()) {
    node = tail.value();
    master = tail.key();
    node->ReadMaster(&tls_master);
    same = SameFields(tls_master, field_values);
    if (node->ListpackBytes() + RawSize(field_values) >= node_max_bytes ||
        (node_max_entries != 0 && node->live + node->deleted >= node_max_entries)) {
      // Closing the node: give back its spare room.
      if (node->capacity > node->bytes) {
        node_bytes_ -= node->capacity - node->bytes;
        tail.value() = Node::Resize(node, node->bytes);
      }
      node = nullptr;
    }
  }
  if (node == nullptr) {
    master = id;
    same = true;
    size_t master_size = VarintSize(field_values.size() / 2);
    for (size_t i = 0; i < field_values.size(); i += 2) master_size += BytesSize(field_values[i]);
    size_t need = master_size + EntrySize(master, id, true, field_values);
    size_t capacity = std::max<size_t>(need, std::min<size_t>(kInitialCapacity, node_max_bytes));
    node = Node::Allocate(static_cast<uint32_t>(capacity));
    node_bytes_ += sizeof(Node) + capacity;
    char* p = PutVarint(node->data(), field_values.size() / 2);
    for (size_t i = 0; i < field_values.size(); i += 2) p = PutBytes(p, field_values[i]);
    node->bytes = static_cast<uint32_t>(p - node->data());
    node->entries_offset = node->bytes;
    node->lp_bytes = static_cast<uint32_t>(LpMasterSize(field_values));
    nodes_.Insert(master, node);
    tail = nodes_.Last();
  }
  size_t size = EntrySize(master, id, same, field_values);
  if (node->bytes + size > node->capacity) {
    size_t grown = std::max<size_t>(node->bytes + size,
                                    std::min<size_t>(size_t{node->capacity} * 2, node_max_bytes));
    size_t old = node->capacity;
    node = Node::Resize(node, static_cast<uint32_t>(grown));
    node_bytes_ += grown - old;
    tail.value() = node;
  }
  char* p = node->data() + node->bytes;
  *p++ = static_cast<char>(same ? kSameFields : 0);
  uint64_t ms_delta = id.ms - master.ms;
  p = PutVarint(p, ms_delta);
  p = PutVarint(p, ms_delta == 0 ? id.seq - master.seq : id.seq);
  if (same) {
    for (size_t i = 1; i < field_values.size(); i += 2) p = PutBytes(p, field_values[i]);
  } else {
    p = PutVarint(p, field_values.size() / 2);
    for (std::string_view s : field_values) p = PutBytes(p, s);
  }
  node->bytes = static_cast<uint32_t>(p - node->data());
  node->live++;
  node->lp_bytes += static_cast<uint32_t>(LpEntrySize(master, id, same, field_values));
  if (length_ == 0) first_id_ = id;
  length_++;
  last_id_ = id;
  entries_added_++;
}

void Stream::MarkDeleted(const StreamID& master, Node* node, size_t offset) {
  node->data()[offset] = static_cast<char>(node->data()[offset] | kDeleted);
  node->live--;
  node->deleted++;
  length_--;
  if (node->live == 0) {
    nodes_.Erase(master);
    node_bytes_ -= sizeof(Node) + node->capacity;
    FreeNode(node);
  }
}

bool Stream::Delete(const StreamID& id) {
  auto it = nodes_.Floor(id);
  if (!it.valid()) return false;
  Node* node = it.value();
  StreamID master = it.key();
  node->ReadMaster(&tls_master);
  size_t pos = node->entries_offset;
  while (pos < node->bytes) {
    StreamID eid;
    uint8_t flags;
    size_t next = node->Decode(master, tls_master, pos, &eid, &flags, nullptr);
    if (eid == id) {
      if (flags & kDeleted) return false;
      MarkDeleted(master, node, pos);
      return true;
    }
    if (eid > id) return false;
    pos = next;
  }
  return false;
}

bool Stream::Contains(const StreamID& id) const {
  bool found = false;
  Scan(id, id, false, [&](const StreamID&, const FieldValues&) {
    found = true;
    return false;
  });
  return found;
}

void Stream::RecordDeletion(const StreamID& id) {
  if (id > max_deleted_id_) max_deleted_id_ = id;
}

void Stream::RefreshFirstId() {
  if (length_ == 0 || !FirstEntryId(&first_id_)) first_id_ = StreamID::Min();
}

int64_t Stream::Trim(const StreamTrim& trim) {
  if (trim.strategy == StreamTrim::Strategy::kNone) return 0;
  bool by_len = trim.strategy == StreamTrim::Strategy::kMaxLen;
  int64_t removed = 0;
  while (true) {
    if (by_len && length_ <= trim.maxlen) break;
    auto it = nodes_.Begin();
    if (!it.valid()) break;
    Node* node = it.value();
    StreamID master = it.key();
    int64_t entries = node->live;
    if (trim.limit != 0 && removed + entries > trim.limit) break;
    bool remove_node;
    node->ReadMaster(&tls_master);
    if (by_len) {
      remove_node = length_ - static_cast<uint64_t>(entries) >= trim.maxlen;
    } else {
      // The last entry of the node, deleted or not, decides.
      StreamID last;
      uint8_t flags;
      size_t pos = node->entries_offset;
      while (pos < node->bytes) pos = node->Decode(master, tls_master, pos, &last, &flags, nullptr);
      remove_node = last < trim.minid;
    }
    if (remove_node) {
      nodes_.Erase(master);
      node_bytes_ -= sizeof(Node) + node->capacity;
      FreeNode(node);
      length_ -= static_cast<uint64_t>(entries);
      removed += entries;
      continue;
    }
    if (trim.approx) break;
    size_t pos = node->entries_offset;
    while (pos < node->bytes) {
      StreamID eid;
      uint8_t flags;
      size_t next = node->Decode(master, tls_master, pos, &eid, &flags, nullptr);
      if (by_len ? length_ <= trim.maxlen : eid >= trim.minid) break;
      if (!(flags & kDeleted)) {
        // Never the node's last live entry: the checks above keep at least one.
        node->data()[pos] = static_cast<char>(flags | kDeleted);
        node->live--;
        node->deleted++;
        length_--;
        removed++;
      }
      pos = next;
    }
    break;
  }
  RefreshFirstId();
  return removed;
}

void Stream::ScanImpl(const StreamID& start, const StreamID& end, bool reverse, EntryFn fn,
                      void* ctx) const {
  if (start > end) return;
  // Callers may nest scans (a visitor reading another range), so keep buffers local.
  FieldValues master_fields;
  FieldValues fvs;
  if (!reverse) {
    auto it = nodes_.Floor(start);
    if (!it.valid()) it = nodes_.Begin();
    for (; it.valid(); it.Next()) {
      if (it.key() > end) return;
      const Node* node = it.value();
      node->ReadMaster(&master_fields);
      size_t pos = node->entries_offset;
      while (pos < node->bytes) {
        StreamID id;
        uint8_t flags;
        pos = node->Decode(it.key(), master_fields, pos, &id, &flags, &fvs);
        if ((flags & kDeleted) || id < start) continue;
        if (id > end) return;
        if (!fn(ctx, id, fvs)) return;
      }
    }
    return;
  }
  std::vector<uint32_t> offsets;
  for (auto it = nodes_.Floor(end); it.valid(); it.Prev()) {
    const Node* node = it.value();
    node->ReadMaster(&master_fields);
    offsets.clear();
    size_t pos = node->entries_offset;
    while (pos < node->bytes) {
      offsets.push_back(static_cast<uint32_t>(pos));
      StreamID id;
      uint8_t flags;
      pos = node->Decode(it.key(), master_fields, pos, &id, &flags, nullptr);
    }
    for (size_t i = offsets.size(); i-- > 0;) {
      StreamID id;
      uint8_t flags;
      node->Decode(it.key(), master_fields, offsets[i], &id, &flags, &fvs);
      if ((flags & kDeleted) || id > end) continue;
      if (id < start) return;
      if (!fn(ctx, id, fvs)) return;
    }
  }
}

bool Stream::FirstEntryId(StreamID* id) const {
  bool found = false;
  Scan(StreamID::Min(), StreamID::Max(), false, [&](const StreamID& eid, const FieldValues&) {
    *id = eid;
    found = true;
    return false;
  });
  return found;
}

bool Stream::LastEntryId(StreamID* id) const {
  bool found = false;
  Scan(StreamID::Min(), StreamID::Max(), true, [&](const StreamID& eid, const FieldValues&) {
    *id = eid;
    found = true;
    return false;
  });
  return found;
}

std::unique_ptr<Stream> Stream::Clone() const {
  auto copy = std::make_unique<Stream>();
  for (auto it = nodes_.Begin(); it.valid(); it.Next()) {
    const Node* node = it.value();
    Node* dup = Node::Allocate(node->bytes);
    std::memcpy(dup->data(), node->data(), node->bytes);
    dup->bytes = node->bytes;
    dup->live = node->live;
    dup->deleted = node->deleted;
    dup->entries_offset = node->entries_offset;
    dup->lp_bytes = node->lp_bytes;
    copy->nodes_.Insert(it.key(), dup);
    copy->node_bytes_ += sizeof(Node) + dup->capacity;
  }
  copy->length_ = length_;
  copy->last_id_ = last_id_;
  copy->first_id_ = first_id_;
  copy->max_deleted_id_ = max_deleted_id_;
  copy->entries_added_ = entries_added_;
  for (const auto& [name, group] : groups_) {
    StreamGroup* g = copy->CreateGroup(name, group->last_id, group->entries_read);
    for (const auto& [cname, consumer] : group->consumers) {
      g->CreateConsumer(cname, consumer->seen_time)->active_time = consumer->active_time;
    }
    for (auto it = group->pel.Begin(); it.valid(); it.Next()) {
      const StreamNack* nack = it.value();
      StreamNack* dup = g->AddPending(it.key(), g->FindConsumer(nack->consumer->name), 0);
      dup->delivery_time = nack->delivery_time;
      dup->delivery_count = nack->delivery_count;
    }
  }
  return copy;
}

size_t Stream::index_node_count() const { return std::max<size_t>(1, nodes_.node_count()); }

size_t Stream::MemoryUsage() const {
  size_t total = sizeof(*this) + node_bytes_ + nodes_.MemoryUsage();
  for (const auto& [name, group] : groups_) {
    total += sizeof(StreamGroup) + name.size() + group->pel.MemoryUsage() +
             group->pel.size() * sizeof(StreamNack);
    for (const auto& [cname, consumer] : group->consumers) {
      total += sizeof(StreamConsumer) + cname.size() + consumer->pel.MemoryUsage();
    }
  }
  return total;
}

// ---- Consumer groups ---------------------------------------------------------------------------

StreamGroup::~StreamGroup() {
  for (auto it = pel.Begin(); it.valid(); it.Next()) delete it.value();
}

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::CreateConsumer(std::string_view name, int64_t now_ms) {
  if (consumers.find(name) != consumers.end()) return nullptr;
  auto consumer = std::make_unique<StreamConsumer>();
  consumer->name = std::string(name);
  consumer->seen_time = now_ms;
  StreamConsumer* raw = consumer.get();
  consumers.emplace(consumer->name, std::move(consumer));
  return raw;
}

size_t StreamGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers.find(name);
  if (it == consumers.end()) return 0;
  StreamConsumer* consumer = it->second.get();
  size_t pending = consumer->pel.size();
  for (auto p = consumer->pel.Begin(); p.valid(); p.Next()) {
    pel.Erase(p.key());
    delete p.value();
  }
  consumers.erase(it);
  return pending;
}

bool StreamGroup::Ack(const StreamID& id) {
  StreamNack** found = pel.Find(id);
  if (found == nullptr) return false;
  StreamNack* nack = *found;
  pel.Erase(id);
  if (nack->consumer != nullptr) nack->consumer->pel.Erase(id);
  delete nack;
  return true;
}

StreamNack* StreamGroup::AddPending(const StreamID& id, StreamConsumer* consumer, int64_t now_ms) {
  auto* nack = new StreamNack();
  nack->delivery_time = now_ms;
  nack->delivery_count = 1;
  nack->consumer = consumer;
  pel.Insert(id, nack);
  if (consumer != nullptr) consumer->pel.Insert(id, nack);
  return nack;
}

void StreamGroup::Reassign(const StreamID& id, StreamNack* nack, StreamConsumer* consumer) {
  if (nack->consumer == consumer) return;
  if (nack->consumer != nullptr) nack->consumer->pel.Erase(id);
  nack->consumer = consumer;
  consumer->pel.Insert(id, nack);
}

StreamGroup* Stream::FindGroup(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

StreamGroup* Stream::CreateGroup(std::string_view name, const StreamID& last_id,
                                 int64_t entries_read) {
  if (groups_.find(name) != groups_.end()) return nullptr;
  auto group = std::make_unique<StreamGroup>();
  group->last_id = last_id;
  group->entries_read = entries_read;
  StreamGroup* raw = group.get();
  groups_.emplace(std::string(name), std::move(group));
  return raw;
}

bool Stream::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

int64_t Stream::EstimateEntriesRead(const StreamID& id) const {
  if (entries_added_ == 0) return 0;
  if (length_ == 0 && id <= last_id_) return static_cast<int64_t>(entries_added_);
  if (id == last_id_) return static_cast<int64_t>(entries_added_);
  if (id > last_id_) return kEntriesReadUnknown;
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    // Nothing was deleted inside the live range: positions are exact.
    if (id < first_id_) return static_cast<int64_t>(entries_added_ - length_);
    if (id == first_id_) return static_cast<int64_t>(entries_added_ - length_ + 1);
  }
  return kEntriesReadUnknown;
}

bool Stream::RangeHasTombstones(const StreamID& start, const StreamID& end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

bool Stream::GroupLag(const StreamGroup& group, int64_t* lag) const {
  if (entries_added_ == 0) {
    *lag = 0;
    return true;
  }
  if (group.entries_read != kEntriesReadUnknown &&
      !RangeHasTombstones(group.last_id, StreamID::Max())) {
    *lag = static_cast<int64_t>(entries_added_) - group.entries_read;
    return true;
  }
  int64_t read = EstimateEntriesRead(group.last_id);
  if (read == kEntriesReadUnknown) return false;
  *lag = static_cast<int64_t>(entries_added_) - read;
  return true;
}

void Stream::AdvanceGroup(StreamGroup* group, const StreamID& id) const {
  if (id <= group->last_id) return;
  if (group->entries_read != kEntriesReadUnknown && !RangeHasTombstones(id, StreamID::Max())) {
    group->entries_read++;
  } else if (entries_added_ != 0) {
    group->entries_read = EstimateEntriesRead(id);
  }
  group->last_id = id;
}

// ---- DUMP / RESTORE ----------------------------------------------------------------------------
//
// Body: last id, first id, max deleted id, entries added, then the live entries (count; each: id,
// pair count, fields and values), then the groups (count; each: name, last id, entries read + 1,
// pending records (count; each: id, delivery time, delivery count), consumers (count; each: name,
// seen time, count of owned IDs, the IDs)), then every consumer's active time, groups and
// consumers in the order above. IDs are two varints. Payloads written before active times were
// kept end after the groups: their consumers load as last active when last seen, which is what
// seen time meant then (Redis 7.2 loads older RDB files the same way).

namespace {

void PutId(PayloadWriter& out, const StreamID& id) {
  out.PutVarint(id.ms);
  out.PutVarint(id.seq);
}

bool ReadId(PayloadReader& in, StreamID* id) {
  return in.ReadVarint(&id->ms) && in.ReadVarint(&id->seq);
}

bool ReadInt64(PayloadReader& in, int64_t* v) {
  uint64_t u;
  if (!in.ReadFixed64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

}  // namespace

void DumpStream(const Object& obj, PayloadWriter& out) {
  const Stream& s = obj.As<StreamObject>()->stream();
  PutId(out, s.last_id());
  PutId(out, s.first_id());
  PutId(out, s.max_deleted_id());
  out.PutVarint(s.entries_added());
  out.PutVarint(s.length());
  s.Scan(StreamID::Min(), StreamID::Max(), false,
         [&](const StreamID& id, const Stream::FieldValues& fvs) {
           PutId(out, id);
           out.PutVarint(fvs.size() / 2);
           for (std::string_view v : fvs) out.PutString(v);
           return true;
         });
  out.PutVarint(s.groups().size());
  for (const auto& [name, group] : s.groups()) {
    out.PutString(name);
    PutId(out, group->last_id);
    out.PutFixed64(static_cast<uint64_t>(group->entries_read));
    out.PutVarint(group->pel.size());
    for (auto it = group->pel.Begin(); it.valid(); it.Next()) {
      PutId(out, it.key());
      out.PutFixed64(static_cast<uint64_t>(it.value()->delivery_time));
      out.PutVarint(it.value()->delivery_count);
    }
    out.PutVarint(group->consumers.size());
    for (const auto& [cname, consumer] : group->consumers) {
      out.PutString(cname);
      out.PutFixed64(static_cast<uint64_t>(consumer->seen_time));
      out.PutVarint(consumer->pel.size());
      for (auto it = consumer->pel.Begin(); it.valid(); it.Next()) PutId(out, it.key());
    }
  }
  for (const auto& [name, group] : s.groups()) {
    for (const auto& [cname, consumer] : group->consumers) {
      out.PutFixed64(static_cast<uint64_t>(consumer->active_time));
    }
  }
}

bool LoadStream(PayloadReader& in, Object* out) {
  auto stream = std::make_unique<Stream>();
  StreamID last, first, max_deleted;
  uint64_t added, length;
  if (!ReadId(in, &last) || !ReadId(in, &first) || !ReadId(in, &max_deleted) ||
      !in.ReadVarint(&added) || !in.ReadCount(&length, 3)) {
    return false;
  }
  std::vector<std::string_view> fvs;
  StreamID prev;
  for (uint64_t i = 0; i < length; ++i) {
    StreamID id;
    uint64_t pairs;
    if (!ReadId(in, &id) || !in.ReadCount(&pairs, 2) || pairs == 0) return false;
    if ((i > 0 && id <= prev) || id.IsZero() || id > last) return false;
    fvs.resize(pairs * 2);
    for (auto& v : fvs) {
      if (!in.ReadString(&v)) return false;
    }
    stream->Append(id, fvs, 4096, 100);
    prev = id;
  }
  if (added < length) return false;
  stream->set_last_id(last);
  stream->set_entries_added(added);
  stream->set_max_deleted_id(max_deleted);
  stream->RefreshFirstId();
  uint64_t groups;
  if (!in.ReadCount(&groups, 4)) return false;
  for (uint64_t g = 0; g < groups; ++g) {
    std::string_view name;
    StreamID group_last;
    int64_t entries_read;
    uint64_t pending;
    if (!in.ReadString(&name) || !ReadId(in, &group_last) || !ReadInt64(in, &entries_read) ||
        entries_read < kEntriesReadUnknown || !in.ReadCount(&pending, 11)) {
      return false;
    }
    StreamGroup* group = stream->CreateGroup(name, group_last, entries_read);
    if (group == nullptr) return false;
    for (uint64_t p = 0; p < pending; ++p) {
      StreamID id;
      int64_t time;
      uint64_t count;
      if (!ReadId(in, &id) || !ReadInt64(in, &time) || !in.ReadVarint(&count)) return false;
      if (group->pel.Find(id) != nullptr) return false;
      StreamNack* nack = group->AddPending(id, nullptr, time);
      nack->delivery_count = count;
    }
    uint64_t consumers;
    if (!in.ReadCount(&consumers, 10)) return false;
    for (uint64_t c = 0; c < consumers; ++c) {
      std::string_view cname;
      int64_t seen;
      uint64_t owned;
      if (!in.ReadString(&cname) || !ReadInt64(in, &seen) || !in.ReadCount(&owned, 2)) {
        return false;
      }
      StreamConsumer* consumer = group->CreateConsumer(cname, seen);
      if (consumer == nullptr) return false;
      for (uint64_t o = 0; o < owned; ++o) {
        StreamID id;
        if (!ReadId(in, &id)) return false;
        StreamNack** nack = group->pel.Find(id);
        if (nack == nullptr || (*nack)->consumer != nullptr) return false;
        (*nack)->consumer = consumer;
        consumer->pel.Insert(id, *nack);
      }
    }
    // Every pending record must belong to a consumer.
    for (auto it = group->pel.Begin(); it.valid(); it.Next()) {
      if (it.value()->consumer == nullptr) return false;
    }
  }
  bool has_active_times = in.remaining() > 0;
  for (const auto& [name, group] : stream->groups()) {
    for (const auto& [cname, consumer] : group->consumers) {
      consumer->active_time = consumer->seen_time;
      if (has_active_times && (!ReadInt64(in, &consumer->active_time) ||
                               consumer->active_time < kConsumerNeverActive)) {
        return false;
      }
    }
  }
  *out = Object(std::make_unique<StreamObject>(std::move(stream)));
  return true;
}

}  // namespace sluice
