// The Lua environment scripts run in, matching Redis 7.0's: the base library without file,
// module and debugging access, table, string, math, cjson, bit, struct, cmsgpack and the redis
// table, all read-only. Assigning a global or a field of a library raises "Attempt to modify a
// readonly table"; reading an undefined global raises "Script attempted to access nonexistent
// global variable". Nothing a script does can leak into the next script.
//
// Lua 5.1 has no read-only tables, so every protected table is an empty proxy whose metatable
// forwards reads to the real table and refuses writes; the functions that bypass metatables
// (rawset, rawget, next, setmetatable, table.insert...) are replaced by versions that see
// through or refuse proxies. The proxy of the globals becomes the state's globals table, so
// chunks made by loadstring get it as well; an EVAL script that assigns no global anywhere reads
// the real table instead (BindToRealGlobalsIfReadOnly).
#pragma once

#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace sluice::scripting {

enum class VmKind {
  kEval,       // EVAL scripts: KEYS and ARGV are globals
  kFunctions,  // FUNCTION libraries: globals are the load API while a library loads
};

struct SandboxApi {
  // Functions of the redis table while scripts run.
  const luaL_Reg* runtime;
  // Functions of the redis table while a library loads (kFunctions only).
  const luaL_Reg* load;
  // The Redis version the redis table reports, e.g. "7.0.15".
  const char* version;
};

// Builds a sandboxed state. `context` is kept (as the allocator's user data) for LuaContext().
lua_State* NewSandboxedState(VmKind kind, const SandboxApi& api, void* context);
void* LuaContext(lua_State* L);

// The writable globals table (for KEYS and ARGV), pushed on the stack.
void PushRealGlobals(lua_State* L);
// Pushes the global `name` as the sandbox keeps it, behind its read-only proxy if it has one:
// reads of its fields give what reads through the proxy give, writes are not refused.
void PushUnprotectedGlobal(lua_State* L, const char* name);

// Gives the compiled chunk on top of the stack the real globals as its environment when neither
// it nor any function nested in it assigns a global; returns whether it did. Such a chunk reads a
// global with one table lookup instead of a miss in the proxy and a second lookup behind it, and
// the sandbox still holds: it has no instruction that writes its environment, every other way to
// the globals (_G, rawset, the chunks loadstring makes) meets the proxy, and getfenv and setfenv
// do not exist here.
bool BindToRealGlobalsIfReadOnly(lua_State* L);
// kFunctions: global lookups resolve in the load API (true) or the runtime globals (false).
void SetLoadMode(lua_State* L, bool loading);

// The message handler for lua_pcall: turns any error into a table {err=..., source=...,
// line=...} naming where in the script it happened.
int ScriptErrorHandler(lua_State* L);

// Compiles `body` (its "#!" line, if any, left out but counted) as chunk `chunk_name`
// ("@user_script"). On success pushes the function; otherwise sets *error to Lua's message.
bool CompileChunk(lua_State* L, std::string_view body, const char* chunk_name, std::string* error);

}  // namespace sluice::scripting
