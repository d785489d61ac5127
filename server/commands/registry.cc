// Every command family's registration, in one list.
#include "server/commands/command_table.h"

namespace sluice {

void RegisterConnectionFamily(CommandTable& table);
void RegisterStringFamily(CommandTable& table);

void RegisterAllCommands(CommandTable& table) {
  RegisterConnectionFamily(table);
  RegisterStringFamily(table);
}

}  // namespace sluice
