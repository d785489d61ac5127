// Keyspace commands: existence, deletion, renaming and moving keys between databases, expiry,
// iteration (KEYS, SCAN), introspection (TYPE, OBJECT) and DUMP / RESTORE. FLUSHDB, FLUSHALL,
// SWAPDB and DBSIZE are documented in the "server" group but operate on whole keyspaces, so they
// live here too.
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
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
#include "server/types/serialize.h"
#include "server/util/glob.h"

namespace sluice {
namespace {

constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
constexpr std::string_view kBadDumpPayload = "ERR DUMP payload version or checksum are wrong";
constexpr std::string_view kLfuNotSelected =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust.";
constexpr std::string_view kLfuSelected =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
// Redis shares one object for each small integer value and reports the sentinel refcount of a
// shared object for it; clients can see that through OBJECT REFCOUNT.
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = INT_MAX;

// A read lookup as Redis does it: lazy expiry, keyspace hit/miss counting and, unless the
// command only inspects metadata, an access-time update.
Object* LookupRead(CommandContext& ctx, std::string_view key, bool touch) {
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr) {
    ctx.server.stats().keyspace_misses++;
    return nullptr;
  }
  ctx.server.stats().keyspace_hits++;
  if (touch) obj->Touch(ctx.now_ms);
  return obj;
}

// Database indexes are C ints in Redis, which has a separate error for integers beyond them.
bool ParseDbIndex(CommandContext& ctx, std::string_view text, int64_t* out) {
  if (!ParseInt64(text, out)) {
    ctx.reply.Error(errors::kNotInteger);
    return false;
  }
  if (*out < INT_MIN || *out > INT_MAX) {
    ctx.reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return false;
  }
  return true;
}

// SWAPDB names the argument in both errors.
bool ParseSwapIndex(CommandContext& ctx, std::string_view text, std::string_view error,
                    int64_t* out) {
  if (!ParseInt64(text, out) || *out < INT_MIN || *out > INT_MAX) {
    ctx.reply.Error(error);
    return false;
  }
  return true;
}

bool LfuPolicy(CommandContext& ctx) {
  return ctx.server.config().Get("maxmemory-policy").ends_with("-lfu");
}

// DEL key [key ...]
// UNLINK key [key ...]
void CmdDel(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db.Find(ctx.arg(i), ctx.now_ms) != nullptr && ctx.db.Erase(ctx.arg(i))) {
      ++deleted;
      // Only the keys that were there changed: a watched key that was missing is not disturbed
      // (and a group reader blocked on a deleted stream is told it is gone).
      ctx.server.KeyWritten(ctx.db.index(), ctx.arg(i));
      NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", ctx.arg(i), ctx.db.index());
    }
  }
  if (deleted == 0) ctx.unchanged = true;
  ctx.keys_signalled = true;
  ctx.reply.Integer(deleted);
}

// EXISTS key [key ...]
void CmdExists(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (LookupRead(ctx, ctx.arg(i), /*touch=*/false) != nullptr) ++found;
  }
  ctx.reply.Integer(found);
}

// TOUCH key [key ...]
void CmdTouch(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (LookupRead(ctx, ctx.arg(i), /*touch=*/true) != nullptr) ++found;
  }
  ctx.reply.Integer(found);
}

// TYPE key
void CmdType(CommandContext& ctx) {
  Object* obj = LookupRead(ctx, ctx.arg(1), /*touch=*/false);
  ctx.reply.SimpleString(obj == nullptr ? "none" : TypeName(obj->type()));
}

// KEYS pattern
void CmdKeys(CommandContext& ctx) {
  std::string_view pattern = ctx.arg(1);
  // A lone "*" takes every key, including the empty one that glob matching would refuse.
  bool all = pattern == "*";
  std::vector<const std::string*> keys;
  for (const auto& [key, obj] : ctx.db.map()) {
    if (obj.expire_at() != 0 && obj.expire_at() <= ctx.now_ms) continue;
    if (all || GlobMatch(pattern, key)) keys.push_back(&key);
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string* key : keys) ctx.reply.Bulk(*key);
}

// Reads a SCAN cursor the way Redis does (strtoull, so "-1" wraps and "" is 0), refusing
// leading spaces, trailing bytes and overflow.
bool ParseCursor(std::string_view text, uint64_t* out) {
  if (!text.empty() && isspace(static_cast<unsigned char>(text[0]))) return false;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  unsigned long long value = strtoull(copy.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = value;
  return true;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void CmdScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseCursor(ctx.arg(1), &cursor)) {
    ctx.reply.Error(kInvalidCursor);
    return;
  }
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type;
  bool use_type = false;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view opt = ctx.arg(i);
    if (i + 1 >= ctx.argc()) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    if (EqualsIgnoreCase(opt, "COUNT")) {
      if (!ParseInt64(ctx.arg(i + 1), &count)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      if (count < 1) {
        ctx.reply.Error(errors::kSyntax);
        return;
      }
    } else if (EqualsIgnoreCase(opt, "MATCH")) {
      pattern = ctx.arg(i + 1);
      use_pattern = pattern != "*";
    } else if (EqualsIgnoreCase(opt, "TYPE")) {
      type = ctx.arg(i + 1);
      use_type = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  // Filtering happens after the walk: expiring a key mid-walk would disturb the table it walks.
  std::vector<std::string> keys;
  uint64_t next =
      ctx.db.Scan(cursor, static_cast<size_t>(count), [&](const std::string& key, Object&) {
        if (use_pattern && !GlobMatch(pattern, key)) return;
        keys.push_back(key);
      });
  std::vector<std::string_view> live;
  for (const std::string& key : keys) {
    Object* obj = ctx.db.Find(key, ctx.now_ms);
    if (obj == nullptr) continue;
    if (use_type && !EqualsIgnoreCase(type, TypeName(obj->type()))) continue;
    live.push_back(key);
  }
  char buf[kInt64BufferSize];
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, FormatUint64(next, buf)));
  ctx.reply.ArrayHeader(live.size());
  for (std::string_view key : live) ctx.reply.Bulk(key);
}

// RANDOMKEY
void CmdRandomKey(CommandContext& ctx) {
  std::string key;
  if (!ctx.db.RandomKey(ctx.now_ms, &key)) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(key);
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view from = ctx.arg(1);
  std::string_view to = ctx.arg(2);
  Object* src = ctx.db.Find(from, ctx.now_ms);
  if (src == nullptr) {
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  if (from == to) {
    ctx.unchanged = true;
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (nx && ctx.db.Find(to, ctx.now_ms) != nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  Object moved;
  ctx.db.Take(from, ctx.now_ms, &moved);
  moved.Touch(ctx.now_ms);
  ctx.db.Put(to, std::move(moved));  // carries the expiry along
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "rename_from", from, ctx.db.index());
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "rename_to", to, ctx.db.index());
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

// RENAME key newkey
void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }

// RENAMENX key newkey
void CmdRenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx) {
  bool replace = false;
  int64_t target = ctx.session.db_index();
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (EqualsIgnoreCase(ctx.arg(i), "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "DB") && i + 1 < ctx.argc()) {
      if (!ParseDbIndex(ctx, ctx.arg(++i), &target)) return;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  if (target < 0 || target >= ctx.server.db_count()) {
    ctx.reply.Error(errors::kDbIndexOutOfRange);
    return;
  }
  int target_index = static_cast<int>(target);
  std::string_view from = ctx.arg(1);
  std::string_view to = ctx.arg(2);
  if (target_index == ctx.session.db_index() && from == to) {
    ctx.reply.Error(errors::kSameSourceDestination);
    return;
  }
  Object* src = LookupRead(ctx, from, /*touch=*/true);
  Database& dst = ctx.server.db(target_index);
  if (src == nullptr || (!replace && dst.Find(to, ctx.now_ms) != nullptr)) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  Object copy = src->Clone();  // keeps the expiry, as COPY does
  copy.set_access_ms(ctx.now_ms);
  dst.Put(to, std::move(copy));
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "copy_to", to, target_index);
  // Only the destination changed; a client watching the source is not disturbed, as in Redis.
  if (target_index == ctx.session.db_index()) {
    ctx.modified_only = to;
  } else {
    ctx.server.KeyWritten(target_index, to);
    ctx.keys_signalled = true;
  }
  ctx.reply.Integer(1);
}

// MOVE key db
void CmdMove(CommandContext& ctx) {
  int64_t target = 0;
  if (!ParseDbIndex(ctx, ctx.arg(2), &target)) return;
  if (target < 0 || target >= ctx.server.db_count()) {
    ctx.reply.Error(errors::kDbIndexOutOfRange);
    return;
  }
  int target_index = static_cast<int>(target);
  if (target_index == ctx.session.db_index()) {
    ctx.reply.Error(errors::kSameSourceDestination);
    return;
  }
  std::string_view key = ctx.arg(1);
  Database& dst = ctx.server.db(target_index);
  if (ctx.db.Find(key, ctx.now_ms) == nullptr || dst.Find(key, ctx.now_ms) != nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  Object moved;
  ctx.db.Take(key, ctx.now_ms, &moved);
  dst.Put(key, std::move(moved));
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "move_from", key, ctx.db.index());
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "move_to", key, target_index);
  ctx.server.KeyWritten(target_index, key);
  ctx.reply.Integer(1);
}

// DBSIZE
void CmdDbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db.size())); }

// Both flush commands take an optional ASYNC or SYNC; freeing is synchronous either way.
bool ParseFlushMode(CommandContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "ASYNC") &&
                         !EqualsIgnoreCase(ctx.arg(1), "SYNC"))) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// FLUSHDB [ASYNC | SYNC]
void CmdFlushDb(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  ctx.server.DatabaseModified(ctx.db.index());
  ctx.db.Clear();
  ctx.reply.Ok();
}

// FLUSHALL [ASYNC | SYNC]
void CmdFlushAll(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  for (int i = 0; i < ctx.server.db_count(); ++i) {
    ctx.server.DatabaseModified(i);
    ctx.server.db(i).Clear();
  }
  ctx.reply.Ok();
}

// SWAPDB index1 index2
void CmdSwapDb(CommandContext& ctx) {
  int64_t first = 0;
  int64_t second = 0;
  if (!ParseSwapIndex(ctx, ctx.arg(1), "ERR invalid first DB index", &first) ||
      !ParseSwapIndex(ctx, ctx.arg(2), "ERR invalid second DB index", &second)) {
    return;
  }
  int count = ctx.server.db_count();
  if (first < 0 || first >= count || second < 0 || second >= count) {
    ctx.reply.Error(errors::kDbIndexOutOfRange);
    return;
  }
  if (first == second) {
    ctx.unchanged = true;
    ctx.reply.Ok();
    return;
  }
  int a = static_cast<int>(first);
  int b = static_cast<int>(second);
  // Watchers of keys that exist on either side before or after the swap see a change: marking
  // both databases before and after covers keys that appear as well as keys that vanish.
  ctx.server.DatabaseModified(a);
  ctx.server.DatabaseModified(b);
  ctx.server.db(a).Swap(ctx.server.db(b));
  ctx.server.DatabaseModified(a);
  ctx.server.DatabaseModified(b);
  // Clients blocked on either side may find their keys now.
  ctx.server.blocking().SignalDatabaseReady(a);
  ctx.server.blocking().SignalDatabaseReady(b);
  ctx.reply.Ok();
}

// DUMP key
void CmdDump(CommandContext& ctx) {
  Object* obj = LookupRead(ctx, ctx.arg(1), /*touch=*/true);
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  std::string payload = DumpObject(*obj);
  if (payload.empty()) {
    ctx.reply.Error("ERR DUMP is not supported for the type of this key");
    return;
  }
  ctx.reply.Bulk(payload);
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CommandContext& ctx) {
  bool replace = false;
  bool absttl = false;
  int64_t idle = -1;
  int64_t freq = -1;
  for (size_t i = 4; i < ctx.argc(); ++i) {
    bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(ctx.arg(i), "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "ABSTTL")) {
      absttl = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "IDLETIME") && has_value && freq == -1) {
      if (!ParseInt64(ctx.arg(++i), &idle)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      if (idle < 0) {
        ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
    } else if (EqualsIgnoreCase(ctx.arg(i), "FREQ") && has_value && idle == -1) {
      if (!ParseInt64(ctx.arg(++i), &freq)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      if (freq < 0 || freq > 255) {
        ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  std::string_view key = ctx.arg(1);
  Object* existing = ctx.db.Find(key, ctx.now_ms);
  if (!replace && existing != nullptr) {
    ctx.reply.Error(errors::kBusyKey);
    return;
  }
  int64_t ttl = 0;
  if (!ParseInt64(ctx.arg(2), &ttl)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (ttl < 0) {
    ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  if (!VerifyDumpPayload(ctx.arg(3))) {
    ctx.reply.Error(kBadDumpPayload);
    return;
  }
  Object restored;
  if (!RestoreObject(ctx.arg(3), &restored)) {
    ctx.reply.Error("ERR Bad data format");
    return;
  }
  bool expired = false;
  if (ttl != 0 && !absttl) {
    // A relative TTL so large that the deadline overflows wraps into the past in Redis.
    if (ttl > LLONG_MAX - ctx.now_ms) {
      expired = true;
    } else {
      ttl += ctx.now_ms;
    }
  }
  if (ttl != 0 && ttl <= ctx.now_ms) expired = true;
  if (expired) {
    // The value would expire at once: only the replaced key's deletion is visible.
    if (existing != nullptr) {
      ctx.db.Erase(key);
      NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
    } else {
      ctx.unchanged = true;
    }
    ctx.reply.Ok();
    return;
  }
  restored.set_expire_at(ttl);
  Object& stored = ctx.db.Put(key, std::move(restored));
  int64_t accessed = ctx.now_ms;
  if (idle > 0) accessed = idle > ctx.now_ms / 1000 ? 0 : ctx.now_ms - idle * 1000;
  stored.set_access_ms(accessed);
  if (freq >= 0) stored.set_frequency(static_cast<uint8_t>(freq));
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "restore", key, ctx.db.index());
  ctx.reply.Ok();
}

// OBJECT ENCODING key
void CmdObjectEncoding(CommandContext& ctx) {
  Object* obj = LookupRead(ctx, ctx.arg(2), /*touch=*/false);
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(obj->Encoding());
}

// OBJECT REFCOUNT key
void CmdObjectRefcount(CommandContext& ctx) {
  Object* obj = LookupRead(ctx, ctx.arg(2), /*touch=*/false);
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  // Redis stops sharing small integers when an LRU or LFU policy needs per-object access data.
  const std::string& policy = ctx.server.config().Get("maxmemory-policy");
  bool sharing = ctx.server.config().GetInt("maxmemory") == 0 ||
                 !(policy.ends_with("-lru") || policy.ends_with("-lfu"));
  int64_t value = 0;
  if (sharing && obj->is_string() && obj->Encoding() == "int" && ParseInt64(obj->str(), &value) &&
      value >= 0 && value < kSharedIntegers) {
    ctx.reply.Integer(kSharedRefcount);
    return;
  }
  ctx.reply.Integer(1);
}

// OBJECT IDLETIME key
void CmdObjectIdletime(CommandContext& ctx) {
  Object* obj = LookupRead(ctx, ctx.arg(2), /*touch=*/false);
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (LfuPolicy(ctx)) {
    ctx.reply.Error(kLfuSelected);
    return;
  }
  int64_t idle_ms = ctx.now_ms - obj->access_ms();
  ctx.reply.Integer(idle_ms > 0 ? idle_ms / 1000 : 0);
}

// OBJECT FREQ key
void CmdObjectFreq(CommandContext& ctx) {
  Object* obj = LookupRead(ctx, ctx.arg(2), /*touch=*/false);
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (!LfuPolicy(ctx)) {
    ctx.reply.Error(kLfuNotSelected);
    return;
  }
  ctx.reply.Integer(obj->frequency());
}

// OBJECT HELP
void CmdObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    The internal representation of the value stored at <key>.",
      "FREQ <key>",
      "    The access frequency counter of <key> (needs an LFU maxmemory-policy).",
      "IDLETIME <key>",
      "    Seconds since <key> was last read or written (not with an LFU maxmemory-policy).",
      "REFCOUNT <key>",
      "    How many references the value of <key> has.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
}

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key amount [NX | XX | GT | LT]. `basetime` is now for the
// relative forms and 0 for the absolute ones.
void ExpireGeneric(CommandContext& ctx, int64_t basetime, bool seconds) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "NX")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "XX")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "GT")) {
      gt = true;
    } else if (EqualsIgnoreCase(opt, "LT")) {
      lt = true;
    } else {
      ctx.reply.Error("ERR Unsupported option " + std::string(opt));
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (gt && lt) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  int64_t when = 0;
  if (!ParseInt64(ctx.arg(2), &when)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  // Negative amounts are allowed (they delete the key); only overflow is refused.
  bool overflow = seconds && (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000);
  if (!overflow && seconds) when *= 1000;
  if (overflow || when > LLONG_MAX - basetime) {
    ctx.reply.Error("ERR invalid expire time in '" + std::string(ctx.spec.name) + "' command");
    return;
  }
  when += basetime;

  std::string_view key = ctx.arg(1);
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  obj->Touch(ctx.now_ms);
  int64_t current = obj->expire_at();  // 0: no expiry, which GT and LT treat as infinite
  bool refused = (nx && current != 0) || (xx && current == 0) ||
                 (gt && (current == 0 || when <= current)) ||
                 (lt && current != 0 && when >= current);
  if (refused) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  if (when <= ctx.now_ms) {
    ctx.db.Erase(key);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
  } else {
    ctx.db.SetExpire(*obj, key, when);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "expire", key, ctx.db.index());
  }
  ctx.reply.Integer(1);
}

// EXPIRE key seconds [NX | XX | GT | LT]
void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, true); }

// PEXPIRE key milliseconds [NX | XX | GT | LT]
void CmdPExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, false); }

// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
void CmdExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, true); }

// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
void CmdPExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, false); }

void TtlGeneric(CommandContext& ctx, bool millis, bool absolute) {
  Object* obj = LookupRead(ctx, ctx.arg(1), /*touch=*/false);
  if (obj == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  int64_t at = obj->expire_at();
  if (at == 0) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t ttl = absolute ? at : at - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  // Seconds are rounded to the nearest, for TTL and EXPIRETIME alike, as Redis does.
  ctx.reply.Integer(millis ? ttl : (ttl + 500) / 1000);
}

// TTL key
void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }

// PTTL key
void CmdPTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }

// EXPIRETIME key
void CmdExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }

// PEXPIRETIME key
void CmdPExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

// PERSIST key
void CmdPersist(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr || obj->expire_at() == 0) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  obj->Touch(ctx.now_ms);
  ctx.db.SetExpire(*obj, key, 0);
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "persist", key, ctx.db.index());
  ctx.reply.Integer(1);
}

CommandSpec ObjectSubcommand(std::string_view name, std::string_view since,
                             std::string_view summary, CommandHandler handler) {
  return {.name = name,
          .arity = 3,
          .flags = kCmdReadOnly,
          .first_key = 2,
          .last_key = 2,
          .key_step = 1,
          .group = "generic",
          .since = since,
          .summary = summary,
          .syntax = "key",
          .handler = handler,
          .complexity = "O(1)"};
}

void AddExpireCommand(CommandTable& table, std::string_view name, std::string_view since,
                      std::string_view summary, std::string_view syntax, CommandHandler handler) {
  table.AddSimple("generic", name, -3, kCmdWrite | kCmdFast, 1, 1, 1, since, summary, syntax,
                  handler, "O(1)");
}

void AddTtlCommand(CommandTable& table, std::string_view name, std::string_view since,
                   std::string_view summary, CommandHandler handler) {
  table.AddSimple("generic", name, 2, kCmdReadOnly | kCmdFast, 1, 1, 1, since, summary, "key",
                  handler, "O(1)");
}

}  // namespace

void RegisterGenericFamily(CommandTable& table) {
  auto add = [&](auto&&... args) { table.AddSimple("generic", args...); };
  add("del", -2, kCmdWrite, 1, -1, 1, "1.0.0", "Deletes keys, answering how many existed.",
      "key [key ...]", CmdDel, "O(N) where N is the number of keys that will be removed.");
  add("unlink", -2, kCmdWrite | kCmdFast, 1, -1, 1, "4.0.0",
      "Deletes keys like DEL; values are freed without delaying the reply.", "key [key ...]",
      CmdDel, "O(1) for each key removed regardless of its size.");
  add("exists", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, "1.0.0",
      "Counts how many of the given keys exist, repeated keys counting again.", "key [key ...]",
      CmdExists, "O(N) where N is the number of keys to check.");
  add("touch", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, "3.2.1",
      "Marks keys as just accessed, answering how many exist.", "key [key ...]", CmdTouch,
      "O(N) where N is the number of keys that will be touched.");
  add("type", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "1.0.0",
      "Names the type of the value at a key, or none.", "key", CmdType, "O(1)");
  table.Add({.name = "keys",
             .arity = 2,
             .flags = kCmdReadOnly,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Lists every key matching a glob pattern.",
             .syntax = "pattern",
             .handler = CmdKeys,
             .complexity = "O(N) with N being the number of keys in the database.",
             .extra_acl = "@dangerous"});
  add("scan", -2, kCmdReadOnly, 0, 0, 0, "2.8.0",
      "Iterates over the keys of the database a batch at a time.",
      "cursor:integer [MATCH pattern] [COUNT count:integer] [TYPE type]", CmdScan,
      "O(1) for every call. O(N) for a complete iteration.");
  add("randomkey", 1, kCmdReadOnly, 0, 0, 0, "1.0.0", "Answers a key picked at random.", "",
      CmdRandomKey, "O(1)");
  add("rename", 3, kCmdWrite, 1, 2, 1, "1.0.0",
      "Gives a key a new name, replacing any key already under it.", "key newkey", CmdRename,
      "O(1)");
  add("renamenx", 3, kCmdWrite | kCmdFast, 1, 2, 1, "1.0.0",
      "Gives a key a new name only if that name is free.", "key newkey", CmdRenameNx, "O(1)");
  add("copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, "6.2.0",
      "Copies the value of a key to another key, possibly in another database.",
      "source destination [DB destination-db:integer] [REPLACE]", CmdCopy,
      "O(N) worst case for collections, where N is the number of nested items. O(1) for string "
      "values.");
  add("move", 3, kCmdWrite | kCmdFast, 1, 1, 1, "1.0.0",
      "Moves a key to another database unless the key exists there.", "key db:integer", CmdMove,
      "O(1)");
  table.Add({.name = "dbsize",
             .arity = 1,
             .flags = kCmdReadOnly | kCmdFast,
             .group = "server",
             .since = "1.0.0",
             .summary = "Answers the number of keys in the selected database.",
             .syntax = "",
             .handler = CmdDbSize,
             .complexity = "O(1)",
             .extra_acl = "@keyspace"});
  table.Add({.name = "flushdb",
             .arity = -1,
             .flags = kCmdWrite,
             .group = "server",
             .since = "1.0.0",
             .summary = "Removes every key of the selected database.",
             .syntax = "[ASYNC | SYNC]",
             .handler = CmdFlushDb,
             .complexity = "O(N) where N is the number of keys in the selected database",
             .extra_acl = "@keyspace @dangerous"});
  table.Add({.name = "flushall",
             .arity = -1,
             .flags = kCmdWrite,
             .group = "server",
             .since = "1.0.0",
             .summary = "Removes every key of every database.",
             .syntax = "[ASYNC | SYNC]",
             .handler = CmdFlushAll,
             .complexity = "O(N) where N is the total number of keys in all databases",
             .extra_acl = "@keyspace @dangerous"});
  table.Add({.name = "swapdb",
             .arity = 3,
             .flags = kCmdWrite | kCmdFast,
             .group = "server",
             .since = "4.0.0",
             .summary = "Exchanges the contents of two databases.",
             .syntax = "index1:integer index2:integer",
             .handler = CmdSwapDb,
             .complexity = "O(N) where N is the count of clients watching or blocking on keys "
                           "from both databases.",
             .extra_acl = "@keyspace @dangerous"});
  add("dump", 2, kCmdReadOnly, 1, 1, 1, "2.6.0",
      "Serializes the value at a key into a payload RESTORE accepts.", "key", CmdDump,
      "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
      "Sluice objects composing the value and M their average size.");
  table.Add({.name = "restore",
             .arity = -4,
             .flags = kCmdWrite | kCmdDenyOom,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Creates a key from a DUMP payload.",
             .syntax = "key ttl:integer serialized-value [REPLACE] [ABSTTL] "
                       "[IDLETIME seconds:integer] [FREQ frequency:integer]",
             .handler = CmdRestore,
             .complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the "
                           "serialized value, where N is the number of Sluice objects composing "
                           "the value and M their average size.",
             .extra_acl = "@dangerous"});
  std::vector<CommandSpec> object_subcommands;
  object_subcommands.push_back(ObjectSubcommand(
      "object|encoding", "2.2.3", "Names the internal encoding of a value.", CmdObjectEncoding));
  object_subcommands.push_back(ObjectSubcommand(
      "object|freq", "4.0.0", "Answers the access frequency counter of a key.", CmdObjectFreq));
  object_subcommands.push_back(ObjectSubcommand("object|idletime", "2.2.3",
                                                "Answers the seconds since a key was last used.",
                                                CmdObjectIdletime));
  object_subcommands.push_back(ObjectSubcommand(
      "object|refcount", "2.2.3", "Answers the reference count of a value.", CmdObjectRefcount));
  object_subcommands.push_back({.name = "object|help",
                                .arity = 2,
                                .flags = kCmdLoading | kCmdStale,
                                .group = "generic",
                                .since = "6.2.0",
                                .summary = "Lists the OBJECT subcommands.",
                                .syntax = "",
                                .handler = CmdObjectHelp,
                                .complexity = "O(1)"});
  table.Add({.name = "object",
             .arity = -2,
             .group = "generic",
             .since = "2.2.3",
             .summary = "A container for commands that inspect the values behind keys.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(object_subcommands)});
  AddExpireCommand(table, "expire", "1.0.0", "Sets a key's time to live in seconds.",
                   "key seconds:integer [NX | XX | GT | LT]", CmdExpire);
  AddExpireCommand(table, "pexpire", "2.6.0", "Sets a key's time to live in milliseconds.",
                   "key milliseconds:integer [NX | XX | GT | LT]", CmdPExpire);
  AddExpireCommand(table, "expireat", "1.2.0", "Sets a key's expiry to a unix time in seconds.",
                   "key unix-time-seconds:unix-time [NX | XX | GT | LT]", CmdExpireAt);
  AddExpireCommand(table, "pexpireat", "2.6.0",
                   "Sets a key's expiry to a unix time in milliseconds.",
                   "key unix-time-milliseconds:unix-time [NX | XX | GT | LT]", CmdPExpireAt);
  AddTtlCommand(table, "ttl", "1.0.0", "Answers a key's remaining time to live in seconds.",
                CmdTtl);
  AddTtlCommand(table, "pttl", "2.6.0", "Answers a key's remaining time to live in milliseconds.",
                CmdPTtl);
  AddTtlCommand(table, "expiretime", "7.0.0",
                "Answers the unix time in seconds at which a key expires.", CmdExpireTime);
  AddTtlCommand(table, "pexpiretime", "7.0.0",
                "Answers the unix time in milliseconds at which a key expires.", CmdPExpireTime);
  add("persist", 2, kCmdWrite | kCmdFast, 1, 1, 1, "2.2.0", "Removes a key's expiry.", "key",
      CmdPersist, "O(1)");
}

}  // namespace sluice
