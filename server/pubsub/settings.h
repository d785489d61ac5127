// The two pub/sub related configuration values that have a syntax of their own:
// notify-keyspace-events (event class letters) and client-output-buffer-limit (per client class
// hard limit, soft limit and soft seconds). Config uses the normalizers so CONFIG GET shows what
// Redis shows; the pub/sub registry parses the stored values into the form it checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Keyspace notification classes, one bit per notify-keyspace-events letter.
enum NotifyClass : int {
  kNotifyKeyspace = 1 << 0,  // K: __keyspace@<db>__:<key> channels
  kNotifyKeyevent = 1 << 1,  // E: __keyevent@<db>__:<event> channels
  kNotifyGeneric = 1 << 2,   // g: DEL, EXPIRE, RENAME...
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZSet = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m (not part of A)
  kNotifyModule = 1 << 13,   // d
  kNotifyNew = 1 << 14,      // n (not part of A)
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZSet | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// Parses notify-keyspace-events letters; false on a character that is not a class.
bool ParseNotifyFlags(std::string_view text, int* flags);
// The canonical spelling CONFIG GET reports ("AKE" for "KEA").
std::string FormatNotifyFlags(int flags);

enum class ClientClass { kNormal = 0, kReplica = 1, kPubSub = 2 };

struct OutputBufferLimit {
  int64_t hard_bytes = 0;  // 0: no hard limit
  int64_t soft_bytes = 0;  // 0: no soft limit
  int64_t soft_seconds = 0;
};

struct OutputBufferLimits {
  OutputBufferLimit by_class[3];
  const OutputBufferLimit& of(ClientClass c) const { return by_class[static_cast<int>(c)]; }
};

// Applies "class hard soft seconds [class hard soft seconds ...]" on top of `limits`: classes
// not named keep their values. Sizes take memory units (32mb, 1gb, 100k). All groups are
// checked before any is applied; on failure `error` holds Redis's message.
bool ParseOutputBufferLimits(const std::vector<std::string_view>& words, OutputBufferLimits* limits,
                             std::string* error);
// "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
std::string FormatOutputBufferLimits(const OutputBufferLimits& limits);

// Config normalizers: turn what CONFIG SET or a config file line gave into the stored value.
bool NormalizeNotifyKeyspaceEvents(const std::string& current,
                                   const std::vector<std::string>& words, std::string* out,
                                   std::string* error);
bool NormalizeOutputBufferLimits(const std::string& current, const std::vector<std::string>& words,
                                 std::string* out, std::string* error);

}  // namespace sluice
