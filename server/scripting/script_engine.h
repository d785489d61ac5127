// The scripting engine of one server: the EVAL script cache and its Lua state, the FUNCTION
// libraries and theirs, the redis.* API scripts call, and the script in progress (which a slow
// script turns into the server's busy state: from inside the script the event loop keeps
// serving other clients, who may only kill it).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "server/commands/command.h"
#include "server/util/string_hash.h"

namespace sluice {
class Server;
class Session;
}  // namespace sluice

namespace sluice::scripting {

// Script flags, from an EVAL script's "#!lua flags=..." line or a function's registration.
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1 << 0,
  kScriptAllowOom = 1 << 1,
  kScriptAllowStale = 1 << 2,
  kScriptNoCluster = 1 << 3,
  kScriptAllowCrossSlotKeys = 1 << 4,
  // An EVAL script without "#!": the behaviour scripts had before flags existed.
  kScriptNoShebang = 1 << 5,
};

struct FunctionInfo {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;
  int ref = LUA_NOREF;  // the callback, in the functions state's registry
};

struct Library {
  std::string name;
  std::string code;
  std::vector<FunctionInfo> functions;  // in registration order
};

enum class RestorePolicy { kAppend, kReplace, kFlush };

class Engine {
 public:
  // Script calls between two explicit garbage-collector steps.
  static constexpr int kGcPeriod = 50;

  explicit Engine(Server& server);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The engine of a server (created with it).
  static Engine& Of(Server& server);

  // EVAL script numkeys key... arg... / EVALSHA sha1 numkeys ...; `by_sha` for EVALSHA.
  void Eval(CommandContext& ctx, bool by_sha, bool read_only);
  // FCALL function numkeys key... arg...
  void Fcall(CommandContext& ctx, bool read_only);

  // SCRIPT LOAD: compiles and caches; returns the SHA1 or sets *error.
  bool LoadScript(std::string_view body, std::string* sha, std::string* error);
  bool ScriptExists(std::string_view sha) const;
  void FlushScripts();

  // FUNCTION LOAD: returns the library name or sets *error.
  bool LoadLibrary(std::string_view code, bool replace, std::string* name, std::string* error);
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  const std::map<std::string, Library, std::less<>>& libraries() const { return libraries_; }
  size_t function_count() const { return functions_.size(); }
  // FUNCTION DUMP / RESTORE, in Redis's payload format.
  std::string DumpLibraries() const;
  bool RestoreLibraries(std::string_view payload, RestorePolicy policy, std::string* error);

  // Queue hooks (RETRYHOOK, ROUTEHOOK): calls library function `name` outside any client's
  // request, with KEYS and ARGV, its redis.call commands running in database `db`. The return
  // value comes back as strings: nil or false as is_nil, a table as its array items, a string
  // or number as one item. An unknown function, a Lua error, a value of another shape, or a run
  // past `time_limit_ms` (0: none) return false with *error. May run inside a script (a hook of
  // a queue command the script called).
  struct HookResult {
    bool is_nil = false;
    std::vector<std::string> items;
  };
  bool CallHook(std::string_view name, const std::vector<std::string>& keys,
                const std::vector<std::string>& args, int db, int64_t time_limit_ms,
                HookResult* result, std::string* error);

  // SCRIPT KILL (from_eval_command) / FUNCTION KILL.
  void Kill(CommandContext& ctx, bool from_script_command);
  // FUNCTION STATS.
  void ReplyStats(CommandContext& ctx);

  // Test seams: `observer` runs at every instruction-count check of a running script (tests
  // move the fake clock there); `pump` replaces the event-loop pass of a busy script.
  void SetHookObserverForTesting(std::function<void()> observer) {
    hook_observer_ = std::move(observer);
  }
  void SetEventPumpForTesting(std::function<void()> pump) { event_pump_ = std::move(pump); }
  // Whether the cached script `sha` reads KEYS, ARGV and redis as upvalues (BindArgsAndRedis).
  bool ArgsBoundForTesting(std::string_view sha) const {
    auto it = scripts_.find(sha);
    return it != scripts_.end() && it->second.args_bound;
  }

 private:
  struct EvalScript {
    std::string body;
    uint32_t flags = 0;
    int ref = LUA_NOREF;
    // The script only reads KEYS and ARGV (ReadsArgsOnly): it gets the reused tables.
    bool reads_args_only = false;
    bool args_bound = false;  // BindArgsAndRedis took it
  };
  // The script in progress.
  struct Run {
    bool is_eval = true;
    bool loading = false;  // a FUNCTION LOAD registering its functions
    // SHA1 or function name, and the command that runs the script. Views into the script
    // cache or library and into the caller's request, both of which outlive the run until the
    // script turns busy: from then on other clients' commands run (and may read these through
    // FUNCTION STATS), so EnterBusy copies them into `owned` first.
    std::string_view name;
    ArgList command;
    struct Owned {
      std::string name;
      std::vector<std::string> command;
      std::vector<std::string_view> command_views;
    };
    std::unique_ptr<Owned> owned;  // only a busy script needs them
    Session* caller = nullptr;
    lua_State* L = nullptr;
    int64_t start_ms = 0;
    bool read_only = false;
    bool wrote = false;
    // maxmemory: memory was over the limit when the script started, and the script may not
    // ignore that (no allow-oom flag); its first command that may grow the dataset is refused.
    bool oom_at_start = false;
    bool killed = false;
    bool timed_out = false;
    int resp = 2;
    int db = 0;
    Library* library = nullptr;  // loading: where register_function adds
    // A queue hook: stopped (not made busy) at `hook_limit_ms`; its redis.call commands run
    // as `session` instead of the scripts' client, which may be in the middle of a command.
    bool hook = false;
    int64_t hook_limit_ms = 0;
    Session* session = nullptr;
  };

  lua_State* NewEvalState();
  lua_State* NewFunctionsState();
  bool CompileEval(std::string_view body, const std::string& sha, std::string* error);
  // Replaces the compiled script on top of the eval state's stack by one that reads KEYS, ARGV
  // and redis as upvalues, for a script that only reads KEYS and ARGV (so the reused tables can
  // stand for them), only reads fields of redis and assigns no global. Leaves the script as it
  // is if the other form does not compile.
  bool BindArgsAndRedis(std::string_view body);
  // Runs the function on top of the stack with `nargs` arguments above it and replies.
  void RunAndReply(CommandContext& ctx, Run& run, int nargs);
  // Installs (or removes) the count hook scripts run under.
  static void SetStandingHook(lua_State* L, bool on);
  // Over maxmemory, a script whose flags say it may write and that has not opted into
  // allow-oom is refused before it runs.
  bool RefusedForMemory(uint32_t script_flags) const;
  void PushArray(lua_State* L, ArgList items);
  // What a reused KEYS or ARGV table holds: how many items, and a copy of each short one, so a
  // call that passes an item again (a queue's key names, mostly) leaves its slot alone.
  struct ReusedArray {
    size_t size = 0;
    std::vector<std::string> copies;
    std::vector<uint8_t> copied;  // copies[i] is what slot i + 1 holds

    bool Holds(size_t i, std::string_view item) const {
      return copied[i] && copies[i].size() == item.size() &&
             memcmp(copies[i].data(), item.data(), item.size()) == 0;
    }
    bool HoldsAll(ArgList items) const {
      if (items.size() != size) return false;
      for (size_t i = 0; i < items.size(); ++i) {
        if (!Holds(i, items[i])) return false;
      }
      return true;
    }
  };
  // Makes the reused table at stack `slot` hold exactly `items`: checked here, so the usual
  // call (the same items as the last one) costs no function call.
  void RefillArray(lua_State* L, int slot, ReusedArray* array, ArgList items) {
    if (!array->HoldsAll(items)) RefillArrayItems(L, slot, array, items);
  }
  void RefillArrayItems(lua_State* L, int slot, ReusedArray* array, ArgList items);
  bool BuildLibrary(std::string_view code, bool replace_allowed, Library* out, std::string* error);
  void ReleaseLibrary(Library& library);
  int64_t NowMs() const;
  void EnterBusy(Run& run);
  void LeaveBusy(Run& run);

  // redis.* implementations: return the number of results, or -1 with an error table pushed
  // (the Lua-facing wrappers raise it once C++ locals are gone).
  int DoCall(lua_State* L, bool raise);
  // The command redis.call names (before subcommands), remembered for the next call.
  const CommandSpec* FindCalledCommand(lua_State* L, const Run& run, std::string_view name);
  int DoRegisterFunction(lua_State* L);
  int DoLog(lua_State* L);
  int DoSetResp(lua_State* L);
  int DoSetRepl(lua_State* L);
  int DoAclCheckCmd(lua_State* L);
  // The count hook: true when the script must stop.
  bool OnHook();

  static int LuaCall(lua_State* L);
  static int LuaPcall(lua_State* L);
  static int LuaRegisterFunction(lua_State* L);
  static int LuaLog(lua_State* L);
  static int LuaSetResp(lua_State* L);
  static int LuaSetRepl(lua_State* L);
  static int LuaAclCheckCmd(lua_State* L);
  static void CountHook(lua_State* L, lua_Debug* ar);

  Server& server_;
  lua_State* eval_lua_ = nullptr;
  lua_State* functions_lua_ = nullptr;
  // EVALSHA looks scripts up by the SHA1 it was given, without copying it.
  std::unordered_map<std::string, EvalScript, StringHash, std::equal_to<>> scripts_;
  // The script the last EVAL or EVALSHA ran: clients call the same one over and over, and
  // comparing 40 characters costs less than hashing them. Scripts leave the cache only all at
  // once (SCRIPT FLUSH), which clears this too.
  std::pair<const std::string, EvalScript>* last_script_ = nullptr;
  std::map<std::string, Library, std::less<>> libraries_;
  // Lowercased function name -> library name.
  std::unordered_map<std::string, std::string> functions_;
  std::unique_ptr<Session> script_session_;  // the client redis.call runs as
  int calls_since_gc_step_ = 0;
  // Each state's heap (in KB) after its last explicit collector step.
  int eval_heap_kb_at_gc_step_ = 0;
  int functions_heap_kb_at_gc_step_ = 0;
  // ScriptErrorHandler of the functions state, kept in its registry so a call pushes it without
  // allocating a closure. The eval state keeps its own at kEvalHandlerSlot.
  int functions_handler_ref_ = LUA_NOREF;
  // The bottom of the eval state's stack, below every script call, holds what each call uses:
  // the reused KEYS and ARGV tables, the error handler and the last script run, so a call
  // reaches them by stack index rather than by registry lookups.
  static constexpr int kReusedKeysSlot = 1;
  static constexpr int kReusedArgvSlot = 2;
  static constexpr int kEvalHandlerSlot = 3;
  static constexpr int kLastScriptSlot = 4;  // last_script_'s function
  // The eval state's real globals and its "KEYS" and "ARGV" strings, so setting them for a
  // call neither looks the globals up nor interns the names.
  int globals_ref_ = LUA_NOREF;
  int keys_name_ref_ = LUA_NOREF;
  int argv_name_ref_ = LUA_NOREF;
  // The KEYS and ARGV tables handed to scripts that only read them (refilled for each call).
  // No other script ever sees them: the globals point at fresh tables while any other script
  // runs, so they hold what the last refill put there.
  ReusedArray reused_keys_;
  ReusedArray reused_argv_;
  // Whether the globals KEYS and ARGV are the reused tables (the last script only read them).
  bool reused_installed_ = false;
  // busy-reply-threshold, followed through CONFIG SET (shared: the config may outlive us).
  std::shared_ptr<int64_t> busy_threshold_ = std::make_shared<int64_t>(0);
  // The command name redis.call last looked up, held in its state's registry slot (so its
  // address stays that string's), and what it named.
  struct CalledCommand {
    lua_State* state = nullptr;
    std::string_view name;
    const CommandSpec* spec = nullptr;
  };
  CalledCommand called_;
  int eval_called_ref_ = LUA_NOREF;
  int functions_called_ref_ = LUA_NOREF;
  std::vector<std::string> call_numbers_;
  std::vector<std::string_view> call_args_;
  std::unique_ptr<Session> hook_session_;  // ... and in queue hooks
  Run* run_ = nullptr;
  std::function<void()> hook_observer_;
  std::function<void()> event_pump_;
};

}  // namespace sluice::scripting
