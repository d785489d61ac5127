#include "server/persistence/aof.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "server/core/log.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/persistence/aof_format.h"
#include "server/persistence/loader.h"
#include "server/persistence/rewrite.h"
#include "server/protocol/errors.h"
#include "server/types/stream.h"

namespace sluice {

// ---------------------------------------------------------------------------------------------
// The fsync thread

// Runs fdatasync off the event loop. Jobs are taken in order; consecutive jobs on one file are
// served by a single fsync (group commit). When a job is done the loop is woken through the
// uv_async handle and reads synced().
class FsyncWorker {
 public:
  explicit FsyncWorker(uv_async_t* done) : done_(done), thread_([this] { Run(); }) {}
  ~FsyncWorker() { Stop(); }

  // Makes everything written to `fd` up to log position `end` durable; closes fd afterwards if
  // `close_after` (the log moved to another file).
  void Post(int fd, uint64_t end, bool close_after) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(Job{fd, end, close_after});
    }
    cv_.notify_one();
  }
  uint64_t synced() const { return synced_.load(std::memory_order_acquire); }
  bool busy() const { return busy_.load(std::memory_order_relaxed); }
  // Nothing queued and no fsync running: the loop may fsync the log itself.
  bool idle() {
    std::lock_guard<std::mutex> lock(mu_);
    return jobs_.empty() && !busy_.load(std::memory_order_relaxed);
  }
  // errno of the last fsync if it failed, else 0.
  int last_error() const { return last_error_.load(std::memory_order_relaxed); }
  // While paused the thread takes no job, as if the disk were slow (tests see replies held).
  void SetPaused(bool paused) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      paused_ = paused;
    }
    cv_.notify_one();
  }
  // Finishes the queued jobs, then ends the thread.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Job {
    int fd;
    uint64_t end;
    bool close_after;
  };

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || (!jobs_.empty() && !paused_); });
      if (jobs_.empty()) return;
      Job job = jobs_.front();
      jobs_.pop_front();
      busy_.store(true, std::memory_order_relaxed);
      // Later requests on the same file are covered by this one fsync. A close ends the run:
      // the descriptor number may be reused by the next file.
      while (!job.close_after && !jobs_.empty() && jobs_.front().fd == job.fd) {
        job.end = std::max(job.end, jobs_.front().end);
        job.close_after = jobs_.front().close_after;
        jobs_.pop_front();
      }
      lock.unlock();
      int rc;
      do {
        rc = fdatasync(job.fd);
      } while (rc != 0 && errno == EINTR);
      last_error_.store(rc == 0 ? 0 : errno, std::memory_order_relaxed);
      if (job.close_after) close(job.fd);
      if (rc == 0 && job.end > synced_.load(std::memory_order_relaxed)) {
        synced_.store(job.end, std::memory_order_release);
      }
      busy_.store(false, std::memory_order_relaxed);
      uv_async_send(done_);
      lock.lock();
    }
  }

  uv_async_t* done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stop_ = false;
  bool paused_ = false;
  std::atomic<uint64_t> synced_{0};
  std::atomic<bool> busy_{false};
  std::atomic<int> last_error_{0};
  std::thread thread_;
};

namespace {

constexpr int64_t kSliceBudgetUs = 20000;
// How long inline fsyncs stay off after one slower than aof-inline-fsync-max-us.
constexpr int64_t kInlineFsyncOffMs = 1000;
constexpr int64_t kRetryDelayMs = 5000;
constexpr int64_t kWriteErrorLogIntervalMs = 30000;
constexpr std::string_view kMultiRecord = "*1\r\n$5\r\nMULTI\r\n";
constexpr std::string_view kTempPrefix = "temp-";
// A server that never started persistence (in-process tests) has no directory to write to.
constexpr std::string_view kNotStarted = "ERR persistence is not running on this server";

bool ReadWholeFile(const std::string& path, std::string* out, bool* missing) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *missing = errno == ENOENT;
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

bool WriteAllFd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string Errno(std::string_view what) { return std::string(what) + ": " + strerror(errno); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Set-up

Aof::Aof(Server& server) : server_(server) {
  uv_async_init(server_.loop(), &async_, OnAsync);
  async_.data = this;
  uv_idle_init(server_.loop(), &idle_);
  idle_.data = this;
  last_save_ms_ = server_.now_ms();
  auto policy = [](const std::string& v) {
    return v == "always" ? Fsync::kAlways : v == "no" ? Fsync::kNo : Fsync::kEverysec;
  };
  fsync_ = policy(server_.config().Get("appendfsync"));
  server_.config().OnChange("appendfsync",
                            [this, policy](const Config::Param& p) { fsync_ = policy(p.value); });
  server_.config().OnChange("aof-inline-fsync-when-idle", [this](const Config::Param& p) {
    inline_fsync_when_idle_ = p.value == "yes";
  });
  server_.config().OnChange("aof-fsync-defer-max-us", [this](const Config::Param& p) {
    sync_defer_max_ns_ = std::stoull(p.value) * 1000;
  });
  server_.config().OnChange("aof-inline-fsync-max-us", [this](const Config::Param& p) {
    inline_fsync_max_ns_ = std::stoull(p.value) * 1000;
  });
  // Turning the log on or off happens between commands, never inside a transaction's unit.
  server_.config().OnChange("appendonly", [this](const Config::Param&) {
    if (!started_) return;  // Start() reads the setting itself
    appendonly_changed_ = true;
    ApplyPending();
  });
  server_.AddBeforeSleepHook([this] { BeforeSleep(); });
  server_.AddSessionCloseHook([this](Session* s) { ForgetSession(s); });
}

Aof::~Aof() { Shutdown(); }

std::string Aof::Path(std::string_view name) const {
  return dir_.empty() ? std::string(name) : dir_ + "/" + std::string(name);
}

bool Aof::EnsureDir(std::string* error) {
  if (mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = Errno("can't create the append-only directory '" + dir_ + "'");
    return false;
  }
  return true;
}

bool Aof::WriteManifest(const AofManifest& manifest, std::string* error) {
  std::string name = AofManifestFileName(prefix_);
  std::string temp = Path(std::string(kTempPrefix) + name);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = Errno("can't create " + temp);
    return false;
  }
  bool ok = WriteAllFd(fd, manifest.Serialize()) && fsync(fd) == 0;
  if (!ok) *error = Errno("can't write " + temp);
  close(fd);
  if (ok && rename(temp.c_str(), Path(name).c_str()) != 0) {
    *error = Errno("can't rename " + temp);
    ok = false;
  }
  if (!ok) {
    unlink(temp.c_str());
    return false;
  }
  // The rename, and any file created since the last time, are durable once the directory is.
  int dir_fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return true;
}

int Aof::CreateIncr(int64_t seq, std::string* error) {
  std::string path = Path(AofIncrFileName(prefix_, seq));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) *error = Errno("can't create " + path);
  return fd;
}

void Aof::StartWorker() {
  if (!worker_) worker_ = std::make_unique<FsyncWorker>(&async_);
}

// ---------------------------------------------------------------------------------------------
// Start-up and loading

std::string Aof::Start(bool in_slices) {
  started_ = true;
  dir_ = server_.config().Get("appenddirname");
  prefix_ = server_.config().Get("appendfilename");
  // Leftovers of a rewrite or manifest update that a crash interrupted.
  if (DIR* d = opendir(dir_.c_str())) {
    while (dirent* entry = readdir(d)) {
      std::string_view name = entry->d_name;
      if (name.starts_with(kTempPrefix)) unlink(Path(name).c_str());
    }
    closedir(d);
  }
  std::string manifest_path = Path(AofManifestFileName(prefix_));
  std::string text;
  bool missing = false;
  std::string error;
  if (ReadWholeFile(manifest_path, &text, &missing)) {
    if (!AofManifest::Parse(text, &manifest_, &error)) {
      return "Bad manifest " + manifest_path + ": " + error;
    }
    have_manifest_ = true;
  } else if (!missing) {
    return Errno("Can't read the manifest " + manifest_path);
  } else if (access(prefix_.c_str(), F_OK) == 0) {
    // A single-file log of the older layout: it becomes the base of a multi-part log.
    AofManifest upgraded;
    upgraded.base = AofManifest::File{AofBaseFileName(prefix_, 1), 1};
    if (!EnsureDir(&error)) return error;
    if (rename(prefix_.c_str(), Path(upgraded.base->name).c_str()) != 0) {
      return Errno("Can't move " + prefix_ + " into " + dir_);
    }
    if (!WriteManifest(upgraded, &error)) return error;
    LogNotice("Moved the single-file append only log %s into %s", prefix_.c_str(), dir_.c_str());
    manifest_ = upgraded;
    have_manifest_ = true;
  }
  if (!have_manifest_) {
    FinishLoading();
    return failed_ ? failure_ : std::string();
  }
  std::vector<std::string> paths;
  for (const std::string& name : manifest_.Files()) {
    std::string path = Path(name);
    if (access(path.c_str(), R_OK) != 0) {
      return Errno("The append only file " + path + " named in the manifest can't be read");
    }
    paths.push_back(std::move(path));
  }
  loader_ = std::make_unique<AofLoader>(server_, std::move(paths),
                                        server_.config().GetBool("aof-load-truncated"));
  loading_ = true;
  loading_start_ms_ = server_.now_ms();
  LogNotice("Loading the append only files named in %s", manifest_path.c_str());
  if (in_slices) {
    uv_idle_start(&idle_, OnIdle);
    return {};
  }
  while (loading_ && !failed_) LoadSlice();
  return failed_ ? failure_ : std::string();
}

void Aof::OnIdle(uv_idle_t* handle) {
  auto* self = static_cast<Aof*>(handle->data);
  self->server_.RefreshClock();
  self->LoadSlice();
}

void Aof::LoadSlice() {
  bool in_slices = uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_));
  AofLoader::Status status = loader_->Run(in_slices ? kSliceBudgetUs : INT64_MAX);
  if (status == AofLoader::Status::kMore) return;
  uv_idle_stop(&idle_);
  if (status == AofLoader::Status::kFailed) {
    failed_ = true;
    failure_ = loader_->error();
    loading_ = false;
    loader_.reset();
    LogWarning("%s", failure_.c_str());
    if (in_slices) server_.Shutdown();
    return;
  }
  FinishLoading();
  if (failed_ && in_slices) server_.Shutdown();
}

void Aof::FinishLoading() {
  if (loader_) {
    if (loader_->truncate_offset() >= 0) {
      const std::string& path = loader_->truncate_path();
      LogWarning(
          "The append only file %s ends with an incomplete record (%s): loaded up to offset "
          "%lld and truncating the file there (aof-load-truncated yes)",
          path.c_str(), loader_->truncate_reason().c_str(),
          static_cast<long long>(loader_->truncate_offset()));
      if (truncate(path.c_str(), loader_->truncate_offset()) != 0) {
        failed_ = true;
        failure_ = Errno("Can't truncate " + path);
        LogWarning("%s", failure_.c_str());
      }
    }
    LogNotice("DB loaded from append only file: %.3f seconds (%llu commands)",
              static_cast<double>(server_.now_ms() - loading_start_ms_) / 1000.0,
              static_cast<unsigned long long>(loader_->commands()));
    loader_.reset();
  }
  // Replay ran with the clock at the epoch; what it touched counts as touched now, and entries
  // it delivered to consumers count as delivered now.
  int64_t now = server_.now_ms();
  for (int i = 0; i < server_.db_count(); ++i) {
    for (auto& [key, obj] : server_.db(i).map()) {
      obj.set_access_ms(now);
      if (obj.type() != ObjType::kStream) continue;
      for (const auto& [name, group] : obj.As<StreamObject>()->stream().groups()) {
        for (auto it = group->pel.Begin(); it.valid(); it.Next()) {
          if (it.value()->delivery_time <= 0) it.value()->delivery_time = now;
        }
        for (const auto& [consumer_name, consumer] : group->consumers) {
          if (consumer->seen_time <= 0) consumer->seen_time = now;
          if (consumer->active_time == 0) consumer->active_time = now;
        }
      }
    }
  }
  dirty_at_save_ = server_.stats().dirty;
  loading_ = false;
  appendonly_changed_ = false;
  if (!failed_ && server_.config().GetBool("appendonly")) {
    std::string error;
    if (!OpenLog(&error)) {
      failed_ = true;
      failure_ = "Can't open the append only file: " + error;
      LogWarning("%s", failure_.c_str());
    }
  }
  UpdateCurrentSize();
  base_size_ = current_size_;
}

bool Aof::OpenLog(std::string* error) {
  if (!EnsureDir(error)) return false;
  int fd;
  if (have_manifest_ && !manifest_.incrs.empty()) {
    incr_ = manifest_.incrs.back();
    std::string path = Path(incr_.name);
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      *error = Errno("can't open " + path);
      return false;
    }
  } else {
    int64_t seq = have_manifest_ ? manifest_.NextIncrSeq() : 1;
    fd = CreateIncr(seq, error);
    if (fd < 0) return false;
    AofManifest next = manifest_;
    next.incrs.push_back(AofManifest::File{AofIncrFileName(prefix_, seq), seq});
    if (!WriteManifest(next, error)) {
      close(fd);
      return false;
    }
    manifest_ = next;
    have_manifest_ = true;
    incr_ = manifest_.incrs.back();
  }
  fd_ = fd;
  logging_ = true;
  log_db_ = -1;
  StartWorker();
  return true;
}

void Aof::UpdateCurrentSize() {
  uint64_t size = 0;
  bool incr_listed = false;
  if (have_manifest_) {
    for (const std::string& name : manifest_.Files()) {
      size += FileSize(Path(name));
      if (name == incr_.name) incr_listed = true;
    }
  }
  if (logging_ && !incr_listed) size += FileSize(Path(incr_.name));
  current_size_ = size + buffer_.size();
}

// ---------------------------------------------------------------------------------------------
// Recording

std::string Aof::Refusal(const CommandSpec& spec) const {
  if (loading_ && !(spec.flags & kCmdLoading)) return std::string(errors::kLoading);
  if (write_failed_ && (spec.flags & kCmdWrite)) {
    return std::string("MISCONF Errors writing to the AOF file: ") + strerror(write_errno_);
  }
  return {};
}

void Aof::Propagate(CommandContext& ctx) {
  emit_db_ = ctx.session.db_index();
  if (ctx.propagate_none) return;
  if (!ctx.propagate_as.empty()) {
    std::vector<std::string_view> args;
    for (const std::vector<std::string>& command : ctx.propagate_as) {
      args.assign(command.begin(), command.end());
      Emit(args);
    }
    return;
  }
  if (EmitEffects(ctx, effect_state_, *this)) return;
  Emit(ctx.args);
}

void Aof::PropagateDeletion(int db, std::string_view key) {
  if (!logging_) return;
  int saved = emit_db_;
  emit_db_ = db;
  Emit({"DEL", key});
  emit_db_ = saved;
}

void Aof::PropagateEffect(int db, std::span<const std::string_view> args) {
  if (!logging_) return;
  int saved = emit_db_;
  emit_db_ = db;
  Emit(args);
  emit_db_ = saved;
}

void Aof::EndEffects() {
  if (--depth_ > 0) return;
  // No session: nobody's reply waits for these records (a client served because of them waits
  // for its own command's records).
  if (unit_records_ > 0) {
    if (unit_wrapped_) AofWriter(&buffer_).Command({"EXEC"});
    unit_records_ = 0;
    unit_wrapped_ = false;
  }
}

void Aof::BeginRecords(size_t count) {
  if (depth_ > 0) {
    if (unit_records_ == 0) unit_start_ = buffer_.size();
    unit_records_ += count;
    // A second record: the unit becomes a transaction, so replay applies all of it or none.
    if (unit_records_ > 1 && !unit_wrapped_) {
      buffer_.insert(unit_start_, kMultiRecord);
      unit_wrapped_ = true;
    }
  }
  if (emit_db_ != log_db_) {
    AofWriter writer(&buffer_);
    writer.Begin(2);
    writer.Arg("SELECT");
    writer.Arg(static_cast<int64_t>(emit_db_));
    log_db_ = emit_db_;
  }
}

void Aof::Emit(std::span<const std::string_view> args) {
  BeginRecords(1);
  AofWriter(&buffer_).Command(args);
}

void Aof::EmitEncoded(std::string_view commands, size_t count) {
  if (count == 0) return;
  BeginRecords(count);
  buffer_.append(commands);
}

void Aof::ExitCommand(Session& session) {
  if (--depth_ > 0) return;
  unit_session_ = nullptr;
  if (unit_records_ > 0) {
    if (unit_wrapped_) AofWriter(&buffer_).Command({"EXEC"});
    unit_records_ = 0;
    unit_wrapped_ = false;
    HoldReplies(session);
  }
  if (rewrite_requested_ || appendonly_changed_) ApplyPending();
}

void Aof::HoldReplies(Session& session) {
  uint64_t end = written_ + buffer_.size();
  bool until_synced = fsync_ == Fsync::kAlways;
  // Without `always` a reply only has to wait for write(2), which happens before this
  // iteration's replies are sent; a reply could overtake it only through a socket write already
  // in flight, whose completion flushes what follows.
  net::Connection* conn = session.connection();
  bool in_flight = conn != nullptr && conn->pending_output() > conn->output().size();
  if (!until_synced && !in_flight && !session.output_held()) return;
  if (!session.output_held()) held_.push_back(&session);
  session.HoldOutput(end, until_synced);
  if (until_synced) sync_wanted_ = std::max(sync_wanted_, end);
}

void Aof::ForgetSession(Session* session) { std::erase(held_, session); }

void Aof::ReleaseHeld() {
  if (held_.empty()) return;
  uint64_t synced = std::max(worker_ ? worker_->synced() : 0, inline_synced_);
  std::erase_if(held_, [&](Session* s) { return s->ReleaseOutput(written_, synced); });
}

// ---------------------------------------------------------------------------------------------
// Writing and syncing

bool Aof::WriteBuffer() {
  // The records of a unit still being recorded (a script that lets the loop run while busy)
  // stay behind: the MULTI that may still be needed goes in front of them.
  size_t limit = depth_ > 0 && unit_records_ > 0 ? unit_start_ : buffer_.size();
  if (fd_ < 0 || limit == 0) return buffer_.empty();
  size_t done = 0;
  while (done < limit) {
    ssize_t n = write(fd_, buffer_.data() + done, limit - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      write_errno_ = errno;
      if (!write_failed_ ||
          server_.now_ms() - last_write_error_log_ms_ > kWriteErrorLogIntervalMs) {
        LogWarning("Error writing to the AOF file: %s", strerror(write_errno_));
        last_write_error_log_ms_ = server_.now_ms();
      }
      write_failed_ = true;
      break;
    }
    done += static_cast<size_t>(n);
  }
  // A partial write leaves the file ending inside a record; the rest follows on the next try.
  written_ += done;
  current_size_ += done;
  if (done == limit && write_failed_) {
    write_failed_ = false;
    LogNotice("AOF write error looks solved, the AOF can be written again.");
  }
  if (done == buffer_.size()) {
    buffer_.clear();
    if (buffer_.capacity() > (16u << 20)) std::string().swap(buffer_);
    return true;
  }
  buffer_.erase(0, done);
  if (depth_ > 0 && unit_records_ > 0) unit_start_ -= done;
  return false;
}

void Aof::RequestFsync() {
  if (!worker_ || fd_ < 0 || written_ <= fsync_requested_) return;
  int64_t now = server_.now_ms();
  bool due = fsync_ == Fsync::kAlways || sync_wanted_ > fsync_requested_ ||
             (fsync_ == Fsync::kEverysec && now - last_fsync_request_ms_ >= 1000);
  if (!due) return;
  if (worker_->busy() && fsync_ == Fsync::kEverysec) ++delayed_fsyncs_;
  worker_->Post(fd_, written_, false);
  fsync_requested_ = written_;
  last_fsync_request_ms_ = now;
}

// Under `always` the fsync normally runs on the worker thread, so the loop keeps serving while
// the disk flushes. But handing an fsync over and back costs two thread wake-ups, and on a
// machine whose cores are all busy the woken thread takes a core from the loop or the clients;
// at one request per client that was about a tenth of the throughput here. So the loop fsyncs
// itself when nothing waits for it (no socket readable, the worker idle): an idle server loses
// nothing by blocking, and only requests arriving during that fsync wait for it. When requests
// are waiting, they are served first: the fsync is put off to the end of the next iteration,
// whose records it then covers too (a larger group commit), for a bounded time from the
// first put-off (aof-fsync-defer-max-us); past that, or when the worker is busy, the thread
// takes it. A disk slow enough to make an inline fsync long switches the inline path off for a
// while.
bool Aof::SyncInline() {
  if (fsync_ != Fsync::kAlways || !inline_fsync_when_idle_ || fd_ < 0 || !worker_) return false;
  uint64_t synced = std::max(worker_->synced(), inline_synced_);
  if (sync_wanted_ <= synced || written_ < sync_wanted_) return false;
  if (server_.now_ms() < inline_sync_off_until_ms_ || !worker_->idle()) {
    sync_deferred_since_ns_ = 0;
    return false;
  }
  pollfd events{uv_backend_fd(server_.loop()), POLLIN, 0};
  bool requests_waiting = poll(&events, 1, 0) != 0;
  if (requests_waiting) {
    uint64_t now_ns = uv_hrtime();
    if (sync_deferred_since_ns_ == 0) sync_deferred_since_ns_ = now_ns;
    if (now_ns - sync_deferred_since_ns_ < sync_defer_max_ns_) {
      ++deferred_syncs_;
      return true;
    }
  }
  sync_deferred_since_ns_ = 0;
  if (requests_waiting) return false;
  uint64_t start_ns = uv_hrtime();
  int rc;
  do {
    rc = fdatasync(fd_);
  } while (rc != 0 && errno == EINTR);
  // A failure is left to the worker, which reports it as every fsync failure is reported.
  if (rc != 0) return false;
  inline_synced_ = written_;
  fsync_requested_ = std::max(fsync_requested_, written_);
  ++inline_fsyncs_;
  if (uv_hrtime() - start_ns > inline_fsync_max_ns_) {
    inline_sync_off_until_ms_ = server_.now_ms() + kInlineFsyncOffMs;
  }
  return true;
}

void Aof::BeforeSleep() {
  if (depth_ == 0 && (rewrite_requested_ || appendonly_changed_)) ApplyPending();
  if (logging_) {
    WriteBuffer();
    if (!SyncInline()) RequestFsync();
  }
  ReleaseHeld();
}

void Aof::PauseFsyncThread(bool paused) {
  if (worker_) worker_->SetPaused(paused);
}

void Aof::OnAsync(uv_async_t* handle) { static_cast<Aof*>(handle->data)->OnFsyncDone(); }

void Aof::OnFsyncDone() {
  if (!worker_) return;
  int error = worker_->last_error();
  if (error != 0) {
    if (fsync_ == Fsync::kAlways) {
      // Replies promised to wait for the disk; with the disk refusing, stopping is the only way
      // to keep that promise.
      LogWarning("Can't persist the AOF: fsync failed (%s) with appendfsync always. Exiting.",
                 strerror(error));
      exit(1);
    }
    LogWarning("fsync of the AOF file failed: %s", strerror(error));
  }
  // The next fsync, if one is due, is decided at the end of this iteration (BeforeSleep).
  ReleaseHeld();
}

void Aof::SwitchLog(int fd, AofManifest::File file) {
  if (fd_ >= 0) {
    if (worker_) {
      worker_->Post(fd_, written_, /*close_after=*/true);
      fsync_requested_ = written_;
    } else {
      close(fd_);
    }
  }
  fd_ = fd;
  incr_ = std::move(file);
  log_db_ = -1;
}

void Aof::CloseLog() {
  WriteBuffer();
  if (fd_ >= 0) {
    if (worker_) {
      worker_->Post(fd_, written_, /*close_after=*/true);
      fsync_requested_ = written_;
    } else {
      fdatasync(fd_);
      close(fd_);
    }
  }
  fd_ = -1;
  logging_ = false;
  log_db_ = -1;
}

// ---------------------------------------------------------------------------------------------
// Deferred work: turning the log on and off, starting requested rewrites

void Aof::ApplyPending() {
  if (depth_ > 0 || loading_ || shut_down_) return;
  if (appendonly_changed_) {
    appendonly_changed_ = false;
    bool want = server_.config().GetBool("appendonly");
    if (want && !logging_ && !enabling_) {
      // The log starts with a snapshot of what is in memory now.
      if (child_pid_ > 0) KillChild();
      enabling_ = true;
      std::string error = StartBackgroundRewrite();
      if (!error.empty()) {
        LogWarning("Can't start the append only file: %s; retrying", error.c_str());
        next_retry_ms_ = server_.now_ms() + kRetryDelayMs;
      }
    } else if (!want && (logging_ || enabling_)) {
      if (child_pid_ > 0) KillChild();
      CloseLog();
      enabling_ = false;
      LogNotice("Append only file turned off");
    }
  }
  if (rewrite_requested_) {
    rewrite_requested_ = false;
    std::string error = StartBackgroundRewrite();
    if (!error.empty()) LogWarning("%s", error.c_str());
  }
}

// ---------------------------------------------------------------------------------------------
// Rewrites

std::string Aof::RequestBackgroundRewrite() {
  if (!started_) return std::string(kNotStarted);
  if (child_pid_ > 0 || rewrite_requested_) {
    return "ERR Background append only file rewriting already in progress";
  }
  rewrite_requested_ = true;
  if (depth_ == 0) ApplyPending();
  return {};
}

std::string Aof::StartBackgroundRewrite() {
  if (child_pid_ > 0) return "ERR Background append only file rewriting already in progress";
  std::string error;
  if (logging_ || enabling_) {
    // Records from the fork on go to a new incremental file; the snapshot covers the rest.
    if (logging_ && !WriteBuffer()) return "ERR Can't rewrite: the AOF can't be written";
    if (!EnsureDir(&error)) return "ERR " + error;
    int64_t seq = have_manifest_ ? manifest_.NextIncrSeq() : 1;
    if (logging_) seq = std::max(seq, incr_.seq + 1);
    int fd = CreateIncr(seq, &error);
    if (fd < 0) return "ERR " + error;
    AofManifest::File file{AofIncrFileName(prefix_, seq), seq};
    if (!enabling_) {
      // Until the new base exists, the old files plus the new one hold everything.
      AofManifest during = manifest_;
      during.incrs.push_back(file);
      if (!WriteManifest(during, &error)) {
        close(fd);
        unlink(Path(file.name).c_str());
        return "ERR " + error;
      }
      manifest_ = during;
    }
    if (logging_) {
      std::string previous = incr_.name;
      SwitchLog(fd, file);
      // An earlier attempt to turn the log on left a file no manifest names; the new snapshot
      // covers what it holds.
      if (enabling_) unlink(Path(previous).c_str());
    } else {
      fd_ = fd;
      incr_ = file;
      logging_ = true;
      log_db_ = -1;
      StartWorker();
    }
  }
  child_dirty_ = server_.stats().dirty;
  int64_t now = server_.now_ms();
  int64_t key_delay = server_.config().GetInt("rdb-key-save-delay");
  std::string dir = dir_;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Errno("ERR Can't rewrite append only file in background: fork");
  if (pid == 0) {
    // The child: write the snapshot it shares with the parent, then leave without touching
    // anything the parent owns (no destructors, no atexit handlers).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    close_range(3, ~0U, 0);  // sockets, the log, the loop's descriptors
    std::string temp = (dir.empty() ? std::string() : dir + "/") + "temp-rewriteaof-bg-" +
                       std::to_string(getpid()) + ".aof";
    int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    std::string why;
    bool ok = fd >= 0 && WriteBaseFile(server_, fd, now, key_delay, &why);
    if (fd < 0) why = Errno("can't create " + temp);
    if (!ok) {
      std::string message = "AOF rewrite child failed: " + why + "\n";
      ssize_t ignored = write(STDERR_FILENO, message.data(), message.size());
      (void)ignored;
    }
    _exit(ok ? 0 : 1);
  }
  child_pid_ = pid;
  child_start_ms_ = now;
  LogNotice("Background append only file rewriting started by pid %d", static_cast<int>(pid));
  return {};
}

bool Aof::InstallBase(const std::string& temp, const AofManifest::File* incr, std::string* error) {
  int64_t seq = have_manifest_ ? manifest_.NextBaseSeq() : 1;
  AofManifest next;
  next.base = AofManifest::File{AofBaseFileName(prefix_, seq), seq};
  if (incr != nullptr) next.incrs.push_back(*incr);
  std::string base_path = Path(next.base->name);
  if (rename(temp.c_str(), base_path.c_str()) != 0) {
    *error = Errno("can't rename " + temp);
    unlink(temp.c_str());
    return false;
  }
  if (!WriteManifest(next, error)) {
    unlink(base_path.c_str());
    return false;
  }
  // Files of the previous set that the new one does not name are history now.
  std::vector<std::string> keep = next.Files();
  if (have_manifest_) {
    for (const std::string& name : manifest_.Files()) {
      if (std::find(keep.begin(), keep.end(), name) == keep.end()) unlink(Path(name).c_str());
    }
  }
  manifest_ = std::move(next);
  have_manifest_ = true;
  return true;
}

void Aof::FinishRewrite(pid_t pid, bool ok) {
  std::string temp = Path("temp-rewriteaof-bg-" + std::to_string(pid) + ".aof");
  std::string error;
  if (ok) ok = InstallBase(temp, logging_ ? &incr_ : nullptr, &error);
  if (!ok) unlink(temp.c_str());
  last_rewrite_time_sec_ = (server_.now_ms() - child_start_ms_) / 1000;
  last_rewrite_ok_ = ok;
  if (!ok) {
    ++rewrite_failures_;
    next_retry_ms_ = server_.now_ms() + kRetryDelayMs;
    LogWarning("Background AOF rewrite failed%s%s", error.empty() ? "" : ": ", error.c_str());
    return;
  }
  rewrite_failures_ = 0;
  ++rewrites_;
  enabling_ = false;
  last_save_ms_ = server_.now_ms();
  dirty_at_save_ = child_dirty_;
  UpdateCurrentSize();
  base_size_ = current_size_;
  LogNotice("Background AOF rewrite finished successfully");
}

std::string Aof::RewriteNow() {
  if (!started_) return std::string(kNotStarted);
  if (child_pid_ > 0) return "ERR Background save already in progress";
  if (logging_ && !WriteBuffer()) return "ERR Can't save: the AOF can't be written";
  std::string error;
  if (!EnsureDir(&error)) return "ERR " + error;
  std::string temp = Path("temp-rewriteaof-" + std::to_string(getpid()) + ".aof");
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "ERR " + Errno("can't create " + temp);
  int64_t started = server_.now_ms();
  bool ok = WriteBaseFile(server_, fd, server_.now_ms(), 0, &error);
  close(fd);
  if (!ok) {
    unlink(temp.c_str());
    return "ERR " + error;
  }
  // With the log on, the snapshot is followed by a new, empty incremental file.
  bool log_after = logging_ || enabling_;
  int new_fd = -1;
  AofManifest::File file;
  if (log_after) {
    int64_t seq = have_manifest_ ? manifest_.NextIncrSeq() : 1;
    if (logging_) seq = std::max(seq, incr_.seq + 1);
    new_fd = CreateIncr(seq, &error);
    if (new_fd < 0) {
      unlink(temp.c_str());
      return "ERR " + error;
    }
    file = AofManifest::File{AofIncrFileName(prefix_, seq), seq};
  }
  std::string previous = logging_ ? incr_.name : std::string();
  if (!InstallBase(temp, log_after ? &file : nullptr, &error)) {
    if (new_fd >= 0) {
      close(new_fd);
      unlink(Path(file.name).c_str());
    }
    return "ERR " + error;
  }
  if (log_after) {
    if (logging_) {
      SwitchLog(new_fd, file);
      if (enabling_) unlink(Path(previous).c_str());
    } else {
      fd_ = new_fd;
      incr_ = file;
      logging_ = true;
      log_db_ = -1;
      StartWorker();
    }
  }
  enabling_ = false;
  ++rewrites_;
  last_rewrite_ok_ = true;
  last_rewrite_time_sec_ = (server_.now_ms() - started) / 1000;
  last_save_ms_ = server_.now_ms();
  dirty_at_save_ = server_.stats().dirty;
  UpdateCurrentSize();
  base_size_ = current_size_;
  return {};
}

void Aof::KillChild() {
  if (child_pid_ <= 0) return;
  pid_t pid = child_pid_;
  kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  child_pid_ = -1;
  unlink(Path("temp-rewriteaof-bg-" + std::to_string(pid) + ".aof").c_str());
  LogNotice("Killed the AOF rewrite child %d", static_cast<int>(pid));
}

void Aof::WaitForRewrite() {
  if (child_pid_ <= 0) return;
  pid_t pid = child_pid_;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  child_pid_ = -1;
  FinishRewrite(pid, WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

uint64_t Aof::GrowthPercent() const {
  // As Redis: with no base yet, growth is measured from one byte.
  uint64_t base = base_size_ > 0 ? base_size_ : 1;
  return current_size_ <= base ? 0 : (current_size_ - base) * 100 / base;
}

bool Aof::RewriteDue() const {
  if (!logging_ || enabling_) return false;
  int64_t percentage = server_.config().GetInt("auto-aof-rewrite-percentage");
  int64_t min_size = server_.config().GetInt("auto-aof-rewrite-min-size");
  if (percentage <= 0 || current_size_ < static_cast<uint64_t>(min_size)) return false;
  return GrowthPercent() >= static_cast<uint64_t>(percentage);
}

void Aof::Cron() {
  if (child_pid_ > 0) {
    int status = 0;
    pid_t pid = child_pid_;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      child_pid_ = -1;
      FinishRewrite(pid, WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
  }
  if (loading_ || shut_down_ || depth_ > 0 || child_pid_ > 0) return;
  int64_t now = server_.now_ms();
  bool retry_due = now >= next_retry_ms_;
  std::string error;
  if (enabling_ && retry_due) {
    error = StartBackgroundRewrite();
  } else if (rewrite_scheduled_) {
    rewrite_scheduled_ = false;
    error = StartBackgroundRewrite();
  } else if (retry_due && RewriteDue()) {
    LogNotice("Starting automatic rewriting of AOF on %llu%% growth",
              static_cast<unsigned long long>(GrowthPercent()));
    error = StartBackgroundRewrite();
  }
  if (!error.empty()) {
    next_retry_ms_ = now + kRetryDelayMs;
    LogWarning("%s", error.c_str());
  }
}

void Aof::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  uv_idle_stop(&idle_);
  KillChild();
  bool all_written = true;
  if (logging_) all_written = WriteBuffer();
  if (worker_) worker_->Stop();
  if (fd_ >= 0) {
    if (fdatasync(fd_) != 0) LogWarning("fsync of the AOF file failed: %s", strerror(errno));
    close(fd_);
    fd_ = -1;
  }
  logging_ = false;
  // Everything written is on disk now.
  if (all_written) {
    for (Session* s : held_) s->ReleaseOutput(UINT64_MAX, UINT64_MAX);
  }
  held_.clear();
  for (uv_handle_t* h :
       {reinterpret_cast<uv_handle_t*>(&async_), reinterpret_cast<uv_handle_t*>(&idle_)}) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
}

// ---------------------------------------------------------------------------------------------
// INFO

std::vector<std::pair<std::string, std::string>> Aof::InfoFields() const {
  std::vector<std::pair<std::string, std::string>> f;
  auto num = [&](std::string name, int64_t value) {
    f.emplace_back(std::move(name), std::to_string(value));
  };
  auto text = [&](std::string name, std::string value) {
    f.emplace_back(std::move(name), std::move(value));
  };
  int64_t now = server_.now_ms();
  bool rewriting = child_pid_ > 0;
  int64_t current_rewrite = rewriting ? (now - child_start_ms_) / 1000 : -1;
  num("loading", loading_ ? 1 : 0);
  num("async_loading", 0);
  num("current_cow_peak", 0);
  num("current_cow_size", 0);
  num("current_cow_size_age", 0);
  text("current_fork_perc", "0.00");
  num("current_save_keys_processed", 0);
  num("current_save_keys_total", 0);
  uint64_t dirty = server_.stats().dirty;
  num("rdb_changes_since_last_save",
      static_cast<int64_t>(dirty >= dirty_at_save_ ? dirty - dirty_at_save_ : 0));
  // The snapshot is the rewrite: BGSAVE starts one, LASTSAVE reports the last one.
  num("rdb_bgsave_in_progress", rewriting ? 1 : 0);
  num("rdb_last_save_time", last_save_ms_ / 1000);
  text("rdb_last_bgsave_status", last_rewrite_ok_ ? "ok" : "err");
  num("rdb_last_bgsave_time_sec", last_rewrite_time_sec_);
  num("rdb_current_bgsave_time_sec", current_rewrite);
  num("rdb_saves", static_cast<int64_t>(rewrites_));
  num("rdb_last_cow_size", 0);
  num("rdb_last_load_keys_expired", 0);
  num("rdb_last_load_keys_loaded", 0);
  // Before Start() (a server that never persists, as in-process tests run) the setting is all
  // there is to report.
  bool on = started_ ? logging_ || enabling_ : server_.config().GetBool("appendonly");
  num("aof_enabled", on ? 1 : 0);
  num("aof_rewrite_in_progress", rewriting ? 1 : 0);
  num("aof_rewrite_scheduled", rewrite_scheduled() ? 1 : 0);
  num("aof_last_rewrite_time_sec", last_rewrite_time_sec_);
  num("aof_current_rewrite_time_sec", current_rewrite);
  text("aof_last_bgrewrite_status", last_rewrite_ok_ ? "ok" : "err");
  num("aof_rewrites", static_cast<int64_t>(rewrites_));
  num("aof_rewrites_consecutive_failures", static_cast<int64_t>(rewrite_failures_));
  text("aof_last_write_status", write_failed_ ? "err" : "ok");
  num("aof_last_cow_size", 0);
  num("module_fork_in_progress", 0);
  num("module_fork_last_cow_size", 0);
  if (on) {
    num("aof_current_size", static_cast<int64_t>(current_size_));
    num("aof_base_size", static_cast<int64_t>(base_size_));
    num("aof_pending_rewrite", rewrite_scheduled() ? 1 : 0);
    num("aof_buffer_length", static_cast<int64_t>(buffer_.size()));
    num("aof_pending_bio_fsync", worker_ && worker_->busy() ? 1 : 0);
    num("aof_delayed_fsync", static_cast<int64_t>(delayed_fsyncs_));
    // Not in Redis: fsyncs the loop ran itself under `always` because nothing else waited.
    num("aof_inline_fsyncs", static_cast<int64_t>(inline_fsyncs_));
    num("aof_deferred_fsyncs", static_cast<int64_t>(deferred_syncs_));
  }
  if (loading_ && loader_) {
    uint64_t total = loader_->total_bytes();
    uint64_t loaded = loader_->loaded_bytes();
    double perc = total > 0 ? 100.0 * static_cast<double>(loaded) / static_cast<double>(total) : 0;
    double elapsed = static_cast<double>(now - loading_start_ms_) / 1000.0;
    int64_t eta = loaded > 0 && total > loaded
                      ? static_cast<int64_t>(elapsed * static_cast<double>(total - loaded) /
                                             static_cast<double>(loaded))
                      : 1;
    char perc_text[32];
    snprintf(perc_text, sizeof(perc_text), "%.2f%%", perc);
    num("loading_start_time", loading_start_ms_ / 1000);
    num("loading_total_bytes", static_cast<int64_t>(total));
    num("loading_rdb_used_mem", 0);
    num("loading_loaded_bytes", static_cast<int64_t>(loaded));
    text("loading_loaded_perc", perc_text);
    num("loading_eta_seconds", eta);
  }
  return f;
}

}  // namespace sluice
