// ReadsArgsOnly: which EVAL scripts may be given the reused KEYS and ARGV tables. A false
// "true" would let a script change what the next script sees, so the cases lean on writes and
// escapes that are easy to miss.
#include <gtest/gtest.h>

#include "server/scripting/args_usage.h"

namespace sluice::scripting {
namespace {

TEST(ArgsUsageTest, IndexReadsAndLengths) {
  EXPECT_TRUE(ReadsArgsOnly("return redis.call('LPUSH', KEYS[1], ARGV[1])"));
  EXPECT_TRUE(ReadsArgsOnly(
      "redis.call('LPUSH', KEYS[1], ARGV[1]) redis.call('HSET', KEYS[2], 'last', ARGV[1]) "
      "redis.call('INCR', KEYS[3]) redis.call('EXPIRE', KEYS[3], 86400) "
      "return redis.call('LLEN', KEYS[1])"));
  EXPECT_TRUE(ReadsArgsOnly("for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end return #ARGV"));
  EXPECT_TRUE(ReadsArgsOnly("local k = KEYS[1] local n = tonumber(ARGV[1]) return {k, n}"));
  EXPECT_TRUE(ReadsArgsOnly("return {KEYS[1], ARGV[2]}"));
  EXPECT_TRUE(ReadsArgsOnly("if KEYS[1] == ARGV[1] then return 1 end return KEYS[ARGV[2]]"));
  EXPECT_TRUE(ReadsArgsOnly("return KEYS[1]:upper(), #KEYS[1]"));
  EXPECT_TRUE(ReadsArgsOnly("local f = function(x) return x end f(KEYS[1], y) z = 1"));
  EXPECT_TRUE(ReadsArgsOnly("local t = {} t.KEYS = 1 t.ARGV = {} t.ARGV[1] = 2 return t:KEYS()"));
  // Words in comments and strings are not code.
  EXPECT_TRUE(ReadsArgsOnly("-- KEYS[1] = 1\nreturn 'KEYS = {} ARGV[1] = _G'"));
  EXPECT_TRUE(ReadsArgsOnly("--[==[ KEYS[1] = 1 ]==] return [[ARGV = 1]]"));
  EXPECT_TRUE(ReadsArgsOnly("#!lua flags=no-writes\nreturn KEYS[1]"));
}

TEST(ArgsUsageTest, WritesAreNotReads) {
  EXPECT_FALSE(ReadsArgsOnly("KEYS[1] = 'x' return KEYS[1]"));
  EXPECT_FALSE(ReadsArgsOnly("KEYS [ 1 ] = 'x'"));
  EXPECT_FALSE(ReadsArgsOnly("ARGV[#ARGV + 1] = 'x'"));
  EXPECT_FALSE(ReadsArgsOnly("KEYS[1]--[[ a comment ]]= 'x'"));
  EXPECT_FALSE(ReadsArgsOnly("KEYS[ [[k]] ] = 'x'"));
  EXPECT_FALSE(ReadsArgsOnly("local a a, ARGV[2] = 1, 2"));
  EXPECT_FALSE(ReadsArgsOnly("local a KEYS[1], a = 1, 2"));
  EXPECT_FALSE(ReadsArgsOnly("local t = {} KEYS[1], t.x[2] = 1, 2"));
  EXPECT_FALSE(ReadsArgsOnly("local t = {} KEYS[1], (t).x = 1, 2"));
  EXPECT_FALSE(ReadsArgsOnly("local KEYS = {} KEYS[1] = 1"));
}

TEST(ArgsUsageTest, TheTablesThemselvesEscape) {
  EXPECT_FALSE(ReadsArgsOnly("return KEYS"));
  EXPECT_FALSE(ReadsArgsOnly("local t = ARGV return t[1]"));
  EXPECT_FALSE(ReadsArgsOnly("table.insert(KEYS, 'x')"));
  EXPECT_FALSE(ReadsArgsOnly("setmetatable(ARGV, {})"));
  EXPECT_FALSE(ReadsArgsOnly("return unpack(ARGV)"));
  EXPECT_FALSE(ReadsArgsOnly("for i, k in ipairs(KEYS) do end"));
  EXPECT_FALSE(ReadsArgsOnly("return KEYS:foo()"));
  EXPECT_FALSE(ReadsArgsOnly("return KEYS.n"));
  // Globals reached by a computed name, or code compiled at run time.
  EXPECT_FALSE(ReadsArgsOnly("return _G['KE' .. 'YS'][1]"));
  EXPECT_FALSE(ReadsArgsOnly("return loadstring('KEYS[1] = 1')()"));
  EXPECT_FALSE(ReadsArgsOnly("return getfenv(1)"));
  // What cannot be read as Lua is never trusted.
  EXPECT_FALSE(ReadsArgsOnly("return 'unterminated"));
  EXPECT_FALSE(ReadsArgsOnly("return KEYS[1"));
  EXPECT_FALSE(ReadsArgsOnly("return KEYS[1)]"));
}

}  // namespace
}  // namespace sluice::scripting
