// String commands: values, counters, ranges. Queue libraries use them for locks, counters and
// job results.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"
#include "server/pubsub/notify.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

// A string buffer at least this large is given back when a much shorter value replaces it, so a
// key that once held a big payload does not pin that memory forever.
constexpr size_t kShrinkCapacity = 4096;

std::string InvalidExpireError(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

std::string WrongArgCountError(std::string_view command) {
  return "ERR wrong number of arguments for '" + std::string(command) + "' command";
}

int64_t MaxStringLength(const CommandContext& ctx) {
  return ctx.server.parser_limits().max_bulk_len;
}

// True when a string of `size` bytes grown by `extra` stays within proto-max-bulk-len.
bool FitsMaxLength(const CommandContext& ctx, int64_t size, int64_t extra) {
  int64_t limit = MaxStringLength(ctx);
  return size <= limit && extra <= limit - size;
}

// Lookup as a read command does it: counts a keyspace hit or miss and refreshes the access time
// whatever the type.
Object* FindForRead(CommandContext& ctx, std::string_view key) {
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr) {
    ctx.server.stats().keyspace_misses++;
    return nullptr;
  }
  ctx.server.stats().keyspace_hits++;
  obj->Touch(ctx.now_ms);
  return obj;
}

// Lookup for a command that is about to modify the key: no hit/miss accounting, and a key of
// another type replies WRONGTYPE and sets *wrong_type.
Object* FindStringForWrite(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  *wrong_type = false;
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr) return nullptr;
  if (!obj->is_string()) {
    *wrong_type = true;
    ctx.reply.Error(errors::kWrongType);
    return nullptr;
  }
  obj->Touch(ctx.now_ms);
  return obj;
}

// Replaces the value under key (of any type, or missing when existing is null) with a string.
// An existing string keeps its buffer, so overwriting a counter or a lock does not allocate.
Object& StoreString(CommandContext& ctx, std::string_view key, Object* existing,
                    std::string_view value, bool keep_ttl) {
  if (existing == nullptr) {
    Object& slot = ctx.db.Put(key, Object{std::string(value)});
    slot.Touch(ctx.now_ms);
    return slot;
  }
  std::string& current = existing->str();
  if (existing->is_string() && current.capacity() >= kShrinkCapacity &&
      value.size() < current.capacity() / 4) {
    std::string(value).swap(current);
    existing->ClearRaw();
  } else {
    existing->SetString(value);
  }
  if (!keep_ttl && existing->expire_at() != 0) ctx.db.SetExpire(*existing, key, 0);
  existing->Touch(ctx.now_ms);
  return *existing;
}

// ---------------------------------------------------------------------------------------------
// Expiry options shared by SET, SETEX, PSETEX and GETEX.

enum class ExpireUnit { kNone, kEx, kPx, kExAt, kPxAt };

struct StringOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  bool persist = false;
  ExpireUnit unit = ExpireUnit::kNone;
  std::string_view amount;
};

ExpireUnit UnitFromToken(std::string_view opt) {
  if (EqualsIgnoreCase(opt, "EX")) return ExpireUnit::kEx;
  if (EqualsIgnoreCase(opt, "PX")) return ExpireUnit::kPx;
  if (EqualsIgnoreCase(opt, "EXAT")) return ExpireUnit::kExAt;
  if (EqualsIgnoreCase(opt, "PXAT")) return ExpireUnit::kPxAt;
  return ExpireUnit::kNone;
}

// Reads SET's options (for_set) or GETEX's. Like Redis, an option may repeat but two that
// contradict each other (NX and XX, two different expiry forms, an expiry and KEEPTTL or
// PERSIST) are a syntax error; amounts are only validated once the whole line parsed.
bool ParseStringOptions(ArgList args, size_t start, bool for_set, StringOptions* out) {
  for (size_t i = start; i < args.size(); ++i) {
    std::string_view opt = args[i];
    bool has_next = i + 1 < args.size();
    ExpireUnit unit = UnitFromToken(opt);
    if (for_set && EqualsIgnoreCase(opt, "NX") && !out->xx) {
      out->nx = true;
    } else if (for_set && EqualsIgnoreCase(opt, "XX") && !out->nx) {
      out->xx = true;
    } else if (for_set && EqualsIgnoreCase(opt, "GET")) {
      out->get = true;
    } else if (for_set && EqualsIgnoreCase(opt, "KEEPTTL") && out->unit == ExpireUnit::kNone) {
      out->keep_ttl = true;
    } else if (!for_set && EqualsIgnoreCase(opt, "PERSIST") && out->unit == ExpireUnit::kNone) {
      out->persist = true;
    } else if (unit != ExpireUnit::kNone && !out->keep_ttl && !out->persist &&
               (out->unit == ExpireUnit::kNone || out->unit == unit) && has_next) {
      out->unit = unit;
      out->amount = args[++i];
    } else {
      return false;
    }
  }
  return true;
}

// Converts an expiry amount to an absolute unix-ms deadline, replying the error Redis gives for a
// malformed, non-positive or overflowing amount.
bool ResolveDeadline(CommandContext& ctx, ExpireUnit unit, std::string_view amount_text,
                     int64_t* deadline) {
  int64_t amount = 0;
  if (!ParseInt64(amount_text, &amount)) {
    ctx.reply.Error(errors::kNotInteger);
    return false;
  }
  bool seconds = unit == ExpireUnit::kEx || unit == ExpireUnit::kExAt;
  bool relative = unit == ExpireUnit::kEx || unit == ExpireUnit::kPx;
  bool valid = amount > 0 && !(seconds && amount > LLONG_MAX / 1000);
  if (valid && seconds) amount *= 1000;
  if (valid && relative) {
    valid = amount <= LLONG_MAX - ctx.now_ms;
    if (valid) amount += ctx.now_ms;
  }
  if (!valid) {
    ctx.reply.Error(InvalidExpireError(ctx.spec.name));
    return false;
  }
  *deadline = amount;
  return true;
}

// The body shared by SET, SETNX, SETEX and PSETEX once options are known. `deadline` is 0 for
// no expiry. Returns whether the value was stored.
bool SetGeneric(CommandContext& ctx, const StringOptions& opts, std::string_view key,
                std::string_view value, int64_t deadline) {
  Object* existing;
  if (opts.get) {
    existing = FindForRead(ctx, key);
    if (existing != nullptr && !existing->is_string()) {
      ctx.reply.Error(errors::kWrongType);
      return false;
    }
    if (existing == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(existing->str());
    }
  } else {
    existing = ctx.db.Find(key, ctx.now_ms);
  }
  if ((opts.nx && existing != nullptr) || (opts.xx && existing == nullptr)) {
    ctx.unchanged = true;
    return false;
  }
  Object& stored = StoreString(ctx, key, existing, value, opts.keep_ttl);
  NotifyKeyspaceEvent(ctx.server, kNotifyString, "set", key, ctx.db.index());
  // A deadline already past is stored as is: the key expires on its next access, as in Redis.
  if (deadline != 0) {
    ctx.db.SetExpire(stored, key, deadline);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "expire", key, ctx.db.index());
  }
  return true;
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//     PXAT unix-time-milliseconds | KEEPTTL]
void CmdSet(CommandContext& ctx) {
  StringOptions opts;
  if (!ParseStringOptions(ctx.args, 3, /*for_set=*/true, &opts)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  int64_t deadline = 0;
  if (opts.unit != ExpireUnit::kNone && !ResolveDeadline(ctx, opts.unit, opts.amount, &deadline)) {
    return;
  }
  bool stored = SetGeneric(ctx, opts, ctx.arg(1), ctx.arg(2), deadline);
  if (opts.get) return;  // the old value was the reply
  if (stored) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Null();
  }
}

// SETNX key value
void CmdSetNx(CommandContext& ctx) {
  StringOptions opts;
  opts.nx = true;
  ctx.reply.Integer(SetGeneric(ctx, opts, ctx.arg(1), ctx.arg(2), 0) ? 1 : 0);
}

// SETEX key seconds value / PSETEX key milliseconds value
void SetWithExpire(CommandContext& ctx, ExpireUnit unit) {
  int64_t deadline = 0;
  if (!ResolveDeadline(ctx, unit, ctx.arg(2), &deadline)) return;
  SetGeneric(ctx, StringOptions{}, ctx.arg(1), ctx.arg(3), deadline);
  ctx.reply.Ok();
}

// SETEX key seconds value
void CmdSetEx(CommandContext& ctx) { SetWithExpire(ctx, ExpireUnit::kEx); }

// PSETEX key milliseconds value
void CmdPSetEx(CommandContext& ctx) { SetWithExpire(ctx, ExpireUnit::kPx); }

// GET key
void CmdGet(CommandContext& ctx) {
  bool wrong_type;
  Object* obj = FindTyped(ctx, ctx.arg(1), ObjType::kString, &wrong_type);
  if (wrong_type) return;
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(obj->str());
}

// GETSET key value
void CmdGetSet(CommandContext& ctx) {
  StringOptions opts;
  opts.get = true;
  SetGeneric(ctx, opts, ctx.arg(1), ctx.arg(2), 0);
}

// GETDEL key
void CmdGetDel(CommandContext& ctx) {
  bool wrong_type;
  Object* obj = FindTyped(ctx, ctx.arg(1), ObjType::kString, &wrong_type);
  if (wrong_type) return;
  if (obj == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(obj->str());
  ctx.db.Erase(ctx.arg(1));
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", ctx.arg(1), ctx.db.index());
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//     PXAT unix-time-milliseconds | PERSIST]
void CmdGetEx(CommandContext& ctx) {
  StringOptions opts;
  if (!ParseStringOptions(ctx.args, 2, /*for_set=*/false, &opts)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  Object* obj = FindTyped(ctx, key, ObjType::kString, &wrong_type);
  if (wrong_type) return;
  if (obj == nullptr) {
    // A missing key answers nil before its expiry amount is even looked at, as in Redis.
    ctx.unchanged = true;
    ctx.reply.Null();
    return;
  }
  int64_t deadline = 0;
  if (opts.unit != ExpireUnit::kNone && !ResolveDeadline(ctx, opts.unit, opts.amount, &deadline)) {
    return;
  }
  ctx.reply.Bulk(obj->str());
  bool absolute = opts.unit == ExpireUnit::kExAt || opts.unit == ExpireUnit::kPxAt;
  if (absolute && deadline <= ctx.now_ms) {
    ctx.db.Erase(key);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
  } else if (deadline != 0) {
    ctx.db.SetExpire(*obj, key, deadline);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "expire", key, ctx.db.index());
  } else if (opts.persist && obj->expire_at() != 0) {
    ctx.db.SetExpire(*obj, key, 0);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "persist", key, ctx.db.index());
  } else {
    ctx.unchanged = true;
  }
}

// MGET key [key ...]
void CmdMGet(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    Object* obj = FindForRead(ctx, ctx.arg(i));
    if (obj != nullptr && obj->is_string()) {
      ctx.reply.Bulk(obj->str());
    } else {
      ctx.reply.Null();
    }
  }
}

// MSET key value [key value ...]
void CmdMSet(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ctx.reply.Error(WrongArgCountError(ctx.spec.name));
    return;
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    Object* existing = ctx.db.Find(ctx.arg(i), ctx.now_ms);
    StoreString(ctx, ctx.arg(i), existing, ctx.arg(i + 1), /*keep_ttl=*/false);
    NotifyKeyspaceEvent(ctx.server, kNotifyString, "set", ctx.arg(i), ctx.db.index());
  }
  ctx.reply.Ok();
}

// MSETNX key value [key value ...]
void CmdMSetNx(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ctx.reply.Error(WrongArgCountError(ctx.spec.name));
    return;
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    if (ctx.db.Find(ctx.arg(i), ctx.now_ms) != nullptr) {
      ctx.unchanged = true;
      ctx.reply.Integer(0);
      return;
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    // A key named twice is found by the second store; the last value wins, as in Redis.
    Object* existing = ctx.db.FindRaw(ctx.arg(i));
    StoreString(ctx, ctx.arg(i), existing, ctx.arg(i + 1), /*keep_ttl=*/false);
    NotifyKeyspaceEvent(ctx.server, kNotifyString, "set", ctx.arg(i), ctx.db.index());
  }
  ctx.reply.Integer(1);
}

// ---------------------------------------------------------------------------------------------
// Counters

void IncrBy(CommandContext& ctx, int64_t increment) {
  std::string_view key = ctx.arg(1);
  bool created = false;
  Object& obj = ctx.db.FindOrCreate(key, ctx.now_ms, &created);
  int64_t value = 0;
  if (!created) {
    if (!obj.is_string()) {
      ctx.reply.Error(errors::kWrongType);
      return;
    }
    if (!ParseInt64(obj.str(), &value)) {
      ctx.reply.Error(errors::kNotInteger);
      return;
    }
    if ((increment > 0 && value > LLONG_MAX - increment) ||
        (increment < 0 && value < LLONG_MIN - increment)) {
      ctx.reply.Error(errors::kOverflow);
      return;
    }
  }
  value += increment;
  char buf[kInt64BufferSize];
  size_t len = FormatInt64(value, buf);
  // In place: the buffer is reused and the expiry kept, as Redis keeps a counter's TTL.
  obj.str().assign(buf, len);
  obj.ClearRaw();
  obj.Touch(ctx.now_ms);
  NotifyKeyspaceEvent(ctx.server, kNotifyString, "incrby", key, ctx.db.index());
  ctx.reply.Integer(value);
}

// INCR key
void CmdIncr(CommandContext& ctx) { IncrBy(ctx, 1); }

// DECR key
void CmdDecr(CommandContext& ctx) { IncrBy(ctx, -1); }

// INCRBY key increment
void CmdIncrBy(CommandContext& ctx) {
  int64_t increment = 0;
  if (!ParseInt64(ctx.arg(2), &increment)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  IncrBy(ctx, increment);
}

// DECRBY key decrement
void CmdDecrBy(CommandContext& ctx) {
  int64_t decrement = 0;
  if (!ParseInt64(ctx.arg(2), &decrement)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  // Its negation does not fit in an int64.
  if (decrement == LLONG_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrBy(ctx, -decrement);
}

// INCRBYFLOAT key increment
void CmdIncrByFloat(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  Object* obj = FindStringForWrite(ctx, key, &wrong_type);
  if (wrong_type) return;
  long double value = 0;
  long double increment = 0;
  if ((obj != nullptr && !ParseLongDouble(obj->str(), &value)) ||
      !ParseLongDouble(ctx.arg(2), &increment)) {
    ctx.reply.Error(errors::kNotFloat);
    return;
  }
  value += increment;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = FormatLongDouble(value);
  if (obj != nullptr) {
    obj->str().assign(text);  // keeps the expiry
    obj->MarkNotInt();
  } else {
    Object& created = ctx.db.Put(key, Object{text});
    created.MarkNotInt();
    created.Touch(ctx.now_ms);
  }
  NotifyKeyspaceEvent(ctx.server, kNotifyString, "incrbyfloat", key, ctx.db.index());
  ctx.reply.Bulk(text);
}

// ---------------------------------------------------------------------------------------------
// Ranges

// APPEND key value
void CmdAppend(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  std::string_view value = ctx.arg(2);
  bool wrong_type;
  Object* obj = FindStringForWrite(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (obj == nullptr) {
    // Even an empty value creates the key.
    ctx.db.Put(key, Object{std::string(value)}).Touch(ctx.now_ms);
    NotifyKeyspaceEvent(ctx.server, kNotifyString, "append", key, ctx.db.index());
    ctx.reply.Integer(static_cast<int64_t>(value.size()));
    return;
  }
  std::string& current = obj->str();
  if (!FitsMaxLength(ctx, static_cast<int64_t>(current.size()),
                     static_cast<int64_t>(value.size()))) {
    ctx.reply.Error(errors::kStringTooLong);
    return;
  }
  current.append(value);
  obj->MarkRaw();
  NotifyKeyspaceEvent(ctx.server, kNotifyString, "append", key, ctx.db.index());
  ctx.reply.Integer(static_cast<int64_t>(current.size()));
}

// STRLEN key
void CmdStrLen(CommandContext& ctx) {
  bool wrong_type;
  Object* obj = FindTyped(ctx, ctx.arg(1), ObjType::kString, &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(obj == nullptr ? 0 : static_cast<int64_t>(obj->str().size()));
}

// GETRANGE key start end (SUBSTR is the old name)
void CmdGetRange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  bool wrong_type;
  Object* obj = FindTyped(ctx, ctx.arg(1), ObjType::kString, &wrong_type);
  if (wrong_type) return;
  if (obj == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  const std::string& s = obj->str();
  int64_t len = static_cast<int64_t>(s.size());
  // Both ends counted from the tail and crossed: empty, even though clamping would meet at 0.
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk("");
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) {
    ctx.reply.Bulk("");
    return;
  }
  ctx.reply.Bulk(
      std::string_view(s).substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// SETRANGE key offset value
void CmdSetRange(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  std::string_view value = ctx.arg(3);
  int64_t offset = 0;
  if (!ParseInt64(ctx.arg(2), &offset)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.reply.Error(errors::kOffsetOutOfRange);
    return;
  }
  bool wrong_type;
  Object* obj = FindStringForWrite(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (value.empty()) {
    // Writing nothing changes nothing, whatever the offset; a missing key stays missing.
    ctx.unchanged = true;
    ctx.reply.Integer(obj == nullptr ? 0 : static_cast<int64_t>(obj->str().size()));
    return;
  }
  if (!FitsMaxLength(ctx, offset, static_cast<int64_t>(value.size()))) {
    ctx.reply.Error(errors::kStringTooLong);
    return;
  }
  if (obj == nullptr) {
    obj = &ctx.db.Put(key, Object{std::string()});
    obj->Touch(ctx.now_ms);
  }
  obj->MarkRaw();
  std::string& s = obj->str();
  size_t needed = static_cast<size_t>(offset) + value.size();
  if (s.size() < needed) s.resize(needed, '\0');
  std::memcpy(s.data() + offset, value.data(), value.size());
  NotifyKeyspaceEvent(ctx.server, kNotifyString, "setrange", key, ctx.db.index());
  ctx.reply.Integer(static_cast<int64_t>(s.size()));
}

// ---------------------------------------------------------------------------------------------
// LCS

struct LcsMatch {
  uint32_t a_start, a_end, b_start, b_end;
};

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
void CmdLcs(CommandContext& ctx) {
  Object* obj_a = FindForRead(ctx, ctx.arg(1));
  Object* obj_b = FindForRead(ctx, ctx.arg(2));
  if ((obj_a != nullptr && !obj_a->is_string()) || (obj_b != nullptr && !obj_b->is_string())) {
    ctx.reply.Error("ERR The specified keys must contain string values");
    return;
  }
  bool want_len = false;
  bool want_idx = false;
  bool with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "IDX")) {
      want_idx = true;
    } else if (EqualsIgnoreCase(opt, "LEN")) {
      want_len = true;
    } else if (EqualsIgnoreCase(opt, "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "MINMATCHLEN") && i + 1 < ctx.argc()) {
      if (!ParseInt64(ctx.arg(++i), &min_match_len)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  if (want_idx && want_len) {
    ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  std::string_view a = obj_a != nullptr ? std::string_view(obj_a->str()) : std::string_view();
  std::string_view b = obj_b != nullptr ? std::string_view(obj_b->str()) : std::string_view();
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.reply.Error("ERR String too long for LCS");
    return;
  }
  const size_t rows = a.size() + 1;
  const size_t cols = b.size() + 1;
  // The table is transient but can be huge; the same ceiling as for a single value applies.
  const uint64_t cells = static_cast<uint64_t>(rows) * cols;
  if (cells > static_cast<uint64_t>(MaxStringLength(ctx)) / sizeof(uint32_t)) {
    ctx.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (!table) {
    ctx.reply.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  // table[i * cols + j]: LCS length of the first i bytes of a and the first j bytes of b.
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[i * cols + j]; };
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (i == 0 || j == 0) {
        at(i, j) = 0;
      } else if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  const uint32_t total = at(rows - 1, cols - 1);
  if (want_len) {
    ctx.reply.Integer(total);
    return;
  }

  // Walk back from the end. Runs of consecutive diagonal steps are the matched ranges, reported
  // from the end of the strings towards their start.
  std::string common(total, '\0');
  std::vector<LcsMatch> matches;
  size_t pos = total;
  size_t i = a.size();
  size_t j = b.size();
  bool in_run = false;
  LcsMatch run{};
  auto close_run = [&]() {
    uint32_t run_len = run.a_end - run.a_start + 1;
    if (want_idx && (min_match_len == 0 || run_len >= min_match_len)) matches.push_back(run);
    in_run = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      common[--pos] = a[i - 1];
      --i;
      --j;
      if (!in_run) {
        in_run = true;
        run.a_end = static_cast<uint32_t>(i);
        run.b_end = static_cast<uint32_t>(j);
      }
      run.a_start = static_cast<uint32_t>(i);
      run.b_start = static_cast<uint32_t>(j);
      if (i == 0 || j == 0) close_run();
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_run) close_run();
    }
  }
  if (!want_idx) {
    ctx.reply.Bulk(common);
    return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(matches.size());
  for (const LcsMatch& m : matches) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(m.a_start);
    ctx.reply.Integer(m.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(m.b_start);
    ctx.reply.Integer(m.b_end);
    if (with_match_len) ctx.reply.Integer(m.a_end - m.a_start + 1);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(total);
}

constexpr std::string_view kGetRangeComplexity =
    "O(N) where N is the length of the returned substring.";

}  // namespace

void RegisterStringFamily(CommandTable& table) {
  auto add = [&](auto&&... args) { table.AddSimple("string", args...); };
  add("get", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "1.0.0", "Returns the string value of a key.",
      "key", CmdGet, "O(1)");
  add("set", -3, kCmdWrite | kCmdDenyOom, 1, 1, 1, "1.0.0",
      "Sets the string value of a key, optionally with a condition, an expiry or returning the old "
      "value.",
      "key value [NX | XX] [GET] [EX seconds:integer | PX milliseconds:integer | EXAT "
      "unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | KEEPTTL]",
      CmdSet, "O(1)");
  add("setnx", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "1.0.0",
      "Sets a key's string value only when the key does not exist yet.", "key value", CmdSetNx,
      "O(1)");
  add("setex", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, "2.0.0",
      "Sets a key's string value with a time to live in seconds.", "key seconds:integer value",
      CmdSetEx, "O(1)");
  add("psetex", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, "2.6.0",
      "Sets a key's string value with a time to live in milliseconds.",
      "key milliseconds:integer value", CmdPSetEx, "O(1)");
  add("getset", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "1.0.0",
      "Stores a new string value and returns the one it replaced.", "key value", CmdGetSet, "O(1)");
  add("getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, "6.2.0",
      "Returns a key's string value and deletes the key.", "key", CmdGetDel, "O(1)");
  add("getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, "6.2.0",
      "Returns a key's string value and optionally changes or removes its expiry.",
      "key [EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT "
      "unix-time-milliseconds:unix-time | PERSIST]",
      CmdGetEx, "O(1)");
  add("mget", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, "1.0.0",
      "Returns the string values of several keys, nil for each missing one.", "key...", CmdMGet,
      "O(N) where N is the number of keys.");
  add("mset", -3, kCmdWrite | kCmdDenyOom, 1, -1, 2, "1.0.1",
      "Sets the string values of several keys at once.", "<key value>...", CmdMSet,
      "O(N) where N is the number of keys.");
  add("msetnx", -3, kCmdWrite | kCmdDenyOom, 1, -1, 2, "1.0.1",
      "Sets several keys' string values only if none of the keys exists yet.", "<key value>...",
      CmdMSetNx, "O(N) where N is the number of keys.");
  add("incr", 2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "1.0.0",
      "Adds one to a key's integer value, starting from 0 when it is missing.", "key", CmdIncr,
      "O(1)");
  add("decr", 2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "1.0.0",
      "Subtracts one from a key's integer value, starting from 0 when it is missing.", "key",
      CmdDecr, "O(1)");
  add("incrby", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "1.0.0",
      "Adds an integer to a key's integer value, starting from 0 when it is missing.",
      "key increment:integer", CmdIncrBy, "O(1)");
  add("decrby", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "1.0.0",
      "Subtracts an integer from a key's integer value, starting from 0 when it is missing.",
      "key decrement:integer", CmdDecrBy, "O(1)");
  add("incrbyfloat", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "2.6.0",
      "Adds a floating-point number to a key's numeric value, starting from 0 when it is missing.",
      "key increment:double", CmdIncrByFloat, "O(1)");
  add("append", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "2.0.0",
      "Appends bytes to a key's string value, creating the key when missing.", "key value",
      CmdAppend, "O(1) amortized, the existing value grows geometrically.");
  add("strlen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "2.2.0",
      "Returns the length in bytes of a key's string value.", "key", CmdStrLen, "O(1)");
  add("getrange", 4, kCmdReadOnly, 1, 1, 1, "2.4.0",
      "Returns the bytes of a key's string value between two offsets.",
      "key start:integer end:integer", CmdGetRange, kGetRangeComplexity);
  add("substr", 4, kCmdReadOnly, 1, 1, 1, "1.0.0",
      "Returns the bytes of a key's string value between two offsets (the old name of GETRANGE).",
      "key start:integer end:integer", CmdGetRange, kGetRangeComplexity);
  add("setrange", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, "2.2.0",
      "Overwrites part of a key's string value from an offset, padding with zero bytes when the "
      "value is shorter.",
      "key offset:integer value", CmdSetRange, "O(M) where M is the length of the written value.");
  add("lcs", -3, kCmdReadOnly, 1, 2, 1, "7.0.0",
      "Finds the longest common subsequence of two keys' string values.",
      "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]", CmdLcs,
      "O(N*M) where N and M are the lengths of the two strings.");
}

}  // namespace sluice
