// Writing keys as the commands that rebuild them: for base files (log compaction) and for logging
// a key's resulting state when a command's effect cannot be told from its arguments.
//
// Strings and lists are written here. Every other type's family registers a rewriter with
// RegisterAofRewriter() from its Register function (HSET batches, SADD batches, ZADD, XADD plus
// XSETID and XGROUP ...). A type without one is written as `RESTORE key <at> <payload> ABSTTL`
// from its DUMP codec (server/types/serialize.h), so every type that can be DUMPed can be
// persisted without code here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/persistence/aof_format.h"
#include "server/types/object.h"

namespace sluice {

class Server;

// Writes the commands that rebuild the value under key (not its expiry). Large collections
// should be split into commands of at most kAofItemsPerCommand elements.
using AofRewriteFn = void (*)(std::string_view key, const Object& obj, AofWriter& out);
inline constexpr size_t kAofItemsPerCommand = 64;

// Installs the rewriter for a type (replacing any earlier one). Called at start-up.
void RegisterAofRewriter(ObjType type, AofRewriteFn fn);

// State outside the keyspace that a base file must carry too (function libraries): a writer
// appends the commands that recreate it; they come before the keys. Called at start-up.
using AofStateWriter = void (*)(Server& server, AofWriter& out);
void RegisterAofStateWriter(AofStateWriter writer);

// Appends the commands rebuilding key, value and expiry, into `out`. False (nothing written)
// when the type has neither a rewriter nor a DUMP codec.
bool RewriteKey(std::string_view key, const Object& obj, AofWriter& out);

// Writes every live key of every database to `fd` as commands, then fsyncs it. Keys whose
// deadline is at or before `now_ms` are left out. `key_delay_us` (rdb-key-save-delay) sleeps
// after each key, for tests that need a rewrite to be in progress. Returns false with *error on
// a write error or an unwritable type.
bool WriteBaseFile(Server& server, int fd, int64_t now_ms, int64_t key_delay_us,
                   std::string* error);

}  // namespace sluice
