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

}  // namespace
}  // namespace logtally::core
