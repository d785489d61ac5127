// The Lua VMs leak nothing across flushes: thousands of cached scripts and hundreds of function
// libraries are loaded and flushed, several rounds over, and both the tables and the server's
// used_memory come back to where they started.
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "server/scripting/script_engine.h"
#include "tests/unit/server_fixture.h"

namespace sluice::testing {
namespace {

constexpr int kScripts = 4000;  // SCRIPT LOAD per round
constexpr int kEvals = 1000;    // ... and EVAL, which caches too
constexpr int kLibraries = 400;
constexpr int kRounds = 3;

class ScriptingMemoryTest : public ServerTest {
 protected:
  scripting::Engine& engine() { return scripting::Engine::Of(*server_); }

  // INFO used_memory, as a client would read it.
  int64_t UsedMemory() {
    std::string info = Run({"INFO", "memory"}).str;
    size_t at = info.find("\r\nused_memory:");
    EXPECT_NE(at, std::string::npos) << info;
    if (at == std::string::npos) return 0;
    return std::stoll(info.substr(at + 14));
  }

  // used_memory counts glibc's live bytes (mallinfo2). Under a sanitizer's allocator those
  // figures do not follow the process's allocations (the server then reports the resident
  // size, which does not shrink on free): the memory bounds are checked only when a block
  // allocated here shows up in them.
  static bool AllocatorCountsLiveBytes() {
    auto live = [] {
      struct mallinfo2 m = mallinfo2();
      return m.uordblks + m.hblkhd;
    };
    constexpr size_t kProbe = 1 << 20;
    size_t before = live();
    void* probe = std::malloc(kProbe);
    std::memset(probe, 1, kProbe);
    asm volatile("" : : "r"(probe) : "memory");  // the block must really be allocated
    size_t during = live();
    std::free(probe);
    return during >= before + kProbe;
  }

  // Loads distinct scripts (the round number keeps each round's texts new) and returns their
  // SHA1s.
  std::vector<std::string> LoadScripts(int round) {
    std::vector<std::string> shas;
    for (int i = 0; i < kScripts + kEvals; ++i) {
      std::string body = "local t = {} for i = 1, " + std::to_string(i % 7 + 1) +
                         " do t[i] = KEYS[1] .. i end return {'round " + std::to_string(round) +
                         " script " + std::to_string(i) + "', #t}";
      if (i < kScripts) {
        RespValue sha = Run({"SCRIPT", "LOAD", body});
        EXPECT_EQ(sha.type, RespValue::Type::kBulk) << sha;
        shas.push_back(sha.str);
      } else {
        RespValue r = Run({"EVAL", body, "1", "k"});
        EXPECT_EQ(r.size(), 2u) << r;
        shas.push_back(Run({"SCRIPT", "LOAD", body}).str);  // the SHA1 EVAL cached it under
      }
    }
    return shas;
  }

  // How many of the SHA1s SCRIPT EXISTS still finds.
  int64_t CountCached(const std::vector<std::string>& shas) {
    std::vector<std::string> args = {"SCRIPT", "EXISTS"};
    args.insert(args.end(), shas.begin(), shas.end());
    RespValue r = Run(client_, args);
    EXPECT_EQ(r.size(), shas.size());
    int64_t n = 0;
    for (const RespValue& v : r.elements) n += v.integer;
    return n;
  }

  void LoadLibraries(int round) {
    for (int i = 0; i < kLibraries; ++i) {
      std::string name = "lib" + std::to_string(round) + "_" + std::to_string(i);
      std::string code = "#!lua name=" + name + "\nlocal data = {} for i = 1, 20 do data[i] = '" +
                         name + "' .. i end" + "\nredis.register_function('" + name +
                         "_a', function(keys, args) return #data end)" +
                         "\nredis.register_function{function_name='" + name +
                         "_b', callback=function() return data[1] end, flags={'no-writes'}}";
      ASSERT_EQ(Run({"FUNCTION", "LOAD", code}), name);
    }
  }
};

TEST_F(ScriptingMemoryTest, FlushesEmptyTheTablesAndReturnTheMemory) {
  int64_t baseline = 0;
  // Round 0 pays for what is allocated once and kept (table buckets, the read buffer grown for
  // the long SCRIPT EXISTS, reply buffers); the baseline is taken after it.
  for (int round = 0; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::string> shas = LoadScripts(round);
    EXPECT_EQ(CountCached(shas), kScripts + kEvals);
    LoadLibraries(round);
    EXPECT_EQ(engine().libraries().size(), static_cast<size_t>(kLibraries));
    EXPECT_EQ(engine().function_count(), static_cast<size_t>(2 * kLibraries));
    EXPECT_EQ(Run({"FCALL_RO", "lib" + std::to_string(round) + "_7_b", "0"}),
              "lib" + std::to_string(round) + "_71");
    int64_t loaded = UsedMemory();

    // Alternate the flush modes: both must release everything.
    ASSERT_EQ(Run({"SCRIPT", "FLUSH", round % 2 == 0 ? "ASYNC" : "SYNC"}), "OK");
    EXPECT_EQ(CountCached(shas), 0);
    EXPECT_TRUE(Run({"EVALSHA", shas.front(), "0"}).is_error());
    ASSERT_EQ(Run({"FUNCTION", "FLUSH", round % 2 == 0 ? "SYNC" : "ASYNC"}), "OK");
    EXPECT_TRUE(engine().libraries().empty());
    EXPECT_EQ(engine().function_count(), 0u);
    EXPECT_EQ(Run({"FUNCTION", "LIST"}).size(), 0u);
    RespValue stats = Run({"FUNCTION", "STATS"});
    ASSERT_EQ(stats.size(), 4u);
    EXPECT_EQ(stats[3].ToString(),
              R"(["LUA", ["libraries_count", (integer) 0, "functions_count", (integer) 0]])");
    shas.clear();
    shas.shrink_to_fit();

    if (!AllocatorCountsLiveBytes()) continue;
    int64_t after = UsedMemory();
    if (round == 0) {
      baseline = after;
      continue;
    }
    int64_t grown = loaded - baseline;
    // The measurement sees the scripts (a few hundred bytes each at the very least)...
    EXPECT_GT(grown, int64_t{200} * (kScripts + kEvals)) << "loaded " << loaded;
    // ... and nearly all of it goes again. What stays is the allocator's and the tables' bounded
    // slack (tens of kilobytes a round, levelling off); a leak of a hundred bytes per script, or
    // of a Lua state, would exceed this within the rounds.
    int64_t allowance = std::max<int64_t>(int64_t{256} * 1024, grown / 10);
    EXPECT_LT(after - baseline, allowance)
        << "baseline " << baseline << ", loaded " << loaded << ", after the flushes " << after;
  }
}

}  // namespace
}  // namespace sluice::testing
