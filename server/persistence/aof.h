// Durability: the append-only log, Redis 7's multi-part layout (a manifest naming a base file
// and incremental files, see manifest.h) in the directory `appenddirname` under `dir`.
//
// Propagation. Every command that changed the dataset is recorded after it ran, in the form
// that replays to the same result (effects.h): relative expiries as absolute deadlines, blocking
// pops as the pop they performed, commands run by EXEC or a script as themselves wrapped in
// MULTI ... EXEC (EXEC and EVAL are never recorded), SELECT when the database changes. The
// records of one loop iteration are written with one write(2) before any reply is sent.
//
// appendfsync:
//   always    a reply leaves only once the write that produced it is on disk. All writes of an
//             iteration share one fsync, run on a background thread; the sessions that wrote
//             hold their output (and only they: others are served meanwhile) until the fsync
//             covering their records completes, which wakes the loop through a uv_async.
//             When no other client waits for the loop, the loop fsyncs itself (SyncInline).
//   everysec  the background thread fsyncs once a second.
//   no        write(2) only; the kernel decides when data reaches the disk.
// In every mode a reply is never sent before its record is written, so a crash of the process
// alone (not of the machine) loses no acknowledged write.
//
// Compaction (BGREWRITEAOF, BGSAVE, the auto-aof-rewrite-* trigger): the parent opens a new
// incremental file and names it in the manifest, then fork()s; the child writes the snapshot it
// shares copy-on-write as a new base file while the parent keeps appending to the new file; on
// the child's success a new manifest naming only the new base and the new incremental file
// replaces the old one (rename), and the old files are deleted. SAVE does the same in-process.
//
// Loading: at start the manifest's files are replayed (loader.h) in slices from the event loop
// while the listener is open; commands not flagged loading are answered -LOADING meanwhile.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/commands/command.h"
#include "server/persistence/effects.h"
#include "server/persistence/manifest.h"

namespace sluice {

class AofLoader;
class FsyncWorker;
class Server;
class Session;

class Aof : public AofEmitter {
 public:
  explicit Aof(Server& server);
  ~Aof() override;
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // ---- Start-up

  // Reads the manifest (under `dir`, which the server has made its working directory, unless
  // appenddirname is absolute) and starts loading what it names: in slices from the event loop
  // when `in_slices`, else entirely before returning. With appendonly yes the log is opened for
  // appending once loading ends. Returns an error text when nothing can be loaded (unreadable
  // manifest, a listed file missing); a file found corrupt while loading sets failed() and
  // shuts the server down.
  std::string Start(bool in_slices);
  bool loading() const { return loading_; }
  bool failed() const { return failed_; }
  const std::string& failure() const { return failure_; }

  // ---- Dispatcher hooks

  // Commands are refused while loading and while the log cannot be written.
  bool RefusesCommands() const { return loading_ || write_failed_; }
  // The error for a command refused now, or empty.
  std::string Refusal(const CommandSpec& spec) const;

  // Brackets every executed command (nested ones too: EXEC's, scripts'). The records of a
  // top-level command and everything it ran form one unit, wrapped in MULTI/EXEC when it has
  // more than one record; when the unit ends the session's replies wait for the log as the
  // fsync policy requires.
  void EnterCommand(Session& session) {
    if (depth_++ == 0) unit_session_ = &session;
  }
  void ExitCommand(Session& session);
  bool logging() const { return logging_; }
  // Before the handler: state some effects need (which key a blocking pop serves from).
  void BeforeHandler(const CommandContext& ctx) {
    if (logging_ && (ctx.spec.flags & kCmdBlocking)) PrepareEffects(ctx, &effect_state_);
  }
  // Whether a command that ran without error is recorded: a write that changed something, a
  // command that named its effects, or one that changed data WATCH does not see.
  bool ShouldPropagate(const CommandContext& ctx) const {
    if (!ctx.propagate_as.empty()) return true;
    if (!(ctx.spec.flags & kCmdWrite)) return false;
    return !ctx.unchanged || ctx.changed_quietly || ChangesQuietly(ctx);
  }
  // After a command changed the dataset (only called while logging()).
  void Propagate(CommandContext& ctx);
  // An expiry removed a key: recorded as a DEL where it happened.
  void PropagateDeletion(int db, std::string_view key);
  // Records a family writes itself, in database `db` (queues record each state change with the
  // IDs and times they resolved, and their timers change data outside any command). Inside a
  // command they join its unit; work outside commands brackets its records with
  // BeginEffects/EndEffects so they replay as one unit. Nothing happens unless logging().
  void PropagateEffect(int db, std::span<const std::string_view> args);
  void BeginEffects() { ++depth_; }
  void EndEffects();

  // AofEmitter: records in the database of the command being propagated.
  void Emit(std::span<const std::string_view> args) override;
  using AofEmitter::Emit;
  void EmitEncoded(std::string_view commands, size_t count) override;

  // ---- Commands

  // BGREWRITEAOF / BGSAVE: starts a background rewrite as soon as the running command ends.
  // Returns an error text if one is already running.
  std::string RequestBackgroundRewrite();
  // BGSAVE SCHEDULE: after the running rewrite.
  void ScheduleRewrite() { rewrite_scheduled_ = true; }
  // SAVE: rewrites in-process now. Returns an error text on failure.
  std::string RewriteNow();
  bool rewrite_in_progress() const { return child_pid_ > 0; }
  bool rewrite_scheduled() const { return rewrite_scheduled_ || rewrite_requested_; }
  // Waits for a running background rewrite to end and completes it (tests, SHUTDOWN SAVE).
  void WaitForRewrite();
  // LASTSAVE: unix time of the last completed rewrite, or of start-up.
  int64_t last_save_unix() const { return last_save_ms_ / 1000; }

  // ---- Event loop

  // Writes the iteration's records and requests the fsync the policy wants; releases replies.
  void BeforeSleep();
  // Periodic work: finished rewrites, the automatic rewrite trigger, everysec fsyncs.
  void Cron();
  // Writes and fsyncs everything, stops the fsync thread and any rewrite child; releases every
  // held reply. Idempotent.
  void Shutdown();

  // Holds the fsync thread back, as a slow disk would, or lets it go on. Tests use it to see
  // replies wait for the disk however fast the disk is.
  void PauseFsyncThread(bool paused);

  // Bytes recorded but not yet handed to write(2).
  size_t buffer_length() const { return buffer_.size(); }
  // Every field of INFO persistence, in Redis's order.
  std::vector<std::pair<std::string, std::string>> InfoFields() const;

 private:
  enum class Fsync { kAlways, kEverysec, kNo };

  std::string Path(std::string_view name) const;
  bool EnsureDir(std::string* error);
  bool WriteManifest(const AofManifest& manifest, std::string* error);
  int CreateIncr(int64_t seq, std::string* error);
  bool OpenLog(std::string* error);
  void SwitchLog(int fd, AofManifest::File file);
  void CloseLog();
  // write(2) of the pending records; false if some are left (an error is recorded).
  bool WriteBuffer();
  void RequestFsync();
  // Under `always`: fsyncs on the loop thread when nothing else waits for it, or puts the fsync
  // off while requests wait to be served; true if it did either, false to leave it to the worker.
  bool SyncInline();
  void BeginRecords(size_t count);
  void HoldReplies(Session& session);
  void ReleaseHeld();
  void ForgetSession(Session* session);
  void LoadSlice();
  void FinishLoading();
  void ApplyPending();
  std::string StartBackgroundRewrite();
  void FinishRewrite(pid_t pid, bool ok);
  // Names the snapshot in `temp` the new base, followed by `incr` (if any), in a new manifest,
  // and deletes the files the old manifest named that the new one does not.
  bool InstallBase(const std::string& temp, const AofManifest::File* incr, std::string* error);
  void KillChild();
  void StartWorker();
  void OnFsyncDone();
  void UpdateCurrentSize();
  // How far the log has grown past its last base, in percent.
  uint64_t GrowthPercent() const;
  bool RewriteDue() const;

  static void OnAsync(uv_async_t* handle);
  static void OnIdle(uv_idle_t* handle);

  Server& server_;
  Fsync fsync_ = Fsync::kEverysec;

  // Files.
  std::string dir_;
  std::string prefix_;
  AofManifest manifest_;
  bool have_manifest_ = false;
  AofManifest::File incr_;  // the file being appended to
  int fd_ = -1;
  bool logging_ = false;
  bool started_ = false;
  bool shut_down_ = false;

  // Records not yet written, and the log position in bytes since start-up.
  std::string buffer_;
  uint64_t written_ = 0;
  uint64_t fsync_requested_ = 0;
  int64_t last_fsync_request_ms_ = 0;
  int log_db_ = -1;
  int emit_db_ = 0;
  // Under `always`: the log position some held reply waits to see synced.
  uint64_t sync_wanted_ = 0;
  bool write_failed_ = false;
  int write_errno_ = 0;
  int64_t last_write_error_log_ms_ = 0;
  uint64_t delayed_fsyncs_ = 0;
  // Log position made durable by fsyncs the loop ran itself (SyncInline).
  uint64_t inline_synced_ = 0;
  bool inline_fsync_when_idle_ = true;
  uint64_t inline_fsyncs_ = 0;
  int64_t inline_sync_off_until_ms_ = 0;
  // When the pending fsync was first put off (0: it is not), and how many times that happened.
  uint64_t sync_deferred_since_ns_ = 0;
  uint64_t sync_defer_max_ns_ = 200'000;
  // An inline fsync slower than this turns inline fsyncs off for a while (aof-inline-fsync-max-us).
  uint64_t inline_fsync_max_ns_ = 2'000'000;
  uint64_t deferred_syncs_ = 0;
  std::unique_ptr<FsyncWorker> worker_;
  uv_async_t async_;

  // The unit being recorded.
  int depth_ = 0;
  Session* unit_session_ = nullptr;
  size_t unit_start_ = 0;
  size_t unit_records_ = 0;
  bool unit_wrapped_ = false;
  EffectState effect_state_;

  // Sessions whose replies wait for the log.
  std::vector<Session*> held_;

  // Work deferred to the end of the running command.
  bool rewrite_requested_ = false;
  bool rewrite_scheduled_ = false;
  bool appendonly_changed_ = false;

  // Rewrites.
  pid_t child_pid_ = -1;
  // CONFIG SET appendonly yes: the log starts with a snapshot; until that rewrite completes the
  // manifest does not name the file being appended to.
  bool enabling_ = false;
  int64_t child_start_ms_ = 0;
  uint64_t child_dirty_ = 0;
  int64_t last_rewrite_time_sec_ = -1;
  bool last_rewrite_ok_ = true;
  uint64_t rewrites_ = 0;
  uint64_t rewrite_failures_ = 0;  // consecutive
  int64_t next_retry_ms_ = 0;
  uint64_t current_size_ = 0;
  uint64_t base_size_ = 0;
  int64_t last_save_ms_ = 0;
  uint64_t dirty_at_save_ = 0;

  // Loading.
  bool loading_ = false;
  bool failed_ = false;
  std::string failure_;
  std::unique_ptr<AofLoader> loader_;
  int64_t loading_start_ms_ = 0;
  uv_idle_t idle_;
};

}  // namespace sluice
