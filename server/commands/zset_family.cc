// Sorted set commands, including the blocking pops. Leaderboards (ZADD/ZINCRBY, ZRANGE REV,
// ZRANK), time-ordered indexes (ZRANGE BYSCORE with LIMIT, ZREMRANGEBYSCORE for trimming),
// priority queues (ZPOPMIN, BZPOPMIN) and set algebra over weighted members (ZUNIONSTORE).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/config.h"
#include "server/core/server.h"
#include "server/persistence/rewrite.h"
#include "server/protocol/errors.h"
#include "server/pubsub/notify.h"
#include "server/types/serialize.h"
#include "server/types/set.h"
#include "server/types/zset.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"
#include "server/util/random.h"

namespace sluice {
namespace {

constexpr std::string_view kMinMaxNotFloat = "ERR min or max is not a float";
constexpr std::string_view kMinMaxNotString = "ERR min or max not valid string range item";
constexpr std::string_view kNanScore = "ERR resulting score is not a number (NaN)";
constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
constexpr std::string_view kInvalidCursor = "ERR invalid cursor";

using Entries = std::vector<std::pair<std::string_view, double>>;

ZSetObject* FindZSet(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  Object* obj = FindTyped(ctx, key, ObjType::kZSet, wrong_type);
  return obj == nullptr ? nullptr : obj->As<ZSetObject>();
}

void Notify(CommandContext& ctx, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(ctx.server, kNotifyZSet, event, key, ctx.db.index());
}

// Removes the key once its sorted set is empty, as Redis never keeps empty collections.
void DropIfEmpty(CommandContext& ctx, std::string_view key, const ZSetObject* zset) {
  if (zset->size() != 0) return;
  ctx.db.Erase(key);
  NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", key, ctx.db.index());
}

// Member lists with optional scores: flat (member, score, member, score...) in RESP2, an array of
// [member, score] pairs in RESP3. Scores are doubles in RESP3 and "%.17g" bulk strings in RESP2.
void EntriesHeader(ReplyBuilder& reply, size_t n, bool withscores) {
  reply.ArrayHeader(withscores && !reply.resp3() ? n * 2 : n);
}

void ReplyEntry(ReplyBuilder& reply, std::string_view member, double score, bool withscores) {
  if (!withscores) {
    reply.Bulk(member);
    return;
  }
  if (reply.resp3()) reply.ArrayHeader(2);
  reply.Bulk(member);
  reply.Double(score);
}

// Stores a computed result under destination, replacing whatever was there; an empty result
// deletes destination instead. Replies the stored size. `entries` may point into a source that is
// also the destination: the new set is built before the old value goes.
void StoreEntries(CommandContext& ctx, std::string_view destination, std::string_view event,
                  const Entries& entries) {
  ctx.modified_only = destination;
  if (entries.empty()) {
    if (ctx.db.Erase(destination)) {
      NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", destination, ctx.db.index());
    } else {
      ctx.unchanged = true;
    }
    ctx.reply.Integer(0);
    return;
  }
  std::unique_ptr<ZSetObject> result = ZSetObject::FromSorted(entries);
  ctx.db.Put(destination, Object(std::move(result))).Touch(ctx.now_ms);
  Notify(ctx, event, destination);
  ctx.reply.Integer(static_cast<int64_t>(entries.size()));
}

// --- ZADD / ZINCRBY ---------------------------------------------------------------------------

struct AddFlags {
  bool nx = false;
  bool xx = false;
  bool gt = false;
  bool lt = false;
  bool ch = false;
  bool incr = false;
};

enum class AddOutcome { kAdded, kUpdated, kUnchanged, kSkipped, kNan };

// Adds or updates one member under the ZADD flags; *result gets the member's new score unless
// the member was skipped.
AddOutcome AddMember(ZSetObject* zset, std::string_view member, double score, const AddFlags& flags,
                     double* result) {
  double current;
  if (zset->Score(member, &current)) {
    if (flags.nx) return AddOutcome::kSkipped;
    if (flags.incr) {
      score += current;
      if (std::isnan(score)) return AddOutcome::kNan;
    }
    // GT and LT compare the final score, so with INCR they look at the sum.
    if ((flags.gt && score <= current) || (flags.lt && score >= current)) {
      return AddOutcome::kSkipped;
    }
    *result = score;
    if (score == current) return AddOutcome::kUnchanged;
    zset->Update(member, score);
    return AddOutcome::kUpdated;
  }
  if (flags.xx) return AddOutcome::kSkipped;
  zset->Insert(member, score);
  *result = score;
  return AddOutcome::kAdded;
}

// The sorted set under key, created empty if missing; nullptr after replying WRONGTYPE.
ZSetObject* FindOrCreateZSet(CommandContext& ctx, std::string_view key) {
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, key, &wrong_type);
  if (wrong_type) return nullptr;
  if (zset == nullptr) {
    zset = ctx.db.Put(key, Object(std::make_unique<ZSetObject>())).As<ZSetObject>();
  }
  return zset;
}

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
void CmdZAdd(CommandContext& ctx) {
  AddFlags flags;
  size_t first = 2;
  for (; first < ctx.argc(); ++first) {
    std::string_view opt = ctx.arg(first);
    if (EqualsIgnoreCase(opt, "NX")) {
      flags.nx = true;
    } else if (EqualsIgnoreCase(opt, "XX")) {
      flags.xx = true;
    } else if (EqualsIgnoreCase(opt, "GT")) {
      flags.gt = true;
    } else if (EqualsIgnoreCase(opt, "LT")) {
      flags.lt = true;
    } else if (EqualsIgnoreCase(opt, "CH")) {
      flags.ch = true;
    } else if (EqualsIgnoreCase(opt, "INCR")) {
      flags.incr = true;
    } else {
      break;
    }
  }
  size_t rest = ctx.argc() - first;
  if (rest == 0 || rest % 2 != 0) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (flags.nx && flags.xx) {
    ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  size_t pairs = rest / 2;
  if (flags.incr && pairs > 1) {
    ctx.reply.Error("ERR INCR option supports a single increment-element pair");
    return;
  }
  std::vector<double> scores(pairs);
  for (size_t i = 0; i < pairs; ++i) {
    if (!ParseDouble(ctx.arg(first + 2 * i), &scores[i])) {
      ctx.reply.Error(errors::kNotFloat);
      return;
    }
  }
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (zset == nullptr) {
    if (flags.xx) {
      ctx.unchanged = true;
      if (flags.incr) {
        ctx.reply.Null();
      } else {
        ctx.reply.Integer(0);
      }
      return;
    }
    zset = ctx.db.Put(key, Object(std::make_unique<ZSetObject>())).As<ZSetObject>();
  }
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  for (size_t i = 0; i < pairs; ++i) {
    switch (AddMember(zset, ctx.arg(first + 2 * i + 1), scores[i], flags, &score)) {
      case AddOutcome::kAdded:
        ++added;
        ++processed;
        break;
      case AddOutcome::kUpdated:
        ++updated;
        ++processed;
        break;
      case AddOutcome::kUnchanged:
        ++processed;
        break;
      case AddOutcome::kSkipped:
        break;
      case AddOutcome::kNan:
        // Only INCR gets here, with its single pair: nothing was changed.
        ctx.reply.Error(kNanScore);
        return;
    }
  }
  if (added + updated == 0) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, flags.incr ? "zincr" : "zadd", key);
  }
  if (flags.incr) {
    if (processed > 0) {
      ctx.reply.Double(score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(flags.ch ? added + updated : added);
  }
}

// ZINCRBY key increment member
void CmdZIncrBy(CommandContext& ctx) {
  double increment;
  if (!ParseDouble(ctx.arg(2), &increment)) {
    ctx.reply.Error(errors::kNotFloat);
    return;
  }
  ZSetObject* zset = FindOrCreateZSet(ctx, ctx.arg(1));
  if (zset == nullptr) return;
  AddFlags flags;
  flags.incr = true;
  double score = 0;
  AddOutcome outcome = AddMember(zset, ctx.arg(3), increment, flags, &score);
  if (outcome == AddOutcome::kNan) {
    ctx.reply.Error(kNanScore);
    return;
  }
  // An increment that leaves the score as it was is no change for WATCH and events, as in Redis.
  if (outcome == AddOutcome::kUnchanged) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, "zincr", ctx.arg(1));
  }
  ctx.reply.Double(score);
}

// --- Single-member reads and removal ----------------------------------------------------------

// ZREM key member [member ...]
void CmdZRem(CommandContext& ctx) {
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, key, &wrong_type);
  if (wrong_type) return;
  int64_t removed = 0;
  if (zset != nullptr) {
    for (size_t i = 2; i < ctx.argc() && zset->size() > 0; ++i) {
      if (zset->Erase(ctx.arg(i))) ++removed;
    }
  }
  if (removed == 0) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, "zrem", key);
    DropIfEmpty(ctx, key, zset);
  }
  ctx.reply.Integer(removed);
}

// ZCARD key
void CmdZCard(CommandContext& ctx) {
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(zset == nullptr ? 0 : static_cast<int64_t>(zset->size()));
}

// ZSCORE key member
void CmdZScore(CommandContext& ctx) {
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  double score;
  if (zset == nullptr || !zset->Score(ctx.arg(2), &score)) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Double(score);
}

// ZMSCORE key member [member ...]
void CmdZMScore(CommandContext& ctx) {
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    double score;
    if (zset != nullptr && zset->Score(ctx.arg(i), &score)) {
      ctx.reply.Double(score);
    } else {
      ctx.reply.Null();
    }
  }
}

// ZRANK / ZREVRANK key member
void RankGeneric(CommandContext& ctx, bool reverse) {
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  size_t rank;
  double score;
  if (zset == nullptr || !zset->Rank(ctx.arg(2), &rank, &score)) {
    ctx.reply.Null();
    return;
  }
  if (reverse) rank = zset->size() - 1 - rank;
  ctx.reply.Integer(static_cast<int64_t>(rank));
}

// ZRANK key member
void CmdZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
// ZREVRANK key member
void CmdZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ZCOUNT key min max
void CmdZCount(CommandContext& ctx) {
  ScoreRange range;
  if (!ParseScoreRange(ctx.arg(2), ctx.arg(3), &range)) {
    ctx.reply.Error(kMinMaxNotFloat);
    return;
  }
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  size_t first = 0, end = 0;
  if (zset != nullptr) zset->ScoreRangeRanks(range, &first, &end);
  ctx.reply.Integer(static_cast<int64_t>(end - first));
}

// ZLEXCOUNT key min max
void CmdZLexCount(CommandContext& ctx) {
  LexRange range;
  if (!ParseLexRange(ctx.arg(2), ctx.arg(3), &range)) {
    ctx.reply.Error(kMinMaxNotString);
    return;
  }
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  size_t first = 0, end = 0;
  if (zset != nullptr) zset->LexRangeRanks(range, ZSetObject::LexWalk::kCount, &first, &end);
  ctx.reply.Integer(static_cast<int64_t>(end - first));
}

// --- Ranges -----------------------------------------------------------------------------------

enum class RangeBy { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

struct RangeQuery {
  RangeBy by = RangeBy::kRank;
  bool reverse = false;
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;  // negative: no limit
  int64_t start = 0;
  int64_t stop = 0;
  ScoreRange score;
  LexRange lex;
};

// Parses "min max [options]" starting at args[first]. `by` and `direction` are fixed by the
// command (ZRANGEBYSCORE, ZREVRANGE) or kAuto for ZRANGE and ZRANGESTORE, which take BYSCORE,
// BYLEX and REV as options. Replies the error and returns false when the arguments are malformed.
bool ParseRangeQuery(CommandContext& ctx, size_t first, RangeBy by, Direction direction, bool store,
                     RangeQuery* q) {
  for (size_t i = first + 2; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    size_t left = ctx.argc() - i - 1;
    if (!store && EqualsIgnoreCase(opt, "WITHSCORES")) {
      q->withscores = true;
    } else if (EqualsIgnoreCase(opt, "LIMIT") && left >= 2) {
      if (!ParseInt64(ctx.arg(i + 1), &q->offset) || !ParseInt64(ctx.arg(i + 2), &q->limit)) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      i += 2;
    } else if (direction == Direction::kAuto && EqualsIgnoreCase(opt, "REV")) {
      direction = Direction::kReverse;
    } else if (by == RangeBy::kAuto && EqualsIgnoreCase(opt, "BYLEX")) {
      by = RangeBy::kLex;
    } else if (by == RangeBy::kAuto && EqualsIgnoreCase(opt, "BYSCORE")) {
      by = RangeBy::kScore;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (by == RangeBy::kAuto) by = RangeBy::kRank;
  q->by = by;
  q->reverse = direction == Direction::kReverse;
  // A LIMIT count of -1 is the default, so Redis lets it through for rank ranges.
  if (q->limit != -1 && by == RangeBy::kRank) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (q->withscores && by == RangeBy::kLex) {
    ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  std::string_view min = ctx.arg(first);
  std::string_view max = ctx.arg(first + 1);
  // Reversed score and member ranges are written max first.
  if (q->reverse && by != RangeBy::kRank) std::swap(min, max);
  switch (by) {
    case RangeBy::kAuto:
    case RangeBy::kRank:
      if (!ParseInt64(min, &q->start) || !ParseInt64(max, &q->stop)) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      break;
    case RangeBy::kScore:
      if (!ParseScoreRange(min, max, &q->score)) {
        ctx.reply.Error(kMinMaxNotFloat);
        return false;
      }
      break;
    case RangeBy::kLex:
      if (!ParseLexRange(min, max, &q->lex)) {
        ctx.reply.Error(kMinMaxNotString);
        return false;
      }
      break;
  }
  return true;
}

// Clamps a rank range Redis style (negative indexes count from the end) to [first, end); the
// indexes count from the top when `reverse`.
void ClampRanks(int64_t start, int64_t stop, size_t size, bool reverse, size_t* first,
                size_t* end) {
  auto len = static_cast<int64_t>(size);
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) {
    *first = *end = 0;
    return;
  }
  if (stop >= len) stop = len - 1;
  if (reverse) {
    *first = static_cast<size_t>(len - 1 - stop);
    *end = static_cast<size_t>(len - start);
  } else {
    *first = static_cast<size_t>(start);
    *end = static_cast<size_t>(stop + 1);
  }
}

// The ascending ranks [first, end) a query selects. With LIMIT the offset is taken from the end
// the query walks from.
void SelectRanks(const ZSetObject& zset, const RangeQuery& q, size_t* first, size_t* end) {
  if (q.by == RangeBy::kRank || q.by == RangeBy::kAuto) {
    ClampRanks(q.start, q.stop, zset.size(), q.reverse, first, end);
    return;
  }
  size_t lo, hi;
  if (q.by == RangeBy::kScore) {
    zset.ScoreRangeRanks(q.score, &lo, &hi);
  } else {
    zset.LexRangeRanks(q.lex,
                       q.reverse ? ZSetObject::LexWalk::kBackward : ZSetObject::LexWalk::kForward,
                       &lo, &hi);
  }
  if (q.offset < 0) {
    *first = *end = 0;
    return;
  }
  size_t available = hi - lo;
  size_t skip = std::min(static_cast<uint64_t>(q.offset), static_cast<uint64_t>(available));
  size_t take = available - skip;
  if (q.limit >= 0) take = std::min(static_cast<uint64_t>(take), static_cast<uint64_t>(q.limit));
  if (q.reverse) {
    *end = hi - skip;
    *first = *end - take;
  } else {
    *first = lo + skip;
    *end = *first + take;
  }
}

// ZRANGE and its older forms, which fix the range type or direction that ZRANGE takes as options.
void RangeGeneric(CommandContext& ctx, RangeBy by, Direction direction) {
  RangeQuery q;
  if (!ParseRangeQuery(ctx, 2, by, direction, false, &q)) return;
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (zset == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  size_t first, end;
  SelectRanks(*zset, q, &first, &end);
  EntriesHeader(ctx.reply, end - first, q.withscores);
  zset->ForRange(first, end, q.reverse, [&](std::string_view member, double score) {
    ReplyEntry(ctx.reply, member, score, q.withscores);
  });
}

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
void CmdZRange(CommandContext& ctx) { RangeGeneric(ctx, RangeBy::kAuto, Direction::kAuto); }
// ZREVRANGE key start stop [WITHSCORES]
void CmdZRevRange(CommandContext& ctx) { RangeGeneric(ctx, RangeBy::kRank, Direction::kReverse); }
// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
void CmdZRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, RangeBy::kScore, Direction::kForward);
}
// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
void CmdZRevRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, RangeBy::kScore, Direction::kReverse);
}
// ZRANGEBYLEX key min max [LIMIT offset count]
void CmdZRangeByLex(CommandContext& ctx) { RangeGeneric(ctx, RangeBy::kLex, Direction::kForward); }
// ZREVRANGEBYLEX key max min [LIMIT offset count]
void CmdZRevRangeByLex(CommandContext& ctx) {
  RangeGeneric(ctx, RangeBy::kLex, Direction::kReverse);
}

// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
void CmdZRangeStore(CommandContext& ctx) {
  RangeQuery q;
  if (!ParseRangeQuery(ctx, 3, RangeBy::kAuto, Direction::kAuto, true, &q)) return;
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(2), &wrong_type);
  if (wrong_type) return;
  Entries entries;
  if (zset != nullptr) {
    size_t first, end;
    SelectRanks(*zset, q, &first, &end);
    entries.reserve(end - first);
    zset->ForRange(first, end, false, [&](std::string_view member, double score) {
      entries.emplace_back(member, score);
    });
  }
  StoreEntries(ctx, ctx.arg(1), "zrangestore", entries);
}

// --- Range removal ----------------------------------------------------------------------------

enum class RemoveBy { kRank, kScore, kLex };

// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max
void RemoveRangeGeneric(CommandContext& ctx, RemoveBy by) {
  int64_t start = 0, stop = 0;
  ScoreRange score;
  LexRange lex;
  switch (by) {
    case RemoveBy::kRank:
      if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &stop)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      break;
    case RemoveBy::kScore:
      if (!ParseScoreRange(ctx.arg(2), ctx.arg(3), &score)) {
        ctx.reply.Error(kMinMaxNotFloat);
        return;
      }
      break;
    case RemoveBy::kLex:
      if (!ParseLexRange(ctx.arg(2), ctx.arg(3), &lex)) {
        ctx.reply.Error(kMinMaxNotString);
        return;
      }
      break;
  }
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, key, &wrong_type);
  if (wrong_type) return;
  size_t first = 0, end = 0;
  if (zset != nullptr) {
    switch (by) {
      case RemoveBy::kRank:
        ClampRanks(start, stop, zset->size(), false, &first, &end);
        break;
      case RemoveBy::kScore:
        zset->ScoreRangeRanks(score, &first, &end);
        break;
      case RemoveBy::kLex:
        zset->LexRangeRanks(lex, ZSetObject::LexWalk::kForward, &first, &end);
        break;
    }
  }
  if (first == end) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  zset->EraseRange(first, end);
  static constexpr std::string_view kEvents[] = {"zremrangebyrank", "zremrangebyscore",
                                                 "zremrangebylex"};
  Notify(ctx, kEvents[static_cast<int>(by)], key);
  DropIfEmpty(ctx, key, zset);
  ctx.reply.Integer(static_cast<int64_t>(end - first));
}

// ZREMRANGEBYRANK key start stop
void CmdZRemRangeByRank(CommandContext& ctx) { RemoveRangeGeneric(ctx, RemoveBy::kRank); }
// ZREMRANGEBYSCORE key min max
void CmdZRemRangeByScore(CommandContext& ctx) { RemoveRangeGeneric(ctx, RemoveBy::kScore); }
// ZREMRANGEBYLEX key min max
void CmdZRemRangeByLex(CommandContext& ctx) { RemoveRangeGeneric(ctx, RemoveBy::kLex); }

// --- Pops -------------------------------------------------------------------------------------

// The reply shapes of the pop commands.
enum class PopShape {
  kPair,     // ZPOPMIN key: [member, score]
  kCounted,  // ZPOPMIN key count: entries as ZRANGE WITHSCORES gives them
  kKeyed,    // BZPOPMIN: [key, member, score]
  kNested,   // ZMPOP / BZMPOP: [key, [[member, score], ...]] in both protocols
};

// Removes up to `count` entries from the low (or high) end of a non-empty set and replies them.
void PopEntries(CommandContext& ctx, std::string_view key, ZSetObject* zset, bool max, size_t count,
                PopShape shape) {
  size_t size = zset->size();
  size_t n = std::min(count, size);
  size_t first = max ? size - n : 0;
  size_t end = max ? size : n;
  switch (shape) {
    case PopShape::kPair:
      ctx.reply.ArrayHeader(2);
      break;
    case PopShape::kCounted:
      EntriesHeader(ctx.reply, n, true);
      break;
    case PopShape::kKeyed:
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(key);
      break;
    case PopShape::kNested:
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      ctx.reply.ArrayHeader(n);
      break;
  }
  zset->ForRange(first, end, max, [&](std::string_view member, double score) {
    if (shape == PopShape::kCounted) {
      ReplyEntry(ctx.reply, member, score, true);
      return;
    }
    if (shape == PopShape::kNested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(member);
    ctx.reply.Double(score);
  });
  zset->EraseRange(first, end);
  Notify(ctx, max ? "zpopmax" : "zpopmin", key);
  DropIfEmpty(ctx, key, zset);
}

// ZPOPMIN / ZPOPMAX key [count]
void PopGeneric(CommandContext& ctx, bool max) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  bool counted = ctx.argc() == 3;
  int64_t count = 1;
  if (counted && (!ParseInt64(ctx.arg(2), &count) || count < 0)) {
    ctx.reply.Error(kNotPositive);
    return;
  }
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (zset == nullptr || count == 0) {
    ctx.unchanged = true;
    ctx.reply.EmptyArray();
    return;
  }
  PopEntries(ctx, ctx.arg(1), zset, max, static_cast<size_t>(count),
             counted ? PopShape::kCounted : PopShape::kPair);
}

// ZPOPMIN key [count]
void CmdZPopMin(CommandContext& ctx) { PopGeneric(ctx, false); }
// ZPOPMAX key [count]
void CmdZPopMax(CommandContext& ctx) { PopGeneric(ctx, true); }

// Pops from the first of `keys` holding a sorted set. Returns false when none does (nothing
// replied) or after replying WRONGTYPE for a key met before one that could be served (*failed).
bool PopFromFirst(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                  size_t count, PopShape shape, bool* failed) {
  *failed = false;
  for (std::string_view key : keys) {
    bool wrong_type;
    ZSetObject* zset = FindZSet(ctx, key, &wrong_type);
    if (wrong_type) {
      *failed = true;
      return false;
    }
    if (zset == nullptr) continue;
    PopEntries(ctx, key, zset, max, count, shape);
    ctx.modified_only = key;
    return true;
  }
  return false;
}

// Serves a blocking pop now if it can, else blocks (or, inside MULTI and scripts, replies the
// nil array the timeout would give).
void ServeOrBlock(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                  size_t count, PopShape shape, int64_t deadline) {
  std::span<const std::string_view> serve = keys;
  std::string_view waking_view;
  if (!NarrowToWakingKey(ctx, ObjType::kZSet, &serve, &waking_view, deadline)) return;
  bool failed;
  if (PopFromFirst(ctx, serve, max, count, shape, &failed) || failed) return;
  ctx.unchanged = true;
  if (!ctx.may_block) {
    ctx.reply.NullArray();
    return;
  }
  ctx.server.blocking().Block(ctx, keys, deadline);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void BlockingPopGeneric(CommandContext& ctx, bool max) {
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.arg(ctx.argc() - 1), &deadline)) return;
  // The keys are the arguments between the name and the timeout, used in place.
  std::span<const std::string_view> keys(ctx.args.begin() + 1, ctx.args.end() - 1);
  ServeOrBlock(ctx, keys, max, 1, PopShape::kKeyed, deadline);
}

// BZPOPMIN key [key ...] timeout
void CmdBZPopMin(CommandContext& ctx) { BlockingPopGeneric(ctx, false); }
// BZPOPMAX key [key ...] timeout
void CmdBZPopMax(CommandContext& ctx) { BlockingPopGeneric(ctx, true); }

// Parses "numkeys key [key ...] <MIN | MAX> [COUNT count]" starting at args[first].
bool ParseMPop(CommandContext& ctx, size_t first, std::vector<std::string_view>* keys, bool* max,
               int64_t* count) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(first), &numkeys) || numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return false;
  }
  size_t keys_start = first + 1;
  if (static_cast<uint64_t>(numkeys) >= ctx.argc() - keys_start) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  size_t where = keys_start + static_cast<size_t>(numkeys);
  if (EqualsIgnoreCase(ctx.arg(where), "MIN")) {
    *max = false;
  } else if (EqualsIgnoreCase(ctx.arg(where), "MAX")) {
    *max = true;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  *count = 1;
  bool have_count = false;
  for (size_t i = where + 1; i < ctx.argc(); ++i) {
    if (!have_count && EqualsIgnoreCase(ctx.arg(i), "COUNT") && i + 1 < ctx.argc()) {
      ++i;
      if (!ParseInt64(ctx.arg(i), count) || *count <= 0) {
        ctx.reply.Error("ERR count should be greater than 0");
        return false;
      }
      have_count = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  keys->assign(ctx.args.begin() + static_cast<long>(keys_start),
               ctx.args.begin() + static_cast<long>(where));
  return true;
}

// ZMPOP numkeys key [key ...] <MIN | MAX> [COUNT count]
void CmdZMPop(CommandContext& ctx) {
  std::vector<std::string_view> keys;
  bool max;
  int64_t count;
  if (!ParseMPop(ctx, 1, &keys, &max, &count)) return;
  bool failed;
  if (PopFromFirst(ctx, keys, max, static_cast<size_t>(count), PopShape::kNested, &failed) ||
      failed) {
    return;
  }
  ctx.unchanged = true;
  ctx.reply.NullArray();
}

// BZMPOP timeout numkeys key [key ...] <MIN | MAX> [COUNT count]
void CmdBZMPop(CommandContext& ctx) {
  // Redis checks the keys and options before the timeout.
  std::vector<std::string_view> keys;
  bool max;
  int64_t count;
  if (!ParseMPop(ctx, 2, &keys, &max, &count)) return;
  int64_t deadline;
  if (!ParseBlockingTimeout(ctx, ctx.arg(1), &deadline)) return;
  ServeOrBlock(ctx, keys, max, static_cast<size_t>(count), PopShape::kNested, deadline);
}

// --- Random members ---------------------------------------------------------------------------

// ZRANDMEMBER key [count [WITHSCORES]]
void CmdZRandMember(CommandContext& ctx) {
  Random& rng = ServerRandom();
  if (ctx.argc() == 2) {
    bool wrong_type;
    ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
    if (wrong_type) return;
    if (zset == nullptr) {
      ctx.reply.Null();
      return;
    }
    zset->RandomEntries(1, rng, [&](std::string_view member, double) { ctx.reply.Bulk(member); });
    return;
  }
  int64_t count;
  if (!ParseInt64(ctx.arg(2), &count)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (count == INT64_MIN) {
    ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return;
  }
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "WITHSCORES"))) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  bool withscores = ctx.argc() == 4;
  // The reply holds twice as many elements with scores, which must still fit a count.
  if (withscores && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
    ctx.reply.Error("ERR value is out of range");
    return;
  }
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (zset == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  auto emit = [&](std::string_view member, double score) {
    ReplyEntry(ctx.reply, member, score, withscores);
  };
  if (count < 0) {
    // A negative count allows repeats and always gives exactly -count entries.
    auto n = static_cast<size_t>(-count);
    EntriesHeader(ctx.reply, n, withscores);
    zset->RandomEntries(n, rng, emit);
  } else if (static_cast<uint64_t>(count) >= zset->size()) {
    // The whole set, which Redis gives highest score first.
    EntriesHeader(ctx.reply, zset->size(), withscores);
    zset->ForRange(0, zset->size(), true, emit);
  } else {
    auto n = static_cast<size_t>(count);
    EntriesHeader(ctx.reply, n, withscores);
    zset->RandomDistinctEntries(n, rng, emit);
  }
}

// --- Set algebra ------------------------------------------------------------------------------

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input of ZUNION and friends: a sorted set, a plain set (every member scores 1), or nothing
// for a missing key.
struct Source {
  const ZSetObject* zset = nullptr;
  const SetObject* set = nullptr;
  double weight = 1;

  size_t size() const { return zset ? zset->size() : set ? set->Length() : 0; }
  bool Find(std::string_view member, double* score) const {
    if (zset) return zset->Score(member, score);
    if (set && set->Contains(member)) {
      *score = 1;
      return true;
    }
    return false;
  }
  // f(member, score) for every member. Views of an intset's members are temporary.
  template <typename F>
  void ForEach(F&& f) const {
    if (zset) {
      zset->ForEach(f);
    } else if (set) {
      set->ForEach([&](std::string_view member) { f(member, 1.0); });
    }
  }
};

struct SetOpQuery {
  std::vector<Source> sources;
  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;  // ZINTERCARD; 0 is no limit
};

// A weighted score, where 0 * inf counts as 0 rather than NaN.
double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

void Combine(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      // inf + -inf: Redis settles on 0.
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

// Parses "numkeys key [key ...] [options]" starting at args[first], looking the keys up before
// reading the options, as Redis does (a wrong type is reported before a bad option).
bool ParseSetOp(CommandContext& ctx, size_t first, SetOp op, bool store, bool cardinality,
                SetOpQuery* q) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(first), &numkeys)) {
    ctx.reply.Error(errors::kNotInteger);
    return false;
  }
  if (numkeys < 1) {
    ctx.reply.Error("ERR at least 1 input key is needed for '" + std::string(ctx.spec.name) +
                    "' command");
    return false;
  }
  size_t keys_start = first + 1;
  if (static_cast<uint64_t>(numkeys) > ctx.argc() - keys_start) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  auto n = static_cast<size_t>(numkeys);
  q->sources.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Object* obj = ctx.db.Find(ctx.arg(keys_start + i), ctx.now_ms);
    if (obj == nullptr) continue;
    if (obj->type() == ObjType::kZSet) {
      q->sources[i].zset = obj->As<ZSetObject>();
    } else if (obj->type() == ObjType::kSet) {
      q->sources[i].set = obj->As<SetObject>();
    } else {
      ctx.reply.Error(errors::kWrongType);
      return false;
    }
  }
  bool weights_allowed = op != SetOp::kDiff && !cardinality;
  for (size_t i = keys_start + n; i < ctx.argc();) {
    std::string_view opt = ctx.arg(i);
    size_t remaining = ctx.argc() - i;
    if (weights_allowed && remaining >= n + 1 && EqualsIgnoreCase(opt, "WEIGHTS")) {
      for (size_t j = 0; j < n; ++j) {
        if (!ParseDouble(ctx.arg(i + 1 + j), &q->sources[j].weight)) {
          ctx.reply.Error("ERR weight value is not a float");
          return false;
        }
      }
      i += n + 1;
    } else if (weights_allowed && remaining >= 2 && EqualsIgnoreCase(opt, "AGGREGATE")) {
      std::string_view how = ctx.arg(i + 1);
      if (EqualsIgnoreCase(how, "SUM")) {
        q->aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "MIN")) {
        q->aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "MAX")) {
        q->aggregate = Aggregate::kMax;
      } else {
        ctx.reply.Error(errors::kSyntax);
        return false;
      }
      i += 2;
    } else if (!store && !cardinality && EqualsIgnoreCase(opt, "WITHSCORES")) {
      q->withscores = true;
      i += 1;
    } else if (cardinality && remaining >= 2 && EqualsIgnoreCase(opt, "LIMIT")) {
      if (!ParseInt64(ctx.arg(i + 1), &q->limit) || q->limit < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return false;
      }
      i += 2;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// The inputs from the smallest to the largest. Union and intersection combine scores in this
// order, as Redis does, which matters for sums of inexact or infinite scores.
std::vector<const Source*> BySize(const std::vector<Source>& sources) {
  std::vector<const Source*> order;
  for (const Source& src : sources) order.push_back(&src);
  std::stable_sort(order.begin(), order.end(),
                   [](const Source* a, const Source* b) { return a->size() < b->size(); });
  return order;
}

// The result of a set operation in ascending (score, member) order. Member views point into the
// sources, or into *arena for members whose source only lends them temporarily.
Entries ComputeSetOp(const SetOpQuery& q, SetOp op, std::deque<std::string>* arena) {
  Entries result;
  auto stable = [&](const Source& src, std::string_view member) {
    if (src.set == nullptr || !src.set->is_intset()) return member;
    arena->emplace_back(member);
    return std::string_view(arena->back());
  };
  switch (op) {
    case SetOp::kUnion: {
      std::unordered_map<std::string_view, double> scores;
      for (const Source* src : BySize(q.sources)) {
        src->ForEach([&](std::string_view member, double score) {
          double value = Weighted(score, src->weight);
          auto it = scores.find(member);
          if (it == scores.end()) {
            scores.emplace(stable(*src, member), value);
          } else {
            Combine(&it->second, value, q.aggregate);
          }
        });
      }
      result.assign(scores.begin(), scores.end());
      break;
    }
    case SetOp::kInter: {
      // Walk the smallest input and probe the others.
      std::vector<const Source*> order = BySize(q.sources);
      if (order[0]->size() == 0) break;
      order[0]->ForEach([&](std::string_view member, double score) {
        double value = Weighted(score, order[0]->weight);
        for (size_t i = 1; i < order.size(); ++i) {
          double other;
          if (!order[i]->Find(member, &other)) return;
          Combine(&value, Weighted(other, order[i]->weight), q.aggregate);
        }
        result.emplace_back(stable(*order[0], member), value);
      });
      break;
    }
    case SetOp::kDiff: {
      q.sources[0].ForEach([&](std::string_view member, double score) {
        for (size_t i = 1; i < q.sources.size(); ++i) {
          double other;
          if (q.sources[i].Find(member, &other)) return;
        }
        result.emplace_back(stable(q.sources[0], member), score);
      });
      break;
    }
  }
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return CompareEntries(a.second, a.first, b.second, b.first) < 0;
  });
  return result;
}

// ZUNION / ZINTER / ZDIFF numkeys key [key ...] [options] [WITHSCORES]
void SetOpGeneric(CommandContext& ctx, SetOp op) {
  SetOpQuery q;
  if (!ParseSetOp(ctx, 1, op, false, false, &q)) return;
  std::deque<std::string> arena;
  Entries result = ComputeSetOp(q, op, &arena);
  EntriesHeader(ctx.reply, result.size(), q.withscores);
  for (const auto& [member, score] : result) ReplyEntry(ctx.reply, member, score, q.withscores);
}

// ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE destination numkeys key [key ...] [options]
void SetOpStoreGeneric(CommandContext& ctx, SetOp op, std::string_view event) {
  SetOpQuery q;
  if (!ParseSetOp(ctx, 2, op, true, false, &q)) return;
  std::deque<std::string> arena;
  Entries result = ComputeSetOp(q, op, &arena);
  StoreEntries(ctx, ctx.arg(1), event, result);
}

// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]
//   [WITHSCORES]
void CmdZUnion(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion); }
// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]
//   [WITHSCORES]
void CmdZInter(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter); }
// ZDIFF numkeys key [key ...] [WITHSCORES]
void CmdZDiff(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff); }
// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]
//   [AGGREGATE <SUM | MIN | MAX>]
void CmdZUnionStore(CommandContext& ctx) { SetOpStoreGeneric(ctx, SetOp::kUnion, "zunionstore"); }
// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]
//   [AGGREGATE <SUM | MIN | MAX>]
void CmdZInterStore(CommandContext& ctx) { SetOpStoreGeneric(ctx, SetOp::kInter, "zinterstore"); }
// ZDIFFSTORE destination numkeys key [key ...]
void CmdZDiffStore(CommandContext& ctx) { SetOpStoreGeneric(ctx, SetOp::kDiff, "zdiffstore"); }

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdZInterCard(CommandContext& ctx) {
  SetOpQuery q;
  if (!ParseSetOp(ctx, 1, SetOp::kInter, false, true, &q)) return;
  std::vector<const Source*> order = BySize(q.sources);
  int64_t count = 0;
  if (order[0]->size() != 0) {
    auto limit = static_cast<uint64_t>(q.limit);
    bool done = false;
    // Returns false once the limit is reached, so sets can stop their walk early.
    auto visit = [&](std::string_view member) {
      if (done) return false;
      for (size_t i = 1; i < order.size(); ++i) {
        double ignored;
        if (!order[i]->Find(member, &ignored)) return true;
      }
      ++count;
      done = limit != 0 && static_cast<uint64_t>(count) >= limit;
      return !done;
    };
    if (order[0]->zset != nullptr) {
      order[0]->zset->ForEach([&](std::string_view member, double) { visit(member); });
    } else {
      order[0]->set->ForEachWhile(visit);
    }
  }
  ctx.reply.Integer(count);
}

// --- ZSCAN ------------------------------------------------------------------------------------

// A packed set's score as ZSCAN shows it. Redis's listpack keeps a whole number within 2^62 of
// zero as an integer and reads it back in integer form ("1000000000000000000" where ZSCORE says
// "1e+18"); anything else reads back in "%.17g" like every other score reply.
std::string PackedScoreText(double score) {
  constexpr double kIntegerLimit = 4611686018427387904.0;  // 2^62
  if (score >= -kIntegerLimit && score <= kIntegerLimit) {
    auto whole = static_cast<int64_t>(score);
    if (static_cast<double>(whole) == score) return Int64ToString(whole);
  }
  return FormatDouble(score);
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
void CmdZScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    ctx.reply.Error(kInvalidCursor);
    return;
  }
  bool wrong_type;
  ZSetObject* zset = FindZSet(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (zset == nullptr) {
    // Redis answers a missing key before looking at the options.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, &options)) return;
  Entries out;
  size_t visited = 0;
  auto collect = [&](std::string_view member, double score) {
    visited += 2;
    if (options.use_pattern && !GlobMatch(options.pattern, member)) return;
    out.emplace_back(member, score);
  };
  if (zset->is_packed()) {
    // Small encodings come back whole in one call, whatever the cursor, as in Redis.
    zset->ForEach(collect);
    cursor = 0;
  } else {
    // Redis's budget: COUNT elements (a member and its score count as two), or ten times COUNT
    // buckets, whichever comes first.
    size_t budget = options.count * 10;
    do {
      cursor = zset->ScanStep(cursor, collect);
    } while (cursor != 0 && budget-- > 0 && visited < options.count);
  }
  char buf[kInt64BufferSize];
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, FormatUint64(cursor, buf)));
  ctx.reply.ArrayHeader(out.size() * 2);
  bool packed = zset->is_packed();
  for (const auto& [member, score] : out) {
    ctx.reply.Bulk(member);
    ctx.reply.Bulk(packed ? PackedScoreText(score) : FormatDouble(score));
  }
}

// --- Registration -----------------------------------------------------------------------------

// Key positions of "[destination | timeout] numkeys key [key ...]" commands: the numkeys keys,
// preceded by the destination when kWithDestination.
template <size_t kNumkeysIndex, bool kWithDestination>
void NumkeysKeys(ArgList args, std::vector<size_t>* out) {
  if (kWithDestination && args.size() > 1) out->push_back(1);
  int64_t n = 0;
  if (args.size() <= kNumkeysIndex || !ParseInt64(args[kNumkeysIndex], &n) || n <= 0) return;
  for (size_t i = 0; i < static_cast<size_t>(n) && kNumkeysIndex + 1 + i < args.size(); ++i) {
    out->push_back(kNumkeysIndex + 1 + i);
  }
}

// The append-only log's form of a sorted set: ZADD commands of at most kAofItemsPerCommand
// members, in ascending order. "%.17g" scores read back as the same doubles (inf and -0 too).
void RewriteZSet(std::string_view key, const Object& obj, AofWriter& out) {
  const auto* zset = obj.As<ZSetObject>();
  size_t n = zset->size();
  for (size_t start = 0; start < n; start += kAofItemsPerCommand) {
    size_t end = std::min(n, start + kAofItemsPerCommand);
    out.Begin(2 + 2 * (end - start));
    out.Arg("ZADD");
    out.Arg(key);
    zset->ForRange(start, end, false, [&](std::string_view member, double score) {
      out.Arg(FormatDouble(score));
      out.Arg(member);
    });
  }
}

// Keeps the process-wide conversion limits equal to the configuration.
void WatchZSetLimits(Server& server) {
  Config& config = server.config();
  auto to_limit = [](int64_t v) { return v < 0 ? uint64_t{0} : static_cast<uint64_t>(v); };
  ZSetObject::SetPackedLimits(to_limit(config.GetInt("zset-max-listpack-entries")),
                              to_limit(config.GetInt("zset-max-listpack-value")));
  config.OnChange("zset-max-listpack-entries", [to_limit](const Config::Param& p) {
    int64_t v = 0;
    if (ParseInt64(p.value, &v)) {
      ZSetObject::SetPackedLimits(to_limit(v), ZSetObject::MaxPackedValue());
    }
  });
  config.OnChange("zset-max-listpack-value", [to_limit](const Config::Param& p) {
    int64_t v = 0;
    if (ParseInt64(p.value, &v)) {
      ZSetObject::SetPackedLimits(ZSetObject::MaxPackedEntries(), to_limit(v));
    }
  });
}

}  // namespace

void RegisterZSetFamily(CommandTable& table) {
  RegisterSerializer(ObjType::kZSet, DumpZSet, LoadZSet);
  RegisterAofRewriter(ObjType::kZSet, RewriteZSet);
  table.AddStartupHook(WatchZSetLimits);
  auto add = [&](std::string_view name, int arity, uint32_t flags, int first, int last,
                 auto&&... rest) {
    table.AddSimple("sorted-set", name, arity, flags, first, last, first > 0 ? 1 : 0, rest...);
  };
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kRFast = kCmdReadOnly | kCmdFast;
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kWGrow = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kWFast = kCmdWrite | kCmdFast;

  add("zadd", -4, kWGrow | kCmdFast, 1, 1, "1.2.0",
      "Adds members with scores to a sorted set, or updates their scores; creates the key.",
      "key [NX | XX] [GT | LT] [CH] [INCR] score:double member [score:double member ...]", CmdZAdd,
      "O(log(N)) for each member added, N being the size of the set");
  add("zincrby", 4, kWGrow | kCmdFast, 1, 1, "1.2.0",
      "Adds an increment to the score of a member, creating the member and the key if needed.",
      "key increment:integer member", CmdZIncrBy, "O(log(N))");
  add("zrem", -3, kWFast, 1, 1, "1.2.0", "Removes members from a sorted set.",
      "key member [member ...]", CmdZRem, "O(M*log(N)) for M members removed");
  add("zcard", 2, kRFast, 1, 1, "1.2.0", "Returns the number of members of a sorted set.", "key",
      CmdZCard, "O(1)");
  add("zcount", 4, kRFast, 1, 1, "2.0.0", "Counts the members whose score is within a range.",
      "key min:double max:double", CmdZCount, "O(log(N))");
  add("zlexcount", 4, kRFast, 1, 1, "2.8.9", "Counts the members within a lexicographical range.",
      "key min:string max:string", CmdZLexCount, "O(log(N))");
  add("zscore", 3, kRFast, 1, 1, "1.2.0", "Returns the score of a member.", "key member", CmdZScore,
      "O(1)");
  add("zmscore", -3, kRFast, 1, 1, "6.2.0", "Returns the scores of several members.",
      "key member [member ...]", CmdZMScore, "O(N) in the number of members asked for");
  add("zrank", 3, kRFast, 1, 1, "2.0.0",
      "Returns the position of a member, counting from the lowest score.", "key member", CmdZRank,
      "O(log(N))");
  add("zrevrank", 3, kRFast, 1, 1, "2.0.0",
      "Returns the position of a member, counting from the highest score.", "key member",
      CmdZRevRank, "O(log(N))");
  add("zrange", -4, kR, 1, 1, "1.2.0",
      "Returns members within a range of positions, scores or member names.",
      "key start:string stop:string [BYSCORE | BYLEX] [REV] [LIMIT offset:integer count:integer] "
      "[WITHSCORES]",
      CmdZRange, "O(log(N)+M) with M the number of members returned");
  add("zrangestore", -5, kWGrow, 1, 2, "6.2.0",
      "Stores a range of members of a sorted set under another key.",
      "dst src min:string max:string [BYSCORE | BYLEX] [REV] [LIMIT offset:integer "
      "count:integer]",
      CmdZRangeStore, "O(log(N)+M) with M the number of members stored");
  add("zrevrange", -4, kR, 1, 1, "1.2.0",
      "Returns members within a range of positions, highest score first.",
      "key start:integer stop:integer [WITHSCORES]", CmdZRevRange,
      "O(log(N)+M) with M the number of members returned");
  add("zrangebyscore", -4, kR, 1, 1, "1.0.5", "Returns members within a range of scores.",
      "key min:double max:double [WITHSCORES] [LIMIT offset:integer count:integer]",
      CmdZRangeByScore, "O(log(N)+M) with M the number of members returned");
  add("zrevrangebyscore", -4, kR, 1, 1, "2.2.0",
      "Returns members within a range of scores, highest first.",
      "key max:double min:double [WITHSCORES] [LIMIT offset:integer count:integer]",
      CmdZRevRangeByScore, "O(log(N)+M) with M the number of members returned");
  add("zrangebylex", -4, kR, 1, 1, "2.8.9", "Returns members within a lexicographical range.",
      "key min:string max:string [LIMIT offset:integer count:integer]", CmdZRangeByLex,
      "O(log(N)+M) with M the number of members returned");
  add("zrevrangebylex", -4, kR, 1, 1, "2.8.9",
      "Returns members within a lexicographical range, in reverse order.",
      "key max:string min:string [LIMIT offset:integer count:integer]", CmdZRevRangeByLex,
      "O(log(N)+M) with M the number of members returned");
  add("zremrangebyrank", 4, kW, 1, 1, "2.0.0", "Removes the members within a range of positions.",
      "key start:integer stop:integer", CmdZRemRangeByRank,
      "O(log(N)+M) with M the number of members removed");
  add("zremrangebyscore", 4, kW, 1, 1, "1.2.0", "Removes the members within a range of scores.",
      "key min:double max:double", CmdZRemRangeByScore,
      "O(log(N)+M) with M the number of members removed");
  add("zremrangebylex", 4, kW, 1, 1, "2.8.9", "Removes the members within a lexicographical range.",
      "key min:string max:string", CmdZRemRangeByLex,
      "O(log(N)+M) with M the number of members removed");
  add("zpopmin", -2, kWFast, 1, 1, "5.0.0",
      "Removes and returns the members with the lowest scores.", "key [count:integer]", CmdZPopMin,
      "O(log(N)*M) with M the number of members popped");
  add("zpopmax", -2, kWFast, 1, 1, "5.0.0",
      "Removes and returns the members with the highest scores.", "key [count:integer]", CmdZPopMax,
      "O(log(N)*M) with M the number of members popped");
  add("bzpopmin", -3, kWFast | kCmdNoScript | kCmdBlocking, 1, -2, "5.0.0",
      "Removes and returns the lowest-scored member of the first non-empty sorted set, waiting "
      "until one is.",
      "key [key ...] timeout:double", CmdBZPopMin, "O(log(N))");
  add("bzpopmax", -3, kWFast | kCmdNoScript | kCmdBlocking, 1, -2, "5.0.0",
      "Removes and returns the highest-scored member of the first non-empty sorted set, "
      "waiting until one is.",
      "key [key ...] timeout:double", CmdBZPopMax, "O(log(N))");
  add("zmpop", -4, kW | kCmdMovableKeys, 0, 0, "7.0.0",
      "Pops members with the lowest or highest scores from the first non-empty sorted set.",
      "numkeys:integer key [key ...] <MIN | MAX> [COUNT count:integer]", CmdZMPop,
      "O(K)+O(M*log(N)) with K keys and M members popped", NumkeysKeys<1, false>);
  add("bzmpop", -5, kW | kCmdBlocking | kCmdMovableKeys, 0, 0, "7.0.0",
      "Pops members with the lowest or highest scores from the first non-empty sorted set, "
      "waiting until one is.",
      "timeout:double numkeys:integer key [key ...] <MIN | MAX> [COUNT count:integer]", CmdBZMPop,
      "O(K)+O(M*log(N)) with K keys and M members popped", NumkeysKeys<2, false>);
  add("zrandmember", -2, kR, 1, 1, "6.2.0", "Returns random members of a sorted set.",
      "key [count:integer [WITHSCORES]]", CmdZRandMember, "O(N) in the number of members returned");
  add("zunion", -3, kR | kCmdMovableKeys, 0, 0, "6.2.0",
      "Returns the union of sorted sets (and sets).",
      "numkeys:integer key [key ...] [WEIGHTS weight:integer [weight:integer ...]] "
      "[AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]",
      CmdZUnion, "O(N)+O(M*log(M)) with N input members and M result members",
      NumkeysKeys<1, false>);
  add("zinter", -3, kR | kCmdMovableKeys, 0, 0, "6.2.0",
      "Returns the intersection of sorted sets (and sets).",
      "numkeys:integer key [key ...] [WEIGHTS weight:integer [weight:integer ...]] "
      "[AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]",
      CmdZInter, "O(N*K)+O(M*log(M)) with N the smallest input, K inputs, M result members",
      NumkeysKeys<1, false>);
  add("zdiff", -3, kR | kCmdMovableKeys, 0, 0, "6.2.0",
      "Returns the members of the first sorted set missing from the others.",
      "numkeys:integer key [key ...] [WITHSCORES]", CmdZDiff, "O(L+(N-K)log(N)) in the worst case",
      NumkeysKeys<1, false>);
  add("zunionstore", -4, kWGrow | kCmdMovableKeys, 1, 1, "2.0.0",
      "Stores the union of sorted sets (and sets) under a key.",
      "destination numkeys:integer key [key ...] [WEIGHTS weight:integer [weight:integer ...]] "
      "[AGGREGATE <SUM | MIN | MAX>]",
      CmdZUnionStore, "O(N)+O(M*log(M)) with N input members and M result members",
      NumkeysKeys<2, true>);
  add("zinterstore", -4, kWGrow | kCmdMovableKeys, 1, 1, "2.0.0",
      "Stores the intersection of sorted sets (and sets) under a key.",
      "destination numkeys:integer key [key ...] [WEIGHTS weight:integer [weight:integer ...]] "
      "[AGGREGATE <SUM | MIN | MAX>]",
      CmdZInterStore, "O(N*K)+O(M*log(M)) with N the smallest input, K inputs, M result members",
      NumkeysKeys<2, true>);
  add("zdiffstore", -4, kWGrow | kCmdMovableKeys, 1, 1, "6.2.0",
      "Stores the members of the first sorted set missing from the others under a key.",
      "destination numkeys:integer key [key ...]", CmdZDiffStore,
      "O(L+(N-K)log(N)) in the worst case", NumkeysKeys<2, true>);
  add("zintercard", -3, kR | kCmdMovableKeys, 0, 0, "7.0.0",
      "Counts the members of the intersection of sorted sets (and sets).",
      "numkeys:integer key [key ...] [LIMIT limit:integer]", CmdZInterCard,
      "O(N*K) with N the smallest input and K inputs", NumkeysKeys<1, false>);
  add("zscan", -3, kR, 1, 1, "2.8.0", "Iterates over the members and scores of a sorted set.",
      "key cursor:integer [MATCH pattern] [COUNT count:integer]", CmdZScan,
      "O(1) per call, O(N) for a complete iteration");
}

}  // namespace sluice
