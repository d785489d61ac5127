// The clock commands are timed with: calibration from samples, and the real clock.
#include "server/util/duration_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace sluice {
namespace {

constexpr int64_t kMs = 1'000'000;  // in nanoseconds

TEST(DurationClockTest, AnswersTheReferenceUntilTheSpanIsLongEnough) {
  DurationClock clock(/*ticks_usable=*/true);
  EXPECT_EQ(clock.Sample(1000, 5 * kMs, 1100), 5000);
  EXPECT_FALSE(clock.calibrated());
  // 99 ms later: not yet.
  EXPECT_EQ(clock.Sample(300'001'000, 104 * kMs, 300'001'100), 104'000);
  EXPECT_FALSE(clock.calibrated());
}

TEST(DurationClockTest, RateComesFromTheMiddlesOfTheSamples) {
  DurationClock clock(/*ticks_usable=*/true);
  // 3 ticks per nanosecond: 3,000 per microsecond.
  clock.Sample(1000, 1 * kMs, 1100);  // middle 1050
  int64_t at = clock.Sample(1050 + 300'000'000 - 50, 101 * kMs, 1050 + 300'000'000 + 50);
  ASSERT_TRUE(clock.calibrated());
  EXPECT_EQ(at, 101'000);
  EXPECT_DOUBLE_EQ(clock.us_per_tick(), 1.0 / 3000);
  // Continues from the last sample: 3,000 ticks later is one microsecond later.
  EXPECT_EQ(clock.FromTicks(1050 + 300'000'000), 101'000);
  EXPECT_EQ(clock.FromTicks(1050 + 300'000'000 + 3'000'000), 102'000);
  // A counter a little behind (another core) converts to a time just before, not a huge one...
  EXPECT_EQ(clock.FromTicks(1050 + 300'000'000 - 30'000), 100'990);
  // ... and is answered with the latest time already given, so no duration is negative.
  EXPECT_EQ(clock.NowUsAt(1050 + 300'000'000 + 3'000'000), 102'000);
  EXPECT_EQ(clock.NowUsAt(1050 + 300'000'000 + 2'970'000), 102'000);
  EXPECT_EQ(clock.NowUsAt(1050 + 300'000'000 + 6'000'000), 103'000);
}

TEST(DurationClockTest, InterruptedSamplesAreNotUsed) {
  DurationClock clock(/*ticks_usable=*/true);
  // Too wide to start from.
  clock.Sample(0, 1 * kMs, 20'000);
  clock.Sample(400'000'000, 200 * kMs, 400'000'100);  // this one starts the span
  EXPECT_FALSE(clock.calibrated());
  // Long enough, but its reads are 1 ms apart: the scheduler ran something in between.
  clock.Sample(700'000'000, 300 * kMs, 703'000'000);
  EXPECT_FALSE(clock.calibrated());
  // Counter going back within a sample.
  clock.Sample(800'000'000, 350 * kMs, 799'000'000);
  EXPECT_FALSE(clock.calibrated());
  clock.Sample(1'000'000'000, 400 * kMs, 1'000'000'100);
  ASSERT_TRUE(clock.calibrated());
  EXPECT_DOUBLE_EQ(clock.us_per_tick(), 200'000.0 / 600'000'000);
}

TEST(DurationClockTest, UnusableCounterKeepsTheReference) {
  DurationClock clock(/*ticks_usable=*/false);
  int64_t first = clock.NowUs();
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  int64_t second = clock.NowUs();
  EXPECT_FALSE(clock.calibrated());
  EXPECT_GE(second - first, 120'000);
}

TEST(DurationClockTest, RealClockMeasuresASleep) {
  DurationClock clock;
  // Past the calibration span (where the counter is usable, it takes over here).
  clock.NowUs();
  std::this_thread::sleep_for(std::chrono::milliseconds(110));
  for (int i = 0; i < 100 && !clock.calibrated(); ++i) clock.NowUs();
  EXPECT_EQ(clock.calibrated(), DurationClock::TicksUsable());
  int64_t before = clock.NowUs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int64_t after = clock.NowUs();
  // A sleep lasts at least what was asked; the measured rate is within a few parts per million.
  EXPECT_GE(after - before, 19'990);
  EXPECT_LT(after - before, 10'000'000);
}

}  // namespace
}  // namespace sluice
