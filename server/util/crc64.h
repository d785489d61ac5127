// CRC-64/Jones, the checksum Redis appends to DUMP payloads and RDB files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

// Extends `crc` over `len` bytes at `data`. Start with 0; chaining calls over consecutive
// pieces gives the same result as one call over the whole buffer. Parameters: polynomial
// 0xad93d23594c935a9, reflected input and output, init 0, no final xor
// (Crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca).
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

}  // namespace sluice
