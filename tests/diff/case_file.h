// Parsing of differential test case files (the format is described in tests/diff/README.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::test::diff {

// Splits a line into arguments the way redis-cli does: whitespace separates arguments;
// "double quotes" understand \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' only \'.
// A closing quote must be followed by whitespace or the end of the line. Returns false on
// unbalanced quotes.
bool SplitArgs(std::string_view line, std::vector<std::string>* args);

// One step of a case file.
struct Step {
  enum class Kind {
    kCommand,   // send argv, then (unless async) read and compare one reply
    kRead,      // @read: read and compare one more reply on the current connection
    kProtocol,  // @resp2 / @resp3: send HELLO 2/3 (argv) and compare the replies
    kConn,      // @conn NAME: switch to (or open) connection `name`
    kClose,     // @close: close the current connection, back to "default"
    kSleep,     // @sleep MS
  };

  Kind kind = Kind::kCommand;
  int line = 0;      // 1-based line number in the file
  std::string text;  // the line as written
  std::vector<std::string> argv;
  std::string name;  // kConn
  int sleep_ms = 0;  // kSleep

  // Modifiers, set by the directives on the lines before a command or @read.
  bool ignore_value = false;  // @ignore-value: compare only the reply type
  bool sort = false;          // @sort: compare the top-level elements as a multiset
  bool error_prefix = false;  // @error-prefix: compare only the first word of errors
  bool async = false;         // @async: send now, read the reply later with @read
  // @since VERSION: Redis changed this reply in VERSION and Sluice follows the newer one; the
  // replies are compared only when the reference server is at least that version.
  std::string since;
};

// Compares dotted version numbers ("7.0.15" < "7.4"); missing parts count as 0.
int CompareVersions(std::string_view a, std::string_view b);

// Parses a case file. On error returns false and sets `error` to "line N: what".
bool ParseCaseFile(std::string_view content, std::vector<Step>* steps, std::string* error);

}  // namespace sluice::test::diff
