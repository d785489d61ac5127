// Every command family's registration, in one list.
#include "server/commands/command_table.h"

namespace sluice {

void RegisterClientFamily(CommandTable& table);
void RegisterConnectionFamily(CommandTable& table);
void RegisterGenericFamily(CommandTable& table);
void RegisterHashFamily(CommandTable& table);
void RegisterListFamily(CommandTable& table);
void RegisterPubSubFamily(CommandTable& table);
void RegisterQueueFamily(CommandTable& table);
void RegisterScriptingFamily(CommandTable& table);
void RegisterServerFamily(CommandTable& table);
void RegisterSetFamily(CommandTable& table);
void RegisterStreamFamily(CommandTable& table);
void RegisterStringFamily(CommandTable& table);
void RegisterTransactionFamily(CommandTable& table);
void RegisterZSetFamily(CommandTable& table);

void RegisterAllCommands(CommandTable& table) {
  RegisterClientFamily(table);
  RegisterConnectionFamily(table);
  RegisterGenericFamily(table);
  RegisterHashFamily(table);
  RegisterListFamily(table);
  RegisterPubSubFamily(table);
  RegisterQueueFamily(table);
  RegisterScriptingFamily(table);
  RegisterServerFamily(table);
  RegisterSetFamily(table);
  RegisterStreamFamily(table);
  RegisterStringFamily(table);
  RegisterTransactionFamily(table);
  RegisterZSetFamily(table);
}

}  // namespace sluice
