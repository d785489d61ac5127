// The cmsgpack library: MessagePack encoding of Lua values, with the choices Redis scripts see.
// Whole numbers become the smallest integer encoding, other numbers float32 when that is exact
// and float64 otherwise; strings use the str family; a table whose keys are exactly 1..n is an
// array and any other table a map; tables nested deeper than 16 levels, functions and userdata
// encode as nil.
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/scripting/lua_libs.h"

extern "C" {
#include <lauxlib.h>
}

namespace sluice::scripting {
namespace {

constexpr int kMaxNesting = 16;

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void EncodeInteger(std::string* out, int64_t n) {
  if (n >= 0) {
    if (n <= 127) {
      out->push_back(static_cast<char>(n));
    } else if (n <= 0xff) {
      out->push_back(static_cast<char>(0xcc));
      PutBigEndian(out, static_cast<uint64_t>(n), 1);
    } else if (n <= 0xffff) {
      out->push_back(static_cast<char>(0xcd));
      PutBigEndian(out, static_cast<uint64_t>(n), 2);
    } else if (n <= 0xffffffffLL) {
      out->push_back(static_cast<char>(0xce));
      PutBigEndian(out, static_cast<uint64_t>(n), 4);
    } else {
      out->push_back(static_cast<char>(0xcf));
      PutBigEndian(out, static_cast<uint64_t>(n), 8);
    }
  } else {
    uint64_t bits = static_cast<uint64_t>(n);
    if (n >= -32) {
      out->push_back(static_cast<char>(bits & 0xff));
    } else if (n >= -128) {
      out->push_back(static_cast<char>(0xd0));
      PutBigEndian(out, bits, 1);
    } else if (n >= -32768) {
      out->push_back(static_cast<char>(0xd1));
      PutBigEndian(out, bits, 2);
    } else if (n >= -2147483648LL) {
      out->push_back(static_cast<char>(0xd2));
      PutBigEndian(out, bits, 4);
    } else {
      out->push_back(static_cast<char>(0xd3));
      PutBigEndian(out, bits, 8);
    }
  }
}

void EncodeNumber(std::string* out, lua_Number n) {
  if (!std::isinf(n) && !std::isnan(n) && n >= -9223372036854775808.0 &&
      n < 9223372036854775808.0 && static_cast<lua_Number>(static_cast<int64_t>(n)) == n) {
    EncodeInteger(out, static_cast<int64_t>(n));
    return;
  }
  float f = static_cast<float>(n);
  if (static_cast<double>(f) == n) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    out->push_back(static_cast<char>(0xca));
    PutBigEndian(out, bits, 4);
  } else {
    uint64_t bits;
    memcpy(&bits, &n, sizeof(bits));
    out->push_back(static_cast<char>(0xcb));
    PutBigEndian(out, bits, 8);
  }
}

void EncodeString(std::string* out, const char* s, size_t len) {
  if (len < 32) {
    out->push_back(static_cast<char>(0xa0 | len));
  } else if (len <= 0xff) {
    out->push_back(static_cast<char>(0xd9));
    PutBigEndian(out, len, 1);
  } else if (len <= 0xffff) {
    out->push_back(static_cast<char>(0xda));
    PutBigEndian(out, len, 2);
  } else {
    out->push_back(static_cast<char>(0xdb));
    PutBigEndian(out, len, 4);
  }
  out->append(s, len);
}

void EncodeHeader(std::string* out, size_t n, uint8_t fix, uint8_t b16, uint8_t b32) {
  if (n <= 15) {
    out->push_back(static_cast<char>(fix | n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(b16));
    PutBigEndian(out, n, 2);
  } else {
    out->push_back(static_cast<char>(b32));
    PutBigEndian(out, n, 4);
  }
}

// Whether the table on top of the stack has exactly the keys 1..n.
bool IsArray(lua_State* L) {
  int top = lua_gettop(L);
  long count = 0;
  lua_Number max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    lua_Number n;
    if (lua_type(L, -1) != LUA_TNUMBER || (n = lua_tonumber(L, -1)) <= 0 || n != std::floor(n)) {
      lua_settop(L, top);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  lua_settop(L, top);
  return max == static_cast<lua_Number>(count);
}

void EncodeValue(lua_State* L, std::string* out, int level);

void EncodeTable(lua_State* L, std::string* out, int level) {
  luaL_checkstack(L, 3, "cmsgpack: table nested too deeply");
  if (IsArray(L)) {
    size_t n = lua_objlen(L, -1);
    EncodeHeader(out, n, 0x90, 0xdc, 0xdd);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, -1, static_cast<int>(i));
      EncodeValue(L, out, level + 1);
      lua_pop(L, 1);
    }
    return;
  }
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    n++;
  }
  EncodeHeader(out, n, 0x80, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    EncodeValue(L, out, level + 1);
    lua_pop(L, 1);
    EncodeValue(L, out, level + 1);
    lua_pop(L, 1);
  }
}

void EncodeValue(lua_State* L, std::string* out, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeString(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out->push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER:
      EncodeNumber(out, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      EncodeTable(L, out, level);
      break;
    default:
      out->push_back(static_cast<char>(0xc0));
      break;
  }
}

int Pack(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  std::string out;
  for (int i = 1; i <= argc; ++i) {
    lua_pushvalue(L, i);
    EncodeValue(L, &out, 0);
    lua_pop(L, 1);
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

enum class DecodeError { kNone, kMissingBytes, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError error = DecodeError::kNone;

  bool Need(size_t n) {
    if (left < n) {
      error = DecodeError::kMissingBytes;
      return false;
    }
    return true;
  }
  uint64_t BigEndian(size_t offset, int bytes) const {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[offset + static_cast<size_t>(i)];
    return v;
  }
  void Skip(size_t n) {
    p += n;
    left -= n;
  }
};

void DecodeValue(lua_State* L, Cursor* c);

void DecodeBytes(lua_State* L, Cursor* c, size_t header, size_t len) {
  if (!c->Need(header + len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p + header), len);
  c->Skip(header + len);
}

void DecodeArray(lua_State* L, Cursor* c, size_t n) {
  luaL_checkstack(L, 2, "cmsgpack: data nested too deeply");
  lua_newtable(L);
  for (size_t i = 1; i <= n; ++i) {
    DecodeValue(L, c);
    if (c->error != DecodeError::kNone) return;
    lua_rawseti(L, -2, static_cast<int>(i));
  }
}

void DecodeMap(lua_State* L, Cursor* c, size_t n) {
  luaL_checkstack(L, 3, "cmsgpack: data nested too deeply");
  lua_newtable(L);
  for (size_t i = 0; i < n; ++i) {
    DecodeValue(L, c);
    if (c->error != DecodeError::kNone) return;
    DecodeValue(L, c);
    if (c->error != DecodeError::kNone) return;
    lua_settable(L, -3);  // a nil or NaN key raises Lua's own error, as in Redis
  }
}

void DecodeValue(lua_State* L, Cursor* c) {
  luaL_checkstack(L, 1, "cmsgpack: data nested too deeply");
  if (!c->Need(1)) return;
  unsigned char tag = c->p[0];
  if (tag <= 0x7f) {
    lua_pushnumber(L, tag);
    c->Skip(1);
    return;
  }
  if (tag >= 0xe0) {
    lua_pushnumber(L, static_cast<int8_t>(tag));
    c->Skip(1);
    return;
  }
  if ((tag & 0xf0) == 0x80) {
    c->Skip(1);
    DecodeMap(L, c, tag & 0x0f);
    return;
  }
  if ((tag & 0xf0) == 0x90) {
    c->Skip(1);
    DecodeArray(L, c, tag & 0x0f);
    return;
  }
  if ((tag & 0xe0) == 0xa0) {
    DecodeBytes(L, c, 1, tag & 0x1f);
    return;
  }
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      c->Skip(1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, tag == 0xc3);
      c->Skip(1);
      return;
    case 0xd9:
      if (c->Need(2)) DecodeBytes(L, c, 2, c->BigEndian(1, 1));
      return;
    case 0xda:
      if (c->Need(3)) DecodeBytes(L, c, 3, c->BigEndian(1, 2));
      return;
    case 0xdb:
      if (c->Need(5)) DecodeBytes(L, c, 5, c->BigEndian(1, 4));
      return;
    case 0xca: {
      if (!c->Need(5)) return;
      uint32_t bits = static_cast<uint32_t>(c->BigEndian(1, 4));
      float f;
      memcpy(&f, &bits, sizeof(f));
      lua_pushnumber(L, f);
      c->Skip(5);
      return;
    }
    case 0xcb: {
      if (!c->Need(9)) return;
      uint64_t bits = c->BigEndian(1, 8);
      double d;
      memcpy(&d, &bits, sizeof(d));
      lua_pushnumber(L, d);
      c->Skip(9);
      return;
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: {
      int bytes = 1 << (tag - 0xcc);
      if (!c->Need(1 + static_cast<size_t>(bytes))) return;
      lua_pushnumber(L, static_cast<lua_Number>(c->BigEndian(1, bytes)));
      c->Skip(1 + static_cast<size_t>(bytes));
      return;
    }
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      int bytes = 1 << (tag - 0xd0);
      if (!c->Need(1 + static_cast<size_t>(bytes))) return;
      uint64_t v = c->BigEndian(1, bytes);
      if (bytes < 8 && (v >> (bytes * 8 - 1)) != 0) v |= ~uint64_t{0} << (bytes * 8);
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
      c->Skip(1 + static_cast<size_t>(bytes));
      return;
    }
    case 0xdc:
      if (!c->Need(3)) return;
      {
        size_t n = c->BigEndian(1, 2);
        c->Skip(3);
        DecodeArray(L, c, n);
      }
      return;
    case 0xdd:
      if (!c->Need(5)) return;
      {
        size_t n = c->BigEndian(1, 4);
        c->Skip(5);
        DecodeArray(L, c, n);
      }
      return;
    case 0xde:
      if (!c->Need(3)) return;
      {
        size_t n = c->BigEndian(1, 2);
        c->Skip(3);
        DecodeMap(L, c, n);
      }
      return;
    case 0xdf:
      if (!c->Need(5)) return;
      {
        size_t n = c->BigEndian(1, 4);
        c->Skip(5);
        DecodeMap(L, c, n);
      }
      return;
    default:
      c->error = DecodeError::kBadFormat;
      return;
  }
}

// Decodes up to `limit` objects (0: all) starting at byte `offset`. With a limit or an offset
// the first result is the offset to continue from, or -1 once the input is used up.
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  bool everything = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (everything) limit = INT_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset)};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    DecodeValue(L, &c);
    if (c.error == DecodeError::kMissingBytes) return luaL_error(L, "Missing bytes in input.");
    if (c.error == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (!everything) {
    lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
    lua_insert(L, 2);
    count++;
  }
  return count;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

const luaL_Reg kCmsgpackFunctions[] = {
    {"pack", Pack},
    {"unpack", Unpack},
    {"unpack_one", UnpackOne},
    {"unpack_limit", UnpackLimit},
    {nullptr, nullptr},
};

}  // namespace

int OpenCmsgpackLib(lua_State* L) {
  luaL_register(L, "cmsgpack", kCmsgpackFunctions);
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "Sluice's MessagePack library for Lua, compatible with lua-cmsgpack");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack encoding and decoding of Lua values");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace sluice::scripting
