#include "server/commands/command_table.h"

namespace sluice {

void RegisterSetFamily(CommandTable& table) {}

}  // namespace sluice
