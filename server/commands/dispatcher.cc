#include "server/commands/dispatcher.h"

#include <optional>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/persistence/aof.h"

namespace sluice {
namespace {

void CountError(Server& server, std::string_view code) {
  auto& stats = server.stats();
  stats.total_error_replies++;
  auto it = stats.error_codes.find(code);
  if (it == stats.error_codes.end()) {
    stats.error_codes.emplace(std::string(code), 1);
  } else {
    it->second++;
  }
}

// Replies an error that rejects a command before it runs, counting it as Redis does.
// CLIENT REPLY OFF/SKIP: while one of these lives, what the session's reply builder writes goes
// nowhere. SKIP lasts for one command, whether it ran, was refused or was queued.
class SilencedReplies {
 public:
  explicit SilencedReplies(Session& session, bool exempt = false) : session_(session) {
    if (session.reply_mode == ReplyMode::kOn || exempt) return;
    real_output_ = session.reply().output();
    session.reply().set_output(&discarded_);
  }
  ~SilencedReplies() {
    if (real_output_ == nullptr) return;
    session_.reply().set_output(real_output_);
    if (session_.reply_mode == ReplyMode::kSkip) session_.reply_mode = ReplyMode::kOn;
  }
  SilencedReplies(const SilencedReplies&) = delete;
  SilencedReplies& operator=(const SilencedReplies&) = delete;

 private:
  Session& session_;
  std::string discarded_;
  std::string* real_output_ = nullptr;
};

void Reject(Server& server, Session& session, std::string_view message) {
  ReplyBuilder& reply = session.reply();
  SilencedReplies silenced(session);
  reply.Error(message);
  CountError(server, reply.last_error_code());
  if (session.in_multi) session.multi_dirty = true;
}

std::string UnknownCommandError(ArgList args) {
  std::string message = "ERR unknown command '";
  message.append(args[0].substr(0, 128));
  message += "', with args beginning with: ";
  for (size_t i = 1; i < args.size(); ++i) {
    message += '\'';
    message.append(args[i].substr(0, 128));
    message += "' ";
    if (message.size() > 512) break;
  }
  return message;
}

bool AllowedWhileSubscribed(std::string_view name) {
  return name == "subscribe" || name == "unsubscribe" || name == "psubscribe" ||
         name == "punsubscribe" || name == "ssubscribe" || name == "sunsubscribe" ||
         name == "ping" || name == "quit" || name == "reset";
}

bool RunsInsideMulti(std::string_view name) {
  return name == "exec" || name == "discard" || name == "multi" || name == "watch" ||
         name == "quit" || name == "reset";
}

// Commands that are not flagged write but still produce effects a paused writer must not see.
bool MayReplicate(std::string_view name) {
  return name == "eval" || name == "evalsha" || name == "fcall" || name == "publish" ||
         name == "spublish" || name == "pfcount" || name == "wait";
}

// A busy script lets through only the commands flagged allow-busy, and SHUTDOWN only with
// NOSAVE (saving would capture the script's half-done work).
bool AllowedWhileBusy(const CommandSpec& spec, ArgList args) {
  if (!(spec.flags & kCmdAllowBusy)) return false;
  if (spec.name != "shutdown") return true;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "nosave")) return true;
  }
  return false;
}

const CommandSpec* LookupQuietly(Server& server, ArgList args) {
  const CommandSpec* spec = server.commands().Find(args[0]);
  if (spec != nullptr && spec->is_container()) {
    spec = args.size() < 2 ? nullptr : CommandTable::FindSubcommand(*spec, args[1]);
  }
  return spec;
}

bool IsWriteLike(const CommandSpec& spec) {
  return (spec.flags & kCmdWrite) || MayReplicate(spec.name);
}

}  // namespace

bool MustWaitForPause(Server& server, Session& session, ArgList args) {
  if (!server.IsPaused(false) && !server.IsPaused(true)) return false;
  const CommandSpec* spec = LookupQuietly(server, args);
  if (spec == nullptr || !spec->CheckArity(args.size())) return false;
  bool write = IsWriteLike(*spec);
  if (!write && spec->name == "exec" && session.in_multi) {
    for (const QueuedCommand& queued : session.multi_queue) {
      std::vector<std::string_view> queued_args(queued.args.begin(), queued.args.end());
      const CommandSpec* queued_spec = LookupQuietly(server, queued_args);
      if (queued_spec != nullptr && IsWriteLike(*queued_spec)) {
        write = true;
        break;
      }
    }
  }
  return server.IsPaused(write);
}

const CommandSpec* ResolveCommand(Server& server, ArgList args, std::string* error) {
  const CommandSpec* spec = server.commands().Find(args[0]);
  if (spec == nullptr) {
    *error = UnknownCommandError(args);
    return nullptr;
  }
  // A container with a handler of its own (COMMAND) runs it when called without a subcommand.
  bool runs_alone = spec->handler != nullptr && spec->CheckArity(args.size());
  if (spec->is_container() && !(args.size() < 2 && runs_alone)) {
    if (args.size() < 2) {
      *error = "ERR wrong number of arguments for '" + std::string(spec->name) + "' command";
      return nullptr;
    }
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (sub == nullptr) {
      std::string upper(spec->name);
      for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      *error = "ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " +
               upper + " HELP.";
      return nullptr;
    }
    spec = sub;
  }
  if (!spec->CheckArity(args.size())) {
    *error = "ERR wrong number of arguments for '" + std::string(spec->name) + "' command";
    server.commands().stats(*spec).rejected_calls++;
    return nullptr;
  }
  return spec;
}

// Ends the transaction with EXEC's reply quoting why (Redis's execCommandAbort).
void AbortTransaction(Server& server, Session& session, std::string_view why) {
  session.in_multi = false;
  session.multi_dirty = false;
  session.multi_queue.clear();
  server.UnwatchAll(&session);
  if (why.starts_with("ERR ")) why.remove_prefix(4);
  Reject(server, session, "EXECABORT Transaction discarded because of: " + std::string(why));
}

// Over maxmemory, as in Redis with noeviction: commands that may grow the dataset are refused,
// and inside MULTI every command but EXEC, DISCARD, QUIT and RESET, since queuing takes memory
// too; EXEC is refused when something it would run may grow the dataset.
bool RefusedForMemory(Server& server, const Session& session, const CommandSpec& spec,
                      std::string_view base_name) {
  if (spec.flags & kCmdDenyOom) return true;
  if (!session.in_multi) return false;
  if (base_name == "discard" || base_name == "quit" || base_name == "reset") return false;
  if (base_name != "exec") return true;
  std::vector<std::string_view> args;
  for (const QueuedCommand& queued : session.multi_queue) {
    args.assign(queued.args.begin(), queued.args.end());
    std::string ignored;
    const CommandSpec* queued_spec = ResolveCommand(server, args, &ignored);
    if (queued_spec != nullptr && (queued_spec->flags & kCmdDenyOom)) return true;
  }
  return false;
}

void Dispatch(Server& server, Session& session, ArgList args) {
  ReplyBuilder& reply = session.reply();
  std::string error;
  const CommandSpec* spec = ResolveCommand(server, args, &error);
  if (spec == nullptr) {
    // A malformed EXEC ends any transaction.
    if (EqualsIgnoreCase(args[0], "exec")) {
      AbortTransaction(server, session, error);
    } else {
      Reject(server, session, error);
    }
    return;
  }
  if (!session.authenticated && server.password_required() && !(spec->flags & kCmdNoAuth)) {
    Reject(server, session, "NOAUTH Authentication required.");
    return;
  }
  std::string_view base_name = spec->name.substr(0, spec->name.find('|'));
  if (session.subscription_count > 0 && !session.resp3() && !AllowedWhileSubscribed(base_name)) {
    Reject(server, session,
           "ERR Can't execute '" + std::string(spec->name) +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
               "this context");
    return;
  }
  if (!server.busy_reply().empty() && !AllowedWhileBusy(*spec, args)) {
    Reject(server, session, server.busy_reply());
    return;
  }
  // Durability: while the dataset loads only commands flagged loading run, and while the log
  // cannot be written no write is accepted.
  if (server.aof().RefusesCommands()) {
    std::string refusal = server.aof().Refusal(*spec);
    if (!refusal.empty()) {
      Reject(server, session, refusal);
      return;
    }
  }
  if (server.over_maxmemory() && RefusedForMemory(server, session, *spec, base_name)) {
    if (session.in_multi && base_name == "exec") {
      AbortTransaction(server, session, errors::kOom);
    } else {
      Reject(server, session, errors::kOom);
    }
    return;
  }
  if (session.in_multi && !RunsInsideMulti(base_name)) {
    if (spec->flags & kCmdNoMulti) {
      Reject(server, session, "ERR Command not allowed inside a transaction");
      return;
    }
    QueuedCommand queued;
    queued.args.assign(args.begin(), args.end());
    session.multi_queue.push_back(std::move(queued));
    SilencedReplies silenced(session);
    reply.SimpleString("QUEUED");
    return;
  }
  ExecuteCommand(server, session, *spec, args, /*may_block=*/true);
  // Clients blocked on keys this command (or its EXEC, or its script) wrote go now, before the
  // writer's next command, as in Redis.
  if (server.blocking().HasReadyKeys()) server.blocking().ServeReadyKeys();
}

void ExecuteCommand(Server& server, Session& session, const CommandSpec& spec, ArgList args,
                    bool may_block) {
  ReplyBuilder& reply = session.reply();
  // The command runs; under CLIENT REPLY OFF/SKIP its reply goes nowhere (CLIENT REPLY ON's own
  // +OK is the exception).
  std::optional<SilencedReplies> silenced;
  silenced.emplace(session, spec.name == "client|reply");
  uint64_t errors_before = reply.error_count();
  int64_t start_us = server.monotonic_us();
  // Durability: a top-level command and everything it runs (EXEC's queue, a script's calls)
  // are recorded in the log as one unit.
  Aof& aof = server.aof();
  aof.EnterCommand(session);
  CommandContext ctx{server,          session,  server.db(session.db_index()), reply, args, spec,
                     server.now_ms(), may_block};
  ctx.start_us = start_us;
  aof.BeforeHandler(ctx);
  spec.handler(ctx);
  CommandStats& stats = server.commands().stats(spec);
  stats.calls++;
  int64_t duration_us = server.monotonic_us() - start_us;
  stats.usec += static_cast<uint64_t>(duration_us);
  server.stats().total_commands_processed++;
  bool failed = reply.error_count() != errors_before;
  if (failed) {
    stats.failed_calls++;
    CountError(server, reply.last_error_code());
  } else if ((spec.flags & kCmdWrite) && !ctx.unchanged) {
    server.stats().dirty++;
    if (ctx.modified_only.data() != nullptr) {
      server.KeyWritten(session.db_index(), ctx.modified_only);
    } else if (!ctx.keys_signalled) {
      static thread_local std::vector<size_t> positions;
      spec.KeyPositions(args, &positions);
      for (size_t pos : positions) server.KeyWritten(session.db_index(), args[pos]);
    }
  }
  // Durability: log what changed the dataset, or the effects the handler named instead.
  if (!failed && aof.logging() && aof.ShouldPropagate(ctx)) aof.Propagate(ctx);
  silenced.reset();
  // Ends the unit; under appendfsync always the session's replies wait for the disk from here.
  aof.ExitCommand(session);
  session.set_last_command(spec.name);
  server.commands().NotifyCall(ctx, duration_us);
}

}  // namespace sluice
