#include "server/scripting/script_engine.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "server/commands/command_table.h"
#include "server/commands/dispatcher.h"
#include "server/core/log.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/core/version.h"
#include "server/protocol/errors.h"
#include "server/scripting/args_usage.h"
#include "server/scripting/lua_convert.h"
#include "server/scripting/lua_sandbox.h"
#include "server/util/crc64.h"
#include "server/util/numbers.h"
#include "server/util/sha1.h"

extern "C" {
#include <lauxlib.h>
}

namespace sluice::scripting {
namespace {

constexpr int kHookInstructions = 100000;
constexpr int64_t kLoadTimeoutMs = 500;
constexpr const char* kBusyEval =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
constexpr const char* kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
constexpr const char* kNotBusy = "NOTBUSY No scripts in execution right now.";
constexpr const char* kUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
constexpr const char* kNameRules =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";
// FUNCTION DUMP payloads are Redis's: one function opcode and RDB string per library, then the
// RDB version and a CRC-64, so libraries move between Sluice and Redis.
constexpr uint8_t kFunctionOpcode = 0xf5;
constexpr uint16_t kRdbVersion = 10;

// Every server's engine, and the one asked for last: a process runs one server, or a test a
// few, and every script command asks.
struct EngineDirectory {
  std::unordered_map<const Server*, Engine*> all;
  const Server* last_server = nullptr;
  Engine* last_engine = nullptr;
};

EngineDirectory& Engines() {
  static EngineDirectory engines;
  return engines;
}

struct FlagName {
  uint32_t flag;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kScriptNoWrites, "no-writes"},
    {kScriptAllowOom, "allow-oom"},
    {kScriptAllowStale, "allow-stale"},
    {kScriptNoCluster, "no-cluster"},
    {kScriptAllowCrossSlotKeys, "allow-cross-slot-keys"},
};

bool FlagFromName(std::string_view name, uint32_t* flag) {
  for (const FlagName& f : kFlagNames) {
    if (f.name == name) {
      *flag = f.flag;
      return true;
    }
  }
  return false;
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isspace(static_cast<unsigned char>(text[i]))) i++;
    size_t start = i;
    while (i < text.size() && !isspace(static_cast<unsigned char>(text[i]))) i++;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
  return parts;
}

// The flags of an EVAL script's "#!" line.
bool ParseEvalShebang(std::string_view body, uint32_t* flags, std::string* error) {
  if (!body.starts_with("#!")) {
    *flags = kScriptNoShebang;
    return true;
  }
  *flags = 0;
  std::string_view line = body.substr(0, body.find('\n'));
  std::vector<std::string_view> parts = SplitSpaces(line);
  if (parts.empty() || parts[0] != "#!lua") {
    *error =
        "ERR Unexpected engine in script shebang: " + std::string(parts.empty() ? line : parts[0]);
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (!parts[i].starts_with("flags=")) {
      *error = "ERR Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view name = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (name.empty()) continue;
      uint32_t flag;
      if (!FlagFromName(name, &flag)) {
        *error = "ERR Unexpected flag in script shebang: " + std::string(name);
        return false;
      }
      *flags |= flag;
    }
  }
  return true;
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

// Commands that are not flagged write but replicate effects: read-only scripts refuse them too.
bool MayReplicate(std::string_view name) {
  return name == "publish" || name == "spublish" || name == "pfcount";
}

// --- RDB strings, as FUNCTION DUMP payloads carry them ---------------------------------------

void PutRdbLength(std::string* out, uint64_t len) {
  if (len < (1 << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
}

class RdbReader {
 public:
  explicit RdbReader(std::string_view in) : in_(in) {}
  bool at_end() const { return pos_ >= in_.size(); }
  bool ReadByte(uint8_t* b) {
    if (pos_ >= in_.size()) return false;
    *b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  // Returns the length, or sets *encoding (0..3) for the special string encodings.
  bool ReadLength(uint64_t* len, int* encoding) {
    uint8_t first;
    if (!ReadByte(&first)) return false;
    *encoding = -1;
    switch (first >> 6) {
      case 0:
        *len = first & 0x3f;
        return true;
      case 1: {
        uint8_t second;
        if (!ReadByte(&second)) return false;
        *len = (static_cast<uint64_t>(first & 0x3f) << 8) | second;
        return true;
      }
      case 2: {
        int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
        if (bytes == 0) return false;
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) {
          uint8_t b;
          if (!ReadByte(&b)) return false;
          v = (v << 8) | b;
        }
        *len = v;
        return true;
      }
      default:
        *encoding = first & 0x3f;
        return true;
    }
  }
  bool ReadString(std::string* out) {
    uint64_t len;
    int encoding;
    if (!ReadLength(&len, &encoding)) return false;
    if (encoding < 0) {
      if (len > in_.size() - pos_) return false;
      out->assign(in_.substr(pos_, len));
      pos_ += len;
      return true;
    }
    if (encoding <= 2) {  // integers stored as 1, 2 or 4 little-endian bytes
      int bytes = 1 << encoding;
      uint64_t v = 0;
      for (int i = 0; i < bytes; ++i) {
        uint8_t b;
        if (!ReadByte(&b)) return false;
        v |= static_cast<uint64_t>(b) << (8 * i);
      }
      int64_t value = encoding == 0   ? static_cast<int8_t>(v)
                      : encoding == 1 ? static_cast<int16_t>(v)
                                      : static_cast<int32_t>(v);
      *out = std::to_string(value);
      return true;
    }
    if (encoding != 3) return false;
    uint64_t compressed, plain;
    int ignored;
    if (!ReadLength(&compressed, &ignored) || ignored >= 0) return false;
    if (!ReadLength(&plain, &ignored) || ignored >= 0) return false;
    if (compressed > in_.size() - pos_ || plain > (1u << 30)) return false;
    bool ok = LzfDecompress(in_.substr(pos_, compressed), plain, out);
    pos_ += compressed;
    return ok;
  }

 private:
  // LZF: a control byte below 32 starts a literal run of ctrl+1 bytes; otherwise it is a back
  // reference of (ctrl >> 5) + 2 bytes (7 meaning "add the next byte"), at distance
  // ((ctrl & 31) << 8) + next byte + 1.
  static bool LzfDecompress(std::string_view in, uint64_t plain, std::string* out) {
    out->clear();
    out->reserve(plain);
    size_t i = 0;
    while (i < in.size()) {
      unsigned ctrl = static_cast<uint8_t>(in[i++]);
      if (ctrl < 32) {
        size_t run = ctrl + 1;
        if (run > in.size() - i || out->size() + run > plain) return false;
        out->append(in.substr(i, run));
        i += run;
        continue;
      }
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (i >= in.size()) return false;
        len += static_cast<uint8_t>(in[i++]);
      }
      len += 2;
      if (i >= in.size()) return false;
      size_t distance = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[i++]) + 1;
      if (distance > out->size() || out->size() + len > plain) return false;
      size_t from = out->size() - distance;
      for (size_t k = 0; k < len; ++k) out->push_back((*out)[from + k]);
    }
    return out->size() == plain;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Lifecycle

Engine::Engine(Server& server) : server_(server) {
  Engines().all[&server] = this;
  script_session_ = std::make_unique<Session>(server, 0, nullptr);
  hook_session_ = std::make_unique<Session>(server, 0, nullptr);
  eval_lua_ = NewEvalState();
  functions_lua_ = NewFunctionsState();
  server.config().OnChange(
      "busy-reply-threshold",
      [threshold = busy_threshold_](const Config::Param& p) { *threshold = p.int_value; });
}

Engine::~Engine() {
  EngineDirectory& engines = Engines();
  auto it = engines.all.find(&server_);
  if (it != engines.all.end() && it->second == this) engines.all.erase(it);
  if (engines.last_engine == this) {
    engines.last_server = nullptr;
    engines.last_engine = nullptr;
  }
  if (eval_lua_ != nullptr) lua_close(eval_lua_);
  if (functions_lua_ != nullptr) lua_close(functions_lua_);
}

Engine& Engine::Of(Server& server) {
  EngineDirectory& engines = Engines();
  if (engines.last_server != &server) {
    engines.last_engine = engines.all.at(&server);
    engines.last_server = &server;
  }
  return *engines.last_engine;
}

namespace {

int LuaSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushErrorTable(L, "ERR wrong number of arguments");
    return lua_error(L);
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s != nullptr ? std::string_view(s, len) : std::string_view());
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

// redis.error_reply / redis.status_reply: bad arguments give an error table, not an error.
int LuaErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string text(s, len);
  if (text.empty() || text[0] != '-') text.insert(0, "-");
  text = ErrorTableText(text);
  PushErrorTable(L, text);
  return 1;
}

int LuaStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int LuaReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// The debugger is not supported: breakpoints are never hit and debug output goes nowhere.
int LuaBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int LuaDebug(lua_State*) { return 0; }

// A registry slot for the engine to fill later.
int ReserveRegistrySlot(lua_State* L) {
  lua_pushboolean(L, 0);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

// Keeps a ScriptErrorHandler closure in the registry; returns its reference.
int RefErrorHandler(lua_State* L) {
  lua_pushcfunction(L, ScriptErrorHandler);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

}  // namespace

int Engine::LuaCall(lua_State* L) {
  int n = static_cast<Engine*>(LuaContext(L))->DoCall(L, true);
  return n < 0 ? lua_error(L) : n;
}

int Engine::LuaPcall(lua_State* L) { return static_cast<Engine*>(LuaContext(L))->DoCall(L, false); }

int Engine::LuaRegisterFunction(lua_State* L) {
  int n = static_cast<Engine*>(LuaContext(L))->DoRegisterFunction(L);
  return n < 0 ? lua_error(L) : n;
}

int Engine::LuaLog(lua_State* L) {
  int n = static_cast<Engine*>(LuaContext(L))->DoLog(L);
  return n < 0 ? lua_error(L) : n;
}

int Engine::LuaSetResp(lua_State* L) {
  int n = static_cast<Engine*>(LuaContext(L))->DoSetResp(L);
  return n < 0 ? lua_error(L) : n;
}

int Engine::LuaSetRepl(lua_State* L) {
  int n = static_cast<Engine*>(LuaContext(L))->DoSetRepl(L);
  return n < 0 ? lua_error(L) : n;
}

int Engine::LuaAclCheckCmd(lua_State* L) {
  int n = static_cast<Engine*>(LuaContext(L))->DoAclCheckCmd(L);
  return n < 0 ? lua_error(L) : n;
}

lua_State* Engine::NewEvalState() {
  static const luaL_Reg kRuntime[] = {
      {"call", LuaCall},
      {"pcall", LuaPcall},
      {"log", LuaLog},
      {"setresp", LuaSetResp},
      {"set_repl", LuaSetRepl},
      {"acl_check_cmd", LuaAclCheckCmd},
      {"sha1hex", LuaSha1Hex},
      {"error_reply", LuaErrorReply},
      {"status_reply", LuaStatusReply},
      {"replicate_commands", LuaReplicateCommands},
      {"breakpoint", LuaBreakpoint},
      {"debug", LuaDebug},
      {nullptr, nullptr},
  };
  lua_State* L = NewSandboxedState(VmKind::kEval, {kRuntime, nullptr, kRedisCompatVersion}, this);
  if (called_.state == eval_lua_) called_ = {};
  eval_called_ref_ = ReserveRegistrySlot(L);
  PushRealGlobals(L);
  globals_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushliteral(L, "KEYS");
  keys_name_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushliteral(L, "ARGV");
  argv_name_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  lua_newtable(L);                           // kReusedKeysSlot
  lua_newtable(L);                           // kReusedArgvSlot
  lua_pushcfunction(L, ScriptErrorHandler);  // kEvalHandlerSlot
  lua_pushnil(L);                            // kLastScriptSlot
  static_assert(kReusedKeysSlot == 1 && kReusedArgvSlot == 2 && kEvalHandlerSlot == 3 &&
                kLastScriptSlot == 4);
  reused_keys_ = ReusedArray();
  reused_argv_ = ReusedArray();
  reused_installed_ = false;
  eval_heap_kb_at_gc_step_ = lua_gc(L, LUA_GCCOUNT, 0);
  return L;
}

lua_State* Engine::NewFunctionsState() {
  static const luaL_Reg kRuntime[] = {
      {"call", LuaCall},
      {"pcall", LuaPcall},
      {"log", LuaLog},
      {"setresp", LuaSetResp},
      {"set_repl", LuaSetRepl},
      {"acl_check_cmd", LuaAclCheckCmd},
      {"sha1hex", LuaSha1Hex},
      {"error_reply", LuaErrorReply},
      {"status_reply", LuaStatusReply},
      {nullptr, nullptr},
  };
  static const luaL_Reg kLoad[] = {
      {"register_function", LuaRegisterFunction},
      {"log", LuaLog},
      {nullptr, nullptr},
  };
  lua_State* L =
      NewSandboxedState(VmKind::kFunctions, {kRuntime, kLoad, kRedisCompatVersion}, this);
  if (called_.state == functions_lua_) called_ = {};
  functions_called_ref_ = ReserveRegistrySlot(L);
  functions_handler_ref_ = RefErrorHandler(L);
  functions_heap_kb_at_gc_step_ = lua_gc(L, LUA_GCCOUNT, 0);
  return L;
}

int64_t Engine::NowMs() const { return server_.monotonic_us() / 1000; }

// ---------------------------------------------------------------------------------------------
// The redis.* API

const CommandSpec* Engine::FindCalledCommand(lua_State* L, const Run& run, std::string_view name) {
  // Lua interns strings: while the registry holds the name last looked up, a name at the same
  // address is that same string (a script's literal, mostly), and its command is known.
  if (name.data() == called_.name.data() && name.size() == called_.name.size() &&
      run.L == called_.state) {
    return called_.spec;
  }
  const CommandSpec* spec = server_.commands().Find(name);
  if (lua_type(L, 1) == LUA_TSTRING && (run.L == eval_lua_ || run.L == functions_lua_)) {
    lua_pushvalue(L, 1);
    lua_rawseti(L, LUA_REGISTRYINDEX,
                run.L == eval_lua_ ? eval_called_ref_ : functions_called_ref_);
    called_ = {run.L, name, spec};
  }
  return spec;
}

int Engine::DoCall(lua_State* L, bool raise) {
  int argc = lua_gettop(L);
  auto fail = [&](std::string_view text) {
    PushErrorTable(L, text);
    return raise ? -1 : 1;
  };
  Run* run = run_;
  if (run == nullptr || run->loading) {
    return fail("ERR redis.call can only be called inside a script invocation");
  }
  if (argc == 0) return fail("ERR Please specify at least one argument for this redis lib call");
  // Reused between calls, so a call does not allocate its argument list. A queue hook run from
  // inside a command called by a script does nest: CallHook sets these aside while it runs.
  std::vector<std::string>& numbers = call_numbers_;
  std::vector<std::string_view>& args = call_args_;
  numbers.clear();
  args.clear();
  numbers.reserve(static_cast<size_t>(argc));
  args.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    int type = lua_type(L, i);
    if (type == LUA_TNUMBER) {
      // Lua's own conversion keeps 14 digits; Redis passes numbers with full precision.
      // Integral values (counts, TTLs, scores) take the short path; %.17g prints them alike.
      lua_Number n = lua_tonumber(L, i);
      char buf[64];
      int len;
      if (n >= -1e15 && n <= 1e15 && n == static_cast<lua_Number>(static_cast<int64_t>(n)) &&
          !(n == 0 && std::signbit(n))) {
        len = static_cast<int>(std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(n)).ptr -
                               buf);
      } else {
        len = snprintf(buf, sizeof(buf), "%.17g", n);
      }
      numbers.emplace_back(buf, static_cast<size_t>(len));
      args.push_back(numbers.back());
    } else if (type == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      args.emplace_back(s, len);
    } else {
      return fail("ERR Lua redis lib command arguments must be strings or integers");
    }
  }
  // From here on the command itself is being called: Redis marks its refusals (see
  // PushCommandErrorTable).
  auto refuse = [&](std::string_view text) {
    PushCommandErrorTable(L, text);
    return raise ? -1 : 1;
  };
  const CommandSpec* spec = FindCalledCommand(L, *run, args[0]);
  if (spec != nullptr && spec->is_container()) {
    bool runs_alone = spec->handler != nullptr && spec->CheckArity(args.size());
    if (args.size() >= 2) {
      spec = CommandTable::FindSubcommand(*spec, args[1]);
      if (spec == nullptr) return refuse("ERR Unknown Redis command called from script");
    } else if (!runs_alone) {
      return refuse("ERR Wrong number of args calling Redis command from script");
    }
  }
  if (spec == nullptr) return refuse("ERR Unknown Redis command called from script");
  if (!spec->CheckArity(args.size())) {
    return refuse("ERR Wrong number of args calling Redis command from script");
  }
  if (spec->flags & kCmdNoScript) {
    return refuse("ERR This Redis command is not allowed from script");
  }
  bool write = (spec->flags & kCmdWrite) != 0;
  if (run->read_only && (write || MayReplicate(spec->name))) {
    return refuse("ERR Write commands are not allowed from read-only scripts.");
  }
  // Over maxmemory a script may still read, and once it has written it must be let finish.
  if (run->oom_at_start && !run->wrote && (spec->flags & kCmdDenyOom)) {
    return refuse(errors::kOom);
  }
  if (write) run->wrote = true;

  Session& session = run->session != nullptr ? *run->session : *script_session_;
  session.set_db_index(run->db);
  session.set_resp3(run->resp == 3);
  session.output().clear();
  ReplyBuilder::IntegerCapture integer;
  session.reply().StartIntegerCapture(&integer);
  ExecuteCommand(server_, session, *spec, args, /*may_block=*/false);
  session.reply().EndIntegerCapture();
  run->db = session.db_index();
  if (integer.captured) {
    lua_pushnumber(L, static_cast<lua_Number>(integer.value));
    return 1;  // a number: no error to raise
  }
  size_t pos = 0;
  bool converted = PushReply(L, session.output(), &pos);
  // Cleared, not released: the next call reuses the buffer.
  session.output().clear();
  if (!converted) return fail("ERR reply of the command could not be converted for the script");
  if (raise && lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    bool is_error = lua_type(L, -1) == LUA_TSTRING;
    lua_pop(L, 1);
    if (is_error) return -1;
  }
  return 1;
}

int Engine::DoLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) {
    PushErrorTable(L, "ERR redis.log() requires two arguments or more.");
    return -1;
  }
  if (!lua_isnumber(L, 1)) {
    PushErrorTable(L, "ERR First argument must be a number (log level).");
    return -1;
  }
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) {
    PushErrorTable(L, "ERR Invalid debug level.");
    return -1;
  }
  std::string message;
  for (int i = 2; i <= argc; ++i) {
    size_t len;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (i != 2) message += ' ';
    message.append(s, len);
  }
  static constexpr LogLevel kLevels[] = {LogLevel::kDebug, LogLevel::kVerbose, LogLevel::kNotice,
                                         LogLevel::kWarning};
  Log(kLevels[level], "%s", message.c_str());
  return 0;
}

int Engine::DoSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushErrorTable(L, "ERR redis.setresp() requires one argument.");
    return -1;
  }
  int resp = static_cast<int>(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) {
    PushErrorTable(L, "ERR RESP version must be 2 or 3.");
    return -1;
  }
  if (run_ != nullptr) run_->resp = resp;
  return 0;
}

// Replication is not implemented; the call is validated and accepted so scripts run unchanged.
int Engine::DoSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushErrorTable(L, "ERR redis.set_repl() requires two arguments.");
    return -1;
  }
  int flags = static_cast<int>(lua_tonumber(L, 1));
  if ((flags & ~3) != 0) {
    PushErrorTable(L,
                   "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                   "REPL_NONE.");
    return -1;
  }
  return 0;
}

// There are no ACL users: every known command is allowed.
int Engine::DoAclCheckCmd(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushErrorTable(L, "ERR Please specify at least one argument for this redis lib call");
    return -1;
  }
  for (int i = 1; i <= argc; ++i) {
    if (lua_type(L, i) != LUA_TSTRING && lua_type(L, i) != LUA_TNUMBER) {
      PushErrorTable(L, "ERR Lua redis lib command arguments must be strings or integers");
      return -1;
    }
  }
  size_t len;
  const char* name = lua_tolstring(L, 1, &len);
  const CommandSpec* spec = server_.commands().Find(std::string_view(name, len));
  if (spec != nullptr && spec->is_container() && argc >= 2) {
    const char* sub = lua_tolstring(L, 2, &len);
    spec = CommandTable::FindSubcommand(*spec, std::string_view(sub, len));
  }
  if (spec == nullptr) {
    PushErrorTable(L, "ERR Invalid command passed to redis.acl_check_cmd()");
    return -1;
  }
  lua_pushboolean(L, 1);
  return 1;
}

int Engine::DoRegisterFunction(lua_State* L) {
  Run* run = run_;
  if (run == nullptr || !run->loading || run->library == nullptr) {
    PushErrorTable(L, "ERR redis.register_function can only be called on FUNCTION LOAD command");
    return -1;
  }
  auto fail = [&](std::string_view text) {
    PushErrorTable(L, text);
    return -1;
  };
  int argc = lua_gettop(L);
  FunctionInfo info;
  int callback_index = 0;
  if (argc == 1) {
    if (!lua_istable(L, 1)) {
      return fail(
          "ERR calling redis.register_function with a single argument is only applicable to Lua "
          "table (representing named arguments).");
    }
    bool have_name = false;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        return fail("ERR unknown argument given to redis.register_function");
      }
      std::string_view key = lua_tostring(L, -2);
      if (key == "function_name") {
        if (!lua_isstring(L, -1)) {
          return fail(
              "ERR function_name argument given to redis.register_function must be a string");
        }
        info.name = lua_tostring(L, -1);
        have_name = true;
      } else if (key == "description") {
        if (!lua_isstring(L, -1)) {
          return fail("ERR description argument given to redis.register_function must be a string");
        }
        info.description = lua_tostring(L, -1);
        info.has_description = true;
      } else if (key == "callback") {
        if (!lua_isfunction(L, -1)) {
          return fail("ERR callback argument given to redis.register_function must be a function");
        }
        callback_index = -1;  // fetched again after the iteration
      } else if (key == "flags") {
        if (!lua_istable(L, -1)) {
          return fail(
              "ERR flags argument to redis.register_function must be a table representing "
              "function flags");
        }
        int flags_table = lua_gettop(L);
        for (int j = 1;; ++j) {
          lua_rawgeti(L, flags_table, j);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          uint32_t flag;
          if (lua_type(L, -1) != LUA_TSTRING || !FlagFromName(lua_tostring(L, -1), &flag)) {
            return fail("ERR unknown flag given");
          }
          info.flags |= flag;
          lua_pop(L, 1);
        }
      } else {
        return fail("ERR unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (!have_name) return fail("ERR redis.register_function must get a function name argument");
    if (callback_index == 0)
      return fail("ERR redis.register_function must get a callback argument");
    lua_getfield(L, 1, "callback");
    callback_index = lua_gettop(L);
  } else if (argc == 2) {
    if (!lua_isstring(L, 1)) {
      return fail("ERR first argument to redis.register_function must be a string");
    }
    if (!lua_isfunction(L, 2)) {
      return fail("ERR second argument to redis.register_function must be a function");
    }
    info.name = lua_tostring(L, 1);
    callback_index = 2;
  } else {
    return fail("ERR wrong number of arguments to redis.register_function");
  }
  if (!ValidName(info.name)) return fail(std::string("ERR ") + kNameRules);
  for (const FunctionInfo& existing : run->library->functions) {
    if (existing.name == info.name) return fail("ERR Function already exists in the library");
  }
  lua_pushvalue(L, callback_index);
  info.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  run->library->functions.push_back(std::move(info));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Running scripts

void Engine::CountHook(lua_State* L, lua_Debug*) {
  if (!static_cast<Engine*>(LuaContext(L))->OnHook()) return;
  Engine* engine = static_cast<Engine*>(LuaContext(L));
  if (engine->run_ != nullptr && engine->run_->loading) {
    PushErrorTable(L, "ERR FUNCTION LOAD timeout");
  } else if (engine->run_ != nullptr && engine->run_->hook) {
    lua_sethook(L, CountHook, LUA_MASKLINE, 0);
    PushErrorTable(L, "ERR queue hook exceeded the time limit");
  } else {
    // From now on every line raises again, so pcall cannot keep a killed script alive.
    lua_sethook(L, CountHook, LUA_MASKLINE, 0);
    PushErrorTable(L, "ERR Script killed by user with SCRIPT KILL...");
  }
  lua_error(L);
}

bool Engine::OnHook() {
  Run* run = run_;
  if (run == nullptr) return false;
  if (hook_observer_) hook_observer_();
  if (run->loading) return NowMs() - run->start_ms >= kLoadTimeoutMs;
  if (run->hook) return run->hook_limit_ms > 0 && NowMs() - run->start_ms >= run->hook_limit_ms;
  if (!run->killed && !server_.shutting_down()) {
    if (!run->timed_out) {
      int64_t elapsed = NowMs() - run->start_ms;
      int64_t threshold = *busy_threshold_;
      if (threshold <= 0 || elapsed < threshold) return false;
      LogWarning(
          "Slow script detected: still in execution after %lld milliseconds. You can try "
          "killing the script using the %s command. Script name is: %.*s.",
          static_cast<long long>(elapsed), run->is_eval ? "SCRIPT KILL" : "FUNCTION KILL",
          static_cast<int>(run->name.size()), run->name.data());
      EnterBusy(*run);
    }
    if (event_pump_) {
      event_pump_();
    } else {
      uv_run(server_.loop(), UV_RUN_NOWAIT);
    }
  }
  return run->killed || server_.shutting_down();
}

void Engine::EnterBusy(Run& run) {
  run.owned = std::make_unique<Run::Owned>();
  run.owned->name.assign(run.name);
  run.name = run.owned->name;
  run.owned->command.assign(run.command.begin(), run.command.end());
  run.owned->command_views.assign(run.owned->command.begin(), run.owned->command.end());
  run.command = run.owned->command_views;
  run.timed_out = true;
  server_.set_busy_reply(run.is_eval ? kBusyEval : kBusyFunction);
  // The caller's next requests wait in the socket: its read buffer holds the running command.
  if (run.caller != nullptr && run.caller->connection() != nullptr) {
    run.caller->connection()->StopReading();
  }
}

void Engine::LeaveBusy(Run& run) {
  if (!run.timed_out) return;
  server_.set_busy_reply("");
  if (run.caller != nullptr && !run.caller->closed() && run.caller->connection() != nullptr) {
    run.caller->connection()->StartReading();
  }
}

void Engine::PushArray(lua_State* L, ArgList items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

void Engine::RefillArrayItems(lua_State* L, int slot, ReusedArray* array, ArgList items) {
  // Comparing a short item with its copy costs a fraction of interning it again; long items
  // (payloads) are rarely repeated and are not copied.
  constexpr size_t kCopiedMax = 64;
  if (array->copies.size() < items.size()) {
    array->copies.resize(items.size());
    array->copied.resize(items.size(), 0);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    std::string_view item = items[i];
    if (array->Holds(i, item)) continue;
    lua_pushlstring(L, item.data(), item.size());
    lua_rawseti(L, slot, static_cast<int>(i + 1));
    array->copied[i] = item.size() <= kCopiedMax;
    if (array->copied[i]) array->copies[i].assign(item);
  }
  for (size_t i = items.size(); i < array->size; ++i) {
    lua_pushnil(L);
    lua_rawseti(L, slot, static_cast<int>(i + 1));
    array->copied[i] = 0;
  }
  array->size = items.size();
}

void Engine::SetStandingHook(lua_State* L, bool on) {
  if (on) {
    lua_sethook(L, CountHook, LUA_MASKCOUNT, kHookInstructions);
  } else {
    lua_sethook(L, nullptr, 0, 0);
  }
}

void Engine::RunAndReply(CommandContext& ctx, Run& run, int nargs) {
  lua_State* L = run.L;
  int function_index = lua_gettop(L) - nargs;
  int base = function_index - 1;  // the stack as it was before the call
  int handler_index = kEvalHandlerSlot;
  if (L != eval_lua_) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, functions_handler_ref_);
    lua_insert(L, function_index);
    handler_index = function_index;
  }
  run.caller = &ctx.session;
  run.db = ctx.session.db_index();
  run.start_ms = ctx.start_us > 0 ? ctx.start_us / 1000 : NowMs();
  int64_t previous_pin = server_.pinned_clock();
  if (previous_pin < 0) server_.PinClock(server_.now_ms());
  run_ = &run;
  // The count hook that notices a long script stays installed between calls: setting and
  // clearing it around each one cost more than a short script's own Lua code. It does nothing
  // outside a run.
  bool hooked = *busy_threshold_ > 0 || hook_observer_;
  int standing_mask = hooked ? LUA_MASKCOUNT : 0;
  if (lua_gethookmask(L) != standing_mask) SetStandingHook(L, hooked);
  int status = lua_pcall(L, nargs, 1, handler_index);
  // CountHook swaps in a line hook for a script it stopped, which must not outlive it.
  if (lua_gethookmask(L) != standing_mask) SetStandingHook(L, hooked);
  run_ = nullptr;
  server_.PinClock(previous_pin);
  LeaveBusy(run);
  if (status == 0) {
    WriteScriptResult(L, -1, ctx.reply, run.resp);
  } else if (lua_istable(L, -1)) {
    int error = lua_gettop(L);
    std::string message = "ERR unknown error";
    lua_getfield(L, error, "err");
    if (lua_type(L, -1) == LUA_TSTRING) message = lua_tostring(L, -1);
    lua_getfield(L, error, "source");
    lua_getfield(L, error, "line");
    if (lua_isstring(L, -2) && lua_isnumber(L, -1)) {
      message += " script: " + std::string(run.name) + ", on " + lua_tostring(L, -2) + ":" +
                 std::to_string(static_cast<long long>(lua_tonumber(L, -1))) + ".";
    }
    lua_pop(L, 3);
    ctx.reply.Error(message);
  } else {
    const char* text = lua_tostring(L, -1);
    ctx.reply.Error("ERR Error running script " + std::string(run.name) + ", " +
                    std::string(text != nullptr ? text : "execution failure").substr(0, 100));
  }
  lua_settop(L, base);
  // Scripts allocate freely. Lua collects incrementally as it allocates; an extra step every
  // kGcPeriod calls keeps a busy script cache from growing between its own cycles, and costs
  // far less than a step after each call. The step is sized by how much the heap grew since
  // the last one (at most kGcPeriod KB): a fixed size makes the collector trace the whole
  // state over and over when the calls leave little garbage, which is the common case.
  if (++calls_since_gc_step_ >= kGcPeriod) {
    calls_since_gc_step_ = 0;
    int& heap_kb_at_step =
        L == eval_lua_ ? eval_heap_kb_at_gc_step_ : functions_heap_kb_at_gc_step_;
    int grown_kb = lua_gc(L, LUA_GCCOUNT, 0) - heap_kb_at_step;
    if (grown_kb > 0) lua_gc(L, LUA_GCSTEP, std::min(grown_kb, kGcPeriod));
    heap_kb_at_step = lua_gc(L, LUA_GCCOUNT, 0);
  }
}

namespace {

// numkeys of EVAL / FCALL: replies the error itself.
bool ParseNumkeys(CommandContext& ctx, const char* not_integer, int64_t* numkeys) {
  std::string_view arg = ctx.arg(2);
  if (arg.size() == 1 && arg[0] >= '0' && arg[0] <= '9') {
    *numkeys = arg[0] - '0';  // the usual numkeys, read as ParseInt64 would
  } else if (!ParseInt64(arg, numkeys)) {
    ctx.reply.Error(not_integer);
    return false;
  }
  if (*numkeys > static_cast<int64_t>(ctx.argc()) - 3) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (*numkeys < 0) {
    ctx.reply.Error("ERR Number of keys can't be negative");
    return false;
  }
  return true;
}

}  // namespace

bool Engine::CompileEval(std::string_view body, const std::string& sha, std::string* error) {
  uint32_t flags;
  if (!ParseEvalShebang(body, &flags, error)) return false;
  std::string message;
  if (!CompileChunk(eval_lua_, body, "@user_script", &message)) {
    *error = "ERR Error compiling script (new function): " + message;
    return false;
  }
  bool reads_real_globals = BindToRealGlobalsIfReadOnly(eval_lua_);
  EvalScript script;
  script.body.assign(body);
  script.flags = flags;
  script.reads_args_only = ReadsArgsOnly(body);
  script.args_bound = reads_real_globals && script.reads_args_only && ReadsRedisFieldsOnly(body) &&
                      BindArgsAndRedis(body);
  script.ref = luaL_ref(eval_lua_, LUA_REGISTRYINDEX);
  scripts_.emplace(sha, std::move(script));
  return true;
}

bool Engine::BindArgsAndRedis(std::string_view body) {
  // The body becomes the inner function of a chunk whose locals KEYS, ARGV and redis hold the
  // reused tables and the redis table (the one behind the read-only proxy: the script only
  // reads its fields), so the script reads each with an upvalue access instead of one or two
  // table lookups. The prefix shares the body's first line and the suffix follows its last,
  // so every line keeps its number. The inner function is not vararg (Lua 5.1 would build an
  // `arg` table at every call of one that does not use `...`), so a body that uses `...` fails
  // to compile this way and keeps the plain chunk.
  lua_State* L = eval_lua_;
  std::string wrapped = "local KEYS, ARGV, redis = ...; return function() ";
  wrapped += WithoutShebangLine(body);
  wrapped += "\nend";
  if (luaL_loadbuffer(L, wrapped.data(), wrapped.size(), "@user_script") != 0) {
    lua_pop(L, 1);  // a limit the extra locals or upvalues reach: the plain chunk stays
    return false;
  }
  if (!BindToRealGlobalsIfReadOnly(L)) {
    lua_pop(L, 1);
    return false;
  }
  lua_pushvalue(L, kReusedKeysSlot);
  lua_pushvalue(L, kReusedArgvSlot);
  PushUnprotectedGlobal(L, "redis");
  if (lua_pcall(L, 3, 1, 0) != 0 || !lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return false;
  }
  lua_replace(L, -2);
  return true;
}

bool Engine::RefusedForMemory(uint32_t script_flags) const {
  return server_.over_maxmemory() && !(script_flags & (kScriptAllowOom | kScriptNoWrites));
}

void Engine::Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  int64_t numkeys;
  if (!ParseNumkeys(ctx, "ERR value is not an integer or out of range", &numkeys)) return;
  std::string sha;
  std::string_view key;
  if (by_sha) {
    key = ctx.arg(1);
  } else {
    sha = Sha1Hex(ctx.arg(1));
    key = sha;
  }
  std::pair<const std::string, EvalScript>* entry = last_script_;
  if (entry == nullptr || entry->first.size() != key.size() ||
      memcmp(entry->first.data(), key.data(), key.size()) != 0) {
    auto it = scripts_.find(key);
    // Clients send SHA1s in lower case almost always; fold only when the name is not found.
    if (it == scripts_.end() && by_sha &&
        std::any_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      sha = Lower(key);
      it = scripts_.find(sha);
    }
    if (it == scripts_.end()) {
      if (by_sha) {
        ctx.reply.Error("NOSCRIPT No matching script. Please use EVAL.");
        return;
      }
      std::string error;
      if (!CompileEval(ctx.arg(1), sha, &error)) {
        ctx.reply.Error(error);
        return;
      }
      it = scripts_.find(sha);
    }
    entry = &*it;
    last_script_ = entry;
    lua_rawgeti(eval_lua_, LUA_REGISTRYINDEX, entry->second.ref);
    lua_replace(eval_lua_, kLastScriptSlot);
  }
  const EvalScript& script = entry->second;
  // A script with a shebang says whether it writes: one that may, and has not opted into
  // allow-oom, is refused outright over maxmemory, as a write command would be.
  if (!(script.flags & kScriptNoShebang) && RefusedForMemory(script.flags)) {
    ctx.reply.Error(errors::kOom);
    return;
  }
  if (read_only && !(script.flags & kScriptNoShebang) && !(script.flags & kScriptNoWrites)) {
    ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  Run run;
  run.is_eval = true;
  run.name = entry->first;
  run.command = ctx.args;
  run.L = eval_lua_;
  run.read_only = read_only || (script.flags & kScriptNoWrites);
  run.oom_at_start = server_.over_maxmemory() && !(script.flags & kScriptAllowOom);
  lua_State* L = eval_lua_;
  size_t nk = static_cast<size_t>(numkeys);
  if (script.reads_args_only) {
    RefillArray(L, kReusedKeysSlot, &reused_keys_, ctx.args.subspan(3, nk));
    RefillArray(L, kReusedArgvSlot, &reused_argv_, ctx.args.subspan(3 + nk));
  }
  // The globals change only when the script differs in kind from the last one: either the
  // reused tables, or new ones. The real globals have no __newindex: a raw set is what
  // lua_setfield would do.
  if (!script.reads_args_only || !reused_installed_) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, globals_ref_);
    lua_rawgeti(L, LUA_REGISTRYINDEX, keys_name_ref_);
    if (script.reads_args_only) {
      lua_pushvalue(L, kReusedKeysSlot);
    } else {
      PushArray(L, ctx.args.subspan(3, nk));
    }
    lua_rawset(L, -3);
    lua_rawgeti(L, LUA_REGISTRYINDEX, argv_name_ref_);
    if (script.reads_args_only) {
      lua_pushvalue(L, kReusedArgvSlot);
    } else {
      PushArray(L, ctx.args.subspan(3 + nk));
    }
    lua_rawset(L, -3);
    lua_pop(L, 1);
    reused_installed_ = script.reads_args_only;
  }
  lua_pushvalue(L, kLastScriptSlot);
  RunAndReply(ctx, run, 0);
}

void Engine::Fcall(CommandContext& ctx, bool read_only) {
  // Function names are case-insensitive across libraries (FCALL, collisions), as in Redis.
  auto fit = functions_.find(Lower(ctx.arg(1)));
  if (fit == functions_.end()) {
    ctx.reply.Error("ERR Function not found");
    return;
  }
  int64_t numkeys;
  if (!ParseNumkeys(ctx, "ERR Bad number of keys provided", &numkeys)) return;
  const Library& library = libraries_.find(fit->second)->second;
  const FunctionInfo* info = nullptr;
  for (const FunctionInfo& f : library.functions) {
    if (info == nullptr && Lower(f.name) == fit->first) info = &f;
  }
  if (RefusedForMemory(info->flags)) {
    ctx.reply.Error(errors::kOom);
    return;
  }
  if (read_only && !(info->flags & kScriptNoWrites)) {
    ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  Run run;
  run.is_eval = false;
  run.name = info->name;
  run.command = ctx.args;
  run.oom_at_start = server_.over_maxmemory() && !(info->flags & kScriptAllowOom);
  run.L = functions_lua_;
  run.read_only = read_only || (info->flags & kScriptNoWrites);
  lua_State* L = functions_lua_;
  size_t nk = static_cast<size_t>(numkeys);
  lua_rawgeti(L, LUA_REGISTRYINDEX, info->ref);
  PushArray(L, ctx.args.subspan(3, nk));
  PushArray(L, ctx.args.subspan(3 + nk));
  RunAndReply(ctx, run, 2);
}

bool Engine::CallHook(std::string_view name, const std::vector<std::string>& keys,
                      const std::vector<std::string>& args, int db, int64_t time_limit_ms,
                      HookResult* result, std::string* error) {
  auto fit = functions_.find(Lower(name));
  if (fit == functions_.end()) {
    *error = "ERR Function not found";
    return false;
  }
  const Library& library = libraries_.find(fit->second)->second;
  const FunctionInfo* info = nullptr;
  for (const FunctionInfo& f : library.functions) {
    if (info == nullptr && Lower(f.name) == fit->first) info = &f;
  }
  Run run;
  run.is_eval = false;
  run.hook = true;
  run.hook_limit_ms = time_limit_ms;
  run.name = info->name;
  run.L = functions_lua_;
  run.read_only = (info->flags & kScriptNoWrites) != 0;
  run.db = db;
  run.session = hook_session_.get();
  lua_State* L = functions_lua_;
  // The hook may run inside a function that called the queue command: the outer run and its
  // count hook are restored afterwards.
  Run* outer = run_;
  lua_Hook outer_hook = lua_gethook(L);
  int outer_mask = lua_gethookmask(L);
  int outer_count = lua_gethookcount(L);
  int base = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, functions_handler_ref_);
  lua_rawgeti(L, LUA_REGISTRYINDEX, info->ref);
  std::vector<std::string_view> key_views(keys.begin(), keys.end());
  std::vector<std::string_view> arg_views(args.begin(), args.end());
  PushArray(L, key_views);
  PushArray(L, arg_views);
  run.start_ms = NowMs();
  int64_t previous_pin = server_.pinned_clock();
  if (previous_pin < 0) server_.PinClock(server_.now_ms());
  // The one place redis.call nests: the queue command that called this hook may be running
  // from a script's redis.call, whose argument list (the reused one) it still reads.
  std::vector<std::string> outer_numbers;
  std::vector<std::string_view> outer_args;
  outer_numbers.swap(call_numbers_);
  outer_args.swap(call_args_);
  run_ = &run;
  if (time_limit_ms > 0 || hook_observer_) {
    lua_sethook(L, CountHook, LUA_MASKCOUNT, kHookInstructions);
  }
  int status = lua_pcall(L, 2, 1, base + 1);
  lua_sethook(L, outer_hook, outer_mask, outer_count);
  run_ = outer;
  call_numbers_.swap(outer_numbers);
  call_args_.swap(outer_args);
  server_.PinClock(previous_pin);
  bool ok = true;
  if (status != 0) {
    ok = false;
    *error = "ERR hook error";
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_type(L, -1) == LUA_TSTRING) *error = lua_tostring(L, -1);
      lua_pop(L, 1);
    } else if (const char* text = lua_tostring(L, -1)) {
      *error = std::string("ERR ") + text;
    }
  } else {
    int top = lua_gettop(L);
    int type = lua_type(L, top);
    if (type == LUA_TNIL || (type == LUA_TBOOLEAN && !lua_toboolean(L, top))) {
      result->is_nil = true;
    } else if (type == LUA_TSTRING || type == LUA_TNUMBER) {
      if (type == LUA_TNUMBER) {
        result->items.push_back(std::to_string(LuaNumberToInteger(lua_tonumber(L, top))));
      } else {
        size_t len;
        const char* s = lua_tolstring(L, top, &len);
        result->items.emplace_back(s, len);
      }
    } else if (type == LUA_TTABLE) {
      lua_getfield(L, top, "err");
      if (lua_type(L, -1) == LUA_TSTRING) {
        *error = lua_tostring(L, -1);
        ok = false;
      }
      lua_pop(L, 1);
      for (int i = 1; ok; ++i) {
        lua_rawgeti(L, top, i);
        int t = lua_type(L, -1);
        if (t == LUA_TNIL) {
          lua_pop(L, 1);
          break;
        }
        if (t == LUA_TNUMBER) {
          result->items.push_back(std::to_string(LuaNumberToInteger(lua_tonumber(L, -1))));
        } else if (t == LUA_TSTRING) {
          size_t len;
          const char* s = lua_tolstring(L, -1, &len);
          result->items.emplace_back(s, len);
        } else {
          *error = "ERR hook returned a table holding something other than strings and numbers";
          ok = false;
        }
        lua_pop(L, 1);
      }
    } else {
      *error = "ERR hook returned a value that is neither nil, a string nor a table";
      ok = false;
    }
  }
  lua_settop(L, base);
  lua_gc(L, LUA_GCSTEP, 1);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// SCRIPT

bool Engine::LoadScript(std::string_view body, std::string* sha, std::string* error) {
  *sha = Sha1Hex(body);
  if (scripts_.count(*sha) != 0) return true;
  return CompileEval(body, *sha, error);
}

bool Engine::ScriptExists(std::string_view sha) const { return scripts_.count(Lower(sha)) != 0; }

void Engine::FlushScripts() {
  last_script_ = nullptr;
  scripts_.clear();
  lua_close(eval_lua_);
  eval_lua_ = NewEvalState();
}

// ---------------------------------------------------------------------------------------------
// FUNCTION

void Engine::ReleaseLibrary(Library& library) {
  for (FunctionInfo& f : library.functions) {
    luaL_unref(functions_lua_, LUA_REGISTRYINDEX, f.ref);
    f.ref = LUA_NOREF;
  }
}

// Parses the metadata, compiles the code and runs it to register its functions. Does not touch
// the loaded libraries; `replace_allowed` only decides the "already exists" check.
bool Engine::BuildLibrary(std::string_view code, bool replace_allowed, Library* out,
                          std::string* error) {
  if (!code.starts_with("#!")) {
    *error = "ERR Missing library metadata";
    return false;
  }
  size_t eol = code.find('\n');
  if (eol == std::string_view::npos) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  std::vector<std::string_view> parts = SplitSpaces(code.substr(0, eol));
  if (parts.empty()) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  std::string_view engine = parts[0].substr(2);
  std::string name;
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 && Lower(parts[i].substr(0, 5)) == "name=") {
      if (have_name) {
        *error = "ERR Invalid metadata value, name argument was given multiple times";
        return false;
      }
      name.assign(parts[i].substr(5));
      have_name = true;
      continue;
    }
    *error = "ERR Invalid metadata value given: " + std::string(parts[i]);
    return false;
  }
  if (!have_name) {
    *error = "ERR Library name was not given";
    return false;
  }
  if (!ValidName(name)) {
    *error = std::string("ERR ") + kNameRules;
    return false;
  }
  if (Lower(engine) != "lua") {
    *error = "ERR Engine '" + std::string(engine) + "' not found";
    return false;
  }
  if (!replace_allowed && libraries_.count(name) != 0) {
    *error = "ERR Library '" + name + "' already exists";
    return false;
  }
  lua_State* L = functions_lua_;
  std::string message;
  if (!CompileChunk(L, code, "@user_function", &message)) {
    *error = "ERR Error compiling function: " + message;
    return false;
  }
  out->name = name;
  out->code.assign(code);
  out->functions.clear();
  lua_pushcfunction(L, ScriptErrorHandler);
  lua_insert(L, -2);
  Run run;
  run.loading = true;
  run.is_eval = false;
  run.L = L;
  run.library = out;
  run.start_ms = NowMs();
  Run* outer = run_;
  run_ = &run;
  SetLoadMode(L, true);
  lua_sethook(L, CountHook, LUA_MASKCOUNT, kHookInstructions);
  int status = lua_pcall(L, 0, 0, -2);
  lua_sethook(L, nullptr, 0, 0);
  SetLoadMode(L, false);
  run_ = outer;
  if (status != 0) {
    std::string text = "unknown error";
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_type(L, -1) == LUA_TSTRING) text = lua_tostring(L, -1);
      lua_pop(L, 1);
    } else if (lua_isstring(L, -1)) {
      text = lua_tostring(L, -1);
    }
    lua_pop(L, 2);
    ReleaseLibrary(*out);
    *error = "ERR Error registering functions: " + text;
    return false;
  }
  lua_pop(L, 1);
  if (out->functions.empty()) {
    *error = "ERR No functions registered";
    return false;
  }
  return true;
}

bool Engine::LoadLibrary(std::string_view code, bool replace, std::string* name,
                         std::string* error) {
  Library library;
  if (!BuildLibrary(code, replace, &library, error)) return false;
  for (const FunctionInfo& f : library.functions) {
    auto it = functions_.find(Lower(f.name));
    if (it != functions_.end() && it->second != library.name) {
      *error = "ERR Function " + f.name + " already exists";
      ReleaseLibrary(library);
      return false;
    }
  }
  DeleteLibrary(library.name);
  for (const FunctionInfo& f : library.functions) functions_[Lower(f.name)] = library.name;
  *name = library.name;
  libraries_.emplace(library.name, std::move(library));
  return true;
}

bool Engine::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  for (const FunctionInfo& f : it->second.functions) functions_.erase(Lower(f.name));
  ReleaseLibrary(it->second);
  libraries_.erase(it);
  return true;
}

void Engine::FlushLibraries() {
  libraries_.clear();
  functions_.clear();
  lua_close(functions_lua_);
  functions_lua_ = NewFunctionsState();
}

std::string Engine::DumpLibraries() const {
  std::string out;
  for (const auto& [name, library] : libraries_) {
    out.push_back(static_cast<char>(kFunctionOpcode));
    PutRdbLength(&out, library.code.size());
    out += library.code;
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

bool Engine::RestoreLibraries(std::string_view payload, RestorePolicy policy, std::string* error) {
  constexpr const char* kBadPayload = "ERR DUMP payload version or checksum are wrong";
  if (payload.size() < 10) {
    *error = kBadPayload;
    return false;
  }
  std::string_view footer = payload.substr(payload.size() - 10);
  uint16_t version = static_cast<uint16_t>(static_cast<uint8_t>(footer[0]) |
                                           (static_cast<uint8_t>(footer[1]) << 8));
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<uint8_t>(footer[2 + i]);
  if (version > kRdbVersion || Crc64(0, payload.data(), payload.size() - 8) != crc) {
    *error = kBadPayload;
    return false;
  }
  std::vector<std::string> codes;
  RdbReader reader(payload.substr(0, payload.size() - 10));
  while (!reader.at_end()) {
    uint8_t opcode;
    std::string code;
    if (!reader.ReadByte(&opcode) || opcode != kFunctionOpcode) {
      *error = "ERR given type is not a function";
      return false;
    }
    if (!reader.ReadString(&code)) {
      *error = "ERR payload is corrupted";
      return false;
    }
    codes.push_back(std::move(code));
  }
  // Build every library first so that a failure leaves the loaded ones untouched.
  std::vector<Library> built;
  auto release_built = [&] {
    for (Library& l : built) ReleaseLibrary(l);
  };
  for (const std::string& code : codes) {
    Library library;
    if (!BuildLibrary(code, true, &library, error)) {
      release_built();
      return false;
    }
    for (const Library& other : built) {
      if (other.name == library.name) {
        *error = "ERR Library " + library.name + " already exists";
        ReleaseLibrary(library);
        release_built();
        return false;
      }
    }
    built.push_back(std::move(library));
  }
  if (policy == RestorePolicy::kFlush) {
    for (auto& [name, library] : libraries_) ReleaseLibrary(library);
    libraries_.clear();
    functions_.clear();
  }
  // Names the restored set will own, with the libraries it replaces left out.
  std::unordered_map<std::string, std::string> owners = functions_;
  for (const Library& library : built) {
    auto existing = libraries_.find(library.name);
    if (existing != libraries_.end()) {
      if (policy == RestorePolicy::kAppend) {
        *error = "ERR Library " + library.name + " already exists";
        release_built();
        return false;
      }
      for (const FunctionInfo& f : existing->second.functions) owners.erase(Lower(f.name));
    }
  }
  for (const Library& library : built) {
    for (const FunctionInfo& f : library.functions) {
      auto it = owners.find(Lower(f.name));
      if (it != owners.end() && it->second != library.name) {
        *error = "ERR Function " + f.name + " already exists";
        release_built();
        return false;
      }
      owners[Lower(f.name)] = library.name;
    }
  }
  for (Library& library : built) {
    DeleteLibrary(library.name);
    for (const FunctionInfo& f : library.functions) functions_[Lower(f.name)] = library.name;
    std::string name = library.name;
    libraries_.emplace(name, std::move(library));
  }
  return true;
}

void Engine::Kill(CommandContext& ctx, bool from_script_command) {
  Run* run = run_;
  if (run == nullptr || run->loading) {
    ctx.reply.Error(kNotBusy);
    return;
  }
  if (run->wrote) {
    ctx.reply.Error(kUnkillable);
    return;
  }
  if (from_script_command && !run->is_eval) {
    ctx.reply.Error(kBusyFunction);
    return;
  }
  if (!from_script_command && run->is_eval) {
    ctx.reply.Error(kBusyEval);
    return;
  }
  run->killed = true;
  ctx.reply.Ok();
}

void Engine::ReplyStats(CommandContext& ctx) {
  Run* run = run_;
  if (run != nullptr && !run->loading && run->is_eval) {
    ctx.reply.Error(kBusyEval);
    return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("running_script");
  if (run == nullptr || run->loading) {
    ctx.reply.Null();
  } else {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(run->name);
    ctx.reply.Bulk("command");
    ctx.reply.ArrayHeader(run->command.size());
    for (std::string_view arg : run->command) ctx.reply.Bulk(arg);
    ctx.reply.Bulk("duration_ms");
    ctx.reply.Integer(NowMs() - run->start_ms);
  }
  ctx.reply.Bulk("engines");
  ctx.reply.MapHeader(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(libraries_.size()));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(functions_.size()));
}

}  // namespace sluice::scripting
