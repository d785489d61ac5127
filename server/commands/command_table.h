// The registry of every command, filled by each family's Register function at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/commands/command.h"
#include "server/util/name_memo.h"

namespace sluice {

class CommandTable {
 public:
  CommandTable();
  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  void Add(CommandSpec spec);
  // Adds a command of `group` in the shape most commands have: keys at the argument positions
  // first..last by step (0, 0, 0: no keys, or `key_finder` finds them), no subcommands.
  void AddSimple(std::string_view group, std::string_view name, int arity, uint32_t flags,
                 int first, int last, int step, std::string_view since, std::string_view summary,
                 std::string_view syntax, CommandHandler handler, std::string_view complexity,
                 KeyFinder key_finder = nullptr);
  // Case-insensitive, without allocating.
  const CommandSpec* Find(std::string_view name) const;
  // The subcommand of a container command, case-insensitive, or nullptr.
  static const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);

  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return specs_; }
  // Every command run comes here: a small direct-mapped cache of the map's entries (which keep
  // their addresses until the map is cleared) saves hashing into it.
  CommandStats& stats(const CommandSpec& spec) {
    StatsCacheEntry& entry =
        stats_cache_[(reinterpret_cast<uintptr_t>(&spec) / sizeof(CommandSpec)) % kStatsCacheSize];
    if (entry.spec != &spec) {
      entry.spec = &spec;
      entry.stats = &stats_[&spec];
    }
    return *entry.stats;
  }
  const std::unordered_map<const CommandSpec*, CommandStats>& all_stats() const { return stats_; }
  void ResetStats() {
    stats_.clear();
    for (StatsCacheEntry& entry : stats_cache_) entry = StatsCacheEntry();
  }

  // Start-up work that needs the built server (before-sleep hooks, session hooks). Families add
  // these from their Register function; the server runs them once at the end of its constructor.
  void AddStartupHook(std::function<void(Server&)> hook) {
    startup_hooks_.push_back(std::move(hook));
  }
  const std::vector<std::function<void(Server&)>>& startup_hooks() const { return startup_hooks_; }
  // Called by the dispatcher after every executed command with its duration (SLOWLOG).
  using CallObserver = std::function<void(const CommandContext& ctx, int64_t duration_us)>;
  void AddCallObserver(CallObserver observer) { call_observers_.push_back(std::move(observer)); }
  void NotifyCall(const CommandContext& ctx, int64_t duration_us) const {
    for (const auto& observer : call_observers_) observer(ctx, duration_us);
  }

 private:
  std::vector<std::function<void(Server&)>> startup_hooks_;
  std::vector<CallObserver> call_observers_;
  std::vector<std::unique_ptr<CommandSpec>> specs_;
  std::unordered_map<std::string_view, const CommandSpec*> by_name_;
  // Every request names its command, and clients spell the same few names the same way over
  // and over: Find first looks the name up as spelled (case included) in a small direct-mapped
  // cache, which costs less than folding and hashing it into by_name_. Unknown names are not
  // cached, so they cannot evict real ones; Add empties it.
  static constexpr size_t kNameCacheSize = 64;
  mutable NameMemo<const CommandSpec*> name_cache_[kNameCacheSize];
  const CommandSpec* FindFolded(std::string_view name) const;
  std::unordered_map<const CommandSpec*, CommandStats> stats_;
  struct StatsCacheEntry {
    const CommandSpec* spec = nullptr;
    CommandStats* stats = nullptr;
  };
  static constexpr size_t kStatsCacheSize = 64;
  StatsCacheEntry stats_cache_[kStatsCacheSize];
};

// Every family's registration, called once by the server.
void RegisterAllCommands(CommandTable& table);

// COMMAND's replies, built from the specs.
void ReplyCommandInfo(ReplyBuilder& reply, const CommandSpec& spec);
void ReplyCommandDocs(ReplyBuilder& reply, const CommandSpec& spec);
// ACL categories ("@string", "@fast", ...) derived from group and flags.
std::vector<std::string_view> AclCategories(const CommandSpec& spec);
std::vector<std::string_view> FlagNames(uint32_t flags);

}  // namespace sluice
