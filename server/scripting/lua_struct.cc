// The struct library: packs Lua numbers and strings into C-like binary records and back.
//
// A format is a sequence of options, each optionally followed by a count:
//   > < !n     big endian, little endian, maximum alignment n (default: the native one)
//   b B h H    signed/unsigned char and short;  l L  long;  T  size_t
//   i[n] I[n]  signed/unsigned integer of n bytes (default sizeof(int), at most 32)
//   f d        float and double
//   c[n]       n characters (c0: the length comes from the string, or on unpack from the
//              number unpacked just before)
//   s          zero-terminated string;  x  one padding byte;  spaces are ignored
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "server/scripting/lua_libs.h"

extern "C" {
#include <lauxlib.h>
}

namespace sluice::scripting {
namespace {

constexpr size_t kMaxIntSize = 32;

struct DoubleAlign {
  char c;
  double d;
};
constexpr size_t kNativeAlign = offsetof(DoubleAlign, d);

bool NativeLittleEndian() {
  const uint16_t probe = 1;
  uint8_t first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

struct Layout {
  bool little = NativeLittleEndian();
  size_t align = 1;
};

size_t ReadCount(const char** fmt, size_t fallback) {
  if (!isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  size_t value = 0;
  do {
    value = value * 10 + static_cast<size_t>(*(*fmt)++ - '0');
  } while (isdigit(static_cast<unsigned char>(**fmt)) && value <= (SIZE_MAX - 9) / 10);
  return value;
}

// Bytes the option occupies (0 for control options, 's' and 'c0').
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
    case 'x':
      return 1;
    case 'H':
    case 'h':
      return sizeof(short);
    case 'L':
    case 'l':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'c':
      return ReadCount(fmt, 1);
    case 'i':
    case 'I': {
      size_t size = ReadCount(fmt, sizeof(int));
      if (size > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", static_cast<int>(size),
                   static_cast<int>(kMaxIntSize));
      }
      return size;
    }
    default:
      return 0;
  }
}

size_t PaddingFor(size_t offset, const Layout& layout, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > layout.align) size = layout.align;
  return (size - (offset & (size - 1))) & (size - 1);
}

void ApplyControl(lua_State* L, char opt, const char** fmt, Layout* layout) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      layout->little = false;
      return;
    case '<':
      layout->little = true;
      return;
    case '!': {
      size_t align = ReadCount(fmt, kNativeAlign);
      if ((align & (align - 1)) != 0) {
        luaL_error(L, "alignment %d is not a power of 2", static_cast<int>(align));
      }
      layout->align = align;
      return;
    }
    default: {
      const char* message = lua_pushfstring(L, "invalid format option '%c'", opt);
      luaL_argerror(L, 1, message);
    }
  }
}

bool IsIntegerOption(char opt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'h':
    case 'H':
    case 'l':
    case 'L':
    case 'T':
    case 'i':
    case 'I':
      return true;
    default:
      return false;
  }
}

bool IsSignedOption(char opt) { return opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'; }

// Writes the low bytes of a number as an integer of `size` bytes; wider sizes are filled with
// zeros.
void PutInteger(luaL_Buffer* b, lua_Number n, bool little, size_t size) {
  uint64_t value;
  if (n < 0) {
    value = (n >= -9223372036854775808.0) ? static_cast<uint64_t>(static_cast<int64_t>(n))
                                          : static_cast<uint64_t>(INT64_MIN);
  } else {
    value = (n < 18446744073709551616.0) ? static_cast<uint64_t>(n) : UINT64_MAX;
  }
  char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; ++i) {
    size_t pos = little ? i : size - 1 - i;
    bytes[pos] = i < sizeof(value) ? static_cast<char>((value >> (8 * i)) & 0xff) : '\0';
  }
  luaL_addlstring(b, bytes, size);
}

void PutFloating(luaL_Buffer* b, const void* value, size_t size, bool little) {
  char bytes[sizeof(double)];
  memcpy(bytes, value, size);
  if (little != NativeLittleEndian()) {
    for (size_t i = 0; i < size / 2; ++i) {
      char t = bytes[i];
      bytes[i] = bytes[size - 1 - i];
      bytes[size - 1 - i] = t;
    }
  }
  luaL_addlstring(b, bytes, size);
}

lua_Number GetInteger(const char* data, bool little, bool is_signed, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    size_t pos = little ? size - 1 - i : i;
    value = (value << 8) | static_cast<unsigned char>(data[pos]);
  }
  if (is_signed) {
    if (size < sizeof(value)) {
      uint64_t mask = ~uint64_t{0} << (size * 8 - 1);
      if (value & mask) value |= mask;
    }
    return static_cast<lua_Number>(static_cast<int64_t>(value));
  }
  return static_cast<lua_Number>(value);
}

void GetFloating(const char* data, void* out, size_t size, bool little) {
  char bytes[sizeof(double)];
  memcpy(bytes, data, size);
  if (little != NativeLittleEndian()) {
    for (size_t i = 0; i < size / 2; ++i) {
      char t = bytes[i];
      bytes[i] = bytes[size - 1 - i];
      bytes[size - 1 - i] = t;
    }
  }
  memcpy(out, bytes, size);
}

int StructPack(lua_State* L) {
  Layout layout;
  const char* fmt = luaL_checkstring(L, 1);
  int arg = 2;
  size_t total = 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    size_t padding = PaddingFor(total, layout, opt, size);
    total += padding;
    while (padding-- > 0) luaL_addchar(&b, '\0');
    if (IsIntegerOption(opt)) {
      PutInteger(&b, luaL_checknumber(L, arg++), layout.little, size);
    } else if (opt == 'x') {
      luaL_addchar(&b, '\0');
    } else if (opt == 'f') {
      float f = static_cast<float>(luaL_checknumber(L, arg++));
      PutFloating(&b, &f, sizeof(f), layout.little);
    } else if (opt == 'd') {
      double d = luaL_checknumber(L, arg++);
      PutFloating(&b, &d, sizeof(d), layout.little);
    } else if (opt == 'c' || opt == 's') {
      size_t len;
      const char* s = luaL_checklstring(L, arg++, &len);
      if (size == 0) size = len;
      luaL_argcheck(L, len >= size, arg, "string too short");
      luaL_addlstring(&b, s, size);
      if (opt == 's') {
        luaL_addchar(&b, '\0');
        size++;
      }
    } else {
      ApplyControl(L, opt, &fmt, &layout);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

int StructUnpack(lua_State* L) {
  Layout layout;
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const char* data = luaL_checklstring(L, 2, &len);
  lua_Integer start = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, start > 0, 3, "offset must be 1 or greater");
  size_t pos = static_cast<size_t>(start) - 1;
  int results = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += PaddingFor(pos, layout, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (IsIntegerOption(opt)) {
      lua_pushnumber(L, GetInteger(data + pos, layout.little, IsSignedOption(opt), size));
      results++;
    } else if (opt == 'x') {
      // padding: nothing to return
    } else if (opt == 'f') {
      float f;
      GetFloating(data + pos, &f, sizeof(f), layout.little);
      lua_pushnumber(L, f);
      results++;
    } else if (opt == 'd') {
      double d;
      GetFloating(data + pos, &d, sizeof(d), layout.little);
      lua_pushnumber(L, d);
      results++;
    } else if (opt == 'c') {
      if (size == 0) {
        if (results == 0 || !lua_isnumber(L, -1))
          luaL_error(L, "format 'c0' needs a previous size");
        lua_Number n = lua_tonumber(L, -1);
        size = n > 0 ? static_cast<size_t>(n) : 0;
        lua_pop(L, 1);
        results--;
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, size);
      results++;
    } else if (opt == 's') {
      const char* end = static_cast<const char*>(memchr(data + pos, '\0', len - pos));
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<size_t>(end - (data + pos)) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      results++;
    } else {
      ApplyControl(L, opt, &fmt, &layout);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos) + 1);
  return results + 1;
}

int StructSize(lua_State* L) {
  Layout layout;
  const char* fmt = luaL_checkstring(L, 1);
  size_t pos = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += PaddingFor(pos, layout, opt, size);
    if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
    if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
    if (!isalnum(static_cast<unsigned char>(opt))) ApplyControl(L, opt, &fmt, &layout);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

const luaL_Reg kStructFunctions[] = {
    {"pack", StructPack},
    {"unpack", StructUnpack},
    {"size", StructSize},
    {nullptr, nullptr},
};

}  // namespace

int OpenStructLib(lua_State* L) {
  luaL_register(L, "struct", kStructFunctions);
  return 1;
}

}  // namespace sluice::scripting
