#include "server/persistence/manifest.h"

#include "server/util/numbers.h"

namespace sluice {
namespace {

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::string Line(const AofManifest::File& f, char type) {
  return "file " + f.name + " seq " + std::to_string(f.seq) + " type " + type + "\n";
}

}  // namespace

std::string AofBaseFileName(std::string_view prefix, int64_t seq) {
  return std::string(prefix) + "." + std::to_string(seq) + ".base.aof";
}

std::string AofIncrFileName(std::string_view prefix, int64_t seq) {
  return std::string(prefix) + "." + std::to_string(seq) + ".incr.aof";
}

std::string AofManifestFileName(std::string_view prefix) {
  return std::string(prefix) + ".manifest";
}

std::vector<std::string> AofManifest::Files() const {
  std::vector<std::string> files;
  if (base) files.push_back(base->name);
  for (const File& f : incrs) files.push_back(f.name);
  return files;
}

std::string AofManifest::Serialize() const {
  std::string out;
  if (base) out += Line(*base, 'b');
  for (const File& f : incrs) out += Line(f, 'i');
  return out;
}

bool AofManifest::Parse(std::string_view text, AofManifest* out, std::string* error) {
  *out = AofManifest{};
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> words = Words(line);
    if (words.empty() || words[0].starts_with("#")) continue;
    auto fail = [&](const std::string& why) {
      *error = "line " + std::to_string(line_no) + ": " + why;
      return false;
    };
    if (words.size() % 2 != 0) return fail("expected key/value pairs");
    File file;
    char type = 0;
    bool have_seq = false;
    for (size_t i = 0; i < words.size(); i += 2) {
      std::string_view key = words[i];
      std::string_view value = words[i + 1];
      if (key == "file") {
        if (value.find('/') != std::string_view::npos || value == "." || value == "..") {
          return fail("invalid file name");
        }
        file.name.assign(value);
      } else if (key == "seq") {
        if (!ParseInt64(value, &file.seq) || file.seq < 1) return fail("invalid seq");
        have_seq = true;
      } else if (key == "type") {
        if (value.size() != 1 || (value[0] != 'b' && value[0] != 'i' && value[0] != 'h')) {
          return fail("invalid type");
        }
        type = value[0];
      }
      // Other keys are left to newer writers of the format.
    }
    if (file.name.empty() || !have_seq || type == 0) return fail("incomplete file entry");
    if (type == 'h') continue;
    if (type == 'b') {
      if (out->base) return fail("more than one base file");
      out->base = std::move(file);
    } else {
      if (!out->incrs.empty() && file.seq <= out->incrs.back().seq) {
        return fail("incremental files out of order");
      }
      out->incrs.push_back(std::move(file));
    }
  }
  if (!out->base && out->incrs.empty()) {
    *error = "no files listed";
    return false;
  }
  return true;
}

}  // namespace sluice
