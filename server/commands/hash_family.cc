#include "server/commands/command_table.h"

namespace sluice {

void RegisterHashFamily(CommandTable& table) {}

}  // namespace sluice
