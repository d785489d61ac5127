#include "server/commands/command_table.h"

namespace sluice {

void RegisterGenericFamily(CommandTable& table) {}

}  // namespace sluice
