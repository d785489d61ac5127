#include "server/persistence/rewrite.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "server/commands/command_table.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/types/list.h"
#include "server/types/serialize.h"

namespace sluice {
namespace {

constexpr size_t kTypeCount = 8;
// The base file is written in blocks of this size, and flushed to disk every kSyncEvery bytes
// so a large rewrite does not end with one huge burst of dirty pages.
constexpr size_t kWriteBlock = 256 * 1024;
constexpr uint64_t kSyncEvery = 32ULL * 1024 * 1024;

void RewriteList(std::string_view key, const Object& obj, AofWriter& out) {
  const QuickList& items = obj.As<ListObject>()->items();
  size_t left = items.size();
  size_t in_command = 0;
  for (QuickList::Iterator it = items.Front(); it.Valid(); it.Next()) {
    if (in_command == 0) {
      size_t n = left < kAofItemsPerCommand ? left : kAofItemsPerCommand;
      out.Begin(n + 2);
      out.Arg("RPUSH");
      out.Arg(key);
      in_command = n;
    }
    out.Arg(it.value());
    --in_command;
    --left;
  }
}

// Runs a command's handler on a private session and returns its RESP2 reply. Handlers only:
// no statistics, no logging, nothing a client would see.
std::string RunQuietly(Server& server, std::vector<std::string_view> args) {
  std::string error;
  const CommandSpec* spec = server.commands().Find(args[0]);
  if (spec != nullptr && spec->is_container()) {
    spec = args.size() < 2 ? nullptr : CommandTable::FindSubcommand(*spec, args[1]);
  }
  if (spec == nullptr || spec->handler == nullptr) return {};
  Session session(server, 0, nullptr);
  CommandContext ctx{server, session, server.db(0),    session.reply(),
                     args,   *spec,   server.now_ms(), /*may_block=*/false};
  spec->handler(ctx);
  return session.output();
}

// Function libraries: FUNCTION RESTORE of a FUNCTION DUMP payload, when there are any.
void WriteFunctions(Server& server, AofWriter& out) {
  if (RunQuietly(server, {"FUNCTION", "LIST"}).starts_with("*0\r\n")) return;
  std::string dump = RunQuietly(server, {"FUNCTION", "DUMP"});
  size_t eol = dump.find("\r\n");
  if (!dump.starts_with("$") || eol == std::string::npos) return;
  size_t len = std::strtoull(dump.c_str() + 1, nullptr, 10);
  if (eol + 2 + len > dump.size()) return;
  out.Command({"FUNCTION", "RESTORE", std::string_view(dump).substr(eol + 2, len), "REPLACE"});
}

std::vector<AofStateWriter>& StateWriters() {
  static auto* writers = new std::vector<AofStateWriter>{WriteFunctions};
  return *writers;
}

std::array<AofRewriteFn, kTypeCount>& Table() {
  static std::array<AofRewriteFn, kTypeCount> table = [] {
    std::array<AofRewriteFn, kTypeCount> t{};
    t[static_cast<size_t>(ObjType::kList)] = RewriteList;
    return t;
  }();
  return table;
}

bool WriteAll(int fd, const std::string& data, std::string* error) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::string("write error: ") + strerror(errno);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void RegisterAofRewriter(ObjType type, AofRewriteFn fn) { Table()[static_cast<size_t>(type)] = fn; }

void RegisterAofStateWriter(AofStateWriter writer) { StateWriters().push_back(writer); }

bool RewriteKey(std::string_view key, const Object& obj, AofWriter& out) {
  int64_t at = obj.expire_at();
  if (obj.is_string()) {
    if (at != 0) {
      out.Begin(5);
      out.Arg("SET");
      out.Arg(key);
      out.Arg(obj.str());
      out.Arg("PXAT");
      out.Arg(at);
    } else {
      out.Command({"SET", key, obj.str()});
    }
    return true;
  }
  AofRewriteFn fn = Table()[static_cast<size_t>(obj.type())];
  if (fn != nullptr) {
    fn(key, obj, out);
    if (at != 0) {
      out.Begin(3);
      out.Arg("PEXPIREAT");
      out.Arg(key);
      out.Arg(at);
    }
    return true;
  }
  std::string payload = DumpObject(obj);
  if (payload.empty()) return false;
  // ABSTTL: the deadline is written as the absolute time it is, so replay later keeps it.
  out.Begin(5);
  out.Arg("RESTORE");
  out.Arg(key);
  out.Arg(at);
  out.Arg(payload);
  out.Arg("ABSTTL");
  return true;
}

bool WriteBaseFile(Server& server, int fd, int64_t now_ms, int64_t key_delay_us,
                   std::string* error) {
  std::string buffer;
  buffer.reserve(kWriteBlock * 2);
  AofWriter out(&buffer);
  uint64_t since_sync = 0;
  auto flush = [&]() {
    if (!WriteAll(fd, buffer, error)) return false;
    since_sync += buffer.size();
    buffer.clear();
    if (since_sync >= kSyncEvery) {
      fdatasync(fd);
      since_sync = 0;
    }
    return true;
  };
  for (AofStateWriter writer : StateWriters()) writer(server, out);
  for (int i = 0; i < server.db_count(); ++i) {
    Database& db = server.db(i);
    if (db.size() == 0) continue;
    out.Command({"SELECT", std::to_string(i)});
    for (auto& [key, obj] : db.map()) {
      if (obj.expire_at() != 0 && obj.expire_at() <= now_ms) continue;
      if (!RewriteKey(key, obj, out)) {
        *error = "no way to write a key of type " + std::string(TypeName(obj.type()));
        return false;
      }
      if (buffer.size() >= kWriteBlock && !flush()) return false;
      if (key_delay_us > 0) usleep(static_cast<useconds_t>(key_delay_us));
    }
  }
  if (!flush()) return false;
  if (fsync(fd) != 0) {
    *error = std::string("fsync error: ") + strerror(errno);
    return false;
  }
  return true;
}

}  // namespace sluice
