// The registry of every command, filled by each family's Register function at start-up.
#pragma once

#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/commands/command.h"

namespace sluice {

class CommandTable {
 public:
  CommandTable();
  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  void Add(CommandSpec spec);
  // Case-insensitive, without allocating.
  const CommandSpec* Find(std::string_view name) const;
  // The subcommand of a container command, case-insensitive, or nullptr.
  static const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);

  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return specs_; }
  CommandStats& stats(const CommandSpec& spec) { return stats_[&spec]; }
  const std::unordered_map<const CommandSpec*, CommandStats>& all_stats() const { return stats_; }
  void ResetStats() { stats_.clear(); }

 private:
  std::vector<std::unique_ptr<CommandSpec>> specs_;
  std::unordered_map<std::string_view, const CommandSpec*> by_name_;
  std::unordered_map<const CommandSpec*, CommandStats> stats_;
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
