#include "sinks/exposition/scrape_body.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include <prometheus/text_serializer.h>

#include "sinks/exposition/exposition.h"

namespace logtally::sinks {
namespace {

std::string key_of(std::initializer_list<std::string_view> values) {
  core::LabelKey k;
  for (std::string_view v : values) k.add(v);
  return std::string(k.view());
}

// A store with every kind of metric and value the writers format differently: escapes, empty
// label values, a label-less histogram, NaN, infinities, -0, fractions, big and tiny numbers,
// label values that sort differently by bytes and by length, and series split over 2 shards.
std::unique_ptr<core::MetricStore> make_store() {
  core::MetricSpec counter;
  counter.name = "reqs_total";
  counter.help = "Requests with \\ and\nnewline and \"quotes\".";
  counter.label_names = {"path", "status"};
  core::MetricSpec plain;
  plain.name = "events";  // A counter without _total: OpenMetrics types it `unknown`.
  plain.label_names = {"kind"};
  core::MetricSpec hist;
  hist.name = "dur_seconds";
  hist.help = "Durations.";
  hist.type = core::MetricType::kHistogram;
  hist.buckets = {0.005, 0.5, 1e20};
  core::MetricSpec lhist = hist;
  lhist.name = "size_bytes";
  lhist.label_names = {"route"};
  lhist.buckets = {100, 1000};
  core::MetricSpec gauge;
  gauge.name = "depth";
  gauge.help = "Depth.";
  gauge.type = core::MetricType::kGauge;
  gauge.mode = core::GaugeMode::kAdd;
  gauge.label_names = {"q"};
  core::MetricSpec limited = counter;
  limited.name = "limited_total";
  limited.max_series = 1;
  auto owned = std::make_unique<core::MetricStore>(
      std::vector<core::MetricSpec>{counter, plain, hist, lhist, gauge, limited},
      std::vector<std::string>{"in"}, std::vector<std::string>{"p"}, 2);
  core::MetricStore& store = *owned;
  for (size_t si = 0; si < 2; ++si) {
    core::MetricShard& s = store.shard(si);
    s.counter_add(0, s.series(0, key_of({"a\"b\\c\nd", "200"})), 2);
    s.counter_add(0, s.series(0, key_of({"/x", ""})), 1);
    s.counter_add(0, s.series(0, key_of({"/x", "10"})), 0.1);
    s.counter_add(0, s.series(0, key_of({"/x", "9"})), 1e17);
    s.counter_add(0, s.series(0, key_of({"", ""})), 123456789012345.0);
    s.counter_add(0, s.series(0, key_of({"/\xc3\xa9", "200"})), 1e-7);
    s.counter_add(1, s.series(1, key_of({si == 0 ? "a" : "b"})), 3);
    const uint32_t h = s.series(2, key_of({}));
    for (double v : {0.001, 0.005, 0.2, 3.0}) s.histogram_observe(2, h, v);
    s.histogram_observe(3, s.series(3, key_of({"/r"})), 150);
    s.histogram_observe(3, s.series(3, key_of({"/q\""})), 5000);
    s.gauge_update(4, s.series(4, key_of({"nan"})), std::nan(""), 1);
    s.gauge_update(4, s.series(4, key_of({"inf"})), std::numeric_limits<double>::infinity(), 1);
    s.gauge_update(4, s.series(4, key_of({"-inf"})), -std::numeric_limits<double>::infinity(), 1);
    s.gauge_update(4, s.series(4, key_of({"neg0"})), -0.0, 1);
    s.gauge_update(4, s.series(4, key_of({"frac"})), -1.25, 1);
    s.gauge_update(4, s.series(4, key_of({"third"})), 1.0 / 3.0, 1);
    s.counter_add(5, s.series(5, key_of({"one", "1"})), 1);
    s.counter_add(5, s.series(5, key_of({"two", "2"})), 1);  // Overflow.
    s.count_source(0, 9, 321);
    s.count_dropped(0, core::DropReason::kInvalidJson, 4);
    s.count_filtered(0, 3);
  }
  store.self_metrics().counter("logtally_test_total", "A registered counter.").add(5);
  return owned;
}

TEST(ScrapeBodyTest, TextIsWhatTheSerializerWritesForToFamilies) {
  const std::unique_ptr<core::MetricStore> owned = make_store();
  const core::MetricStore& store = *owned;
  const std::string expected =
      prometheus::TextSerializer().Serialize(to_families(store, store.read()));
  EXPECT_EQ(scrape_body(*store.read_view(), ExpositionFormat::kText004), expected);
}

TEST(ScrapeBodyTest, OpenMetricsIsWhatToOpenMetricsWritesForToFamilies) {
  const std::unique_ptr<core::MetricStore> owned = make_store();
  const core::MetricStore& store = *owned;
  const core::Snapshot snap = store.read();
  const std::string expected = to_openmetrics(to_families(store, snap), created_times(snap));
  EXPECT_EQ(scrape_body(*store.read_view(), ExpositionFormat::kOpenMetrics100), expected);
}

TEST(ScrapeBodyTest, ExactLinesOfBothFormats) {
  core::MetricSpec counter;
  counter.name = "reqs_total";
  counter.label_names = {"path", "code"};
  core::MetricSpec hist;
  hist.name = "dur_seconds";
  hist.type = core::MetricType::kHistogram;
  hist.label_names = {"path"};
  hist.buckets = {0.5};
  core::MetricStore store({counter, hist}, {"in"}, {"p"}, 2);
  store.set_created_unix_ms(1700000000500);
  for (size_t si = 0; si < 2; ++si) {
    core::MetricShard& s = store.shard(si);
    s.counter_add(0, s.series(0, key_of({"/b", "200"})), 1);
    s.counter_add(0, s.series(0, key_of({"/a", ""})), 2.5);
    s.histogram_observe(1, s.series(1, key_of({"/a"})), 0.25);
  }
  const std::string text = scrape_body(*store.read_view(), ExpositionFormat::kText004);
  EXPECT_EQ(text.substr(0, text.find("# HELP logtally_records_total")),
            "# TYPE reqs_total counter\n"
            "reqs_total{path=\"/a\"} 5\n"
            "reqs_total{path=\"/b\",code=\"200\"} 2\n"
            "# TYPE dur_seconds histogram\n"
            "dur_seconds_count{path=\"/a\"} 2\n"
            "dur_seconds_sum{path=\"/a\"} 0.5\n"
            "dur_seconds_bucket{path=\"/a\",le=\"0.5\"} 2\n"
            "dur_seconds_bucket{path=\"/a\",le=\"+Inf\"} 2\n");
  const std::string om = scrape_body(*store.read_view(), ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(om.substr(0, om.find("# TYPE logtally_records")),
            "# TYPE reqs counter\n"
            "reqs_total{path=\"/a\"} 5\n"
            "reqs_created{path=\"/a\"} 1700000000.5\n"
            "reqs_total{path=\"/b\",code=\"200\"} 2\n"
            "reqs_created{path=\"/b\",code=\"200\"} 1700000000.5\n"
            "# TYPE dur_seconds histogram\n"
            "dur_seconds_bucket{path=\"/a\",le=\"0.5\"} 2\n"
            "dur_seconds_bucket{path=\"/a\",le=\"+Inf\"} 2\n"
            "dur_seconds_count{path=\"/a\"} 2\n"
            "dur_seconds_sum{path=\"/a\"} 0.5\n"
            "dur_seconds_created{path=\"/a\"} 1700000000.5\n");
  EXPECT_TRUE(om.ends_with("# EOF\n"));
}

}  // namespace
}  // namespace logtally::sinks
