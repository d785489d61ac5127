// DUMP / RESTORE payloads: Sluice's own format, shaped like Redis's so tools that treat payloads
// as opaque blobs keep working:
//
//   type byte | type-specific body | format version (2 bytes LE) | CRC-64 (8 bytes LE)
//
// The CRC (server/util/crc64.h) covers every byte before it. Strings are encoded here; every other
// type registers its own encoder and decoder with RegisterSerializer() from its family's Register
// function, so this file never needs to know a collection's internals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/types/object.h"

namespace sluice {

// Bumped whenever an existing type's body changes shape; payloads of another version are refused.
inline constexpr uint16_t kDumpFormatVersion = 1;

// Appends the primitive pieces a body is made of.
class PayloadWriter {
 public:
  explicit PayloadWriter(std::string* out) : out_(out) {}

  void PutByte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  // Unsigned LEB128: small lengths and counts take one byte.
  void PutVarint(uint64_t v);
  void PutFixed64(uint64_t v);
  // Length-prefixed bytes.
  void PutString(std::string_view s);
  // The IEEE-754 bit pattern, so every double (including infinities) survives exactly.
  void PutDouble(double d);

 private:
  std::string* out_;
};

// Reads a body back. Every read checks the bytes left, so a decoder built from these calls can
// never read past the end of a truncated or forged payload; a failed read returns false and
// leaves the reader failed for good.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view in) : in_(in) {}

  bool ReadByte(uint8_t* b);
  bool ReadVarint(uint64_t* v);
  bool ReadFixed64(uint64_t* v);
  // The view points into the payload; copy it before the payload goes away.
  bool ReadString(std::string_view* s);
  bool ReadDouble(double* d);
  // An element count for a collection whose elements take at least `min_bytes_each` bytes each;
  // refuses counts the remaining bytes cannot hold, so a forged count never drives a huge
  // allocation or a long loop.
  bool ReadCount(uint64_t* n, size_t min_bytes_each = 1);

  size_t remaining() const { return failed_ ? 0 : in_.size(); }
  bool at_end() const { return !failed_ && in_.empty(); }
  bool failed() const { return failed_; }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }

  std::string_view in_;
  bool failed_ = false;
};

// A type's encoder writes its body; its decoder rebuilds the value into *out (a fresh Object) and
// returns false on anything malformed. The decoder must consume exactly the body it was given:
// leftover bytes make the payload invalid.
using DumpFn = void (*)(const Object& obj, PayloadWriter& out);
using LoadFn = bool (*)(PayloadReader& in, Object* out);

struct Serializer {
  DumpFn dump = nullptr;
  LoadFn load = nullptr;
};

// Installs the codec for a type (replacing any earlier one). Called at start-up.
void RegisterSerializer(ObjType type, DumpFn dump, LoadFn load);
// The codec registered for a type; both members null when there is none.
Serializer GetSerializer(ObjType type);

// The payload for an object, or an empty string when its type has no registered codec (a valid
// payload is never empty).
std::string DumpObject(const Object& obj);

// True when the trailer is intact: known format version and a matching checksum. RESTORE tells
// this failure apart from a well-checksummed payload whose body does not decode.
bool VerifyDumpPayload(std::string_view payload);

// Rebuilds the value from a payload into *out (value only: no expiry, no access data). Returns
// false, leaving *out unspecified, for a payload that fails verification, names an unknown type or
// has a malformed body.
bool RestoreObject(std::string_view payload, Object* out);

}  // namespace sluice
