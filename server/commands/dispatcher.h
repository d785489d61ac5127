// From a parsed request to a handler call: lookup, arity, subscriber-mode and MULTI rules,
// statistics, and the post-write keyspace hooks. Used for network requests, EXEC and scripts.
#pragma once

#include <string>

#include "server/commands/command.h"

namespace sluice {

// A request from a client: applies every admission rule and queues it inside MULTI.
void Dispatch(Server& server, Session& session, ArgList args);

// Looks up the spec (resolving subcommands) and checks arity. On failure returns nullptr with
// the error Redis gives in *error.
const CommandSpec* ResolveCommand(Server& server, ArgList args, std::string* error);

// CLIENT PAUSE: whether this request must wait for the pause to end. Unknown commands and
// arity errors never wait (they are refused at once, as Redis does).
bool MustWaitForPause(Server& server, Session& session, ArgList args);

// Runs an admitted command now. `may_block` is false inside EXEC and scripts.
void ExecuteCommand(Server& server, Session& session, const CommandSpec& spec, ArgList args,
                    bool may_block);

}  // namespace sluice
