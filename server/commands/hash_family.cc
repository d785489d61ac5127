// Hash commands: field/value maps under one key, with Redis 7.0's replies and encodings.
#include <climits>
#include <cmath>
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
#include "server/types/hash.h"
#include "server/types/serialize.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"
#include "server/util/random.h"

namespace sluice {
namespace {

constexpr std::string_view kHashValueNotInteger = "ERR hash value is not an integer";
constexpr std::string_view kHashValueNotFloat = "ERR hash value is not a float";
constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
constexpr std::string_view kCountOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

HashObject* FindHash(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  Object* obj = FindTyped(ctx, key, ObjType::kHash, wrong_type);
  return obj == nullptr ? nullptr : obj->As<HashObject>();
}

HashObject* CreateHash(CommandContext& ctx, std::string_view key) {
  Object& obj = ctx.db.Put(key, Object(std::make_unique<HashObject>()));
  obj.Touch(ctx.now_ms);
  return obj.As<HashObject>();
}

// The hash under key, created empty if missing; nullptr (after WRONGTYPE) for another type.
// Only for commands that are sure to add a field once they have the hash.
HashObject* FindOrCreateHash(CommandContext& ctx, std::string_view key) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, key, &wrong_type);
  if (wrong_type) return nullptr;
  return hash != nullptr ? hash : CreateHash(ctx, key);
}

void Notify(CommandContext& ctx, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(ctx.server, kNotifyHash, event, key, ctx.db.index());
}

// Removes the key when its hash became empty, as Redis never keeps empty collections.
void DropIfEmpty(CommandContext& ctx, std::string_view key, HashObject* hash) {
  if (hash->Length() != 0) return;
  ctx.db.Erase(key);
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
}

void WrongArity(CommandContext& ctx) {
  ctx.reply.Error("ERR wrong number of arguments for '" + std::string(ctx.spec.name) + "' command");
}

// HSET and HMSET: key followed by field/value pairs.
void SetPairs(CommandContext& ctx, bool reply_ok) {
  if (ctx.argc() % 2 != 0) {
    WrongArity(ctx);
    return;
  }
  std::string_view key = ctx.arg(1);
  HashObject* hash = FindOrCreateHash(ctx, key);
  if (hash == nullptr) return;
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (hash->Set(ctx.arg(i), ctx.arg(i + 1))) ++added;
  }
  Notify(ctx, "hset", key);
  if (reply_ok) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(added);
  }
}

// HSET key field value [field value ...]
void CmdHSet(CommandContext& ctx) { SetPairs(ctx, false); }

// HMSET key field value [field value ...]
void CmdHMSet(CommandContext& ctx) { SetPairs(ctx, true); }

// HSETNX key field value
void CmdHSetNx(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  HashObject* hash = FindHash(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (hash != nullptr && hash->Contains(ctx.arg(2))) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  if (hash == nullptr) hash = CreateHash(ctx, key);
  hash->Set(ctx.arg(2), ctx.arg(3));
  Notify(ctx, "hset", key);
  ctx.reply.Integer(1);
}

// HGET key field
void CmdHGet(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  std::string_view value;
  if (hash == nullptr || !hash->Get(ctx.arg(2), &value)) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(value);
}

// HMGET key field [field ...]
void CmdHMGet(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string_view value;
    if (hash != nullptr && hash->Get(ctx.arg(i), &value)) {
      ctx.reply.Bulk(value);
    } else {
      ctx.reply.Null();
    }
  }
}

// HGETALL key
void CmdHGetAll(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (hash == nullptr) {
    ctx.reply.MapHeader(0);
    return;
  }
  ctx.reply.MapHeader(hash->Length());
  hash->ForEach([&](std::string_view field, std::string_view value) {
    ctx.reply.Bulk(field);
    ctx.reply.Bulk(value);
  });
}

// HKEYS and HVALS.
void ReplyHalf(CommandContext& ctx, bool fields) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (hash == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  ctx.reply.ArrayHeader(hash->Length());
  hash->ForEach([&](std::string_view field, std::string_view value) {
    ctx.reply.Bulk(fields ? field : value);
  });
}

// HKEYS key
void CmdHKeys(CommandContext& ctx) { ReplyHalf(ctx, true); }

// HVALS key
void CmdHVals(CommandContext& ctx) { ReplyHalf(ctx, false); }

// HDEL key field [field ...]
void CmdHDel(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  HashObject* hash = FindHash(ctx, key, &wrong_type);
  if (wrong_type) return;
  int64_t deleted = 0;
  if (hash != nullptr) {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (hash->Delete(ctx.arg(i))) ++deleted;
    }
  }
  if (deleted == 0) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, "hdel", key);
    DropIfEmpty(ctx, key, hash);
  }
  ctx.reply.Integer(deleted);
}

// HEXISTS key field
void CmdHExists(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(hash != nullptr && hash->Contains(ctx.arg(2)) ? 1 : 0);
}

// HLEN key
void CmdHLen(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(hash == nullptr ? 0 : static_cast<int64_t>(hash->Length()));
}

// HSTRLEN key field
void CmdHStrLen(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  std::string_view value;
  if (hash == nullptr || !hash->Get(ctx.arg(2), &value)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(value.size()));
}

// HINCRBY key field increment
void CmdHIncrBy(CommandContext& ctx) {
  int64_t increment;
  if (!ParseInt64(ctx.arg(3), &increment)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  HashObject* hash = FindHash(ctx, key, &wrong_type);
  if (wrong_type) return;
  int64_t value = 0;
  std::string_view current;
  if (hash != nullptr && hash->Get(ctx.arg(2), &current) && !ParseInt64(current, &value)) {
    ctx.reply.Error(kHashValueNotInteger);
    return;
  }
  if ((increment < 0 && value < 0 && increment < LLONG_MIN - value) ||
      (increment > 0 && value > 0 && increment > LLONG_MAX - value)) {
    ctx.reply.Error(errors::kOverflow);
    return;
  }
  value += increment;
  if (hash == nullptr) hash = CreateHash(ctx, key);
  char buf[kInt64BufferSize];
  hash->Set(ctx.arg(2), std::string_view(buf, FormatInt64(value, buf)));
  Notify(ctx, "hincrby", key);
  ctx.reply.Integer(value);
}

// HINCRBYFLOAT key field increment
void CmdHIncrByFloat(CommandContext& ctx) {
  long double increment;
  if (!ParseLongDouble(ctx.arg(3), &increment)) {
    ctx.reply.Error(errors::kNotFloat);
    return;
  }
  if (std::isnan(increment) || std::isinf(increment)) {
    ctx.reply.Error("ERR value is NaN or Infinity");
    return;
  }
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  HashObject* hash = FindHash(ctx, key, &wrong_type);
  if (wrong_type) return;
  long double value = 0;
  std::string_view current;
  if (hash != nullptr && hash->Get(ctx.arg(2), &current) && !ParseLongDouble(current, &value)) {
    ctx.reply.Error(kHashValueNotFloat);
    return;
  }
  value += increment;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = FormatLongDouble(value);
  if (hash == nullptr) hash = CreateHash(ctx, key);
  hash->Set(ctx.arg(2), text);
  Notify(ctx, "hincrbyfloat", key);
  ctx.reply.Bulk(text);
}

// HRANDFIELD key [count [WITHVALUES]]
void CmdHRandField(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    bool wrong_type;
    HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
    if (wrong_type) return;
    if (hash == nullptr) {
      ctx.reply.Null();
      return;
    }
    hash->RandomPairs(1, ServerRandom(),
                      [&](std::string_view field, std::string_view) { ctx.reply.Bulk(field); });
    return;
  }
  // The count is read before the rest is looked at, as in Redis.
  int64_t count;
  if (!ParseInt64(ctx.arg(2), &count)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (count == LLONG_MIN) {
    ctx.reply.Error(kCountOutOfRange);
    return;
  }
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "WITHVALUES"))) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  bool with_values = ctx.argc() == 4;
  // Twice as many reply elements as pairs must still fit a signed 64-bit length.
  if (with_values && (count < -(LLONG_MAX / 2) || count > LLONG_MAX / 2)) {
    ctx.reply.Error("ERR value is out of range");
    return;
  }
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (hash == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  bool nested = with_values && ctx.reply.resp3();
  auto emit = [&](std::string_view field, std::string_view value) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(field);
    if (with_values) ctx.reply.Bulk(value);
  };
  auto header = [&](size_t pairs) {
    ctx.reply.ArrayHeader(with_values && !nested ? pairs * 2 : pairs);
  };
  size_t size = hash->Length();
  if (count < 0) {
    size_t n = static_cast<size_t>(-count);
    header(n);
    hash->RandomPairs(n, ServerRandom(), emit);
    return;
  }
  size_t n = static_cast<size_t>(count);
  if (n >= size) {
    header(size);
    hash->ForEach(emit);
    return;
  }
  header(n);
  hash->RandomDistinctPairs(n, ServerRandom(), emit);
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
void CmdHScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    ctx.reply.Error(kInvalidCursor);
    return;
  }
  bool wrong_type;
  HashObject* hash = FindHash(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (hash == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, &options)) return;
  std::vector<std::string_view> out;  // field, value, field, value...
  size_t visited = 0;
  auto collect = [&](std::string_view field, std::string_view value) {
    visited += 2;
    if (options.use_pattern && !GlobMatch(options.pattern, field)) return;
    out.push_back(field);
    out.push_back(value);
  };
  if (hash->is_packed()) {
    // Small encodings come back whole in one call, whatever the cursor, as in Redis.
    hash->ForEach(collect);
    cursor = 0;
  } else {
    // Redis's budget: COUNT elements (a field and its value count as two), or ten times COUNT
    // buckets, whichever comes first.
    size_t budget = options.count * 10;
    do {
      cursor = hash->ScanStep(cursor, collect);
    } while (cursor != 0 && budget-- > 0 && visited < options.count);
  }
  char buf[kInt64BufferSize];
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, FormatUint64(cursor, buf)));
  ctx.reply.ArrayHeader(out.size());
  for (std::string_view s : out) ctx.reply.Bulk(s);
}

// Keeps the process-wide conversion limits equal to the configuration.
void WatchHashLimits(Server& server) {
  server.config().OnChange("hash-max-listpack-entries", [](const Config::Param& p) {
    int64_t v = 0;
    if (ParseInt64(p.value, &v) && v >= 0) {
      HashObject::SetPackedLimits(static_cast<uint64_t>(v), HashObject::MaxPackedValue());
    }
  });
  server.config().OnChange("hash-max-listpack-value", [](const Config::Param& p) {
    int64_t v = 0;
    if (ParseInt64(p.value, &v) && v >= 0) {
      HashObject::SetPackedLimits(HashObject::MaxPackedEntries(), static_cast<uint64_t>(v));
    }
  });
}

}  // namespace

void RegisterHashFamily(CommandTable& table) {
  RegisterSerializer(ObjType::kHash, DumpHash, LoadHash);
  table.AddStartupHook(WatchHashLimits);
  auto add = [&](std::string_view name, int arity, uint32_t flags, auto&&... rest) {
    table.AddSimple("hash", name, arity, flags, 1, 1, 1, rest...);
  };
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kRFast = kCmdReadOnly | kCmdFast;
  constexpr uint32_t kR = kCmdReadOnly;
  add("hset", -4, kW, "2.0.0", "Sets fields of a hash, creating the hash if needed.",
      "key field value [field value ...]", CmdHSet, "O(1) per field");
  add("hmset", -4, kW, "2.0.0", "Sets fields of a hash; the older form of HSET that replies OK.",
      "key field value [field value ...]", CmdHMSet, "O(1) per field");
  add("hsetnx", 4, kW, "2.0.0", "Sets a field of a hash only when the field does not exist yet.",
      "key field value", CmdHSetNx, "O(1)");
  add("hget", 3, kRFast, "2.0.0", "Returns the value of a field of a hash.", "key field", CmdHGet,
      "O(1)");
  add("hmget", -3, kRFast, "2.0.0", "Returns the values of several fields of a hash.",
      "key field [field ...]", CmdHMGet, "O(1) per field");
  add("hgetall", 2, kR, "2.0.0", "Returns every field and value of a hash.", "key", CmdHGetAll,
      "O(N) where N is the size of the hash");
  add("hkeys", 2, kR, "2.0.0", "Returns every field of a hash.", "key", CmdHKeys,
      "O(N) where N is the size of the hash");
  add("hvals", 2, kR, "2.0.0", "Returns every value of a hash.", "key", CmdHVals,
      "O(N) where N is the size of the hash");
  add("hdel", -3, kCmdWrite | kCmdFast, "2.0.0",
      "Removes fields from a hash, and the key once the hash is empty.", "key field [field ...]",
      CmdHDel, "O(1) per field");
  add("hexists", 3, kRFast, "2.0.0", "Tells whether a hash has a field.", "key field", CmdHExists,
      "O(1)");
  add("hlen", 2, kRFast, "2.0.0", "Returns the number of fields of a hash.", "key", CmdHLen,
      "O(1)");
  add("hstrlen", 3, kRFast, "3.2.0", "Returns the length in bytes of the value of a hash field.",
      "key field", CmdHStrLen, "O(1)");
  add("hincrby", 4, kW, "2.0.0",
      "Adds an integer to the value of a hash field, starting from 0 when it is missing.",
      "key field increment:integer", CmdHIncrBy, "O(1)");
  add("hincrbyfloat", 4, kW, "2.6.0",
      "Adds a floating-point number to the value of a hash field, starting from 0 when it is "
      "missing.",
      "key field increment:double", CmdHIncrByFloat, "O(1)");
  add("hrandfield", -2, kR, "6.2.0", "Returns random fields of a hash, optionally with values.",
      "key [count:integer [WITHVALUES]]", CmdHRandField,
      "O(N) where N is the number of fields returned");
  add("hscan", -3, kR, "2.8.0", "Iterates over the fields and values of a hash.",
      "key cursor:integer [MATCH pattern] [COUNT count:integer]", CmdHScan,
      "O(1) per call, O(N) for a complete iteration");
}

}  // namespace sluice
