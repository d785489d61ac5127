#include "server/scripting/lua_convert.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "server/util/numbers.h"

namespace sluice::scripting {
namespace {

bool ReadLine(std::string_view bytes, size_t* pos, std::string_view* line) {
  size_t eol = bytes.find("\r\n", *pos);
  if (eol == std::string_view::npos) return false;
  *line = bytes.substr(*pos, eol - *pos);
  *pos = eol + 2;
  return true;
}

bool ReadLength(std::string_view text, int64_t* n) { return ParseInt64(text, n); }

// Wraps the value on top in a table under `field`: {field = value}.
void WrapInField(lua_State* L, const char* field) {
  lua_newtable(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, field);
}

}  // namespace

int64_t LuaNumberToInteger(lua_Number n) {
  if (std::isnan(n) || n >= 9223372036854775808.0 || n < -9223372036854775808.0) {
    return INT64_MIN;
  }
  return static_cast<int64_t>(n);
}

std::string ErrorTableText(std::string_view error) {
  std::string code = "ERR";
  std::string_view message = error;
  if (!error.empty() && error[0] == '-') {
    size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      message = error.substr(1);
    } else {
      code.assign(error.substr(1, space - 1));
      message = error.substr(space + 1);
    }
  }
  while (!message.empty() && (message.front() == '\r' || message.front() == '\n')) {
    message.remove_prefix(1);
  }
  while (!message.empty() && (message.back() == '\r' || message.back() == '\n')) {
    message.remove_suffix(1);
  }
  code += ' ';
  code.append(message);
  return code;
}

void PushErrorTable(lua_State* L, std::string_view text) {
  lua_newtable(L);
  lua_pushlstring(L, text.data(), text.size());
  lua_setfield(L, -2, "err");
}

void PushCommandErrorTable(lua_State* L, std::string_view text) {
  PushErrorTable(L, text);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "ignore_error_stats_update");
}

bool PushReply(lua_State* L, std::string_view bytes, size_t* pos) {
  if (*pos >= bytes.size()) return false;
  if (bytes[*pos] == ':') {
    // Integer replies (counts, lengths, flags) are the most common answer to a script's call:
    // up to 18 digits need no overflow check, and a number needs no stack check.
    size_t p = *pos + 1;
    bool negative = p < bytes.size() && bytes[p] == '-';
    if (negative) ++p;
    size_t first = p;
    int64_t n = 0;
    while (p < bytes.size() && p - first < 18 && bytes[p] >= '0' && bytes[p] <= '9') {
      n = n * 10 + (bytes[p] - '0');
      ++p;
    }
    if (p > first && p + 1 < bytes.size() && bytes[p] == '\r' && bytes[p + 1] == '\n') {
      lua_pushnumber(L, static_cast<lua_Number>(negative ? -n : n));
      *pos = p + 2;
      return true;
    }
  }
  if (!lua_checkstack(L, 6)) return false;
  char type = bytes[*pos];
  size_t p = *pos + 1;
  std::string_view line;
  if (!ReadLine(bytes, &p, &line)) return false;
  int64_t n = 0;
  switch (type) {
    case ':':
      if (!ReadLength(line, &n)) return false;
      lua_pushnumber(L, static_cast<lua_Number>(n));
      break;
    case '$':
    case '=':
    case '!': {
      if (!ReadLength(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        break;
      }
      size_t len = static_cast<size_t>(n);
      if (bytes.size() < p + len + 2) return false;
      std::string_view body = bytes.substr(p, len);
      p += len + 2;
      if (type == '$') {
        lua_pushlstring(L, body.data(), body.size());
      } else if (type == '!') {
        std::string text = ErrorTableText("-" + std::string(body));
        PushCommandErrorTable(L, text);
      } else {
        std::string_view format = body.substr(0, 3);
        std::string_view text = body.size() > 4 ? body.substr(4) : std::string_view();
        lua_newtable(L);
        lua_pushlstring(L, format.data(), format.size());
        lua_setfield(L, -2, "format");
        lua_pushlstring(L, text.data(), text.size());
        lua_setfield(L, -2, "string");
        WrapInField(L, "verbatim_string");
      }
      break;
    }
    case '+':
      lua_pushlstring(L, line.data(), line.size());
      WrapInField(L, "ok");
      break;
    case '-': {
      std::string text = ErrorTableText("-" + std::string(line));
      PushCommandErrorTable(L, text);
      break;
    }
    case '*':
    case '>': {
      if (!ReadLength(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        break;
      }
      lua_newtable(L);
      for (int64_t i = 1; i <= n; ++i) {
        if (!PushReply(L, bytes, &p)) {
          lua_pop(L, 1);
          return false;
        }
        lua_rawseti(L, -2, static_cast<int>(i));
      }
      break;
    }
    case '%':
    case '~': {
      if (!ReadLength(line, &n) || n < 0) return false;
      lua_newtable(L);
      for (int64_t i = 0; i < n; ++i) {
        if (!PushReply(L, bytes, &p)) {
          lua_pop(L, 1);
          return false;
        }
        if (type == '%') {
          if (!PushReply(L, bytes, &p)) {
            lua_pop(L, 2);
            return false;
          }
        } else {
          lua_pushboolean(L, 1);
        }
        if (lua_isnil(L, -2)) {
          lua_pop(L, 2);  // a null key cannot index a Lua table
        } else {
          lua_settable(L, -3);
        }
      }
      WrapInField(L, type == '%' ? "map" : "set");
      break;
    }
    case '_':
      lua_pushnil(L);
      break;
    case ',': {
      std::string text(line);
      lua_pushnumber(L, strtod(text.c_str(), nullptr));
      WrapInField(L, "double");
      break;
    }
    case '#':
      lua_pushboolean(L, line == "t");
      break;
    case '(':
      lua_pushlstring(L, line.data(), line.size());
      WrapInField(L, "big_number");
      break;
    case '|': {
      // Attributes annotate the reply that follows; scripts see only the reply.
      if (!ReadLength(line, &n) || n < 0) return false;
      for (int64_t i = 0; i < 2 * n; ++i) {
        if (!PushReply(L, bytes, &p)) return false;
        lua_pop(L, 1);
      }
      *pos = p;
      return PushReply(L, bytes, pos);
    }
    default:
      return false;
  }
  *pos = p;
  return true;
}

namespace {

// The field of the table at `index` if it has the given type (pushed), else false (nothing
// pushed).
bool GetTypedField(lua_State* L, int index, const char* field, int type) {
  lua_pushstring(L, field);
  lua_rawget(L, index);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

std::string FormatScriptDouble(double d) {
  char buf[64];
  int len = snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(len));
}

}  // namespace

void WriteScriptResult(lua_State* L, int index, ReplyBuilder& reply, int script_resp) {
  switch (lua_type(L, index)) {
    case LUA_TNUMBER:
      reply.Integer(LuaNumberToInteger(lua_tonumber(L, index)));
      return;
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, index, &len);
      reply.Bulk(std::string_view(s, len));
      return;
    }
    default:
      WriteLuaValue(L, index, reply, script_resp);
  }
}

void WriteLuaValue(lua_State* L, int index, ReplyBuilder& reply, int script_resp) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  if (!lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    return;
  }
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, index, &len);
      reply.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, index)) {
          reply.Integer(1);
        } else {
          reply.Null();
        }
      } else {
        reply.Bool(lua_toboolean(L, index) != 0);
      }
      return;
    case LUA_TNUMBER:
      reply.Integer(LuaNumberToInteger(lua_tonumber(L, index)));
      return;
    case LUA_TTABLE:
      break;
    default:
      reply.Null();
      return;
  }
  if (GetTypedField(L, index, "err", LUA_TSTRING)) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    reply.Error(std::string_view(s, len));
    lua_pop(L, 1);
    return;
  }
  if (GetTypedField(L, index, "ok", LUA_TSTRING)) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    std::string status(s, len);
    for (char& c : status) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    reply.SimpleString(status);
    lua_pop(L, 1);
    return;
  }
  if (GetTypedField(L, index, "double", LUA_TNUMBER)) {
    reply.DoubleText(FormatScriptDouble(lua_tonumber(L, -1)));
    lua_pop(L, 1);
    return;
  }
  if (GetTypedField(L, index, "big_number", LUA_TSTRING)) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    std::string digits(s, len);
    for (char& c : digits) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    reply.BigNumber(digits);
    lua_pop(L, 1);
    return;
  }
  if (GetTypedField(L, index, "map", LUA_TTABLE)) {
    int map = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, map) != 0) {
      lua_pop(L, 1);
      n++;
    }
    reply.MapHeader(n);
    lua_pushnil(L);
    while (lua_next(L, map) != 0) {
      WriteLuaValue(L, -2, reply, script_resp);
      WriteLuaValue(L, -1, reply, script_resp);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return;
  }
  if (GetTypedField(L, index, "set", LUA_TTABLE)) {
    int set = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, set) != 0) {
      lua_pop(L, 1);
      n++;
    }
    reply.SetHeader(n);
    lua_pushnil(L);
    while (lua_next(L, set) != 0) {
      lua_pop(L, 1);
      WriteLuaValue(L, -1, reply, script_resp);
    }
    lua_pop(L, 1);
    return;
  }
  if (GetTypedField(L, index, "verbatim_string", LUA_TTABLE)) {
    int verbatim = lua_gettop(L);
    if (GetTypedField(L, verbatim, "string", LUA_TSTRING)) {
      if (GetTypedField(L, verbatim, "format", LUA_TSTRING)) {
        size_t text_len, format_len;
        const char* text = lua_tolstring(L, -2, &text_len);
        const char* format = lua_tolstring(L, -1, &format_len);
        reply.Verbatim(std::string_view(text, text_len), std::string_view(format, format_len));
        lua_pop(L, 3);
        return;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  size_t n = 0;
  for (;;) {
    lua_rawgeti(L, index, static_cast<int>(n + 1));
    bool present = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!present) break;
    n++;
  }
  reply.ArrayHeader(n);
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, index, static_cast<int>(i));
    WriteLuaValue(L, -1, reply, script_resp);
    lua_pop(L, 1);
  }
}

}  // namespace sluice::scripting
