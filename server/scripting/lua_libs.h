// The binary-data libraries Redis scripts expect besides Lua's own: struct (fixed-layout binary
// records) and cmsgpack (MessagePack). Each opener registers its table as a global, the way
// luaL_register does for the standard libraries.
#pragma once

extern "C" {
#include <lua.h>
}

namespace sluice::scripting {

// struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]), struct.size(fmt).
int OpenStructLib(lua_State* L);

// cmsgpack.pack(...), cmsgpack.unpack(data), cmsgpack.unpack_one(data [, offset]),
// cmsgpack.unpack_limit(data, limit [, offset]).
int OpenCmsgpackLib(lua_State* L);

}  // namespace sluice::scripting
