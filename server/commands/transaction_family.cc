#include "server/commands/command_table.h"

namespace sluice {

void RegisterTransactionFamily(CommandTable& table) {}

}  // namespace sluice
