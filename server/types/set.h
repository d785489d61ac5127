// The set type. Redis 7.0 has two set encodings and so does Sluice:
//   - "intset": a sorted array of 64-bit integers, used while every member is the canonical
//     spelling of an integer and there are at most set-max-intset-entries of them;
//   - "hashtable": a StringDict of members, for everything else.
// A set starts as an empty intset; adding a member that is not an integer, or one integer too
// many, converts it to a hash table for good. (Redis 7.2 added a listpack form for small sets of
// strings; 7.0 goes straight from intset to hashtable, and OBJECT ENCODING answers accordingly.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/types/hash.h"
#include "server/types/object.h"
#include "server/util/numbers.h"

namespace sluice {

using MemberVisitor = std::function<void(std::string_view member)>;

class SetObject : public Collection {
 public:
  // set-max-intset-entries, process-wide: the set family keeps it in step with the configuration.
  static void SetMaxIntsetEntries(uint64_t n);
  static uint64_t MaxIntsetEntries();

  SetObject() = default;
  SetObject(const SetObject& other);

  ObjType type() const override { return ObjType::kSet; }
  std::string_view Encoding() const override { return table_ ? "hashtable" : "intset"; }
  std::unique_ptr<Collection> Clone() const override { return std::make_unique<SetObject>(*this); }
  size_t MemoryUsage() const override;
  size_t Length() const override { return table_ ? table_->size() : ints_.size(); }

  bool is_intset() const { return table_ == nullptr; }

  // Return true when the set changed.
  bool Add(std::string_view member);
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;

  // f(member) for every member: ascending order while an intset, table order after. An intset
  // member's view points at a temporary spelling, valid only during the call.
  template <typename F>
  void ForEach(F&& f) const {
    if (table_) {
      table_->ForEach([&](const Table::Entry& e) { f(std::string_view(e.key)); });
      return;
    }
    char buf[kInt64BufferSize];
    for (int64_t v : ints_) f(std::string_view(buf, FormatInt64(v, buf)));
  }
  // Like ForEach, stopping as soon as f returns false.
  template <typename F>
  void ForEachWhile(F&& f) const {
    if (table_) {
      table_->ForEachWhile([&](const Table::Entry& e) { return f(std::string_view(e.key)); });
      return;
    }
    char buf[kInt64BufferSize];
    for (int64_t v : ints_) {
      if (!f(std::string_view(buf, FormatInt64(v, buf)))) return;
    }
  }

  // One step of SSCAN over the table encoding (see StringDict::Scan); intsets are returned whole by
  // the command instead.
  template <typename F>
  uint64_t ScanStep(uint64_t cursor, F&& f) const {
    return table_->Scan(cursor, [&](const Table::Entry& e) { f(std::string_view(e.key)); });
  }

  // Removes a random member into *out; false when the set is empty.
  bool PopRandom(Random& rng, std::string* out);
  // SPOP with a count smaller than the set: removes `count` random members, passing each to f.
  // When most of the set goes, the few members that stay are moved into a fresh set instead,
  // which (as in Redis) may take the set back to the intset encoding.
  void PopRandomMany(size_t count, Random& rng, const MemberVisitor& f);
  // `count` members picked independently at random (repeats possible).
  void RandomMembers(size_t count, Random& rng, const MemberVisitor& f) const;
  // `count` distinct members in random order; count must be less than Length().
  void RandomDistinctMembers(size_t count, Random& rng, const MemberVisitor& f) const;

 private:
  struct NoValue {};
  using Table = StringDict<NoValue>;

  void ConvertToTable();

  std::vector<int64_t> ints_;  // sorted, while table_ is null
  std::unique_ptr<Table> table_;
};

class PayloadReader;
class PayloadWriter;

// DUMP / RESTORE body of a set: the member count, then each member. Loading rebuilds the set
// through Add(), so a set of few integers comes back as an intset whatever it was before, as
// RESTORE does in Redis. Empty sets and repeated members are refused.
void DumpSet(const Object& obj, PayloadWriter& out);
bool LoadSet(PayloadReader& in, Object* out);

}  // namespace sluice
