#include "server/commands/command_table.h"

namespace sluice {

void RegisterServerFamily(CommandTable& table) {}

}  // namespace sluice
