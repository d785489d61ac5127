// Conversions between RESP replies and Lua values, with Redis's rules.
//
// Reply -> Lua (what redis.call returns): integer -> number, bulk -> string, nil bulk and nil
// array (RESP2) -> false, array -> table, status -> {ok=...}, error -> {err=...}; and under
// redis.setresp(3): null -> nil, map -> {map={k=v}}, set -> {set={member=true}},
// double -> {double=n}, boolean -> boolean, big number -> {big_number="..."},
// verbatim -> {verbatim_string={format=..., string=...}}.
//
// Lua -> reply (what a script returns): number -> integer (truncated), string -> bulk,
// true -> 1 (or a RESP3 boolean after setresp(3)), false and nil -> null, a table with a
// string err / ok field -> error / status, double / big_number / map / set /
// verbatim_string fields -> those RESP3 types, any other table -> array of t[1], t[2]... up to
// the first nil.
#pragma once

#include <string>
#include <string_view>

extern "C" {
#include <lua.h>
}

#include "server/protocol/reply_builder.h"

namespace sluice::scripting {

// Pushes the reply starting at bytes[*pos] and advances *pos past it. Returns false (pushing
// nothing) if the bytes are not one complete reply or nest deeper than the Lua stack allows.
bool PushReply(lua_State* L, std::string_view bytes, size_t* pos);

// Writes the Lua value at `index` as a reply. `script_resp` is 2 or 3 (redis.setresp).
void WriteLuaValue(lua_State* L, int index, ReplyBuilder& reply, int script_resp);
// The same for the value a script returned, on a stack that has just unwound: a number or a
// string, the usual results, skip the stack check that nested values need.
void WriteScriptResult(lua_State* L, int index, ReplyBuilder& reply, int script_resp);

// The text an error table carries, from an error reply ("ERR msg" / "-CODE msg") or a bare
// message: "CODE msg", with "ERR" supplied when there is no code and line breaks trimmed.
std::string ErrorTableText(std::string_view error);
// Pushes {err=text}.
void PushErrorTable(lua_State* L, std::string_view text);
// Pushes the error table of a command a script called, which the command (or the checks before
// it ran) refused: {err=text, ignore_error_stats_update=true}. Redis marks these so that the
// error is counted once, and scripts see the mark (pcall results, cjson.encode).
void PushCommandErrorTable(lua_State* L, std::string_view text);

// Lua's number -> integer conversion as Redis does it (out of range and NaN give INT64_MIN).
int64_t LuaNumberToInteger(lua_Number n);

}  // namespace sluice::scripting
