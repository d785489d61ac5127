#include "server/scripting/lua_sandbox.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "server/scripting/args_usage.h"
#include "server/scripting/lua_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lualib.h>

// The cjson and bit libraries are the Debian builds of lua-cjson and LuaBitOp.
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace sluice::scripting {
namespace {

// Registry keys: the addresses of these objects are unique light userdata.
char kRealGlobalsKey;
char kProxyTargetsKey;  // proxy -> real table
char kProxyMetasKey;    // proxy -> what getmetatable(proxy) returns
char kGlobalsMetaKey;   // metatable of the globals proxy
char kLoadApiKey;       // globals seen while a function library loads

// The allocator luaL_newstate would use; its user data carries the context, so LuaContext (run on
// every redis.call) reads it without a registry lookup.
void* Allocate(void*, void* block, size_t, size_t size) {
  if (size == 0) {
    free(block);
    return nullptr;
  }
  return realloc(block, size);
}

int Panic(lua_State* L) {
  fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n", lua_tostring(L, -1));
  return 0;
}

constexpr const char* kReadonlyError = "Attempt to modify a readonly table";

void PushRegistry(lua_State* L, char* key) {
  lua_pushlightuserdata(L, key);
  lua_rawget(L, LUA_REGISTRYINDEX);
}

void SetRegistry(lua_State* L, char* key) {  // pops the value
  lua_pushlightuserdata(L, key);
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

// If the value at idx is a proxy, replaces it (in place) with its real table; returns whether
// it was one.
bool Unwrap(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
  PushRegistry(L, &kProxyTargetsKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 2);
    return false;
  }
  lua_replace(L, idx);
  lua_pop(L, 1);
  return true;
}

bool IsProxy(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
  PushRegistry(L, &kProxyTargetsKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  bool proxy = !lua_isnil(L, -1);
  lua_pop(L, 2);
  return proxy;
}

// Raised by functions called directly (rawset(_G, ...)): no position, as in Redis.
int RaiseReadonly(lua_State* L) {
  lua_pushstring(L, kReadonlyError);
  return lua_error(L);
}

// __newindex of every proxy: the position is the script line doing the assignment.
int ReadonlyNewIndex(lua_State* L) {
  luaL_where(L, 1);
  lua_pushstring(L, kReadonlyError);
  lua_concat(L, 2);
  return lua_error(L);
}

// __index behind the globals: an undefined name is an error, not nil.
int NonexistentGlobal(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  luaL_where(L, 1);
  lua_pushfstring(L, "Script attempted to access nonexistent global variable '%s'",
                  name != nullptr ? name : luaL_typename(L, 2));
  lua_concat(L, 2);
  return lua_error(L);
}

// Pushes a read-only proxy of the table at idx; `apparent_meta` (an index, or 0 for none) is
// what getmetatable returns for it.
void PushProxy(lua_State* L, int idx, int apparent_meta) {
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  if (apparent_meta < 0) apparent_meta = lua_gettop(L) + apparent_meta + 1;
  lua_newtable(L);  // proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  PushRegistry(L, &kProxyTargetsKey);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, idx);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  if (apparent_meta != 0) {
    PushRegistry(L, &kProxyMetasKey);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, apparent_meta);
    lua_rawset(L, -3);
    lua_pop(L, 1);
  }
}

// --- Base functions that must see through proxies -------------------------------------------

int SafeNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  Unwrap(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

int SafePairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1));  // SafeNext
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int SafeIpairsStep(lua_State* L) {
  int i = luaL_checkint(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  Unwrap(L, 1);
  i++;
  lua_pushinteger(L, i);
  lua_rawgeti(L, 1, i);
  return lua_isnil(L, -1) ? 0 : 2;
}

int SafeIpairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1));  // SafeIpairsStep
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

int SafeRawget(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  Unwrap(L, 1);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}

int SafeRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsProxy(L, 1)) return RaiseReadonly(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int SafeGetmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (IsProxy(L, 1)) {
    PushRegistry(L, &kProxyMetasKey);
    lua_pushvalue(L, 1);
    lua_rawget(L, -2);
    return 1;
  }
  if (!lua_getmetatable(L, 1)) {
    lua_pushnil(L);
    return 1;
  }
  luaL_getmetafield(L, 1, "__metatable");
  return 1;
}

// Calls the original function (upvalue 1) with every argument, after swapping a proxy first
// argument for its table (read-only library functions) or refusing it (those that write).
int ReadThrough(lua_State* L) {
  Unwrap(L, 1);
  int argc = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, argc, LUA_MULTRET);
  return lua_gettop(L);
}

int RefuseProxy(lua_State* L) {
  if (IsProxy(L, 1)) return RaiseReadonly(L);
  int argc = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, argc, LUA_MULTRET);
  return lua_gettop(L);
}

// pcall hands scripts the text of an error table ({err=...}, as redis.call raises) rather than
// the table, as scripts written before error tables expect.
int SafePcall(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) {  // what Redis's pcall answers when given nothing to call
    lua_pushboolean(L, 0);
    lua_pushliteral(L, "attempt to call a boolean value");
    return 2;
  }
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) == 0) {
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
  }
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    if (lua_isstring(L, -1)) {
      lua_replace(L, -2);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  return 2;
}

// Precompiled chunks can break out of any sandbox, so like Redis these loaders load only
// source text; a binary chunk loads as nil.
bool IsBinaryChunk(const char* s, size_t len) { return len > 0 && s[0] == LUA_SIGNATURE[0]; }

int SafeLoadstring(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, s);
  if (IsBinaryChunk(s, len)) {
    lua_pushnil(L);
    return 1;
  }
  if (luaL_loadbuffer(L, s, len, name) == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

int SafeLoad(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* name = luaL_optstring(L, 2, "=(load)");
  // The pieces accumulate on the Lua stack (slot 3): the reader may raise, and a C++ string
  // would not be freed by the unwinding.
  lua_settop(L, 2);
  lua_pushliteral(L, "");
  for (;;) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    if (!lua_isstring(L, -1)) {
      lua_pushnil(L);
      lua_pushliteral(L, "reader function must return a string");
      return 2;
    }
    if (lua_objlen(L, -1) == 0) {
      lua_pop(L, 1);
      break;
    }
    lua_concat(L, 2);
  }
  size_t len;
  const char* code = lua_tolstring(L, 3, &len);
  if (IsBinaryChunk(code, len)) {
    lua_pushnil(L);
    return 1;
  }
  if (luaL_loadbuffer(L, code, len, name) == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

void OpenLibrary(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Replaces field `name` of the table on top with a closure of `wrapper` over the original.
void WrapField(lua_State* L, const char* name, lua_CFunction wrapper) {
  lua_getfield(L, -1, name);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, -2, name);
}

void SetNumberField(lua_State* L, const char* name, lua_Number value) {
  lua_pushnumber(L, value);
  lua_setfield(L, -2, name);
}

int VersionNumber(const char* version) {
  int major = 0, minor = 0, patch = 0;
  sscanf(version, "%d.%d.%d", &major, &minor, &patch);
  return (major << 16) | (minor << 8) | patch;
}

// Builds the redis table on the stack: the given functions plus the constants.
void PushRedisTable(lua_State* L, const luaL_Reg* functions, const char* version, bool full) {
  lua_newtable(L);
  for (const luaL_Reg* f = functions; f->name != nullptr; ++f) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, -2, f->name);
  }
  SetNumberField(L, "LOG_DEBUG", 0);
  SetNumberField(L, "LOG_VERBOSE", 1);
  SetNumberField(L, "LOG_NOTICE", 2);
  SetNumberField(L, "LOG_WARNING", 3);
  lua_pushstring(L, version);
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumberField(L, "REDIS_VERSION_NUM", VersionNumber(version));
  if (full) {
    SetNumberField(L, "REPL_NONE", 0);
    SetNumberField(L, "REPL_AOF", 1);
    SetNumberField(L, "REPL_SLAVE", 2);
    SetNumberField(L, "REPL_REPLICA", 2);
    SetNumberField(L, "REPL_ALL", 3);
  }
}

// Reads the precompiled form lua_dump writes (Lua 5.1's format: a header, then each function
// with its code, constants, nested functions and debug information) to tell whether any function
// in it has a SETGLOBAL instruction. Anything unexpected counts as "it may assign".
class ChunkScanner {
 public:
  explicit ChunkScanner(std::string_view bytes) : bytes_(bytes) {}

  bool AssignsGlobals() {
    // Signature, version 5.1, official format, little-endian, then the sizes of int, size_t,
    // Instruction and lua_Number, and lua_Number not integral: what this reader expects.
    static constexpr char kHeader[] = {'\x1b', 'L', 'u', 'a', '\x51', 0, 1, 4, 8, 4, 8, 0};
    if (bytes_.size() < sizeof(kHeader) || memcmp(bytes_.data(), kHeader, sizeof(kHeader)) != 0) {
      return true;
    }
    pos_ = sizeof(kHeader);
    bool assigns = false;
    return !Function(0, &assigns) || assigns || pos_ != bytes_.size();
  }

 private:
  static constexpr uint32_t kOpSetGlobal = 7;  // OP_SETGLOBAL in Lua 5.1's opcode order
  static constexpr int kMaxDepth = 250;        // beyond what the parser lets a chunk nest

  bool Skip(size_t n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  template <typename T>
  bool Read(T* value) {
    if (sizeof(T) > bytes_.size() - pos_) return false;
    memcpy(value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Count(uint32_t* n) {
    int32_t count;
    if (!Read(&count) || count < 0) return false;
    *n = static_cast<uint32_t>(count);
    return true;
  }
  bool String() {
    uint64_t size;
    return Read(&size) && Skip(size);
  }

  bool Function(int depth, bool* assigns) {
    if (depth > kMaxDepth) return false;
    uint32_t n;
    // source, first and last line, upvalue and parameter counts, vararg flag, stack size
    if (!String() || !Skip(4 + 4 + 4)) return false;
    if (!Count(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t instruction;
      if (!Read(&instruction)) return false;
      // A SETLIST's extra word is data, not an instruction: it can only look like one more
      // SETGLOBAL, which errs on the safe side.
      if ((instruction & 0x3f) == kOpSetGlobal) *assigns = true;
    }
    if (!Count(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t type;
      if (!Read(&type)) return false;
      bool ok = type == LUA_TNIL       ? true
                : type == LUA_TBOOLEAN ? Skip(1)
                : type == LUA_TNUMBER  ? Skip(sizeof(lua_Number))
                : type == LUA_TSTRING  ? String()
                                       : false;
      if (!ok) return false;
    }
    if (!Count(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
      if (!Function(depth + 1, assigns)) return false;
    }
    if (!Count(&n) || !Skip(static_cast<size_t>(n) * 4)) return false;  // line numbers
    if (!Count(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {  // locals: name, first and last instruction
      if (!String() || !Skip(8)) return false;
    }
    if (!Count(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {  // upvalue names
      if (!String()) return false;
    }
    return true;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
};

int AppendDump(lua_State*, const void* p, size_t size, void* out) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(p), size);
  return 0;
}

}  // namespace

lua_State* NewSandboxedState(VmKind kind, const SandboxApi& api, void* context) {
  lua_State* L = lua_newstate(Allocate, context);
  if (L == nullptr) return nullptr;
  lua_atpanic(L, Panic);
  lua_newtable(L);
  SetRegistry(L, &kProxyTargetsKey);
  lua_newtable(L);
  SetRegistry(L, &kProxyMetasKey);

  OpenLibrary(L, luaopen_base, "");
  OpenLibrary(L, luaopen_table, LUA_TABLIBNAME);
  OpenLibrary(L, luaopen_string, LUA_STRLIBNAME);
  OpenLibrary(L, luaopen_math, LUA_MATHLIBNAME);
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
  lua_pushcfunction(L, luaopen_bit);
  lua_call(L, 0, 0);
  lua_pushcfunction(L, OpenStructLib);
  lua_call(L, 0, 0);
  lua_pushcfunction(L, OpenCmsgpackLib);
  lua_call(L, 0, 0);

  // table functions that write refuse proxies; those that read see through them.
  lua_getglobal(L, "table");
  for (const char* name : {"insert", "remove", "sort", "setn"}) WrapField(L, name, RefuseProxy);
  for (const char* name : {"concat", "getn", "maxn", "foreach", "foreachi"}) {
    WrapField(L, name, ReadThrough);
  }
  lua_pop(L, 1);

  lua_newtable(L);  // the error metatable shared by the real globals and the load API
  lua_pushcfunction(L, NonexistentGlobal);
  lua_setfield(L, -2, "__index");
  int nonexistent_meta = lua_gettop(L);

  lua_newtable(L);  // real globals
  int real = lua_gettop(L);
  lua_pushvalue(L, nonexistent_meta);
  lua_setmetatable(L, real);

  // Plain base functions, copied as they are.
  lua_pushcfunction(L, SafePcall);
  lua_setfield(L, real, "pcall");
  for (const char* name : {"assert", "collectgarbage", "error", "gcinfo", "rawequal", "select",
                           "tonumber", "tostring", "type", "xpcall", "_VERSION"}) {
    lua_getglobal(L, name);
    lua_setfield(L, real, name);
  }
  lua_getglobal(L, "unpack");
  lua_pushcclosure(L, ReadThrough, 1);
  lua_setfield(L, real, "unpack");
  lua_pushcfunction(L, SafeNext);
  lua_pushvalue(L, -1);
  lua_setfield(L, real, "next");
  lua_pushcclosure(L, SafePairs, 1);
  lua_setfield(L, real, "pairs");
  lua_pushcfunction(L, SafeIpairsStep);
  lua_pushcclosure(L, SafeIpairs, 1);
  lua_setfield(L, real, "ipairs");
  lua_pushcfunction(L, SafeRawget);
  lua_setfield(L, real, "rawget");
  lua_pushcfunction(L, SafeRawset);
  lua_setfield(L, real, "rawset");
  lua_pushcfunction(L, SafeGetmetatable);
  lua_setfield(L, real, "getmetatable");
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, RefuseProxy, 1);
  lua_setfield(L, real, "setmetatable");
  lua_pushcfunction(L, SafeLoadstring);
  lua_setfield(L, real, "loadstring");
  lua_pushcfunction(L, SafeLoad);
  lua_setfield(L, real, "load");

  // Libraries, each behind a proxy.
  for (const char* name :
       {"coroutine", "string", "table", "math", "cjson", "bit", "struct", "cmsgpack"}) {
    lua_getglobal(L, name);
    PushProxy(L, -1, 0);
    lua_setfield(L, real, name);
    lua_pop(L, 1);
  }
  PushRedisTable(L, api.runtime, api.version, true);
  PushProxy(L, -1, 0);
  lua_setfield(L, real, "redis");
  lua_pop(L, 1);

  // getmetatable("") answers a read-only stand-in for the string metatable, so string methods
  // cannot be replaced for later scripts.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_newtable(L);
  lua_getfield(L, real, "string");
  lua_setfield(L, -2, "__index");
  PushProxy(L, -1, 0);
  lua_setfield(L, -3, "__metatable");
  lua_pop(L, 3);

  if (kind == VmKind::kEval) {
    lua_newtable(L);
    lua_setfield(L, real, "KEYS");
    lua_newtable(L);
    lua_setfield(L, real, "ARGV");
    lua_pushcfunction(L, ScriptErrorHandler);
    lua_setfield(L, real, "__redis__err__handler");
  } else {
    lua_newtable(L);  // load API: only redis, with register_function and the constants
    lua_pushvalue(L, nonexistent_meta);
    lua_setmetatable(L, -2);
    PushRedisTable(L, api.load, api.version, false);
    lua_pushvalue(L, nonexistent_meta);  // here a missing field of redis is an error too
    lua_setmetatable(L, -2);
    PushProxy(L, -1, 0);
    lua_setfield(L, -3, "redis");
    lua_pop(L, 1);
    SetRegistry(L, &kLoadApiKey);
  }

  // The globals proxy: reads go to the real globals, writes fail.
  lua_newtable(L);
  int proxy = lua_gettop(L);
  lua_newtable(L);
  lua_pushvalue(L, real);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, -1);
  SetRegistry(L, &kGlobalsMetaKey);
  lua_setmetatable(L, proxy);
  PushRegistry(L, &kProxyTargetsKey);
  lua_pushvalue(L, proxy);
  lua_pushvalue(L, real);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  PushProxy(L, nonexistent_meta, 0);  // what getmetatable(_G) shows
  PushRegistry(L, &kProxyMetasKey);
  lua_pushvalue(L, proxy);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
  lua_pushvalue(L, proxy);
  lua_setfield(L, real, "_G");

  lua_pushvalue(L, real);
  SetRegistry(L, &kRealGlobalsKey);
  lua_pushvalue(L, proxy);
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_settop(L, 0);
  return L;
}

void* LuaContext(lua_State* L) {
  void* context = nullptr;
  lua_getallocf(L, &context);
  return context;
}

void PushRealGlobals(lua_State* L) { PushRegistry(L, &kRealGlobalsKey); }

bool BindToRealGlobalsIfReadOnly(lua_State* L) {
  if (!lua_isfunction(L, -1) || lua_iscfunction(L, -1)) return false;
  std::string dump;
  if (lua_dump(L, AppendDump, &dump) != 0 || ChunkScanner(dump).AssignsGlobals()) return false;
  PushRegistry(L, &kRealGlobalsKey);
  return lua_setfenv(L, -2) != 0;
}

void PushUnprotectedGlobal(lua_State* L, const char* name) {
  PushRealGlobals(L);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
  Unwrap(L, -1);
}

void SetLoadMode(lua_State* L, bool loading) {
  PushRegistry(L, &kGlobalsMetaKey);
  if (loading) {
    PushRegistry(L, &kLoadApiKey);
  } else {
    PushRegistry(L, &kRealGlobalsKey);
  }
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

int ScriptErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool where = lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "nSl", &ar) != 0;
  if (where && strcmp(ar.what, "C") == 0) {
    where = lua_getstack(L, 2, &ar) != 0 && lua_getinfo(L, "nSl", &ar) != 0;
  }
  if (lua_istable(L, 1)) {
    lua_pushvalue(L, 1);
  } else {
    std::string message = "ERR ";
    switch (lua_type(L, 1)) {
      case LUA_TSTRING:
      case LUA_TNUMBER: {
        size_t len;
        const char* s = lua_tolstring(L, 1, &len);
        message.append(s, len);
        break;
      }
      case LUA_TNIL:
      case LUA_TNONE:
        message += "nil";
        break;
      case LUA_TBOOLEAN:
        message += lua_toboolean(L, 1) ? "true" : "false";
        break;
      default: {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s: %p", luaL_typename(L, 1), lua_topointer(L, 1));
        message += buf;
        break;
      }
    }
    lua_newtable(L);
    lua_pushlstring(L, message.data(), message.size());
    lua_setfield(L, -2, "err");
  }
  if (where) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, -2, "source");
    lua_pushinteger(L, ar.currentline);
    lua_setfield(L, -2, "line");
  }
  return 1;
}

bool CompileChunk(lua_State* L, std::string_view body, const char* chunk_name, std::string* error) {
  body = WithoutShebangLine(body);
  if (luaL_loadbuffer(L, body.data(), body.size(), chunk_name) != 0) {
    size_t len;
    const char* message = lua_tolstring(L, -1, &len);
    error->assign(message != nullptr ? message : "unknown error", message != nullptr ? len : 13);
    lua_pop(L, 1);
    return false;
  }
  return true;
}

}  // namespace sluice::scripting
