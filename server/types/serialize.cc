#include "server/types/serialize.h"

#include <array>
#include <cstring>

#include "server/util/crc64.h"

namespace sluice {
namespace {

// The type byte is the ObjType's value, so the enum's values are part of the payload format:
// reordering it would make old payloads restore as the wrong type.
static_assert(static_cast<uint8_t>(ObjType::kString) == 0 &&
                  static_cast<uint8_t>(ObjType::kList) == 1 &&
                  static_cast<uint8_t>(ObjType::kHash) == 2 &&
                  static_cast<uint8_t>(ObjType::kSet) == 3 &&
                  static_cast<uint8_t>(ObjType::kZSet) == 4 &&
                  static_cast<uint8_t>(ObjType::kStream) == 5 &&
                  static_cast<uint8_t>(ObjType::kQueue) == 6,
              "ObjType values are stored in DUMP payloads");

constexpr size_t kMaxTypes = 32;
constexpr size_t kTrailerSize = 2 + 8;

void DumpString(const Object& obj, PayloadWriter& out) { out.PutString(obj.str()); }

bool LoadString(PayloadReader& in, Object* out) {
  std::string_view s;
  if (!in.ReadString(&s)) return false;
  out->SetString(s);
  return true;
}

std::array<Serializer, kMaxTypes>& Table() {
  // Strings live inline in Object rather than in a type file of their own, so their codec is
  // built in.
  static std::array<Serializer, kMaxTypes> table = [] {
    std::array<Serializer, kMaxTypes> t{};
    t[static_cast<size_t>(ObjType::kString)] = {DumpString, LoadString};
    return t;
  }();
  return table;
}

uint64_t LoadLe(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void StoreLe(std::string* out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void PayloadWriter::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    PutByte(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  PutByte(static_cast<uint8_t>(v));
}

void PayloadWriter::PutFixed64(uint64_t v) { StoreLe(out_, v, 8); }

void PayloadWriter::PutString(std::string_view s) {
  PutVarint(s.size());
  out_->append(s);
}

void PayloadWriter::PutDouble(double d) {
  uint64_t bits;
  static_assert(sizeof(bits) == sizeof(d));
  std::memcpy(&bits, &d, sizeof(bits));
  PutFixed64(bits);
}

bool PayloadReader::ReadByte(uint8_t* b) {
  if (failed_ || in_.empty()) return Fail();
  *b = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool PayloadReader::ReadVarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b;
    if (!ReadByte(&b)) return false;
    uint64_t bits = b & 0x7f;
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && bits > 1) return Fail();
    result |= bits << shift;
    if ((b & 0x80) == 0) {
      // One spelling per value: a trailing zero group is an overlong encoding.
      if (b == 0 && shift != 0) return Fail();
      *v = result;
      return true;
    }
  }
  return Fail();
}

bool PayloadReader::ReadFixed64(uint64_t* v) {
  if (failed_ || in_.size() < 8) return Fail();
  *v = LoadLe(in_.data(), 8);
  in_.remove_prefix(8);
  return true;
}

bool PayloadReader::ReadString(std::string_view* s) {
  uint64_t len;
  if (!ReadVarint(&len)) return false;
  if (len > in_.size()) return Fail();
  *s = in_.substr(0, static_cast<size_t>(len));
  in_.remove_prefix(static_cast<size_t>(len));
  return true;
}

bool PayloadReader::ReadDouble(double* d) {
  uint64_t bits;
  if (!ReadFixed64(&bits)) return false;
  std::memcpy(d, &bits, sizeof(bits));
  return true;
}

bool PayloadReader::ReadCount(uint64_t* n, size_t min_bytes_each) {
  if (!ReadVarint(n)) return false;
  if (min_bytes_each == 0) min_bytes_each = 1;
  if (*n > in_.size() / min_bytes_each) return Fail();
  return true;
}

void RegisterSerializer(ObjType type, DumpFn dump, LoadFn load) {
  Table()[static_cast<size_t>(type)] = Serializer{dump, load};
}

Serializer GetSerializer(ObjType type) { return Table()[static_cast<size_t>(type)]; }

std::string DumpObject(const Object& obj) {
  Serializer codec = GetSerializer(obj.type());
  if (codec.dump == nullptr) return {};
  std::string payload;
  PayloadWriter writer(&payload);
  writer.PutByte(static_cast<uint8_t>(obj.type()));
  codec.dump(obj, writer);
  StoreLe(&payload, kDumpFormatVersion, 2);
  StoreLe(&payload, Crc64(0, payload.data(), payload.size()), 8);
  return payload;
}

bool VerifyDumpPayload(std::string_view payload) {
  if (payload.size() < kTrailerSize + 1) return false;
  const char* trailer = payload.data() + payload.size() - kTrailerSize;
  if (LoadLe(trailer, 2) != kDumpFormatVersion) return false;
  uint64_t crc = Crc64(0, payload.data(), payload.size() - 8);
  return crc == LoadLe(trailer + 2, 8);
}

bool RestoreObject(std::string_view payload, Object* out) {
  if (!VerifyDumpPayload(payload)) return false;
  PayloadReader reader(payload.substr(0, payload.size() - kTrailerSize));
  uint8_t type;
  if (!reader.ReadByte(&type) || type >= kMaxTypes) return false;
  LoadFn load = Table()[type].load;
  if (load == nullptr) return false;
  *out = Object();
  if (!load(reader, out) || !reader.at_end()) return false;
  return out->type() == static_cast<ObjType>(type);
}

}  // namespace sluice
