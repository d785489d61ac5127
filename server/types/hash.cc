#include "server/types/hash.h"

#include <unordered_set>

#include "server/types/serialize.h"

namespace sluice {
namespace {

uint64_t max_packed_entries = 512;
uint64_t max_packed_value = 64;

}  // namespace

// ---------------------------------------------------------------------------------------------
// PackedPairs

size_t PackedPairs::Read(size_t pos, std::string_view* s) const {
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(buf_[pos++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  *s = std::string_view(buf_).substr(pos, len);
  return pos + len;
}

void PackedPairs::Append(std::string_view s) {
  uint64_t len = s.size();
  while (len >= 0x80) {
    buf_.push_back(static_cast<char>(len | 0x80));
    len >>= 7;
  }
  buf_.push_back(static_cast<char>(len));
  buf_.append(s);
}

size_t PackedPairs::Locate(std::string_view field, size_t* value_pos) const {
  size_t pos = 0;
  std::string_view f, v;
  while (pos < buf_.size()) {
    size_t start = pos;
    size_t vpos = Read(pos, &f);
    pos = Read(vpos, &v);
    if (f == field) {
      *value_pos = vpos;
      return start;
    }
  }
  return std::string::npos;
}

bool PackedPairs::Find(std::string_view field, std::string_view* value) const {
  size_t vpos;
  if (Locate(field, &vpos) == std::string::npos) return false;
  Read(vpos, value);
  return true;
}

bool PackedPairs::Set(std::string_view field, std::string_view value) {
  size_t vpos;
  if (Locate(field, &vpos) == std::string::npos) {
    Append(field);
    Append(value);
    ++pairs_;
    return true;
  }
  std::string_view old;
  size_t end = Read(vpos, &old);
  std::string encoded;
  encoded.swap(buf_);
  buf_.reserve(encoded.size() - (end - vpos) + value.size() + 10);
  buf_.append(encoded, 0, vpos);
  Append(value);
  buf_.append(encoded, end, std::string::npos);
  return false;
}

bool PackedPairs::Erase(std::string_view field) {
  size_t vpos;
  size_t start = Locate(field, &vpos);
  if (start == std::string::npos) return false;
  std::string_view value;
  size_t end = Read(vpos, &value);
  buf_.erase(start, end - start);
  --pairs_;
  return true;
}

void PackedPairs::Offsets(std::vector<uint32_t>* out) const {
  out->clear();
  out->reserve(pairs_);
  size_t pos = 0;
  std::string_view s;
  while (pos < buf_.size()) {
    out->push_back(static_cast<uint32_t>(pos));
    pos = Read(Read(pos, &s), &s);
  }
}

// ---------------------------------------------------------------------------------------------
// HashObject

void HashObject::SetPackedLimits(uint64_t max_entries, uint64_t max_value) {
  max_packed_entries = max_entries;
  max_packed_value = max_value;
}

uint64_t HashObject::MaxPackedEntries() { return max_packed_entries; }
uint64_t HashObject::MaxPackedValue() { return max_packed_value; }

HashObject::HashObject(const HashObject& other) : packed_(other.packed_) {
  if (other.table_) table_ = std::make_unique<Table>(*other.table_);
}

size_t HashObject::MemoryUsage() const {
  if (!table_) return sizeof(*this) + packed_.bytes();
  size_t bytes = sizeof(*this) + table_->MemoryUsage();
  table_->ForEach([&](const Table::Entry& e) {
    if (e.value.capacity() > 15) bytes += e.value.capacity() + 1;
  });
  return bytes;
}

bool HashObject::Get(std::string_view field, std::string_view* value) const {
  if (!table_) return packed_.Find(field, value);
  const Table::Entry* e = table_->Find(field);
  if (e == nullptr) return false;
  *value = e->value;
  return true;
}

bool HashObject::Set(std::string_view field, std::string_view value) {
  if (!table_ && (field.size() > max_packed_value || value.size() > max_packed_value)) {
    ConvertToTable();
  }
  if (!table_) {
    bool added = packed_.Set(field, value);
    if (added && packed_.size() > max_packed_entries) ConvertToTable();
    return added;
  }
  bool inserted;
  Table::Entry* e = table_->Insert(field, &inserted);
  e->value.assign(value);
  return inserted;
}

bool HashObject::Delete(std::string_view field) {
  return table_ ? table_->Erase(field) : packed_.Erase(field);
}

void HashObject::ConvertToTable() {
  auto table = std::make_unique<Table>();
  table->Reserve(packed_.size());
  packed_.ForEach([&](std::string_view field, std::string_view value) {
    bool inserted;
    table->Insert(field, &inserted)->value.assign(value);
  });
  table_ = std::move(table);
  packed_ = PackedPairs();
}

void HashObject::RandomPairs(size_t count, Random& rng, const PairVisitor& f) const {
  if (Length() == 0) return;
  if (table_) {
    for (size_t i = 0; i < count; ++i) {
      const Table::Entry* e = table_->RandomEntry(rng);
      f(e->key, e->value);
    }
    return;
  }
  std::vector<uint32_t> offsets;
  packed_.Offsets(&offsets);
  std::string_view field, value;
  for (size_t i = 0; i < count; ++i) {
    packed_.PairAt(offsets[rng.Uniform(offsets.size())], &field, &value);
    f(field, value);
  }
}

void HashObject::RandomDistinctPairs(size_t count, Random& rng, const PairVisitor& f) const {
  size_t size = Length();
  // Picking at random until enough distinct pairs turned up is cheap while few are wanted; past a
  // third of the hash, shuffling a list of every pair is cheaper than the retries.
  if (table_ && count * 3 <= size) {
    std::unordered_set<const Table::Entry*> seen;
    seen.reserve(count);
    while (seen.size() < count) {
      const Table::Entry* e = table_->RandomEntry(rng);
      if (seen.insert(e).second) f(e->key, e->value);
    }
    return;
  }
  std::vector<std::pair<std::string_view, std::string_view>> all;
  all.reserve(size);
  ForEach([&](std::string_view field, std::string_view value) { all.emplace_back(field, value); });
  for (size_t i = 0; i < count && i < all.size(); ++i) {
    size_t j = i + rng.Uniform(all.size() - i);
    std::swap(all[i], all[j]);
    f(all[i].first, all[i].second);
  }
}

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE

void DumpHash(const Object& obj, PayloadWriter& out) {
  const HashObject* hash = obj.As<HashObject>();
  out.PutVarint(hash->Length());
  hash->ForEach([&](std::string_view field, std::string_view value) {
    out.PutString(field);
    out.PutString(value);
  });
}

bool LoadHash(PayloadReader& in, Object* out) {
  uint64_t count;
  // Each pair takes at least two bytes: the two length prefixes.
  if (!in.ReadCount(&count, 2) || count == 0) return false;
  auto hash = std::make_unique<HashObject>();
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view field, value;
    if (!in.ReadString(&field) || !in.ReadString(&value)) return false;
    if (!hash->Set(field, value)) return false;
  }
  *out = Object(std::move(hash));
  return true;
}

}  // namespace sluice
