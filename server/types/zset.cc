#include "server/types/zset.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <unordered_set>

#include "server/types/serialize.h"

namespace sluice {
namespace {

uint64_t max_packed_entries = 128;
uint64_t max_packed_value = 64;

// Skip list level distribution: each level holds about a quarter of the one below.
constexpr uint64_t kLevelOdds = 4;

size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A negative zero is kept as 0 by the packed form: Redis writes listpack scores through its
// integer formatting, which has no negative zero.
double PackedScore(double score) { return score == 0 ? 0.0 : score; }

bool LexGteMin(std::string_view member, const LexBound& min) {
  switch (min.kind) {
    case LexBound::Kind::kMinusInf:
      return true;
    case LexBound::Kind::kPlusInf:
      return false;
    case LexBound::Kind::kValue:
      break;
  }
  int c = member.compare(min.value);
  return min.exclusive ? c > 0 : c >= 0;
}

bool LexLteMax(std::string_view member, const LexBound& max) {
  switch (max.kind) {
    case LexBound::Kind::kMinusInf:
      return false;
    case LexBound::Kind::kPlusInf:
      return true;
    case LexBound::Kind::kValue:
      break;
  }
  int c = member.compare(max.value);
  return max.exclusive ? c < 0 : c <= 0;
}

// A range that can hold nothing whatever the set: min above max, or equal with an open end.
bool LexRangeIsEmpty(const LexRange& range) {
  auto rank = [](const LexBound& b) {
    return b.kind == LexBound::Kind::kMinusInf ? 0 : b.kind == LexBound::Kind::kValue ? 1 : 2;
  };
  int c = rank(range.min) - rank(range.max);
  if (c == 0 && range.min.kind == LexBound::Kind::kValue)
    c = range.min.value.compare(range.max.value);
  return c > 0 || (c == 0 && (range.min.exclusive || range.max.exclusive));
}

}  // namespace

// --- Range arguments ------------------------------------------------------------------------

bool ParseScoreBound(std::string_view text, double* value, bool* exclusive) {
  *exclusive = !text.empty() && text[0] == '(';
  if (*exclusive) text.remove_prefix(1);
  // strtod needs a terminated string; an embedded NUL ends the number as it does in Redis.
  std::string copy(text);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (*end != '\0' || std::isnan(v)) return false;
  *value = v;
  return true;
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out) {
  return ParseScoreBound(min, &out->min, &out->min_exclusive) &&
         ParseScoreBound(max, &out->max, &out->max_exclusive);
}

bool ParseLexBound(std::string_view text, LexBound* out) {
  if (text.empty()) return false;
  switch (text[0]) {
    case '-':
    case '+':
      if (text.size() != 1) return false;
      out->kind = text[0] == '-' ? LexBound::Kind::kMinusInf : LexBound::Kind::kPlusInf;
      out->exclusive = false;
      out->value = {};
      return true;
    case '(':
    case '[':
      out->kind = LexBound::Kind::kValue;
      out->exclusive = text[0] == '(';
      out->value = text.substr(1);
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* out) {
  return ParseLexBound(min, &out->min) && ParseLexBound(max, &out->max);
}

// --- PackedZSet -------------------------------------------------------------------------------

void PackedZSet::Encode(std::string_view member, double score, std::string* out) {
  char bytes[sizeof(double)];
  std::memcpy(bytes, &score, sizeof(score));
  out->append(bytes, sizeof(bytes));
  size_t len = member.size();
  while (len >= 0x80) {
    out->push_back(static_cast<char>((len & 0x7f) | 0x80));
    len >>= 7;
  }
  out->push_back(static_cast<char>(len));
  out->append(member);
}

size_t PackedZSet::Read(size_t pos, std::string_view* member, double* score) const {
  std::memcpy(score, buf_.data() + pos, sizeof(double));
  pos += sizeof(double);
  size_t len = 0;
  int shift = 0;
  while (true) {
    auto byte = static_cast<uint8_t>(buf_[pos++]);
    len |= static_cast<size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
    shift += 7;
  }
  *member = std::string_view(buf_.data() + pos, len);
  return pos + len;
}

size_t PackedZSet::PositionOf(size_t rank) const {
  size_t pos = 0;
  std::string_view member;
  double score;
  for (size_t i = 0; i < rank; ++i) pos = Read(pos, &member, &score);
  return pos;
}

void PackedZSet::Offsets(std::vector<size_t>* out) const {
  out->clear();
  out->reserve(count_);
  size_t pos = 0;
  std::string_view member;
  double score;
  for (size_t i = 0; i < count_; ++i) {
    out->push_back(pos);
    pos = Read(pos, &member, &score);
  }
}

size_t PackedZSet::Find(std::string_view member, double* score, size_t* rank) const {
  size_t pos = 0;
  std::string_view m;
  double s;
  for (size_t i = 0; i < count_; ++i) {
    size_t next = Read(pos, &m, &s);
    if (m == member) {
      *score = s;
      *rank = i;
      return pos;
    }
    pos = next;
  }
  return std::string::npos;
}

void PackedZSet::Insert(std::string_view member, double score) {
  score = PackedScore(score);
  size_t pos = 0;
  std::string_view m;
  double s;
  for (size_t i = 0; i < count_; ++i) {
    size_t next = Read(pos, &m, &s);
    if (CompareEntries(score, member, s, m) < 0) break;
    pos = next;
  }
  std::string entry;
  entry.reserve(sizeof(double) + VarintSize(member.size()) + member.size());
  Encode(member, score, &entry);
  buf_.insert(pos, entry);
  ++count_;
}

void PackedZSet::Append(std::string_view member, double score) {
  Encode(member, PackedScore(score), &buf_);
  ++count_;
}

bool PackedZSet::Erase(std::string_view member) {
  double score;
  size_t rank;
  size_t pos = Find(member, &score, &rank);
  if (pos == std::string::npos) return false;
  std::string_view m;
  size_t next = Read(pos, &m, &score);
  buf_.erase(pos, next - pos);
  --count_;
  return true;
}

void PackedZSet::EraseRange(size_t first, size_t end) {
  if (first >= end) return;
  size_t from = PositionOf(first);
  size_t to = from;
  std::string_view m;
  double s;
  for (size_t i = first; i < end; ++i) to = Read(to, &m, &s);
  buf_.erase(from, to - from);
  count_ -= end - first;
  if (count_ == 0) buf_.shrink_to_fit();
}

// --- SkipListZSet -----------------------------------------------------------------------------

SkipListZSet::Node* SkipListZSet::NewNode(int level, double score, std::string_view member,
                                          size_t hash) {
  size_t links = static_cast<size_t>(level) * sizeof(Link);
  void* mem = ::operator new(sizeof(Node) + links + member.size());
  Node* node = new (mem) Node{score, nullptr, nullptr, hash, member.size(), level};
  Link* link = node->links();
  for (int i = 0; i < level; ++i) new (&link[i]) Link{nullptr, 0};
  if (!member.empty())
    std::memcpy(reinterpret_cast<char*>(link + level), member.data(), member.size());
  return node;
}

void SkipListZSet::FreeNode(Node* node) { ::operator delete(node); }

int SkipListZSet::RandomLevel() {
  int level = 1;
  Random& rng = ServerRandom();
  while (level < kMaxLevel && rng.Uniform(kLevelOdds) == 0) ++level;
  return level;
}

size_t SkipListZSet::HashOf(std::string_view member) {
  return std::hash<std::string_view>{}(member);
}

SkipListZSet::SkipListZSet() : header_(NewNode(kMaxLevel, 0, {}, 0)) {}

SkipListZSet::SkipListZSet(const SkipListZSet& other) : SkipListZSet() {
  IndexResize(std::bit_ceil(std::max(other.size(), kMinBuckets)));
  other.ForRange(0, other.size(), false,
                 [&](std::string_view member, double score) { Insert(member, score); });
}

SkipListZSet::~SkipListZSet() {
  Node* x = header_->links()[0].forward;
  while (x != nullptr) {
    Node* next = x->links()[0].forward;
    FreeNode(x);
    x = next;
  }
  FreeNode(header_);
}

const SkipListZSet::Node* SkipListZSet::NodeAt(size_t rank) const {
  // The ends, where pops and ZRANGE 0 / -1 look, need no descent.
  if (rank == 0) return header_->links()[0].forward;
  if (rank + 1 == length_) return tail_;
  // Ranks in the links count from 1: the first entry is one step from the header.
  size_t target = rank + 1;
  size_t traversed = 0;
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->links()[i].forward != nullptr && traversed + x->links()[i].span <= target) {
      traversed += x->links()[i].span;
      x = x->links()[i].forward;
    }
    if (traversed == target) return x;
  }
  return nullptr;
}

void SkipListZSet::FindPredecessors(double score, std::string_view member, Node** update) const {
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (true) {
      Node* next = x->links()[i].forward;
      if (next == nullptr || CompareEntries(next->score, next->member(), score, member) >= 0) break;
      x = next;
    }
    update[i] = x;
  }
}

void SkipListZSet::LinkNode(Node* x) {
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  std::string_view member = x->member();
  Node* p = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (true) {
      Node* next = p->links()[i].forward;
      if (next == nullptr || CompareEntries(next->score, next->member(), x->score, member) >= 0) {
        break;
      }
      rank[i] += p->links()[i].span;
      p = next;
    }
    update[i] = p;
  }
  int level = x->level;
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = header_;
      header_->links()[i].span = length_;
    }
    level_ = level;
  }
  for (int i = 0; i < level; ++i) {
    Link& prev = update[i]->links()[i];
    x->links()[i].forward = prev.forward;
    prev.forward = x;
    // The new node sits rank[0] - rank[i] entries after update[i] on this level.
    x->links()[i].span = prev.span - (rank[0] - rank[i]);
    prev.span = rank[0] - rank[i] + 1;
  }
  for (int i = level; i < level_; ++i) update[i]->links()[i].span++;
  x->backward = update[0] == header_ ? nullptr : update[0];
  if (x->links()[0].forward != nullptr) {
    x->links()[0].forward->backward = x;
  } else {
    tail_ = x;
  }
  ++length_;
}

void SkipListZSet::UnlinkNode(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    Link& prev = update[i]->links()[i];
    if (prev.forward == x) {
      prev.span += x->links()[i].span - 1;
      prev.forward = x->links()[i].forward;
    } else {
      prev.span -= 1;
    }
  }
  if (x->links()[0].forward != nullptr) {
    x->links()[0].forward->backward = x->backward;
  } else {
    tail_ = x->backward;
  }
  while (level_ > 1 && header_->links()[level_ - 1].forward == nullptr) --level_;
  --length_;
}

// --- The member index ---

SkipListZSet::Node* SkipListZSet::FindNode(std::string_view member) const {
  if (length_ == 0) return nullptr;
  size_t h = HashOf(member);
  for (Node* x = buckets_[h & (buckets_.size() - 1)]; x != nullptr; x = x->chain) {
    if (x->hash == h && x->member() == member) return x;
  }
  return nullptr;
}

void SkipListZSet::IndexAdd(Node* x) {
  // length_ already counts x.
  if (length_ > buckets_.size()) {
    IndexResize(buckets_.empty() ? kMinBuckets : buckets_.size() * 2);
  }
  Node*& head = buckets_[x->hash & (buckets_.size() - 1)];
  x->chain = head;
  head = x;
}

void SkipListZSet::IndexRemove(Node* x) {
  Node** link = &buckets_[x->hash & (buckets_.size() - 1)];
  while (*link != x) link = &(*link)->chain;
  *link = x->chain;
}

void SkipListZSet::IndexResize(size_t count) {
  std::vector<Node*> old;
  old.swap(buckets_);
  buckets_.assign(count, nullptr);
  size_t mask = count - 1;
  for (Node* head : old) {
    while (head != nullptr) {
      Node* next = head->chain;
      Node*& bucket = buckets_[head->hash & mask];
      head->chain = bucket;
      bucket = head;
      head = next;
    }
  }
}

void SkipListZSet::MaybeShrinkIndex() {
  if (buckets_.size() <= kMinBuckets || length_ * 8 >= buckets_.size()) return;
  if (length_ == 0) {
    buckets_.clear();
    buckets_.shrink_to_fit();
    return;
  }
  IndexResize(std::bit_ceil(std::max(length_, kMinBuckets)));
}

// --- Operations ---

bool SkipListZSet::Score(std::string_view member, double* score) const {
  const Node* node = FindNode(member);
  if (node == nullptr) return false;
  *score = node->score;
  return true;
}

bool SkipListZSet::Rank(std::string_view member, size_t* rank, double* score) const {
  const Node* node = FindNode(member);
  if (node == nullptr) return false;
  *score = node->score;
  *rank = CountPrefix(
      [&](std::string_view m, double s) { return CompareEntries(s, m, node->score, member) < 0; });
  return true;
}

void SkipListZSet::Insert(std::string_view member, double score) {
  Node* x = NewNode(RandomLevel(), score, member, HashOf(member));
  LinkNode(x);
  IndexAdd(x);
  member_bytes_ += member.size();
}

void SkipListZSet::Update(std::string_view member, double score) {
  Node* node = FindNode(member);
  const Node* prev = node->backward;
  const Node* next = node->links()[0].forward;
  // Still between its neighbours: the score changes in place.
  if ((prev == nullptr || CompareEntries(prev->score, prev->member(), score, member) < 0) &&
      (next == nullptr || CompareEntries(next->score, next->member(), score, member) > 0)) {
    node->score = score;
    return;
  }
  // Otherwise the same node moves: its member, hash and index place stay as they are.
  Node* update[kMaxLevel];
  FindPredecessors(node->score, member, update);
  UnlinkNode(node, update);
  node->score = score;
  LinkNode(node);
}

bool SkipListZSet::Erase(std::string_view member) {
  Node* node = FindNode(member);
  if (node == nullptr) return false;
  Node* update[kMaxLevel];
  FindPredecessors(node->score, member, update);
  UnlinkNode(node, update);
  IndexRemove(node);
  member_bytes_ -= node->member_size;
  FreeNode(node);
  MaybeShrinkIndex();
  return true;
}

void SkipListZSet::EraseRange(size_t first, size_t end) {
  if (first >= end) return;
  // The predecessors of the first removed node stay the predecessors of each following one. From
  // rank 0 (ZPOPMIN) they are the header on every level and the descent reads only the header.
  Node* update[kMaxLevel];
  size_t traversed = 0;
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->links()[i].forward != nullptr && traversed + x->links()[i].span <= first) {
      traversed += x->links()[i].span;
      x = x->links()[i].forward;
    }
    update[i] = x;
  }
  x = x->links()[0].forward;
  for (size_t i = first; i < end && x != nullptr; ++i) {
    Node* next = x->links()[0].forward;
    UnlinkNode(x, update);
    IndexRemove(x);
    member_bytes_ -= x->member_size;
    FreeNode(x);
    x = next;
  }
  // One resize for the whole range, not one per removed member.
  MaybeShrinkIndex();
}

size_t SkipListZSet::MemoryUsage() const {
  size_t bytes = sizeof(*this) + buckets_.capacity() * sizeof(Node*);
  bytes += sizeof(Node) + kMaxLevel * sizeof(Link);  // the header
  // Levels average 4/3 links per node.
  bytes += length_ * (sizeof(Node) + sizeof(Link) * 4 / 3) + member_bytes_;
  return bytes;
}

// --- ZSetObject -------------------------------------------------------------------------------

void ZSetObject::SetPackedLimits(uint64_t max_entries, uint64_t max_value) {
  max_packed_entries = max_entries;
  max_packed_value = max_value;
}

uint64_t ZSetObject::MaxPackedEntries() { return max_packed_entries; }
uint64_t ZSetObject::MaxPackedValue() { return max_packed_value; }

ZSetObject::ZSetObject(const ZSetObject& other) : packed_(other.packed_) {
  if (other.skiplist_) skiplist_ = std::make_unique<SkipListZSet>(*other.skiplist_);
}

std::unique_ptr<ZSetObject> ZSetObject::FromSorted(
    const std::vector<std::pair<std::string_view, double>>& entries) {
  auto zset = std::make_unique<ZSetObject>();
  size_t longest = 0;
  for (const auto& entry : entries) longest = std::max(longest, entry.first.size());
  if (entries.size() > max_packed_entries || longest > max_packed_value) {
    zset->skiplist_ = std::make_unique<SkipListZSet>();
    for (const auto& [member, score] : entries) zset->skiplist_->Insert(member, score);
  } else {
    for (const auto& [member, score] : entries) zset->packed_.Append(member, score);
  }
  return zset;
}

size_t ZSetObject::MemoryUsage() const {
  return sizeof(*this) + (skiplist_ ? skiplist_->MemoryUsage() : packed_.bytes());
}

bool ZSetObject::Score(std::string_view member, double* score) const {
  if (skiplist_) return skiplist_->Score(member, score);
  size_t rank;
  return packed_.Find(member, score, &rank) != std::string::npos;
}

bool ZSetObject::Rank(std::string_view member, size_t* rank, double* score) const {
  if (skiplist_) return skiplist_->Rank(member, rank, score);
  return packed_.Find(member, score, rank) != std::string::npos;
}

void ZSetObject::Insert(std::string_view member, double score) {
  if (!skiplist_ && (packed_.size() + 1 > max_packed_entries || member.size() > max_packed_value)) {
    ConvertToSkipList();
  }
  if (skiplist_) {
    skiplist_->Insert(member, score);
  } else {
    packed_.Insert(member, score);
  }
}

void ZSetObject::Update(std::string_view member, double score) {
  if (skiplist_) {
    skiplist_->Update(member, score);
    return;
  }
  // `member` may be a view of the caller's argument, never of this buffer (see Insert), so it
  // survives the erase.
  packed_.Erase(member);
  packed_.Insert(member, score);
}

bool ZSetObject::Erase(std::string_view member) {
  return skiplist_ ? skiplist_->Erase(member) : packed_.Erase(member);
}

void ZSetObject::EraseRange(size_t first, size_t end) {
  if (skiplist_) {
    skiplist_->EraseRange(first, end);
  } else {
    packed_.EraseRange(first, end);
  }
}

void ZSetObject::ScoreRangeRanks(const ScoreRange& range, size_t* first, size_t* end) const {
  auto below_min = [&](std::string_view, double score) {
    return range.min_exclusive ? score <= range.min : score < range.min;
  };
  auto within_max = [&](std::string_view, double score) {
    return range.max_exclusive ? score < range.max : score <= range.max;
  };
  if (skiplist_) {
    *first = skiplist_->CountPrefix(below_min);
    *end = skiplist_->CountPrefix(within_max);
  } else {
    *first = packed_.CountPrefix(below_min);
    *end = packed_.CountPrefix(within_max);
  }
  if (*end < *first) *end = *first;
}

void ZSetObject::LexRangeRanks(const LexRange& range, LexWalk walk, size_t* first,
                               size_t* end) const {
  *first = *end = 0;
  size_t n = size();
  if (n == 0 || LexRangeIsEmpty(range)) return;
  auto gte_min = [&](std::string_view member, double) { return LexGteMin(member, range.min); };
  auto lte_max = [&](std::string_view member, double) { return LexLteMax(member, range.max); };
  auto below_min = [&](std::string_view member, double s) { return !gte_min(member, s); };
  auto above_max = [&](std::string_view member, double s) { return !lte_max(member, s); };
  // Like Redis, give up at once when the last member is below the range or the first above it.
  bool reachable = true;
  ForRange(n - 1, n, false, [&](std::string_view m, double s) { reachable = gte_min(m, s); });
  ForRange(0, 1, false, [&](std::string_view m, double s) { reachable &= lte_max(m, s); });
  if (!reachable) return;
  if (walk == LexWalk::kBackward) {
    size_t hi =
        skiplist_ ? skiplist_->CountPrefix(lte_max) : n - packed_.CountBackFrom(n - 1, above_max);
    if (hi == 0) return;
    size_t back = skiplist_ ? skiplist_->CountBackFrom(hi - 1, gte_min)
                            : packed_.CountBackFrom(hi - 1, gte_min);
    *first = hi - back;
    *end = hi;
    return;
  }
  size_t lo = skiplist_ ? skiplist_->CountPrefix(below_min) : packed_.CountPrefix(below_min);
  if (lo == n) return;
  bool first_in = false;
  ForRange(lo, lo + 1, false, [&](std::string_view m, double s) { first_in = lte_max(m, s); });
  if (!first_in) return;
  size_t hi;
  if (skiplist_ && walk == LexWalk::kCount) {
    hi = std::max(lo + 1, skiplist_->CountPrefix(lte_max));
  } else {
    hi = lo + (skiplist_ ? skiplist_->CountFrom(lo, lte_max) : packed_.CountFrom(lo, lte_max));
  }
  *first = lo;
  *end = hi;
}

void ZSetObject::ConvertToSkipList() {
  if (skiplist_) return;
  auto list = std::make_unique<SkipListZSet>();
  packed_.ForRange(0, packed_.size(), false,
                   [&](std::string_view member, double score) { list->Insert(member, score); });
  skiplist_ = std::move(list);
  packed_ = PackedZSet();
}

std::vector<size_t> ZSetObject::DistinctRanks(size_t count, Random& rng) const {
  // Floyd's sampling: one draw per chosen rank, no rejection loop.
  size_t n = size();
  std::unordered_set<size_t> chosen;
  std::vector<size_t> ranks;
  ranks.reserve(count);
  for (size_t j = n - count; j < n; ++j) {
    size_t t = rng.Uniform(j + 1);
    size_t pick = chosen.count(t) != 0 ? j : t;
    chosen.insert(pick);
    ranks.push_back(pick);
  }
  std::shuffle(ranks.begin(), ranks.end(), rng);
  return ranks;
}

// --- DUMP / RESTORE ---------------------------------------------------------------------------

void DumpZSet(const Object& obj, PayloadWriter& out) {
  const auto* zset = obj.As<ZSetObject>();
  out.PutVarint(zset->size());
  zset->ForEach([&](std::string_view member, double score) {
    out.PutString(member);
    out.PutDouble(score);
  });
}

bool LoadZSet(PayloadReader& in, Object* out) {
  uint64_t n;
  // Each entry takes at least a length byte and the score's eight bytes.
  if (!in.ReadCount(&n, 1 + sizeof(double)) || n == 0) return false;
  std::vector<std::pair<std::string_view, double>> entries;
  entries.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view member;
    double score;
    if (!in.ReadString(&member) || !in.ReadDouble(&score) || std::isnan(score)) return false;
    entries.emplace_back(member, score);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].first == entries[i - 1].first) return false;
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return CompareEntries(a.second, a.first, b.second, b.first) < 0;
  });
  *out = Object(ZSetObject::FromSorted(entries));
  return true;
}

}  // namespace sluice
