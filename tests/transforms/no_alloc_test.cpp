// The hot path allocates nothing per record: once a worker has seen every series, processing
// another batch performs zero heap allocations. This binary replaces the global operator new to
// count them, so it is its own test executable.
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <re2/re2.h>

#include "config/build.h"
#include "config/config.h"
#include "ingest/multiline.h"
#include "transforms/pipeline.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<size_t> allocations{0};
}  // namespace

// Every form of the global operator new and delete is replaced, not just the plain pair: a
// library may use the nothrow or aligned forms, and a sanitizer's runtime replaces all of them,
// so a form left out here would be served by the sanitizer while its delete came here (or the
// other way round), a mismatch AddressSanitizer reports. All forms count and use malloc/free
// (aligned_alloc for the aligned ones, whose size is rounded up to the alignment as it needs).
// GCC cannot see that these replace the global ones, and warns about new/free mismatches.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
void* counted_alloc(size_t n, size_t align) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* counted_alloc_or_throw(size_t n, size_t align) {
  if (void* p = counted_alloc(n, align)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t n) { return counted_alloc_or_throw(n, 0); }
void* operator new[](size_t n) { return counted_alloc_or_throw(n, 0); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new(size_t n, std::align_val_t a) {
  return counted_alloc_or_throw(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a) {
  return counted_alloc_or_throw(n, static_cast<size_t>(a));
}
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

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
      - { name: bytes_total, type: counter, value: bytes, exemplar: { trace_id: trace, span_id: span } }
      - { name: duration_seconds, type: histogram, value: duration_ms, scale: 0.001, labels: { route: route }, exemplar: { trace_id: trace } }
      - { name: depth, type: gauge, value: depth, mode: max }
      - { name: header_bytes_total, type: counter, value: bytes, subtract: body }
)";

// Puts `lines` into `batch` as a source would: each followed by a newline, its span recorded.
void fill_batch(core::Batch& batch, const std::vector<std::string>& lines) {
  for (const std::string& l : lines) {
    std::memcpy(batch.data() + batch.size, l.data(), l.size());
    batch.spans.push_back({static_cast<uint32_t>(batch.size), static_cast<uint32_t>(l.size())});
    batch.size += l.size() + 1;
    batch.data()[batch.size - 1] = '\n';
  }
  batch.bytes_read = batch.size;
}

// `validate` is the json parser's option: both modes must allocate nothing once warm.
void expect_warm_worker_allocates_nothing(const std::string& validate) {
  std::string text = kConfig;
  const std::string json = "parser: { type: json }";
  text.replace(text.find(json), json.size(), "parser: { type: json, validate: " + validate + " }");
  auto cfg = config::load_config_text(text, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);

  // Every kind of record, bad ones included: escapes (get_string path), numbers as text and
  // as values, nested fields, numeric strings, invalid JSON, invalid UTF-8, a non-object.
  const std::vector<std::string> lines = {
      R"({"method":"GET","status":200,"route":"/a","duration_ms":12.5,"bytes":10,"body":4,"level":"INFO","kubernetes":{"labels":{"app":"shop"}},"trace":"4bf92f3577b34da6a3ce929d0e0e4736","span":"00f067aa0ba902b7"})",
      R"({"method":"POST","status":"201","route":"/b\"q","duration_ms":"3","bytes":"7","body":"2","severity":"Warn","depth":4,"trace":")" +
          std::string(130, 'x') + R"("})",
      R"({"method":"GET","status":500,"route":"/a","duration_ms":1e3,"bytes":-1,"depth":9,"trace":"t3"})",
      "{\"method\":\"PUT\",\"route\":\"/c\xFF\",\"bytes\":1,\"body\":\"x\"}",
      R"(not json)",
      R"([1,2,3])",
      "",
      R"({"method":"GET","status":200,"route":"/a","duration_ms":"x"})",
  };
  core::Batch batch(1 << 16);
  fill_batch(batch, lines);

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
  // bytes - body: 10 - 4 and "7" - "2"; no body (-1, and no bytes) and "x" add nothing.
  EXPECT_EQ(s.metrics[4].series.at(0).value, 101 * (6 + 5));
  // Exemplars were kept (line 1's) and refused (line 2's trace is 130 characters) every pass.
  const core::Exemplar& e = s.metrics[1].series.at(0).exemplars.at(0);
  EXPECT_TRUE(e.set);
  EXPECT_EQ(e.value, 10);
  EXPECT_EQ(std::string_view(e.data + 1, 32), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(s.exemplars_dropped[1 * core::kExemplarDropCount], 101u);  // bytes_total too_long
  EXPECT_EQ(s.exemplars_dropped[2 * core::kExemplarDropCount], 101u);  // duration_seconds
}

TEST(NoAllocTest, AWarmWorkerProcessesABatchWithoutAllocating) {
  expect_warm_worker_allocates_nothing("full");
}

TEST(NoAllocTest, AWarmWorkerProcessesABatchWithoutAllocatingWhenValidatingTouched) {
  expect_warm_worker_allocates_nothing("touched");
}

// Filters, when: conditions, label rewrites (lowercase + replace + map) and the overflow path of
// a full metric (label sets past max_series arrive on every pass) allocate nothing once warm.
constexpr const char* kTransformsConfig = R"(
sources: { in: { type: stdin } }
pipelines:
  http:
    inputs: [in]
    parser: { type: json }
    filter: '!(path =~ "/health.*") && (status >= 200 || exists(level))'
    metrics:
      - name: requests_total
        type: counter
        max_series: 3
        labels:
          route: { field: path, lowercase: true, replace: { regex: '/(\w+)/\d+', with: '/\1/:id' } }
          class: { field: status, map: [ { regex: '2\d\d', to: 2xx }, { equals: "404", to: nf } ], unmapped: other }
      - { name: slow_total, type: counter, when: 'dur > 1 && level != "debug"', labels: { user: user } }
)";

TEST(NoAllocTest, FiltersLabelRulesAndOverflowDoNotAllocate) {
  auto cfg = config::load_config_text(kTransformsConfig, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);
  std::vector<std::string> lines = {
      R"({"path":"/Users/12","status":200,"dur":2,"user":"a"})",
      R"({"path":"/healthz","status":200})",
      R"({"path":"/orders/7","status":"404","dur":"0.5","level":"debug"})",
      R"({"path":"/x","status":500,"dur":3,"level":"debug","user":"b"})",
      R"({"path":"/y","level":"info","dur":9})",
  };
  // Distinct label sets, more than max_series: the ones past the limit go to overflow on every
  // pass (their keys are never stored).
  for (int i = 0; i < 20; ++i) {
    lines.push_back(R"({"path":"/p)" + std::to_string(i) + R"(","status":201,"user":"u"})");
  }
  core::Batch batch(1 << 16);
  fill_batch(batch, lines);

  counting = true;
  processor.handle(0, batch);
  counting = false;
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) processor.handle(0, batch);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);

  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.filtered[0], 101u);  // /healthz
  // 24 records pass per pass: /users/:id 2xx, /orders/:id nf, then the limit (3) admits /x
  // other; /y (no status: class "") and the 20 /pN go to overflow: 21 per pass.
  EXPECT_EQ(s.overflow[0], 101u * 21);
  ASSERT_EQ(s.metrics[0].series.size(), 4u);
  // slow_total: dur > 1 && level != "debug": only /y (level "info", no user). Not the first
  // line: its level is absent, which makes != false.
  ASSERT_EQ(s.metrics[1].series.size(), 1u);
  EXPECT_EQ(s.metrics[1].series[0].labels[0], "");
  EXPECT_EQ(s.metrics[1].series[0].value, 101);
}

// The logfmt, auto and regex parsers, on the same mixed input.
constexpr const char* kTextConfig = R"y(
sources: { in: { type: stdin } }
pipelines:
  mixed:
    inputs: [in]
    parser: auto
    metrics:
      - name: records_total
        type: counter
        labels: { level: { field: [level, severity], lowercase: true, default: unknown }, msg: msg }
      - { name: took_total, type: counter, value: took }
      - { name: dur_seconds, type: histogram, value: dur, unit: duration }
      - { name: last_ts, type: gauge, value: ts, unit: timestamp, mode: max }
  text:
    inputs: [in]
    parser:
      type: regex
      patterns:
        - '^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d+)$'
        - 'level=(?P<level>\w+)'
        - 'msg="(?P<msg>[^"]*)"'
    metrics:
      - name: text_total
        type: counter
        labels: { method: method, status: status, level: level, msg: msg }
)y";

TEST(NoAllocTest, LogfmtAutoAndRegexParsersDoNotAllocateWhenWarm) {
  auto cfg = config::load_config_text(kTextConfig, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);
  const std::vector<std::string> lines = {
      R"(level=info msg="escaped \"quote\" \u00e9" took=3 level=warn dur=1.5s ts=2026-04-22T12:00:00Z)",
      R"(severity=ERROR msg="plain" took=2.5e1 bare dur=1h2m3ms ts=1776859200123)",
      R"({"level":"debug","msg":"json","took":1})",
      R"(GET /x 200)",
      "free text with \"quotes and level=x\" = \xFF",
      R"(msg="unclosed \"escaped)",
      "",
  };
  core::Batch batch(1 << 16);
  fill_batch(batch, lines);
  allocations = 0;
  counting = true;
  processor.handle(0, batch);
  counting = false;
  EXPECT_GT(allocations.load(), 0u);
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) processor.handle(0, batch);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);
  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.metrics[1].series.at(0).value, 101 * (3 + 25 + 1));
  // dur_seconds: 1.5 s and 3720.003 s per pass; last_ts: the later of the two event times.
  const auto& dur = s.metrics[2].series.at(0);
  EXPECT_EQ(std::accumulate(dur.buckets.begin(), dur.buckets.end(), uint64_t{0}), 101u * 2);
  EXPECT_NEAR(dur.value, 101 * (1.5 + 3720.003), 1e-6);
  EXPECT_DOUBLE_EQ(s.metrics[3].series.at(0).value, 1776859200.123);
  uint64_t text_records = 0;
  for (const auto& series : s.metrics[4].series)
    text_records += static_cast<uint64_t>(series.value);
  EXPECT_EQ(text_records, 101u * 5);  // All but the free text without a pair and the empty line.
}

// Six planned groups: RE2 would capture them with BitState, which allocates on every call; the
// pattern needs no backtracking, so DeterministicRegex matches it, allocating nothing.
constexpr const char* kApacheConfig = R"y(
sources: { in: { type: stdin } }
pipelines:
  web:
    inputs: [in]
    parser:
      type: regex
      patterns:
        - '^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ [^"]*" (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
    metrics:
      - { name: requests_total, type: counter, labels: { method: method, status: status, client: client } }
      - { name: bytes_total, type: counter, value: bytes }
      - { name: by_agent_total, type: counter, labels: { agent: agent, referer: referer } }
)y";

TEST(NoAllocTest, RegexParserWithSixGroupsDoesNotAllocateWhenWarm) {
  auto cfg = config::load_config_text(kApacheConfig, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);
  const std::vector<std::string> lines = {
      R"x(10.0.0.1 - - [14/May/2024:09:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0")x",
      R"x(10.0.0.2 - u [14/May/2024:09:00:01 +0000] "POST /b HTTP/1.1" 304 - "https://x/" "")x",
      R"x(10.0.0.2 - u [14/May/2024:09:00:01 +0000] "POST /b HTTP/1.1" 30 - "" "")x",
      "10.0.0.3 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"bad \xFF\"",
  };
  core::Batch batch(1 << 16);
  fill_batch(batch, lines);
  processor.handle(0, batch);
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) processor.handle(0, batch);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);
  const core::Snapshot s = store.snapshot();
  ASSERT_EQ(s.metrics[1].series.size(), 1u);
  EXPECT_EQ(s.metrics[1].series[0].value, 101 * 512);
  uint64_t requests = 0;
  for (const auto& series : s.metrics[0].series) requests += static_cast<uint64_t>(series.value);
  EXPECT_EQ(requests, 101u * 2);  // The 2-digit status and the invalid byte do not match.
}

// With native histograms recorded (a remote_write sink asked for them), a warm series takes new
// observations without allocating, even when they move its bucket window or halve its
// resolution (both happen in the counted batch below: its values span 2^-30 .. 2^30).
TEST(NoAllocTest, NativeHistogramBucketsAllocateNothingOnceTheSeriesExists) {
  constexpr const char* kNative = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: d, type: histogram, value: v, labels: { route: route } }
sinks:
  rw: { type: prometheus_remote_write, url: "http://127.0.0.1:1/w", native_histograms: true,
        native_schema: 8, native_max_buckets: 16 }
)";
  auto cfg = config::load_config_text(kNative, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  ASSERT_TRUE(compiled.native.enabled);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1,
                          compiled.native);
  BatchProcessor processor(compiled.pipelines, store, 1);
  const auto make = [](const std::vector<std::string>& lines) {
    auto b = std::make_unique<core::Batch>(1 << 16);
    for (const std::string& l : lines) {
      std::memcpy(b->data() + b->size, l.data(), l.size());
      b->spans.push_back({static_cast<uint32_t>(b->size), static_cast<uint32_t>(l.size())});
      b->size += l.size() + 1;
      b->data()[b->size - 1] = '\n';
    }
    b->bytes_read = b->size;
    return b;
  };
  // The warm-up batch has the same shape as the counted one (per-batch buffers grow to it).
  const auto warm =
      make({R"({"route":"/a","v":1.000000000000000000000})", R"({"route":"/a","v":1.000000000})",
            R"({"route":"/b","v":-1.00})", R"({"route":"/b","v":1})", R"({"route":"/a","v":1.0})"});
  const auto wide =
      make({R"({"route":"/a","v":9.313225746154785e-10})", R"({"route":"/a","v":1073741824})",
            R"({"route":"/b","v":-1e9})", R"({"route":"/b","v":0})", R"({"route":"/a","v":3.5})"});
  processor.handle(0, *warm);
  allocations = 0;
  counting = true;
  processor.handle(0, *wide);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);

  const core::Snapshot s = store.snapshot();
  const core::SeriesSample& a = s.metrics[0].series.at(0);
  ASSERT_TRUE(a.native.has_value());
  EXPECT_LT(a.native->schema, 8);  // resolution was halved to fit 16 buckets
  uint64_t n = 0;
  for (uint64_t c : a.native->counts[0]) n += c;
  EXPECT_EQ(n, 6u);  // 1, 1, 1 (warm-up), then 2^-30, 2^30, 3.5
  EXPECT_EQ(s.metrics[0].series.at(1).native->zero_count, 1u);
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

namespace logtally::transforms {
namespace {

// Reading each record's own time, in every format family, allocates nothing once warm; a time
// that cannot be read drops the record as bad_timestamp.
TEST(NoAllocTest, EventTimesDoNotAllocate) {
  const char* text = R"(
sources: { in: { type: stdin } }
pipelines:
  apache:
    inputs: [in]
    parser: json
    timestamp: { field: t1, format: '%d/%b/%Y:%H:%M:%S %z' }
    metrics: [{ name: a_total, type: counter }]
  berlin:
    inputs: [in]
    parser: json
    timestamp: { field: t2, timezone: Europe/Berlin }
    metrics: [{ name: b_total, type: counter }]
  epoch:
    inputs: [in]
    parser: json
    timestamp: { field: t3, format: unix_ms }
    metrics: [{ name: c_total, type: counter }]
)";
  auto cfg = config::load_config_text(text, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, 1);
  const std::vector<std::string> lines = {
      R"({"t1":"10/Oct/2000:13:55:36 -0700","t2":"2024-07-15 12:00:00","t3":1709296496123})",
      R"({"t1":"10/Oct/2000:13:55:36","t2":"2024-07-15T12:00:00.5+02:00","t3":"1709296496123.5"})",
      R"({"t1":"bad","t2":"2024-02-30 00:00:00","t3":"x"})",
  };
  core::Batch batch(1 << 16);
  fill_batch(batch, lines);
  counting = true;
  processor.handle(0, batch);
  counting = false;
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) processor.handle(0, batch);
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);
  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.metrics[0].series.at(0).value, 101);      // apache: line 1 only
  EXPECT_EQ(s.metrics[1].series.at(0).value, 2 * 101);  // berlin: lines 1 and 2
  EXPECT_EQ(s.metrics[2].series.at(0).value, 2 * 101);  // epoch: lines 1 and 2
  const size_t bad = static_cast<size_t>(core::DropReason::kBadTimestamp);
  EXPECT_EQ(s.dropped[0 * core::kDropReasonCount + bad], 2u * 101);
  EXPECT_EQ(s.dropped[1 * core::kDropReasonCount + bad], 101u);
  EXPECT_EQ(s.dropped[2 * core::kDropReasonCount + bad], 101u);
}

// Joining multi-line records allocates nothing per line once the record buffer is reserved
// (ingest/multiline.h), cut records included.
TEST(NoAllocTest, MultilineJoinerDoesNotAllocateWhenWarm) {
  ingest::MultilineConfig c;
  c.pattern = R"(^\d{4}-\d\d-\d\d )";
  c.regex = std::make_shared<const re2::RE2>(c.pattern);
  c.max_lines = 4;
  ingest::MultilineJoiner joiner(c, 4096, /*reserve=*/true);
  ingest::MultilineJoiner::Pending p;
  const std::vector<std::string> lines = {
      "2024-05-01 12:00:01 ERROR failed",
      "java.lang.IllegalStateException: x",
      "\tat a.B.c(B.java:1)",
      "Caused by: java.io.IOException",
      "\tat d.E.f(E.java:2)",  // The fifth line: cut (max_lines 4).
      "2024-05-01 12:00:02 INFO ok",
  };
  size_t records = 0;
  size_t cut = 0;
  size_t bytes = 0;
  auto run = [&] {
    for (const std::string& line : lines) {
      if (joiner.ends_record(p, line)) {
        const ingest::MultilineJoiner::Record r = joiner.take(p);
        ++records;
        cut += r.cut != ingest::CutReason::kNone ? 1 : 0;
        bytes += r.text.size();
      }
      joiner.add(p, line, 0, {}, {});
    }
  };
  counting = true;
  run();
  counting = false;
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) run();
  counting = false;
  EXPECT_EQ(allocations.load(), 0u);
  // Each pass ends the previous pass's last record; the first pass ends none.
  EXPECT_EQ(records, 2u * 101 - 1);
  EXPECT_EQ(cut, 101u);
  EXPECT_EQ(bytes, 101u * (32 + 1 + 34 + 1 + 19 + 1 + 30) + 100u * 27);
}

}  // namespace
}  // namespace logtally::transforms
