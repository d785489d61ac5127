#include "server/commands/command_table.h"

namespace sluice {

void RegisterListFamily(CommandTable& table) {}

}  // namespace sluice
