// Stream commands: the append-only log (XADD, XRANGE, XREAD ...) and consumer groups
// (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), Redis 7.0's log-based queue.
#include <algorithm>
#include <charconv>
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
#include "server/types/serialize.h"
#include "server/types/stream.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";
// XREAD/XREADGROUP BLOCK without COUNT never hand a woken client more than this many entries.
constexpr int64_t kBlockedDefaultCount = 1000;

// --- helpers ---------------------------------------------------------------------------------

Stream* FindStream(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  Object* obj = FindTyped(ctx, key, ObjType::kStream, wrong_type);
  return obj == nullptr ? nullptr : &obj->As<StreamObject>()->stream();
}

void Notify(CommandContext& ctx, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(ctx.server, kNotifyStream, event, key, ctx.db.index());
}

// Replies an error for a malformed ID; false then.
bool ParseIdOrReply(CommandContext& ctx, std::string_view text, StreamID* id, bool strict,
                    uint64_t missing_seq = 0) {
  if (ParseStreamID(text, missing_seq, strict, id)) return true;
  ctx.reply.Error(kInvalidId);
  return false;
}

// A range bound: an ID, "-"/"+", or "(" followed by a strict ID for an exclusive bound (turned
// into the inclusive neighbour here).
bool ParseRangeBound(CommandContext& ctx, std::string_view text, bool is_start, StreamID* id) {
  bool exclusive = text.size() > 1 && text[0] == '(';
  if (exclusive) text.remove_prefix(1);
  if (!ParseIdOrReply(ctx, text, id, exclusive, is_start ? 0 : UINT64_MAX)) return false;
  if (!exclusive) return true;
  if (is_start ? !id->Increment() : !id->Decrement()) {
    ctx.reply.Error(is_start ? "ERR invalid start ID for the interval"
                             : "ERR invalid end ID for the interval");
    return false;
  }
  return true;
}

bool ParseInt64OrReply(CommandContext& ctx, std::string_view text, int64_t* out,
                       std::string_view error = errors::kNotInteger) {
  if (ParseInt64(text, out)) return true;
  ctx.reply.Error(error);
  return false;
}

void ReplyId(ReplyBuilder& reply, const StreamID& id) {
  // Each number takes at most 20 digits.
  char buf[48];
  char* end = std::to_chars(buf, buf + 20, id.ms).ptr;
  end[0] = '-';
  end = std::to_chars(end + 1, end + 21, id.seq).ptr;
  reply.Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void ReplyEntry(ReplyBuilder& reply, const StreamID& id, const Stream::FieldValues& fvs) {
  reply.ArrayHeader(2);
  ReplyId(reply, id);
  reply.ArrayHeader(fvs.size());
  for (std::string_view s : fvs) reply.Bulk(s);
}

// Replies written while the element count is still unknown: they go to a side buffer and are
// emitted after their header.
class DeferredArray {
 public:
  explicit DeferredArray(ReplyBuilder& reply) : reply_(reply), saved_(reply.output()) {
    reply_.set_output(&buffer_);
  }
  void Finish(size_t n, bool as_map = false) {
    reply_.set_output(saved_);
    if (as_map) {
      reply_.MapHeader(n);
    } else {
      reply_.ArrayHeader(n);
    }
    reply_.Raw(buffer_);
  }
  // Drops what was collected and writes nothing.
  void Discard() { reply_.set_output(saved_); }

 private:
  ReplyBuilder& reply_;
  std::string* saved_;
  std::string buffer_;
};

// Replies one entry if it exists (as an [id, fields] pair); false otherwise.
bool ReplySingleEntry(ReplyBuilder& reply, const Stream& s, const StreamID& id) {
  bool found = false;
  s.Scan(id, id, false, [&](const StreamID& eid, const Stream::FieldValues& fvs) {
    ReplyEntry(reply, eid, fvs);
    found = true;
    return false;
  });
  return found;
}

size_t NodeMaxBytes(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.config().GetInt("stream-node-max-bytes"));
}
size_t NodeMaxEntries(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.config().GetInt("stream-node-max-entries"));
}

// An attempted read or claim by a consumer that exists: XINFO CONSUMERS' idle time restarts
// (Redis 7.2; the consumer itself is still created only when served, as in Redis 7.0).
StreamConsumer* TouchConsumer(CommandContext& ctx, StreamGroup* group, std::string_view name) {
  StreamConsumer* consumer = group->FindConsumer(name);
  if (consumer != nullptr) consumer->seen_time = ctx.now_ms;
  return consumer;
}

StreamConsumer* LookupOrCreateConsumer(CommandContext& ctx, StreamGroup* group,
                                       std::string_view name, std::string_view key) {
  StreamConsumer* consumer = group->FindConsumer(name);
  if (consumer == nullptr) {
    consumer = group->CreateConsumer(name, ctx.now_ms);
    Notify(ctx, "xgroup-createconsumer", key);
  }
  consumer->seen_time = ctx.now_ms;
  return consumer;
}

// --- XADD / XTRIM ------------------------------------------------------------------------------

struct AddTrimArgs {
  StreamTrim trim;
  bool nomkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamID id;
  size_t id_pos = 0;  // XADD: where the ID (or "*") is; argc when missing
};

bool ParseAddOrTrim(CommandContext& ctx, bool xadd, AddTrimArgs* out) {
  bool limit_given = false;
  size_t argc = ctx.argc();
  size_t i = 2;
  for (; i < argc; ++i) {
    size_t more = argc - 1 - i;
    std::string_view opt = ctx.arg(i);
    if (xadd && opt == "*") {
      break;
    } else if ((EqualsIgnoreCase(opt, "MAXLEN") || EqualsIgnoreCase(opt, "MINID")) && more > 0) {
      bool maxlen = EqualsIgnoreCase(opt, "MAXLEN");
      if (out->trim.strategy != StreamTrim::Strategy::kNone) {
        ctx.reply.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      out->trim.approx = false;
      std::string_view next = ctx.arg(i + 1);
      if (more >= 2 && next == "~") {
        out->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        int64_t n;
        if (!ParseInt64OrReply(ctx, ctx.arg(i + 1), &n)) return false;
        if (n < 0) {
          ctx.reply.Error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        out->trim.maxlen = static_cast<uint64_t>(n);
        out->trim.strategy = StreamTrim::Strategy::kMaxLen;
      } else {
        if (!ParseIdOrReply(ctx, ctx.arg(i + 1), &out->trim.minid, true)) return false;
        out->trim.strategy = StreamTrim::Strategy::kMinId;
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "LIMIT") && more > 0) {
      if (!ParseInt64OrReply(ctx, ctx.arg(i + 1), &out->trim.limit)) return false;
      if (out->trim.limit < 0) {
        ctx.reply.Error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "NOMKSTREAM")) {
      out->nomkstream = true;
    } else if (xadd) {
      if (!ParseStreamID(opt, 0, true, &out->id, &out->seq_given)) {
        ctx.reply.Error(kInvalidId);
        return false;
      }
      out->id_given = true;
      break;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  out->id_pos = i;
  if (out->trim.limit != 0 && out->trim.strategy == StreamTrim::Strategy::kNone) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && out->trim.strategy == StreamTrim::Strategy::kNone) {
    ctx.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limit_given) {
    if (!out->trim.approx) {
      ctx.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (out->trim.approx) {
    // Approximate trimming does a bounded amount of work per call unless told otherwise.
    int64_t entries = ctx.server.config().GetInt("stream-node-max-entries");
    out->trim.limit = entries > 0 && entries <= INT64_MAX / 100 ? entries * 100 : 10000;
  } else {
    out->trim.limit = 0;
  }
  return true;
}

// XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value
// [field value ...]
void CmdXAdd(CommandContext& ctx) {
  AddTrimArgs args;
  if (!ParseAddOrTrim(ctx, true, &args)) return;
  size_t field_pos = args.id_pos + 1;
  if (field_pos > ctx.argc() || ctx.argc() - field_pos < 2 || (ctx.argc() - field_pos) % 2 != 0) {
    ctx.reply.Error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (args.id_given && args.seq_given && args.id.IsZero()) {
    ctx.reply.Error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  std::string_view key = ctx.arg(1);
  bool wrong_type;
  Stream* s = FindStream(ctx, key, &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) {
    if (args.nomkstream) {
      ctx.unchanged = true;
      ctx.reply.Null();
      return;
    }
    s = &ctx.db.Put(key, Object(std::make_unique<StreamObject>())).As<StreamObject>()->stream();
  }
  const StreamID& last = s->last_id();
  if (last.IsMax()) {
    ctx.reply.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamID id;
  if (!args.id_given) {
    uint64_t now = static_cast<uint64_t>(ctx.now_ms);
    if (now > last.ms) {
      id = {now, 0};
    } else {
      id = last;
      id.Increment();
    }
  } else if (!args.seq_given && args.id.ms == last.ms) {
    if (last.seq == UINT64_MAX) {
      ctx.reply.Error("ERR Elements are too large to be stored");
      return;
    }
    id = {last.ms, last.seq + 1};
  } else {
    id = args.id;
  }
  if (id <= last) {
    ctx.reply.Error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    return;
  }
  s->Append(id, ctx.args.subspan(field_pos), NodeMaxBytes(ctx), NodeMaxEntries(ctx));
  ReplyId(ctx.reply, id);
  Notify(ctx, "xadd", key);
  if (args.trim.strategy != StreamTrim::Strategy::kNone && s->Trim(args.trim) > 0) {
    Notify(ctx, "xtrim", key);
  }
}

// XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]
void CmdXTrim(CommandContext& ctx) {
  AddTrimArgs args;
  if (!ParseAddOrTrim(ctx, false, &args)) return;
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  int64_t removed = s == nullptr ? 0 : s->Trim(args.trim);
  if (removed == 0) {
    ctx.unchanged = true;
  } else {
    Notify(ctx, "xtrim", ctx.arg(1));
  }
  ctx.reply.Integer(removed);
}

// XDEL key id [id ...]
void CmdXDel(CommandContext& ctx) {
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) {
    ctx.unchanged = true;
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (!ParseIdOrReply(ctx, ctx.arg(i), &ids[i - 2], true)) return;
  }
  int64_t deleted = 0;
  bool first_gone = false;
  for (const StreamID& id : ids) {
    if (!s->Delete(id)) continue;
    if (id == s->first_id()) first_gone = true;
    s->RecordDeletion(id);
    ++deleted;
  }
  if (deleted > 0) {
    if (s->length() == 0 || first_gone) s->RefreshFirstId();
    Notify(ctx, "xdel", ctx.arg(1));
  } else {
    ctx.unchanged = true;
  }
  ctx.reply.Integer(deleted);
}

// XLEN key
void CmdXLen(CommandContext& ctx) {
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(s == nullptr ? 0 : static_cast<int64_t>(s->length()));
}

// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
void RangeGeneric(CommandContext& ctx, bool reverse) {
  std::string_view start_arg = reverse ? ctx.arg(3) : ctx.arg(2);
  std::string_view end_arg = reverse ? ctx.arg(2) : ctx.arg(3);
  StreamID start, end;
  if (!ParseRangeBound(ctx, start_arg, true, &start)) return;
  if (!ParseRangeBound(ctx, end_arg, false, &end)) return;
  int64_t count = -1;
  for (size_t j = 4; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
      if (!ParseInt64OrReply(ctx, ctx.arg(j + 1), &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  if (count == 0) {
    ctx.reply.NullArray();
    return;
  }
  DeferredArray out(ctx.reply);
  size_t n = 0;
  s->Scan(start, end, reverse, [&](const StreamID& id, const Stream::FieldValues& fvs) {
    ReplyEntry(ctx.reply, id, fvs);
    ++n;
    return count < 0 || n < static_cast<size_t>(count);
  });
  out.Finish(n);
}

// XRANGE key start end [COUNT count]
void CmdXRange(CommandContext& ctx) { RangeGeneric(ctx, false); }
// XREVRANGE key end start [COUNT count]
void CmdXRevRange(CommandContext& ctx) { RangeGeneric(ctx, true); }

// --- XREAD / XREADGROUP ------------------------------------------------------------------------

// Replies the entries after `after` (at most `count`, 0 for all) and, for a group read, records
// them as delivered: the group's last ID moves and each entry joins the consumer's pending list
// (taking it over from another consumer if an XGROUP SETID made it deliverable twice).
size_t ReplyNewEntries(CommandContext& ctx, Stream& s, const StreamID& after, size_t count,
                       StreamGroup* group, StreamConsumer* consumer, bool noack) {
  StreamID start = after;
  if (!start.Increment()) {
    ctx.reply.EmptyArray();
    return 0;
  }
  DeferredArray out(ctx.reply);
  size_t n = 0;
  // Collect IDs first: group bookkeeping must not run while the stream is being scanned.
  std::vector<StreamID> delivered;
  s.Scan(start, StreamID::Max(), false, [&](const StreamID& id, const Stream::FieldValues& fvs) {
    ReplyEntry(ctx.reply, id, fvs);
    if (group != nullptr) delivered.push_back(id);
    ++n;
    return count == 0 || n < count;
  });
  out.Finish(n);
  // Entries taken into the pending list make the read a successful interaction (NOACK reads do
  // not count, as in Redis).
  if (!noack && !delivered.empty()) consumer->active_time = ctx.now_ms;
  for (const StreamID& id : delivered) {
    s.AdvanceGroup(group, id);
    if (noack) continue;
    StreamNack** existing = group->pel.Find(id);
    if (existing == nullptr) {
      group->AddPending(id, consumer, ctx.now_ms);
    } else {
      StreamNack* nack = *existing;
      group->Reassign(id, nack, consumer);
      nack->delivery_time = ctx.now_ms;
      nack->delivery_count = 1;
    }
  }
  return n;
}

// A consumer reading its own history: its pending entries after `after`, with a nil body for
// entries deleted since; each one served counts as a new delivery.
void ReplyConsumerHistory(CommandContext& ctx, const Stream& s, const StreamID& after, size_t count,
                          StreamConsumer* consumer) {
  StreamID start = after;
  start.Increment();
  DeferredArray out(ctx.reply);
  size_t n = 0;
  for (auto it = consumer->pel.LowerBound(start); it.valid() && (count == 0 || n < count);
       it.Next()) {
    if (ReplySingleEntry(ctx.reply, s, it.key())) {
      it.value()->delivery_time = ctx.now_ms;
      it.value()->delivery_count++;
    } else {
      ctx.reply.ArrayHeader(2);
      ReplyId(ctx.reply, it.key());
      ctx.reply.NullArray();
    }
    ++n;
  }
  out.Finish(n);
}

struct ReadArgs {
  int64_t timeout = -1;  // ms; -1: no BLOCK
  int64_t count = 0;
  bool count_given = false;
  size_t streams_arg = 0;
  size_t streams = 0;
  bool noack = false;
  bool has_group = false;
  std::string_view group;
  std::string_view consumer;
};

// A script holds the clock still for its whole run (as does replaying the append-only log,
// which never carries a BLOCK read): the sign that a command came from redis.call.
bool CalledFromScript(const CommandContext& ctx) {
  return !ctx.may_block && ctx.server.pinned_clock() >= 0 && !ctx.server.loading();
}

bool ParseReadArgs(CommandContext& ctx, bool group_cmd, ReadArgs* out) {
  for (size_t i = 1; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - i - 1;
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "BLOCK") && more > 0) {
      // Inside MULTI a BLOCK read times out at once; from a script Redis refuses it outright,
      // naming the command as the script spelled it.
      if (CalledFromScript(ctx)) {
        ctx.reply.Error("ERR " + std::string(ctx.arg(0)) +
                        " command is not allowed with BLOCK option from scripts");
        return false;
      }
      ++i;
      int64_t ms;
      if (!ParseInt64OrReply(ctx, ctx.arg(i), &ms,
                             "ERR timeout is not an integer or out of range")) {
        return false;
      }
      if (ms < 0) {
        ctx.reply.Error("ERR timeout is negative");
        return false;
      }
      if (ms > 0 && ms > INT64_MAX - ctx.now_ms) {
        ctx.reply.Error("ERR timeout is out of range");
        return false;
      }
      out->timeout = ms;
    } else if (EqualsIgnoreCase(opt, "COUNT") && more > 0) {
      ++i;
      if (!ParseInt64OrReply(ctx, ctx.arg(i), &out->count)) return false;
      if (out->count < 0) out->count = 0;
      out->count_given = true;
    } else if (EqualsIgnoreCase(opt, "STREAMS") && more > 0) {
      out->streams_arg = i + 1;
      size_t n = ctx.argc() - out->streams_arg;
      if (n % 2 != 0) {
        // Redis 7.0 words it the same way for XREADGROUP.
        ctx.reply.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      out->streams = n / 2;
      break;
    } else if (EqualsIgnoreCase(opt, "GROUP") && more >= 2) {
      if (!group_cmd) {
        ctx.reply.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      out->has_group = true;
      out->group = ctx.arg(i + 1);
      out->consumer = ctx.arg(i + 2);
      i += 2;
    } else if (EqualsIgnoreCase(opt, "NOACK")) {
      if (!group_cmd) {
        ctx.reply.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      out->noack = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (out->streams_arg == 0) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  if (group_cmd && !out->has_group) {
    ctx.reply.Error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  return true;
}

// A blocked reader woken by a change to `key`: serves that key only, as Redis does.
void ServeWokenReader(CommandContext& ctx, const ReadArgs& args, bool group_cmd,
                      const std::string& key, const std::vector<std::string_view>& keys) {
  size_t index = 0;
  while (index < args.streams && ctx.arg(args.streams_arg + index) != key) ++index;
  Object* obj = index < args.streams ? ctx.db.Find(key, ctx.now_ms) : nullptr;
  Stream* s = obj != nullptr && obj->type() == ObjType::kStream ? &obj->As<StreamObject>()->stream()
                                                                : nullptr;
  if (s == nullptr) {
    if (group_cmd && index < args.streams) {
      ctx.reply.Error("UNBLOCKED the stream key no longer exists");
      return;
    }
    ctx.server.blocking().Block(ctx, keys, 0);
    return;
  }
  StreamGroup* group = nullptr;
  StreamID after;
  if (group_cmd) {
    group = s->FindGroup(args.group);
    if (group == nullptr) {
      ctx.reply.Error("NOGROUP the consumer group this client was blocked on no longer exists");
      return;
    }
    after = group->last_id;
  } else if (!ParseStreamID(ctx.arg(args.streams_arg + args.streams + index), 0, true, &after)) {
    after = StreamID::Max();
  }
  if (s->last_id() <= after) {
    if (group != nullptr) TouchConsumer(ctx, group, args.consumer);
    ctx.server.blocking().Block(ctx, keys, 0);
    return;
  }
  StreamConsumer* consumer = nullptr;
  if (group != nullptr) consumer = LookupOrCreateConsumer(ctx, group, args.consumer, key);
  if (ctx.session.resp3()) {
    ctx.reply.MapHeader(1);
  } else {
    ctx.reply.ArrayHeader(1);
    ctx.reply.ArrayHeader(2);
  }
  ctx.reply.Bulk(key);
  ReplyNewEntries(ctx, *s, after, static_cast<size_t>(args.count), group, consumer, args.noack);
}

void ReadGeneric(CommandContext& ctx, bool group_cmd) {
  ReadArgs args;
  if (!ParseReadArgs(ctx, group_cmd, &args)) return;
  // Only the key-ready path of the blocking machinery changes state; reads never disturb
  // WATCH, as in Redis.
  ctx.unchanged = true;
  std::vector<std::string_view> keys(
      ctx.args.begin() + static_cast<long>(args.streams_arg),
      ctx.args.begin() + static_cast<long>(args.streams_arg + args.streams));
  if (const std::string* woken = ctx.server.blocking().WakingKey(&ctx.session)) {
    ServeWokenReader(ctx, args, group_cmd, *woken, keys);
    return;
  }
  std::vector<StreamID> ids(args.streams);
  std::vector<StreamGroup*> groups(args.streams, nullptr);
  std::vector<Stream*> streams(args.streams, nullptr);
  for (size_t i = 0; i < args.streams; ++i) {
    std::string_view key = keys[i];
    std::string_view id_arg = ctx.arg(args.streams_arg + args.streams + i);
    bool wrong_type;
    streams[i] = FindStream(ctx, key, &wrong_type);
    if (wrong_type) return;
    if (group_cmd) {
      if (streams[i] == nullptr || (groups[i] = streams[i]->FindGroup(args.group)) == nullptr) {
        ctx.reply.Error("NOGROUP No such key '" + std::string(key) + "' or consumer group '" +
                        std::string(args.group) + "' in XREADGROUP with GROUP option");
        return;
      }
    }
    if (id_arg == "$") {
      if (group_cmd) {
        ctx.reply.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
        return;
      }
      ids[i] = streams[i] != nullptr ? streams[i]->last_id() : StreamID::Min();
    } else if (id_arg == ">") {
      if (!group_cmd) {
        ctx.reply.Error(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
            "<group> <consumer> option.");
        return;
      }
      ids[i] = StreamID::Max();
    } else if (id_arg == "+") {
      // Redis 7.4: "+" reads the last entry of each stream.
      if (group_cmd) {
        ctx.reply.Error(
            "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The + ID would just return an empty result set.");
        return;
      }
      StreamID last;
      if (streams[i] != nullptr && streams[i]->LastEntryId(&last)) {
        last.Decrement();  // never 0-0 itself: entry IDs are above it
        ids[i] = last;
      } else {
        ids[i] = StreamID::Min();
      }
    } else if (!ParseIdOrReply(ctx, id_arg, &ids[i], true)) {
      return;
    }
  }
  DeferredArray out(ctx.reply);
  size_t served = 0;
  for (size_t i = 0; i < args.streams; ++i) {
    Stream* s = streams[i];
    if (s == nullptr) continue;
    StreamID after = ids[i];
    bool serve = false;
    bool history = false;
    StreamConsumer* consumer = nullptr;
    StreamID last_valid;
    if (group_cmd) {
      if (!after.IsMax()) {
        serve = history = true;
      } else if (s->length() > 0 && s->LastEntryId(&last_valid) &&
                 last_valid > groups[i]->last_id) {
        serve = true;
        after = groups[i]->last_id;
      }
    } else if (s->length() > 0 && s->LastEntryId(&last_valid) && last_valid > after) {
      serve = true;
    }
    if (!serve) {
      if (group_cmd) TouchConsumer(ctx, groups[i], args.consumer);
      continue;
    }
    // The consumer comes into existence when it is first served, not when it waits.
    if (group_cmd) consumer = LookupOrCreateConsumer(ctx, groups[i], args.consumer, keys[i]);
    ++served;
    if (!ctx.session.resp3()) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(keys[i]);
    if (history) {
      ReplyConsumerHistory(ctx, *s, after, static_cast<size_t>(args.count), consumer);
    } else {
      ReplyNewEntries(ctx, *s, after, static_cast<size_t>(args.count), groups[i], consumer,
                      args.noack);
    }
  }
  if (served > 0) {
    out.Finish(served, ctx.session.resp3());
    return;
  }
  out.Discard();
  if (args.timeout < 0 || !ctx.may_block) {
    ctx.reply.NullArray();
    return;
  }
  // Re-runs must wait for entries after the IDs resolved now ("$" is the last ID at this
  // moment, not at wake-up) and never hand over more than the default batch.
  std::vector<std::string> rerun;
  rerun.emplace_back(ctx.arg(0));
  if (group_cmd) {
    rerun.insert(rerun.end(), {"GROUP", std::string(args.group), std::string(args.consumer)});
    if (args.noack) rerun.emplace_back("NOACK");
  }
  rerun.emplace_back("COUNT");
  rerun.push_back(std::to_string(args.count > 0 ? args.count : kBlockedDefaultCount));
  rerun.emplace_back("BLOCK");
  rerun.push_back(std::to_string(args.timeout));
  rerun.emplace_back("STREAMS");
  for (std::string_view key : keys) rerun.emplace_back(key);
  for (size_t i = 0; i < args.streams; ++i) {
    rerun.push_back(group_cmd ? std::string(">") : ids[i].ToString());
  }
  int64_t deadline = args.timeout == 0 ? 0 : ctx.now_ms + args.timeout;
  ctx.server.blocking().Block(ctx, keys, deadline, std::move(rerun));
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
void CmdXRead(CommandContext& ctx) { ReadGeneric(ctx, false); }
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...]
// id [id ...]
void CmdXReadGroup(CommandContext& ctx) { ReadGeneric(ctx, true); }

// Keys of XREAD/XREADGROUP: the first half of what follows STREAMS.
void StreamsKeys(ArgList args, std::vector<size_t>* out) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "STREAMS")) {
      size_t n = (args.size() - i - 1) / 2;
      for (size_t k = 0; k < n; ++k) out->push_back(i + 1 + k);
      return;
    }
    // Option values may read "STREAMS" too: skip them.
    if (EqualsIgnoreCase(args[i], "COUNT") || EqualsIgnoreCase(args[i], "BLOCK")) {
      ++i;
    } else if (EqualsIgnoreCase(args[i], "GROUP")) {
      i += 2;
    }
  }
}

// --- XACK / XPENDING / XCLAIM / XAUTOCLAIM -----------------------------------------------------

// XACK key group id [id ...]
void CmdXAck(CommandContext& ctx) {
  ctx.unchanged = true;
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  StreamGroup* group = s == nullptr ? nullptr : s->FindGroup(ctx.arg(2));
  if (group == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.argc() - 3);
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (!ParseIdOrReply(ctx, ctx.arg(i), &ids[i - 3], true)) return;
  }
  int64_t acked = 0;
  for (const StreamID& id : ids) acked += group->Ack(id) ? 1 : 0;
  ctx.reply.Integer(acked);
}

std::string NoGroupError(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void CmdXPending(CommandContext& ctx) {
  size_t argc = ctx.argc();
  bool summary = argc == 3;
  if (argc != 3 && (argc < 6 || argc > 9)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  StreamID start, end;
  int64_t count = 0, min_idle = 0;
  std::string_view consumer_name;
  bool with_consumer = false;
  if (argc >= 6) {
    size_t at = 3;
    if (EqualsIgnoreCase(ctx.arg(3), "IDLE")) {
      if (!ParseInt64OrReply(ctx, ctx.arg(4), &min_idle)) return;
      if (argc < 8) {
        ctx.reply.Error(errors::kSyntax);
        return;
      }
      at += 2;
    }
    if (!ParseInt64OrReply(ctx, ctx.arg(at + 2), &count)) return;
    if (count < 0) count = 0;
    if (!ParseRangeBound(ctx, ctx.arg(at), true, &start)) return;
    if (!ParseRangeBound(ctx, ctx.arg(at + 1), false, &end)) return;
    if (at + 3 < argc) {
      with_consumer = true;
      consumer_name = ctx.arg(at + 3);
    }
  }
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  StreamGroup* group = s == nullptr ? nullptr : s->FindGroup(ctx.arg(2));
  if (group == nullptr) {
    ctx.reply.Error(NoGroupError(ctx.arg(1), ctx.arg(2)));
    return;
  }
  if (summary) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<int64_t>(group->pel.size()));
    if (group->pel.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return;
    }
    ReplyId(ctx.reply, group->pel.Begin().key());
    ReplyId(ctx.reply, group->pel.Last().key());
    size_t with_pending = 0;
    for (const auto& [name, consumer] : group->consumers) {
      if (!consumer->pel.empty()) ++with_pending;
    }
    ctx.reply.ArrayHeader(with_pending);
    for (const auto& [name, consumer] : group->consumers) {
      if (consumer->pel.empty()) continue;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(std::to_string(consumer->pel.size()));
    }
    return;
  }
  const StreamPel* pel = &group->pel;
  if (with_consumer) {
    StreamConsumer* consumer = group->FindConsumer(consumer_name);
    if (consumer == nullptr) {
      ctx.reply.EmptyArray();
      return;
    }
    pel = &consumer->pel;
  }
  DeferredArray out(ctx.reply);
  size_t n = 0;
  for (auto it = pel->LowerBound(start); count > 0 && it.valid() && it.key() <= end; it.Next()) {
    const StreamNack* nack = it.value();
    int64_t idle = ctx.now_ms - nack->delivery_time;
    if (min_idle != 0 && idle < min_idle) continue;
    ++n;
    --count;
    ctx.reply.ArrayHeader(4);
    ReplyId(ctx.reply, it.key());
    ctx.reply.Bulk(nack->consumer->name);
    ctx.reply.Integer(idle < 0 ? 0 : idle);
    ctx.reply.Integer(static_cast<int64_t>(nack->delivery_count));
  }
  out.Finish(n);
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
void CmdXClaim(CommandContext& ctx) {
  ctx.unchanged = true;
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  StreamGroup* group = s == nullptr ? nullptr : s->FindGroup(ctx.arg(2));
  if (group == nullptr) {
    ctx.reply.Error(NoGroupError(ctx.arg(1), ctx.arg(2)));
    return;
  }
  int64_t min_idle;
  if (!ParseInt64OrReply(ctx, ctx.arg(4), &min_idle,
                         "ERR Invalid min-idle-time argument for XCLAIM")) {
    return;
  }
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamID> ids;
  size_t j = 5;
  for (; j < ctx.argc(); ++j) {
    StreamID id;
    if (!ParseStreamID(ctx.arg(j), 0, true, &id)) break;
    ids.push_back(id);
  }
  int64_t now = ctx.now_ms;
  int64_t delivery_time = -1;
  int64_t retry_count = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.argc(); ++j) {
    size_t more = ctx.argc() - 1 - j;
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "FORCE")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "JUSTID")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "IDLE") && more > 0) {
      int64_t idle;
      if (!ParseInt64OrReply(ctx, ctx.arg(++j), &idle,
                             "ERR Invalid IDLE option argument for XCLAIM")) {
        return;
      }
      delivery_time = now - idle;
    } else if (EqualsIgnoreCase(opt, "TIME") && more > 0) {
      if (!ParseInt64OrReply(ctx, ctx.arg(++j), &delivery_time,
                             "ERR Invalid TIME option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "RETRYCOUNT") && more > 0) {
      if (!ParseInt64OrReply(ctx, ctx.arg(++j), &retry_count,
                             "ERR Invalid RETRYCOUNT option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "LASTID") && more > 0) {
      if (!ParseIdOrReply(ctx, ctx.arg(++j), &last_id, true)) return;
    } else {
      ctx.reply.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
      return;
    }
  }
  if (last_id > group->last_id) group->last_id = last_id;
  // A bogus time (future, negative) means "now": clients compute it from their own clocks.
  if (delivery_time < 0 || delivery_time > now) delivery_time = now;
  StreamConsumer* consumer = TouchConsumer(ctx, group, ctx.arg(3));
  DeferredArray out(ctx.reply);
  size_t n = 0;
  for (const StreamID& id : ids) {
    StreamNack** found = group->pel.Find(id);
    if (!s->Contains(id)) {
      // The entry is gone: so is any claim on it.
      if (found != nullptr) group->Ack(id);
      continue;
    }
    StreamNack* nack = found != nullptr ? *found : nullptr;
    bool created = false;
    if (nack == nullptr) {
      if (!force) continue;
      nack = group->AddPending(id, nullptr, now);
      created = true;
    }
    if (!created && min_idle != 0 && now - nack->delivery_time < min_idle) continue;
    if (consumer == nullptr) {
      consumer = group->CreateConsumer(ctx.arg(3), now);
      Notify(ctx, "xgroup-createconsumer", ctx.arg(1));
    }
    consumer->active_time = now;
    group->Reassign(id, nack, consumer);
    nack->delivery_time = delivery_time;
    if (retry_count >= 0) {
      nack->delivery_count = static_cast<uint64_t>(retry_count);
    } else if (!justid) {
      nack->delivery_count++;
    }
    if (justid) {
      ReplyId(ctx.reply, id);
    } else if (!ReplySingleEntry(ctx.reply, *s, id)) {
      ctx.reply.Null();
    }
    ++n;
  }
  out.Finish(n);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void CmdXAutoClaim(CommandContext& ctx) {
  ctx.unchanged = true;
  int64_t min_idle;
  if (!ParseInt64OrReply(ctx, ctx.arg(4), &min_idle,
                         "ERR Invalid min-idle-time argument for XAUTOCLAIM")) {
    return;
  }
  if (min_idle < 0) min_idle = 0;
  StreamID start;
  if (!ParseRangeBound(ctx, ctx.arg(5), true, &start)) return;
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < ctx.argc(); ++j) {
    size_t more = ctx.argc() - 1 - j;
    if (EqualsIgnoreCase(ctx.arg(j), "COUNT") && more > 0) {
      int64_t v;
      if (!ParseInt64(ctx.arg(j + 1), &v) || v < 1 || v > LONG_MAX / 16) {
        ctx.reply.Error("ERR COUNT must be > 0");
        return;
      }
      count = v;
      ++j;
    } else if (EqualsIgnoreCase(ctx.arg(j), "JUSTID")) {
      justid = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  StreamGroup* group = s == nullptr ? nullptr : s->FindGroup(ctx.arg(2));
  if (group == nullptr) {
    ctx.reply.Error(NoGroupError(ctx.arg(1), ctx.arg(2)));
    return;
  }
  int64_t attempts = count * kAttemptsFactor;
  int64_t now = ctx.now_ms;
  StreamConsumer* consumer = TouchConsumer(ctx, group, ctx.arg(3));
  std::vector<StreamID> deleted;
  std::string claimed_replies;
  std::string* saved = ctx.reply.output();
  ctx.reply.set_output(&claimed_replies);
  size_t claimed = 0;
  auto it = group->pel.LowerBound(start);
  while (attempts-- > 0 && count > 0 && it.valid()) {
    StreamID id = it.key();
    StreamNack* nack = it.value();
    if (!s->Contains(id)) {
      // Dropped records are reported too, so they count against COUNT (the reply's size).
      group->Ack(id);
      deleted.push_back(id);
      --count;
      it = group->pel.LowerBound(id);
      continue;
    }
    if (min_idle != 0 && now - nack->delivery_time < min_idle) {
      it.Next();
      continue;
    }
    if (consumer == nullptr) {
      consumer = group->CreateConsumer(ctx.arg(3), now);
      Notify(ctx, "xgroup-createconsumer", ctx.arg(1));
    }
    consumer->active_time = now;
    group->Reassign(id, nack, consumer);
    nack->delivery_time = now;
    if (!justid) nack->delivery_count++;
    if (justid) {
      ReplyId(ctx.reply, id);
    } else {
      ReplySingleEntry(ctx.reply, *s, id);
    }
    ++claimed;
    --count;
    it.Next();
  }
  ctx.reply.set_output(saved);
  ctx.reply.ArrayHeader(3);
  ReplyId(ctx.reply, it.valid() ? it.key() : StreamID::Min());
  ctx.reply.ArrayHeader(claimed);
  ctx.reply.Raw(claimed_replies);
  ctx.reply.ArrayHeader(deleted.size());
  for (const StreamID& id : deleted) ReplyId(ctx.reply, id);
}

// --- XSETID ------------------------------------------------------------------------------------

// XSETID key last-id [ENTRIESADDED entries_added] [MAXDELETEDID max_deleted_entry_id]
void CmdXSetId(CommandContext& ctx) {
  ctx.unchanged = true;
  StreamID id, max_deleted;
  int64_t entries_added = -1;
  if (!ParseIdOrReply(ctx, ctx.arg(2), &id, true)) return;
  for (size_t i = 3; i < ctx.argc();) {
    size_t more = ctx.argc() - 1 - i;
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "ENTRIESADDED") && more > 0) {
      if (!ParseInt64OrReply(ctx, ctx.arg(i + 1), &entries_added)) return;
      if (entries_added < 0) {
        ctx.reply.Error("ERR entries_added must be positive");
        return;
      }
      i += 2;
    } else if (EqualsIgnoreCase(opt, "MAXDELETEDID") && more > 0) {
      if (!ParseIdOrReply(ctx, ctx.arg(i + 1), &max_deleted, true)) return;
      if (id < max_deleted) {
        ctx.reply.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
      i += 2;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) {
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  if (s->length() > 0) {
    StreamID top;
    if (s->LastEntryId(&top) && id < top) {
      ctx.reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added)) {
      ctx.reply.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(static_cast<uint64_t>(entries_added));
  if (!max_deleted.IsZero()) s->set_max_deleted_id(max_deleted);
  ctx.reply.Ok();
  Notify(ctx, "xsetid", ctx.arg(1));
}

// --- XGROUP ------------------------------------------------------------------------------------

// Finds the stream for an XGROUP subcommand, replying the errors Redis gives when the key is
// missing (unless `may_create`) or of another type.
bool GroupStream(CommandContext& ctx, bool may_create, Stream** s) {
  bool wrong_type;
  *s = FindStream(ctx, ctx.arg(2), &wrong_type);
  if (wrong_type) return false;
  if (*s == nullptr && !may_create) {
    ctx.reply.Error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
    return false;
  }
  return true;
}

StreamGroup* ExistingGroup(CommandContext& ctx, Stream* s) {
  StreamGroup* group = s->FindGroup(ctx.arg(3));
  if (group == nullptr) {
    ctx.reply.Error("NOGROUP No such consumer group '" + std::string(ctx.arg(3)) +
                    "' for key name '" + std::string(ctx.arg(2)) + "'");
  }
  return group;
}

// Redis names the subcommand as it was typed.
void ReplySubcommandSyntaxError(CommandContext& ctx, std::string_view container) {
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.arg(1).substr(0, 128)) + "'. Try " + std::string(container) +
                  " HELP.");
}

// Parses XGROUP CREATE/SETID's trailing options from index 5.
bool ParseGroupOptions(CommandContext& ctx, bool create, bool* mkstream, int64_t* entries_read) {
  for (size_t i = 5; i < ctx.argc();) {
    if (create && EqualsIgnoreCase(ctx.arg(i), "MKSTREAM")) {
      *mkstream = true;
      ++i;
    } else if (EqualsIgnoreCase(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc()) {
      if (!ParseInt64OrReply(ctx, ctx.arg(i + 1), entries_read)) return false;
      if (*entries_read < 0 && *entries_read != kEntriesReadUnknown) {
        ctx.reply.Error("ERR value for ENTRIESREAD must be positive or -1");
        return false;
      }
      i += 2;
    } else {
      ReplySubcommandSyntaxError(ctx, "XGROUP");
      return false;
    }
  }
  return true;
}

// XGROUP CREATE key groupname <id | $> [MKSTREAM] [ENTRIESREAD entries_read]
void CmdXGroupCreate(CommandContext& ctx) {
  ctx.unchanged = true;
  bool mkstream = false;
  int64_t entries_read = kEntriesReadUnknown;
  if (!ParseGroupOptions(ctx, true, &mkstream, &entries_read)) return;
  Stream* s;
  if (!GroupStream(ctx, mkstream, &s)) return;
  StreamID id;
  if (ctx.arg(4) == "$") {
    id = s != nullptr ? s->last_id() : StreamID::Min();
  } else if (!ParseIdOrReply(ctx, ctx.arg(4), &id, true)) {
    return;
  }
  std::string_view key = ctx.arg(2);
  if (s == nullptr) {
    s = &ctx.db.Put(key, Object(std::make_unique<StreamObject>())).As<StreamObject>()->stream();
    ctx.unchanged = false;
  }
  if (s->CreateGroup(ctx.arg(3), id, entries_read) == nullptr) {
    ctx.reply.Error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  ctx.reply.Ok();
  Notify(ctx, "xgroup-create", key);
}

// XGROUP SETID key groupname <id | $> [ENTRIESREAD entries_read]
void CmdXGroupSetId(CommandContext& ctx) {
  ctx.unchanged = true;
  bool mkstream = false;
  int64_t entries_read = kEntriesReadUnknown;
  if (!ParseGroupOptions(ctx, false, &mkstream, &entries_read)) return;
  Stream* s;
  if (!GroupStream(ctx, false, &s)) return;
  StreamGroup* group = ExistingGroup(ctx, s);
  if (group == nullptr) return;
  StreamID id;
  if (ctx.arg(4) == "$") {
    id = s->last_id();
  } else if (!ParseIdOrReply(ctx, ctx.arg(4), &id, false)) {
    return;
  }
  group->last_id = id;
  group->entries_read = entries_read;
  ctx.reply.Ok();
  Notify(ctx, "xgroup-setid", ctx.arg(2));
}

// XGROUP DESTROY key groupname
void CmdXGroupDestroy(CommandContext& ctx) {
  ctx.unchanged = true;
  Stream* s;
  if (!GroupStream(ctx, false, &s)) return;
  if (!s->DestroyGroup(ctx.arg(3))) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(1);
  Notify(ctx, "xgroup-destroy", ctx.arg(2));
  // Readers blocked on the group learn that it is gone; WATCH is not disturbed (as in Redis).
  ctx.server.blocking().SignalKeyReady(ctx.db.index(), ctx.arg(2));
}

// XGROUP CREATECONSUMER key groupname consumername
void CmdXGroupCreateConsumer(CommandContext& ctx) {
  ctx.unchanged = true;
  Stream* s;
  if (!GroupStream(ctx, false, &s)) return;
  StreamGroup* group = ExistingGroup(ctx, s);
  if (group == nullptr) return;
  if (group->CreateConsumer(ctx.arg(4), ctx.now_ms) == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(1);
  Notify(ctx, "xgroup-createconsumer", ctx.arg(2));
}

// XGROUP DELCONSUMER key groupname consumername
void CmdXGroupDelConsumer(CommandContext& ctx) {
  ctx.unchanged = true;
  Stream* s;
  if (!GroupStream(ctx, false, &s)) return;
  StreamGroup* group = ExistingGroup(ctx, s);
  if (group == nullptr) return;
  if (group->FindConsumer(ctx.arg(4)) == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(group->DeleteConsumer(ctx.arg(4))));
  Notify(ctx, "xgroup-delconsumer", ctx.arg(2));
}

void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view line : lines) ctx.reply.SimpleString(line);
}

// XGROUP HELP
void CmdXGroupHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "CREATE <key> <groupname> <id|$> [option]",
                     "    Creates a consumer group that starts after <id> ($: the last entry).",
                     "    Options: MKSTREAM (create an empty stream when the key is missing),",
                     "    ENTRIESREAD <n> (how many entries the group has read so far).",
                     "CREATECONSUMER <key> <groupname> <consumer>",
                     "    Adds a consumer to a group unless it exists already.",
                     "DELCONSUMER <key> <groupname> <consumer>",
                     "    Removes a consumer and its pending entries from a group.",
                     "DESTROY <key> <groupname>",
                     "    Removes a consumer group.",
                     "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                     "    Moves the group's last delivered ID.",
                     "HELP",
                     "    Prints this help.",
                 });
}

// --- XINFO -------------------------------------------------------------------------------------

Stream* InfoStream(CommandContext& ctx) {
  bool wrong_type;
  Stream* s = FindStream(ctx, ctx.arg(2), &wrong_type);
  if (wrong_type) return nullptr;
  if (s == nullptr) ctx.reply.Error(errors::kNoSuchKey);
  return s;
}

void ReplyLag(CommandContext& ctx, const Stream& s, const StreamGroup& group) {
  int64_t lag;
  if (s.GroupLag(group, &lag)) {
    ctx.reply.Integer(lag);
  } else {
    ctx.reply.Null();
  }
}

void ReplyEntriesRead(CommandContext& ctx, const StreamGroup& group) {
  if (group.entries_read != kEntriesReadUnknown) {
    ctx.reply.Integer(group.entries_read);
  } else {
    ctx.reply.Null();
  }
}

// XINFO CONSUMERS key groupname
void CmdXInfoConsumers(CommandContext& ctx) {
  Stream* s = InfoStream(ctx);
  if (s == nullptr) return;
  StreamGroup* group = ExistingGroup(ctx, s);
  if (group == nullptr) return;
  ctx.reply.ArrayHeader(group->consumers.size());
  for (const auto& [name, consumer] : group->consumers) {
    int64_t idle = ctx.now_ms - consumer->seen_time;
    ctx.reply.MapHeader(4);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(consumer->pel.size()));
    ctx.reply.Bulk("idle");
    ctx.reply.Integer(idle < 0 ? 0 : idle);
    // Redis 7.2: since the last read or claim that delivered something; -1 for never.
    ctx.reply.Bulk("inactive");
    if (consumer->active_time == kConsumerNeverActive) {
      ctx.reply.Integer(-1);
    } else {
      int64_t inactive = ctx.now_ms - consumer->active_time;
      ctx.reply.Integer(inactive < 0 ? 0 : inactive);
    }
  }
}

// XINFO GROUPS key
void CmdXInfoGroups(CommandContext& ctx) {
  Stream* s = InfoStream(ctx);
  if (s == nullptr) return;
  ctx.reply.ArrayHeader(s->groups().size());
  for (const auto& [name, group] : s->groups()) {
    ctx.reply.MapHeader(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(static_cast<int64_t>(group->consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(group->pel.size()));
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx.reply, group->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *group);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, *s, *group);
  }
}

// XINFO STREAM key [FULL [COUNT count]]
void CmdXInfoStream(CommandContext& ctx) {
  size_t optc = ctx.argc() - 3;
  bool full = optc > 0;
  int64_t count = 10;
  if (full) {
    if ((optc != 1 && optc != 3) || !EqualsIgnoreCase(ctx.arg(3), "FULL") ||
        (optc == 3 && !EqualsIgnoreCase(ctx.arg(4), "COUNT"))) {
      ReplySubcommandSyntaxError(ctx, "XINFO");
      return;
    }
    if (optc == 3) {
      if (!ParseInt64OrReply(ctx, ctx.arg(5), &count)) return;
      if (count < 0) count = 10;
    }
  }
  Stream* s = InfoStream(ctx);
  if (s == nullptr) return;
  ctx.reply.MapHeader(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(static_cast<int64_t>(s->length()));
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(static_cast<int64_t>(s->node_count()));
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(static_cast<int64_t>(s->index_node_count()));
  ctx.reply.Bulk("last-generated-id");
  ReplyId(ctx.reply, s->last_id());
  ctx.reply.Bulk("max-deleted-entry-id");
  ReplyId(ctx.reply, s->max_deleted_id());
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(static_cast<int64_t>(s->entries_added()));
  ctx.reply.Bulk("recorded-first-entry-id");
  ReplyId(ctx.reply, s->first_id());
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(static_cast<int64_t>(s->groups().size()));
    for (bool reverse : {false, true}) {
      ctx.reply.Bulk(reverse ? "last-entry" : "first-entry");
      bool emitted = false;
      s->Scan(StreamID::Min(), StreamID::Max(), reverse,
              [&](const StreamID& id, const Stream::FieldValues& fvs) {
                ReplyEntry(ctx.reply, id, fvs);
                emitted = true;
                return false;
              });
      if (!emitted) ctx.reply.Null();
    }
    return;
  }
  auto limit = [&](size_t n) { return count == 0 || n < static_cast<size_t>(count); };
  ctx.reply.Bulk("entries");
  {
    DeferredArray out(ctx.reply);
    size_t n = 0;
    s->Scan(StreamID::Min(), StreamID::Max(), false,
            [&](const StreamID& id, const Stream::FieldValues& fvs) {
              ReplyEntry(ctx.reply, id, fvs);
              return limit(++n);
            });
    out.Finish(n);
  }
  ctx.reply.Bulk("groups");
  ctx.reply.ArrayHeader(s->groups().size());
  for (const auto& [name, group] : s->groups()) {
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx.reply, group->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *group);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, *s, *group);
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(static_cast<int64_t>(group->pel.size()));
    ctx.reply.Bulk("pending");
    {
      DeferredArray out(ctx.reply);
      size_t n = 0;
      for (auto it = group->pel.Begin(); it.valid() && limit(n); it.Next(), ++n) {
        ctx.reply.ArrayHeader(4);
        ReplyId(ctx.reply, it.key());
        ctx.reply.Bulk(it.value()->consumer->name);
        ctx.reply.Integer(it.value()->delivery_time);
        ctx.reply.Integer(static_cast<int64_t>(it.value()->delivery_count));
      }
      out.Finish(n);
    }
    ctx.reply.Bulk("consumers");
    ctx.reply.ArrayHeader(group->consumers.size());
    for (const auto& [cname, consumer] : group->consumers) {
      ctx.reply.MapHeader(5);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(cname);
      ctx.reply.Bulk("seen-time");
      ctx.reply.Integer(consumer->seen_time);
      ctx.reply.Bulk("active-time");  // Redis 7.2
      ctx.reply.Integer(consumer->active_time);
      ctx.reply.Bulk("pel-count");
      ctx.reply.Integer(static_cast<int64_t>(consumer->pel.size()));
      ctx.reply.Bulk("pending");
      DeferredArray out(ctx.reply);
      size_t n = 0;
      for (auto it = consumer->pel.Begin(); it.valid() && limit(n); it.Next(), ++n) {
        ctx.reply.ArrayHeader(3);
        ReplyId(ctx.reply, it.key());
        ctx.reply.Integer(it.value()->delivery_time);
        ctx.reply.Integer(static_cast<int64_t>(it.value()->delivery_count));
      }
      out.Finish(n);
    }
  }
}

// XINFO HELP
void CmdXInfoHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "CONSUMERS <key> <groupname>",
                     "    Lists the consumers of a group with their pending counts and idle times.",
                     "GROUPS <key>",
                     "    Lists the consumer groups of a stream.",
                     "STREAM <key> [FULL [COUNT <count>]]",
                     "    Describes a stream; FULL adds its entries, groups and pending lists.",
                     "HELP",
                     "    Prints this help.",
                 });
}

}  // namespace

void RegisterStreamFamily(CommandTable& table) {
  RegisterSerializer(ObjType::kStream, DumpStream, LoadStream);
  auto add = [&](auto&&... args) { table.AddSimple("stream", args...); };
  add("xadd", -5, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "5.0.0",
      "Appends an entry to a stream, creating the stream if needed.",
      "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count:integer]] <* | id> "
      "field value [field value ...]",
      CmdXAdd, "O(1) to add, O(N) in the entries trimmed");
  add("xtrim", -4, kCmdWrite, 1, 1, 1, "5.0.0", "Removes the oldest entries of a stream.",
      "key <MAXLEN | MINID> [= | ~] threshold [LIMIT count:integer]", CmdXTrim,
      "O(N) in the entries removed");
  add("xdel", -3, kCmdWrite | kCmdFast, 1, 1, 1, "5.0.0", "Deletes entries from a stream by ID.",
      "key id [id ...]", CmdXDel, "O(1) per entry");
  add("xlen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "5.0.0",
      "Returns the number of entries in a stream.", "key", CmdXLen, "O(1)");
  add("xrange", -4, kCmdReadOnly, 1, 1, 1, "5.0.0",
      "Returns the entries of a stream within an ID range.", "key start end [COUNT count:integer]",
      CmdXRange, "O(log N) to locate, then O(M) in the entries returned");
  add("xrevrange", -4, kCmdReadOnly, 1, 1, 1, "5.0.0",
      "Returns the entries of a stream within an ID range, newest first.",
      "key end start [COUNT count:integer]", CmdXRevRange,
      "O(log N) to locate, then O(M) in the entries returned");
  add("xack", -4, kCmdWrite | kCmdFast, 1, 1, 1, "5.0.0",
      "Acknowledges entries, removing them from a group's pending list.", "key group id [id ...]",
      CmdXAck, "O(log N) per ID");
  add("xpending", -3, kCmdReadOnly, 1, 1, 1, "5.0.0",
      "Describes the entries delivered to a consumer group and not yet acknowledged.",
      "key group [[IDLE min-idle-time:integer] start end count:integer [consumer]]", CmdXPending,
      "O(log N + M) in the entries returned");
  add("xclaim", -6, kCmdWrite | kCmdFast, 1, 1, 1, "5.0.0",
      "Transfers pending entries to another consumer of the group.",
      "key group consumer min-idle-time id [id ...] [IDLE ms:integer] "
      "[TIME unix-time-milliseconds:unix-time] [RETRYCOUNT count:integer] [FORCE] [JUSTID] "
      "[LASTID id]",
      CmdXClaim, "O(log N) per ID");
  add("xautoclaim", -6, kCmdWrite | kCmdFast, 1, 1, 1, "6.2.0",
      "Transfers pending entries idle for long enough to another consumer, scanning from an ID.",
      "key group consumer min-idle-time start [COUNT count:integer] [JUSTID]", CmdXAutoClaim,
      "O(1) per entry examined");
  add("xsetid", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "5.0.0",
      "Sets a stream's last ID and bookkeeping counters.",
      "key last-id [ENTRIESADDED entries_added:integer] [MAXDELETEDID max_deleted_entry_id]",
      CmdXSetId, "O(1)");
  table.Add({.name = "xread",
             .arity = -4,
             .flags = kCmdReadOnly | kCmdBlocking | kCmdMovableKeys,
             .group = "stream",
             .since = "5.0.0",
             .summary = "Reads entries after given IDs from one or more streams, optionally "
                        "waiting for new ones.",
             .syntax = "[COUNT count:integer] [BLOCK milliseconds:integer] STREAMS key [key ...] "
                       "id [id ...]",
             .handler = CmdXRead,
             .key_finder = StreamsKeys,
             .complexity = "O(log N) per stream plus O(M) in the entries returned"});
  table.Add({.name = "xreadgroup",
             .arity = -7,
             .flags = kCmdWrite | kCmdBlocking | kCmdMovableKeys,
             .group = "stream",
             .since = "5.0.0",
             .summary = "Reads entries for a consumer of a group, optionally waiting for new "
                        "ones.",
             .syntax = "GROUP group consumer [COUNT count:integer] [BLOCK milliseconds:integer] "
                       "[NOACK] STREAMS key [key ...] id [id ...]",
             .handler = CmdXReadGroup,
             .key_finder = StreamsKeys,
             .complexity = "O(log N) per stream plus O(M) in the entries returned"});

  auto sub = [](std::string_view name, int arity, uint32_t flags, std::string_view since,
                std::string_view summary, std::string_view syntax, CommandHandler handler,
                bool has_key) {
    return CommandSpec{.name = name,
                       .arity = arity,
                       .flags = flags,
                       .first_key = has_key ? 2 : 0,
                       .last_key = has_key ? 2 : 0,
                       .key_step = has_key ? 1 : 0,
                       .group = "stream",
                       .since = since,
                       .summary = summary,
                       .syntax = syntax,
                       .handler = handler,
                       .complexity = "O(1)"};
  };
  std::vector<CommandSpec> xgroup;
  xgroup.push_back(sub("xgroup|create", -5, kCmdWrite | kCmdDenyOom, "5.0.0",
                       "Creates a consumer group.",
                       "key groupname <id | $> [MKSTREAM] [ENTRIESREAD entries_read:integer]",
                       CmdXGroupCreate, true));
  xgroup.push_back(
      sub("xgroup|setid", -5, kCmdWrite, "5.0.0", "Moves a consumer group's last delivered ID.",
          "key groupname <id | $> [ENTRIESREAD entries_read:integer]", CmdXGroupSetId, true));
  xgroup.push_back(sub("xgroup|destroy", 4, kCmdWrite, "5.0.0", "Removes a consumer group.",
                       "key groupname", CmdXGroupDestroy, true));
  xgroup.push_back(sub("xgroup|createconsumer", 5, kCmdWrite | kCmdDenyOom, "6.2.0",
                       "Adds a consumer to a consumer group.", "key groupname consumername",
                       CmdXGroupCreateConsumer, true));
  xgroup.push_back(sub("xgroup|delconsumer", 5, kCmdWrite, "5.0.0",
                       "Removes a consumer and its pending entries from a consumer group.",
                       "key groupname consumername", CmdXGroupDelConsumer, true));
  xgroup.push_back(sub("xgroup|help", 2, kCmdLoading | kCmdStale, "5.0.0",
                       "Lists the XGROUP subcommands.", "", CmdXGroupHelp, false));
  table.Add({.name = "xgroup",
             .arity = -2,
             .group = "stream",
             .since = "5.0.0",
             .summary = "A container for consumer group commands.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(xgroup)});
  std::vector<CommandSpec> xinfo;
  xinfo.push_back(sub("xinfo|consumers", 4, kCmdReadOnly, "5.0.0",
                      "Lists the consumers of a consumer group.", "key groupname",
                      CmdXInfoConsumers, true));
  xinfo.push_back(sub("xinfo|groups", 3, kCmdReadOnly, "5.0.0",
                      "Lists the consumer groups of a stream.", "key", CmdXInfoGroups, true));
  xinfo.push_back(sub("xinfo|stream", -3, kCmdReadOnly, "5.0.0", "Describes a stream.",
                      "key [FULL [COUNT count:integer]]", CmdXInfoStream, true));
  xinfo.push_back(sub("xinfo|help", 2, kCmdLoading | kCmdStale, "5.0.0",
                      "Lists the XINFO subcommands.", "", CmdXInfoHelp, false));
  table.Add({.name = "xinfo",
             .arity = -2,
             .group = "stream",
             .since = "5.0.0",
             .summary = "A container for stream introspection commands.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(xinfo)});
}

}  // namespace sluice
