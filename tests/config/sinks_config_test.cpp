// Config of the pushgateway and statsd sinks and of the exporter's hardening keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "sinks/exporter/config.h"
#include "sinks/pushgateway/config.h"
#include "sinks/statsd/config.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* kHead = R"(sources: { in: { type: stdin } }
pipelines:
  p: { inputs: [in], parser: json, metrics: [ { name: hits_total, type: counter } ] }
)";

TEST(SinksConfigTest, AllThreeSinkTypesAtOnce) {
  const std::string text = std::string(kHead) + R"(sinks:
  prom:
    type: prometheus_exporter
    listen: "127.0.0.1:9898"
    tls_cert_file: /etc/tls.crt
    tls_key_file: /etc/tls.key
    basic_auth_username: scraper
    basic_auth_password_hash: '$6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFlcWdxjB.'
  gw:
    type: pushgateway
    url: http://gw:9091/
    job: nightly
    grouping: { instance: a, team: b }
    method: post
    interval: 1.5m
    timeout: 250ms
  sd:
    type: statsd
    address: unix:///run/dsd.sock
    dialect: dogstatsd
    prefix: app.
    mtu: 8192
    interval: 2s
)";
  auto cfg = load_config_text(text, "s.yaml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->sinks.size(), 3u);
  const SinkConfig& prom_cfg = cfg->sinks[0];
  EXPECT_EQ(prom_cfg.type, "prometheus_exporter");
  const auto& prom = dynamic_cast<const sinks::PrometheusExporterConfig&>(*prom_cfg.spec);
  EXPECT_EQ(prom.tls_cert_file, "/etc/tls.crt");
  EXPECT_EQ(prom.tls_key_file, "/etc/tls.key");
  EXPECT_EQ(prom.basic_auth_username, "scraper");
  const SinkConfig& gw_cfg = cfg->sinks[1];
  EXPECT_EQ(gw_cfg.type, "pushgateway");
  const auto& gw = dynamic_cast<const sinks::PushgatewayConfig&>(*gw_cfg.spec);
  EXPECT_EQ(gw.url, "http://gw:9091");  // Trailing '/' dropped.
  EXPECT_EQ(gw.job, "nightly");
  EXPECT_EQ(gw.grouping,
            (std::vector<std::pair<std::string, std::string>>{{"instance", "a"}, {"team", "b"}}));
  EXPECT_EQ(gw.method, sinks::PushgatewayConfig::Method::kPost);
  EXPECT_EQ(gw.interval.count(), 90000);
  EXPECT_EQ(gw.timeout.count(), 250);
  const SinkConfig& sd_cfg = cfg->sinks[2];
  EXPECT_EQ(sd_cfg.type, "statsd");
  const auto& sd = dynamic_cast<const sinks::StatsdConfig&>(*sd_cfg.spec);
  EXPECT_EQ(sd.address, "unix:///run/dsd.sock");
  EXPECT_EQ(sd.dialect, sinks::StatsdConfig::Dialect::kDogstatsd);
  EXPECT_EQ(sd.prefix, "app.");
  EXPECT_EQ(sd.mtu, 8192u);
  EXPECT_EQ(sd.interval.count(), 2000);
  // `check` names each sink.
  const std::string described = describe(*cfg, compile(*cfg));
  EXPECT_THAT(described,
              HasSubstr("prom: prometheus_exporter https://127.0.0.1:9898/metrics (basic auth)"));
  EXPECT_THAT(described,
              HasSubstr("gw: pushgateway http://gw:9091/metrics/job/nightly/instance/a/team/b POST "
                        "every 90000ms"));
  EXPECT_THAT(described,
              HasSubstr("sd: statsd unix:///run/dsd.sock (dogstatsd, mtu 8192) every 2000ms"));
}

TEST(SinksConfigTest, EveryMistakeIsReportedWithItsPosition) {
  const std::string text = std::string(kHead) + R"(sinks:
  a: { type: prometheus_exporter, listen: "127.0.0.1:9000", basic_auth_username: u, basic_auth_password_hash: hunter2 }
  b: { type: prometheus_exporter, listen: "0.0.0.0:9000", tls_key_file: k.pem }
  c: { type: pushgateway, url: "gw:9091", method: patch, interval: soon, grouping: { job: x } }
  d: { type: statsd, address: "nohost", dialect: influx, mtu: 10, interval: -1s, extra: 1 }
  e: { type: kafka }
)";
  auto cfg = load_config_text(text, "bad.yaml");
  ASSERT_FALSE(cfg);
  const std::string& m = cfg.error().message;
  EXPECT_THAT(
      m, HasSubstr("bad.yaml:5:111: sink 'a' basic_auth_password_hash: expected a crypt(3) hash"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:6:73: sink 'b': tls_key_file needs tls_cert_file"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:6:6: sink 'b': port 9000 is already used by sink 'a'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:7:6: sink 'c': missing required key 'job'"));
  EXPECT_THAT(
      m,
      HasSubstr("sink 'c' url: expected http://host:port or https://host:port, got \"gw:9091\""));
  EXPECT_THAT(m, HasSubstr("sink 'c' method: expected put or post, got \"patch\""));
  EXPECT_THAT(m, HasSubstr("sink 'c' interval: expected a duration like 500ms, 15s, 1m or 2h"));
  EXPECT_THAT(m, HasSubstr("sink 'c' grouping: invalid label name 'job'"));
  EXPECT_THAT(m, HasSubstr("sink 'd' address: expected host:port or unix:///path, got \"nohost\""));
  EXPECT_THAT(m, HasSubstr("sink 'd' dialect: expected statsd or dogstatsd, got \"influx\""));
  EXPECT_THAT(m, HasSubstr("sink 'd' mtu: expected an integer from 64 to 65507, got \"10\""));
  EXPECT_THAT(m, HasSubstr("sink 'd' interval: expected a duration"));
  EXPECT_THAT(m, HasSubstr("sink 'd': unknown key 'extra'"));
  EXPECT_THAT(m, HasSubstr("sink 'e': unknown sink type 'kafka'; expected prometheus_exporter, "
                           "prometheus_remote_write, pushgateway, statsd or textfile"));
}

}  // namespace
}  // namespace logtally::config
