#include "core/self_metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace logtally::core {
namespace {

TEST(SelfMetricsTest, SameNameAndLabelsGiveTheSameValue) {
  SelfMetrics m;
  SelfMetrics::Value& a = m.counter("x_total", "X.", {{"partition", "0"}});
  SelfMetrics::Value& b = m.counter("x_total", "X.", {{"partition", "0"}});
  SelfMetrics::Value& c = m.counter("x_total", "X.", {{"partition", "1"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.add(2);
  b.add(3);
  c.add(1);
  m.gauge("lag", "Lag.", {{"partition", "1"}}).set(7);
  m.gauge("lag", "Lag.", {{"partition", "0"}}).set(4);

  const auto families = m.collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "x_total");
  EXPECT_EQ(families[0].kind, SelfMetrics::Kind::kCounter);
  ASSERT_EQ(families[0].series.size(), 2u);
  EXPECT_EQ(families[0].series[0].labels, (SelfMetrics::Labels{{"partition", "0"}}));
  EXPECT_EQ(families[0].series[0].value, 5);
  EXPECT_EQ(families[0].series[1].value, 1);
  EXPECT_EQ(families[1].name, "lag");
  EXPECT_EQ(families[1].kind, SelfMetrics::Kind::kGauge);
  // Sorted by labels, not by registration order.
  EXPECT_EQ(families[1].series[0].labels, (SelfMetrics::Labels{{"partition", "0"}}));
  EXPECT_EQ(families[1].series[0].value, 4);
  EXPECT_EQ(families[1].series[1].value, 7);
}

TEST(SelfMetricsTest, AddsFromSeveralThreadsAreNotLost) {
  SelfMetrics m;
  SelfMetrics::Value& v = m.counter("sent_total", "Sent.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) v.add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.collect()[0].series[0].value, 40000);
}

TEST(SelfMetricsDeathTest, OneNameCannotBeBothKinds) {
  SelfMetrics m;
  m.counter("a_total", "A.");
  EXPECT_DEATH(m.gauge("a_total", "A."), "different types");
}

// Checkpoints: every counter is exported (no gauge); a restored value is added to a counter
// already registered, and waits for one registered later (a Kafka partition assigned after the
// restore), staying in the export until then.
TEST(SelfMetricsTest, RestoredCountersWaitForTheirRegistration) {
  SelfMetrics before;
  before.counter("sends_total", "S.", {{"sink", "tf"}}).add(3);
  before.counter("msgs_total", "M.", {{"partition", "2"}}).add(40);
  before.gauge("lag", "L.", {{"partition", "2"}}).set(9);
  std::vector<SelfMetrics::SavedCounter> saved = before.export_counters();
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved[0].name, "sends_total");
  EXPECT_EQ(saved[0].value, 3);
  EXPECT_EQ(saved[1].name, "msgs_total");
  EXPECT_EQ(saved[1].value, 40);

  SelfMetrics after;
  SelfMetrics::Value& sends = after.counter("sends_total", "S.", {{"sink", "tf"}});
  sends.add(1);
  after.gauge("lag", "L.", {{"partition", "2"}});
  after.restore_counters(saved);
  EXPECT_EQ(sends.get(), 4);
  EXPECT_EQ(after.gauge("lag", "L.", {{"partition", "2"}}).get(), 0);
  // Not registered yet: still in the export with its saved value.
  auto again = after.export_counters();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].name, "msgs_total");
  EXPECT_EQ(again[1].labels, (SelfMetrics::Labels{{"partition", "2"}}));
  EXPECT_EQ(again[1].value, 40);
  // Another partition does not take it; its own registration does, once.
  EXPECT_EQ(after.counter("msgs_total", "M.", {{"partition", "3"}}).get(), 0);
  SelfMetrics::Value& p2 = after.counter("msgs_total", "M.", {{"partition", "2"}});
  EXPECT_EQ(p2.get(), 40);
  p2.add(2);
  EXPECT_EQ(after.counter("msgs_total", "M.", {{"partition", "2"}}).get(), 42);
  again = after.export_counters();
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].value, 4);
  EXPECT_EQ(again[1].value, 0);   // partition 3
  EXPECT_EQ(again[2].value, 42);  // partition 2
}

}  // namespace
}  // namespace logtally::core
