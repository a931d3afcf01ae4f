// The prometheus_remote_write sink's config: keys, defaults, errors with their position, and
// what compile() makes of native_histograms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "sinks/remote_write/config.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* kHead = R"(sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: h, type: histogram, value: v }
sinks:
)";

TEST(RemoteWriteConfigTest, ReadsEveryKey) {
  const std::string text = std::string(kHead) + R"(  rw:
    type: prometheus_remote_write
    url: https://mimir.example/api/v1/push
    interval: 1.5s
    timeout: 250ms
    min_backoff: 100ms
    max_backoff: 1m
    external_labels: { instance: "node-1", cluster: eu }
    native_histograms: true
    native_schema: -2
    native_max_buckets: 64
    native_zero_threshold: 0.001
    basic_auth: { username: u, password_file: /run/secrets/p }
    tls: { ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem }
    headers: { X-Scope-OrgID: tenant-1 }
)";
  auto cfg = load_config_text(text, "rw.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->sinks.size(), 1u);
  const SinkConfig& s = cfg->sinks[0];
  EXPECT_EQ(s.type, "prometheus_remote_write");
  const auto& rw = dynamic_cast<const sinks::RemoteWriteConfig&>(*s.spec);
  EXPECT_EQ(rw.url, "https://mimir.example/api/v1/push");
  EXPECT_EQ(rw.interval.count(), 1500);
  EXPECT_EQ(rw.timeout.count(), 250);
  EXPECT_EQ(rw.min_backoff.count(), 100);
  EXPECT_EQ(rw.max_backoff.count(), 60000);
  // Sorted by name.
  EXPECT_EQ(rw.external_labels, (std::vector<std::pair<std::string, std::string>>{
                                    {"cluster", "eu"}, {"instance", "node-1"}}));
  EXPECT_TRUE(rw.send_native);
  EXPECT_EQ(rw.native_schema, -2);
  EXPECT_EQ(rw.native_max_buckets, 64u);
  EXPECT_EQ(rw.native_zero_threshold, 0.001);
  EXPECT_EQ(rw.basic_auth_username, "u");
  EXPECT_EQ(rw.basic_auth_password_file, "/run/secrets/p");
  EXPECT_EQ(rw.tls_ca_file, "/ca.pem");
  EXPECT_EQ(rw.tls_key_file, "/k.pem");
  ASSERT_EQ(rw.headers.size(), 1u);
  EXPECT_EQ(rw.headers[0].first, "X-Scope-OrgID");

  const Compiled c = compile(*cfg);
  EXPECT_TRUE(c.native.enabled);
  EXPECT_EQ(c.native.schema, -2);
  EXPECT_EQ(c.native.max_buckets, 64u);
  EXPECT_EQ(c.native.zero_threshold, 0.001);
  EXPECT_THAT(describe(*cfg, c), HasSubstr("rw: prometheus_remote_write "
                                           "https://mimir.example/api/v1/push every 1500ms, "
                                           "native histograms (schema -2)"));
}

TEST(RemoteWriteConfigTest, DefaultsAndNoNativeRecordingUnlessAsked) {
  const std::string text =
      std::string(kHead) +
      "  rw: { type: prometheus_remote_write, url: http://p:9090/api/v1/write }\n";
  auto cfg = load_config_text(text, "rw.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const auto& rw = dynamic_cast<const sinks::RemoteWriteConfig&>(*cfg->sinks[0].spec);
  EXPECT_EQ(rw.interval.count(), 15000);
  EXPECT_EQ(rw.timeout.count(), 10000);
  EXPECT_FALSE(rw.send_native);
  EXPECT_FALSE(compile(*cfg).native.enabled);
}

TEST(RemoteWriteConfigTest, TheFinestSchemaAskedForIsRecorded) {
  const std::string text = std::string(kHead) +
                           "  a: { type: prometheus_remote_write, url: http://a/w, "
                           "native_histograms: true, native_schema: 1 }\n"
                           "  b: { type: prometheus_remote_write, url: http://b/w, "
                           "native_histograms: true, native_schema: 5 }\n";
  auto cfg = load_config_text(text, "rw.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(compile(*cfg).native.schema, 5);
}

TEST(RemoteWriteConfigTest, ReportsEveryErrorWithItsPosition) {
  const std::string text = std::string(kHead) + R"(  rw:
    type: prometheus_remote_write
    url: ftp://x
    interval: 15
    external_labels: { __bad: x }
    native_schema: 9
    bearer_token: a
    bearer_token_file: /t
    tls: { ca: /x }
    headers: { Content-Type: text/plain }
    colour: red
)";
  auto cfg = load_config_text(text, "bad.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("bad.yaml:11:10: sink 'rw' url: expected an http:// or https:// URL"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:12:15: sink 'rw' interval: expected a duration like 500ms"));
  EXPECT_THAT(m,
              HasSubstr("bad.yaml:13:24: sink 'rw' external_labels: invalid label name '__bad'"));
  EXPECT_THAT(
      m, HasSubstr("bad.yaml:14:20: sink 'rw' native_schema: expected an integer from -4 to 8"));
  EXPECT_THAT(m, HasSubstr("sink 'rw': give bearer_token or bearer_token_file, not both"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:17:12: sink 'rw' tls: unknown key 'ca'"));
  EXPECT_THAT(m,
              HasSubstr("sink 'rw' headers: 'Content-Type' is set by the remote write protocol"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:19:5: sink 'rw': unknown key 'colour'"));
}

TEST(RemoteWriteConfigTest, MissingUrlIsAnError) {
  auto cfg =
      load_config_text(std::string(kHead) + "  rw: { type: prometheus_remote_write }\n", "rw.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message, HasSubstr("sink 'rw': missing required key 'url'"));
}

TEST(ParseDurationTest, UnitsAndRejects) {
  EXPECT_EQ(parse_duration("500ms")->count(), 500);
  EXPECT_EQ(parse_duration("15s")->count(), 15000);
  EXPECT_EQ(parse_duration("1.5m")->count(), 90000);
  EXPECT_EQ(parse_duration("2h")->count(), 7200000);
  EXPECT_FALSE(parse_duration("15"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_EQ(parse_duration("1d")->count(), 86400000);  // One grammar for every config duration.
  EXPECT_FALSE(parse_duration("1w"));
  EXPECT_FALSE(parse_duration("1s "));
  EXPECT_FALSE(parse_duration("1..5s"));
}

}  // namespace
}  // namespace logtally::config
