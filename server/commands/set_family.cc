// Set commands: membership, random picks and pops, and the algebra (intersection, union,
// difference) with their STORE forms, with Redis 7.0's replies and encodings.
#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/config.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"
#include "server/pubsub/notify.h"
#include "server/types/serialize.h"
#include "server/types/set.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"
#include "server/util/random.h"

namespace sluice {
namespace {

constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
constexpr std::string_view kCountOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

SetObject* FindSet(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  Object* obj = FindTyped(ctx, key, ObjType::kSet, wrong_type);
  return obj == nullptr ? nullptr : obj->As<SetObject>();
}

SetObject* CreateSet(CommandContext& ctx, std::string_view key) {
  Object& obj = ctx.db.Put(key, Object(std::make_unique<SetObject>()));
  obj.Touch(ctx.now_ms);
  return obj.As<SetObject>();
}

void Notify(CommandContext& ctx, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(ctx.server, kNotifySet, event, key, ctx.db.index());
}

void NotifyDel(CommandContext& ctx, std::string_view key) {
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
}

// Removes the key when its set became empty, as Redis never keeps empty collections.
void DropIfEmpty(CommandContext& ctx, std::string_view key, SetObject* set) {
  if (set->Length() != 0) return;
  ctx.db.Erase(key);
  NotifyDel(ctx, key);
}

// SADD key member [member ...]
void CmdSAdd(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  SetObject* set = FindSet(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (set == nullptr) set = CreateSet(ctx, key);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (set->Add(ctx.arg(i))) ++added;
  }
  if (added == 0) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, "sadd", key);
  }
  ctx.reply.Integer(added);
}

// SREM key member [member ...]
void CmdSRem(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  SetObject* set = FindSet(ctx, key, &wrong_type);
  if (wrong_type) return;
  int64_t removed = 0;
  if (set != nullptr) {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (set->Remove(ctx.arg(i))) ++removed;
    }
  }
  if (removed == 0) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, "srem", key);
    DropIfEmpty(ctx, key, set);
  }
  ctx.reply.Integer(removed);
}

// SCARD key
void CmdSCard(CommandContext& ctx) {
  bool wrong_type;
  SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(set == nullptr ? 0 : static_cast<int64_t>(set->Length()));
}

void ReplyMembers(CommandContext& ctx, const SetObject& set) {
  ctx.reply.SetHeader(set.Length());
  set.ForEach([&](std::string_view member) { ctx.reply.Bulk(member); });
}

// SMEMBERS key
void CmdSMembers(CommandContext& ctx) {
  bool wrong_type;
  SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (set == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  ReplyMembers(ctx, *set);
}

// SISMEMBER key member
void CmdSIsMember(CommandContext& ctx) {
  bool wrong_type;
  SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(set != nullptr && set->Contains(ctx.arg(2)) ? 1 : 0);
}

// SMISMEMBER key member [member ...]
void CmdSMIsMember(CommandContext& ctx) {
  bool wrong_type;
  SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Integer(set != nullptr && set->Contains(ctx.arg(i)) ? 1 : 0);
  }
}

// SPOP key [count]
void CmdSPop(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  if (ctx.argc() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (ctx.argc() == 2) {
    bool wrong_type;
    SetObject* set = FindSet(ctx, key, &wrong_type);
    if (wrong_type) return;
    std::string member;
    if (set == nullptr || !set->PopRandom(ServerRandom(), &member)) {
      ctx.unchanged = true;
      ctx.reply.Null();
      return;
    }
    Notify(ctx, "spop", key);
    DropIfEmpty(ctx, key, set);
    ctx.reply.Bulk(member);
    return;
  }
  int64_t count;
  if (!ParseInt64(ctx.arg(2), &count) || count < 0) {
    ctx.reply.Error(kNotPositive);
    return;
  }
  bool wrong_type;
  SetObject* set = FindSet(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (set == nullptr || count == 0) {
    ctx.unchanged = true;
    ctx.reply.SetHeader(0);
    return;
  }
  Notify(ctx, "spop", key);
  size_t n = static_cast<size_t>(count);
  if (n >= set->Length()) {
    ReplyMembers(ctx, *set);
    ctx.db.Erase(key);
    NotifyDel(ctx, key);
    return;
  }
  ctx.reply.SetHeader(n);
  set->PopRandomMany(n, ServerRandom(), [&](std::string_view member) { ctx.reply.Bulk(member); });
}

// SRANDMEMBER key [count]
void CmdSRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (ctx.argc() == 2) {
    bool wrong_type;
    SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
    if (wrong_type) return;
    if (set == nullptr) {
      ctx.reply.Null();
      return;
    }
    set->RandomMembers(1, ServerRandom(), [&](std::string_view m) { ctx.reply.Bulk(m); });
    return;
  }
  int64_t count;
  if (!ParseInt64(ctx.arg(2), &count)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (count == LLONG_MIN) {
    ctx.reply.Error(kCountOutOfRange);
    return;
  }
  bool wrong_type;
  SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (set == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  auto emit = [&](std::string_view m) { ctx.reply.Bulk(m); };
  if (count < 0) {
    size_t n = static_cast<size_t>(-count);
    ctx.reply.ArrayHeader(n);
    set->RandomMembers(n, ServerRandom(), emit);
    return;
  }
  size_t n = static_cast<size_t>(count);
  if (n >= set->Length()) {
    ctx.reply.ArrayHeader(set->Length());
    set->ForEach(emit);
    return;
  }
  ctx.reply.ArrayHeader(n);
  set->RandomDistinctMembers(n, ServerRandom(), emit);
}

// SMOVE source destination member
void CmdSMove(CommandContext& ctx) {
  std::string_view source = ctx.arg(1);
  std::string_view destination = ctx.arg(2);
  std::string_view member = ctx.arg(3);
  Object* src_obj = ctx.db.Find(source, ctx.now_ms);
  Object* dst_obj = ctx.db.Find(destination, ctx.now_ms);
  // A missing source answers 0 before any type is looked at, as in Redis.
  if (src_obj == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  if (src_obj->type() != ObjType::kSet ||
      (dst_obj != nullptr && dst_obj->type() != ObjType::kSet)) {
    ctx.reply.Error(errors::kWrongType);
    return;
  }
  src_obj->Touch(ctx.now_ms);
  SetObject* src = src_obj->As<SetObject>();
  if (src_obj == dst_obj) {
    ctx.unchanged = true;
    ctx.reply.Integer(src->Contains(member) ? 1 : 0);
    return;
  }
  if (!src->Remove(member)) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  Notify(ctx, "srem", source);
  DropIfEmpty(ctx, source, src);
  SetObject* dst = dst_obj != nullptr ? dst_obj->As<SetObject>() : CreateSet(ctx, destination);
  if (dst->Add(member)) Notify(ctx, "sadd", destination);
  ctx.reply.Integer(1);
}

// Every key in args[first, last) as a set, nullptr for a missing one. Every key is checked, so a
// key of another type answers WRONGTYPE even after a missing one; returns false then.
bool LookupSets(CommandContext& ctx, size_t first, size_t last,
                std::vector<const SetObject*>* sets) {
  sets->clear();
  for (size_t i = first; i < last; ++i) {
    bool wrong_type;
    SetObject* set = FindSet(ctx, ctx.arg(i), &wrong_type);
    if (wrong_type) return false;
    sets->push_back(set);
  }
  return true;
}

// Visits the members common to every set, in the order of the smallest one, until f returns
// false.
template <typename F>
void Intersect(const std::vector<const SetObject*>& sets, F&& f) {
  if (sets.empty()) return;
  std::vector<const SetObject*> by_size = sets;
  for (const SetObject* set : by_size) {
    if (set == nullptr) return;
  }
  std::stable_sort(by_size.begin(), by_size.end(), [](const SetObject* a, const SetObject* b) {
    return a->Length() < b->Length();
  });
  by_size[0]->ForEachWhile([&](std::string_view member) {
    for (size_t i = 1; i < by_size.size(); ++i) {
      if (by_size[i] != by_size[0] && !by_size[i]->Contains(member)) return true;
    }
    return f(member);
  });
}

enum class SetOp { kUnion, kDiff };

// The union, or the first set minus the others, as a new set built the way SADD builds one.
std::unique_ptr<SetObject> Combine(const std::vector<const SetObject*>& sets, SetOp op) {
  auto result = std::make_unique<SetObject>();
  if (op == SetOp::kUnion) {
    for (const SetObject* set : sets) {
      if (set != nullptr) set->ForEach([&](std::string_view m) { result->Add(m); });
    }
    return result;
  }
  if (sets[0] == nullptr) return result;
  sets[0]->ForEach([&](std::string_view member) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (sets[i] != nullptr && sets[i]->Contains(member)) return;
    }
    result->Add(member);
  });
  return result;
}

std::unique_ptr<SetObject> IntersectionSet(const std::vector<const SetObject*>& sets) {
  // Members come from the smallest set, which the result may replace: copy them first.
  std::vector<std::string> members;
  Intersect(sets, [&](std::string_view m) {
    members.emplace_back(m);
    return true;
  });
  auto result = std::make_unique<SetObject>();
  for (const std::string& m : members) result->Add(m);
  return result;
}

// Stores a computed set under destination, replacing whatever was there; an empty result deletes
// the destination instead. Replies the result's size.
void StoreResult(CommandContext& ctx, std::string_view event, std::unique_ptr<SetObject> result) {
  std::string_view destination = ctx.arg(1);
  ctx.modified_only = destination;
  size_t size = result->Length();
  if (size == 0) {
    if (ctx.db.Erase(destination)) {
      NotifyDel(ctx, destination);
    } else {
      ctx.unchanged = true;
    }
    ctx.reply.Integer(0);
    return;
  }
  ctx.db.Put(destination, Object(std::move(result))).Touch(ctx.now_ms);
  Notify(ctx, event, destination);
  ctx.reply.Integer(static_cast<int64_t>(size));
}

// SINTER key [key ...]
void CmdSInter(CommandContext& ctx) {
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 1, ctx.argc(), &sets)) return;
  std::vector<std::string> members;
  Intersect(sets, [&](std::string_view m) {
    members.emplace_back(m);
    return true;
  });
  ctx.reply.SetHeader(members.size());
  for (const std::string& m : members) ctx.reply.Bulk(m);
}

// SINTERSTORE destination key [key ...]
void CmdSInterStore(CommandContext& ctx) {
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 2, ctx.argc(), &sets)) return;
  StoreResult(ctx, "sinterstore", IntersectionSet(sets));
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdSInterCard(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(1), &numkeys) || numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return;
  }
  if (static_cast<uint64_t>(numkeys) > ctx.argc() - 2) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  size_t keys_end = 2 + static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t i = keys_end; i < ctx.argc(); i += 2) {
    if (EqualsIgnoreCase(ctx.arg(i), "LIMIT") && i + 1 < ctx.argc()) {
      if (!ParseInt64(ctx.arg(i + 1), &limit) || limit < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 2, keys_end, &sets)) return;
  int64_t count = 0;
  Intersect(sets, [&](std::string_view) { return ++count != limit; });
  ctx.reply.Integer(count);
}

// SUNION key [key ...]
void CmdSUnion(CommandContext& ctx) {
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 1, ctx.argc(), &sets)) return;
  ReplyMembers(ctx, *Combine(sets, SetOp::kUnion));
}

// SUNIONSTORE destination key [key ...]
void CmdSUnionStore(CommandContext& ctx) {
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 2, ctx.argc(), &sets)) return;
  StoreResult(ctx, "sunionstore", Combine(sets, SetOp::kUnion));
}

// SDIFF key [key ...]
void CmdSDiff(CommandContext& ctx) {
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 1, ctx.argc(), &sets)) return;
  ReplyMembers(ctx, *Combine(sets, SetOp::kDiff));
}

// SDIFFSTORE destination key [key ...]
void CmdSDiffStore(CommandContext& ctx) {
  std::vector<const SetObject*> sets;
  if (!LookupSets(ctx, 2, ctx.argc(), &sets)) return;
  StoreResult(ctx, "sdiffstore", Combine(sets, SetOp::kDiff));
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
void CmdSScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    ctx.reply.Error(kInvalidCursor);
    return;
  }
  bool wrong_type;
  SetObject* set = FindSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (set == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, &options)) return;
  std::vector<std::string> out;
  size_t visited = 0;
  auto collect = [&](std::string_view member) {
    ++visited;
    if (!options.use_pattern || GlobMatch(options.pattern, member)) out.emplace_back(member);
  };
  if (set->is_intset()) {
    // Small encodings come back whole in one call, whatever the cursor, as in Redis.
    set->ForEach(collect);
    cursor = 0;
  } else {
    // Redis's budget: COUNT members, or ten times COUNT buckets, whichever comes first.
    size_t budget = options.count * 10;
    do {
      cursor = set->ScanStep(cursor, collect);
    } while (cursor != 0 && budget-- > 0 && visited < options.count);
  }
  char buf[kInt64BufferSize];
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, FormatUint64(cursor, buf)));
  ctx.reply.ArrayHeader(out.size());
  for (const std::string& m : out) ctx.reply.Bulk(m);
}

// Key positions of SINTERCARD: numkeys at 1, keys after it.
void NumkeysKeys(ArgList args, std::vector<size_t>* out) {
  int64_t n = 0;
  if (args.size() < 2 || !ParseInt64(args[1], &n) || n <= 0) return;
  for (size_t i = 0; i < static_cast<size_t>(n) && 2 + i < args.size(); ++i) out->push_back(2 + i);
}

// Keeps the process-wide conversion limit equal to the configuration.
void WatchSetLimits(Server& server) {
  server.config().OnChange("set-max-intset-entries", [](const Config::Param& p) {
    int64_t v = 0;
    if (ParseInt64(p.value, &v) && v >= 0) SetObject::SetMaxIntsetEntries(static_cast<uint64_t>(v));
  });
}

}  // namespace

void RegisterSetFamily(CommandTable& table) {
  RegisterSerializer(ObjType::kSet, DumpSet, LoadSet);
  table.AddStartupHook(WatchSetLimits);
  auto add = [&](std::string_view name, int arity, uint32_t flags, int first, int last,
                 auto&&... rest) {
    table.AddSimple("set", name, arity, flags, first, last, 1, rest...);
  };
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kRFast = kCmdReadOnly | kCmdFast;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kStore = kCmdWrite | kCmdDenyOom;
  add("sadd", -3, kW, 1, 1, "1.0.0", "Adds members to a set, creating it if needed.",
      "key member [member ...]", CmdSAdd, "O(1) per member");
  add("srem", -3, kCmdWrite | kCmdFast, 1, 1, "1.0.0",
      "Removes members from a set, and the key once the set is empty.", "key member [member ...]",
      CmdSRem, "O(1) per member");
  add("scard", 2, kRFast, 1, 1, "1.0.0", "Returns the number of members of a set.", "key", CmdSCard,
      "O(1)");
  add("smembers", 2, kR, 1, 1, "1.0.0", "Returns every member of a set.", "key", CmdSMembers,
      "O(N) where N is the size of the set");
  add("sismember", 3, kRFast, 1, 1, "1.0.0", "Tells whether a value is a member of a set.",
      "key member", CmdSIsMember, "O(1)");
  add("smismember", -3, kRFast, 1, 1, "6.2.0", "Tells, for each value, whether it is a member.",
      "key member [member ...]", CmdSMIsMember, "O(1) per member");
  add("spop", -2, kCmdWrite | kCmdFast, 1, 1, "1.0.0",
      "Removes and returns random members of a set.", "key [count:integer]", CmdSPop,
      "O(N) where N is the count");
  add("srandmember", -2, kR, 1, 1, "1.0.0",
      "Returns random members of a set without removing them; a negative count allows repeats.",
      "key [count:integer]", CmdSRandMember, "O(N) where N is the absolute count");
  add("smove", 4, kCmdWrite | kCmdFast, 1, 2, "1.0.0", "Moves a member from one set to another.",
      "source destination member", CmdSMove, "O(1)");
  add("sinter", -2, kR, 1, -1, "1.0.0", "Returns the members common to every given set.",
      "key [key ...]", CmdSInter, "O(N*M) for N members of the smallest set and M sets");
  table.Add({.name = "sintercard",
             .arity = -3,
             .flags = kR | kCmdMovableKeys,
             .group = "set",
             .since = "7.0.0",
             .summary = "Returns the size of the intersection of sets, optionally stopping at a "
                        "limit.",
             .syntax = "numkeys:integer key [key ...] [LIMIT limit:integer]",
             .handler = CmdSInterCard,
             .key_finder = NumkeysKeys,
             .complexity = "O(N*M) for N members of the smallest set and M sets"});
  add("sunion", -2, kR, 1, -1, "1.0.0", "Returns the members of any of the given sets.",
      "key [key ...]", CmdSUnion, "O(N) in the total number of members");
  add("sdiff", -2, kR, 1, -1, "1.0.0",
      "Returns the members of the first set that are in none of the others.", "key [key ...]",
      CmdSDiff, "O(N) in the total number of members");
  add("sinterstore", -3, kStore, 1, -1, "1.0.0",
      "Stores the intersection of sets under a key, replacing it.", "destination key [key ...]",
      CmdSInterStore, "O(N*M) for N members of the smallest set and M sets");
  add("sunionstore", -3, kStore, 1, -1, "1.0.0",
      "Stores the union of sets under a key, replacing it.", "destination key [key ...]",
      CmdSUnionStore, "O(N) in the total number of members");
  add("sdiffstore", -3, kStore, 1, -1, "1.0.0",
      "Stores the difference of sets under a key, replacing it.", "destination key [key ...]",
      CmdSDiffStore, "O(N) in the total number of members");
  add("sscan", -3, kR, 1, 1, "2.8.0", "Iterates over the members of a set.",
      "key cursor:integer [MATCH pattern] [COUNT count:integer]", CmdSScan,
      "O(1) per call, O(N) for a complete iteration");
}

}  // namespace sluice
