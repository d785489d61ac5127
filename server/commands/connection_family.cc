// Connection commands: PING, ECHO, QUIT, SELECT, HELLO, RESET. CLIENT lives in
// client_family.cc.
#include <string>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/core/version.h"
#include "server/protocol/errors.h"

namespace sluice {
namespace {

// PING [message]
void CmdPing(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.reply.Error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (ctx.session.subscription_count > 0 && !ctx.session.resp3()) {
    // RESP2 subscribers can only read pushes, so PING answers in the same shape.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.argc() > 1 ? ctx.arg(1) : std::string_view());
    return;
  }
  if (ctx.argc() > 1) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

// ECHO message
void CmdEcho(CommandContext& ctx) { ctx.reply.Bulk(ctx.arg(1)); }

// QUIT
void CmdQuit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.session.CloseAfterReply();
}

// SELECT index
void CmdSelect(CommandContext& ctx) {
  int64_t index = 0;
  if (!ParseInt64(ctx.arg(1), &index)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (index < 0 || index >= ctx.server.db_count()) {
    ctx.reply.Error(errors::kDbIndexOutOfRange);
    return;
  }
  ctx.session.set_db_index(static_cast<int>(index));
  ctx.reply.Ok();
}

// Checks credentials for the only user Sluice has, "default", whose password is requirepass.
// Replies WRONGPASS and returns false on a mismatch; marks the session authenticated otherwise.
bool CheckPassword(CommandContext& ctx, std::string_view user, std::string_view pass) {
  const std::string& required = ctx.server.config().Get("requirepass");
  if (user != "default" || (!required.empty() && pass != required)) {
    ctx.reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
    return false;
  }
  ctx.session.authenticated = true;
  return true;
}

// AUTH [username] password
void CmdAuth(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (ctx.argc() == 2 && ctx.server.config().Get("requirepass").empty()) {
    ctx.reply.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
    return;
  }
  std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : std::string_view("default");
  if (CheckPassword(ctx, user, ctx.arg(ctx.argc() - 1))) ctx.reply.Ok();
}

void ReplyHello(CommandContext& ctx) {
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.session.resp3() ? 3 : 2);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void CmdHello(CommandContext& ctx) {
  int64_t version = ctx.session.resp3() ? 3 : 2;
  size_t i = 1;
  if (ctx.argc() > 1) {
    if (!ParseInt64(ctx.arg(1), &version)) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version < 2 || version > 3) {
      ctx.reply.Error(errors::kNoProto);
      return;
    }
    i = 2;
  }
  std::string_view new_name;
  bool set_name = false;
  for (; i < ctx.argc(); ++i) {
    size_t left = ctx.argc() - i - 1;
    if (EqualsIgnoreCase(ctx.arg(i), "AUTH") && left >= 2) {
      std::string_view user = ctx.arg(i + 1);
      std::string_view pass = ctx.arg(i + 2);
      if (!CheckPassword(ctx, user, pass)) return;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "SETNAME") && left >= 1) {
      new_name = ctx.arg(i + 1);
      for (char c : new_name) {
        if (c < '!' || c > '~') {
          ctx.reply.Error(
              "ERR Client names cannot contain spaces, newlines or special characters.");
          return;
        }
      }
      set_name = true;
      ++i;
    } else {
      ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(ctx.arg(i)) + "'");
      return;
    }
  }
  if (!ctx.session.authenticated && ctx.server.password_required()) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "<proto> AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
    return;
  }
  if (set_name) ctx.session.set_name(new_name);
  ctx.session.set_resp3(version == 3);
  ReplyHello(ctx);
}

// RESET
void CmdReset(CommandContext& ctx) {
  ctx.session.in_multi = false;
  ctx.session.multi_dirty = false;
  ctx.session.multi_queue.clear();
  ctx.server.UnwatchAll(&ctx.session);
  ctx.session.set_db_index(0);
  ctx.session.set_resp3(false);
  ctx.session.set_name("");
  ctx.session.reply_mode = ReplyMode::kOn;
  ctx.session.no_evict = false;
  ctx.server.ResetSession(&ctx.session);
  ctx.reply.SimpleString("RESET");
}

}  // namespace

void RegisterConnectionFamily(CommandTable& table) {
  constexpr uint32_t kAnytime = kCmdFast | kCmdLoading | kCmdStale;
  table.Add({.name = "ping",
             .arity = -1,
             .flags = kCmdFast,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Returns the server's liveliness response.",
             .syntax = "[message]",
             .handler = CmdPing,
             .complexity = "O(1)"});
  table.Add({.name = "echo",
             .arity = 2,
             .flags = kAnytime,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Returns the given string.",
             .syntax = "message",
             .handler = CmdEcho,
             .complexity = "O(1)"});
  table.Add({.name = "quit",
             .arity = -1,
             .flags = kCmdAllowBusy | kCmdNoScript | kAnytime | kCmdNoAuth,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Closes the connection.",
             .syntax = "",
             .handler = CmdQuit,
             .complexity = "O(1)"});
  table.Add({.name = "auth",
             .arity = -2,
             .flags = kCmdNoScript | kAnytime | kCmdNoAuth | kCmdAllowBusy,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Authenticates the connection.",
             .syntax = "[username] password",
             .handler = CmdAuth,
             .complexity = "O(N) where N is the number of passwords defined for the user"});
  table.Add({.name = "select",
             .arity = 2,
             .flags = kAnytime,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Changes the selected database.",
             .syntax = "index:integer",
             .handler = CmdSelect,
             .complexity = "O(1)"});
  table.Add({.name = "hello",
             .arity = -1,
             .flags = kCmdNoScript | kAnytime | kCmdNoAuth | kCmdAllowBusy,
             .group = "connection",
             .since = "6.0.0",
             .summary = "Handshakes with the server, switching protocol, authenticating and naming "
                        "the connection.",
             .syntax = "[protover:integer [AUTH username password] [SETNAME clientname]]",
             .handler = CmdHello,
             .complexity = "O(1)"});
  table.Add({.name = "reset",
             .arity = 1,
             .flags = kCmdNoScript | kAnytime | kCmdNoAuth | kCmdAllowBusy,
             .group = "connection",
             .since = "6.2.0",
             .summary = "Resets the connection to its initial state.",
             .syntax = "",
             .handler = CmdReset,
             .complexity = "O(1)"});
}

}  // namespace sluice
