#include "server/commands/family_util.h"

#include <cctype>
#include <cmath>

#include "server/commands/arg_parser.h"
#include "server/core/server.h"
#include "server/protocol/errors.h"
#include "server/util/numbers.h"

namespace sluice {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Object* FindTyped(CommandContext& ctx, std::string_view key, ObjType type, bool* wrong_type) {
  *wrong_type = false;
  Object* obj = ctx.db.Find(key, ctx.now_ms);
  if (obj == nullptr) {
    ctx.server.stats().keyspace_misses++;
    return nullptr;
  }
  if (obj->type() != type) {
    *wrong_type = true;
    ctx.reply.Error(errors::kWrongType);
    return nullptr;
  }
  ctx.server.stats().keyspace_hits++;
  obj->Touch(ctx.now_ms);
  return obj;
}

bool ParseBlockingTimeout(CommandContext& ctx, std::string_view text, int64_t* deadline_ms) {
  long double seconds = 0;
  if (!ParseLongDouble(text, &seconds) || std::isinf(seconds) || std::isnan(seconds)) {
    ctx.reply.Error(errors::kTimeoutNotFloat);
    return false;
  }
  if (seconds < 0) {
    ctx.reply.Error(errors::kTimeoutNegative);
    return false;
  }
  long double ms = seconds * 1000.0L;
  if (ms > 9.2e15L) {
    ctx.reply.Error(errors::kTimeoutNotFloat);
    return false;
  }
  *deadline_ms = ms == 0 ? 0 : ctx.now_ms + static_cast<int64_t>(std::ceil(ms));
  return true;
}

std::string_view UpperName(std::string_view lower, char* buf, size_t cap) {
  size_t n = lower.size() < cap ? lower.size() : cap;
  for (size_t i = 0; i < n; ++i)
    buf[i] = static_cast<char>(toupper(static_cast<unsigned char>(lower[i])));
  return {buf, n};
}

}  // namespace sluice
