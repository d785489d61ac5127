#include "server/commands/command_table.h"

namespace sluice {

void RegisterClientFamily(CommandTable& table) {}

}  // namespace sluice
