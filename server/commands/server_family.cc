// Server commands: COMMAND (introspection of the command table), INFO, CONFIG, TIME, LASTSAVE,
// SHUTDOWN, DEBUG, MEMORY and SLOWLOG. The per-server state they keep (run id, throughput
// samples, memory peak, slow log) lives in a ServerFamilyState created at start-up.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/commands/arg_parser.h"
#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/log.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/core/version.h"
#include "server/persistence/aof.h"
#include "server/protocol/errors.h"
#include "server/pubsub/pubsub.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"
#include "server/util/random.h"
#include "server/util/sanitizer.h"

#ifdef SLUICE_ASAN
// From the sanitizer runtime (GCC ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace sluice {
namespace {

// ---------------------------------------------------------------------------------------------
// Per-server state

struct SlowlogEntry {
  uint64_t id;
  int64_t time_sec;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string peer;
  std::string name;
};

constexpr int64_t kSampleIntervalMs = 100;
// The peak memory figure comes from mallinfo2(), whose cost grows with the number of free chunks
// glibc holds (it walks every free list): after a large set or list has been popped empty that is
// hundreds of thousands of chunks and several milliseconds per call. The peak is therefore sampled
// no more often than every kSampleIntervalMs, and never more than 1/kPeakSampleCostShare of the
// time goes into sampling it.
constexpr int64_t kPeakSampleCostShare = 100;
constexpr size_t kSamples = 16;
// Redis keeps at most this many arguments, each cut to this many bytes, per slow log entry.
constexpr size_t kSlowlogMaxArgs = 32;
constexpr size_t kSlowlogMaxArgLen = 128;

struct ServerFamilyState {
  std::string run_id;
  std::string replid;
  size_t startup_memory = 0;
  size_t peak_memory = 0;

  // Throughput samples, taken every kSampleIntervalMs: commands, input and output bytes per
  // second. The INFO figures are the averages over the ring.
  struct Meter {
    std::array<double, kSamples> samples{};
    size_t next = 0;
    uint64_t last_value = 0;
    void Add(uint64_t value, int64_t elapsed_ms) {
      uint64_t delta = value >= last_value ? value - last_value : 0;
      samples[next] = static_cast<double>(delta) * 1000.0 / static_cast<double>(elapsed_ms);
      next = (next + 1) % kSamples;
      last_value = value;
    }
    double Average() const {
      double sum = 0;
      for (double s : samples) sum += s;
      return sum / kSamples;
    }
    void Reset(uint64_t value) {
      samples.fill(0);
      last_value = value;
    }
  };
  Meter ops;
  Meter net_in;
  Meter net_out;
  int64_t last_sample_ms = 0;
  // When the peak memory is next sampled (see kPeakSampleCostShare).
  int64_t next_peak_sample_ms = 0;

  std::deque<SlowlogEntry> slowlog;
  uint64_t next_slowlog_id = 0;
  int64_t slowlog_slower_than = 10000;
  size_t slowlog_max_len = 128;
};

// States by server. A state is replaced when a new server starts at the same address, so an
// entry never outlives its use.
std::unordered_map<const Server*, std::shared_ptr<ServerFamilyState>>& States() {
  static auto* states = new std::unordered_map<const Server*, std::shared_ptr<ServerFamilyState>>;
  return *states;
}

ServerFamilyState& StateOf(const Server& server) { return *States().at(&server); }

size_t RssMemory() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t UsedMemory() {
#ifdef SLUICE_ASAN
  // The sanitizer's allocator counts what is allocated exactly; the resident size would also
  // count its quarantine of freed blocks, which grows and shrinks on its own.
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 info = mallinfo2();
  size_t used = info.uordblks + info.hblkhd;
  // An allocator that replaces glibc's (preloaded ones) leaves mallinfo2 empty; the resident
  // size is then the closest figure left.
  return used > 0 ? used : RssMemory();
#endif
}

size_t TotalSystemMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page_size)
                                    : 0;
}

std::string RandomHex(size_t length) {
  std::random_device device;
  Random random((static_cast<uint64_t>(device()) << 32) ^ device());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(kHex[random.Uniform(16)]);
  return out;
}

// Whether writes must be refused for lack of memory (Server::over_maxmemory). Measuring is not
// free (mallinfo2 walks the allocator's free lists), so it happens with the peak-memory sample
// and when maxmemory changes, not per command.
void CheckMaxmemory(Server& server, size_t used) {
  int64_t maxmemory = server.config().GetInt("maxmemory");
  server.set_over_maxmemory(maxmemory > 0 && used > static_cast<size_t>(maxmemory));
}

void TakeSamples(Server& server, ServerFamilyState& state) {
  int64_t now = server.now_ms();
  int64_t elapsed = now - state.last_sample_ms;
  if (elapsed < 0) {
    // The clock went back (tests set their own): start measuring again from here.
    state.last_sample_ms = now;
    state.next_peak_sample_ms = now;
    return;
  }
  if (elapsed < kSampleIntervalMs) return;
  const ServerStats& stats = server.stats();
  state.ops.Add(stats.total_commands_processed, elapsed);
  state.net_in.Add(stats.total_net_input_bytes, elapsed);
  state.net_out.Add(stats.total_net_output_bytes, elapsed);
  state.last_sample_ms = now;
  if (now < state.next_peak_sample_ms) return;
  auto start = std::chrono::steady_clock::now();
  size_t used = UsedMemory();
  state.peak_memory = std::max(state.peak_memory, used);
  CheckMaxmemory(server, used);
  auto cost_us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  state.next_peak_sample_ms =
      now + std::max<int64_t>(kSampleIntervalMs, cost_us * kPeakSampleCostShare / 1000);
}

void RecordSlowCommand(ServerFamilyState& state, const CommandContext& ctx, int64_t duration_us) {
  if (state.slowlog_slower_than < 0 || duration_us < state.slowlog_slower_than) return;
  if (ctx.spec.flags & kCmdSkipSlowlog) return;
  if (state.slowlog_max_len == 0) return;
  SlowlogEntry entry;
  entry.id = state.next_slowlog_id++;
  entry.time_sec = ctx.server.now_ms() / 1000;
  entry.duration_us = duration_us;
  size_t kept = std::min(ctx.argc(), kSlowlogMaxArgs);
  for (size_t i = 0; i < kept; ++i) {
    if (kept < ctx.argc() && i == kept - 1) {
      entry.args.push_back("... (" + std::to_string(ctx.argc() - kept + 1) + " more arguments)");
      break;
    }
    std::string_view arg = ctx.arg(i);
    if (arg.size() > kSlowlogMaxArgLen) {
      entry.args.push_back(std::string(arg.substr(0, kSlowlogMaxArgLen)) + "... (" +
                           std::to_string(arg.size() - kSlowlogMaxArgLen) + " more bytes)");
    } else {
      entry.args.emplace_back(arg);
    }
  }
  if (ctx.session.connection() != nullptr) entry.peer = ctx.session.connection()->peer();
  entry.name = ctx.session.name();
  state.slowlog.push_front(std::move(entry));
  while (state.slowlog.size() > state.slowlog_max_len) state.slowlog.pop_back();
}

void StartServerFamily(Server& server) {
  auto state = std::make_shared<ServerFamilyState>();
  States()[&server] = state;
  state->run_id = RandomHex(40);
  state->replid = RandomHex(40);
  state->startup_memory = UsedMemory();
  state->peak_memory = state->startup_memory;
  state->last_sample_ms = server.now_ms();
  server.AddBeforeSleepHook([&server, state] { TakeSamples(server, *state); });
  server.commands().AddCallObserver([state](const CommandContext& ctx, int64_t duration_us) {
    RecordSlowCommand(*state, ctx, duration_us);
  });
  // A new limit applies from the next command on; without one there is nothing to measure.
  server.config().OnChange("maxmemory", [&server](const Config::Param&) {
    CheckMaxmemory(server, server.config().GetInt("maxmemory") > 0 ? UsedMemory() : 0);
  });
  server.config().OnChange("slowlog-log-slower-than", [state](const Config::Param& p) {
    state->slowlog_slower_than = std::stoll(p.value);
  });
  server.config().OnChange("slowlog-max-len", [state](const Config::Param& p) {
    state->slowlog_max_len = static_cast<size_t>(std::stoll(p.value));
    while (state->slowlog.size() > state->slowlog_max_len) state->slowlog.pop_back();
  });
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view line : lines) ctx.reply.SimpleString(line);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

// "get", "config|get" (any case) to its spec, or nullptr.
const CommandSpec* FindByFullName(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return table.Find(name);
  const CommandSpec* container = table.Find(name.substr(0, bar));
  if (container == nullptr) return nullptr;
  return CommandTable::FindSubcommand(*container, name.substr(bar + 1));
}

// Redis's human-readable byte counts: 1023B, 1.50K, 2.00M ...
std::string HumanBytes(size_t bytes) {
  static constexpr const char* kUnits[] = {"K", "M", "G", "T", "P", "E"};
  if (bytes < 1024) return std::to_string(bytes) + "B";
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f%s", value, kUnits[unit]);
  return buf;
}

std::string FormatFixed(double value, int decimals) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// COMMAND

void ForEachCommand(const CommandTable& table, bool with_subcommands,
                    const std::function<void(const CommandSpec&)>& visit) {
  for (const auto& spec : table.all()) {
    visit(*spec);
    if (!with_subcommands) continue;
    for (const CommandSpec& sub : spec->subcommands) visit(sub);
  }
}

// COMMAND
void CmdCommand(CommandContext& ctx) {
  const auto& all = ctx.server.commands().all();
  ctx.reply.ArrayHeader(all.size());
  for (const auto& spec : all) ReplyCommandInfo(ctx.reply, *spec);
}

// COMMAND COUNT
void CmdCommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.commands().all().size()));
}

// COMMAND INFO [command-name [command-name ...]]
void CmdCommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    CmdCommand(ctx);
    return;
  }
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const CommandSpec* spec = FindByFullName(ctx.server.commands(), ctx.arg(i));
    if (spec == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyCommandInfo(ctx.reply, *spec);
    }
  }
}

// COMMAND DOCS [command-name [command-name ...]]
void CmdCommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> found;
  if (ctx.argc() == 2) {
    for (const auto& spec : ctx.server.commands().all()) found.push_back(spec.get());
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const CommandSpec* spec = FindByFullName(ctx.server.commands(), ctx.arg(i));
      if (spec != nullptr) found.push_back(spec);
    }
  }
  ctx.reply.MapHeader(found.size());
  for (const CommandSpec* spec : found) {
    ctx.reply.Bulk(spec->name);
    ReplyCommandDocs(ctx.reply, *spec);
  }
}

// Resolves the command of COMMAND GETKEYS and its key positions, replying the error Redis gives
// when there are none. `cmd_args` is the command to inspect.
bool CommandKeys(CommandContext& ctx, ArgList cmd_args, std::vector<size_t>* positions) {
  const CommandSpec* spec = ctx.server.commands().Find(cmd_args[0]);
  if (spec != nullptr && spec->is_container() && cmd_args.size() > 1) {
    spec = CommandTable::FindSubcommand(*spec, cmd_args[1]);
  }
  if (spec == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return false;
  }
  if (spec->key_finder == nullptr && spec->first_key <= 0) {
    ctx.reply.Error("ERR The command has no key arguments");
    return false;
  }
  if (!spec->CheckArity(cmd_args.size())) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return false;
  }
  spec->KeyPositions(cmd_args, positions);
  // Scripts may legitimately be called without keys; for everything else no key means the
  // arguments could not be understood.
  if (positions->empty() && spec->group != "scripting") {
    ctx.reply.Error("ERR Invalid arguments specified for command");
    return false;
  }
  return true;
}

// COMMAND GETKEYS command [arg [arg ...]]
void CmdCommandGetKeys(CommandContext& ctx) {
  ArgList cmd_args = ctx.args.subspan(2);
  std::vector<size_t> positions;
  if (!CommandKeys(ctx, cmd_args, &positions)) return;
  ctx.reply.ArrayHeader(positions.size());
  for (size_t pos : positions) ctx.reply.Bulk(cmd_args[pos]);
}

// COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
void CmdCommandGetKeysAndFlags(CommandContext& ctx) {
  ArgList cmd_args = ctx.args.subspan(2);
  std::vector<size_t> positions;
  if (!CommandKeys(ctx, cmd_args, &positions)) return;
  const CommandSpec* spec = FindByFullName(ctx.server.commands(), cmd_args[0]);
  if (spec != nullptr && spec->is_container() && cmd_args.size() > 1) {
    spec = CommandTable::FindSubcommand(*spec, cmd_args[1]);
  }
  bool write = spec != nullptr && (spec->flags & kCmdWrite);
  ctx.reply.ArrayHeader(positions.size());
  for (size_t pos : positions) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(cmd_args[pos]);
    if (write) {
      ctx.reply.ArrayHeader(3);
      ctx.reply.SimpleString("RW");
      ctx.reply.SimpleString("access");
      ctx.reply.SimpleString("update");
    } else {
      ctx.reply.ArrayHeader(2);
      ctx.reply.SimpleString("RO");
      ctx.reply.SimpleString("access");
    }
  }
}

// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
void CmdCommandList(CommandContext& ctx) {
  enum { kAll, kModule, kAclCat, kPattern } filter = kAll;
  std::string_view value;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(2), "FILTERBY")) {
    value = ctx.arg(4);
    if (EqualsIgnoreCase(ctx.arg(3), "MODULE")) {
      filter = kModule;
    } else if (EqualsIgnoreCase(ctx.arg(3), "ACLCAT")) {
      filter = kAclCat;
    } else if (EqualsIgnoreCase(ctx.arg(3), "PATTERN")) {
      filter = kPattern;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  } else if (ctx.argc() != 2) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  std::string category = "@" + Lower(value);
  std::vector<std::string_view> names;
  ForEachCommand(ctx.server.commands(), true, [&](const CommandSpec& spec) {
    switch (filter) {
      case kAll:
        names.push_back(spec.name);
        break;
      case kModule:
        break;  // no modules
      case kAclCat: {
        auto cats = AclCategories(spec);
        if (std::find(cats.begin(), cats.end(), category) != cats.end()) {
          names.push_back(spec.name);
        }
        break;
      }
      case kPattern:
        if (GlobMatch(value, spec.name, true)) names.push_back(spec.name);
        break;
    }
  });
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view name : names) ctx.reply.Bulk(name);
}

// COMMAND HELP
void CmdCommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "(no subcommand)",
                     "    Describe every command.",
                     "COUNT",
                     "    Number of commands.",
                     "LIST [FILTERBY (MODULE <module>|ACLCAT <category>|PATTERN <pattern>)]",
                     "    Names of the commands, subcommands included.",
                     "INFO [<command-name> ...]",
                     "    Describe the given commands (all when none is given).",
                     "DOCS [<command-name> ...]",
                     "    Documentation of the given commands (all when none is given).",
                     "GETKEYS <full-command>",
                     "    The key arguments of a complete command line.",
                     "GETKEYSANDFLAGS <full-command>",
                     "    The key arguments of a command line with their access flags.",
                     "HELP",
                     "    Print this help.",
                 });
}

// ---------------------------------------------------------------------------------------------
// INFO

constexpr std::string_view kDefaultSections[] = {
    "server", "clients", "memory",     "persistence", "stats",   "replication",
    "cpu",    "modules", "errorstats", "cluster",     "keyspace"};
constexpr std::string_view kAllSections[] = {
    "server", "clients", "memory",       "persistence", "stats",   "replication",
    "cpu",    "modules", "commandstats", "errorstats",  "cluster", "keyspace"};

class InfoWriter {
 public:
  void Section(std::string_view title) {
    if (!text_.empty()) text_ += "\r\n";
    text_ += "# ";
    text_ += title;
    text_ += "\r\n";
  }
  void Field(std::string_view name, std::string_view value) {
    text_ += name;
    text_ += ':';
    text_ += value;
    text_ += "\r\n";
  }
  void Field(std::string_view name, int64_t value) { Field(name, std::to_string(value)); }
  void Field(std::string_view name, uint64_t value) { Field(name, std::to_string(value)); }
  void Field(std::string_view name, int value) { Field(name, std::to_string(value)); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

std::string Executable() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty()) return path;
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out(resolved);
  free(resolved);
  return out;
}

std::string CompilerVersion() {
#if defined(__GNUC__)
  return std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "0.0.0";
#endif
}

void InfoServer(Server& server, ServerFamilyState& state, InfoWriter& out) {
  out.Section("Server");
  out.Field("redis_version", kRedisCompatVersion);
  out.Field("redis_git_sha1", "00000000");
  out.Field("redis_git_dirty", 0);
  out.Field("redis_build_id", "0");
  out.Field("sluice_version", kSluiceVersion);
  out.Field("redis_mode", "standalone");
  utsname name{};
  uname(&name);
  out.Field("os", std::string(name.sysname) + " " + name.release + " " + name.machine);
  out.Field("arch_bits", static_cast<int>(sizeof(void*) * 8));
  out.Field("monotonic_clock", "POSIX clock_gettime");
  out.Field("multiplexing_api", "epoll");
  out.Field("atomicvar_api", "c11-builtin");
  out.Field("gcc_version", CompilerVersion());
  out.Field("process_id", static_cast<int64_t>(getpid()));
  out.Field("process_supervised", "no");
  out.Field("run_id", state.run_id);
  out.Field("tcp_port", server.config().GetInt("port"));
  out.Field("server_time_usec", server.now_us());
  int64_t uptime = (server.now_ms() - server.start_time_ms()) / 1000;
  out.Field("uptime_in_seconds", uptime);
  out.Field("uptime_in_days", uptime / 86400);
  out.Field("hz", server.config().GetInt("hz"));
  out.Field("configured_hz", server.config().GetInt("hz"));
  out.Field("lru_clock", (server.now_ms() / 1000) & 0xFFFFFF);
  out.Field("executable", Executable());
  out.Field("config_file", AbsolutePath(server.config().config_file()));
  out.Field("io_threads_active", 0);
}

void InfoClients(Server& server, InfoWriter& out) {
  size_t connected = 0;
  size_t blocked = 0;
  size_t max_input = 0;
  size_t max_output = 0;
  for (const auto& [id, session] : server.sessions()) {
    if (session->closed()) continue;
    ++connected;
    if (session->blocked() || session->postponed()) ++blocked;
    max_input = std::max(max_input, session->query_buffer_size());
    size_t output = session->connection() != nullptr ? session->connection()->pending_output()
                                                     : session->output().size();
    max_output = std::max(max_output, output);
  }
  out.Section("Clients");
  out.Field("connected_clients", connected);
  out.Field("cluster_connections", 0);
  out.Field("maxclients", server.config().GetInt("maxclients"));
  out.Field("client_recent_max_input_buffer", max_input);
  out.Field("client_recent_max_output_buffer", max_output);
  out.Field("blocked_clients", blocked);
  out.Field("tracking_clients", 0);
  out.Field("clients_in_timeout_table", 0);
}

void InfoMemory(Server& server, ServerFamilyState& state, InfoWriter& out) {
  size_t used = UsedMemory();
  size_t rss = RssMemory();
  state.peak_memory = std::max(state.peak_memory, used);
  size_t startup = std::min(state.startup_memory, used);
  size_t system = TotalSystemMemory();
  int64_t maxmemory = server.config().GetInt("maxmemory");
  out.Section("Memory");
  out.Field("used_memory", used);
  out.Field("used_memory_human", HumanBytes(used));
  out.Field("used_memory_rss", rss);
  out.Field("used_memory_rss_human", HumanBytes(rss));
  out.Field("used_memory_peak", state.peak_memory);
  out.Field("used_memory_peak_human", HumanBytes(state.peak_memory));
  out.Field("used_memory_peak_perc",
            FormatFixed(100.0 * static_cast<double>(used) /
                            static_cast<double>(std::max<size_t>(state.peak_memory, 1)),
                        2) +
                "%");
  out.Field("used_memory_startup", startup);
  out.Field("used_memory_dataset", used - startup);
  out.Field("total_system_memory", system);
  out.Field("total_system_memory_human", HumanBytes(system));
  out.Field("maxmemory", maxmemory);
  out.Field("maxmemory_human", HumanBytes(static_cast<size_t>(maxmemory)));
  out.Field("maxmemory_policy", server.config().Get("maxmemory-policy"));
  double fragmentation = used > 0 ? static_cast<double>(rss) / static_cast<double>(used) : 0;
  out.Field("mem_fragmentation_ratio", FormatFixed(fragmentation, 2));
  out.Field("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  out.Field("mem_not_counted_for_evict", 0);
  out.Field("mem_replication_backlog", 0);
  out.Field("mem_clients_slaves", 0);
  out.Field("mem_aof_buffer", 0);
  out.Field("mem_allocator", "libc");
  out.Field("active_defrag_running", 0);
  out.Field("lazyfree_pending_objects", 0);
  out.Field("lazyfreed_objects", 0);
}

// Loading, snapshots (rewrites of the append-only log) and the log itself: the durability
// module reports its own figures.
void InfoPersistence(Server& server, InfoWriter& out) {
  out.Section("Persistence");
  for (const auto& [name, value] : server.aof().InfoFields()) out.Field(name, value);
}

void InfoStats(Server& server, ServerFamilyState& state, InfoWriter& out) {
  const ServerStats& stats = server.stats();
  out.Section("Stats");
  out.Field("total_connections_received", stats.total_connections_received);
  out.Field("total_commands_processed", stats.total_commands_processed);
  out.Field("instantaneous_ops_per_sec", static_cast<int64_t>(std::llround(state.ops.Average())));
  out.Field("total_net_input_bytes", stats.total_net_input_bytes);
  out.Field("total_net_output_bytes", stats.total_net_output_bytes);
  out.Field("total_net_repl_input_bytes", 0);
  out.Field("total_net_repl_output_bytes", 0);
  out.Field("instantaneous_input_kbps", FormatFixed(state.net_in.Average() / 1024, 2));
  out.Field("instantaneous_output_kbps", FormatFixed(state.net_out.Average() / 1024, 2));
  out.Field("instantaneous_input_repl_kbps", "0.00");
  out.Field("instantaneous_output_repl_kbps", "0.00");
  out.Field("rejected_connections", stats.rejected_connections);
  out.Field("sync_full", 0);
  out.Field("sync_partial_ok", 0);
  out.Field("sync_partial_err", 0);
  out.Field("expired_keys", stats.expired_keys);
  out.Field("expired_stale_perc", "0.00");
  out.Field("expired_time_cap_reached_count", 0);
  out.Field("evicted_keys", stats.evicted_keys);
  out.Field("evicted_clients", 0);
  out.Field("keyspace_hits", stats.keyspace_hits);
  out.Field("keyspace_misses", stats.keyspace_misses);
  out.Field("pubsub_channels", static_cast<int64_t>(server.pubsub().channel_count()));
  out.Field("pubsub_patterns", static_cast<int64_t>(server.pubsub().pattern_count()));
  out.Field("pubsubshard_channels", static_cast<int64_t>(server.pubsub().shard_channel_count()));
  out.Field("latest_fork_usec", 0);
  out.Field("total_forks", 0);
  out.Field("migrate_cached_sockets", 0);
  out.Field("slave_expires_tracked_keys", 0);
  out.Field("active_defrag_hits", 0);
  out.Field("active_defrag_misses", 0);
  out.Field("active_defrag_key_hits", 0);
  out.Field("active_defrag_key_misses", 0);
  out.Field("tracking_total_keys", 0);
  out.Field("tracking_total_items", 0);
  out.Field("tracking_total_prefixes", 0);
  out.Field("unexpected_error_replies", 0);
  out.Field("total_error_replies", stats.total_error_replies);
  out.Field("dump_payload_sanitizations", 0);
}

void InfoReplication(ServerFamilyState& state, InfoWriter& out) {
  out.Section("Replication");
  out.Field("role", "master");
  out.Field("connected_slaves", 0);
  out.Field("master_failover_state", "no-failover");
  out.Field("master_replid", state.replid);
  out.Field("master_replid2", std::string(40, '0'));
  out.Field("master_repl_offset", 0);
  out.Field("second_repl_offset", -1);
  out.Field("repl_backlog_active", 0);
  out.Field("repl_backlog_size", 1048576);
  out.Field("repl_backlog_first_byte_offset", 0);
  out.Field("repl_backlog_histlen", 0);
}

std::string Seconds(const timeval& tv) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
           static_cast<long>(tv.tv_usec));
  return buf;
}

void InfoCpu(InfoWriter& out) {
  rusage self{};
  rusage children{};
  rusage thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  out.Section("CPU");
  out.Field("used_cpu_sys", Seconds(self.ru_stime));
  out.Field("used_cpu_user", Seconds(self.ru_utime));
  out.Field("used_cpu_sys_children", Seconds(children.ru_stime));
  out.Field("used_cpu_user_children", Seconds(children.ru_utime));
  out.Field("used_cpu_sys_main_thread", Seconds(thread.ru_stime));
  out.Field("used_cpu_user_main_thread", Seconds(thread.ru_utime));
}

void InfoCommandStats(Server& server, InfoWriter& out) {
  out.Section("Commandstats");
  std::vector<std::pair<std::string_view, CommandStats>> rows;
  for (const auto& [spec, stats] : server.commands().all_stats()) {
    if (stats.calls == 0 && stats.rejected_calls == 0 && stats.failed_calls == 0) continue;
    rows.emplace_back(spec->name, stats);
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, stats] : rows) {
    double per_call =
        stats.calls > 0 ? static_cast<double>(stats.usec) / static_cast<double>(stats.calls) : 0;
    out.Field("cmdstat_" + std::string(name),
              "calls=" + std::to_string(stats.calls) + ",usec=" + std::to_string(stats.usec) +
                  ",usec_per_call=" + FormatFixed(per_call, 2) +
                  ",rejected_calls=" + std::to_string(stats.rejected_calls) +
                  ",failed_calls=" + std::to_string(stats.failed_calls));
  }
}

void InfoErrorStats(Server& server, InfoWriter& out) {
  out.Section("Errorstats");
  for (const auto& [code, count] : server.stats().error_codes) {
    out.Field("errorstat_" + code, "count=" + std::to_string(count));
  }
}

void InfoKeyspace(Server& server, InfoWriter& out) {
  out.Section("Keyspace");
  for (int i = 0; i < server.db_count(); ++i) {
    Database& db = server.db(i);
    if (db.size() == 0) continue;
    out.Field("db" + std::to_string(i),
              "keys=" + std::to_string(db.size()) +
                  ",expires=" + std::to_string(db.expires_count()) +
                  ",avg_ttl=" + std::to_string(db.AverageTtl(server.now_ms())));
  }
}

void AddSection(Server& server, ServerFamilyState& state, std::string_view section,
                InfoWriter& out) {
  if (section == "server") {
    InfoServer(server, state, out);
  } else if (section == "clients") {
    InfoClients(server, out);
  } else if (section == "memory") {
    InfoMemory(server, state, out);
  } else if (section == "persistence") {
    InfoPersistence(server, out);
  } else if (section == "stats") {
    InfoStats(server, state, out);
  } else if (section == "replication") {
    InfoReplication(state, out);
  } else if (section == "cpu") {
    InfoCpu(out);
  } else if (section == "modules") {
    out.Section("Modules");
  } else if (section == "commandstats") {
    InfoCommandStats(server, out);
  } else if (section == "errorstats") {
    InfoErrorStats(server, out);
  } else if (section == "cluster") {
    out.Section("Cluster");
    out.Field("cluster_enabled", 0);
  } else if (section == "keyspace") {
    InfoKeyspace(server, out);
  }
}

// INFO [section [section ...]]
void CmdInfo(CommandContext& ctx) {
  std::set<std::string> wanted;
  if (ctx.argc() == 1) {
    wanted.insert(std::begin(kDefaultSections), std::end(kDefaultSections));
  }
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string name = Lower(ctx.arg(i));
    if (name == "default") {
      wanted.insert(std::begin(kDefaultSections), std::end(kDefaultSections));
    } else if (name == "all" || name == "everything") {
      wanted.insert(std::begin(kAllSections), std::end(kAllSections));
    } else {
      wanted.insert(std::move(name));
    }
  }
  InfoWriter out;
  ServerFamilyState& state = StateOf(ctx.server);
  for (std::string_view section : kAllSections) {
    if (wanted.count(std::string(section))) AddSection(ctx.server, state, section, out);
  }
  ctx.reply.Verbatim(out.text());
}

// ---------------------------------------------------------------------------------------------
// CONFIG

bool HasGlob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// CONFIG GET parameter [parameter ...]
void CmdConfigGet(CommandContext& ctx) {
  Config& config = ctx.server.config();
  std::vector<std::pair<std::string, std::string>> found;
  std::set<std::string> seen;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string_view pattern = ctx.arg(i);
    if (!HasGlob(pattern)) {
      // An exact name is answered under the spelling it was asked with.
      if (config.Exists(pattern) && seen.insert(Lower(pattern)).second) {
        found.emplace_back(std::string(pattern), config.Get(pattern));
      }
      continue;
    }
    for (auto& [name, value] : config.Match(pattern)) {
      if (seen.insert(name).second) found.emplace_back(name, value);
    }
  }
  ctx.reply.MapHeader(found.size());
  for (const auto& [name, value] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

std::string ConfigSetError(std::string_view name, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(why);
}

// CONFIG SET parameter value [parameter value ...]
void CmdConfigSet(CommandContext& ctx) {
  if ((ctx.argc() - 2) % 2 != 0) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  Config& config = ctx.server.config();
  // Names first, as Redis does: unknown, immutable and repeated parameters fail the whole call
  // before any value is looked at.
  std::set<std::string> names;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view name = ctx.arg(i);
    if (!config.Exists(name)) {
      ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                      std::string(name) + "'");
      return;
    }
    if (!config.IsMutable(name)) {
      ctx.reply.Error(ConfigSetError(name, "can't set immutable config"));
      return;
    }
    if (!names.insert(Lower(name)).second) {
      ctx.reply.Error(ConfigSetError(name, "duplicate parameter"));
      return;
    }
  }
  // Then the values, in order; a refused value undoes the ones already applied.
  std::vector<std::pair<std::string_view, std::string>> applied;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view name = ctx.arg(i);
    std::string previous = config.Get(name);
    std::string error;
    if (!config.Set(name, ctx.arg(i + 1), false, &error)) {
      for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
        std::string ignored;
        config.Set(it->first, it->second, false, &ignored);
      }
      ctx.reply.Error("ERR " + error);
      return;
    }
    applied.emplace_back(name, std::move(previous));
  }
  ctx.reply.Ok();
}

void ResetStats(Server& server) {
  server.commands().ResetStats();
  ServerStats& stats = server.stats();
  uint64_t dirty = stats.dirty;
  stats = ServerStats{};
  stats.dirty = dirty;  // not a statistic: persistence relies on it
  ServerFamilyState& state = StateOf(server);
  state.ops.Reset(0);
  state.net_in.Reset(0);
  state.net_out.Reset(0);
  state.peak_memory = UsedMemory();
}

// CONFIG RESETSTAT
void CmdConfigResetStat(CommandContext& ctx) {
  ResetStats(ctx.server);
  ctx.reply.Ok();
}

// CONFIG REWRITE
void CmdConfigRewrite(CommandContext& ctx) {
  std::string error;
  if (!ctx.server.config().Rewrite(&error)) {
    ctx.reply.Error(error.starts_with("ERR ") ? error : "ERR " + error);
    return;
  }
  ctx.reply.Ok();
}

// CONFIG HELP
void CmdConfigHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "GET <pattern> [<pattern> ...]",
                     "    The parameters matching the glob-style patterns, with their values.",
                     "SET <directive> <value> [<directive> <value> ...]",
                     "    Change parameters; either all of them change or none does.",
                     "RESETSTAT",
                     "    Zero the statistics INFO reports.",
                     "REWRITE",
                     "    Save the current configuration into the configuration file.",
                     "HELP",
                     "    Print this help.",
                 });
}

// ---------------------------------------------------------------------------------------------
// TIME, LASTSAVE, SHUTDOWN

// TIME
void CmdTime(CommandContext& ctx) {
  int64_t us = ctx.server.now_us();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

// LASTSAVE
void CmdLastSave(CommandContext& ctx) {
  // The last completed rewrite of the log (the snapshot), or start-up.
  ctx.reply.Integer(ctx.server.aof().last_save_unix());
}

// SAVE
void CmdSave(CommandContext& ctx) {
  // The snapshot is a rewrite of the append-only log, done here and now.
  std::string error = ctx.server.aof().RewriteNow();
  if (!error.empty()) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Ok();
}

// BGSAVE [SCHEDULE]
void CmdBgSave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "SCHEDULE"))) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  schedule = ctx.argc() == 2;
  Aof& aof = ctx.server.aof();
  if (aof.rewrite_in_progress() || aof.rewrite_scheduled()) {
    if (schedule) {
      aof.ScheduleRewrite();
      ctx.reply.SimpleString("Background saving scheduled");
      return;
    }
    ctx.reply.Error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
        "SCHEDULE in order to schedule a BGSAVE whenever possible.");
    return;
  }
  std::string error = aof.RequestBackgroundRewrite();
  if (!error.empty()) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.SimpleString("Background saving started");
}

// BGREWRITEAOF
void CmdBgRewriteAof(CommandContext& ctx) {
  std::string error = ctx.server.aof().RequestBackgroundRewrite();
  if (!error.empty()) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.SimpleString("Background append only file rewriting started");
}

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
void CmdShutdown(CommandContext& ctx) {
  bool save = false;
  bool nosave = false;
  bool abort = false;
  bool now_or_force = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(opt, "SAVE")) {
      save = true;
    } else if (EqualsIgnoreCase(opt, "NOW") || EqualsIgnoreCase(opt, "FORCE")) {
      now_or_force = true;
    } else if (EqualsIgnoreCase(opt, "ABORT")) {
      abort = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  if ((save && nosave) || (abort && (save || nosave || now_or_force))) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (abort) {
    // Shutting down is immediate here, so there is never one in progress to abort.
    ctx.reply.Error("ERR No shutdown in progress.");
    return;
  }
  // The log is always written and synced on the way out (Server::Shutdown); SAVE, or save points
  // without NOSAVE, also compact it into a fresh snapshot first.
  if (save || (!nosave && !ctx.server.config().Get("save").empty())) {
    Aof& aof = ctx.server.aof();
    aof.WaitForRewrite();
    std::string error = aof.RewriteNow();
    if (!error.empty()) {
      LogWarning("Error trying to save the DB, can't exit: %s", error.c_str());
      ctx.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
      return;
    }
  }
  LogWarning("User requested shutdown...");
  ctx.server.Shutdown();
}

// ---------------------------------------------------------------------------------------------
// DEBUG

// A rough size of the value once serialized: strings exactly, collections by their memory.
size_t SerializedLength(const Object& obj) {
  if (!obj.is_string()) return obj.collection()->MemoryUsage();
  if (obj.Encoding() == "int") {
    int64_t v = 0;
    ParseInt64(obj.str(), &v);
    if (v >= -128 && v <= 127) return 2;
    if (v >= -32768 && v <= 32767) return 3;
    if (v >= INT32_MIN && v <= INT32_MAX) return 5;
  }
  size_t len = obj.str().size();
  size_t header = len < 64 ? 1 : len < 16384 ? 2 : len <= UINT32_MAX ? 5 : 9;
  return header + len;
}

void DebugObject(CommandContext& ctx) {
  Object* obj = ctx.db.Find(ctx.arg(2), ctx.now_ms);
  if (obj == nullptr) {
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  int64_t access = obj->access_ms() != 0 ? obj->access_ms() : ctx.now_ms;
  char buf[512];
  snprintf(buf, sizeof(buf),
           "Value at:%p refcount:1 encoding:%.*s serializedlength:%zu lru:%" PRId64
           " lru_seconds_idle:%" PRId64,
           static_cast<void*>(obj), static_cast<int>(obj->Encoding().size()),
           obj->Encoding().data(), SerializedLength(*obj), (access / 1000) & 0xFFFFFF,
           std::max<int64_t>(0, (ctx.now_ms - access) / 1000));
  ctx.reply.SimpleString(buf);
}

// DEBUG subcommand [argument ...]
void CmdDebug(CommandContext& ctx) {
  std::string_view sub = ctx.arg(1);
  if (EqualsIgnoreCase(sub, "HELP") && ctx.argc() == 2) {
    ReplyHelp(ctx, {
                       "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                       "OBJECT <key>",
                       "    Internal details of the value stored at <key>.",
                       "SET-ACTIVE-EXPIRE <0|1>",
                       "    Accepted for compatibility; active expiry always runs.",
                       "SLEEP <seconds>",
                       "    Stop the server for <seconds> (fractions allowed).",
                       "HELP",
                       "    Print this help.",
                   });
    return;
  }
  if (EqualsIgnoreCase(sub, "OBJECT") && ctx.argc() == 3) {
    DebugObject(ctx);
    return;
  }
  if (EqualsIgnoreCase(sub, "SLEEP") && ctx.argc() == 3) {
    // Like Redis, a malformed or negative duration sleeps for no time.
    double seconds = 0;
    if (!ParseDouble(ctx.arg(2), &seconds) || !(seconds > 0)) seconds = 0;
    if (seconds > 0) usleep(static_cast<useconds_t>(std::min(seconds, 3600.0) * 1e6));
    ctx.server.RefreshClock();
    ctx.reply.Ok();
    return;
  }
  if (EqualsIgnoreCase(sub, "SET-ACTIVE-EXPIRE") && ctx.argc() == 3) {
    ctx.reply.Ok();
    return;
  }
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(sub.substr(0, 128)) + "'. Try DEBUG HELP.");
}

// ---------------------------------------------------------------------------------------------
// MEMORY

// MEMORY USAGE key [SAMPLES count]
void CmdMemoryUsage(CommandContext& ctx) {
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    if (!EqualsIgnoreCase(ctx.arg(i), "SAMPLES") || i + 1 >= ctx.argc()) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    int64_t samples = 0;
    if (!ParseInt64(ctx.arg(i + 1), &samples)) {
      ctx.reply.Error(errors::kNotInteger);
      return;
    }
    if (samples < 0) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  Object* obj = ctx.db.Find(ctx.arg(2), ctx.now_ms);
  if (obj == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(obj->MemoryUsage() + ctx.arg(2).size()));
}

size_t ClientsMemory(Server& server) {
  size_t bytes = 0;
  for (const auto& [id, session] : server.sessions()) {
    bytes += sizeof(Session) + session->query_buffer_size() + session->query_buffer_free() +
             session->output().capacity();
  }
  return bytes;
}

// MEMORY STATS
void CmdMemoryStats(CommandContext& ctx) {
  Server& server = ctx.server;
  ServerFamilyState& state = StateOf(server);
  size_t used = UsedMemory();
  size_t rss = RssMemory();
  state.peak_memory = std::max(state.peak_memory, used);
  size_t startup = std::min(state.startup_memory, used);
  size_t clients = ClientsMemory(server);
  std::vector<int> dbs;
  size_t keys = 0;
  for (int i = 0; i < server.db_count(); ++i) {
    if (server.db(i).size() == 0) continue;
    dbs.push_back(i);
    keys += server.db(i).size();
  }
  // Bucket arrays and nodes of the key maps, an estimate in the absence of allocator data.
  constexpr size_t kPerKeyOverhead = 3 * sizeof(void*);
  size_t overhead = startup + clients;
  for (int i : dbs) overhead += server.db(i).size() * kPerKeyOverhead;
  overhead = std::min(overhead, used);
  size_t dataset = used - overhead;
  double net = used > startup ? static_cast<double>(used - startup) : 1.0;
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(19 + dbs.size());
  r.Bulk("peak.allocated");
  r.Integer(static_cast<int64_t>(state.peak_memory));
  r.Bulk("total.allocated");
  r.Integer(static_cast<int64_t>(used));
  r.Bulk("startup.allocated");
  r.Integer(static_cast<int64_t>(startup));
  r.Bulk("replication.backlog");
  r.Integer(0);
  r.Bulk("clients.slaves");
  r.Integer(0);
  r.Bulk("clients.normal");
  r.Integer(static_cast<int64_t>(clients));
  r.Bulk("aof.buffer");
  r.Integer(0);
  r.Bulk("lua.caches");
  r.Integer(0);
  for (int i : dbs) {
    r.Bulk("db." + std::to_string(i));
    r.MapHeader(2);
    r.Bulk("overhead.hashtable.main");
    r.Integer(static_cast<int64_t>(server.db(i).size() * kPerKeyOverhead));
    r.Bulk("overhead.hashtable.expires");
    r.Integer(static_cast<int64_t>(server.db(i).expires_count() * kPerKeyOverhead));
  }
  r.Bulk("overhead.total");
  r.Integer(static_cast<int64_t>(overhead));
  r.Bulk("keys.count");
  r.Integer(static_cast<int64_t>(keys));
  r.Bulk("keys.bytes-per-key");
  r.Integer(keys > 0 ? static_cast<int64_t>((used - startup) / keys) : 0);
  r.Bulk("dataset.bytes");
  r.Integer(static_cast<int64_t>(dataset));
  r.Bulk("dataset.percentage");
  r.Double(100.0 * static_cast<double>(dataset) / net);
  r.Bulk("peak.percentage");
  r.Double(100.0 * static_cast<double>(used) /
           static_cast<double>(std::max<size_t>(state.peak_memory, 1)));
  r.Bulk("allocator.allocated");
  r.Integer(static_cast<int64_t>(used));
  r.Bulk("allocator.resident");
  r.Integer(static_cast<int64_t>(rss));
  r.Bulk("fragmentation");
  r.Double(used > 0 ? static_cast<double>(rss) / static_cast<double>(used) : 0);
  r.Bulk("fragmentation.bytes");
  r.Integer(static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  r.Bulk("rss.bytes");
  r.Integer(static_cast<int64_t>(rss));
}

// MEMORY DOCTOR
void CmdMemoryDoctor(CommandContext& ctx) {
  ServerFamilyState& state = StateOf(ctx.server);
  size_t used = UsedMemory();
  size_t rss = RssMemory();
  state.peak_memory = std::max(state.peak_memory, used);
  std::vector<std::string> findings;
  constexpr size_t kSmall = 5 * 1024 * 1024;
  if (used < kSmall) {
    ctx.reply.Verbatim(
        "This instance holds very little data, so there is nothing meaningful to diagnose "
        "yet.\n");
    return;
  }
  if (state.peak_memory > used && state.peak_memory / 2 > used) {
    findings.push_back(
        " * Peak memory: the instance once used " + HumanBytes(state.peak_memory) +
        ", more than twice the " + HumanBytes(used) +
        " it uses now. The process may still hold the difference (see used_memory_rss).");
  }
  double fragmentation = static_cast<double>(rss) / static_cast<double>(used);
  if (fragmentation > 1.4 && rss - used > 10 * 1024 * 1024) {
    findings.push_back(" * High fragmentation: the process is resident for " + HumanBytes(rss) +
                       " while " + HumanBytes(used) + " is allocated (ratio " +
                       FormatFixed(fragmentation, 2) + "). MEMORY PURGE returns free pages.");
  }
  int64_t maxmemory = ctx.server.config().GetInt("maxmemory");
  if (maxmemory > 0 && used > static_cast<size_t>(maxmemory) * 9 / 10) {
    findings.push_back(" * Close to maxmemory: " + HumanBytes(used) + " of " +
                       HumanBytes(static_cast<size_t>(maxmemory)) + " are in use.");
  }
  std::string text;
  if (findings.empty()) {
    text = "No memory problems detected.\n";
  } else {
    text = "Memory findings:\n\n";
    for (const std::string& f : findings) text += f + "\n";
  }
  ctx.reply.Verbatim(text);
}

// MEMORY MALLOC-STATS
void CmdMemoryMallocStats(CommandContext& ctx) {
  ctx.reply.Verbatim("Stats not supported for the current allocator");
}

// MEMORY PURGE
void CmdMemoryPurge(CommandContext& ctx) {
  malloc_trim(0);
  ctx.reply.Ok();
}

// MEMORY HELP
void CmdMemoryHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "DOCTOR",
                     "    Look for memory problems and describe them.",
                     "MALLOC-STATS",
                     "    Allocator statistics (not available with the system allocator).",
                     "PURGE",
                     "    Return free memory to the operating system.",
                     "STATS",
                     "    Breakdown of the memory in use.",
                     "USAGE <key> [SAMPLES <count>]",
                     "    Approximate bytes used by <key> and its value.",
                     "HELP",
                     "    Print this help.",
                 });
}

// ---------------------------------------------------------------------------------------------
// SLOWLOG

// SLOWLOG GET [count]
void CmdSlowlogGet(CommandContext& ctx) {
  ServerFamilyState& state = StateOf(ctx.server);
  int64_t count = 10;
  if (ctx.argc() == 3) {
    if (!ParseInt64(ctx.arg(2), &count) || count < -1) {
      ctx.reply.Error("ERR count should be greater than or equal to -1");
      return;
    }
    if (count == -1) count = static_cast<int64_t>(state.slowlog.size());
  } else if (ctx.argc() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  size_t n = std::min(static_cast<size_t>(count), state.slowlog.size());
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowlogEntry& e = state.slowlog[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_sec);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.args.size());
    for (const std::string& arg : e.args) ctx.reply.Bulk(arg);
    ctx.reply.Bulk(e.peer);
    ctx.reply.Bulk(e.name);
  }
}

// SLOWLOG LEN
void CmdSlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(StateOf(ctx.server).slowlog.size()));
}

// SLOWLOG RESET
void CmdSlowlogReset(CommandContext& ctx) {
  StateOf(ctx.server).slowlog.clear();
  ctx.reply.Ok();
}

// SLOWLOG HELP
void CmdSlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                     "GET [<count>]",
                     "    The <count> most recent entries (10 by default, -1 for all). Each has",
                     "    an id, the unix time it was logged, its duration in microseconds, the",
                     "    command's arguments, the client's address and the client's name.",
                     "LEN",
                     "    Number of entries.",
                     "RESET",
                     "    Remove every entry.",
                     "HELP",
                     "    Print this help.",
                 });
}

// ---------------------------------------------------------------------------------------------
// Registration

CommandSpec Spec(std::string_view name, int arity, uint32_t flags, std::string_view since,
                 std::string_view summary, std::string_view syntax, CommandHandler handler,
                 std::string_view complexity = "O(1)", std::string_view extra_acl = {}) {
  return CommandSpec{.name = name,
                     .arity = arity,
                     .flags = flags,
                     .group = "server",
                     .since = since,
                     .summary = summary,
                     .syntax = syntax,
                     .handler = handler,
                     .complexity = complexity,
                     .extra_acl = extra_acl};
}

CommandSpec Container(std::string_view name, std::string_view since, std::string_view summary,
                      std::vector<CommandSpec> subs) {
  return CommandSpec{.name = name,
                     .arity = -2,
                     .group = "server",
                     .since = since,
                     .summary = summary,
                     .syntax = "",
                     .complexity = "Depends on subcommand.",
                     .subcommands = std::move(subs)};
}

void RegisterCommandCommand(CommandTable& table) {
  constexpr uint32_t kFlags = kCmdLoading | kCmdStale;
  constexpr std::string_view kConn = "@connection";
  std::vector<CommandSpec> subs;
  subs.push_back(Spec("command|count", 2, kFlags, "2.8.13", "Returns the number of commands.", "",
                      CmdCommandCount, "O(1)", kConn));
  subs.push_back(Spec("command|docs", -2, kFlags, "7.0.0",
                      "Returns the documentation of one, several or all commands.",
                      "[command-name [command-name ...]]", CmdCommandDocs,
                      "O(N) where N is the number of commands to look up", kConn));
  subs.push_back(Spec("command|getkeys", -4, kFlags, "2.8.13",
                      "Extracts the key names from an arbitrary command.", "command [arg ...]",
                      CmdCommandGetKeys, "O(N) where N is the number of arguments to the command",
                      kConn));
  subs.push_back(Spec("command|getkeysandflags", -4, kFlags, "7.0.0",
                      "Extracts the key names and their access flags from an arbitrary command.",
                      "command [arg ...]", CmdCommandGetKeysAndFlags,
                      "O(N) where N is the number of arguments to the command", kConn));
  subs.push_back(Spec("command|info", -2, kFlags, "2.8.13",
                      "Returns information about one, several or all commands.",
                      "[command-name [command-name ...]]", CmdCommandInfo,
                      "O(N) where N is the number of commands to look up", kConn));
  subs.push_back(Spec("command|list", -2, kFlags, "7.0.0", "Returns a list of command names.",
                      "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
                      CmdCommandList, "O(N) where N is the total number of Redis commands", kConn));
  subs.push_back(Spec("command|help", 2, kFlags, "5.0.0",
                      "Returns helpful text about the different subcommands.", "", CmdCommandHelp,
                      "O(1)", kConn));
  table.Add(CommandSpec{.name = "command",
                        .arity = -1,
                        .flags = kFlags,
                        .group = "server",
                        .since = "2.8.13",
                        .summary = "Returns detailed information about all commands.",
                        .syntax = "",
                        .handler = CmdCommand,
                        .complexity = "O(N) where N is the total number of Redis commands",
                        .subcommands = std::move(subs),
                        .extra_acl = kConn});
}

void RegisterConfigCommand(CommandTable& table) {
  constexpr uint32_t kFlags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  std::vector<CommandSpec> subs;
  subs.push_back(Spec("config|get", -3, kFlags, "2.0.0",
                      "Returns the effective values of configuration parameters.",
                      "parameter [parameter ...]", CmdConfigGet,
                      "O(N) when N is the number of configuration parameters provided"));
  subs.push_back(Spec("config|set", -4, kFlags, "2.0.0", "Sets configuration parameters in-flight.",
                      "parameter value [parameter value ...]", CmdConfigSet,
                      "O(N) when N is the number of configuration parameters provided"));
  subs.push_back(Spec("config|resetstat", 2, kFlags, "2.0.0", "Resets the server's statistics.", "",
                      CmdConfigResetStat));
  subs.push_back(Spec("config|rewrite", 2, kFlags, "2.8.0",
                      "Persists the effective configuration to file.", "", CmdConfigRewrite));
  subs.push_back(Spec("config|help", 2, kCmdLoading | kCmdStale, "5.0.0",
                      "Returns helpful text about the different subcommands.", "", CmdConfigHelp));
  table.Add(Container("config", "2.0.0", "A container for server configuration commands.",
                      std::move(subs)));
}

void RegisterMemoryCommand(CommandTable& table) {
  std::vector<CommandSpec> subs;
  CommandSpec usage =
      Spec("memory|usage", -3, kCmdReadOnly, "4.0.0", "Estimates the memory usage of a key.",
           "key [SAMPLES count:integer]", CmdMemoryUsage, "O(N) where N is the number of samples.");
  usage.first_key = 2;
  usage.last_key = 2;
  usage.key_step = 1;
  subs.push_back(std::move(usage));
  subs.push_back(Spec("memory|stats", 2, 0, "4.0.0", "Returns details about memory usage.", "",
                      CmdMemoryStats));
  subs.push_back(Spec("memory|doctor", 2, 0, "4.0.0", "Outputs a memory problems report.", "",
                      CmdMemoryDoctor));
  subs.push_back(Spec("memory|malloc-stats", 2, 0, "4.0.0", "Returns the allocator statistics.", "",
                      CmdMemoryMallocStats,
                      "Depends on how much memory is allocated, could be slow"));
  subs.push_back(Spec("memory|purge", 2, 0, "4.0.0", "Asks the allocator to release memory.", "",
                      CmdMemoryPurge, "Depends on how much memory is allocated, could be slow"));
  subs.push_back(Spec("memory|help", 2, kCmdLoading | kCmdStale, "4.0.0",
                      "Returns helpful text about the different subcommands.", "", CmdMemoryHelp));
  table.Add(Container("memory", "4.0.0", "A container for memory diagnostics commands.",
                      std::move(subs)));
}

void RegisterSlowlogCommand(CommandTable& table) {
  constexpr uint32_t kFlags = kCmdAdmin | kCmdLoading | kCmdStale;
  std::vector<CommandSpec> subs;
  subs.push_back(Spec("slowlog|get", -2, kFlags, "2.2.12", "Returns the slow log's entries.",
                      "[count:integer]", CmdSlowlogGet,
                      "O(N) where N is the number of entries returned"));
  subs.push_back(Spec("slowlog|len", 2, kFlags, "2.2.12",
                      "Returns the number of entries in the slow log.", "", CmdSlowlogLen));
  subs.push_back(Spec("slowlog|reset", 2, kFlags, "2.2.12", "Clears all entries from the slow log.",
                      "", CmdSlowlogReset, "O(N) where N is the number of entries in the slowlog"));
  subs.push_back(Spec("slowlog|help", 2, kCmdLoading | kCmdStale, "6.2.0",
                      "Shows helpful text about the different subcommands.", "", CmdSlowlogHelp));
  table.Add(Container("slowlog", "2.2.12", "A container for slow log commands.", std::move(subs)));
}

}  // namespace

void RegisterServerFamily(CommandTable& table) {
  table.AddStartupHook(StartServerFamily);
  RegisterCommandCommand(table);
  RegisterConfigCommand(table);
  RegisterMemoryCommand(table);
  RegisterSlowlogCommand(table);
  table.Add(Spec("info", -1, kCmdLoading | kCmdStale, "1.0.0",
                 "Returns information and statistics about the server.", "[section [section ...]]",
                 CmdInfo, "O(1)", "@dangerous"));
  table.Add(Spec("time", 1, kCmdLoading | kCmdStale | kCmdFast, "2.6.0", "Returns the server time.",
                 "", CmdTime));
  table.Add(Spec("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, "1.0.0",
                 "Returns the Unix timestamp of the last successful save to disk.", "", CmdLastSave,
                 "O(1)", "@admin @dangerous"));
  table.Add(Spec("save", 1, kCmdAdmin | kCmdNoScript | kCmdNoMulti, "1.0.0",
                 "Synchronously saves the database(s) to disk.", "", CmdSave,
                 "O(N) where N is the total number of keys in all databases"));
  table.Add(Spec("bgsave", -1, kCmdAdmin | kCmdNoScript, "1.0.0",
                 "Asynchronously saves the database(s) to disk.", "[SCHEDULE]", CmdBgSave));
  table.Add(Spec("bgrewriteaof", 1, kCmdAdmin | kCmdNoScript, "1.0.0",
                 "Asynchronously rewrites the append-only file to disk.", "", CmdBgRewriteAof));
  table.Add(Spec("shutdown", -1,
                 kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdAllowBusy,
                 "1.0.0", "Synchronously saves the database(s) to disk and shuts down the server.",
                 "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]", CmdShutdown,
                 "O(N) when saving, where N is the total number of keys in all databases when "
                 "saving data, otherwise O(1)"));
  table.Add(Spec("debug", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, "1.0.0",
                 "A container for debugging commands.", "", CmdDebug, "Depends on subcommand."));
}

}  // namespace sluice
