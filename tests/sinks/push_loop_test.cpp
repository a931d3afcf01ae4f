#include "sinks/push_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace logtally::sinks {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// One flush as a fake sink saw it.
struct Seen {
  bool final = false;
  const core::Snapshot* snapshot = nullptr;  ///< Identity of the merge (same tick, same object).
  double value = -1;                         ///< hits_total{} in it (-1: no series).
  Clock::time_point at;
};

// A pushing sink that records its flushes; `retries` answers ask the loop for a retry first.
class FakeSink final : public PushSink {
 public:
  explicit FakeSink(milliseconds interval) : interval_(interval) {}
  std::string describe() const override { return "fake"; }
  milliseconds interval() const override { return interval_; }
  FlushResult flush(const core::Snapshot& snapshot, bool final) override {
    std::lock_guard lock(mu_);
    Seen s;
    s.final = final;
    s.snapshot = &snapshot;
    if (!snapshot.metrics.empty() && !snapshot.metrics[0].series.empty())
      s.value = snapshot.metrics[0].series[0].value;
    s.at = Clock::now();
    if (on_flush) std::exchange(on_flush, nullptr)();
    seen_.push_back(s);
    cv_.notify_all();
    if (retries_ > 0 && !final) {
      --retries_;
      return {false, retry_in_};
    }
    return {};
  }

  std::function<void()> on_flush;  ///< Run once, inside the next flush.

  void ask_retries(int n, milliseconds in) {
    std::lock_guard lock(mu_);
    retries_ = n;
    retry_in_ = in;
  }
  /// Waits until `n` flushes were seen; false after 10 s (the machine is shared: generous).
  bool wait_flushes(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return seen_.size() >= n; });
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
  int retries_ = 0;
  milliseconds retry_in_{0};
};

core::MetricSpec hits() {
  core::MetricSpec c;
  c.name = "hits_total";
  return c;
}

void add_hits(core::MetricStore& store, double n) {
  core::MetricShard& shard = store.shard(0);
  std::lock_guard lock(shard.mutex());
  shard.counter_add(0, shard.series(0, ""), n);
}

TEST(PushLoop, FlushesEveryIntervalAndOnceMoreAtStop) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  FakeSink sink(milliseconds(20));
  PushLoop loop(store, {&sink});
  const auto t0 = Clock::now();
  loop.start();
  ASSERT_TRUE(sink.wait_flushes(3));
  add_hits(store, 7);
  loop.stop();
  const std::vector<Seen> seen = sink.seen();
  ASSERT_GE(seen.size(), 4u);
  for (size_t i = 0; i + 1 < seen.size(); ++i) EXPECT_FALSE(seen[i].final);
  EXPECT_GE(seen[2].at - t0, milliseconds(60));  // Three flushes need three intervals.
  EXPECT_TRUE(seen.back().final);
  EXPECT_EQ(seen.back().value, 7);  // The final flush carries the final state.
  loop.stop();                      // Idempotent: no second final flush.
  EXPECT_EQ(sink.seen().size(), seen.size());
}

TEST(PushLoop, StopBeforeFirstIntervalStillFlushesFinalState) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  FakeSink sink(milliseconds(60000));
  {
    PushLoop loop(store, {&sink});
    loop.start();
    add_hits(store, 3);
    const auto t0 = Clock::now();
    loop.stop();
    EXPECT_LT(Clock::now() - t0, milliseconds(1000));
  }
  const std::vector<Seen> seen = sink.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].final);
  EXPECT_EQ(seen[0].value, 3);
}

TEST(PushLoop, NeverStartedMeansNoFlush) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  FakeSink sink(milliseconds(10));
  { PushLoop loop(store, {&sink}); }
  EXPECT_TRUE(sink.seen().empty());
}

TEST(PushLoop, SinksDueAtOneTickShareOneMergeAndTheFinalOneToo) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  add_hits(store, 2);
  FakeSink a(milliseconds(30));
  FakeSink b(milliseconds(30));
  FakeSink slow(std::chrono::hours(1));  // Due only at stop.
  PushLoop loop(store, {&a, &b, &slow});
  loop.start();
  ASSERT_TRUE(b.wait_flushes(2));
  loop.stop();
  const std::vector<Seen> sa = a.seen();
  const std::vector<Seen> sb = b.seen();
  const std::vector<Seen> ss = slow.seen();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].snapshot, sb[i].snapshot) << "flush " << i;
    EXPECT_EQ(sa[i].final, sb[i].final);
    EXPECT_EQ(sa[i].value, 2);
  }
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_TRUE(ss[0].final);
  EXPECT_EQ(ss[0].snapshot, sa.back().snapshot);  // One final merge for all.
}

TEST(PushLoop, ExpiresBeforeEachMerge) {
  core::MetricSpec spec = hits();
  spec.expire_after_ms = 1;
  core::MetricStore store({spec}, {"in"}, {"p"}, 1);
  {
    core::MetricShard& shard = store.shard(0);
    std::lock_guard lock(shard.mutex());
    shard.set_now(core::MetricStore::steady_now_ms() - 60'000);  // Updated a minute ago.
    shard.counter_add(0, shard.series(0, ""), 5);
  }
  EXPECT_EQ(store.snapshot().metrics[0].series.size(), 1u);  // snapshot() removes nothing.
  FakeSink sink(std::chrono::hours(1));
  PushLoop loop(store, {&sink});
  loop.start();
  loop.stop();
  ASSERT_EQ(sink.seen().size(), 1u);
  EXPECT_EQ(sink.seen()[0].value, -1);  // Expired before the final merge.
}

TEST(PushLoop, RetryComesAfterTheDelayAskedWithAFreshMerge) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  FakeSink sink(milliseconds(20));
  sink.ask_retries(2, milliseconds(40));
  // Counted while the first flush runs: only a fresh merge can show it to the retries.
  sink.on_flush = [&] { add_hits(store, 4); };
  PushLoop loop(store, {&sink});
  loop.start();
  ASSERT_TRUE(sink.wait_flushes(3));
  loop.stop();
  const std::vector<Seen> seen = sink.seen();
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen[0].value, -1);
  EXPECT_GE(seen[1].at - seen[0].at, milliseconds(40));
  EXPECT_GE(seen[2].at - seen[1].at, milliseconds(40));
  EXPECT_EQ(seen[1].value, 4);
  EXPECT_EQ(seen[2].value, 4);
  EXPECT_TRUE(seen.back().final);
}

TEST(PushLoop, StopAbandonsAPendingRetryAtOnce) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  FakeSink sink(milliseconds(5));
  sink.ask_retries(1000, milliseconds(60000));  // A long backoff.
  PushLoop loop(store, {&sink});
  loop.start();
  ASSERT_TRUE(sink.wait_flushes(1));
  const auto t0 = Clock::now();
  loop.stop();
  EXPECT_LT(Clock::now() - t0, milliseconds(1000));
  const std::vector<Seen> seen = sink.seen();
  ASSERT_EQ(seen.size(), 2u);  // The first flush (which asked for a retry) and the final one.
  EXPECT_FALSE(seen[0].final);
  EXPECT_TRUE(seen[1].final);
}

TEST(PushLoop, NoSinksNoThreadNoMerge) {
  core::MetricStore store({hits()}, {"in"}, {"p"}, 1);
  PushLoop loop(store, {});
  loop.start();
  loop.stop();
  SUCCEED();
}

}  // namespace
}  // namespace logtally::sinks
