#include "server/types/set.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "server/types/serialize.h"

namespace sluice {
namespace {

uint64_t max_intset_entries = 512;

// SPOP keeps removing random members while the members that stay outnumber a fifth of those
// leaving; past that, rebuilding the set from the few survivors is cheaper (Redis's threshold).
constexpr size_t kPopRebuildRatio = 5;

}  // namespace

void SetObject::SetMaxIntsetEntries(uint64_t n) { max_intset_entries = n; }
uint64_t SetObject::MaxIntsetEntries() { return max_intset_entries; }

SetObject::SetObject(const SetObject& other) : ints_(other.ints_) {
  if (other.table_) table_ = std::make_unique<Table>(*other.table_);
}

size_t SetObject::MemoryUsage() const {
  if (table_) return sizeof(*this) + table_->MemoryUsage();
  return sizeof(*this) + ints_.capacity() * sizeof(int64_t);
}

bool SetObject::Add(std::string_view member) {
  if (!table_) {
    int64_t v;
    if (ParseInt64(member, &v)) {
      auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
      if (it != ints_.end() && *it == v) return false;
      ints_.insert(it, v);
      if (ints_.size() > max_intset_entries) ConvertToTable();
      return true;
    }
    ConvertToTable();
  }
  bool inserted;
  table_->Insert(member, &inserted);
  return inserted;
}

bool SetObject::Remove(std::string_view member) {
  if (table_) return table_->Erase(member);
  int64_t v;
  if (!ParseInt64(member, &v)) return false;
  auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
  if (it == ints_.end() || *it != v) return false;
  ints_.erase(it);
  return true;
}

bool SetObject::Contains(std::string_view member) const {
  if (table_) return table_->Find(member) != nullptr;
  int64_t v;
  return ParseInt64(member, &v) && std::binary_search(ints_.begin(), ints_.end(), v);
}

void SetObject::ConvertToTable() {
  auto table = std::make_unique<Table>();
  table->Reserve(ints_.size());
  char buf[kInt64BufferSize];
  bool inserted;
  for (int64_t v : ints_) table->Insert(std::string_view(buf, FormatInt64(v, buf)), &inserted);
  table_ = std::move(table);
  ints_.clear();
  ints_.shrink_to_fit();
}

bool SetObject::PopRandom(Random& rng, std::string* out) {
  if (table_) {
    const Table::Entry* e = table_->RandomEntry(rng);
    if (e == nullptr) return false;
    *out = e->key;
    table_->Erase(*out);
    return true;
  }
  if (ints_.empty()) return false;
  auto it = ints_.begin() + static_cast<ptrdiff_t>(rng.Uniform(ints_.size()));
  *out = Int64ToString(*it);
  ints_.erase(it);
  return true;
}

void SetObject::PopRandomMany(size_t count, Random& rng, const MemberVisitor& f) {
  size_t remaining = Length() - count;
  std::string member;
  if (remaining * kPopRebuildRatio > count) {
    for (size_t i = 0; i < count && PopRandom(rng, &member); ++i) f(member);
    return;
  }
  std::vector<std::string> all;
  all.reserve(Length());
  ForEach([&](std::string_view m) { all.emplace_back(m); });
  // The first `remaining` of a partial shuffle stay, in a set built the way any new set is.
  SetObject survivors;
  for (size_t i = 0; i < remaining; ++i) {
    size_t j = i + rng.Uniform(all.size() - i);
    std::swap(all[i], all[j]);
    survivors.Add(all[i]);
  }
  ints_ = std::move(survivors.ints_);
  table_ = std::move(survivors.table_);
  for (size_t i = remaining; i < all.size(); ++i) f(all[i]);
}

void SetObject::RandomMembers(size_t count, Random& rng, const MemberVisitor& f) const {
  if (Length() == 0) return;
  if (table_) {
    for (size_t i = 0; i < count; ++i) f(table_->RandomEntry(rng)->key);
    return;
  }
  char buf[kInt64BufferSize];
  for (size_t i = 0; i < count; ++i) {
    int64_t v = ints_[rng.Uniform(ints_.size())];
    f(std::string_view(buf, FormatInt64(v, buf)));
  }
}

void SetObject::RandomDistinctMembers(size_t count, Random& rng, const MemberVisitor& f) const {
  size_t size = Length();
  // Retrying random picks is cheap while few members are wanted; past a third of the set a
  // partial shuffle of every member is cheaper.
  if (count * 3 <= size) {
    if (table_) {
      std::unordered_set<const Table::Entry*> seen;
      seen.reserve(count);
      while (seen.size() < count) {
        const Table::Entry* e = table_->RandomEntry(rng);
        if (seen.insert(e).second) f(e->key);
      }
    } else {
      std::unordered_set<size_t> seen;
      seen.reserve(count);
      char buf[kInt64BufferSize];
      while (seen.size() < count) {
        size_t i = rng.Uniform(ints_.size());
        if (seen.insert(i).second) f(std::string_view(buf, FormatInt64(ints_[i], buf)));
      }
    }
    return;
  }
  if (table_) {
    std::vector<const std::string*> all;
    all.reserve(size);
    table_->ForEach([&](const Table::Entry& e) { all.push_back(&e.key); });
    for (size_t i = 0; i < count && i < all.size(); ++i) {
      std::swap(all[i], all[i + rng.Uniform(all.size() - i)]);
      f(*all[i]);
    }
    return;
  }
  std::vector<int64_t> all = ints_;
  char buf[kInt64BufferSize];
  for (size_t i = 0; i < count && i < all.size(); ++i) {
    std::swap(all[i], all[i + rng.Uniform(all.size() - i)]);
    f(std::string_view(buf, FormatInt64(all[i], buf)));
  }
}

void DumpSet(const Object& obj, PayloadWriter& out) {
  const SetObject* set = obj.As<SetObject>();
  out.PutVarint(set->Length());
  set->ForEach([&](std::string_view member) { out.PutString(member); });
}

bool LoadSet(PayloadReader& in, Object* out) {
  uint64_t count;
  if (!in.ReadCount(&count, 1) || count == 0) return false;
  auto set = std::make_unique<SetObject>();
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view member;
    if (!in.ReadString(&member) || !set->Add(member)) return false;
  }
  *out = Object(std::move(set));
  return true;
}

}  // namespace sluice
