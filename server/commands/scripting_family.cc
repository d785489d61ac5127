// Scripting: EVAL scripts (cached by SHA1), FUNCTION libraries and FCALL. The Lua side lives in
// server/scripting/; this file parses the commands and shapes their replies.
#include <memory>
#include <string>
#include <vector>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/protocol/errors.h"
#include "server/scripting/script_engine.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

using scripting::Engine;

Engine& EngineOf(CommandContext& ctx) { return Engine::Of(ctx.server); }

// Keys of EVAL/FCALL: the numkeys arguments after the numkeys argument.
void ScriptKeys(ArgList args, std::vector<size_t>* out) {
  int64_t n = 0;
  if (args.size() <= 2 || !ParseInt64(args[2], &n) || n <= 0) return;
  for (size_t i = 0; i < static_cast<size_t>(n) && 3 + i < args.size(); ++i) out->push_back(3 + i);
}

void ReplyHelp(CommandContext& ctx, const std::vector<std::string_view>& lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view line : lines) ctx.reply.SimpleString(line);
}

// EVAL script numkeys [key [key ...]] [arg [arg ...]]
void CmdEval(CommandContext& ctx) { EngineOf(ctx).Eval(ctx, false, false); }

// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
void CmdEvalSha(CommandContext& ctx) { EngineOf(ctx).Eval(ctx, true, false); }

// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
void CmdEvalRo(CommandContext& ctx) { EngineOf(ctx).Eval(ctx, false, true); }

// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
void CmdEvalShaRo(CommandContext& ctx) { EngineOf(ctx).Eval(ctx, true, true); }

// FCALL function numkeys [key [key ...]] [arg [arg ...]]
void CmdFcall(CommandContext& ctx) { EngineOf(ctx).Fcall(ctx, false); }

// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
void CmdFcallRo(CommandContext& ctx) { EngineOf(ctx).Fcall(ctx, true); }

// SCRIPT LOAD script
void CmdScriptLoad(CommandContext& ctx) {
  std::string sha, error;
  if (!EngineOf(ctx).LoadScript(ctx.arg(2), &sha, &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Bulk(sha);
}

// SCRIPT EXISTS sha1 [sha1 ...]
void CmdScriptExists(CommandContext& ctx) {
  Engine& engine = EngineOf(ctx);
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i)
    ctx.reply.Integer(engine.ScriptExists(ctx.arg(i)) ? 1 : 0);
}

// ASYNC / SYNC of SCRIPT FLUSH and FUNCTION FLUSH. Both flush at once: there is no background
// freeing, and the result is the same.
bool ValidFlushMode(CommandContext& ctx) {
  if (ctx.argc() == 2) return true;
  return ctx.argc() == 3 &&
         (EqualsIgnoreCase(ctx.arg(2), "ASYNC") || EqualsIgnoreCase(ctx.arg(2), "SYNC"));
}

// SCRIPT FLUSH [ASYNC | SYNC]
void CmdScriptFlush(CommandContext& ctx) {
  if (!ValidFlushMode(ctx)) {
    ctx.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  EngineOf(ctx).FlushScripts();
  ctx.reply.Ok();
}

// SCRIPT KILL
void CmdScriptKill(CommandContext& ctx) { EngineOf(ctx).Kill(ctx, true); }

// SCRIPT DEBUG <YES | SYNC | NO>
void CmdScriptDebug(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "NO")) {
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(ctx.arg(2), "YES") || EqualsIgnoreCase(ctx.arg(2), "SYNC")) {
    ctx.reply.Error("ERR The Lua debugger is not supported by this server");
  } else {
    ctx.reply.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  }
}

// SCRIPT HELP
void CmdScriptHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "DEBUG (YES|SYNC|NO)",
                     "    The Lua debugger; only NO is accepted by this server.",
                     "EXISTS <sha1> [<sha1> ...]",
                     "    For each SHA1, 1 if the script is in the cache, 0 otherwise.",
                     "FLUSH [ASYNC|SYNC]",
                     "    Empty the script cache.",
                     "KILL",
                     "    Stop the running script, if it has not written anything yet.",
                     "LOAD <script>",
                     "    Compile a script into the cache and return its SHA1, without running it.",
                     "HELP",
                     "    Print this help.",
                 });
}

// FUNCTION LOAD [REPLACE] function-code
void CmdFunctionLoad(CommandContext& ctx) {
  bool replace = false;
  for (size_t i = 2; i + 1 < ctx.argc(); ++i) {
    if (!EqualsIgnoreCase(ctx.arg(i), "REPLACE")) {
      ctx.reply.Error("ERR Unknown option given: " + std::string(ctx.arg(i)));
      return;
    }
    replace = true;
  }
  std::string name, error;
  if (!EngineOf(ctx).LoadLibrary(ctx.arg(ctx.argc() - 1), replace, &name, &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Bulk(name);
}

// FUNCTION DELETE library-name
void CmdFunctionDelete(CommandContext& ctx) {
  if (!EngineOf(ctx).DeleteLibrary(ctx.arg(2))) {
    ctx.reply.Error("ERR Library not found");
    return;
  }
  ctx.reply.Ok();
}

// FUNCTION FLUSH [ASYNC | SYNC]
void CmdFunctionFlush(CommandContext& ctx) {
  if (!ValidFlushMode(ctx)) {
    ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  EngineOf(ctx).FlushLibraries();
  ctx.reply.Ok();
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
void CmdFunctionList(CommandContext& ctx) {
  bool with_code = false;
  bool have_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (!with_code && EqualsIgnoreCase(ctx.arg(i), "WITHCODE")) {
      with_code = true;
    } else if (!have_pattern && EqualsIgnoreCase(ctx.arg(i), "LIBRARYNAME")) {
      if (i + 1 >= ctx.argc()) {
        ctx.reply.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.arg(++i);
      have_pattern = true;
    } else {
      ctx.reply.Error("ERR Unknown argument " + std::string(ctx.arg(i)));
      return;
    }
  }
  const auto& libraries = EngineOf(ctx).libraries();
  std::vector<const scripting::Library*> shown;
  for (const auto& [name, library] : libraries) {
    if (!have_pattern || GlobMatch(pattern, name, /*nocase=*/true)) shown.push_back(&library);
  }
  ctx.reply.ArrayHeader(shown.size());
  for (const scripting::Library* library : shown) {
    ctx.reply.MapHeader(with_code ? 4 : 3);
    ctx.reply.Bulk("library_name");
    ctx.reply.Bulk(library->name);
    ctx.reply.Bulk("engine");
    ctx.reply.Bulk("LUA");
    ctx.reply.Bulk("functions");
    ctx.reply.ArrayHeader(library->functions.size());
    for (const scripting::FunctionInfo& f : library->functions) {
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(f.name);
      ctx.reply.Bulk("description");
      if (f.has_description) {
        ctx.reply.Bulk(f.description);
      } else {
        ctx.reply.Null();
      }
      ctx.reply.Bulk("flags");
      static constexpr std::pair<uint32_t, std::string_view> kFlags[] = {
          {scripting::kScriptNoWrites, "no-writes"},
          {scripting::kScriptAllowOom, "allow-oom"},
          {scripting::kScriptAllowStale, "allow-stale"},
          {scripting::kScriptNoCluster, "no-cluster"},
          {scripting::kScriptAllowCrossSlotKeys, "allow-cross-slot-keys"},
      };
      size_t count = 0;
      for (const auto& [flag, name] : kFlags) count += (f.flags & flag) ? 1 : 0;
      ctx.reply.SetHeader(count);
      for (const auto& [flag, name] : kFlags) {
        if (f.flags & flag) ctx.reply.SimpleString(name);
      }
    }
    if (with_code) {
      ctx.reply.Bulk("library_code");
      ctx.reply.Bulk(library->code);
    }
  }
}

// FUNCTION DUMP
void CmdFunctionDump(CommandContext& ctx) { ctx.reply.Bulk(EngineOf(ctx).DumpLibraries()); }

// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
void CmdFunctionRestore(CommandContext& ctx) {
  if (ctx.argc() > 4) {
    ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
    return;
  }
  scripting::RestorePolicy policy = scripting::RestorePolicy::kAppend;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "FLUSH")) {
      policy = scripting::RestorePolicy::kFlush;
    } else if (EqualsIgnoreCase(ctx.arg(3), "APPEND")) {
      policy = scripting::RestorePolicy::kAppend;
    } else if (EqualsIgnoreCase(ctx.arg(3), "REPLACE")) {
      policy = scripting::RestorePolicy::kReplace;
    } else {
      ctx.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  std::string error;
  if (!EngineOf(ctx).RestoreLibraries(ctx.arg(2), policy, &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Ok();
}

// FUNCTION KILL
void CmdFunctionKill(CommandContext& ctx) { EngineOf(ctx).Kill(ctx, false); }

// FUNCTION STATS
void CmdFunctionStats(CommandContext& ctx) { EngineOf(ctx).ReplyStats(ctx); }

// FUNCTION HELP
void CmdFunctionHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "LOAD [REPLACE] <FUNCTION CODE>",
                     "    Load a library; its code starts with '#!lua name=<library name>'.",
                     "    REPLACE lets it take the place of a library of the same name.",
                     "DELETE <LIBRARY NAME>",
                     "    Remove a library and its functions.",
                     "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
                     "    Describe the libraries (name, engine, functions with their description",
                     "    and flags), only those whose name matches PATTERN if given, and with",
                     "    their code if WITHCODE is given.",
                     "STATS",
                     "    The running function, if any (name, command, duration in ms), and the",
                     "    number of libraries and functions per engine.",
                     "KILL",
                     "    Stop the running function, if it has not written anything yet.",
                     "FLUSH [ASYNC|SYNC]",
                     "    Remove every library.",
                     "DUMP",
                     "    A serialized payload of every library, for FUNCTION RESTORE.",
                     "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
                     "    Load the libraries of a payload. FLUSH removes the current libraries",
                     "    first; APPEND (the default) fails if a library already exists; REPLACE",
                     "    replaces libraries of the same name. Nothing changes if it fails.",
                     "HELP",
                     "    Print this help.",
                 });
}

CommandSpec Sub(std::string_view name, int arity, uint32_t flags, std::string_view since,
                std::string_view summary, std::string_view syntax, CommandHandler handler,
                std::string_view complexity = "O(1)") {
  return CommandSpec{.name = name,
                     .arity = arity,
                     .flags = flags,
                     .group = "scripting",
                     .since = since,
                     .summary = summary,
                     .syntax = syntax,
                     .handler = handler,
                     .complexity = complexity};
}

CommandSpec Runner(std::string_view name, uint32_t flags, std::string_view since,
                   std::string_view summary, std::string_view first_arg, CommandHandler handler) {
  static const std::string kRest = " numkeys:integer [key [key ...]] [arg [arg ...]]";
  static std::vector<std::unique_ptr<std::string>> syntaxes;
  syntaxes.push_back(std::make_unique<std::string>(std::string(first_arg) + kRest));
  return CommandSpec{.name = name,
                     .arity = -3,
                     .flags = flags | kCmdNoScript | kCmdStale | kCmdSkipMonitor | kCmdMovableKeys,
                     .group = "scripting",
                     .since = since,
                     .summary = summary,
                     .syntax = *syntaxes.back(),
                     .handler = handler,
                     .key_finder = ScriptKeys,
                     .complexity = "Depends on the script that is executed."};
}

}  // namespace

void RegisterScriptingFamily(CommandTable& table) {
  table.AddStartupHook(
      [](Server& server) { server.Attach(std::make_shared<scripting::Engine>(server)); });

  table.Add(Runner("eval", 0, "2.6.0", "Runs a Lua script on the server.", "script", CmdEval));
  table.Add(Runner("evalsha", 0, "2.6.0", "Runs a cached Lua script, named by its SHA1.", "sha1",
                   CmdEvalSha));
  table.Add(Runner("eval_ro", kCmdReadOnly, "7.0.0",
                   "Runs a Lua script that may not write to the dataset.", "script", CmdEvalRo));
  table.Add(Runner("evalsha_ro", kCmdReadOnly, "7.0.0",
                   "Runs a cached read-only Lua script, named by its SHA1.", "sha1", CmdEvalShaRo));
  table.Add(
      Runner("fcall", 0, "7.0.0", "Calls a function of a loaded library.", "function", CmdFcall));
  table.Add(Runner("fcall_ro", kCmdReadOnly, "7.0.0",
                   "Calls a function flagged no-writes of a loaded library.", "function",
                   CmdFcallRo));

  std::vector<CommandSpec> script;
  script.push_back(Sub("script|load", 3, kCmdNoScript | kCmdStale, "2.6.0",
                       "Compiles a script into the script cache without running it.", "script",
                       CmdScriptLoad, "O(N) with N being the length in bytes of the script body."));
  script.push_back(Sub("script|exists", -3, kCmdNoScript, "2.6.0",
                       "Tells which scripts are in the script cache.", "sha1 [sha1 ...]",
                       CmdScriptExists, "O(N) with N being the number of scripts to check"));
  script.push_back(Sub("script|flush", -2, kCmdNoScript, "2.6.0", "Empties the script cache.",
                       "[ASYNC | SYNC]", CmdScriptFlush,
                       "O(N) with N being the number of scripts in cache"));
  script.push_back(Sub("script|kill", 2, kCmdNoScript | kCmdAllowBusy, "2.6.0",
                       "Stops the running script if it has not written yet.", "", CmdScriptKill));
  script.push_back(Sub("script|debug", 3, kCmdNoScript, "3.2.0",
                       "Sets the Lua debugger mode (only NO is supported).", "<YES | SYNC | NO>",
                       CmdScriptDebug));
  script.push_back(Sub("script|help", 2, kCmdLoading | kCmdStale, "5.0.0",
                       "Shows help about the SCRIPT subcommands.", "", CmdScriptHelp));
  table.Add({.name = "script",
             .arity = -2,
             .group = "scripting",
             .since = "2.6.0",
             .summary = "A container for the script cache commands.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(script)});

  std::vector<CommandSpec> function;
  function.push_back(Sub("function|load", -3, kCmdWrite | kCmdDenyOom | kCmdNoScript, "7.0.0",
                         "Loads a library of functions.", "[REPLACE] function-code",
                         CmdFunctionLoad, "O(1) (considering compilation time is redundant)"));
  function.push_back(Sub("function|delete", 3, kCmdWrite | kCmdNoScript, "7.0.0",
                         "Removes a library and its functions.", "library-name",
                         CmdFunctionDelete));
  function.push_back(Sub("function|flush", -2, kCmdWrite | kCmdNoScript, "7.0.0",
                         "Removes every library.", "[ASYNC | SYNC]", CmdFunctionFlush,
                         "O(N) where N is the number of functions deleted"));
  function.push_back(Sub("function|list", -2, kCmdNoScript, "7.0.0",
                         "Describes the loaded libraries.",
                         "[LIBRARYNAME library-name-pattern] [WITHCODE]", CmdFunctionList,
                         "O(N) where N is the number of functions"));
  function.push_back(Sub("function|dump", 2, kCmdNoScript, "7.0.0",
                         "Serializes every library into a payload for FUNCTION RESTORE.", "",
                         CmdFunctionDump, "O(N) where N is the number of functions"));
  function.push_back(Sub("function|restore", -3, kCmdWrite | kCmdDenyOom | kCmdNoScript, "7.0.0",
                         "Loads the libraries of a FUNCTION DUMP payload.",
                         "serialized-value [FLUSH | APPEND | REPLACE]", CmdFunctionRestore,
                         "O(N) where N is the number of functions on the payload"));
  function.push_back(Sub("function|kill", 2, kCmdNoScript | kCmdAllowBusy, "7.0.0",
                         "Stops the running function if it has not written yet.", "",
                         CmdFunctionKill));
  function.push_back(Sub("function|stats", 2, kCmdNoScript | kCmdAllowBusy, "7.0.0",
                         "Reports the running function and the number of libraries.", "",
                         CmdFunctionStats));
  function.push_back(Sub("function|help", 2, kCmdLoading | kCmdStale, "7.0.0",
                         "Shows help about the FUNCTION subcommands.", "", CmdFunctionHelp));
  table.Add({.name = "function",
             .arity = -2,
             .group = "scripting",
             .since = "7.0.0",
             .summary = "A container for the function library commands.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(function)});
}

}  // namespace sluice
