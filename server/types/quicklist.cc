// QuickList implementation: node memory management, the packed entry format and the list
// operations built on them.
//
// Entry format, listpack-like so both directions can be walked without per-element metadata:
//   <header> <payload> <backlen>
// The header's first byte selects the encoding:
//   0x00-0x7f  string of 0-127 bytes                      (1-byte header)
//   0x80-0xbf  string of 128-16383 bytes, 14-bit length    (2-byte header)
//   0xc0-0xef  integer 0-47 stored in the byte itself      (1-byte header, no payload)
//   0xf0-0xf4  int8 / int16 / int24 / int32 / int64, little endian
//   0xf5       string, 32-bit little-endian length         (5-byte header)
// Strings that are the canonical decimal form of an int64 are always stored as integers and
// everything else as strings, so two elements are equal exactly when their encodings are: the
// search operations compare raw bytes without decoding.
// backlen is header+payload length in 7-bit groups, stored so that it is read from the last byte
// backwards (high bit set = more groups to the left). A 64-byte string costs 66 bytes.

#include "server/types/quicklist.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace sluice {

struct QuickList::Node {
  Node* prev;
  Node* next;
  uint32_t count;  // entries
  uint32_t begin;  // data()[begin, end) holds the entries; the gaps on both sides are spare room
  uint32_t end;
  uint32_t cap;

  unsigned char* data() { return reinterpret_cast<unsigned char*>(this + 1); }
  const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(this + 1); }
  uint32_t used() const { return end - begin; }
};

namespace {

// Redis's node size levels for fill -1..-5, and the byte cap applied to count-limited nodes.
constexpr size_t kSizeLevels[] = {4096, 8192, 16384, 32768, 65536};
constexpr size_t kSizeSafetyLimit = 8192;
// Limits are checked against a listpack-equivalent size so conversions happen where Redis's do:
// a listpack's header plus terminator, and the slack Redis adds when estimating an insertion.
constexpr size_t kListpackOverhead = 7;
constexpr size_t kSizeEstimateOverhead = 8;
constexpr int kFillMax = 32767;

constexpr unsigned kIntImmediate = 0xc0;
constexpr unsigned kIntImmediateMax = 47;
constexpr unsigned kInt8 = 0xf0;
constexpr unsigned kInt16 = 0xf1;
constexpr unsigned kInt24 = 0xf2;
constexpr unsigned kInt32 = 0xf3;
constexpr unsigned kInt64 = 0xf4;
constexpr unsigned kStr32 = 0xf5;

uint64_t LoadLE(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void StoreLE(unsigned char* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i, v >>= 8) p[i] = static_cast<unsigned char>(v);
}

int64_t SignExtend(uint64_t v, int bytes) {
  const int shift = 64 - 8 * bytes;
  return static_cast<int64_t>(v << shift) >> shift;
}

// Header plus payload length of the entry starting at p.
uint32_t BodyLen(const unsigned char* p) {
  const unsigned b = p[0];
  if (b < 0x80) return 1 + b;
  if (b < 0xc0) return 2 + (((b & 0x3f) << 8) | p[1]);
  if (b < kInt8) return 1;
  switch (b) {
    case kInt8:
      return 2;
    case kInt16:
      return 3;
    case kInt24:
      return 4;
    case kInt32:
      return 5;
    case kInt64:
      return 9;
    default:
      return 5 + static_cast<uint32_t>(LoadLE(p + 1, 4));
  }
}

uint32_t BacklenSize(uint32_t body) {
  if (body < (1u << 7)) return 1;
  if (body < (1u << 14)) return 2;
  if (body < (1u << 21)) return 3;
  if (body < (1u << 28)) return 4;
  return 5;
}

void WriteBacklen(unsigned char* dst, uint32_t body, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t group = n - 1 - i;
    dst[i] = static_cast<unsigned char>(((body >> (7 * group)) & 0x7f) | (i > 0 ? 0x80 : 0));
  }
}

uint32_t EntrySize(const unsigned char* p) {
  const uint32_t body = BodyLen(p);
  return body + BacklenSize(body);
}

// Start of the entry that ends right before `end`.
const unsigned char* EntryStartFromEnd(const unsigned char* end) {
  const unsigned char* q = end - 1;
  uint32_t body = *q & 0x7f;
  uint32_t n = 1;
  for (int shift = 7; *q & 0x80; shift += 7, ++n) {
    --q;
    body |= static_cast<uint32_t>(*q & 0x7f) << shift;
  }
  return end - n - body;
}

std::string_view EntryValue(const unsigned char* p, char* scratch) {
  const unsigned b = p[0];
  if (b < 0x80) return {reinterpret_cast<const char*>(p + 1), b};
  if (b < 0xc0) return {reinterpret_cast<const char*>(p + 2), ((b & 0x3f) << 8) | p[1]};
  if (b == kStr32) return {reinterpret_cast<const char*>(p + 5), LoadLE(p + 1, 4)};
  int64_t v;
  if (b < kInt8) {
    v = b - kIntImmediate;
  } else {
    const int bytes = b == kInt64 ? 8 : static_cast<int>(b - kInt8) + 1;
    v = SignExtend(LoadLE(p + 1, bytes), bytes);
  }
  const auto res = std::to_chars(scratch, scratch + 21, v);
  return {scratch, static_cast<size_t>(res.ptr - scratch)};
}

// True when s is exactly how the int64 it denotes prints: no sign on zero, no '+', no leading
// zeros, no spaces. Only those strings may be stored as integers, or equal values would get
// different encodings.
bool ParseCanonicalInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  const char c = s[0];
  if (c != '-' && (c < '0' || c > '9')) return false;
  int64_t v;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return false;
  char buf[24];
  const auto back = std::to_chars(buf, buf + sizeof(buf), v);
  if (static_cast<size_t>(back.ptr - buf) != s.size() || std::memcmp(buf, s.data(), s.size())) {
    return false;
  }
  *out = v;
  return true;
}

void CheckElementSize(std::string_view value) {
  if (value.size() >= QuickList::kMaxElementSize) throw std::length_error("list element too large");
}

}  // namespace

// One element in stored form, built once per operation and then written or compared.
class QuickList::Encoded {
 public:
  explicit Encoded(std::string_view s) : raw_len_(s.size()) {
    int64_t v;
    if (ParseCanonicalInt(s, &v)) {
      if (v >= 0 && v <= static_cast<int64_t>(kIntImmediateMax)) {
        head_[0] = static_cast<unsigned char>(kIntImmediate + v);
        head_len_ = 1;
      } else {
        int bytes = 8;
        if (v >= INT8_MIN && v <= INT8_MAX) {
          bytes = 1;
        } else if (v >= INT16_MIN && v <= INT16_MAX) {
          bytes = 2;
        } else if (v >= -(1 << 23) && v < (1 << 23)) {
          bytes = 3;
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
          bytes = 4;
        }
        head_[0] = static_cast<unsigned char>(bytes == 8 ? kInt64 : kInt8 + bytes - 1);
        StoreLE(head_ + 1, static_cast<uint64_t>(v), bytes);
        head_len_ = 1 + bytes;
      }
    } else {
      const size_t n = s.size();
      payload_ = s.data();
      payload_len_ = static_cast<uint32_t>(n);
      if (n < 0x80) {
        head_[0] = static_cast<unsigned char>(n);
        head_len_ = 1;
      } else if (n < (1u << 14)) {
        head_[0] = static_cast<unsigned char>(0x80 | (n >> 8));
        head_[1] = static_cast<unsigned char>(n & 0xff);
        head_len_ = 2;
      } else {
        head_[0] = kStr32;
        StoreLE(head_ + 1, n, 4);
        head_len_ = 5;
      }
    }
    body_ = head_len_ + payload_len_;
    size_ = body_ + BacklenSize(body_);
  }

  uint32_t size() const { return size_; }
  size_t raw_len() const { return raw_len_; }

  void WriteTo(unsigned char* dst) const {
    std::memcpy(dst, head_, head_len_);
    if (payload_len_) std::memcpy(dst + head_len_, payload_, payload_len_);
    WriteBacklen(dst + body_, body_, size_ - body_);
  }

  bool Matches(const unsigned char* entry) const {
    return BodyLen(entry) == body_ && std::memcmp(entry, head_, head_len_) == 0 &&
           (payload_len_ == 0 || std::memcmp(entry + head_len_, payload_, payload_len_) == 0);
  }

 private:
  unsigned char head_[9];
  uint32_t head_len_ = 0;
  const char* payload_ = nullptr;
  uint32_t payload_len_ = 0;
  uint32_t body_ = 0;
  uint32_t size_ = 0;
  size_t raw_len_;
};

int QuickList::default_fill_ = QuickList::kDefaultFill;

void QuickList::SetDefaultFill(int fill) { default_fill_ = fill; }
int QuickList::DefaultFill() { return default_fill_; }

QuickList::QuickList() : QuickList(default_fill_) {}

QuickList::QuickList(int fill) { SetFill(fill); }

QuickList::~QuickList() { Clear(); }

QuickList::QuickList(const QuickList& other)
    : size_limit_(other.size_limit_),
      count_limit_(other.count_limit_),
      grow_limit_(other.grow_limit_),
      fill_(other.fill_),
      listpack_(other.listpack_) {
  CopyFrom(other);
}

QuickList& QuickList::operator=(const QuickList& other) {
  if (this != &other) {
    QuickList copy(other);
    *this = std::move(copy);
  }
  return *this;
}

QuickList::QuickList(QuickList&& other) noexcept
    : head_(std::exchange(other.head_, nullptr)),
      tail_(std::exchange(other.tail_, nullptr)),
      count_(std::exchange(other.count_, 0)),
      nodes_(std::exchange(other.nodes_, 0)),
      bytes_(std::exchange(other.bytes_, 0)),
      size_limit_(other.size_limit_),
      count_limit_(other.count_limit_),
      grow_limit_(other.grow_limit_),
      fill_(other.fill_),
      listpack_(std::exchange(other.listpack_, true)) {}

QuickList& QuickList::operator=(QuickList&& other) noexcept {
  if (this != &other) {
    Clear();
    head_ = std::exchange(other.head_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
    count_ = std::exchange(other.count_, 0);
    nodes_ = std::exchange(other.nodes_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
    size_limit_ = other.size_limit_;
    count_limit_ = other.count_limit_;
    grow_limit_ = other.grow_limit_;
    fill_ = other.fill_;
    listpack_ = std::exchange(other.listpack_, true);
  }
  return *this;
}

void QuickList::CopyFrom(const QuickList& other) {
  try {
    for (const Node* src = other.head_; src; src = src->next) {
      Node* n = NewNode(src->used());
      std::memcpy(n->data(), src->data() + src->begin, src->used());
      n->end = src->used();
      n->count = src->count;
      LinkBefore(nullptr, n);
      count_ += src->count;
    }
  } catch (...) {
    Clear();
    throw;
  }
}

void QuickList::SetFill(int fill) {
  fill = std::clamp(fill, -5, kFillMax);
  fill_ = fill;
  if (fill < 0) {
    size_limit_ = kSizeLevels[-fill - 1];
    count_limit_ = UINT32_MAX;
  } else {
    size_limit_ = SIZE_MAX;
    count_limit_ = fill == 0 ? 1 : static_cast<uint32_t>(fill);
  }
  grow_limit_ =
      static_cast<uint32_t>((fill < 0 ? size_limit_ : kSizeSafetyLimit) - kListpackOverhead);
}

void QuickList::Clear() {
  for (Node* n = head_; n;) {
    Node* next = n->next;
    std::free(n);
    n = next;
  }
  head_ = tail_ = nullptr;
  count_ = nodes_ = bytes_ = 0;
  listpack_ = true;
}

// --- Limits and encoding conversion -----------------------------------------------------------

bool QuickList::Exceeds(size_t lp_bytes, size_t count) const {
  if (size_limit_ != SIZE_MAX) return lp_bytes > size_limit_;
  if (lp_bytes > kSizeSafetyLimit) return true;
  return count > count_limit_;
}

bool QuickList::AllowInsert(const Node* n, size_t raw_len) const {
  // A listpack-encoded list is judged like Redis judges a listpack (exact size plus the new
  // value); quicklist nodes like Redis judges quicklist nodes (with its estimate slack).
  size_t lp = n->used() + kListpackOverhead + raw_len;
  if (!listpack_) lp += kSizeEstimateOverhead;
  return !Exceeds(lp, size_t{n->count} + 1);
}

bool QuickList::AllowMerge(const Node* a, const Node* b) const {
  return !Exceeds(size_t{a->used()} + b->used() + kListpackOverhead, size_t{a->count} + b->count);
}

void QuickList::NoteGrowth(size_t raw_len) {
  if (!listpack_) return;
  const size_t lp = (head_ ? head_->used() : 0) + kListpackOverhead + raw_len;
  if (Exceeds(lp, count_ + 1)) listpack_ = false;
}

void QuickList::NoteShrink() {
  if (count_ == 0) {
    listpack_ = true;
    return;
  }
  if (listpack_ || nodes_ != 1) return;
  if (head_->used() + kListpackOverhead <= size_limit_ / 2 && head_->count <= count_limit_ / 2) {
    listpack_ = true;
  }
}

// --- Node memory ------------------------------------------------------------------------------

QuickList::Node* QuickList::NewNode(uint32_t cap) {
  auto* n = static_cast<Node*>(std::malloc(sizeof(Node) + cap));
  if (!n) throw std::bad_alloc();
  n->prev = n->next = nullptr;
  n->count = n->begin = n->end = 0;
  n->cap = cap;
  bytes_ += sizeof(Node) + cap;
  ++nodes_;
  return n;
}

void QuickList::LinkAfter(Node* at, Node* n) {
  n->prev = at;
  n->next = at ? at->next : head_;
  if (n->next) {
    n->next->prev = n;
  } else {
    tail_ = n;
  }
  if (at) {
    at->next = n;
  } else {
    head_ = n;
  }
}

void QuickList::LinkBefore(Node* at, Node* n) {
  n->next = at;
  n->prev = at ? at->prev : tail_;
  if (n->prev) {
    n->prev->next = n;
  } else {
    head_ = n;
  }
  if (at) {
    at->prev = n;
  } else {
    tail_ = n;
  }
}

void QuickList::FreeNode(Node* n) {
  if (n->prev) {
    n->prev->next = n->next;
  } else {
    head_ = n->next;
  }
  if (n->next) {
    n->next->prev = n->prev;
  } else {
    tail_ = n->prev;
  }
  bytes_ -= sizeof(Node) + n->cap;
  --nodes_;
  std::free(n);
}

QuickList::Node* QuickList::Realloc(Node* n, uint32_t cap) {
  const uint32_t old_cap = n->cap;
  auto* m = static_cast<Node*>(std::realloc(n, sizeof(Node) + cap));
  if (!m) throw std::bad_alloc();
  bytes_ = bytes_ - old_cap + cap;
  m->cap = cap;
  if (m != n) {
    if (m->prev) {
      m->prev->next = m;
    } else {
      head_ = m;
    }
    if (m->next) {
      m->next->prev = m;
    } else {
      tail_ = m;
    }
  }
  return m;
}

// Ensures `add` spare bytes before (front) or after the data. End nodes are where pushes land,
// so they grow by half again, capped at the node limit; a node keeps that slack only until it is
// sealed. Interior nodes grow exactly, since they seldom grow twice. Data is re-centred instead
// of reallocating when the node already has enough spare room overall (the pop-one-end,
// push-the-other pattern of a short queue).
QuickList::Node* QuickList::MakeRoom(Node* n, uint32_t add, bool front) {
  const uint32_t room = front ? n->begin : n->cap - n->end;
  if (room >= add) return n;
  const uint64_t used = n->used();
  const uint64_t need = used + add;
  uint64_t cap = n->cap;
  if (n != head_ && n != tail_) {
    cap = std::max(cap, need);
  } else if (cap - used < add + used / 2) {
    cap = std::max({cap, need, std::min<uint64_t>(need + need / 2, grow_limit_)});
  }
  if (cap > UINT32_MAX) throw std::length_error("list node too large");
  // Most of the spare room goes to the side being pushed, some to the other so that
  // alternating pushes do not re-centre every time.
  const uint64_t spare = cap - need;
  const uint64_t new_begin = front ? add + spare - spare / 4 : spare / 4;
  if (cap != n->cap) n = Realloc(n, static_cast<uint32_t>(cap));
  std::memmove(n->data() + new_begin, n->data() + n->begin, used);
  n->begin = static_cast<uint32_t>(new_begin);
  n->end = static_cast<uint32_t>(new_begin + used);
  return n;
}

// Opens `len` bytes at data offset `pos` (relative to begin), moving whichever side is shorter.
QuickList::Node* QuickList::OpenGap(Node* n, uint32_t pos, uint32_t len) {
  const uint32_t used = n->used();
  const bool front = pos < used - pos;
  n = MakeRoom(n, len, front);
  unsigned char* d = n->data();
  if (front) {
    std::memmove(d + n->begin - len, d + n->begin, pos);
    n->begin -= len;
  } else {
    std::memmove(d + n->begin + pos + len, d + n->begin + pos, used - pos);
    n->end += len;
  }
  return n;
}

void QuickList::CloseGap(Node* n, uint32_t pos, uint32_t len) {
  const uint32_t used = n->used();
  unsigned char* d = n->data();
  if (pos < used - pos - len) {
    std::memmove(d + n->begin + len, d + n->begin, pos);
    n->begin += len;
  } else {
    std::memmove(d + n->begin + pos, d + n->begin + pos + len, used - pos - len);
    n->end -= len;
  }
}

QuickList::Node* QuickList::ShrinkToFit(Node* n) {
  const uint32_t used = n->used();
  if (n->cap == used) return n;
  std::memmove(n->data(), n->data() + n->begin, used);
  n->begin = 0;
  n->end = used;
  return Realloc(n, used);
}

QuickList::Node* QuickList::MaybeShrink(Node* n) {
  if (n->cap - n->used() > n->used() / 2 + 64) return ShrinkToFit(n);
  return n;
}

// Merges b (a's successor) and a into whichever is larger, so the smaller one is copied.
QuickList::Node* QuickList::Merge(Node* a, Node* b) {
  const uint32_t ua = a->used();
  const uint32_t ub = b->used();
  if (ua >= ub) {
    a = OpenGap(a, ua, ub);
    std::memcpy(a->data() + a->end - ub, b->data() + b->begin, ub);
    a->count += b->count;
    FreeNode(b);
    return a;
  }
  b = OpenGap(b, 0, ua);
  std::memcpy(b->data() + b->begin, a->data() + a->begin, ua);
  b->count += a->count;
  FreeNode(a);
  return b;
}

QuickList::Node* QuickList::MergeIfFits(Node* a, Node* b) {
  if (a && b && AllowMerge(a, b)) return Merge(a, b);
  return nullptr;
}

// --- Locating entries -------------------------------------------------------------------------

std::pair<QuickList::Node*, uint32_t> QuickList::Locate(size_t idx) const {
  if (idx < count_ / 2) {
    size_t seen = 0;
    for (Node* n = head_;; n = n->next) {
      if (idx < seen + n->count) return {n, static_cast<uint32_t>(idx - seen)};
      seen += n->count;
    }
  }
  size_t seen = count_;
  for (Node* n = tail_;; n = n->prev) {
    seen -= n->count;
    if (idx >= seen) return {n, static_cast<uint32_t>(idx - seen)};
  }
}

uint32_t QuickList::EntryOffset(const Node* n, uint32_t idx) {
  const unsigned char* d = n->data();
  const unsigned char* p;
  if (idx <= n->count / 2) {
    p = d + n->begin;
    for (uint32_t i = 0; i < idx; ++i) p += EntrySize(p);
  } else {
    p = d + n->end;
    for (uint32_t i = n->count; i > idx; --i) p = EntryStartFromEnd(p);
  }
  return static_cast<uint32_t>(p - d) - n->begin;
}

// --- Iteration --------------------------------------------------------------------------------

std::string_view QuickList::Iterator::value() const {
  return EntryValue(node_->data() + offset_, scratch_);
}

void QuickList::Iterator::Next() {
  offset_ += EntrySize(node_->data() + offset_);
  if (offset_ == node_->end) {
    node_ = node_->next;
    offset_ = node_ ? node_->begin : 0;
  }
}

void QuickList::Iterator::Prev() {
  if (offset_ == node_->begin) {
    node_ = node_->prev;
    if (!node_) return;
    offset_ = node_->end;
  }
  const unsigned char* d = node_->data();
  offset_ = static_cast<uint32_t>(EntryStartFromEnd(d + offset_) - d);
}

QuickList::Iterator QuickList::Front() const {
  return head_ ? Iterator(head_, head_->begin) : Iterator();
}

QuickList::Iterator QuickList::Back() const {
  if (!tail_) return Iterator();
  const unsigned char* d = tail_->data();
  return Iterator(tail_, static_cast<uint32_t>(EntryStartFromEnd(d + tail_->end) - d));
}

QuickList::Iterator QuickList::At(long idx) const {
  const long n = static_cast<long>(count_);
  if (idx < 0) idx += n;
  if (idx < 0 || idx >= n) return Iterator();
  auto [node, i] = Locate(static_cast<size_t>(idx));
  return Iterator(node, node->begin + EntryOffset(node, i));
}

std::vector<std::string> QuickList::ToVector() const {
  std::vector<std::string> out;
  out.reserve(count_);
  ForEach([&](std::string_view v) { out.emplace_back(v); });
  return out;
}

// --- Mutations --------------------------------------------------------------------------------

void QuickList::PushFront(std::string_view value) { Push(value, true); }
void QuickList::PushBack(std::string_view value) { Push(value, false); }
bool QuickList::PopFront(std::string* out) { return Pop(out, true); }
bool QuickList::PopBack(std::string* out) { return Pop(out, false); }

void QuickList::Push(std::string_view value, bool front) {
  CheckElementSize(value);
  const Encoded e(value);
  NoteGrowth(value.size());
  Node* n = front ? head_ : tail_;
  if (n && AllowInsert(n, value.size())) {
    n = OpenGap(n, front ? 0 : n->used(), e.size());
    e.WriteTo(n->data() + (front ? n->begin : n->end - e.size()));
  } else {
    // The old end node will not grow again, so give back its slack.
    if (n) ShrinkToFit(n);
    n = NewNode(e.size());
    if (front) {
      LinkAfter(nullptr, n);
    } else {
      LinkBefore(nullptr, n);
    }
    e.WriteTo(n->data());
    n->end = e.size();
  }
  ++n->count;
  ++count_;
  if (nodes_ > 1) listpack_ = false;
}

bool QuickList::Pop(std::string* out, bool front) {
  if (count_ == 0) return false;
  Node* n = front ? head_ : tail_;
  const unsigned char* d = n->data();
  const unsigned char* p = front ? d + n->begin : EntryStartFromEnd(d + n->end);
  if (out) {
    char scratch[24];
    const std::string_view v = EntryValue(p, scratch);
    out->assign(v.data(), v.size());
  }
  CloseGap(n, static_cast<uint32_t>(p - d) - n->begin, EntrySize(p));
  --count_;
  if (--n->count == 0) FreeNode(n);
  NoteShrink();
  return true;
}

bool QuickList::Index(long idx, std::string* out) const {
  const Iterator it = At(idx);
  if (!it.Valid()) return false;
  if (out) {
    const std::string_view v = it.value();
    out->assign(v.data(), v.size());
  }
  return true;
}

// Inserts e at byte offset `pos` of n, which is the boundary before entry `idx`. When n is full,
// the entry goes to a neighbour with room, else into a new node; an insertion strictly inside a
// full node splits it first, as Redis does.
void QuickList::InsertEntry(Node* n, uint32_t pos, uint32_t idx, const Encoded& e) {
  const uint32_t sz = e.size();
  auto place = [&](Node* m, uint32_t at) {
    m = OpenGap(m, at, sz);
    e.WriteTo(m->data() + m->begin + at);
    ++m->count;
    ++count_;
    return m;
  };
  if (AllowInsert(n, e.raw_len())) {
    place(n, pos);
    return;
  }
  const uint32_t used = n->used();
  if (pos == 0 || pos == used) {
    Node* neighbour = pos == 0 ? n->prev : n->next;
    if (neighbour && AllowInsert(neighbour, e.raw_len())) {
      place(neighbour, pos == 0 ? neighbour->used() : 0);
    } else {
      Node* m = NewNode(sz);
      if (pos == 0) {
        LinkBefore(n, m);
      } else {
        LinkAfter(n, m);
      }
      place(m, 0);
    }
    return;
  }
  Node* right = NewNode(used - pos);
  std::memcpy(right->data(), n->data() + n->begin + pos, used - pos);
  right->end = used - pos;
  right->count = n->count - idx;
  n->end = n->begin + pos;
  n->count = idx;
  LinkAfter(n, right);
  if (AllowInsert(n, e.raw_len())) {
    n = place(n, pos);
  } else if (AllowInsert(right, e.raw_len())) {
    place(right, 0);
  } else {
    Node* m = NewNode(sz);
    LinkAfter(n, m);
    place(m, 0);
  }
  MaybeShrink(n);
}

bool QuickList::Set(long idx, std::string_view value) {
  const long len = static_cast<long>(count_);
  if (idx < 0) idx += len;
  if (idx < 0 || idx >= len) return false;
  CheckElementSize(value);
  const Encoded e(value);
  NoteGrowth(value.size());
  auto [n, i] = Locate(static_cast<size_t>(idx));
  const uint32_t pos = EntryOffset(n, i);
  const uint32_t old_size = EntrySize(n->data() + n->begin + pos);
  const uint32_t sz = e.size();
  if (n->count == 1 || !Exceeds(size_t{n->used()} - old_size + sz + kListpackOverhead, n->count)) {
    if (sz > old_size) {
      n = OpenGap(n, pos + old_size, sz - old_size);
    } else if (sz < old_size) {
      CloseGap(n, pos + sz, old_size - sz);
    }
    e.WriteTo(n->data() + n->begin + pos);
    if (sz < old_size) MaybeShrink(n);
  } else {
    CloseGap(n, pos, old_size);
    --n->count;
    --count_;
    InsertEntry(n, pos, i, e);
  }
  if (nodes_ > 1) listpack_ = false;
  NoteShrink();
  return true;
}

long QuickList::Insert(std::string_view pivot, std::string_view value, bool before) {
  CheckElementSize(value);
  const Encoded e(value);
  // Like Redis, the conversion is decided before knowing whether the pivot exists.
  NoteGrowth(value.size());
  if (pivot.size() >= kMaxElementSize) return -1;
  const Encoded p(pivot);
  for (Node* n = head_; n; n = n->next) {
    const unsigned char* d = n->data();
    uint32_t off = n->begin;
    for (uint32_t i = 0; i < n->count; ++i) {
      const uint32_t esz = EntrySize(d + off);
      if (p.Matches(d + off)) {
        const uint32_t pos = off - n->begin;
        InsertEntry(n, before ? pos : pos + esz, before ? i : i + 1, e);
        if (nodes_ > 1) listpack_ = false;
        return static_cast<long>(count_);
      }
      off += esz;
    }
  }
  return -1;
}

long QuickList::Remove(std::string_view value, long count) {
  if (count_ == 0 || value.size() >= kMaxElementSize) return 0;
  const Encoded e(value);
  const bool from_tail = count < 0;
  const uint64_t limit = count == 0  ? UINT64_MAX
                         : count > 0 ? static_cast<uint64_t>(count)
                                     : static_cast<uint64_t>(-(count + 1)) + 1;
  uint64_t removed = 0;
  std::vector<std::pair<uint32_t, uint32_t>> hits;  // (offset, size) of matches, ascending
  for (Node* n = from_tail ? tail_ : head_; n && removed < limit;) {
    Node* next = from_tail ? n->prev : n->next;
    unsigned char* d = n->data();
    hits.clear();
    if (!from_tail) {
      for (uint32_t off = n->begin; off < n->end && removed + hits.size() < limit;) {
        const uint32_t sz = EntrySize(d + off);
        if (e.Matches(d + off)) hits.emplace_back(off, sz);
        off += sz;
      }
    } else {
      for (uint32_t off = n->end; off > n->begin && removed + hits.size() < limit;) {
        off = static_cast<uint32_t>(EntryStartFromEnd(d + off) - d);
        if (e.Matches(d + off)) hits.emplace_back(off, EntrySize(d + off));
      }
      std::reverse(hits.begin(), hits.end());
    }
    if (!hits.empty()) {
      removed += hits.size();
      count_ -= hits.size();
      if (hits.size() == n->count) {
        FreeNode(n);
      } else {
        // Slide each surviving run down over the removed entries.
        unsigned char* w = d + hits[0].first;
        for (size_t k = 0; k < hits.size(); ++k) {
          const uint32_t from = hits[k].first + hits[k].second;
          const uint32_t to = k + 1 < hits.size() ? hits[k + 1].first : n->end;
          std::memmove(w, d + from, to - from);
          w += to - from;
        }
        n->end = static_cast<uint32_t>(w - d);
        n->count -= static_cast<uint32_t>(hits.size());
        n = MaybeShrink(n);
        // Join with the neighbour already visited if the two now fit in one node.
        if (from_tail) {
          MergeIfFits(n, n->next);
        } else {
          MergeIfFits(n->prev, n);
        }
      }
    }
    n = next;
  }
  NoteShrink();
  return static_cast<long>(removed);
}

void QuickList::DeleteRange(size_t start, size_t k) {
  if (k == 0) return;
  if (start == 0 && k >= count_) {
    Clear();
    return;
  }
  auto [n, i] = Locate(start);
  Node* left = n->prev;  // last node wholly before the range; only changes if n is kept
  for (bool first = true; k > 0; first = false) {
    Node* next = n->next;
    if (i == 0 && n->count <= k) {
      k -= n->count;
      count_ -= n->count;
      FreeNode(n);
    } else {
      const uint32_t take = static_cast<uint32_t>(std::min<size_t>(k, n->count - i));
      const uint32_t from = EntryOffset(n, i);
      const uint32_t to = i + take == n->count ? n->used() : EntryOffset(n, i + take);
      CloseGap(n, from, to - from);
      n->count -= take;
      count_ -= take;
      k -= take;
      n = MaybeShrink(n);
      if (first && i > 0) left = n;
    }
    n = next;
    i = 0;
  }
  // The nodes around the removed range are now neighbours.
  MergeIfFits(left, left ? left->next : nullptr);
}

void QuickList::Trim(long start, long stop) {
  const long len = static_cast<long>(count_);
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  size_t ltrim, rtrim;
  if (start > stop || start >= len) {
    ltrim = static_cast<size_t>(len);
    rtrim = 0;
  } else {
    if (stop >= len) stop = len - 1;
    ltrim = static_cast<size_t>(start);
    rtrim = static_cast<size_t>(len - stop - 1);
  }
  DeleteRange(0, ltrim);
  DeleteRange(count_ - rtrim, rtrim);
  NoteShrink();
}

std::vector<long> QuickList::Pos(std::string_view value, long rank, long count, long maxlen) const {
  std::vector<long> out;
  if (count_ == 0 || value.size() >= kMaxElementSize) return out;
  const Encoded e(value);
  const bool from_tail = rank < 0;
  const uint64_t skip = rank == 0  ? 0
                        : rank > 0 ? static_cast<uint64_t>(rank) - 1
                                   : static_cast<uint64_t>(-(rank + 1));
  const uint64_t scan_limit = maxlen > 0 ? static_cast<uint64_t>(maxlen) : UINT64_MAX;
  const uint64_t want = count > 0 ? static_cast<uint64_t>(count) : UINT64_MAX;
  uint64_t scanned = 0, matches = 0;
  long idx = from_tail ? static_cast<long>(count_) - 1 : 0;
  // Returns false once the search is over.
  auto visit = [&](const unsigned char* p) {
    if (scanned++ >= scan_limit) return false;
    if (e.Matches(p) && matches++ >= skip) {
      out.push_back(idx);
      if (out.size() >= want) return false;
    }
    idx += from_tail ? -1 : 1;
    return true;
  };
  if (!from_tail) {
    for (const Node* n = head_; n; n = n->next) {
      const unsigned char* d = n->data();
      for (uint32_t off = n->begin; off < n->end; off += EntrySize(d + off)) {
        if (!visit(d + off)) return out;
      }
    }
  } else {
    for (const Node* n = tail_; n; n = n->prev) {
      const unsigned char* d = n->data();
      for (const unsigned char* p = d + n->end; p > d + n->begin;) {
        p = EntryStartFromEnd(p);
        if (!visit(p)) return out;
      }
    }
  }
  return out;
}

// --- Consistency check ------------------------------------------------------------------------

bool QuickList::Verify() const {
  size_t total = 0, nodes = 0, bytes = 0;
  const Node* prev = nullptr;
  for (const Node* n = head_; n; prev = n, n = n->next) {
    ++nodes;
    bytes += sizeof(Node) + n->cap;
    if (n->prev != prev || n->count == 0 || n->begin > n->end || n->end > n->cap) return false;
    const unsigned char* d = n->data();
    uint32_t seen = 0;
    uint32_t off = n->begin;
    while (off < n->end) {
      const unsigned char* p = d + off;
      const uint32_t sz = EntrySize(p);
      if (off + sz > n->end || EntryStartFromEnd(p + sz) != p) return false;
      // The stored form must be the canonical encoding of the value it decodes to.
      char scratch[24];
      const Encoded again(EntryValue(p, scratch));
      if (again.size() != sz || !again.Matches(p)) return false;
      off += sz;
      ++seen;
    }
    if (off != n->end || seen != n->count) return false;
    if (n->count > 1 && !listpack_) {
      // Nodes may overshoot the estimate-based limit by a few header bytes, never by more.
      const size_t lp = n->used() + kListpackOverhead;
      if (size_limit_ != SIZE_MAX ? lp > size_limit_ + 16
                                  : (n->count > count_limit_ || lp > kSizeSafetyLimit + 16)) {
        return false;
      }
    }
    total += n->count;
  }
  if (prev != tail_ || total != count_ || nodes != nodes_ || bytes != bytes_) return false;
  if (listpack_ && nodes_ > 1) return false;
  return true;
}

}  // namespace sluice
