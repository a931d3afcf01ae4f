#include "transforms/pipeline.h"

#include <cstring>

#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"

namespace logtally::transforms {
namespace {

using core::DropReason;

// Builds a batch from lines the way a source would: records back to back, one span each.
core::BatchPtr make_batch(uint32_t source, const std::vector<std::string>& lines,
                          uint64_t too_long = 0) {
  auto b = std::make_unique<core::Batch>(4096);
  for (const std::string& l : lines) {
    std::memcpy(b->data() + b->size, l.data(), l.size());
    b->spans.push_back({static_cast<uint32_t>(b->size), static_cast<uint32_t>(l.size())});
    b->size += l.size() + 1;
    b->data()[b->size - 1] = '\n';
  }
  b->source = source;
  b->bytes_read = b->size;
  b->too_long = too_long;
  b->sequence = 1;
  return b;
}

uint64_t dropped(const core::Snapshot& s, size_t pipeline, DropReason r) {
  return s.dropped[pipeline * core::kDropReasonCount + static_cast<size_t>(r)];
}

constexpr const char* kConfig = R"(
sources:
  a: { type: stdin }
  b: { type: file, path: /dev/null }
pipelines:
  both:
    inputs: [a, b]
    parser: { type: json }
    metrics:
      - name: requests_total
        type: counter
        labels: { method: method }
      - name: bytes_total
        type: counter
        value: bytes
  only_b:
    inputs: [b]
    parser: json
    metrics:
      - name: depth
        type: gauge
        value: depth
workers: 2
)";

TEST(BatchProcessorTest, EveryRecordEndsInAMetricOrADropReason) {
  auto cfg = config::load_config_text(kConfig, "test.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 2);
  BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());

  auto a =
      make_batch(0,
                 {R"({"method":"GET","bytes":10})", R"({"method":"GET"})", "", " \t ", "garbage",
                  "[1]", R"({"method":"PUT","bytes":-1})", R"({"method":"PUT","bytes":"7"})"},
                 /*too_long=*/2);
  auto b = make_batch(1, {R"({"method":"GET","bytes":1,"depth":3})", R"({"depth":"x"})"});
  processor.handle(0, *a);
  processor.handle(1, *b);

  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.source_records, (std::vector<uint64_t>{10, 2}));  // 8 lines + 2 too long; 2
  EXPECT_EQ(s.source_bytes[1], b->bytes_read);

  const auto& requests = s.metrics[0].series;  // requests_total by method
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].labels[0], "");  // {"depth":"x"} has no method
  EXPECT_EQ(requests[0].value, 1);
  EXPECT_EQ(requests[1].labels[0], "GET");
  EXPECT_EQ(requests[1].value, 3);
  EXPECT_EQ(requests[2].labels[0], "PUT");
  EXPECT_EQ(requests[2].value, 2);
  EXPECT_EQ(s.metrics[1].series.at(0).value, 18);  // 10 + 7 + 1
  EXPECT_EQ(s.metrics[2].series.at(0).value, 3);   // depth gauge from source b only

  EXPECT_EQ(dropped(s, 0, DropReason::kTooLong), 2u);
  EXPECT_EQ(dropped(s, 0, DropReason::kEmpty), 2u);  // "" and " \t "
  EXPECT_EQ(dropped(s, 0, DropReason::kInvalidJson), 1u);
  EXPECT_EQ(dropped(s, 0, DropReason::kNotObject), 1u);
  EXPECT_EQ(dropped(s, 0, DropReason::kMissingValue), 2u);  // {"method":"GET"}, {"depth":"x"}
  EXPECT_EQ(dropped(s, 0, DropReason::kNegativeValue), 1u);
  EXPECT_EQ(dropped(s, 1, DropReason::kNotANumber), 1u);
  EXPECT_EQ(dropped(s, 1, DropReason::kTooLong), 0u);  // only_b does not read source a
}

// The status page's counts (docs/status-page.md): records that reached the metrics, and the
// dropped records themselves, newest first, with the metric that could not use them.
TEST(BatchProcessorTest, CountsCountedRecordsAndKeepsTheDroppedOnes) {
  auto cfg = config::load_config_text(kConfig, "test.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 2);
  BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());
  auto a = make_batch(0,
                      {R"({"method":"GET","bytes":10})", R"({"method":"GET"})", "", " \t ",
                       "garbage", "[1]", R"({"method":"PUT","bytes":-1})"},
                      /*too_long=*/2);
  auto b = make_batch(1, {R"({"method":"GET","bytes":1,"depth":3})", R"({"depth":"x"})"});
  b->sequence = 2;  // After a, on the other worker.
  processor.handle(0, *a);
  processor.handle(1, *b);

  const core::StatusCounts c = store.status_counts();
  // both: 3 of a (not the empty, invalid, non-object or too long ones) and 2 of b; only_b: 2.
  EXPECT_EQ(c.counted, (std::vector<uint64_t>{5, 2}));
  auto drops = [&](size_t pipeline, DropReason r) {
    std::vector<std::string> out;
    for (const core::DropSample& d :
         c.recent_drops[pipeline * core::kDropReasonCount + static_cast<size_t>(r)]) {
      out.push_back(d.record +
                    (d.metric == core::kNoMetric ? "" : " @" + c.specs->at(d.metric).name));
    }
    return out;
  };
  EXPECT_EQ(drops(0, DropReason::kInvalidJson), (std::vector<std::string>{"garbage"}));
  EXPECT_EQ(drops(0, DropReason::kNotObject), (std::vector<std::string>{"[1]"}));
  EXPECT_EQ(drops(0, DropReason::kEmpty), (std::vector<std::string>{" \t ", ""}));
  EXPECT_EQ(drops(0, DropReason::kMissingValue),
            (std::vector<std::string>{R"({"depth":"x"} @bytes_total)",
                                      R"({"method":"GET"} @bytes_total)"}));
  EXPECT_EQ(drops(0, DropReason::kNegativeValue),
            (std::vector<std::string>{R"({"method":"PUT","bytes":-1} @bytes_total)"}));
  EXPECT_EQ(drops(0, DropReason::kTooLong), (std::vector<std::string>{}));  // Never kept whole.
  EXPECT_EQ(drops(1, DropReason::kNotANumber),
            (std::vector<std::string>{R"({"depth":"x"} @depth)"}));
}

TEST(BatchProcessorTest, RegexPipelineCountsMatchesAndNoMatch) {
  const char* text = R"(
sources:
  a: { type: stdin }
pipelines:
  web:
    inputs: [a]
    parser:
      type: regex
      patterns:
        - '^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<bytes>\d+|-)$'
        - '^health (?P<status>ok|down)$'
    metrics:
      - name: requests_total
        type: counter
        labels: { method: { field: method, default: none }, status: status }
      - name: bytes_total
        type: counter
        value: bytes
workers: 1
)";
  auto cfg = config::load_config_text(text, "regex.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());
  auto a = make_batch(0, {"GET / 200 512", "GET /x 404 -", "POST /y 200 100", "health ok",
                          "health maybe", "get / 200 1", "", "GET / 200 7 extra"});
  processor.handle(0, *a);
  const core::Snapshot s = store.snapshot();
  const auto& requests = s.metrics[0].series;
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].labels, (std::vector<std::string>{"GET", "200"}));
  EXPECT_EQ(requests[0].value, 1);
  EXPECT_EQ(requests[1].labels, (std::vector<std::string>{"GET", "404"}));
  EXPECT_EQ(requests[1].value, 1);
  EXPECT_EQ(requests[2].labels, (std::vector<std::string>{"POST", "200"}));
  EXPECT_EQ(requests[2].value, 1);
  EXPECT_EQ(requests[3].labels, (std::vector<std::string>{"none", "ok"}));
  EXPECT_EQ(requests[3].value, 1);
  EXPECT_EQ(s.metrics[1].series.at(0).value, 612);     // 512 + 100
  EXPECT_EQ(dropped(s, 0, DropReason::kNoMatch), 3u);  // "health maybe", "get ...", "... extra"
  EXPECT_EQ(dropped(s, 0, DropReason::kEmpty), 1u);
  EXPECT_EQ(dropped(s, 0, DropReason::kNotANumber), 1u);    // bytes "-"
  EXPECT_EQ(dropped(s, 0, DropReason::kMissingValue), 1u);  // "health ok" has no bytes
  EXPECT_EQ(dropped(s, 0, DropReason::kInvalidJson), 0u);
}

}  // namespace
}  // namespace logtally::transforms
