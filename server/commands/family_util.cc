#include "server/commands/family_util.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/blocking/blocking.h"
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

bool NarrowToWakingKey(CommandContext& ctx, ObjType type, std::span<const std::string_view>* keys,
                       std::string_view* waking_view, int64_t deadline) {
  const std::string* waking = ctx.server.blocking().WakingKey(&ctx.session);
  if (waking == nullptr) return true;
  Object* obj = ctx.db.Find(*waking, ctx.now_ms);
  if (obj != nullptr && obj->type() != type) {
    ctx.unchanged = true;
    ctx.server.blocking().Block(ctx, *keys, deadline);
    return false;
  }
  *waking_view = *waking;
  *keys = std::span<const std::string_view>(waking_view, 1);
  return true;
}

bool ParseBlockingTimeout(CommandContext& ctx, std::string_view text, int64_t* deadline_ms) {
  long double seconds = 0;
  // A whole number of seconds (the usual form) skips the long double parse; it would give the
  // same exact value below 10^15.
  int64_t whole;
  if (ParseInt64(text, &whole) && whole >= 0 && whole < 1000000000000000) {
    seconds = static_cast<long double>(whole);
  } else if (!ParseLongDouble(text, &seconds)) {
    ctx.reply.Error(errors::kTimeoutNotFloat);
    return false;
  }
  // Redis 7.0 rounds the milliseconds up before judging the sign, so -0.0009 means "forever",
  // and its conversion to a 64-bit integer turns anything out of range (inf included) into the
  // most negative value: those are "negative" too.
  long double ms = std::ceil(seconds * 1000.0L);
  if (!(ms >= 0) || ms >= 0x1p63L) {
    ctx.reply.Error(errors::kTimeoutNegative);
    return false;
  }
  int64_t timeout = static_cast<int64_t>(ms);
  if (timeout == 0) {
    *deadline_ms = 0;
  } else {
    // A deadline past the clock's range is as good as none; Redis waits forever there too.
    *deadline_ms = timeout > INT64_MAX - ctx.now_ms ? INT64_MAX : ctx.now_ms + timeout;
  }
  return true;
}

std::string_view UpperName(std::string_view lower, char* buf, size_t cap) {
  size_t n = lower.size() < cap ? lower.size() : cap;
  for (size_t i = 0; i < n; ++i)
    buf[i] = static_cast<char>(toupper(static_cast<unsigned char>(lower[i])));
  return {buf, n};
}

bool ParseScanCursor(std::string_view text, uint64_t* out) {
  if (!text.empty() && isspace(static_cast<unsigned char>(text[0]))) return false;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  unsigned long long value = strtoull(copy.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = value;
  return true;
}

bool ParseScanOptions(CommandContext& ctx, size_t start, ScanOptions* out) {
  for (size_t i = start; i < ctx.argc(); i += 2) {
    if (i + 1 >= ctx.argc()) {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "COUNT")) {
      int64_t count;
      if (!ParseInt64(ctx.arg(i + 1), &count)) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      if (count < 1) {
        ctx.reply.Error(errors::kSyntax);
        return false;
      }
      out->count = static_cast<size_t>(count);
    } else if (EqualsIgnoreCase(opt, "MATCH")) {
      out->pattern = ctx.arg(i + 1);
      out->use_pattern = out->pattern != "*";
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

}  // namespace sluice
