#include "server/core/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "server/protocol/resp_parser.h"
#include "server/pubsub/settings.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool Config::ParseMemory(std::string_view text, int64_t* out) {
  std::string lower = Lower(text);
  int64_t mul = 1;
  std::string_view digits = lower;
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"gb", 1024LL * 1024 * 1024},
      {"mb", 1024LL * 1024},
      {"kb", 1024},
      {"g", 1000000000},
      {"m", 1000000},
      {"k", 1000},
      {"b", 1},
  };
  for (const auto& [suffix, factor] : kUnits) {
    if (digits.size() > suffix.size() && digits.ends_with(suffix)) {
      digits.remove_suffix(suffix.size());
      mul = factor;
      break;
    }
  }
  int64_t value = 0;
  if (!ParseInt64(digits, &value) || value < 0) return false;
  if (value > INT64_MAX / mul) return false;
  *out = value * mul;
  return true;
}

void Config::Add(Param param) {
  ParseInt64(param.value, &param.int_value);
  std::string name = param.name;
  params_.emplace(std::move(name), std::move(param));
}

Config::Config() {
  using K = Kind;
  auto str = [&](std::string name, std::string value, bool immutable = false) {
    Add(Param{std::move(name),
              K::kString,
              std::move(value),
              {},
              INT64_MIN,
              INT64_MAX,
              immutable,
              {},
              {}});
  };
  auto num = [&](std::string name, int64_t value, int64_t min, int64_t max,
                 bool immutable = false) {
    Add(Param{
        std::move(name), K::kInteger, std::to_string(value), {}, min, max, immutable, {}, {}});
  };
  auto mem = [&](std::string name, int64_t value) {
    Add(Param{std::move(name), K::kMemory, std::to_string(value), {}, 0, INT64_MAX, false, {}, {}});
  };
  auto flag = [&](std::string name, bool value, bool immutable = false) {
    Add(Param{std::move(name), K::kBool, value ? "yes" : "no", {}, 0, 1, immutable, {}, {}});
  };
  auto choice = [&](std::string name, std::string value, std::vector<std::string> choices) {
    Add(Param{
        std::move(name), K::kEnum, std::move(value), std::move(choices), 0, 0, false, {}, {}});
  };
  auto alias = [&](std::string name, std::string target) {
    Param p;
    p.name = std::move(name);
    p.kind = K::kString;
    p.alias_of = std::move(target);
    Add(std::move(p));
  };

  // Network and process.
  num("port", 6379, 0, 65535);
  Add(Param{"bind", K::kList, "127.0.0.1", {}, 0, 0, false, {}, {}});
  num("tcp-backlog", 511, 0, INT32_MAX, true);
  num("tcp-keepalive", 300, 0, INT32_MAX);
  num("timeout", 0, 0, INT32_MAX);
  num("maxclients", 10000, 1, INT32_MAX);
  num("databases", 16, 1, INT32_MAX, true);
  str("dir", "./data");
  choice("loglevel", "notice", {"debug", "verbose", "notice", "warning", "nothing"});
  str("logfile", "", true);
  str("pidfile", "", true);
  flag("daemonize", false, true);
  choice("supervised", "no", {"upstart", "systemd", "auto", "no"});
  flag("protected-mode", true);
  str("requirepass", "");
  num("hz", 10, 1, 500);
  flag("dynamic-hz", true);
  num("active-expire-effort", 1, 1, 10);
  num("io-threads", 1, 1, 128, true);

  // Protocol and client limits.
  mem("proto-max-bulk-len", 512LL * 1024 * 1024);
  // Below 1mb a client could lock itself out of ever raising it again, as Redis reasons too.
  params_["proto-max-bulk-len"].min = 1024 * 1024;
  mem("client-query-buffer-limit", 1024LL * 1024 * 1024);
  Add(Param{"client-output-buffer-limit",
            K::kList,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
            {},
            0,
            0,
            false,
            {},
            {}});
  num("busy-reply-threshold", 5000, 0, INT64_MAX);
  alias("lua-time-limit", "busy-reply-threshold");
  num("slowlog-log-slower-than", 10000, -1, INT64_MAX);
  num("slowlog-max-len", 128, 0, INT64_MAX);
  num("latency-monitor-threshold", 0, 0, INT64_MAX);
  str("notify-keyspace-events", "");
  params_["notify-keyspace-events"].normalize = NormalizeNotifyKeyspaceEvents;
  params_["client-output-buffer-limit"].normalize = NormalizeOutputBufferLimits;

  // Memory.
  mem("maxmemory", 0);
  choice("maxmemory-policy", "noeviction",
         {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
          "allkeys-lfu", "allkeys-random", "noeviction"});
  num("maxmemory-samples", 5, 1, 64);
  num("lfu-log-factor", 10, 0, INT32_MAX);
  num("lfu-decay-time", 1, 0, INT32_MAX);
  flag("lazyfree-lazy-eviction", false);
  flag("lazyfree-lazy-expire", false);
  flag("lazyfree-lazy-server-del", false);
  flag("lazyfree-lazy-user-del", false);
  flag("lazyfree-lazy-user-flush", false);
  flag("activerehashing", true);

  // Encodings: accepted and reported so tools that tune them work; applied where Sluice has
  // the same concept.
  num("list-max-listpack-size", -2, -5, INT32_MAX);
  alias("list-max-ziplist-size", "list-max-listpack-size");
  num("list-compress-depth", 0, 0, INT32_MAX);
  // 512 is redis-server 7.0's built-in default; the sample redis.conf it ships sets 128.
  num("hash-max-listpack-entries", 512, 0, INT64_MAX);
  alias("hash-max-ziplist-entries", "hash-max-listpack-entries");
  num("hash-max-listpack-value", 64, 0, INT64_MAX);
  alias("hash-max-ziplist-value", "hash-max-listpack-value");
  num("set-max-intset-entries", 512, 0, INT64_MAX);
  num("zset-max-listpack-entries", 128, 0, INT64_MAX);
  alias("zset-max-ziplist-entries", "zset-max-listpack-entries");
  num("zset-max-listpack-value", 64, 0, INT64_MAX);
  alias("zset-max-ziplist-value", "zset-max-listpack-value");
  mem("stream-node-max-bytes", 4096);
  num("stream-node-max-entries", 100, 0, INT64_MAX);

  // Persistence.
  flag("appendonly", true);
  choice("appendfsync", "everysec", {"always", "everysec", "no"});
  // Not in Redis: under `always`, an idle loop fsyncs the log itself instead of handing the
  // fsync to the fsync thread (see Aof::SyncInline).
  flag("aof-inline-fsync-when-idle", true);
  // Not in Redis: under `always`, how long (microseconds) the fsync may be put off while the loop
  // serves requests that are waiting, so that it covers their records too (Aof::SyncInline).
  num("aof-fsync-defer-max-us", 200, 0, 1000000);
  // Not in Redis: an inline fsync slower than this (microseconds) means a slow disk, and the loop
  // leaves fsyncs to the thread for a second (Aof::SyncInline).
  num("aof-inline-fsync-max-us", 2000, 1, 10000000);
  str("appendfilename", "appendonly.aof", true);
  str("appenddirname", "appendonlydir", true);
  num("auto-aof-rewrite-percentage", 100, 0, INT32_MAX);
  mem("auto-aof-rewrite-min-size", 64LL * 1024 * 1024);
  flag("aof-load-truncated", true);
  flag("aof-use-rdb-preamble", false);
  flag("no-appendfsync-on-rewrite", false);
  // Test aids Redis has too: microseconds slept per key written by a rewrite, and per command
  // replayed while loading, so tests can observe a rewrite or a load in progress.
  num("rdb-key-save-delay", 0, INT32_MIN, INT32_MAX);
  num("key-load-delay", 0, INT32_MIN, INT32_MAX);
  str("save", "");
  str("dbfilename", "dump.rdb");

  // Replication is not supported; the parameters clients read are reported.
  flag("replica-read-only", true);
  alias("slave-read-only", "replica-read-only");
  str("masterauth", "");
}

Config::Param* Config::Lookup(std::string_view name) {
  // Callers in the server name parameters in lower case; only user input needs folding.
  auto it = params_.find(name);
  if (it == params_.end()) it = params_.find(Lower(name));
  if (it == params_.end()) return nullptr;
  if (!it->second.alias_of.empty()) return Lookup(it->second.alias_of);
  return &it->second;
}

const Config::Param* Config::Lookup(std::string_view name) const {
  return const_cast<Config*>(this)->Lookup(name);
}

bool Config::Exists(std::string_view name) const { return Lookup(name) != nullptr; }

bool Config::IsMutable(std::string_view name) const {
  const Param* p = Lookup(name);
  return p != nullptr && !p->immutable;
}

const std::string& Config::Get(std::string_view name) const {
  static const std::string kEmpty;
  const Param* p = Lookup(name);
  return p ? p->value : kEmpty;
}

int64_t Config::GetInt(std::string_view name) const {
  const Param* p = Lookup(name);
  return p ? p->int_value : 0;
}

bool Config::Normalize(Param& p, const std::vector<std::string>& words, std::string* out,
                       std::string* error) const {
  if (p.normalize) return p.normalize(p.value, words, out, error);
  if (p.kind != Kind::kList && p.kind != Kind::kString && words.size() != 1) {
    *error = "wrong number of arguments";
    return false;
  }
  switch (p.kind) {
    case Kind::kString: {
      std::string joined;
      for (const auto& w : words) {
        if (!joined.empty()) joined += ' ';
        joined += w;
      }
      *out = joined;
      return true;
    }
    case Kind::kList: {
      std::string joined;
      for (const auto& w : words) {
        std::istringstream parts(w);
        std::string part;
        while (parts >> part) {
          if (!joined.empty()) joined += ' ';
          joined += part;
        }
      }
      *out = joined;
      return true;
    }
    case Kind::kInteger: {
      int64_t v;
      if (!ParseInt64(words[0], &v)) {
        *error = "argument couldn't be parsed into an integer";
        return false;
      }
      if (v < p.min || v > p.max) {
        *error = "argument must be between " + std::to_string(p.min) + " and " +
                 std::to_string(p.max) + " inclusive";
        return false;
      }
      *out = std::to_string(v);
      return true;
    }
    case Kind::kMemory: {
      int64_t v;
      if (!ParseMemory(words[0], &v)) {
        *error = "argument must be a memory value";
        return false;
      }
      if (v < p.min) {
        *error = "argument must be a memory value of at least " + std::to_string(p.min) + " bytes";
        return false;
      }
      *out = std::to_string(v);
      return true;
    }
    case Kind::kBool: {
      std::string v = Lower(words[0]);
      if (v != "yes" && v != "no") {
        *error = "argument must be 'yes' or 'no'";
        return false;
      }
      *out = v;
      return true;
    }
    case Kind::kEnum: {
      std::string v = Lower(words[0]);
      if (std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end()) {
        *error = "argument(s) must be one of the following: ";
        for (size_t i = 0; i < p.choices.size(); ++i) {
          if (i) *error += ", ";
          *error += p.choices[i];
        }
        return false;
      }
      *out = v;
      return true;
    }
  }
  return false;
}

bool Config::Set(std::string_view name, const std::vector<std::string>& words, bool at_startup,
                 std::string* error) {
  Param* p = Lookup(name);
  if (p == nullptr) {
    *error = "Unknown option or number of arguments for CONFIG SET - '" + std::string(name) + "'";
    return false;
  }
  if (p->immutable && !at_startup) {
    *error = "CONFIG SET failed (possibly related to argument '" + std::string(name) +
             "') - can't set immutable config";
    return false;
  }
  std::string value;
  std::string why;
  if (!Normalize(*p, words, &value, &why)) {
    *error =
        "CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " + why;
    return false;
  }
  p->value = std::move(value);
  p->int_value = 0;
  ParseInt64(p->value, &p->int_value);
  for (auto& cb : p->on_change) cb(*p);
  return true;
}

bool Config::LoadFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "can't open config file '" + path + "'";
    return false;
  }
  // Kept absolute: the server changes into `dir` after loading, and CONFIG REWRITE must write
  // the file that was read.
  char* absolute = realpath(path.c_str(), nullptr);
  config_file_ = absolute != nullptr ? absolute : path;
  free(absolute);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::vector<std::string_view> args;
    std::string buf = line;
    if (!SplitInlineArgs(buf.data(), buf.size(), &args)) {
      *error = path + ":" + std::to_string(lineno) + ": unbalanced quotes";
      return false;
    }
    if (args.empty() || args[0].starts_with("#")) continue;
    std::vector<std::string> words(args.begin() + 1, args.end());
    if (words.empty()) words.emplace_back();
    std::string why;
    if (!Exists(args[0])) {
      *error = path + ":" + std::to_string(lineno) + ": unknown directive '" +
               std::string(args[0]) + "'";
      return false;
    }
    if (!Set(args[0], words, true, &why)) {
      *error = path + ":" + std::to_string(lineno) + ": " + why;
      return false;
    }
  }
  return true;
}

bool Config::Rewrite(std::string* error) const {
  if (config_file_.empty()) {
    *error = "ERR The server is running without a config file";
    return false;
  }
  Config defaults;
  std::ostringstream out;
  for (const auto& [name, p] : params_) {
    if (!p.alias_of.empty()) continue;
    if (defaults.Get(name) == p.value && name != "port" && name != "dir") continue;
    out << name << ' ';
    if (p.value.empty() || p.value.find(' ') != std::string::npos) {
      if (p.kind == Kind::kList) {
        out << p.value;
      } else {
        out << '"' << p.value << '"';
      }
    } else {
      out << p.value;
    }
    out << '\n';
  }
  std::string tmp = config_file_ + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) {
      *error = "ERR Rewriting config file: can't open " + tmp;
      return false;
    }
    f << "# Written by CONFIG REWRITE\n" << out.str();
  }
  if (std::rename(tmp.c_str(), config_file_.c_str()) != 0) {
    *error = "ERR Rewriting config file: rename failed";
    return false;
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> Config::Match(std::string_view pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, p] : params_) {
    if (!GlobMatch(pattern, name, true)) continue;
    const Param* target = Lookup(name);
    out.emplace_back(name, target->value);
  }
  return out;
}

void Config::OnChange(std::string_view name, std::function<void(const Param&)> callback) {
  Param* p = Lookup(name);
  if (p == nullptr) return;
  callback(*p);
  p->on_change.push_back(std::move(callback));
}

}  // namespace sluice
