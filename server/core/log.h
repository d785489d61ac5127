// Server log lines in Redis's format: "pid:M dd Mon yyyy hh:mm:ss.mmm * message".
#pragma once

namespace sluice {

enum class LogLevel { kDebug, kVerbose, kNotice, kWarning, kNothing };

void SetLogLevel(LogLevel level);
void SetLogFile(const char* path);
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));
#define LogNotice(...) ::sluice::Log(::sluice::LogLevel::kNotice, __VA_ARGS__)
#define LogWarning(...) ::sluice::Log(::sluice::LogLevel::kWarning, __VA_ARGS__)
#define LogVerbose(...) ::sluice::Log(::sluice::LogLevel::kVerbose, __VA_ARGS__)

}  // namespace sluice
