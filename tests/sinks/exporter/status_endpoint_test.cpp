// The exporter's status page: GET /-/status (exact JSON) and GET / (the page), and their auth.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "sinks/exporter/prometheus_exporter.h"

namespace logtally::sinks {
namespace {

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

std::string get(int port, const std::string& path, const std::string& headers = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return "connect failed";
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "Connection: close\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}
std::string body_of(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

std::vector<core::MetricSpec> specs() {
  core::MetricSpec hits;
  hits.name = "hits_total";
  hits.help = "Hits.";
  hits.label_names = {"code"};
  hits.max_series = 2;
  core::MetricSpec latency;
  latency.name = "latency_seconds";
  latency.help = "Latency.";
  latency.type = core::MetricType::kHistogram;
  latency.buckets = {0.1, 1};
  return {hits, latency};
}

// Two workers' shards with known counts and drops; the exact /-/status they give is below.
struct StatusFixture : ::testing::Test {
  StatusFixture() : store(specs(), {"in"}, {"api", "web"}, 2) {
    core::MetricShard& a = store.shard(0);
    core::MetricShard& b = store.shard(1);
    a.count_source(0, 14, 600);
    b.count_source(0, 8, 400);
    // Three label sets for a metric of max_series 2: the third goes to the overflow series.
    for (const char* code : {"200", "404", "500"}) {
      core::LabelKey k;
      k.add(code);
      a.counter_add(0, a.series(0, k.view()), 1);
    }
    a.count_counted(0, 3);
    b.count_counted(0, 2);
    a.count_filtered(0, 2);
    // invalid_json: 4 in shard 0 (orders 1-4), 3 in shard 1 (orders 5-7): the newest five over
    // both shards are bad7..bad3.
    a.count_dropped(0, core::DropReason::kInvalidJson, 4);
    b.count_dropped(0, core::DropReason::kInvalidJson, 3);
    for (int i = 1; i <= 4; ++i) {
      a.sample_drop(0, core::DropReason::kInvalidJson, "bad" + std::to_string(i), i);
    }
    for (int i = 5; i <= 7; ++i) {
      b.sample_drop(0, core::DropReason::kInvalidJson, "bad" + std::to_string(i), i);
    }
    // not_object: seven in one shard; its ring keeps the last five (a2..a6).
    a.count_dropped(0, core::DropReason::kNotObject, 7);
    for (int i = 0; i < 7; ++i) {
      a.sample_drop(0, core::DropReason::kNotObject, "[" + std::to_string(i) + "]", 100 + i);
    }
    // A metric's drop names the metric; a record longer than 512 bytes is cut at a character
    // boundary: "x" then 300 two-byte "é" (601 bytes) keeps "x" and 255 "é" (511 bytes).
    a.count_dropped(0, core::DropReason::kMissingValue, 2);
    a.sample_drop(0, core::DropReason::kMissingValue, "{\"code\":200}", 50, /*metric=*/0);
    std::string longer = "x";
    for (int i = 0; i < 300; ++i) longer += "\xc3\xa9";
    b.sample_drop(0, core::DropReason::kMissingValue, longer, 51, /*metric=*/1);
    // The self-metrics the page reads.
    core::SelfMetrics& self = store.self_metrics();
    self.gauge("logtally_files_watched", "Files.", {{"source", "in"}}).set(1);
    self.gauge("logtally_checkpoint_last_success_timestamp_seconds", "Last.").set(1000);
    self.counter("logtally_checkpoint_failures_total", "Failures.");
    SendCounters sends = register_send_counters(self, "push");
    sends.ok->add(4);
    sends.error->add(1);
  }

  static std::shared_ptr<const RunningConfig> running() {
    auto rc = std::make_shared<RunningConfig>();
    rc->file = "/etc/logtally/app.yaml";
    rc->checkpoints = true;
    rc->sources = {{"in", "file", "file /var/log/app.log (start_at beginning)", {}}};
    rc->pipelines = {{"api", "json", "", {"in"}}, {"web", "logfmt", "", {"in"}}};
    rc->sinks = {{"prom", "prometheus_exporter", "prometheus_exporter on http://x/metrics", {}},
                 {"push", "pushgateway", "pushgateway http://pg", {}}};
    return rc;
  }

  core::MetricStore store;
};

TEST_F(StatusFixture, StatusJsonHasExactCountsDropsAndSeries) {
  PrometheusExporter exporter("prom", PrometheusExporterConfig{}, store);
  exporter.set_running_config([] { return running(); });
  std::string cut = "x";
  for (int i = 0; i < 255; ++i) cut += "\xc3\xa9";
  const std::string want =
      R"({"time_unix_ms":1010500,"config":{"file":"/etc/logtally/app.yaml","checkpoints":true},)"
      R"j("sources":[{"name":"in","type":"file","description":"file /var/log/app.log )j"
      R"j((start_at beginning)","lines":22,"bytes":1000,"files_watched":1,"kafka_lag":null}],)j"
      R"("pipelines":[{"name":"api","parser":"json","inputs":["in"],"counted":5,"filtered":2,)"
      R"("dropped":{"invalid_json":7,"not_object":7,"missing_value":2,"not_a_number":0,)"
      R"("negative_value":0,"too_long":0,"empty":0,"no_match":0,"bad_envelope":0},)"
      R"("recent_drops":{"invalid_json":[)"
      R"({"record":"bad7","length":4,"truncated":false},)"
      R"({"record":"bad6","length":4,"truncated":false},)"
      R"({"record":"bad5","length":4,"truncated":false},)"
      R"({"record":"bad4","length":4,"truncated":false},)"
      R"({"record":"bad3","length":4,"truncated":false}],)"
      R"("not_object":[{"record":"[6]","length":3,"truncated":false},)"
      R"({"record":"[5]","length":3,"truncated":false},)"
      R"({"record":"[4]","length":3,"truncated":false},)"
      R"({"record":"[3]","length":3,"truncated":false},)"
      R"({"record":"[2]","length":3,"truncated":false}],)"
      R"("missing_value":[{"record":")" +
      cut +
      R"(","length":601,"truncated":true,"metric":"latency_seconds"},)"
      R"({"record":"{\"code\":200}","length":12,"truncated":false,"metric":"hits_total"}]}},)"
      R"({"name":"web","parser":"logfmt","inputs":["in"],"counted":0,"filtered":0,)"
      R"("dropped":{"invalid_json":0,"not_object":0,"missing_value":0,"not_a_number":0,)"
      R"("negative_value":0,"too_long":0,"empty":0,"no_match":0,"bad_envelope":0},)"
      R"("recent_drops":{}}],)"
      R"("metrics":[{"name":"hits_total","type":"counter","series":3,"max_series":2,)"
      R"("overflow":1},)"
      R"({"name":"latency_seconds","type":"histogram","series":0,"max_series":0,"overflow":0}],)"
      R"("checkpoint":{"enabled":true,"last_success_unix":1000,"age_seconds":10.5,)"
      R"("failures":0},)"
      R"("sinks":[{"name":"prom","type":"prometheus_exporter",)"
      R"("description":"prometheus_exporter on http://x/metrics","serving":true,)"
      R"("sends_ok":null,"sends_error":null},)"
      R"({"name":"push","type":"pushgateway","description":"pushgateway http://pg",)"
      R"("serving":false,"sends_ok":4,"sends_error":1}]})";
  EXPECT_EQ(exporter.status_json(1010500), want);
}

TEST_F(StatusFixture, BadTimestampShowsOnceCountedAndSamplesMergeNewestFirst) {
  store.shard(1).count_dropped(1, core::DropReason::kBadTimestamp, 1);
  store.shard(1).sample_drop(1, core::DropReason::kBadTimestamp, "ts=never", 9);
  const core::StatusCounts c = store.status_counts();
  ASSERT_EQ(c.recent_drops.size(), 2 * core::kDropReasonCount);
  const auto& bad_ts =
      c.recent_drops[core::kDropReasonCount + static_cast<size_t>(core::DropReason::kBadTimestamp)];
  ASSERT_EQ(bad_ts.size(), 1u);
  EXPECT_EQ(bad_ts[0].record, "ts=never");
  EXPECT_EQ(bad_ts[0].order, 9u);
  EXPECT_EQ(c.counted, (std::vector<uint64_t>{5, 0}));
  PrometheusExporter exporter("prom", PrometheusExporterConfig{}, store);
  const std::string json = exporter.status_json(0);
  EXPECT_NE(json.find(R"("bad_envelope":0,"bad_timestamp":1},"recent_drops":{"bad_timestamp":)"
                      R"([{"record":"ts=never","length":8,"truncated":false}]})"),
            std::string::npos)
      << json;
  // Without a running config (no run loop): names from the store, no sinks.
  EXPECT_NE(json.find(R"("config":{"file":"","checkpoints":false})"), std::string::npos);
  EXPECT_NE(json.find(R"("sinks":[]})"), std::string::npos);
}

TEST_F(StatusFixture, PageAndStatusNeedTheBasicAuth) {
  PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  cfg.basic_auth_username = "alice";
  // `openssl passwd -6 -salt abcdefgh s3cret`
  cfg.basic_auth_password_hash =
      "$6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFl"
      "cWdxjB.";
  PrometheusExporter exporter("prom", cfg, store);
  exporter.set_running_config([] { return running(); });
  ASSERT_TRUE(exporter.start());
  const std::string good = "Authorization: Basic YWxpY2U6czNjcmV0\r\n";  // alice:s3cret
  const std::string bad = "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n";   // alice:wrong
  for (const char* path : {"/", "/-/status"}) {
    const std::string none = get(port, path);
    EXPECT_EQ(status_line(none), "HTTP/1.1 401 Unauthorized") << path;
    EXPECT_NE(none.find("WWW-Authenticate: Basic realm=\"logtally\""), std::string::npos);
    EXPECT_EQ(status_line(get(port, path, bad)), "HTTP/1.1 401 Unauthorized") << path;
  }
  const std::string page = get(port, "/", good);
  EXPECT_EQ(status_line(page), "HTTP/1.1 200 OK");
  EXPECT_NE(page.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  const std::string html = body_of(page);
  EXPECT_EQ(html.substr(0, 15), "<!DOCTYPE html>");
  EXPECT_NE(html.find("fetch(\"/-/status\""), std::string::npos);
  // Offline: nothing is loaded from elsewhere.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);

  const std::string status = get(port, "/-/status", good);
  EXPECT_EQ(status_line(status), "HTTP/1.1 200 OK");
  EXPECT_NE(status.find("Content-Type: application/json"), std::string::npos);
  const std::string json = body_of(status);
  // The same document as status_json() but for the time it was made at.
  const std::string at = R"({"time_unix_ms":)";
  ASSERT_EQ(json.substr(0, at.size()), at);
  const size_t comma = json.find(',');
  EXPECT_EQ(
      json.substr(comma),
      exporter.status_json(std::stoll(json.substr(at.size(), comma - at.size()))).substr(comma));
  exporter.stop();
}

TEST_F(StatusFixture, MetricsAtTheRootPathWinOverThePage) {
  PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  cfg.path = "/";
  PrometheusExporter exporter("prom", cfg, store);
  ASSERT_TRUE(exporter.start());
  const std::string r = get(port, "/");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("hits_total{code=\"200\"} 1\n"), std::string::npos) << r;
  EXPECT_EQ(status_line(get(port, "/-/status")), "HTTP/1.1 404 Not Found");
  exporter.stop();
}

}  // namespace
}  // namespace logtally::sinks
