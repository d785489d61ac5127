#include "server/storage/database.h"

#include "server/util/random.h"

namespace sluice {

Object* Database::Find(std::string_view key, int64_t now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (IsExpired(it->second, now_ms)) {
    ExpireNow(it);
    return nullptr;
  }
  return &it->second;
}

Object* Database::FindRaw(std::string_view key) {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

Object& Database::FindOrCreate(std::string_view key, int64_t now_ms, bool* created) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    if (!IsExpired(it->second, now_ms)) {
      *created = false;
      return it->second;
    }
    ExpireNow(it);
  }
  *created = true;
  return map_.emplace(std::string(key), Object()).first->second;
}

Object& Database::Put(std::string_view key, Object obj) {
  auto it = map_.find(key);
  int64_t at = obj.expire_at();
  obj.set_expire_at(0);
  Object* slot;
  if (it == map_.end()) {
    slot = &map_.emplace(std::string(key), std::move(obj)).first->second;
  } else {
    if (it->second.expire_at() != 0) --expires_count_;
    it->second = std::move(obj);
    slot = &it->second;
  }
  if (at != 0) SetExpire(*slot, key, at);
  return *slot;
}

bool Database::Erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  if (it->second.expire_at() != 0) --expires_count_;
  map_.erase(it);
  return true;
}

bool Database::Take(std::string_view key, int64_t now_ms, Object* out) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  if (IsExpired(it->second, now_ms)) {
    ExpireNow(it);
    return false;
  }
  if (it->second.expire_at() != 0) --expires_count_;
  *out = std::move(it->second);
  map_.erase(it);
  return true;
}

void Database::SetExpire(Object& obj, std::string_view key, int64_t at_ms) {
  if (obj.expire_at() == 0 && at_ms != 0) ++expires_count_;
  if (obj.expire_at() != 0 && at_ms == 0) --expires_count_;
  obj.set_expire_at(at_ms);
  if (at_ms != 0) deadlines_.push(ExpireEntry{at_ms, std::string(key)});
}

void Database::ExpireNow(Map::iterator it) {
  --expires_count_;
  if (!on_expire_) {
    map_.erase(it);
    return;
  }
  // Listeners see the key already gone, as after any deletion.
  std::string key = it->first;
  map_.erase(it);
  on_expire_(*this, key);
}

size_t Database::ActiveExpire(int64_t now_ms, size_t budget) {
  size_t removed = 0;
  while (budget > 0 && !deadlines_.empty() && deadlines_.top().at <= now_ms) {
    --budget;
    ExpireEntry entry = deadlines_.top();
    deadlines_.pop();
    auto it = map_.find(entry.key);
    if (it == map_.end() || it->second.expire_at() != entry.at) continue;  // stale entry
    ExpireNow(it);
    ++removed;
  }
  // Stale entries pile up when one key's expiry is reset many times; rebuild when they dominate.
  if (deadlines_.size() > 1024 && deadlines_.size() > 4 * expires_count_) {
    decltype(deadlines_) fresh;
    for (auto& [key, obj] : map_) {
      if (obj.expire_at() != 0) fresh.push(ExpireEntry{obj.expire_at(), key});
    }
    deadlines_.swap(fresh);
  }
  return removed;
}

int64_t Database::AverageTtl(int64_t now_ms) const {
  if (expires_count_ == 0) return 0;
  // Sampling would do; the keyspace section is not on a hot path and exactness is cheap enough
  // for the sizes queue workloads keep with a TTL.
  int64_t total = 0;
  size_t n = 0;
  for (const auto& [key, obj] : map_) {
    if (obj.expire_at() != 0 && obj.expire_at() > now_ms) {
      total += obj.expire_at() - now_ms;
      ++n;
    }
  }
  return n == 0 ? 0 : total / static_cast<int64_t>(n);
}

namespace {

// A SCAN cursor names a bucket and the table size it was issued for: bucket << kScanTagBits | tag.
// The map's bucket counts are primes, so a resize moves keys to unrelated buckets and a bucket
// index from before it means nothing after; a cursor issued for another size starts the walk
// again, which returns some keys twice (SCAN allows that) and misses none.
constexpr int kScanTagBits = 16;
constexpr uint64_t kScanTagMask = (uint64_t{1} << kScanTagBits) - 1;

uint64_t ScanTag(size_t buckets) {
  return (static_cast<uint64_t>(buckets) * 0x9E3779B97F4A7C15ULL) >> (64 - kScanTagBits);
}

}  // namespace

uint64_t Database::Scan(uint64_t cursor, size_t count,
                        const std::function<void(const std::string&, Object&)>& visit) {
  size_t buckets = map_.bucket_count();
  if (map_.empty()) return 0;
  uint64_t tag = ScanTag(buckets);
  size_t bucket = cursor >> kScanTagBits;
  // Past the end of the table (a cursor no walk of it returned, such as -1): the walk is over.
  if (bucket >= buckets) return 0;
  if ((cursor & kScanTagMask) != tag) bucket = 0;
  size_t start = bucket;
  size_t visited = 0;
  // Each call walks whole buckets so a cursor never splits one.
  while (bucket < buckets && visited < count) {
    for (auto it = map_.begin(bucket); it != map_.end(bucket); ++it) {
      visit(it->first, it->second);
      ++visited;
    }
    ++bucket;
    // Empty buckets cost little; bound them too so a sparse table still answers quickly.
    if (bucket - start > count * 10) break;
  }
  return bucket >= buckets ? 0 : (static_cast<uint64_t>(bucket) << kScanTagBits) | tag;
}

bool Database::RandomKey(int64_t now_ms, std::string* out) {
  for (int attempts = 0; attempts < 100 && !map_.empty(); ++attempts) {
    size_t buckets = map_.bucket_count();
    size_t bucket = ServerRandom().Uniform(buckets);
    size_t in_bucket = map_.bucket_size(bucket);
    if (in_bucket == 0) continue;
    auto it = map_.begin(bucket);
    for (size_t skip = ServerRandom().Uniform(in_bucket); skip > 0; --skip) ++it;
    if (IsExpired(it->second, now_ms)) {
      auto full = map_.find(it->first);
      ExpireNow(full);
      continue;
    }
    *out = it->first;
    return true;
  }
  // A table of mostly expired keys: fall back to a walk.
  for (auto& [key, obj] : map_) {
    if (!IsExpired(obj, now_ms)) {
      *out = key;
      return true;
    }
  }
  return false;
}

void Database::ShrinkIfSparse() {
  // Small tables are not worth a rehash; the tenfold margin keeps a table that shrank from
  // growing straight back.
  constexpr size_t kMinBuckets = 1024;
  size_t buckets = map_.bucket_count();
  if (buckets > kMinBuckets && map_.size() * 10 < buckets) map_.rehash(0);
}

void Database::Clear() {
  // A fresh table, not clear(): the old bucket array would keep SCAN walking empty buckets.
  Map().swap(map_);
  expires_count_ = 0;
  deadlines_ = {};
}

void Database::Swap(Database& other) {
  map_.swap(other.map_);
  std::swap(expires_count_, other.expires_count_);
  std::swap(deadlines_, other.deadlines_);
}

}  // namespace sluice
