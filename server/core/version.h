// The Redis version Sluice reports: libraries compare it before using Redis 7 commands.
#pragma once

namespace sluice {

inline constexpr const char* kRedisCompatVersion = "7.0.15";
inline constexpr const char* kSluiceVersion = SLUICE_VERSION;

}  // namespace sluice
