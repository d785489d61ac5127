#include "server/util/duration_clock.h"

#include <time.h>

#include <fstream>
#include <string>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace sluice {

bool DurationClock::TicksUsable() {
#if defined(__x86_64__)
  // Invariant TSC (CPUID 0x80000007, EDX bit 8): the rate does not change with power states.
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) == 0 || (edx & (1u << 8)) == 0) {
    return false;
  }
  // The kernel keeps time with it only after checking that the cores agree and that it is
  // stable (under a hypervisor too); otherwise it has picked another clocksource.
  std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  return static_cast<bool>(source >> name) && name == "tsc";
#else
  return false;
#endif
}

int64_t DurationClock::Sample(uint64_t ticks_before, int64_t reference_ns, uint64_t ticks_after) {
  int64_t reference_us = reference_ns / 1000;
  if (ticks_after < ticks_before) return reference_us;
  uint64_t spread = ticks_after - ticks_before;
  uint64_t middle = ticks_before + spread / 2;
  if (!started_) {
    if (spread > kMaxStartSpreadTicks) return reference_us;  // interrupted
    started_ = true;
    start_ticks_ = middle;
    start_ns_ = reference_ns;
    return reference_us;
  }
  int64_t span_ns = reference_ns - start_ns_;
  if (span_ns < kCalibrationNs || middle <= start_ticks_) return reference_us;
  uint64_t span_ticks = middle - start_ticks_;
  if (spread > span_ticks / kMaxSpreadDivisor) return reference_us;
  us_per_tick_ = static_cast<double>(span_ns) / 1000.0 / static_cast<double>(span_ticks);
  // Continues from this sample's time, so the answers do not jump when the counter takes over.
  base_ticks_ = middle;
  base_us_ = reference_us;
  return reference_us;
}

int64_t DurationClock::NowUsCalibrating() {
  timespec ts;
  if (!ticks_usable_) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  }
  uint64_t before = ReadTicks();
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t after = ReadTicks();
  // CLOCK_MONOTONIC does not go back; the counter's answers start from the last of its.
  last_us_ = Sample(before, static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec, after);
  return last_us_;
}

}  // namespace sluice
