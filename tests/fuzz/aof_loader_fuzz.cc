// Feeds arbitrary bytes to the log reader the loader uses, delivered in fuzzer-chosen chunk
// sizes, and checks what loading relies on: offsets stay inside the file, the reported cut
// point is a clean end (re-reading the file up to it gives the same units and ends cleanly),
// and the chunking never changes the outcome. The manifest parser gets the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/persistence/aof_reader.h"
#include "server/persistence/manifest.h"

namespace {

struct Outcome {
  std::vector<std::vector<std::string>> units;
  sluice::AofReader::Status end;
  uint64_t good_offset;
  uint64_t bad_offset;
};

Outcome ReadAll(std::string_view data, size_t chunk) {
  sluice::AofReader reader;
  reader.OpenMemory(data, chunk);
  Outcome out;
  while (true) {
    sluice::AofReader::Status st = reader.Next();
    if (st != sluice::AofReader::Status::kUnit) {
      out.end = st;
      break;
    }
    std::vector<std::string> unit;
    for (size_t i = 0; i < reader.unit_size(); ++i) {
      std::string command;
      for (std::string_view arg : reader.command(i)) {
        command += std::to_string(arg.size());
        command += ':';
        command.append(arg);
      }
      unit.push_back(std::move(command));
    }
    out.units.push_back(std::move(unit));
    if (reader.good_offset() > data.size()) abort();
  }
  out.good_offset = reader.good_offset();
  out.bad_offset = reader.bad_offset();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + bytes[0] % 64;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  Outcome a = ReadAll(data, chunk);
  if (a.good_offset > data.size()) abort();
  switch (a.end) {
    case sluice::AofReader::Status::kEnd:
      if (a.good_offset != data.size()) abort();
      break;
    case sluice::AofReader::Status::kTruncated:
      if (a.good_offset >= data.size() || a.bad_offset != data.size()) abort();
      break;
    case sluice::AofReader::Status::kCorrupt:
      if (a.bad_offset < a.good_offset || a.bad_offset >= data.size()) abort();
      break;
    default:
      abort();
  }
  // The chunking is invisible.
  Outcome b = ReadAll(data, 4096);
  if (b.end != a.end || b.units != a.units || b.good_offset != a.good_offset ||
      b.bad_offset != a.bad_offset) {
    abort();
  }
  // Cutting at the reported offset (what --fix and aof-load-truncated do) leaves a file that
  // reads cleanly to the same units.
  Outcome cut = ReadAll(data.substr(0, a.good_offset), chunk);
  if (cut.end != sluice::AofReader::Status::kEnd || cut.units != a.units) abort();

  sluice::AofManifest manifest;
  std::string error;
  if (sluice::AofManifest::Parse(data, &manifest, &error)) {
    sluice::AofManifest again;
    if (!sluice::AofManifest::Parse(manifest.Serialize(), &again, &error)) abort();
    if (again.Files() != manifest.Files()) abort();
  }
  return 0;
}
