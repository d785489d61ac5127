#include "server/commands/command_table.h"

namespace sluice {

void RegisterPubSubFamily(CommandTable& table) {}

}  // namespace sluice
