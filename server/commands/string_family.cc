// String commands: values, counters, ranges. Queue libraries use them for locks, counters and
// job results.
#include <climits>
#include <string>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"

namespace sluice {
namespace {

std::string InvalidExpireError(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

// Converts an EX/PX/EXAT/PXAT amount to an absolute unix-ms deadline; false on overflow or a
// non-positive amount, as Redis refuses those.
bool ToDeadline(int64_t amount, bool seconds, bool absolute, int64_t now_ms, int64_t* out) {
  if (amount <= 0) return false;
  if (seconds) {
    if (amount > LLONG_MAX / 1000) return false;
    amount *= 1000;
  }
  if (!absolute) {
    if (amount > LLONG_MAX - now_ms) return false;
    amount += now_ms;
  }
  *out = amount;
  return true;
}

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

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//     PXAT unix-time-milliseconds | KEEPTTL]
void CmdSet(CommandContext& ctx) {
  enum { kAny, kNx, kXx } condition = kAny;
  bool get = false;
  bool keep_ttl = false;
  bool have_expire = false;
  int64_t deadline = 0;
  ArgParser parser(ctx.args, 3);
  while (parser.HasNext()) {
    std::string_view opt = parser.Next();
    bool seconds = EqualsIgnoreCase(opt, "EX") || EqualsIgnoreCase(opt, "EXAT");
    bool millis = EqualsIgnoreCase(opt, "PX") || EqualsIgnoreCase(opt, "PXAT");
    if (EqualsIgnoreCase(opt, "NX") && condition != kXx) {
      condition = kNx;
    } else if (EqualsIgnoreCase(opt, "XX") && condition != kNx) {
      condition = kXx;
    } else if (EqualsIgnoreCase(opt, "GET")) {
      get = true;
    } else if (EqualsIgnoreCase(opt, "KEEPTTL") && !have_expire) {
      keep_ttl = true;
    } else if ((seconds || millis) && !have_expire && !keep_ttl && parser.HasNext()) {
      int64_t amount = 0;
      if (!ParseInt64(parser.Next(), &amount)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      bool absolute = opt.size() == 4;
      if (!ToDeadline(amount, seconds, absolute, ctx.now_ms, &deadline)) {
        ctx.reply.Error(InvalidExpireError("set"));
        return;
      }
      have_expire = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  std::string_view key = ctx.arg(1);
  Object* existing = ctx.db.Find(key, ctx.now_ms);
  if (get) {
    if (existing != nullptr && !existing->is_string()) {
      ctx.reply.Error(errors::kWrongType);
      return;
    }
    if (existing == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(existing->str());
    }
  }
  if ((condition == kNx && existing != nullptr) || (condition == kXx && existing == nullptr)) {
    ctx.unchanged = true;
    if (!get) ctx.reply.Null();
    return;
  }
  if (existing != nullptr && existing->is_string()) {
    // Overwrite in place: keeps the allocation when the sizes fit (the GET/SET hot path).
    existing->str().assign(ctx.arg(2));
    if (!keep_ttl) ctx.db.SetExpire(*existing, key, 0);
  } else {
    int64_t kept = keep_ttl && existing != nullptr ? existing->expire_at() : 0;
    Object fresh{std::string(ctx.arg(2))};
    fresh.set_expire_at(kept);
    existing = &ctx.db.Put(key, std::move(fresh));
  }
  existing->Touch(ctx.now_ms);
  if (have_expire) {
    if (deadline <= ctx.now_ms) {
      ctx.db.Erase(key);  // a deadline in the past: the write happened and expired at once
    } else {
      ctx.db.SetExpire(*existing, key, deadline);
    }
  }
  if (!get) ctx.reply.Ok();
}

}  // namespace

void RegisterStringFamily(CommandTable& table) {
  table.Add({.name = "get",
             .arity = 2,
             .flags = kCmdReadOnly | kCmdFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .group = "string",
             .since = "1.0.0",
             .summary = "Returns the string value of a key.",
             .syntax = "key",
             .handler = CmdGet,
             .complexity = "O(1)"});
  table.Add({.name = "set",
             .arity = -3,
             .flags = kCmdWrite | kCmdDenyOom,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .group = "string",
             .since = "1.0.0",
             .summary = "Sets the string value of a key, optionally with a condition, an expiry or "
                        "returning the old value.",
             .syntax = "key value [NX | XX] [GET] [EX seconds:integer | PX milliseconds:integer | "
                       "EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | "
                       "KEEPTTL]",
             .handler = CmdSet,
             .complexity = "O(1)"});
}

}  // namespace sluice
