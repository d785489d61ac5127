#include "server/core/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace sluice {
namespace {

LogLevel g_level = LogLevel::kNotice;
FILE* g_file = nullptr;

}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }

void SetLogFile(const char* path) {
  if (path == nullptr || path[0] == '\0') return;
  FILE* f = fopen(path, "a");
  if (f != nullptr) g_file = f;
}

void Log(LogLevel level, const char* format, ...) {
  if (level < g_level || level == LogLevel::kNothing) return;
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  char message[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(message, sizeof(message), format, ap);
  va_end(ap);
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm local;
  localtime_r(&tv.tv_sec, &local);
  char when[64];
  size_t n = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &local);
  snprintf(when + n, sizeof(when) - n, "%03d", static_cast<int>(tv.tv_usec / 1000));
  FILE* out = g_file != nullptr ? g_file : stdout;
  fprintf(out, "%d:M %s %c %s\n", static_cast<int>(getpid()), when, kMarks[static_cast<int>(level)],
          message);
  fflush(out);
}

}  // namespace sluice
