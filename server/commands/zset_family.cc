#include "server/commands/command_table.h"

namespace sluice {

void RegisterZSetFamily(CommandTable& table) {}

}  // namespace sluice
