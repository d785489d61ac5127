// Test helpers that run a server binary as a child process and talk to it over TCP.
//
// The binary is Sluice by default (the SLUICE_SERVER_BINARY compile definition), or whatever
// the SLUICE_SERVER environment variable names; pointing it at redis-server runs the same
// tests against the reference implementation.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/resp.h"

namespace sluice::test {

using namespace std::chrono_literals;

// Memory bounds on the server's RSS hold for uninstrumented builds. AddressSanitizer maps
// shadow memory and keeps freed blocks in quarantine, so a sanitized server is allowed more.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssScale = 4;
#else
constexpr long kRssScale = 1;
#endif

struct RedisContextDeleter {
  void operator()(redisContext* c) const;
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;

struct RedisReplyDeleter {
  void operator()(redisReply* r) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// Sends one binary-safe command over a hiredis connection and waits for its reply. Returns
// null on an I/O error (c->errstr then says why).
RedisReplyPtr Command(redisContext* c, const std::vector<std::string>& argv);

// How a child process ended.
struct ExitStatus {
  bool exited = false;  // true: exited normally with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;

  bool ok() const { return exited && code == 0; }
  std::string ToString() const;
  static ExitStatus FromWaitStatus(int status);
};

// The server under test: $SLUICE_SERVER if set, else the binary built alongside the tests.
std::string DefaultServerBinary();
// The reference server: $REDIS_SERVER if set, else `redis-server` from PATH.
std::string RedisServerBinary();
// Whether `path` names redis-server (judged by its file name).
bool IsRedisServerBinary(std::string_view path);

// A server child process on a free loopback port with its own temporary data directory.
class ServerProcess {
 public:
  // `extra_args` are appended to `--port P --bind 127.0.0.1 --dir D`. When the binary is
  // redis-server, `--save "" --appendonly no` are added too so it never writes to disk.
  explicit ServerProcess(std::vector<std::string> extra_args = {},
                         std::string binary = DefaultServerBinary());
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (up to `timeout`) until it answers PING. On failure returns
  // false; error() then explains, including the tail of the server's log.
  bool Start(std::chrono::milliseconds timeout = 10s);
  // SIGTERM, then waits up to `grace` before falling back to SIGKILL.
  ExitStatus Stop(std::chrono::milliseconds grace = 10s);
  ExitStatus Kill9();
  // Stops the server and starts it again on the same port with the same data directory.
  bool Restart(std::chrono::milliseconds timeout = 10s);
  // Waits for the process to exit by itself (e.g. after SHUTDOWN).
  std::optional<ExitStatus> WaitForExit(std::chrono::milliseconds timeout);
  // Whether the process is still alive (reaps it if it has exited).
  bool running();
  // Exit status of the last run, once it has ended.
  const std::optional<ExitStatus>& exit_status() const { return exit_status_; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return data_dir_; }
  const std::string& binary() const { return binary_; }
  const std::string& error() const { return error_; }
  bool is_redis() const { return IsRedisServerBinary(binary_); }

  // A new hiredis connection (check `->err`); replies time out after `timeout`.
  RedisContextPtr Connect(std::chrono::milliseconds timeout = 10s) const;
  // Resident set size in kB from /proc, or -1.
  long RssKb() const;
  // The last `max_bytes` of the server's stdout/stderr.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  bool Spawn();
  bool WaitUntilReady(std::chrono::milliseconds timeout);

  std::vector<std::string> extra_args_;
  std::string binary_;
  std::string root_dir_;  // holds data/ (the --dir) and server.log
  std::string data_dir_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_status_;
  std::string error_;
};

// Output of a finished child process.
struct ProcessResult {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in PATH), feeding `input` on stdin, and captures its output.
// Killed after `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::string_view input = {},
                         std::chrono::milliseconds timeout = 10s);

// Runs `redis-cli -h 127.0.0.1 -p PORT args...` ($REDIS_CLI overrides the binary), feeding
// `input` on stdin, and captures its output. Killed after `timeout`.
ProcessResult RunRedisCli(int port, const std::vector<std::string>& args,
                          std::string_view input = {}, std::chrono::milliseconds timeout = 10s);

// A plain TCP connection for protocol-level tests. The socket is non-blocking; every read
// takes a deadline.
class RawConnection {
 public:
  RawConnection() = default;
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;

  bool Connect(int port, std::chrono::milliseconds timeout = 5s);
  void Close();
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of `data`, waiting for the socket to drain as needed.
  bool Send(std::string_view data, std::chrono::milliseconds timeout = 10s);
  // Writes as much of `data` as the kernel accepts right now; returns the byte count.
  size_t SendSome(std::string_view data);

  // Reads until `done(received)` holds, the peer closes, or `timeout` passes; returns what was
  // received in this call.
  std::string ReadUntil(const std::function<bool(std::string_view)>& done,
                        std::chrono::milliseconds timeout);
  // Reads until `n` bytes arrived (or EOF, or the timeout).
  std::string ReadN(size_t n, std::chrono::milliseconds timeout = 10s);
  // Reads everything that arrives within `duration` (stops early at EOF).
  std::string ReadFor(std::chrono::milliseconds duration);
  // Reads one RESP reply (RESP2 or RESP3); nullopt on timeout, EOF or a malformed reply.
  std::optional<resp::Reply> ReadReply(std::chrono::milliseconds timeout = 10s);
  // Sends a command and reads its reply.
  std::optional<resp::Reply> Call(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = 10s);
  // Reads and discards input until the peer closes; true if it did within `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout = 5s);

  // Whether the peer closed the connection (seen by a read).
  bool peer_closed() const { return peer_closed_; }
  // Description of the last failure (I/O error, EOF, timeout, parse error).
  const std::string& error() const { return error_; }

 private:
  // Moves bytes that arrived by `deadline` into `pending_`; false on EOF/error/timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool peer_closed_ = false;
  std::string pending_;  // received but not yet returned
  std::string error_;
};

}  // namespace sluice::test
