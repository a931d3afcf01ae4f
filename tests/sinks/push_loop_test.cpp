#include "sinks/push_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace logtally::sinks {
namespace {

using std::chrono::milliseconds;

TEST(PushLoop, PushesEveryIntervalAndOnceMoreAtStop) {
  std::atomic<int> periodic{0};
  std::atomic<int> finals{0};
  PushLoop loop("t", milliseconds(20), [&](bool final) { (final ? finals : periodic)++; });
  const auto t0 = std::chrono::steady_clock::now();
  loop.start();
  // Bounded wait (the machine is shared; do not assume exact scheduling).
  while (periodic < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
    std::this_thread::sleep_for(milliseconds(1));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  loop.stop();
  EXPECT_GE(periodic.load(), 3);
  EXPECT_GE(elapsed, milliseconds(60));  // Three pushes need three intervals.
  EXPECT_EQ(finals.load(), 1);
  loop.stop();  // Idempotent: no second final push.
  EXPECT_EQ(finals.load(), 1);
}

TEST(PushLoop, StopBeforeFirstIntervalStillPushesFinalState) {
  std::vector<bool> calls;
  {
    PushLoop loop("t", milliseconds(60000), [&](bool final) { calls.push_back(final); });
    loop.start();
    const auto t0 = std::chrono::steady_clock::now();
    loop.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1000));
  }
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0]);
}

TEST(PushLoop, NeverStartedMeansNoPush) {
  int calls = 0;
  {
    PushLoop loop("t", milliseconds(10), [&](bool) { ++calls; });
  }
  EXPECT_EQ(calls, 0);
}

TEST(PushLoop, WaitForEndsAtOnceWhenStopped) {
  // A push that "retries" with a long backoff: stop() must cut the wait short.
  std::atomic<bool> in_push{false};
  std::atomic<bool> wait_result{true};
  PushLoop* self = nullptr;
  PushLoop loop("t", milliseconds(5), [&](bool final) {
    if (final) return;
    in_push = true;
    wait_result = self->wait_for(milliseconds(60000));
  });
  self = &loop;
  loop.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!in_push && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  ASSERT_TRUE(in_push.load()) << "no periodic push started within 10 s";
  const auto t0 = std::chrono::steady_clock::now();
  loop.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1000));
  EXPECT_FALSE(wait_result.load());
  EXPECT_TRUE(loop.stopping());
}

TEST(PushLoop, PushesNeverOverlap) {
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> calls{0};
  PushLoop loop("t", milliseconds(1), [&](bool) {
    ++calls;
    const int n = ++inside;
    if (n > max_inside) max_inside = n;
    std::this_thread::sleep_for(milliseconds(3));
    --inside;
  });
  loop.start();
  // Overlap could only show with several pushes: wait for five (each longer than the interval).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (calls < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  loop.stop();
  ASSERT_GE(calls.load(), 6) << "fewer than 5 periodic pushes within 10 s";  // + the final one
  EXPECT_EQ(max_inside.load(), 1);
}

}  // namespace
}  // namespace logtally::sinks
