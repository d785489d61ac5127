// Glob-style pattern matching with the exact semantics of Redis's stringmatchlen(), used by
// KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and friends.
#pragma once

#include <string_view>

namespace sluice {

// Returns true when `text` matches `pattern`. Both are treated as raw bytes. Supported syntax:
//   *        any run of bytes (consecutive stars collapse into one)
//   ?        exactly one byte
//   [abc]    one byte from the set; [^abc] negates; [a-z] is a range (reversed ranges such as
//            [z-a] are accepted); \x inside brackets is a literal x
//   \x       literal x
// Redis quirks reproduced on purpose, because clients can observe them:
//   - An empty text matches only an empty pattern, so "*" does not match "".
//   - An unterminated '[' runs to the end of the pattern, so "[ab" behaves like "[ab]".
//   - A trailing lone '\' matches a literal backslash.
//   - "[a-]" is a range from 'a' to ']' that keeps the bracket open.
//   - Range bounds compare bytes as signed chars, as Redis does on x86.
//   - With `nocase`, range bounds are lowered after being ordered, and escaped bytes inside
//     brackets still compare case-sensitively.
//   - A pattern with more than 1000 '*' groups that are followed by further pattern bytes
//     never matches (Redis's recursion limit).
// Runs in O(pattern * text) time in the worst case; no recursion.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace sluice
