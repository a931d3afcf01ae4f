// The hot path allocates nothing per record: once a worker has seen every series, processing
// another batch performs zero heap allocations. This binary replaces the global operator new to
// count them, so it is its own test executable.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "transforms/pipeline.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<size_t> allocations{0};
}  // namespace

// GCC cannot see that these two replace the global pair, and warns about new/free mismatches.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace logtally::transforms {
namespace {

constexpr const char* kConfig = R"(
sources: { in: { type: stdin } }
pipelines:
  http:
    inputs: [in]
    parser: { type: json }
    metrics:
      - name: requests_total
        type: counter
        labels:
          method: method
          status: status
          app: { field: kubernetes.labels.app, default: none }
          level: { field: [level, severity], lowercase: true, default: unknown }
      - { name: bytes_total, type: counter, value: bytes }
      - { name: duration_seconds, type: histogram, value: duration_ms, scale: 0.001, labels: { route: route } }
      - { name: depth, type: gauge, value: depth, mode: max }
)";

TEST(NoAllocTest, AWarmWorkerProcessesABatchWithoutAllocating) {
  auto cfg = config::load_config_text(kConfig, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);

  // Every kind of record, bad ones included: escapes (get_string path), numbers as text and
  // as values, nested fields, numeric strings, invalid JSON, invalid UTF-8, a non-object.
  const std::vector<std::string> lines = {
      R"({"method":"GET","status":200,"route":"/a","duration_ms":12.5,"bytes":10,"level":"INFO","kubernetes":{"labels":{"app":"shop"}}})",
      R"({"method":"POST","status":"201","route":"/b\"q","duration_ms":"3","bytes":"7","severity":"Warn","depth":4})",
      R"({"method":"GET","status":500,"route":"/a","duration_ms":1e3,"bytes":-1,"depth":9})",
      "{\"method\":\"PUT\",\"route\":\"/c\xFF\",\"bytes\":1}",
      R"(not json)",
      R"([1,2,3])",
      "",
      R"({"method":"GET","status":200,"route":"/a","duration_ms":"x"})",
  };
  core::Batch batch(1 << 16);
  for (const std::string& l : lines) {
    std::memcpy(batch.data() + batch.size, l.data(), l.size());
    batch.spans.push_back({static_cast<uint32_t>(batch.size), static_cast<uint32_t>(l.size())});
    batch.size += l.size() + 1;
    batch.data()[batch.size - 1] = '\n';
  }
  batch.bytes_read = batch.size;

  // Warm-up: series, parser buffers and scratch grow here, which also shows the counter works.
  counting = true;
  processor.handle(0, batch);
  counting = false;
  EXPECT_GT(allocations.load(), 0u);
  allocations = 0;

  counting = true;
  for (int i = 0; i < 100; ++i) processor.handle(0, batch);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);

  // And the work was really done: 101 passes over the batch.
  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.source_records[0], 101u * lines.size());
  EXPECT_EQ(s.metrics[1].series.at(0).value, 101 * (10 + 7 + 1));
}

// Source fields (`_source.*`): one table lookup per batch, a view per record, nothing more.
TEST(NoAllocTest, SourceFieldsAddNoAllocation) {
  constexpr const char* kSourceConfig = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - name: lines_total
        type: counter
        labels: { pod: _source.pod, stream: _source.stream, level: level }
      - { name: part_sum, type: counter, value: _source.partition }
)";
  auto cfg = config::load_config_text(kSourceConfig, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);
  auto table = std::make_shared<core::SourceFields>();
  table->values = {{"pod", "web-1"}, {"partition", "2"}};
  table->record_columns = {"stream"};
  core::Batch batch(1 << 12);
  batch.fields = table;
  for (const std::string l : {R"({"level":"info"})", R"({"level":"warn"})"}) {
    std::memcpy(batch.data() + batch.size, l.data(), l.size());
    batch.spans.push_back({static_cast<uint32_t>(batch.size), static_cast<uint32_t>(l.size())});
    batch.size += l.size();
  }
  std::memcpy(batch.data() + batch.size, "stdout", 6);
  batch.record_fields = {{static_cast<uint32_t>(batch.size), 6}, {0, core::kAbsentSpan}};
  batch.size += 6;
  processor.handle(0, batch);  // Warm-up.
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) processor.handle(0, batch);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);
  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.metrics[1].series.at(0).value, 101 * 2 * 2);
  ASSERT_EQ(s.metrics[0].series.size(), 2u);
  EXPECT_EQ(s.metrics[0].series[0].labels, (std::vector<std::string>{"web-1", "", "warn"}));
  EXPECT_EQ(s.metrics[0].series[1].labels, (std::vector<std::string>{"web-1", "stdout", "info"}));
}

}  // namespace
}  // namespace logtally::transforms
