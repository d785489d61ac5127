#include "server/persistence/effects.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/persistence/aof_format.h"
#include "server/persistence/rewrite.h"
#include "server/storage/database.h"
#include "server/types/stream.h"
#include "server/util/name_memo.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

using EffectFn = bool (*)(CommandContext& ctx, const EffectState& state, AofEmitter& out);

bool EqualsUpper(std::string_view s, std::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

Object* Resulting(CommandContext& ctx, std::string_view key) { return ctx.db.FindRaw(key); }

// The key's deadline as the log writes it.
std::string Deadline(const Object& obj) { return Int64ToString(obj.expire_at()); }

void EmitStringState(AofEmitter& out, std::string_view key, const Object& obj) {
  if (obj.expire_at() != 0) {
    std::string at = Deadline(obj);
    out.Emit({"SET", key, obj.str(), "PXAT", at});
  } else {
    out.Emit({"SET", key, obj.str()});
  }
}

// SET key value [NX | XX] [GET] [EX | PX | EXAT | PXAT | KEEPTTL]
bool SetEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  if (ctx.argc() == 3) return false;  // nothing relative in a plain SET
  std::string_view key = ctx.arg(1);
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr || !obj->is_string()) {
    out.Emit({"DEL", key});
  } else {
    EmitStringState(out, key, *obj);
  }
  return true;
}

// SETEX key seconds value, PSETEX key milliseconds value
bool SetExEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  std::string_view key = ctx.arg(1);
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr || !obj->is_string()) {
    out.Emit({"DEL", key});
  } else {
    EmitStringState(out, key, *obj);
  }
  return true;
}

// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT / GETEX: the resulting deadline, or the deletion a
// deadline in the past caused.
bool DeadlineEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  std::string_view key = ctx.arg(1);
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr) {
    out.Emit({"DEL", key});
  } else if (obj->expire_at() == 0) {
    out.Emit({"PERSIST", key});
  } else {
    std::string at = Deadline(*obj);
    out.Emit({"PEXPIREAT", key, at});
  }
  return true;
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
bool RestoreEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  if (ctx.arg(2) == "0") return false;
  for (size_t i = 4; i < ctx.argc(); ++i) {
    if (EqualsUpper(ctx.arg(i), "ABSTTL")) return false;
  }
  std::string_view key = ctx.arg(1);
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr) {
    out.Emit({"DEL", key});
    return true;
  }
  std::string at = Deadline(*obj);
  out.Emit({"RESTORE", key, at, ctx.arg(3), "REPLACE", "ABSTTL"});
  return true;
}

// INCRBYFLOAT key increment: the value as formatted, so replay never redoes float arithmetic.
bool IncrByFloatEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  std::string_view key = ctx.arg(1);
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr || !obj->is_string()) return false;
  out.Emit({"SET", key, obj->str(), "KEEPTTL"});
  return true;
}

// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
bool BLMoveEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  out.Emit({"LMOVE", ctx.arg(1), ctx.arg(2), ctx.arg(3), ctx.arg(4)});
  return true;
}

// BRPOPLPUSH source destination timeout
bool BRPopLPushEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  out.Emit({"RPOPLPUSH", ctx.arg(1), ctx.arg(2)});
  return true;
}

// BLPOP / BRPOP / BZPOPMIN / BZPOPMAX key [key ...] timeout: one element from the served key.
template <const char* kPop>
bool SinglePopEffect(CommandContext& ctx, const EffectState& state, AofEmitter& out) {
  if (state.served_key.data() == nullptr) return false;
  out.Emit({kPop, state.served_key});
  return true;
}

// BLMPOP / BZMPOP timeout numkeys key [key ...] <end> [COUNT count]: up to count elements from
// the served key.
template <const char* kFirst, const char* kSecond, const char* kFirstEnd>
bool MultiPopEffect(CommandContext& ctx, const EffectState& state, AofEmitter& out) {
  if (state.served_key.data() == nullptr) return false;
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(2), &numkeys) || numkeys <= 0) return false;
  size_t where = 3 + static_cast<size_t>(numkeys);
  if (where >= ctx.argc()) return false;
  std::string_view count = "1";
  for (size_t i = where + 1; i + 1 < ctx.argc(); i += 2) {
    if (EqualsUpper(ctx.arg(i), "COUNT")) count = ctx.arg(i + 1);
  }
  const char* pop = EqualsUpper(ctx.arg(where), kFirstEnd) ? kFirst : kSecond;
  out.Emit({pop, state.served_key, count});
  return true;
}

// A command whose result was random (SPOP): the key's resulting state, written whole.
bool KeyStateEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  std::string_view key = ctx.arg(1);
  out.Emit({"DEL", key});
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr) return true;
  std::string encoded;
  AofWriter writer(&encoded);
  if (RewriteKey(key, *obj, writer)) out.EmitEncoded(encoded, writer.commands());
  return true;
}

// Appends the trim clause of XADD / XTRIM starting at *i (MAXLEN | MINID [= | ~] threshold
// [LIMIT count]) to `out`. An approximate trim (~) removed whole nodes, which depends on node
// layout: it is logged as the exact length it left, which replays to the same entries.
void CopyTrim(CommandContext& ctx, const Stream* stream, size_t* i,
              std::vector<std::string_view>* out, std::string* length) {
  size_t pos = *i;
  std::vector<std::string_view> clause{ctx.arg(pos++)};
  bool approx = false;
  if (pos < ctx.argc() && (ctx.arg(pos) == "~" || ctx.arg(pos) == "=")) {
    approx = ctx.arg(pos) == "~";
    clause.push_back(ctx.arg(pos++));
  }
  if (pos < ctx.argc()) clause.push_back(ctx.arg(pos++));
  if (pos + 1 < ctx.argc() && EqualsUpper(ctx.arg(pos), "LIMIT")) pos += 2;
  *i = pos;
  if (approx && stream != nullptr) {
    *length = std::to_string(stream->length());
    out->insert(out->end(), {"MAXLEN", "=", *length});
  } else {
    out->insert(out->end(), clause.begin(), clause.end());
  }
}

const Stream* ResultingStream(CommandContext& ctx, std::string_view key) {
  Object* obj = Resulting(ctx, key);
  if (obj == nullptr || obj->type() != ObjType::kStream) return nullptr;
  return &obj->As<StreamObject>()->stream();
}

// XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value
// ...: the ID the entry got instead of an ID to generate (replay runs at another time).
bool XAddEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  const Stream* stream = ResultingStream(ctx, ctx.arg(1));
  if (stream == nullptr) return false;
  std::vector<std::string_view> args{"XADD", ctx.arg(1)};
  std::string length;
  size_t i = 2;
  while (i < ctx.argc()) {
    std::string_view opt = ctx.arg(i);
    if (EqualsUpper(opt, "NOMKSTREAM")) {
      args.push_back(opt);
      ++i;
    } else if (EqualsUpper(opt, "MAXLEN") || EqualsUpper(opt, "MINID")) {
      CopyTrim(ctx, stream, &i, &args, &length);
    } else {
      break;
    }
  }
  if (i >= ctx.argc()) return false;
  std::string id = stream->last_id().ToString();
  args.push_back(id);
  for (size_t f = i + 1; f < ctx.argc(); ++f) args.push_back(ctx.arg(f));
  out.Emit(args);
  return true;
}

// XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]
bool XTrimEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  const Stream* stream = ResultingStream(ctx, ctx.arg(1));
  if (stream == nullptr) return false;
  std::vector<std::string_view> args{"XTRIM", ctx.arg(1)};
  std::string length;
  size_t i = 2;
  CopyTrim(ctx, stream, &i, &args, &length);
  out.Emit(args);
  return true;
}

// --- Consumer groups. Reads and claims depend on time (idle times, delivery times) and on how
// a woken reader was served, so they are recorded as their result: each pending entry they
// handed to the consumer as XCLAIM ... FORCE with its delivery count and time, the consumer's
// existence, and for new-entry reads the group's position.

// XREADGROUP GROUP group consumer [...] STREAMS key [key ...] id [id ...]: where STREAMS is.
size_t StreamsArg(const CommandContext& ctx) {
  for (size_t i = 4; i < ctx.argc(); ++i) {
    if (EqualsUpper(ctx.arg(i), "STREAMS")) return i;
  }
  return 0;
}

void EmitClaim(AofEmitter& out, std::string_view key, std::string_view group,
               std::string_view consumer, const StreamID& id, const StreamNack& nack) {
  std::string id_text = id.ToString();
  std::string time = std::to_string(nack.delivery_time);
  std::string count = std::to_string(nack.delivery_count);
  out.Emit({"XCLAIM", key, group, consumer, "0", id_text, "TIME", time, "RETRYCOUNT", count,
            "FORCE", "JUSTID"});
}

StreamGroup* ResultingGroup(CommandContext& ctx, std::string_view key, std::string_view group) {
  const Stream* stream = ResultingStream(ctx, key);
  return stream == nullptr ? nullptr : stream->FindGroup(group);
}

bool XReadGroupEffect(CommandContext& ctx, const EffectState& state, AofEmitter& out) {
  size_t streams = StreamsArg(ctx);
  if (streams == 0) return false;
  size_t n = (ctx.argc() - streams - 1) / 2;
  std::string_view group_name = ctx.arg(2);
  std::string_view consumer_name = ctx.arg(3);
  for (size_t i = 0; i < n; ++i) {
    std::string_view key = ctx.arg(streams + 1 + i);
    std::string_view from = ctx.arg(streams + 1 + n + i);
    StreamGroup* group = ResultingGroup(ctx, key, group_name);
    if (group == nullptr) continue;
    StreamConsumer* consumer = group->FindConsumer(consumer_name);
    if (consumer == nullptr) continue;
    EffectState::GroupBefore before;
    if (i < state.groups_before.size()) before = state.groups_before[i];
    if (!before.consumer_existed) {
      out.Emit({"XGROUP", "CREATECONSUMER", key, group_name, consumer_name});
    }
    StreamID start = StreamID::Min();
    bool fresh = from == ">";
    if (fresh) {
      // New entries: those after the group's position before the read.
      bool seq_given = false;
      if (!before.position.empty() && ParseStreamID(before.position, 0, true, &start, &seq_given)) {
        start.Increment();
      }
    } else {
      bool seq_given = false;
      if (!ParseStreamID(from, 0, false, &start, &seq_given)) start = StreamID::Min();
    }
    for (auto it = consumer->pel.LowerBound(start); it.valid(); it.Next()) {
      const StreamNack* nack = it.value();
      if (nack->delivery_time != ctx.now_ms) continue;
      EmitClaim(out, key, group_name, consumer_name, it.key(), *nack);
    }
    if (fresh && group->last_id.ToString() != before.position) {
      std::string last = group->last_id.ToString();
      if (group->entries_read != kEntriesReadUnknown) {
        std::string read = std::to_string(group->entries_read);
        out.Emit({"XGROUP", "SETID", key, group_name, last, "ENTRIESREAD", read});
      } else {
        out.Emit({"XGROUP", "SETID", key, group_name, last});
      }
    }
  }
  return true;
}

// XCLAIM key group consumer min-idle-time id [id ...] [options]: the entries it claimed.
bool XClaimEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  std::string_view key = ctx.arg(1);
  StreamGroup* group = ResultingGroup(ctx, key, ctx.arg(2));
  if (group == nullptr) return true;
  StreamConsumer* consumer = group->FindConsumer(ctx.arg(3));
  if (consumer == nullptr) return true;
  out.Emit({"XGROUP", "CREATECONSUMER", key, ctx.arg(2), ctx.arg(3)});
  for (size_t i = 5; i < ctx.argc(); ++i) {
    StreamID id;
    bool seq_given = false;
    if (!ParseStreamID(ctx.arg(i), 0, true, &id, &seq_given)) break;  // the options begin
    StreamNack** nack = consumer->pel.Find(id);
    if (nack != nullptr) EmitClaim(out, key, ctx.arg(2), ctx.arg(3), id, **nack);
  }
  for (size_t i = 5; i + 1 < ctx.argc(); ++i) {
    if (EqualsUpper(ctx.arg(i), "LASTID") && group->last_id > StreamID::Min()) {
      std::string last = group->last_id.ToString();
      out.Emit({"XGROUP", "SETID", key, ctx.arg(2), last});
      break;
    }
  }
  return true;
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: the entries it
// claimed (those of the consumer delivered now).
bool XAutoClaimEffect(CommandContext& ctx, const EffectState&, AofEmitter& out) {
  std::string_view key = ctx.arg(1);
  StreamGroup* group = ResultingGroup(ctx, key, ctx.arg(2));
  if (group == nullptr) return true;
  StreamConsumer* consumer = group->FindConsumer(ctx.arg(3));
  if (consumer == nullptr) return true;
  out.Emit({"XGROUP", "CREATECONSUMER", key, ctx.arg(2), ctx.arg(3)});
  StreamID start;
  bool seq_given = false;
  if (!ParseStreamID(ctx.arg(5), 0, false, &start, &seq_given)) start = StreamID::Min();
  for (auto it = consumer->pel.LowerBound(start); it.valid(); it.Next()) {
    if (it.value()->delivery_time != ctx.now_ms) continue;
    EmitClaim(out, key, ctx.arg(2), ctx.arg(3), it.key(), *it.value());
  }
  return true;
}

constexpr char kLPop[] = "LPOP";
constexpr char kRPop[] = "RPOP";
constexpr char kZPopMin[] = "ZPOPMIN";
constexpr char kZPopMax[] = "ZPOPMAX";
constexpr char kLeft[] = "LEFT";
constexpr char kMin[] = "MIN";

const std::unordered_map<std::string_view, EffectFn>& Effects() {
  static const auto* effects = new std::unordered_map<std::string_view, EffectFn>{
      {"set", SetEffect},
      {"setex", SetExEffect},
      {"psetex", SetExEffect},
      {"getex", DeadlineEffect},
      {"expire", DeadlineEffect},
      {"pexpire", DeadlineEffect},
      {"expireat", DeadlineEffect},
      {"pexpireat", DeadlineEffect},
      {"restore", RestoreEffect},
      {"incrbyfloat", IncrByFloatEffect},
      {"blmove", BLMoveEffect},
      {"brpoplpush", BRPopLPushEffect},
      {"blpop", SinglePopEffect<kLPop>},
      {"brpop", SinglePopEffect<kRPop>},
      {"bzpopmin", SinglePopEffect<kZPopMin>},
      {"bzpopmax", SinglePopEffect<kZPopMax>},
      {"blmpop", MultiPopEffect<kLPop, kRPop, kLeft>},
      {"bzmpop", MultiPopEffect<kZPopMin, kZPopMax, kMin>},
      {"spop", KeyStateEffect},
      {"xadd", XAddEffect},
      {"xtrim", XTrimEffect},
      {"xreadgroup", XReadGroupEffect},
      {"xclaim", XClaimEffect},
      {"xautoclaim", XAutoClaimEffect},
  };
  return *effects;
}

// The first of `keys` holding a live value.
std::string_view FirstLiveKey(const CommandContext& ctx, size_t first, size_t end) {
  for (size_t i = first; i < end && i < ctx.argc(); ++i) {
    Object* obj = ctx.db.FindRaw(ctx.arg(i));
    if (obj == nullptr) continue;
    if (obj->expire_at() != 0 && obj->expire_at() <= ctx.now_ms) continue;
    return ctx.arg(i);
  }
  return {};
}

}  // namespace

bool ChangesQuietly(const CommandContext& ctx) {
  std::string_view name = ctx.spec.name;
  if (name.size() < 4 || name[0] != 'x') return false;
  if (name.starts_with("xgroup|")) return name != "xgroup|help";
  // A read that blocked changed nothing yet; one re-run when its key became ready did.
  if (name == "xreadgroup") {
    return !ctx.session.blocked() || ctx.server.blocking().WakingKey(&ctx.session) != nullptr;
  }
  return name == "xack" || name == "xclaim" || name == "xautoclaim" || name == "xsetid";
}

void PrepareEffects(const CommandContext& ctx, EffectState* state) {
  state->served_key = {};
  if (!(ctx.spec.flags & kCmdBlocking)) return;
  std::string_view name = ctx.spec.name;
  if (name == "blpop" || name == "brpop" || name == "bzpopmin" || name == "bzpopmax") {
    state->served_key = FirstLiveKey(ctx, 1, ctx.argc() - 1);
  } else if (name == "xreadgroup") {
    state->groups_before.clear();
    size_t streams = StreamsArg(ctx);
    if (streams == 0) return;
    size_t n = (ctx.argc() - streams - 1) / 2;
    for (size_t i = 0; i < n; ++i) {
      Object* obj = ctx.db.FindRaw(ctx.arg(streams + 1 + i));
      const StreamGroup* group = nullptr;
      if (obj != nullptr && obj->type() == ObjType::kStream) {
        group = obj->As<StreamObject>()->stream().FindGroup(ctx.arg(2));
      }
      EffectState::GroupBefore before;
      if (group != nullptr) {
        before.position = group->last_id.ToString();
        before.consumer_existed = group->FindConsumer(ctx.arg(3)) != nullptr;
      }
      state->groups_before.push_back(std::move(before));
    }
  } else if (name == "blmpop" || name == "bzmpop") {
    int64_t numkeys = 0;
    if (ctx.argc() > 2 && ParseInt64(ctx.arg(2), &numkeys) && numkeys > 0) {
      state->served_key = FirstLiveKey(ctx, 3, 3 + static_cast<size_t>(numkeys));
    }
  }
}

bool EmitEffects(CommandContext& ctx, const EffectState& state, AofEmitter& out) {
  // The effect function of the command propagated last (nullptr: its arguments are logged): a
  // client's writes are mostly one command over and over. Remembered by name, not spec, as
  // specs belong to one server.
  static thread_local NameMemo<EffectFn> last;
  std::string_view name = ctx.spec.name;
  EffectFn fn;
  if (last.Matches(name)) {
    fn = last.value;
  } else {
    auto it = Effects().find(name);
    fn = it == Effects().end() ? nullptr : it->second;
    last.Remember(name, fn);
  }
  return fn != nullptr && fn(ctx, state, out);
}

}  // namespace sluice
