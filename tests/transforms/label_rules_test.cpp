// Label rules (lowercase, replace, map, unmapped, default) and a pipeline's filter and when:
// conditions, run end to end from a config through the BatchProcessor with exact counts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <re2/re2.h>

#include <cstring>

#include "config/build.h"
#include "config/config.h"
#include "transforms/metric_rule.h"
#include "transforms/pipeline.h"

namespace logtally::transforms {
namespace {

core::BatchPtr make_batch(uint32_t source, const std::vector<std::string>& lines) {
  size_t bytes = 0;
  for (const std::string& l : lines) bytes += l.size() + 1;
  auto b = std::make_unique<core::Batch>(bytes + 64);
  for (const std::string& l : lines) {
    std::memcpy(b->data() + b->size, l.data(), l.size());
    b->spans.push_back({static_cast<uint32_t>(b->size), static_cast<uint32_t>(l.size())});
    b->size += l.size() + 1;
    b->data()[b->size - 1] = '\n';
  }
  b->source = source;
  b->bytes_read = b->size;
  b->sequence = 1;
  return b;
}

// name{v1,v2} -> value, for exact comparison of a whole metric.
std::map<std::string, double> series_of(const core::Snapshot& s, size_t metric) {
  std::map<std::string, double> out;
  for (const core::SeriesSample& ss : s.metrics[metric].series) {
    std::string k;
    for (const std::string& l : ss.labels) k += (k.empty() ? "" : ",") + l;
    out[k] = ss.value;
  }
  return out;
}

TEST(LabelRulesTest, RewriteOrderLowercaseReplaceMap) {
  LabelRule rule;
  rule.lowercase = true;
  rule.replace = std::make_shared<const RE2>(R"(/api/(\w+)/\d+(/.*)?)");
  rule.replace_with = R"(/api/\1/:id\2 (\0) \\)";
  std::string scratch;
  EXPECT_EQ(rewrite_label(rule, "/API/Users/42/x", scratch),
            "/api/users/:id/x (/api/users/42/x) \\");
  EXPECT_EQ(rewrite_label(rule, "/api/users", scratch), "/api/users");  // no whole match: kept
  EXPECT_EQ(rewrite_label(rule, "/api/users/42", scratch), "/api/users/:id (/api/users/42) \\");

  LabelRule map;
  map.map.push_back({"", std::make_shared<const RE2>(R"(2\d\d)"), "2xx"});
  map.map.push_back({"404", nullptr, "not_found"});
  map.map.push_back({"", std::make_shared<const RE2>(R"(4\d\d)"), "4xx"});
  EXPECT_EQ(rewrite_label(map, "200", scratch), "2xx");
  EXPECT_EQ(rewrite_label(map, "2000", scratch), "2000");      // regex rows match the whole value
  EXPECT_EQ(rewrite_label(map, "404", scratch), "not_found");  // first matching row wins
  EXPECT_EQ(rewrite_label(map, "403", scratch), "4xx");
  EXPECT_EQ(rewrite_label(map, "500", scratch), "500");  // no row, no unmapped: unchanged
  map.has_unmapped = true;
  map.unmapped = "other";
  EXPECT_EQ(rewrite_label(map, "500", scratch), "other");
}

constexpr const char* kPipelines = R"(
sources:
  in: { type: stdin }
  audit: { type: file, path: /dev/null }
pipelines:
  web:
    inputs: [in]
    parser: json
    # `path !~ ...` would be false without a path; `!(path =~ ...)` is true then.
    filter: '!(path =~ "/health.*") && exists(status)'
    metrics:
      - name: requests_total
        type: counter
        labels:
          class:
            field: status
            map:
              - { regex: '2\d\d', to: 2xx }
              - { equals: "404", to: not_found }
              - { regex: '[45]\d\d', to: error }
            unmapped: other
          method: { field: method, lowercase: true, map: { get: read, head: read, post: write } }
          route:
            field: path
            replace: { regex: '/(\w+)/\d+', with: '/\1/:id' }
            default: none
        initial: [ { class: error, method: write, route: /orders/:id } ]
      - name: slow_requests_total
        type: counter
        when: dur >= 1 && status < 500
        labels: { route: path }
      - name: server_errors_total
        type: counter
        when: status >= 500
  audit:
    inputs: [audit]
    parser: json
    filter: 'verb == "delete"'
    metrics:
      - { name: deletes_total, type: counter, labels: { user: user } }
workers: 2
)";

TEST(LabelRulesTest, FilterWhenAndLabelRulesWithExactCounts) {
  auto cfg = config::load_config_text(kPipelines, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 2);
  BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());

  const std::vector<std::string> web = {
      R"({"status":200,"method":"GET","path":"/users/1","dur":0.1})",
      R"({"status":204,"method":"Head","path":"/users/22","dur":1.5})",
      R"({"status":"404","method":"POST","path":"/orders/9","dur":2})",
      R"({"status":500,"method":"POST","path":"/orders/10","dur":9})",
      R"({"status":503,"method":"DELETE","path":"/orders/x","dur":0})",
      R"({"status":302,"method":"get","path":"/login"})",
      R"({"status":200,"method":"GET","path":"/healthz"})",
      R"({"status":200,"method":"GET","path":"/health/live"})",
      R"({"method":"GET","path":"/users/3"})",
      R"({"status":201,"method":"PUT"})",
  };
  const std::vector<std::string> audit = {
      R"({"verb":"delete","user":"ann"})",
      R"({"verb":"get","user":"ann"})",
      R"({"verb":"delete","user":"bob"})",
      R"({"verb":"delete","user":"ann"})",
      R"({"user":"eve"})",
  };
  // Half the web lines to each worker: the counts must merge exactly.
  auto w1 = make_batch(0, {web.begin(), web.begin() + 5});
  auto w2 = make_batch(0, {web.begin() + 5, web.end()});
  auto a = make_batch(1, audit);
  processor.handle(0, *w1);
  processor.handle(1, *w2);
  processor.handle(1, *a);

  const core::Snapshot s = store.snapshot();
  // 10 web lines: 2 health checks and 1 without status are filtered; 7 pass.
  EXPECT_EQ(s.filtered, (std::vector<uint64_t>{3, 2}));  // audit: get, and no verb
  const std::map<std::string, double> requests = {
      {"2xx,read,/users/:id", 2},  // 200 GET /users/1, 204 Head /users/22
      {"not_found,write,/orders/:id", 1},
      {"error,write,/orders/:id", 1},  // 500 POST; also the predeclared series
      {"error,delete,/orders/x", 1},   // "delete" is in no map row: unchanged
      {"other,read,/login", 1},        // 302 matches no row: unmapped
      {"2xx,put,none", 1},             // no path: the default (not rewritten)
  };
  EXPECT_EQ(series_of(s, 0), requests);
  // when: dur >= 1 && status < 500: 204 (1.5), "404" (2); not 500 (9), not the 302 (no dur).
  EXPECT_EQ(series_of(s, 1), (std::map<std::string, double>{{"/users/22", 1}, {"/orders/9", 1}}));
  EXPECT_EQ(series_of(s, 2), (std::map<std::string, double>{{"", 2}}));  // 500 and 503
  EXPECT_EQ(series_of(s, 3), (std::map<std::string, double>{{"ann", 2}, {"bob", 1}}));
  for (uint64_t d : s.dropped) EXPECT_EQ(d, 0u);
}

TEST(LabelRulesTest, InitialSeriesExistAtZeroBeforeAnyRecord) {
  auto cfg = config::load_config_text(kPipelines, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 2);
  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(series_of(s, 0), (std::map<std::string, double>{{"error,write,/orders/:id", 0}}));
  EXPECT_TRUE(s.metrics[1].series.empty());
}

TEST(LabelRulesTest, TheBatchProcessorStampsUpdatesWithTheSteadyClockForExpiry) {
  auto cfg = config::load_config_text(R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: users_total, type: counter, expire_after: 1h, labels: { user: user } }
      - { name: kept_total, type: counter, labels: { user: user } }
)",
                                      "e.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 2);
  BatchProcessor processor(compiled.pipelines, store, 1);
  const int64_t before = core::MetricStore::steady_now_ms();
  processor.handle(0, *make_batch(0, {R"({"user":"a"})", R"({"user":"b"})"}));
  processor.handle(1, *make_batch(0, {R"({"user":"b"})"}));
  // Within the hour nothing goes; an hour and a minute after the updates, both series go from
  // both shards, and the metric without expire_after keeps its series.
  EXPECT_EQ(store.expire(before + 59 * 60 * 1000), 0u);
  EXPECT_EQ(series_of(store.snapshot(), 0), (std::map<std::string, double>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(store.expire(core::MetricStore::steady_now_ms() + 61 * 60 * 1000), 2u);
  const core::Snapshot s = store.snapshot();
  EXPECT_TRUE(s.metrics[0].series.empty());
  EXPECT_EQ(series_of(s, 1), (std::map<std::string, double>{{"a", 1}, {"b", 2}}));
  // A label set that comes back starts from 0 (the documented reset).
  processor.handle(0, *make_batch(0, {R"({"user":"b"})"}));
  EXPECT_EQ(series_of(store.snapshot(), 0), (std::map<std::string, double>{{"b", 1}}));
}

}  // namespace
}  // namespace logtally::transforms
