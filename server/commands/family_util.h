// Helpers every family uses: typed key lookup with the WRONGTYPE rule, and registration glue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "server/commands/command.h"
#include "server/storage/database.h"
#include "server/types/object.h"

namespace sluice {

// The live object under key if it has the wanted type. A key of another type replies
// WRONGTYPE and sets *wrong_type; a missing key returns nullptr with *wrong_type false.
Object* FindTyped(CommandContext& ctx, std::string_view key, ObjType type, bool* wrong_type);

// Parses a blocking timeout in seconds (fractions allowed, 0 forever); replies the error Redis
// gives and returns false when it is invalid. *deadline_ms is 0 for "forever".
bool ParseBlockingTimeout(CommandContext& ctx, std::string_view text, int64_t* deadline_ms);

// A blocked command re-run because one of its keys became ready looks at that key only: *keys
// becomes that one key (held in *waking_view). If the key now holds another type than `type`,
// the client keeps waiting without a reply, re-blocked on *keys, and false is returned: Redis 7.0
// serves list waiters from lists and sorted-set waiters from sorted sets only, so a key turned
// into a string (or another of the keys turned into one) never ends the block with WRONGTYPE.
// `keys` are views into the arguments; nothing is copied unless the client blocks.
bool NarrowToWakingKey(CommandContext& ctx, ObjType type, std::span<const std::string_view>* keys,
                       std::string_view* waking_view, int64_t deadline);

// Replies an integer or the error for a failed parse, Redis style.
std::string_view UpperName(std::string_view lower, char* buf, size_t cap);

// Options of the collection scans (HSCAN, SSCAN, ZSCAN) after the cursor.
struct ScanOptions {
  size_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;  // false for no MATCH and for MATCH *, which also takes ""
};

// Reads a scan cursor the way Redis does (strtoull, so "-1" wraps and "" is 0), refusing leading
// spaces, trailing bytes and overflow.
bool ParseScanCursor(std::string_view text, uint64_t* out);

// Reads [MATCH pattern] [COUNT count] from args[start..]; replies Redis's error and returns false
// when they are malformed.
bool ParseScanOptions(CommandContext& ctx, size_t start, ScanOptions* out);

}  // namespace sluice
