// A clock for measuring how long commands take: every command reads it twice (and every
// command a script calls, twice more), so its cost shows in every command's.
#pragma once

#include <cstdint>

namespace sluice {

// Microseconds from an arbitrary origin, never going back. Where the kernel keeps time with the
// processor's time-stamp counter (invariant, and chosen as the clocksource, so it runs at a
// constant rate and agrees across cores), the counter is read directly and converted at a rate
// measured against CLOCK_MONOTONIC: a read costs about two thirds of a clock_gettime. Until the
// rate is measured (the first 100 ms) and wherever the counter is not trusted, CLOCK_MONOTONIC
// answers. An answer is never below one already given, so a duration is never negative.
class DurationClock {
 public:
  // Whether this machine's time-stamp counter may be used (the CPU's flags and the kernel's
  // clocksource).
  static bool TicksUsable();

  explicit DurationClock(bool ticks_usable = TicksUsable()) : ticks_usable_(ticks_usable) {}

  int64_t NowUs() {
    if (us_per_tick_ > 0) return NowUsAt(ReadTicks());
    return NowUsCalibrating();
  }

  // The time at counter value `ticks` (only once calibrated()), never below an answer already
  // given: a core whose counter is a few ticks behind the one that answered last.
  int64_t NowUsAt(uint64_t ticks) {
    int64_t now = FromTicks(ticks);
    if (now < last_us_) return last_us_;
    last_us_ = now;
    return now;
  }

  bool calibrated() const { return us_per_tick_ > 0; }
  double us_per_tick() const { return us_per_tick_; }

  // One calibration sample: the counter read just before and just after CLOCK_MONOTONIC read
  // `reference_ns`. Returns the time in microseconds that sample stands for. NowUs feeds it
  // while calibrating; tests feed it directly.
  int64_t Sample(uint64_t ticks_before, int64_t reference_ns, uint64_t ticks_after);

  // The counter converted with the measured rate (only once calibrated()). Signed: a core
  // whose counter is a few ticks behind the calibrating one's gives a time just before.
  int64_t FromTicks(uint64_t ticks) const {
    auto elapsed = static_cast<int64_t>(ticks - base_ticks_);
    return base_us_ + static_cast<int64_t>(static_cast<double>(elapsed) * us_per_tick_);
  }

  // How long the reference must run before the rate is taken from it, and how wide (as a
  // fraction of that span) a sample's two counter reads may be apart: a read interrupted by
  // the scheduler would skew the rate, so such a sample is not used.
  static constexpr int64_t kCalibrationNs = 100'000'000;
  // The first sample must be narrower than this: a few microseconds at any rate this runs at.
  static constexpr uint64_t kMaxStartSpreadTicks = 10'000;
  static constexpr uint64_t kMaxSpreadDivisor = 100'000;

 private:
  static uint64_t ReadTicks() {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
  }
  int64_t NowUsCalibrating();

  bool ticks_usable_;
  double us_per_tick_ = 0;
  uint64_t base_ticks_ = 0;
  int64_t base_us_ = 0;
  int64_t last_us_ = 0;  // the latest answer
  // The first usable sample: the start of the calibration span.
  bool started_ = false;
  uint64_t start_ticks_ = 0;
  int64_t start_ns_ = 0;
};

}  // namespace sluice
