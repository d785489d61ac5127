// Whether an EVAL script can only read KEYS and ARGV. Redis gives every call new KEYS and ARGV
// tables; for a script that cannot write to them, keep a reference to them, or hand them to
// code that might, refilling the same two tables is indistinguishable, and spares the call two
// tables of garbage (which, with little else allocated, is most of what the collector does).
#pragma once

#include <string_view>

namespace sluice::scripting {

// True when, read as Lua 5.1 tokens, every use of the globals KEYS and ARGV in `body` is an
// index read (`KEYS[i]`, not assigned to) or a length (`#KEYS`), and the script names nothing
// that reaches globals by a computed name (_G, getfenv, setfenv, load, loadstring, ...).
// Conservative: anything it cannot tell is false. A "#!" first line is left out.
bool ReadsArgsOnly(std::string_view body);

// True when every use of the global `redis` in `body` reads a field of it (`redis.call`,
// `redis[name]`) and nothing else: no assignment to it or to one of its fields, no local of that
// name, no method call, call or arithmetic on it, no passing it on. Such a script behaves the
// same, error texts included, when `redis` is a local holding the table behind the read-only
// proxy, since the proxy only refuses writes. Conservative, like ReadsArgsOnly.
bool ReadsRedisFieldsOnly(std::string_view body);

// `body` without its "#!" first line, newline kept so line numbers stay the same.
std::string_view WithoutShebangLine(std::string_view body);

}  // namespace sluice::scripting
