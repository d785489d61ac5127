// One numbered database: the key to Object map, expiry (lazy on access plus an active sweep
// with bounded work), SCAN cursors and random sampling.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/types/object.h"
#include "server/util/string_hash.h"

namespace sluice {

class Database {
 public:
  using Map = std::unordered_map<std::string, Object, StringHash, std::equal_to<>>;
  // Called with the key of every key that expires (lazily or actively), after it is removed.
  using ExpireCallback = std::function<void(Database&, std::string_view key)>;

  explicit Database(int index) : index_(index) {}

  int index() const { return index_; }
  size_t size() const { return map_.size(); }
  size_t expires_count() const { return expires_count_; }
  void set_expire_callback(ExpireCallback cb) { on_expire_ = std::move(cb); }

  // The live object under key, or nullptr. An expired key is deleted on the way.
  Object* Find(std::string_view key, int64_t now_ms);
  // Looks up without expiring or touching (for TYPE-agnostic checks inside a command).
  Object* FindRaw(std::string_view key);
  // Inserts an empty string object if the key is missing (or expired). `created` tells which.
  Object& FindOrCreate(std::string_view key, int64_t now_ms, bool* created);
  // Replaces whatever is under key; the new object's expiry is whatever it carries.
  Object& Put(std::string_view key, Object obj);
  bool Erase(std::string_view key);
  // Moves the object out and erases the key; returns false if missing.
  bool Take(std::string_view key, int64_t now_ms, Object* out);

  // 0 clears the expiry.
  void SetExpire(Object& obj, std::string_view key, int64_t at_ms);

  // Removes up to `budget` keys whose time has come; returns how many were removed.
  size_t ActiveExpire(int64_t now_ms, size_t budget);
  // Average TTL of keys with an expiry, for INFO keyspace.
  int64_t AverageTtl(int64_t now_ms) const;

  // SCAN over the buckets: visits each key in bucket order from where `cursor` points, stopping
  // once at least `count` keys were visited; returns the next cursor (0 at the end). A walk that
  // outlives a resize of the table starts over (see ScanTag), so no key present throughout is
  // missed.
  uint64_t Scan(uint64_t cursor, size_t count,
                const std::function<void(const std::string&, Object&)>& visit);
  // A random live key, or nullopt-like false.
  bool RandomKey(int64_t now_ms, std::string* out);
  // Gives back the bucket array of a table that deletions left under a tenth full, as Redis
  // does, so SCAN and RANDOMKEY stop walking empty buckets. Costs a pass over the keys, which
  // the emptiness that triggers it pays for many times over.
  void ShrinkIfSparse();

  void Clear();
  void Swap(Database& other);
  Map& map() { return map_; }

 private:
  bool IsExpired(const Object& obj, int64_t now_ms) const {
    return obj.expire_at() != 0 && obj.expire_at() <= now_ms;
  }
  void ExpireNow(Map::iterator it);

  struct ExpireEntry {
    int64_t at;
    std::string key;
    bool operator>(const ExpireEntry& other) const { return at > other.at; }
  };

  int index_;
  Map map_;
  size_t expires_count_ = 0;
  // Expiry deadlines, earliest first. Entries go stale when a key's expiry changes; a stale entry
  // is recognised when it surfaces (the key's current deadline differs) and dropped.
  std::priority_queue<ExpireEntry, std::vector<ExpireEntry>, std::greater<>> deadlines_;
  ExpireCallback on_expire_;
};

}  // namespace sluice
