// List commands, including the blocking ones. The classic Redis work queue: LPUSH/BRPOP, and
// LMOVE/BLMOVE into a processing list for the reliable-queue pattern.
#include <climits>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"
#include "server/pubsub/notify.h"
#include "server/types/list.h"
#include "server/types/serialize.h"

namespace sluice {
namespace {

enum class End { kLeft, kRight };

QuickList* FindList(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  Object* obj = FindTyped(ctx, key, ObjType::kList, wrong_type);
  return obj == nullptr ? nullptr : &obj->As<ListObject>()->items();
}

// The list under key, created empty if missing; nullptr (after WRONGTYPE) for another type.
QuickList* FindOrCreateList(CommandContext& ctx, std::string_view key) {
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr) {
    obj = &ctx.db.Put(key, Object(std::make_unique<ListObject>()));
  } else if (obj->type() != ObjType::kList) {
    ctx.reply.Error(errors::kWrongType);
    return nullptr;
  }
  return &obj->As<ListObject>()->items();
}

// Removes the key when its list became empty, as Redis never keeps empty collections.
void DropIfEmpty(CommandContext& ctx, std::string_view key, QuickList* list) {
  if (list->empty()) {
    ctx.db.Erase(key);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
  }
}

// Keyspace event names of a push or a pop at each end.
std::string_view PushEvent(End end) { return end == End::kLeft ? "lpush" : "rpush"; }
std::string_view PopEvent(End end) { return end == End::kLeft ? "lpop" : "rpop"; }

bool ParseEnd(std::string_view arg, End* end) {
  if (EqualsIgnoreCase(arg, "LEFT")) {
    *end = End::kLeft;
  } else if (EqualsIgnoreCase(arg, "RIGHT")) {
    *end = End::kRight;
  } else {
    return false;
  }
  return true;
}

bool Pop(QuickList* list, End end, std::string* out) {
  return end == End::kLeft ? list->PopFront(out) : list->PopBack(out);
}

void Push(QuickList* list, End end, std::string_view value) {
  if (end == End::kLeft) {
    list->PushFront(value);
  } else {
    list->PushBack(value);
  }
}

bool ParseIndex(CommandContext& ctx, std::string_view text, long* out) {
  int64_t v = 0;
  if (!ParseInt64(text, &v)) {
    ctx.reply.Error(errors::kNotInteger);
    return false;
  }
  *out = static_cast<long>(v);
  return true;
}

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
void PushGeneric(CommandContext& ctx, End end, bool only_existing) {
  std::string_view key = ctx.arg(1);
  QuickList* list;
  if (only_existing) {
    bool wrong_type;
    list = FindList(ctx, key, &wrong_type);
    if (wrong_type) return;
    if (list == nullptr) {
      ctx.unchanged = true;
      ctx.reply.Integer(0);
      return;
    }
  } else {
    list = FindOrCreateList(ctx, key);
    if (list == nullptr) return;
  }
  for (size_t i = 2; i < ctx.argc(); ++i) Push(list, end, ctx.arg(i));
  NotifyKeyspaceEvent(ctx.server, kNotifyList, PushEvent(end), key, ctx.db.index());
  ctx.reply.Integer(static_cast<int64_t>(list->size()));
}

// LPUSH key element [element ...]
void CmdLPush(CommandContext& ctx) { PushGeneric(ctx, End::kLeft, false); }
// RPUSH key element [element ...]
void CmdRPush(CommandContext& ctx) { PushGeneric(ctx, End::kRight, false); }
// LPUSHX key element [element ...]
void CmdLPushX(CommandContext& ctx) { PushGeneric(ctx, End::kLeft, true); }
// RPUSHX key element [element ...]
void CmdRPushX(CommandContext& ctx) { PushGeneric(ctx, End::kRight, true); }

// LPOP/RPOP key [count]
void PopGeneric(CommandContext& ctx, End end) {
  std::string_view key = ctx.arg(1);
  if (ctx.argc() > 3) {
    ctx.reply.Error("ERR wrong number of arguments for '" + std::string(ctx.spec.name) +
                    "' command");
    return;
  }
  bool with_count = ctx.argc() == 3;
  int64_t count = 1;
  if (with_count) {
    if (!ParseInt64(ctx.arg(2), &count) || count < 0) {
      ctx.reply.Error("ERR value is out of range, must be positive");
      return;
    }
  }
  bool wrong_type;
  QuickList* list = FindList(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    ctx.unchanged = true;
    if (with_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  static thread_local std::string value;
  if (!with_count) {
    Pop(list, end, &value);
    ctx.reply.Bulk(value);
  } else {
    size_t n =
        static_cast<size_t>(count) < list->size() ? static_cast<size_t>(count) : list->size();
    if (n == 0) ctx.unchanged = true;
    ctx.reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) {
      Pop(list, end, &value);
      ctx.reply.Bulk(value);
    }
  }
  if (!ctx.unchanged)
    NotifyKeyspaceEvent(ctx.server, kNotifyList, PopEvent(end), key, ctx.db.index());
  DropIfEmpty(ctx, key, list);
}

// LPOP key [count]
void CmdLPop(CommandContext& ctx) { PopGeneric(ctx, End::kLeft); }
// RPOP key [count]
void CmdRPop(CommandContext& ctx) { PopGeneric(ctx, End::kRight); }

// LLEN key
void CmdLLen(CommandContext& ctx) {
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(list == nullptr ? 0 : static_cast<int64_t>(list->size()));
}

// LRANGE key start stop
void CmdLRange(CommandContext& ctx) {
  long start, stop;
  if (!ParseIndex(ctx, ctx.arg(2), &start) || !ParseIndex(ctx, ctx.arg(3), &stop)) return;
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  long n = static_cast<long>(list->size());
  long first = start < 0 ? start + n : start;
  long last = stop < 0 ? stop + n : stop;
  if (first < 0) first = 0;
  if (last >= n) last = n - 1;
  if (first > last || first >= n) {
    ctx.reply.EmptyArray();
    return;
  }
  ctx.reply.ArrayHeader(static_cast<size_t>(last - first + 1));
  list->Range(first, last, [&](std::string_view v) { ctx.reply.Bulk(v); });
}

// LINDEX key index
void CmdLIndex(CommandContext& ctx) {
  // As in Redis, the key is looked at before the index is parsed: a missing key is a null reply
  // and a key of another type WRONGTYPE, whatever the index says.
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    ctx.reply.Null();
    return;
  }
  long index;
  if (!ParseIndex(ctx, ctx.arg(2), &index)) return;
  static thread_local std::string value;
  if (!list->Index(index, &value)) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(value);
}

// LSET key index element
void CmdLSet(CommandContext& ctx) {
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  long index;
  if (!ParseIndex(ctx, ctx.arg(2), &index)) return;
  if (!list->Set(index, ctx.arg(3))) {
    ctx.reply.Error(errors::kOutOfRange);
    return;
  }
  NotifyKeyspaceEvent(ctx.server, kNotifyList, "lset", ctx.arg(1), ctx.db.index());
  ctx.reply.Ok();
}

// LINSERT key <BEFORE | AFTER> pivot element
void CmdLInsert(CommandContext& ctx) {
  bool before;
  if (EqualsIgnoreCase(ctx.arg(2), "BEFORE")) {
    before = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "AFTER")) {
    before = false;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  long result = list->Insert(ctx.arg(3), ctx.arg(4), before);
  if (result < 0) {
    ctx.unchanged = true;
  } else {
    NotifyKeyspaceEvent(ctx.server, kNotifyList, "linsert", ctx.arg(1), ctx.db.index());
  }
  ctx.reply.Integer(result);
}

// LREM key count element
void CmdLRem(CommandContext& ctx) {
  long count;
  if (!ParseIndex(ctx, ctx.arg(2), &count)) return;
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  long removed = list->Remove(ctx.arg(3), count);
  if (removed == 0) {
    ctx.unchanged = true;
  } else {
    NotifyKeyspaceEvent(ctx.server, kNotifyList, "lrem", ctx.arg(1), ctx.db.index());
  }
  DropIfEmpty(ctx, ctx.arg(1), list);
  ctx.reply.Integer(removed);
}

// LTRIM key start stop
void CmdLTrim(CommandContext& ctx) {
  long start, stop;
  if (!ParseIndex(ctx, ctx.arg(2), &start) || !ParseIndex(ctx, ctx.arg(3), &stop)) return;
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list != nullptr) {
    list->Trim(start, stop);
    NotifyKeyspaceEvent(ctx.server, kNotifyList, "ltrim", ctx.arg(1), ctx.db.index());
    DropIfEmpty(ctx, ctx.arg(1), list);
  } else {
    ctx.unchanged = true;  // nothing to trim: watchers of the missing key stay undisturbed
  }
  ctx.reply.Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLPos(CommandContext& ctx) {
  int64_t rank = 1, count = 1, maxlen = 0;
  bool with_count = false;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    if (i + 1 >= ctx.argc()) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    std::string_view opt = ctx.arg(i);
    int64_t value = 0;
    if (!EqualsIgnoreCase(opt, "RANK") && !EqualsIgnoreCase(opt, "COUNT") &&
        !EqualsIgnoreCase(opt, "MAXLEN")) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    bool is_rank = EqualsIgnoreCase(opt, "RANK");
    if (!ParseInt64(ctx.arg(i + 1), &value)) {
      // Redis answers a COUNT or MAXLEN that is no integer as it answers a negative one.
      if (is_rank) {
        ctx.reply.Error(errors::kNotInteger);
      } else {
        ctx.reply.Error(EqualsIgnoreCase(opt, "COUNT") ? "ERR COUNT can't be negative"
                                                       : "ERR MAXLEN can't be negative");
      }
      return;
    }
    if (is_rank) {
      if (value == 0) {
        ctx.reply.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
      rank = value;
    } else if (EqualsIgnoreCase(opt, "COUNT")) {
      if (value < 0) {
        ctx.reply.Error("ERR COUNT can't be negative");
        return;
      }
      count = value;
      with_count = true;
    } else {
      if (value < 0) {
        ctx.reply.Error("ERR MAXLEN can't be negative");
        return;
      }
      maxlen = value;
    }
  }
  if (rank == LLONG_MIN) {
    // Redis 7.0 negates the rank into a still-negative value: it searches from the tail, starts
    // at the first match, and its COUNT test never fires, so every match is returned.
    rank = -1;
    if (with_count) count = 0;
  }
  bool wrong_type;
  QuickList* list = FindList(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (list == nullptr) {
    if (with_count) {
      ctx.reply.EmptyArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  std::vector<long> positions = list->Pos(ctx.arg(2), static_cast<long>(rank),
                                          static_cast<long>(count), static_cast<long>(maxlen));
  if (!with_count) {
    if (positions.empty()) {
      ctx.reply.Null();
    } else {
      ctx.reply.Integer(positions[0]);
    }
    return;
  }
  ctx.reply.ArrayHeader(positions.size());
  for (long p : positions) ctx.reply.Integer(p);
}

// Moves one element from source to destination; replies the element or nil. Returns false when
// the source is empty (and nothing was replied) so blocking forms can wait.
bool MoveElement(CommandContext& ctx, std::string_view source, std::string_view destination,
                 End from, End to, bool* failed) {
  *failed = false;
  bool wrong_type;
  QuickList* src = FindList(ctx, source, &wrong_type);
  if (wrong_type) {
    *failed = true;
    return false;
  }
  if (src == nullptr) return false;
  // The destination's type is checked before anything moves, as in Redis.
  Object* dest_obj = ctx.db.Find(destination, ctx.now_ms);
  if (dest_obj != nullptr && dest_obj->type() != ObjType::kList) {
    ctx.reply.Error(errors::kWrongType);
    *failed = true;
    return false;
  }
  static thread_local std::string value;
  Pop(src, from, &value);
  QuickList* dest = FindOrCreateList(ctx, destination);  // may be src itself: still alive here
  Push(dest, to, value);
  // As in Redis: the push on the destination is announced first, then the pop.
  NotifyKeyspaceEvent(ctx.server, kNotifyList, PushEvent(to), destination, ctx.db.index());
  NotifyKeyspaceEvent(ctx.server, kNotifyList, PopEvent(from), source, ctx.db.index());
  if (source != destination) DropIfEmpty(ctx, source, src);
  ctx.reply.Bulk(value);
  return true;
}

// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
void CmdLMove(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx.arg(3), &from) || !ParseEnd(ctx.arg(4), &to)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  bool failed;
  if (!MoveElement(ctx, ctx.arg(1), ctx.arg(2), from, to, &failed) && !failed) {
    ctx.unchanged = true;
    ctx.reply.Null();
  }
}

// RPOPLPUSH source destination
void CmdRPopLPush(CommandContext& ctx) {
  bool failed;
  if (!MoveElement(ctx, ctx.arg(1), ctx.arg(2), End::kRight, End::kLeft, &failed) && !failed) {
    ctx.unchanged = true;
    ctx.reply.Null();
  }
}

// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
void CmdBLMove(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx.arg(3), &from) || !ParseEnd(ctx.arg(4), &to)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.arg(5), &deadline)) return;
  std::span<const std::string_view> keys = ctx.args.subspan(1, 1);
  std::string_view waking_view;
  if (!NarrowToWakingKey(ctx, ObjType::kList, &keys, &waking_view, deadline)) return;
  bool failed;
  if (MoveElement(ctx, ctx.arg(1), ctx.arg(2), from, to, &failed) || failed) return;
  ctx.unchanged = true;
  if (!ctx.may_block) {
    ctx.reply.Null();
    return;
  }
  ctx.server.blocking().Block(ctx, ctx.args.subspan(1, 1), deadline);
}

// BRPOPLPUSH source destination timeout
void CmdBRPopLPush(CommandContext& ctx) {
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.arg(3), &deadline)) return;
  std::span<const std::string_view> keys = ctx.args.subspan(1, 1);
  std::string_view waking_view;
  if (!NarrowToWakingKey(ctx, ObjType::kList, &keys, &waking_view, deadline)) return;
  bool failed;
  if (MoveElement(ctx, ctx.arg(1), ctx.arg(2), End::kRight, End::kLeft, &failed) || failed) {
    return;
  }
  ctx.unchanged = true;
  if (!ctx.may_block) {
    ctx.reply.Null();
    return;
  }
  ctx.server.blocking().Block(ctx, ctx.args.subspan(1, 1), deadline);
}

// Pops up to `count` elements from the first non-empty list among keys, replying
// [key, [elements]] (LMPOP) or [key, element] (BLPOP). Returns false if every list is empty.
bool PopFromFirst(CommandContext& ctx, std::span<const std::string_view> keys, End end,
                  int64_t count, bool multi_shape, bool* failed) {
  *failed = false;
  for (std::string_view key : keys) {
    bool wrong_type;
    QuickList* list = FindList(ctx, key, &wrong_type);
    if (wrong_type) {
      *failed = true;
      return false;
    }
    if (list == nullptr) continue;
    static thread_local std::string value;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    if (multi_shape) {
      size_t n =
          static_cast<size_t>(count) < list->size() ? static_cast<size_t>(count) : list->size();
      ctx.reply.ArrayHeader(n);
      for (size_t i = 0; i < n; ++i) {
        Pop(list, end, &value);
        ctx.reply.Bulk(value);
      }
    } else {
      Pop(list, end, &value);
      ctx.reply.Bulk(value);
    }
    NotifyKeyspaceEvent(ctx.server, kNotifyList, PopEvent(end), key, ctx.db.index());
    DropIfEmpty(ctx, key, list);
    ctx.modified_only = key;
    return true;
  }
  return false;
}

// BLPOP/BRPOP key [key ...] timeout
void BlockingPop(CommandContext& ctx, End end) {
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.arg(ctx.argc() - 1), &deadline)) return;
  std::span<const std::string_view> keys = ctx.args.subspan(1, ctx.argc() - 2);
  std::string_view waking_view;
  if (!NarrowToWakingKey(ctx, ObjType::kList, &keys, &waking_view, deadline)) return;
  bool failed;
  if (PopFromFirst(ctx, keys, end, 1, false, &failed) || failed) return;
  ctx.unchanged = true;
  if (!ctx.may_block) {
    ctx.reply.NullArray();
    return;
  }
  ctx.server.blocking().Block(ctx, keys, deadline);
}

// BLPOP key [key ...] timeout
void CmdBLPop(CommandContext& ctx) { BlockingPop(ctx, End::kLeft); }
// BRPOP key [key ...] timeout
void CmdBRPop(CommandContext& ctx) { BlockingPop(ctx, End::kRight); }

// Parses "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]" starting at `first`.
bool ParseMPop(CommandContext& ctx, size_t first, std::span<const std::string_view>* keys, End* end,
               int64_t* count) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(first), &numkeys) || numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return false;
  }
  size_t keys_start = first + 1;
  // Too many keys for the arguments is a plain syntax error here (Redis 7.0 looks for the
  // direction past the keys and finds none), unlike ZUNIONSTORE's "Number of keys" error.
  if (static_cast<uint64_t>(numkeys) >= ctx.argc() - keys_start) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  size_t where = keys_start + static_cast<size_t>(numkeys);
  if (!ParseEnd(ctx.arg(where), end)) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  *count = 1;
  size_t i = where + 1;
  bool have_count = false;
  while (i < ctx.argc()) {
    if (EqualsIgnoreCase(ctx.arg(i), "COUNT") && i + 1 < ctx.argc() && !have_count) {
      if (!ParseInt64(ctx.arg(i + 1), count) || *count <= 0) {
        ctx.reply.Error("ERR count should be greater than 0");
        return false;
      }
      have_count = true;
      i += 2;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  *keys = ctx.args.subspan(keys_start, where - keys_start);
  return true;
}

// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
void CmdLMPop(CommandContext& ctx) {
  std::span<const std::string_view> keys;
  End end;
  int64_t count;
  if (!ParseMPop(ctx, 1, &keys, &end, &count)) return;
  bool failed;
  if (PopFromFirst(ctx, keys, end, count, true, &failed) || failed) return;
  ctx.unchanged = true;
  ctx.reply.NullArray();
}

// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
void CmdBLMPop(CommandContext& ctx) {
  // Redis checks the keys and options before the timeout.
  std::span<const std::string_view> keys;
  End end;
  int64_t count;
  if (!ParseMPop(ctx, 2, &keys, &end, &count)) return;
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.arg(1), &deadline)) return;
  std::string_view waking_view;
  if (!NarrowToWakingKey(ctx, ObjType::kList, &keys, &waking_view, deadline)) return;
  bool failed;
  if (PopFromFirst(ctx, keys, end, count, true, &failed) || failed) return;
  ctx.unchanged = true;
  if (!ctx.may_block) {
    ctx.reply.NullArray();
    return;
  }
  ctx.server.blocking().Block(ctx, keys, deadline);
}

// Key positions of "[timeout] numkeys key [key ...]" commands.
template <size_t kNumkeysIndex>
void NumkeysKeys(ArgList args, std::vector<size_t>* out) {
  int64_t n = 0;
  if (args.size() <= kNumkeysIndex || !ParseInt64(args[kNumkeysIndex], &n) || n <= 0) return;
  for (size_t i = 0; i < static_cast<size_t>(n) && kNumkeysIndex + 1 + i < args.size(); ++i) {
    out->push_back(kNumkeysIndex + 1 + i);
  }
}

void DumpList(const Object& obj, PayloadWriter& out) {
  const QuickList& items = obj.As<ListObject>()->items();
  out.PutVarint(items.size());
  items.ForEach([&](std::string_view v) { out.PutString(v); });
}

bool LoadList(PayloadReader& in, Object* out) {
  uint64_t n = 0;
  if (!in.ReadCount(&n)) return false;
  auto list = std::make_unique<ListObject>();
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view v;
    if (!in.ReadString(&v)) return false;
    list->items().PushBack(v);
  }
  if (n == 0) return false;  // Redis never stores an empty list
  *out = Object(std::move(list));
  return true;
}

}  // namespace

void RegisterListFamily(CommandTable& table) {
  RegisterSerializer(ObjType::kList, DumpList, LoadList);
  // New lists take their node size from list-max-listpack-size.
  table.AddStartupHook([](Server& server) {
    server.config().OnChange("list-max-listpack-size", [](const Config::Param& p) {
      QuickList::SetDefaultFill(std::stoi(p.value));
    });
  });
  auto add = [&](auto&&... args) { table.AddSimple("list", args...); };
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kWDel = kCmdWrite | kCmdFast;
  constexpr uint32_t kR = kCmdReadOnly;
  add("lpush", -3, kW, 1, 1, 1, "1.0.0", "Prepends elements to a list, creating it if needed.",
      "key element [element ...]", CmdLPush, "O(1) per element");
  add("rpush", -3, kW, 1, 1, 1, "1.0.0", "Appends elements to a list, creating it if needed.",
      "key element [element ...]", CmdRPush, "O(1) per element");
  add("lpushx", -3, kW, 1, 1, 1, "2.2.0", "Prepends elements to a list only if it exists.",
      "key element [element ...]", CmdLPushX, "O(1) per element");
  add("rpushx", -3, kW, 1, 1, 1, "2.2.0", "Appends elements to a list only if it exists.",
      "key element [element ...]", CmdRPushX, "O(1) per element");
  add("lpop", -2, kWDel, 1, 1, 1, "1.0.0", "Removes and returns elements from the head of a list.",
      "key [count:integer]", CmdLPop, "O(N) in the number of elements returned");
  add("rpop", -2, kWDel, 1, 1, 1, "1.0.0", "Removes and returns elements from the tail of a list.",
      "key [count:integer]", CmdRPop, "O(N) in the number of elements returned");
  add("llen", 2, kR | kCmdFast, 1, 1, 1, "1.0.0", "Returns the length of a list.", "key", CmdLLen,
      "O(1)");
  add("lrange", 4, kR, 1, 1, 1, "1.0.0", "Returns a range of elements of a list.",
      "key start:integer stop:integer", CmdLRange,
      "O(S+N) where S is the distance of start from the nearer end");
  add("lindex", 3, kR, 1, 1, 1, "1.0.0", "Returns the element at an index of a list.",
      "key index:integer", CmdLIndex, "O(N) from the nearer end");
  add("lset", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, "1.0.0",
      "Replaces the element at an index of a list.", "key index:integer element", CmdLSet,
      "O(N) from the nearer end");
  add("linsert", 5, kCmdWrite | kCmdDenyOom, 1, 1, 1, "2.2.0",
      "Inserts an element before or after another element of a list.",
      "key <BEFORE | AFTER> pivot element", CmdLInsert, "O(N)");
  add("lrem", 4, kCmdWrite, 1, 1, 1, "1.0.0", "Removes occurrences of an element from a list.",
      "key count:integer element", CmdLRem, "O(N+M)");
  add("ltrim", 4, kCmdWrite, 1, 1, 1, "1.0.0", "Keeps only a range of elements of a list.",
      "key start:integer stop:integer", CmdLTrim, "O(N) in the number of elements removed");
  add("lpos", -3, kR, 1, 1, 1, "6.0.6", "Returns the positions of matching elements in a list.",
      "key element [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]", CmdLPos,
      "O(N)");
  add("lmove", 5, kCmdWrite | kCmdDenyOom, 1, 2, 1, "6.2.0",
      "Moves an element from one list to another and returns it.",
      "source destination <LEFT | RIGHT> <LEFT | RIGHT>", CmdLMove, "O(1)");
  add("rpoplpush", 3, kCmdWrite | kCmdDenyOom, 1, 2, 1, "1.2.0",
      "Moves the last element of a list to the head of another and returns it.",
      "source destination", CmdRPopLPush, "O(1)");
  add("blmove", 6, kCmdWrite | kCmdDenyOom | kCmdBlocking | kCmdNoScript, 1, 2, 1, "6.2.0",
      "Moves an element from one list to another, waiting until one is available.",
      "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout:double", CmdBLMove, "O(1)");
  add("brpoplpush", 4, kCmdWrite | kCmdDenyOom | kCmdBlocking | kCmdNoScript, 1, 2, 1, "2.2.0",
      "Moves the last element of a list to the head of another, waiting until one is available.",
      "source destination timeout:double", CmdBRPopLPush, "O(1)");
  add("blpop", -3, kCmdWrite | kCmdBlocking | kCmdNoScript, 1, -2, 1, "2.0.0",
      "Removes and returns the first element of the first non-empty list, waiting until one is.",
      "key [key ...] timeout:double", CmdBLPop, "O(N) in the number of keys");
  add("brpop", -3, kCmdWrite | kCmdBlocking | kCmdNoScript, 1, -2, 1, "2.0.0",
      "Removes and returns the last element of the first non-empty list, waiting until one is.",
      "key [key ...] timeout:double", CmdBRPop, "O(N) in the number of keys");
  table.Add({.name = "lmpop",
             .arity = -4,
             .flags = kCmdWrite | kCmdMovableKeys,
             .group = "list",
             .since = "7.0.0",
             .summary = "Pops elements from the first non-empty list among several.",
             .syntax = "numkeys:integer key [key ...] <LEFT | RIGHT> [COUNT count:integer]",
             .handler = CmdLMPop,
             .key_finder = NumkeysKeys<1>,
             .complexity = "O(N+M)"});
  table.Add({.name = "blmpop",
             .arity = -5,
             .flags = kCmdWrite | kCmdBlocking | kCmdMovableKeys,
             .group = "list",
             .since = "7.0.0",
             .summary = "Pops elements from the first non-empty list among several, waiting until "
                        "one is.",
             .syntax = "timeout:double numkeys:integer key [key ...] <LEFT | RIGHT> "
                       "[COUNT count:integer]",
             .handler = CmdBLMPop,
             .key_finder = NumkeysKeys<2>,
             .complexity = "O(N+M)"});
}

}  // namespace sluice
