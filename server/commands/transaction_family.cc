// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queuing happens in the dispatcher; this
// file runs the queue and implements optimistic locking.
#include <string>
#include <vector>

#include "server/commands/command_table.h"
#include "server/commands/dispatcher.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"

namespace sluice {
namespace {

void EndTransaction(CommandContext& ctx) {
  ctx.session.in_multi = false;
  ctx.session.multi_dirty = false;
  ctx.session.multi_queue.clear();
  ctx.server.UnwatchAll(&ctx.session);
}

// True when a watched key that was live at WATCH time has expired since, even if nothing has
// deleted it yet.
bool WatchedKeyExpired(CommandContext& ctx) {
  for (const auto& w : ctx.session.watched_keys) {
    if (w.expired_when_watched) continue;
    Object* obj = ctx.server.db(w.db).FindRaw(w.key);
    if (obj != nullptr && obj->expire_at() != 0 && obj->expire_at() <= ctx.now_ms) return true;
  }
  return false;
}

// MULTI
void CmdMulti(CommandContext& ctx) {
  if (ctx.session.in_multi) {
    ctx.reply.Error(errors::kMultiNested);
    return;
  }
  ctx.session.in_multi = true;
  ctx.reply.Ok();
}

// EXEC
void CmdExec(CommandContext& ctx) {
  Session& session = ctx.session;
  if (!session.in_multi) {
    ctx.reply.Error(errors::kExecWithoutMulti);
    return;
  }
  if (session.multi_dirty) {
    EndTransaction(ctx);
    ctx.reply.Error(errors::kExecAbort);
    return;
  }
  if (session.watch_dirty || WatchedKeyExpired(ctx)) {
    EndTransaction(ctx);
    ctx.reply.NullArray();
    return;
  }
  std::vector<QueuedCommand> queue;
  queue.swap(session.multi_queue);
  session.in_multi = false;
  ctx.server.UnwatchAll(&session);
  ctx.reply.ArrayHeader(queue.size());
  std::vector<std::string_view> args;
  for (QueuedCommand& queued : queue) {
    args.assign(queued.args.begin(), queued.args.end());
    std::string error;
    const CommandSpec* spec = ResolveCommand(ctx.server, args, &error);
    if (spec == nullptr) {  // the table changed since queuing; cannot happen today
      ctx.reply.Error(error);
      continue;
    }
    ExecuteCommand(ctx.server, session, *spec, args, /*may_block=*/false);
  }
}

// DISCARD
void CmdDiscard(CommandContext& ctx) {
  if (!ctx.session.in_multi) {
    ctx.reply.Error(errors::kDiscardWithoutMulti);
    return;
  }
  EndTransaction(ctx);
  ctx.reply.Ok();
}

// WATCH key [key ...]
void CmdWatch(CommandContext& ctx) {
  if (ctx.session.in_multi) {
    ctx.reply.Error(errors::kWatchInMulti);
    return;
  }
  int db = ctx.session.db_index();
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view key = ctx.arg(i);
    bool already = false;
    for (const auto& w : ctx.session.watched_keys) {
      if (w.db == db && w.key == key) already = true;
    }
    if (already) continue;
    Object* obj = ctx.db.FindRaw(key);
    bool expired = obj != nullptr && obj->expire_at() != 0 && obj->expire_at() <= ctx.now_ms;
    ctx.session.watched_keys.push_back({db, std::string(key), expired});
    ctx.server.Watch(&ctx.session, db, key);
  }
  ctx.reply.Ok();
}

// UNWATCH
void CmdUnwatch(CommandContext& ctx) {
  ctx.server.UnwatchAll(&ctx.session);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionFamily(CommandTable& table) {
  constexpr uint32_t kTxFlags = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  table.Add({.name = "multi",
             .arity = 1,
             .flags = kTxFlags,
             .group = "transactions",
             .since = "1.2.0",
             .summary = "Starts a transaction: later commands are queued until EXEC.",
             .syntax = "",
             .handler = CmdMulti,
             .complexity = "O(1)"});
  table.Add({.name = "exec",
             .arity = 1,
             .flags = kCmdNoScript | kCmdLoading | kCmdStale | kCmdSkipSlowlog,
             .group = "transactions",
             .since = "1.2.0",
             .summary = "Runs every command queued since MULTI, atomically.",
             .syntax = "",
             .handler = CmdExec,
             .complexity = "Depends on the commands in the transaction"});
  table.Add({.name = "discard",
             .arity = 1,
             .flags = kTxFlags,
             .group = "transactions",
             .since = "2.0.0",
             .summary = "Drops the commands queued since MULTI.",
             .syntax = "",
             .handler = CmdDiscard,
             .complexity = "O(N) where N is the number of queued commands"});
  table.Add({.name = "watch",
             .arity = -2,
             .flags = kTxFlags,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .group = "transactions",
             .since = "2.2.0",
             .summary = "Makes the next EXEC fail if any of the keys changes before it.",
             .syntax = "key [key ...]",
             .handler = CmdWatch,
             .complexity = "O(1) for every key"});
  table.Add({.name = "unwatch",
             .arity = 1,
             .flags = kTxFlags,
             .group = "transactions",
             .since = "2.2.0",
             .summary = "Forgets every key watched by this connection.",
             .syntax = "",
             .handler = CmdUnwatch,
             .complexity = "O(1)"});
}

}  // namespace sluice
