#include "sinks/exposition/openmetrics.h"

#include <gtest/gtest.h>

#include "sinks/exposition/exposition.h"

namespace logtally::sinks {
namespace {

TEST(OpenMetricsTest, NegotiatesFromAccept) {
  // What Prometheus 2.x sends when it may scrape OpenMetrics.
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                             "*/*;q=0.1"),
            ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(negotiate_format("application/openmetrics-text"), ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(negotiate_format(""), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("*/*"), ExpositionFormat::kText004);  // curl's default.
  EXPECT_EQ(negotiate_format("text/plain;version=0.0.4"), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("text/plain;q=1, application/openmetrics-text;q=0.5"),
            ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;q=0"), ExpositionFormat::kText004);
}

std::string key_of(std::initializer_list<std::string_view> values) {
  core::LabelKey k;
  for (std::string_view v : values) k.add(v);
  return std::string(k.view());
}

TEST(OpenMetricsTest, ExactTextForEachType) {
  core::MetricSpec counter;
  counter.name = "reqs_total";
  counter.help = "Requests \"quoted\".";
  counter.label_names = {"path"};
  core::MetricSpec bare;
  bare.name = "events";  // A counter without _total: `unknown` keeps the series name.
  bare.help = "Events.";
  core::MetricSpec hist;
  hist.name = "dur_seconds";
  hist.help = "Durations.";
  hist.type = core::MetricType::kHistogram;
  hist.buckets = {0.5};
  core::MetricSpec gauge;
  gauge.name = "depth";
  gauge.help = "Depth.";
  gauge.type = core::MetricType::kGauge;
  core::MetricStore store({counter, bare, hist, gauge}, {"in"}, {"p"}, 1);
  core::MetricShard& s = store.shard(0);
  s.counter_add(0, s.series(0, key_of({"a\"b\\c\nd"})), 2);
  s.counter_add(1, s.series(1, key_of({})), 5);
  const uint32_t h = s.series(2, key_of({}));
  for (double v : {0.1, 3.0}) s.histogram_observe(2, h, v);
  s.gauge_update(3, s.series(3, key_of({})), -1.25, 1);

  std::vector<prometheus::MetricFamily> families = to_families(store, store.snapshot());
  families.resize(4);  // The user metrics; self-metrics follow the same rules.
  EXPECT_EQ(to_openmetrics(families),
            "# TYPE reqs counter\n"
            "# HELP reqs Requests \\\"quoted\\\".\n"
            "reqs_total{path=\"a\\\"b\\\\c\\nd\"} 2\n"
            "# TYPE events unknown\n"
            "# HELP events Events.\n"
            "events 5\n"
            "# TYPE dur_seconds histogram\n"
            "# HELP dur_seconds Durations.\n"
            "dur_seconds_bucket{le=\"0.5\"} 1\n"
            "dur_seconds_bucket{le=\"+Inf\"} 2\n"
            "dur_seconds_count 2\n"
            "dur_seconds_sum 3.1\n"
            "# TYPE depth gauge\n"
            "# HELP depth Depth.\n"
            "depth -1.25\n"
            "# EOF\n");

  // With a creation time, counters typed `counter` and histograms carry `_created`.
  store.set_created_unix_ms(1700000000250);
  const core::Snapshot snap = store.snapshot();
  EXPECT_EQ(created_times(snap)("reqs_total"), 1700000000.25);
  EXPECT_EQ(created_times(snap)("logtally_records_total"), 1700000000.25);
  EXPECT_EQ(to_openmetrics(families, created_times(snap)),
            "# TYPE reqs counter\n"
            "# HELP reqs Requests \\\"quoted\\\".\n"
            "reqs_total{path=\"a\\\"b\\\\c\\nd\"} 2\n"
            "reqs_created{path=\"a\\\"b\\\\c\\nd\"} 1700000000.25\n"
            "# TYPE events unknown\n"
            "# HELP events Events.\n"
            "events 5\n"
            "# TYPE dur_seconds histogram\n"
            "# HELP dur_seconds Durations.\n"
            "dur_seconds_bucket{le=\"0.5\"} 1\n"
            "dur_seconds_bucket{le=\"+Inf\"} 2\n"
            "dur_seconds_count 2\n"
            "dur_seconds_sum 3.1\n"
            "dur_seconds_created 1700000000.25\n"
            "# TYPE depth gauge\n"
            "# HELP depth Depth.\n"
            "depth -1.25\n"
            "# EOF\n");
  store.set_created_unix_ms(0);
  EXPECT_EQ(created_times(store.snapshot())("reqs_total"), std::nullopt);
}

}  // namespace
}  // namespace logtally::sinks
