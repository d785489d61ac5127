// What the log records for a command whose arguments alone would not replay to the same result:
// relative expiries become absolute deadlines (SET EX -> SET PXAT, EXPIRE -> PEXPIREAT, ...),
// blocking pops become the pop they performed (BLPOP served by a push -> LPOP of the key it
// took from), commands whose result is random become the key's resulting state. Handlers can
// also name their effects themselves with CommandContext::PropagateAs, which takes precedence.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command.h"

namespace sluice {

// Where effects go: commands in the database of the command being logged.
class AofEmitter {
 public:
  virtual ~AofEmitter() = default;
  virtual void Emit(std::span<const std::string_view> args) = 0;
  void Emit(std::initializer_list<std::string_view> args) {
    Emit(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // `count` commands already in the log's format.
  virtual void EmitEncoded(std::string_view commands, size_t count) = 0;
};

// State captured before a handler runs, for effects that depend on what the command saw.
struct EffectState {
  // The key a blocking pop will serve from (the first of its keys holding a value).
  std::string_view served_key;
  // XREADGROUP: for each stream, the group's position before the read (empty when the group
  // does not exist) and whether the consumer existed, so what the read did can be told apart.
  struct GroupBefore {
    std::string position;
    bool consumer_existed = false;
  };
  std::vector<GroupBefore> groups_before;
};

// Captures the state for commands that need it (blocking pops). Cheap for every other command.
void PrepareEffects(const CommandContext& ctx, EffectState* state);

// Commands that report `unchanged` (WATCH must not see them) but change consumer-group state,
// which Redis counts as a change and propagates: recorded unless the command only blocked.
bool ChangesQuietly(const CommandContext& ctx);

// Writes the effects of a command that changed the dataset. Returns false when the command's own
// arguments are the right thing to log.
bool EmitEffects(CommandContext& ctx, const EffectState& state, AofEmitter& out);

}  // namespace sluice
