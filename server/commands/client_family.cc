// CLIENT: introspection and control of client connections (names, listing, killing, pausing,
// reply suppression). Connection-level commands without the CLIENT prefix live in
// connection_family.cc.
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

enum class ClientType { kNormal, kReplica, kMaster, kPubSub };

// NORMAL, REPLICA (or SLAVE), MASTER, PUBSUB; false for anything else.
bool ParseClientType(std::string_view text, ClientType* type) {
  if (EqualsIgnoreCase(text, "normal")) {
    *type = ClientType::kNormal;
  } else if (EqualsIgnoreCase(text, "replica") || EqualsIgnoreCase(text, "slave")) {
    *type = ClientType::kReplica;
  } else if (EqualsIgnoreCase(text, "master")) {
    *type = ClientType::kMaster;
  } else if (EqualsIgnoreCase(text, "pubsub")) {
    *type = ClientType::kPubSub;
  } else {
    return false;
  }
  return true;
}

// Sluice has no replication links, so every client is either a subscriber or a normal one.
ClientType TypeOf(const Session& session) {
  return session.subscription_count > 0 ? ClientType::kPubSub : ClientType::kNormal;
}

std::string_view PeerAddress(const Session& session) {
  return session.connection() != nullptr ? std::string_view(session.connection()->peer())
                                         : std::string_view();
}

std::string_view LocalAddress(const Session& session) {
  return session.connection() != nullptr ? std::string_view(session.connection()->local())
                                         : std::string_view();
}

size_t MultiMemory(const Session& session) {
  size_t bytes = 0;
  for (const QueuedCommand& queued : session.multi_queue) {
    bytes += sizeof(QueuedCommand);
    for (const std::string& arg : queued.args) bytes += arg.capacity() + sizeof(std::string);
  }
  return bytes;
}

// The single-letter flags Redis reports, in its order.
std::string ClientFlags(const Session& session) {
  std::string flags;
  if (session.subscription_count > 0) flags += 'P';
  if (session.in_multi) flags += 'x';
  if (session.blocked() || session.postponed()) flags += 'b';
  if (session.watch_dirty) flags += 'd';
  if (session.closed()) flags += 'c';
  if (session.no_touch) flags += 'T';
  if (session.no_evict) flags += 'e';
  if (flags.empty()) flags += 'N';
  return flags;
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  if (!out->empty()) out->push_back(' ');
  out->append(name);
  out->push_back('=');
  out->append(value);
}

void AppendField(std::string* out, std::string_view name, int64_t value) {
  AppendField(out, name, std::to_string(value));
}

// One line of CLIENT LIST / CLIENT INFO, with Redis 7.0's fields in Redis's order. `current` is
// the client running the command: its command is the one in progress.
std::string DescribeClient(const CommandContext& ctx, Session& session) {
  bool current = &session == &ctx.session;
  int64_t now = ctx.server.now_ms();
  size_t argv_mem = 0;
  if (current) {
    for (std::string_view arg : ctx.args) argv_mem += arg.size();
  }
  size_t multi_mem = MultiMemory(session);
  size_t output_bytes = session.output().size();
  if (session.connection() != nullptr) output_bytes = session.connection()->pending_output();
  size_t output_capacity = session.output().capacity();
  size_t qbuf = session.query_buffer_size();
  size_t qbuf_free = session.query_buffer_free();
  size_t total = sizeof(Session) + qbuf + qbuf_free + output_capacity + multi_mem + argv_mem +
                 session.name().capacity();
  std::string line;
  AppendField(&line, "id", static_cast<int64_t>(session.id()));
  AppendField(&line, "addr", PeerAddress(session));
  AppendField(&line, "laddr", LocalAddress(session));
  AppendField(&line, "fd", session.connection() != nullptr ? session.connection()->fd() : -1);
  AppendField(&line, "name", session.name());
  AppendField(&line, "age", (now - session.created_ms()) / 1000);
  AppendField(&line, "idle", current ? 0 : (now - session.last_interaction_ms()) / 1000);
  AppendField(&line, "flags", ClientFlags(session));
  AppendField(&line, "db", session.db_index());
  AppendField(&line, "sub", static_cast<int64_t>(session.subscription_count));
  AppendField(&line, "psub", 0);
  AppendField(&line, "ssub", 0);
  AppendField(&line, "multi",
              session.in_multi ? static_cast<int64_t>(session.multi_queue.size()) : -1);
  AppendField(&line, "qbuf", static_cast<int64_t>(qbuf));
  AppendField(&line, "qbuf-free", static_cast<int64_t>(qbuf_free));
  AppendField(&line, "argv-mem", static_cast<int64_t>(argv_mem));
  AppendField(&line, "multi-mem", static_cast<int64_t>(multi_mem));
  AppendField(&line, "rbs", static_cast<int64_t>(output_capacity));
  AppendField(&line, "rbp", static_cast<int64_t>(output_bytes));
  AppendField(&line, "obl", static_cast<int64_t>(output_bytes));
  AppendField(&line, "oll", 0);
  AppendField(&line, "omem", 0);
  AppendField(&line, "tot-mem", static_cast<int64_t>(total));
  AppendField(&line, "events", output_bytes > 0 ? "rw" : "r");
  AppendField(&line, "cmd", current ? ctx.spec.name : session.last_command());
  AppendField(&line, "user", "default");
  AppendField(&line, "redir", -1);
  AppendField(&line, "resp", session.resp3() ? 3 : 2);
  line.push_back('\n');
  return line;
}

// Every live session in id order. A killed in-process session lingers in the server's table
// until its owner drops it; it is not a client any more.
std::vector<Session*> LiveSessions(Server& server) {
  std::vector<Session*> out;
  for (const auto& [id, session] : server.sessions()) {
    if (!session->closed()) out.push_back(session);
  }
  return out;
}

// Positive client ids, as CLIENT LIST ID and CLIENT KILL ID accept them.
bool ParseClientId(std::string_view text, uint64_t* id) {
  int64_t value = 0;
  if (!ParseInt64(text, &value) || value <= 0) return false;
  *id = static_cast<uint64_t>(value);
  return true;
}

// CLIENT ID
void CmdClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.session.id())); }

// CLIENT INFO
void CmdClientInfo(CommandContext& ctx) { ctx.reply.Verbatim(DescribeClient(ctx, ctx.session)); }

// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
void CmdClientList(CommandContext& ctx) {
  bool by_type = false;
  ClientType type = ClientType::kNormal;
  std::vector<uint64_t> ids;
  bool by_id = false;
  size_t i = 2;
  while (i < ctx.argc()) {
    if (EqualsIgnoreCase(ctx.arg(i), "TYPE") && i + 1 < ctx.argc()) {
      if (!ParseClientType(ctx.arg(i + 1), &type)) {
        ctx.reply.Error("ERR Unknown client type '" + std::string(ctx.arg(i + 1)) + "'");
        return;
      }
      by_type = true;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "ID") && i + 1 < ctx.argc()) {
      by_id = true;
      for (++i; i < ctx.argc(); ++i) {
        // Any integer is accepted here; ids below 1 simply match no client.
        int64_t id = 0;
        if (!ParseInt64(ctx.arg(i), &id)) {
          ctx.reply.Error("ERR Invalid client ID");
          return;
        }
        if (id > 0) ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  std::string text;
  if (by_id) {
    // Listed in the order asked, each once per mention, as Redis does.
    for (uint64_t id : ids) {
      Session* session = ctx.server.FindSession(id);
      if (session == nullptr || session->closed()) continue;
      if (by_type && TypeOf(*session) != type) continue;
      text += DescribeClient(ctx, *session);
    }
  } else {
    for (Session* session : LiveSessions(ctx.server)) {
      if (by_type && TypeOf(*session) != type) continue;
      text += DescribeClient(ctx, *session);
    }
  }
  ctx.reply.Verbatim(text);
}

// CLIENT SETNAME connection-name
void CmdClientSetName(CommandContext& ctx) {
  for (char c : ctx.arg(2)) {
    if (c < '!' || c > '~') {
      ctx.reply.Error(kBadClientName);
      return;
    }
  }
  ctx.session.set_name(ctx.arg(2));
  ctx.reply.Ok();
}

// CLIENT GETNAME
void CmdClientGetName(CommandContext& ctx) {
  if (ctx.session.name().empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.session.name());
  }
}

// Ends a client chosen by CLIENT KILL. The caller itself gets its reply first.
void KillClient(CommandContext& ctx, Session* session) {
  if (session == &ctx.session) {
    session->CloseAfterReply();
  } else {
    session->Kill();
  }
}

// CLIENT KILL <ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] |
//     [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no]> ...>
void CmdClientKill(CommandContext& ctx) {
  if (ctx.argc() == 3) {
    // The old form: one address, OK or an error.
    for (Session* session : LiveSessions(ctx.server)) {
      if (PeerAddress(*session) == ctx.arg(2) && !PeerAddress(*session).empty()) {
        ctx.reply.Ok();
        KillClient(ctx, session);
        return;
      }
    }
    ctx.reply.Error("ERR No such client");
    return;
  }
  uint64_t id = 0;
  bool by_id = false;
  bool by_type = false;
  ClientType type = ClientType::kNormal;
  std::string_view addr;
  std::string_view laddr;
  bool by_addr = false;
  bool by_laddr = false;
  bool skip_me = true;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (i + 1 >= ctx.argc()) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    std::string_view option = ctx.arg(i);
    std::string_view value = ctx.arg(i + 1);
    if (EqualsIgnoreCase(option, "ID")) {
      if (!ParseClientId(value, &id)) {
        ctx.reply.Error("ERR client-id should be greater than 0");
        return;
      }
      by_id = true;
    } else if (EqualsIgnoreCase(option, "TYPE")) {
      if (!ParseClientType(value, &type)) {
        ctx.reply.Error("ERR Unknown client type '" + std::string(value) + "'");
        return;
      }
      by_type = true;
    } else if (EqualsIgnoreCase(option, "ADDR")) {
      addr = value;
      by_addr = true;
    } else if (EqualsIgnoreCase(option, "LADDR")) {
      laddr = value;
      by_laddr = true;
    } else if (EqualsIgnoreCase(option, "USER")) {
      // Only the default user exists; every client is authenticated as it.
      if (value != "default") {
        ctx.reply.Error("ERR No such user '" + std::string(value) + "'");
        return;
      }
    } else if (EqualsIgnoreCase(option, "SKIPME")) {
      if (EqualsIgnoreCase(value, "yes")) {
        skip_me = true;
      } else if (EqualsIgnoreCase(value, "no")) {
        skip_me = false;
      } else {
        ctx.reply.Error(errors::kSyntax);
        return;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  std::vector<Session*> victims;
  for (Session* session : LiveSessions(ctx.server)) {
    if (by_id && session->id() != id) continue;
    if (by_type && TypeOf(*session) != type) continue;
    if (by_addr && PeerAddress(*session) != addr) continue;
    if (by_laddr && LocalAddress(*session) != laddr) continue;
    if (skip_me && session == &ctx.session) continue;
    victims.push_back(session);
  }
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
  for (Session* session : victims) KillClient(ctx, session);
}

// CLIENT PAUSE timeout [WRITE | ALL]
void CmdClientPause(CommandContext& ctx) {
  int64_t timeout = 0;
  if (!ParseInt64(ctx.arg(2), &timeout)) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return;
  }
  bool writes_only = false;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "WRITE")) {
      writes_only = true;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "ALL")) {
      ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  } else if (ctx.argc() > 4) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (timeout > INT64_MAX - ctx.now_ms) timeout = INT64_MAX - ctx.now_ms;
  ctx.server.PauseClients(ctx.now_ms + timeout, writes_only);
  ctx.reply.Ok();
}

// CLIENT UNPAUSE
void CmdClientUnpause(CommandContext& ctx) {
  ctx.server.UnpauseClients();
  ctx.reply.Ok();
}

// CLIENT REPLY <ON | OFF | SKIP>
void CmdClientReply(CommandContext& ctx) {
  std::string_view mode = ctx.arg(2);
  if (EqualsIgnoreCase(mode, "ON")) {
    ctx.session.reply_mode = ReplyMode::kOn;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "OFF")) {
    ctx.session.reply_mode = ReplyMode::kOff;
  } else if (EqualsIgnoreCase(mode, "SKIP")) {
    // SKIP after OFF changes nothing: replies stay off.
    if (ctx.session.reply_mode == ReplyMode::kOn) ctx.session.reply_mode = ReplyMode::kSkip;
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
}

// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
void CmdClientSetInfo(CommandContext& ctx) {
  std::string_view attr = ctx.arg(2);
  std::string_view value = ctx.arg(3);
  std::string* target = nullptr;
  if (EqualsIgnoreCase(attr, "LIB-NAME")) {
    target = &ctx.session.lib_name;
  } else if (EqualsIgnoreCase(attr, "LIB-VER")) {
    target = &ctx.session.lib_ver;
  } else {
    ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  for (char c : value) {
    if (c < '!' || c > '~') {
      ctx.reply.Error("ERR " + std::string(attr) +
                      " cannot contain spaces, newlines or special characters.");
      return;
    }
  }
  target->assign(value);
  ctx.reply.Ok();
}

// Parses ON / OFF for the per-client switches; replies a syntax error otherwise.
bool ParseOnOff(CommandContext& ctx, bool* on) {
  if (EqualsIgnoreCase(ctx.arg(2), "ON")) {
    *on = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "OFF")) {
    *on = false;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// CLIENT NO-EVICT <ON | OFF>
void CmdClientNoEvict(CommandContext& ctx) {
  bool on = false;
  if (!ParseOnOff(ctx, &on)) return;
  ctx.session.no_evict = on;
  ctx.reply.Ok();
}

// CLIENT NO-TOUCH <ON | OFF>
void CmdClientNoTouch(CommandContext& ctx) {
  bool on = false;
  if (!ParseOnOff(ctx, &on)) return;
  ctx.session.no_touch = on;
  ctx.reply.Ok();
}

// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
void CmdClientUnblock(CommandContext& ctx) {
  int64_t id = 0;
  if (!ParseInt64(ctx.arg(2), &id)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  bool with_error = false;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "ERROR")) {
      with_error = true;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "TIMEOUT")) {
      ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  Session* target = ctx.server.FindSession(static_cast<uint64_t>(id));
  // Only clients waiting in a blocking command; a client held by CLIENT PAUSE is not one.
  bool unblocked = target != nullptr && ctx.server.blocking().Unblock(target, with_error);
  ctx.reply.Integer(unblocked ? 1 : 0);
}

// CLIENT GETREDIR
void CmdClientGetRedir(CommandContext& ctx) {
  // Tracking is never on, so there is no redirection.
  ctx.reply.Integer(-1);
}

// CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST]
//     [OPTIN] [OPTOUT] [NOLOOP]
void CmdClientTracking(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "OFF")) {
    ctx.reply.Ok();  // already off
    return;
  }
  if (!EqualsIgnoreCase(ctx.arg(2), "ON")) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  ctx.reply.Error("ERR client-side caching (CLIENT TRACKING) is not supported by this server");
}

// CLIENT TRACKINGINFO
void CmdClientTrackingInfo(CommandContext& ctx) {
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  ctx.reply.SetHeader(1);
  ctx.reply.Bulk("off");
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(-1);
  ctx.reply.Bulk("prefixes");
  ctx.reply.ArrayHeader(0);
}

// CLIENT CACHING <YES | NO>
void CmdClientCaching(CommandContext& ctx) {
  ctx.reply.Error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
      "OPTOUT mode enabled");
}

// CLIENT HELP
void CmdClientHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CACHING (YES|NO)",
      "    Only meaningful with tracking, which this server does not support.",
      "GETNAME",
      "    Return the name of this connection, or nil.",
      "GETREDIR",
      "    Return the tracking redirection id (always -1 here).",
      "ID",
      "    Return the id of this connection.",
      "INFO",
      "    Describe this connection in the CLIENT LIST format.",
      "KILL <ip:port>",
      "    Close the connection coming from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Close every connection matching all the filters:",
      "    * ID <client-id>",
      "    * ADDR <ip:port>            remote address",
      "    * LADDR <ip:port>           local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "    * USER <username>",
      "    * SKIPME (YES|NO)           spare this connection (default: yes)",
      "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <client-id> ...]",
      "    Describe the connections, one per line.",
      "NO-EVICT (ON|OFF)",
      "    Exempt this connection from client eviction.",
      "NO-TOUCH (ON|OFF)",
      "    Let this connection read keys without changing their access time.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Hold the commands of every client (or only writes) for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Turn the replies to this connection on or off, or skip the next one.",
      "SETINFO (LIB-NAME|LIB-VER) <value>",
      "    Record the client library's name or version.",
      "SETNAME <name>",
      "    Name this connection.",
      "TRACKING (ON|OFF) [...]",
      "    Client-side caching; not supported by this server.",
      "TRACKINGINFO",
      "    Report the tracking state of this connection.",
      "UNBLOCK <client-id> [TIMEOUT|ERROR]",
      "    End the wait of a client in a blocking command, as a timeout or with an error.",
      "UNPAUSE",
      "    End a CLIENT PAUSE now.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
}

constexpr uint32_t kClientFlags = kCmdNoScript | kCmdLoading | kCmdStale;

CommandSpec Sub(std::string_view name, int arity, uint32_t flags, std::string_view since,
                std::string_view summary, std::string_view syntax, CommandHandler handler,
                std::string_view complexity = "O(1)") {
  return CommandSpec{.name = name,
                     .arity = arity,
                     .flags = flags,
                     .group = "connection",
                     .since = since,
                     .summary = summary,
                     .syntax = syntax,
                     .handler = handler,
                     .complexity = complexity};
}

}  // namespace

void RegisterClientFamily(CommandTable& table) {
  constexpr uint32_t kAdmin = kClientFlags | kCmdAdmin;
  std::vector<CommandSpec> subs;
  subs.push_back(Sub("client|id", 2, kClientFlags, "5.0.0",
                     "Returns the unique id of the connection.", "", CmdClientId));
  subs.push_back(Sub("client|info", 2, kClientFlags, "6.2.0",
                     "Returns information about the connection.", "", CmdClientInfo));
  subs.push_back(Sub("client|list", -2, kAdmin, "2.4.0", "Lists the open connections.",
                     "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id:integer ...]",
                     CmdClientList, "O(N) where N is the number of client connections"));
  subs.push_back(Sub("client|setname", 3, kClientFlags, "2.6.9", "Names the connection.",
                     "connection-name", CmdClientSetName));
  subs.push_back(Sub("client|getname", 2, kClientFlags, "2.6.9",
                     "Returns the name of the connection.", "", CmdClientGetName));
  subs.push_back(Sub("client|kill", -3, kAdmin, "2.4.0", "Terminates open connections.",
                     "<ip:port | <[ID client-id:integer] | [TYPE <NORMAL | MASTER | SLAVE | "
                     "REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | "
                     "[SKIPME yes/no]> ...>",
                     CmdClientKill, "O(N) where N is the number of client connections"));
  subs.push_back(Sub("client|pause", -3, kAdmin, "3.0.0",
                     "Suspends commands processing for a while.", "timeout:integer [WRITE | ALL]",
                     CmdClientPause));
  subs.push_back(Sub("client|unpause", 2, kAdmin, "6.2.0", "Resumes processing of paused clients.",
                     "", CmdClientUnpause, "O(N) where N is the number of paused clients"));
  subs.push_back(Sub("client|reply", 3, kClientFlags, "3.2.0",
                     "Turns replies to this connection on or off.", "<ON | OFF | SKIP>",
                     CmdClientReply));
  subs.push_back(Sub("client|setinfo", 4, kClientFlags, "7.2.0",
                     "Records the client library's name or version for the connection.",
                     "<LIB-NAME libname | LIB-VER libver>", CmdClientSetInfo));
  subs.push_back(Sub("client|no-evict", 3, kAdmin, "7.0.0",
                     "Exempts the connection from client eviction.", "<ON | OFF>",
                     CmdClientNoEvict));
  subs.push_back(Sub("client|no-touch", 3, kClientFlags, "7.2.0",
                     "Lets the connection read keys without changing their access time.",
                     "<ON | OFF>", CmdClientNoTouch));
  subs.push_back(Sub("client|unblock", -3, kAdmin, "5.0.0",
                     "Ends the wait of a client blocked in a blocking command.",
                     "client-id:integer [TIMEOUT | ERROR]", CmdClientUnblock,
                     "O(log N) where N is the number of client connections"));
  subs.push_back(Sub("client|getredir", 2, kClientFlags, "6.0.0",
                     "Returns the id of the tracking redirection client.", "", CmdClientGetRedir));
  subs.push_back(Sub("client|tracking", -3, kClientFlags, "6.0.0",
                     "Controls client-side caching (not supported).",
                     "<ON | OFF> [REDIRECT client-id:integer] [PREFIX prefix [PREFIX prefix ...]] "
                     "[BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
                     CmdClientTracking));
  subs.push_back(Sub("client|trackinginfo", 2, kClientFlags, "6.2.0",
                     "Returns the tracking state of the connection.", "", CmdClientTrackingInfo));
  subs.push_back(Sub("client|caching", 3, kClientFlags, "6.0.0",
                     "Tells tracking whether to track the keys of the next command.", "<YES | NO>",
                     CmdClientCaching));
  subs.push_back(Sub("client|help", 2, kCmdLoading | kCmdStale, "5.0.0",
                     "Shows help about the CLIENT subcommands.", "", CmdClientHelp));
  table.Add({.name = "client",
             .arity = -2,
             .group = "connection",
             .since = "2.4.0",
             .summary = "A container for client connection commands.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(subs)});
}

}  // namespace sluice
