// What a command is: its declarative spec (the single source for arity checks, key extraction,
// COMMAND and COMMAND DOCS) and the context a handler runs in.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/protocol/reply_builder.h"

namespace sluice {

class Server;
class Session;
class Database;

using ArgList = std::span<const std::string_view>;

enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,
  kCmdReadOnly = 1 << 1,
  kCmdDenyOom = 1 << 2,
  kCmdFast = 1 << 3,
  kCmdBlocking = 1 << 4,
  kCmdNoScript = 1 << 5,
  kCmdLoading = 1 << 6,
  kCmdStale = 1 << 7,
  kCmdPubSub = 1 << 8,
  kCmdAdmin = 1 << 9,
  kCmdNoMulti = 1 << 10,
  kCmdAllowBusy = 1 << 11,
  kCmdNoAuth = 1 << 12,
  kCmdSkipMonitor = 1 << 13,
  kCmdSkipSlowlog = 1 << 14,
  kCmdMovableKeys = 1 << 15,
  kCmdSentinel = 1 << 16,
};

struct CommandContext;
using CommandHandler = void (*)(CommandContext&);
// For commands whose keys are not a fixed range (numkeys arguments, STREAMS keyword).
using KeyFinder = void (*)(ArgList args, std::vector<size_t>* key_positions);

struct CommandSpec {
  std::string_view name;  // lower case; "config|get" for subcommands
  int arity = 0;          // Redis's convention: N exact, -N at least N
  uint32_t flags = 0;
  int first_key = 0;  // 0 when the command has no key
  int last_key = 0;   // negative counts from the end: -1 is the last argument
  int key_step = 0;
  std::string_view group;  // generic, string, list, connection, server, transactions, ...
  std::string_view since;
  std::string_view summary;
  // The arguments after the name, in the form the docs use, e.g.
  // "key value [NX | XX] [GET] [EX seconds:integer | PX milliseconds:integer | KEEPTTL]".
  // COMMAND DOCS derives its argument tree from it.
  std::string_view syntax;
  CommandHandler handler = nullptr;
  KeyFinder key_finder = nullptr;
  std::string_view complexity;
  std::vector<CommandSpec> subcommands;
  // Extra ACL categories beyond those derived from group and flags, e.g. "@dangerous".
  std::string_view extra_acl;

  bool is_container() const { return !subcommands.empty(); }
  bool CheckArity(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
  // Positions of key arguments in args (args[0] is the command name).
  void KeyPositions(ArgList args, std::vector<size_t>* out) const;
};

// Per-command counters for INFO commandstats.
struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
};

struct CommandContext {
  Server& server;
  Session& session;
  Database& db;
  ReplyBuilder& reply;
  ArgList args;
  const CommandSpec& spec;
  int64_t now_ms;
  // Inside MULTI/EXEC or a script: blocking commands must behave as their non-blocking form.
  bool may_block = true;
  // Set by a write command that turned out to change nothing, so WATCH is not disturbed.
  bool unchanged = false;
  // Set by a write command that changed only this one of its keys (a *STORE's destination, the
  // key a multi-key pop served from): WATCH and blocked clients hear of it alone, as in Redis.
  // Unset (no data) means every key the command names.
  std::string_view modified_only;
  // Set by a write command that has told WATCH and blocked clients itself of every key it
  // changed (Server::KeyWritten: DEL of keys some of which were missing, COPY to another
  // database): the dispatcher tells of none.
  bool keys_signalled = false;
  // Durability (server/persistence): what the append-only log records for this command instead
  // of its arguments, for commands whose arguments would not replay to the same result (SPOP
  // as the SREM it performed, XADD * as XADD with the ID it chose). Several commands are
  // replayed atomically. Empty: the arguments (or the effects persistence derives itself).
  std::vector<std::vector<std::string>> propagate_as;
  // Records nothing for this command itself (commands it ran are still recorded).
  bool propagate_none = false;
  // Set with `unchanged` by a command that changed data WATCH does not see (consumer groups),
  // so the log still records it.
  bool changed_quietly = false;
  // When the command started, in Server::monotonic_us() (0: not known); a script times itself
  // from it rather than reading the clock again.
  int64_t start_us = 0;

  std::string_view arg(size_t i) const { return args[i]; }
  size_t argc() const { return args.size(); }
  void PropagateAs(std::vector<std::string> command) { propagate_as.push_back(std::move(command)); }
};

}  // namespace sluice
