// Every command family's registration, in one list.
#include "server/commands/command_table.h"

namespace sluice {

void RegisterClientFamily(CommandTable& table);
void RegisterConnectionFamily(CommandTable& table);
void RegisterGenericFamily(CommandTable& table);
void RegisterListFamily(CommandTable& table);
void RegisterServerFamily(CommandTable& table);
void RegisterStringFamily(CommandTable& table);
void RegisterTransactionFamily(CommandTable& table);

void RegisterAllCommands(CommandTable& table) {
  RegisterClientFamily(table);
  RegisterConnectionFamily(table);
  RegisterGenericFamily(table);
  RegisterListFamily(table);
  RegisterServerFamily(table);
  RegisterStringFamily(table);
  RegisterTransactionFamily(table);
}

}  // namespace sluice
