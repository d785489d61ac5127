#include "tests/e2e/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#ifndef SLUICE_SERVER_BINARY
#define SLUICE_SERVER_BINARY "sluice-server"
#endif

namespace sluice::test {
namespace {

using Clock = std::chrono::steady_clock;

// A test must see a closed socket as an error, not die of SIGPIPE.
void IgnoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }
const bool kSigpipeIgnored = (IgnoreSigpipe(), true);

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

int PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string MakeTempDir() {
  std::string tmpl = EnvOr("TMPDIR", "/tmp") + "/sluice-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return "";
  return buf.data();
}

// Polls waitpid without blocking until the child exits or the deadline passes.
std::optional<ExitStatus> WaitPid(pid_t pid, Clock::time_point deadline) {
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return ExitStatus::FromWaitStatus(status);
    if (r < 0 && errno != EINTR) return ExitStatus{};
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::vector<char*> ToArgv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// In a forked child: closes every descriptor above stderr so the child holds no test sockets.
void CloseInheritedFds() {
  if (::close_range(3, ~0U, 0) == 0) return;
  long max_fd = ::sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
  for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
}

}  // namespace

void RedisContextDeleter::operator()(redisContext* c) const {
  if (c) redisFree(c);
}

void RedisReplyDeleter::operator()(redisReply* r) const {
  if (r) freeReplyObject(r);
}

RedisReplyPtr Command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  return RedisReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
}

std::string ExitStatus::ToString() const {
  if (exited) return "exited with code " + std::to_string(code);
  if (signal)
    return std::string("killed by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) +
           ")";
  return "unknown exit status";
}

ExitStatus ExitStatus::FromWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

std::string DefaultServerBinary() { return EnvOr("SLUICE_SERVER", SLUICE_SERVER_BINARY); }

std::string RedisServerBinary() { return EnvOr("REDIS_SERVER", "redis-server"); }

bool IsRedisServerBinary(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return name.starts_with("redis-server");
}

// ---------------------------------------------------------------------------------------------
// ServerProcess

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string binary)
    : extra_args_(std::move(extra_args)), binary_(std::move(binary)) {
  IgnoreSigpipe();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(5s);
  if (!root_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_dir_, ec);
  }
}

bool ServerProcess::Start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) {
    error_ = "already running";
    return false;
  }
  if (root_dir_.empty()) {
    root_dir_ = MakeTempDir();
    if (root_dir_.empty()) {
      error_ = Errno("mkdtemp");
      return false;
    }
    data_dir_ = root_dir_ + "/data";
    log_path_ = root_dir_ + "/server.log";
    ::mkdir(data_dir_.c_str(), 0700);
  }
  // A port picked this way can in rare cases be taken before the server binds it; the server
  // then exits at once and another port is tried. Restart() tries the old port first.
  bool keep_port = port_ != 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!keep_port || attempt > 0) port_ = PickFreePort();
    if (port_ == 0) {
      error_ = "could not find a free port";
      return false;
    }
    if (!Spawn()) return false;
    if (WaitUntilReady(timeout)) return true;
    if (pid_ > 0) {  // still running but not answering: give up
      Kill9();
      return false;
    }
  }
  return false;
}

bool ServerProcess::Spawn() {
  std::vector<std::string> args = {binary_, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--dir", data_dir_};
  if (is_redis()) {
    for (const char* a : {"--save", "", "--appendonly", "no"}) args.push_back(a);
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv = ToArgv(args);
  {
    std::ofstream log(log_path_, std::ios::app);
    log << "==== starting:";
    for (const std::string& a : args) log << " '" << a << "'";
    log << "\n";
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    error_ = Errno("fork");
    return false;
  }
  if (pid == 0) {
    // Do not outlive the test process, even if it crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    int log = ::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    CloseInheritedFds();
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv.data());
    const char msg[] = "exec failed\n";
    ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  pid_ = pid;
  exit_status_.reset();
  return true;
}

bool ServerProcess::WaitUntilReady(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (!running()) {
      error_ = binary_ + " " + exit_status_->ToString() + " during startup; log:\n" + LogTail();
      return false;
    }
    RedisContextPtr c = Connect(1s);
    if (c && !c->err) {
      RedisReplyPtr r = Command(c.get(), {"PING"});
      if (r && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG") {
        if (running()) return true;
      }
    }
    if (Clock::now() >= deadline) {
      error_ = binary_ + " did not answer PING on port " + std::to_string(port_) + " within " +
               std::to_string(timeout.count()) + " ms; log:\n" + LogTail();
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
}

ExitStatus ServerProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return exit_status_.value_or(ExitStatus{});
  ::kill(pid_, SIGTERM);
  std::optional<ExitStatus> st = WaitPid(pid_, Clock::now() + grace);
  if (!st) {
    ::kill(pid_, SIGKILL);
    st = WaitPid(pid_, Clock::now() + 10s);
  }
  exit_status_ = st.value_or(ExitStatus{});
  pid_ = -1;
  return *exit_status_;
}

ExitStatus ServerProcess::Kill9() {
  if (pid_ <= 0) return exit_status_.value_or(ExitStatus{});
  ::kill(pid_, SIGKILL);
  exit_status_ = WaitPid(pid_, Clock::now() + 10s).value_or(ExitStatus{});
  pid_ = -1;
  return *exit_status_;
}

bool ServerProcess::Restart(std::chrono::milliseconds timeout) {
  Stop();
  return Start(timeout);
}

std::optional<ExitStatus> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  std::optional<ExitStatus> st = WaitPid(pid_, Clock::now() + timeout);
  if (st) {
    exit_status_ = st;
    pid_ = -1;
  }
  return st;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  return !WaitForExit(0ms).has_value();
}

RedisContextPtr ServerProcess::Connect(std::chrono::milliseconds timeout) const {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  RedisContextPtr c(redisConnectWithTimeout("127.0.0.1", port_, tv));
  if (c && !c->err) redisSetTimeout(c.get(), tv);
  return c;
}

long ServerProcess::RssKb() const {
  if (pid_ <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::string ServerProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > max_bytes ? "..." + all.substr(all.size() - max_bytes) : all;
}

// ---------------------------------------------------------------------------------------------
// Child processes: redis-cli and other tools

ProcessResult RunRedisCli(int port, const std::vector<std::string>& args, std::string_view input,
                          std::chrono::milliseconds timeout) {
  std::vector<std::string> all = {EnvOr("REDIS_CLI", "redis-cli"), "-h", "127.0.0.1", "-p",
                                  std::to_string(port)};
  all.insert(all.end(), args.begin(), args.end());
  return RunProcess(all, input, timeout);
}

ProcessResult RunProcess(const std::vector<std::string>& all, std::string_view input,
                         std::chrono::milliseconds timeout) {
  ProcessResult result;
  std::vector<std::string> args = all;  // execvp wants mutable strings
  std::vector<char*> argv = ToArgv(args);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    result.err = Errno("pipe");
    return result;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    CloseInheritedFds();
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    result.err = Errno("fork");
    return result;
  }
  int to_child = in[1];
  SetNonBlocking(to_child);
  if (input.empty()) {
    ::close(to_child);
    to_child = -1;
  }
  int from_child[2] = {out[0], err[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  auto deadline = Clock::now() + timeout;
  size_t written = 0;
  bool timed_out = false;
  while (from_child[0] >= 0 || from_child[1] >= 0) {
    pollfd fds[3];
    int n = 0;
    for (int fd : from_child) fds[n++] = {fd, POLLIN, 0};
    fds[n++] = {to_child, POLLOUT, 0};
    int r = ::poll(fds, n, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = true;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (from_child[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = ::read(from_child[i], buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EAGAIN) {
        ::close(from_child[i]);
        from_child[i] = -1;
      }
    }
    if (to_child >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(to_child, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN) || written == input.size()) {
        ::close(to_child);
        to_child = -1;
      }
    }
  }
  for (int fd : {from_child[0], from_child[1], to_child}) {
    if (fd >= 0) ::close(fd);
  }
  if (timed_out) {
    ::kill(pid, SIGKILL);
    result.err += "\n[" + all[0] + " timed out]";
  }
  result.status = WaitPid(pid, Clock::now() + 10s).value_or(ExitStatus{});
  return result;
}

// ---------------------------------------------------------------------------------------------
// RawConnection

RawConnection::~RawConnection() { Close(); }

RawConnection::RawConnection(RawConnection&& other) noexcept { *this = std::move(other); }

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    peer_closed_ = other.peer_closed_;
    pending_ = std::move(other.pending_);
    error_ = std::move(other.error_);
  }
  return *this;
}

bool RawConnection::Connect(int port, std::chrono::milliseconds timeout) {
  IgnoreSigpipe();
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = Errno("socket");
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      error_ = Errno("connect");
      Close();
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
      error_ = "connect to port " + std::to_string(port) + " failed: " + std::strerror(soerr);
      Close();
      return false;
    }
  }
  return true;
}

void RawConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  peer_closed_ = false;
  pending_.clear();
}

size_t RawConnection::SendSome(std::string_view data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN) error_ = Errno("send");
      break;
    }
  }
  return sent;
}

bool RawConnection::Send(std::string_view data, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (true) {
    sent += SendSome(data.substr(sent));
    if (sent == data.size()) return true;
    if (fd_ < 0 || (errno != EAGAIN && errno != EINTR)) {
      error_ = Errno("send");
      return false;
    }
    // Keep reading replies while waiting, so a server that stops reading until its replies
    // are consumed cannot deadlock us.
    pollfd p{fd_, static_cast<short>(POLLOUT | (peer_closed_ ? 0 : POLLIN)), 0};
    int r = ::poll(&p, 1, RemainingMs(deadline));
    if (r == 0) {
      error_ = "send timed out";
      return false;
    }
    if (r > 0 && (p.revents & POLLIN)) Fill(Clock::now());
  }
}

bool RawConnection::Fill(Clock::time_point deadline) {
  if (fd_ < 0) {
    error_ = "not connected";
    return false;
  }
  while (true) {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      pending_.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) {
      peer_closed_ = true;
      error_ = "connection closed by the server";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      if (errno == ECONNRESET) peer_closed_ = true;
      error_ = Errno("recv");
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, RemainingMs(deadline));
    if (r == 0) {
      error_ = "timed out waiting for data";
      return false;
    }
  }
}

std::string RawConnection::ReadUntil(const std::function<bool(std::string_view)>& done,
                                     std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done(pending_) && Fill(deadline) && Clock::now() < deadline) {
  }
  return std::exchange(pending_, std::string());
}

std::string RawConnection::ReadN(size_t n, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (pending_.size() < n && Fill(deadline) && Clock::now() < deadline) {
  }
  std::string out = pending_.substr(0, n);
  pending_.erase(0, out.size());
  return out;
}

std::string RawConnection::ReadFor(std::chrono::milliseconds duration) {
  return ReadUntil([](std::string_view) { return false; }, duration);
}

std::optional<resp::Reply> RawConnection::ReadReply(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    size_t pos = 0;
    resp::Reply reply;
    std::string parse_error;
    switch (resp::Parse(pending_, &pos, &reply, &parse_error)) {
      case resp::ParseStatus::kOk:
        pending_.erase(0, pos);
        return reply;
      case resp::ParseStatus::kError:
        error_ = "malformed reply: " + parse_error;
        return std::nullopt;
      case resp::ParseStatus::kIncomplete:
        if (!Fill(deadline)) return std::nullopt;
    }
  }
}

std::optional<resp::Reply> RawConnection::Call(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout) {
  if (!Send(resp::EncodeCommand(argv), timeout)) return std::nullopt;
  return ReadReply(timeout);
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) pending_.clear();
  pending_.clear();
  return peer_closed_;
}

}  // namespace sluice::test
