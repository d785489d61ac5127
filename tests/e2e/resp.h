// A small RESP2/RESP3 reply parser for tests.
//
// hiredis (0.14) only understands RESP2 and folds `$-1` and `*-1` into one NIL type, so tests
// that look at the wire format (RESP3 replies, null bulk vs. null array) use this parser. It
// keeps every reply's exact wire type and text, which is what the differential tests compare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::test::resp {

enum class Type {
  kStatus,     // +OK
  kError,      // -ERR ...
  kInteger,    // :1
  kBulk,       // $3 foo
  kNullBulk,   // $-1 (RESP2)
  kNullArray,  // *-1 (RESP2)
  kArray,      // *N
  kNull,       // _ (RESP3)
  kDouble,     // ,1.5
  kBool,       // #t / #f
  kBlobError,  // !N
  kVerbatim,   // =N txt:...
  kBigNum,     // (123...
  kMap,        // %N: elements hold keys and values interleaved
  kSet,        // ~N
  kPush,       // >N
};

// Human-readable name of a reply type ("status", "null-bulk", ...).
std::string_view TypeName(Type type);

struct Reply {
  Type type = Type::kNull;
  // Scalar replies: the text after the type byte (the payload for bulk-like types, the digits
  // for integers and big numbers, "t"/"f" for booleans, "txt:..." for verbatim strings).
  std::string str;
  // Aggregate replies: the elements (for maps, key, value, key, value, ...).
  std::vector<Reply> elems;
  // RESP3 attributes (`|N`) that preceded this reply, as key, value, ... pairs.
  std::vector<Reply> attributes;

  bool IsAggregate() const;
  bool IsError() const { return type == Type::kError || type == Type::kBlobError; }
  bool IsNull() const {
    return type == Type::kNull || type == Type::kNullBulk || type == Type::kNullArray;
  }
  // Integer value of an integer reply (0 if it is not one).
  int64_t integer() const;
  // For a RESP3 map: the value stored under a bulk/status key, or nullptr.
  const Reply* Find(std::string_view key) const;

  // Re-encodes the reply in its original wire format.
  std::string Encode() const;
  // Readable, possibly multi-line rendering in the spirit of redis-cli, with type tags, e.g.
  //   (array, 2 elements)
  //   1) "a"
  //   2) (integer) 3
  std::string ToString() const;
};

enum class ParseStatus { kOk, kIncomplete, kError };

// Parses one reply that starts at `*pos` in `buf`. On kOk, `*out` holds it and `*pos` points
// just past it; on kIncomplete more input is needed (nothing is consumed); on kError `*error`
// says what is wrong with the input.
ParseStatus Parse(std::string_view buf, size_t* pos, Reply* out, std::string* error);

// Encodes a command as a RESP multibulk request.
std::string EncodeCommand(const std::vector<std::string>& argv);

// Quotes a byte string the way redis-cli prints it: "a\x00b\n".
std::string Quote(std::string_view s);

}  // namespace sluice::test::resp
