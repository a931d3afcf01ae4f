#include "transforms/source_fields.h"

#include <cstring>

#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "transforms/pipeline.h"

namespace logtally::transforms {
namespace {

// Appends `text` to the batch buffer and returns where it is.
core::Span put(core::Batch& b, std::string_view text) {
  const core::Span s{static_cast<uint32_t>(b.size), static_cast<uint32_t>(text.size())};
  std::memcpy(b.data() + b.size, text.data(), text.size());
  b.size += text.size();
  return s;
}

constexpr const char* kConfig = R"(
sources:
  logs: { type: file, path: /dev/null }
pipelines:
  p:
    inputs: [logs]
    parser: json
    metrics:
      - name: lines_total
        type: counter
        labels: { pod: _source.pod, stream: { field: [_source.stream, stream] }, file: _source.path,
                  level: level }
      - name: part_sum
        type: counter
        value: _source.partition
)";

TEST(SourceFieldsTest, PlanKeepsSourcePathsOutOfTheParseTrie) {
  core::FieldPlan plan;
  const uint32_t a = plan.add(*core::parse_field_path("_source.pod"), core::kUseText);
  const uint32_t b = plan.add(*core::parse_field_path("level"), core::kUseText);
  const uint32_t c = plan.add(*core::parse_field_path("_source.pod"), core::kUseNumber);
  const uint32_t d = plan.add(*core::parse_field_path("_source"), core::kUseText);  // plain key
  EXPECT_EQ(a, c);
  EXPECT_EQ(plan.slot_count(), 3u);
  ASSERT_EQ(plan.source_fields().size(), 1u);
  EXPECT_EQ(plan.source_fields()[0].name, "pod");
  EXPECT_EQ(plan.source_fields()[0].uses, core::kUseText | core::kUseNumber);
  // The trie holds `level` and the bare key `_source`, nothing under it.
  ASSERT_EQ(plan.root().children.size(), 2u);
  EXPECT_EQ(plan.nodes()[plan.root().children[0]].key, "level");
  EXPECT_EQ(plan.nodes()[plan.root().children[0]].slot, static_cast<int32_t>(b));
  const auto& bare = plan.nodes()[plan.root().children[1]];
  EXPECT_EQ(bare.key, "_source");
  EXPECT_EQ(bare.slot, static_cast<int32_t>(d));
  EXPECT_TRUE(bare.children.empty());
}

TEST(SourceFieldsTest, BatchAndRecordFieldsReachLabelsAndValues) {
  auto cfg = config::load_config_text(kConfig, "test.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);

  auto table = std::make_shared<core::SourceFields>();
  table->values = {{"pod", "web-1"}, {"path", "/var/log/a.log"}, {"partition", "3"}};
  table->record_columns = {"stream"};

  auto b = std::make_unique<core::Batch>(4096);
  b->sequence = 1;
  b->fields = table;
  // The record's own `_source` key is shadowed by the source's fields.
  const std::vector<std::string> lines = {
      R"({"level":"info","_source":{"pod":"fake"}})", R"({"level":"warn"})",
      R"({"level":"warn","stream":"json"})"};  // No column value: falls back to `stream`.
  for (const std::string& l : lines) {
    b->spans.push_back(put(*b, l));
    put(*b, "\n");
  }
  const core::Span out = put(*b, "stdout");
  const core::Span err = put(*b, "stderr");
  b->record_fields = {out, err, core::Span{0, core::kAbsentSpan}};
  b->bytes_read = b->size;
  processor.handle(0, *b);

  const core::Snapshot s = store.snapshot();
  const auto& lines_total = s.metrics[0].series;  // labels pod, stream, file, level
  ASSERT_EQ(lines_total.size(), 3u);
  // Sorted by label values: (web-1, json, ...), (web-1, stderr, ...), (web-1, stdout, ...).
  EXPECT_EQ(lines_total[0].labels,
            (std::vector<std::string>{"web-1", "json", "/var/log/a.log", "warn"}));
  EXPECT_EQ(lines_total[1].labels,
            (std::vector<std::string>{"web-1", "stderr", "/var/log/a.log", "warn"}));
  EXPECT_EQ(lines_total[2].labels,
            (std::vector<std::string>{"web-1", "stdout", "/var/log/a.log", "info"}));
  for (const auto& ser : lines_total) EXPECT_EQ(ser.value, 1);
  EXPECT_EQ(s.metrics[1].series.at(0).value, 9);  // partition "3" as a number, 3 records
}

TEST(SourceFieldsTest, MissingSourceFieldIsAbsent) {
  auto cfg = config::load_config_text(kConfig, "test.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);
  auto b = std::make_unique<core::Batch>(4096);  // No table at all.
  b->sequence = 1;
  b->spans.push_back(put(*b, R"({"level":"x","stream":"s"})"));
  processor.handle(0, *b);
  const core::Snapshot s = store.snapshot();
  ASSERT_EQ(s.metrics[0].series.size(), 1u);
  EXPECT_EQ(s.metrics[0].series[0].labels, (std::vector<std::string>{"", "s", "", "x"}));
  EXPECT_TRUE(s.metrics[1].series.empty());
  EXPECT_EQ(s.dropped[static_cast<size_t>(core::DropReason::kMissingValue)], 1u);
}

}  // namespace
}  // namespace logtally::transforms
