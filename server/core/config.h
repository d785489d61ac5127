// Server configuration: one table of parameters with Redis's names, defaults and validation,
// read from a redis.conf-style file and the command line, changed by CONFIG SET. Components
// that need a value on the hot path register a callback and cache it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

class Config {
 public:
  enum class Kind { kString, kInteger, kMemory, kBool, kEnum, kList };

  struct Param {
    std::string name;
    Kind kind;
    std::string value;
    std::vector<std::string> choices;  // kEnum
    int64_t min = INT64_MIN;
    int64_t max = INT64_MAX;
    bool immutable = false;  // only at start-up
    std::string alias_of;    // old names (list-max-ziplist-size) point at the current one
    std::vector<std::function<void(const Param&)>> on_change;
    // Parameters with a syntax of their own (notify-keyspace-events, client-output-buffer-limit)
    // validate and canonicalize here: (current value, words given, stored value, error).
    std::function<bool(const std::string&, const std::vector<std::string>&, std::string*,
                       std::string*)>
        normalize;
    // value parsed as an integer (0 if it is not one), kept so hot paths can read numeric
    // parameters without parsing text on every command.
    int64_t int_value = 0;
  };

  Config();

  // Applies one directive (name plus its words), as from a config file line or --name value.
  bool Set(std::string_view name, const std::vector<std::string>& words, bool at_startup,
           std::string* error);
  bool Set(std::string_view name, std::string_view value, bool at_startup, std::string* error) {
    return Set(name, std::vector<std::string>{std::string(value)}, at_startup, error);
  }
  // Parses a redis.conf-style file; unknown directives are errors naming the line.
  bool LoadFile(const std::string& path, std::string* error);
  // Writes the current non-default values back into the file it was loaded from.
  bool Rewrite(std::string* error) const;

  const std::string& Get(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  bool GetBool(std::string_view name) const { return Get(name) == "yes"; }
  // Parameters whose names match a glob pattern, canonical names only, sorted.
  std::vector<std::pair<std::string, std::string>> Match(std::string_view pattern) const;
  void OnChange(std::string_view name, std::function<void(const Param&)> callback);
  bool Exists(std::string_view name) const;
  // False for parameters only settable at start-up (CONFIG SET refuses them).
  bool IsMutable(std::string_view name) const;

  const std::string& config_file() const { return config_file_; }

  // Parses "1gb", "64mb", "100" (Redis's memtoull). Returns false if malformed.
  static bool ParseMemory(std::string_view text, int64_t* out);

 private:
  Param* Lookup(std::string_view name);
  const Param* Lookup(std::string_view name) const;
  void Add(Param param);
  bool Normalize(Param& param, const std::vector<std::string>& words, std::string* out,
                 std::string* error) const;

  std::map<std::string, Param, std::less<>> params_;
  std::string config_file_;
};

}  // namespace sluice
