#include "sinks/exposition/exposition.h"

#include <gtest/gtest.h>

namespace logtally::sinks {
namespace {

std::string key_of(std::initializer_list<std::string_view> values) {
  core::LabelKey k;
  for (std::string_view v : values) k.add(v);
  return std::string(k.view());
}

TEST(ExpositionTest, ExactTextWithEscapingHistogramsAndSelfMetrics) {
  core::MetricSpec counter;
  counter.name = "reqs_total";
  counter.help = "Requests with \\ and\nnewline.";
  counter.label_names = {"path", "status"};
  core::MetricSpec hist;
  hist.name = "dur_seconds";
  hist.help = "Durations.";
  hist.type = core::MetricType::kHistogram;
  hist.buckets = {0.005, 0.5};
  core::MetricSpec gauge;
  gauge.name = "depth";
  gauge.help = "Depth.";
  gauge.type = core::MetricType::kGauge;
  core::MetricStore store({counter, hist, gauge}, {"in"}, {"p"}, 1);
  core::MetricShard& s = store.shard(0);
  s.counter_add(0, s.series(0, key_of({"a\"b\\c\nd", "200"})), 2);
  s.counter_add(0, s.series(0, key_of({"/x", ""})), 1);
  const uint32_t h = s.series(1, key_of({}));
  for (double v : {0.001, 0.005, 0.2, 3.0}) s.histogram_observe(1, h, v);
  s.gauge_update(2, s.series(2, key_of({})), -1.25, 1);
  s.count_source(0, 9, 321);
  s.count_dropped(0, core::DropReason::kInvalidJson, 4);
  s.count_filtered(0, 3);

  const std::string expected =
      "# HELP reqs_total Requests with \\\\ and\\nnewline.\n"
      "# TYPE reqs_total counter\n"
      "reqs_total{path=\"/x\"} 1\n"
      "reqs_total{path=\"a\\\"b\\\\c\\nd\",status=\"200\"} 2\n"
      "# HELP dur_seconds Durations.\n"
      "# TYPE dur_seconds histogram\n"
      "dur_seconds_count 4\n"
      "dur_seconds_sum 3.206\n"
      "dur_seconds_bucket{le=\"0.005\"} 2\n"
      "dur_seconds_bucket{le=\"0.5\"} 3\n"
      "dur_seconds_bucket{le=\"+Inf\"} 4\n"
      "# HELP depth Depth.\n"
      "# TYPE depth gauge\n"
      "depth -1.25\n"
      "# HELP logtally_records_total Records (lines) read, per source.\n"
      "# TYPE logtally_records_total counter\n"
      "logtally_records_total{source=\"in\"} 9\n"
      "# HELP logtally_bytes_total Bytes read, per source.\n"
      "# TYPE logtally_bytes_total counter\n"
      "logtally_bytes_total{source=\"in\"} 321\n"
      "# HELP logtally_records_dropped_total Records a pipeline could not use, by reason (value "
      "reasons count once per metric).\n"
      "# TYPE logtally_records_dropped_total counter\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"invalid_json\"} 4\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"not_object\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"missing_value\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"not_a_number\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"negative_value\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"too_long\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"empty\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"no_match\"} 0\n"
      "logtally_records_dropped_total{pipeline=\"p\",reason=\"bad_envelope\"} 0\n"
      "# HELP logtally_records_filtered_total Records a pipeline's filter removed (not errors), "
      "per pipeline.\n"
      "# TYPE logtally_records_filtered_total counter\n"
      "logtally_records_filtered_total{pipeline=\"p\"} 3\n"
      "# HELP logtally_series Series held, per metric.\n"
      "# TYPE logtally_series gauge\n"
      "logtally_series{metric=\"reqs_total\"} 2\n"
      "logtally_series{metric=\"dur_seconds\"} 1\n"
      "logtally_series{metric=\"depth\"} 1\n"
      "# HELP logtally_build_info logtally's version; the value is always 1.\n"
      "# TYPE logtally_build_info gauge\n"
      "logtally_build_info{version=\"" LOGTALLY_VERSION "\"} 1\n";
  EXPECT_EQ(to_text(store), expected);
}

TEST(ExpositionTest, RegisteredSelfMetricsFollowTheBuiltInOnes) {
  core::MetricStore store({}, {}, {}, 1);
  store.self_metrics().counter("logtally_x_sent_total", "Sent.", {{"sink", "rw"}}).add(3);
  store.self_metrics().gauge("logtally_x_lag", "Lag.", {{"partition", "2"}}).set(-1);
  const std::string text = to_text(store);
  const std::string tail = "logtally_build_info{version=\"" LOGTALLY_VERSION
                           "\"} 1\n"
                           "# HELP logtally_x_sent_total Sent.\n"
                           "# TYPE logtally_x_sent_total counter\n"
                           "logtally_x_sent_total{sink=\"rw\"} 3\n"
                           "# HELP logtally_x_lag Lag.\n"
                           "# TYPE logtally_x_lag gauge\n"
                           "logtally_x_lag{partition=\"2\"} -1\n";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
}

}  // namespace
}  // namespace logtally::sinks
