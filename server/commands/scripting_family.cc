#include "server/commands/command_table.h"

namespace sluice {

void RegisterScriptingFamily(CommandTable& table) {}

}  // namespace sluice
