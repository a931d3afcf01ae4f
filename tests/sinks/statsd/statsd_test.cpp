#include "sinks/statsd/statsd.h"

#include "sinks/push_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace logtally::sinks {
namespace {

std::string key_of(std::initializer_list<std::string_view> values) {
  core::LabelKey k;
  for (std::string_view v : values) k.add(v);
  return std::string(k.view());
}

// A store with one counter {code}, one gauge and one histogram {path} with buckets 0.1, 1.
struct Fixture {
  Fixture() : store(make_specs(), {"in"}, {"p"}, 1) {}
  static std::vector<core::MetricSpec> make_specs() {
    core::MetricSpec c;
    c.name = "hits_total";
    c.label_names = {"code"};
    core::MetricSpec g;
    g.name = "temp";
    g.type = core::MetricType::kGauge;
    core::MetricSpec h;
    h.name = "lat_seconds";
    h.type = core::MetricType::kHistogram;
    h.label_names = {"path"};
    h.buckets = {0.1, 1};
    return {c, g, h};
  }
  void hit(std::string_view code, double n) {
    core::MetricShard& s = store.shard(0);
    s.counter_add(0, s.series(0, key_of({code})), n);
  }
  void temp(double v) {
    core::MetricShard& s = store.shard(0);
    s.gauge_update(1, s.series(1, key_of({})), v, ++stamp);
  }
  void lat(std::string_view path, double v) {
    core::MetricShard& s = store.shard(0);
    s.histogram_observe(2, s.series(2, key_of({path})), v);
  }
  core::MetricStore store;
  uint64_t stamp = 0;
};

TEST(StatsdEncoderTest, CountersAreDeltasGaugesValuesHistogramsBucketCounters) {
  Fixture f;
  StatsdConfig cfg;
  cfg.prefix = "app.";
  StatsdEncoder enc(cfg);
  f.hit("200", 3);
  f.hit("5|0:0", 1);  // Reserved characters in a label value.
  f.temp(21.5);
  f.lat("/a", 0.05);
  f.lat("/a", 0.5);
  f.lat("/a", 7);
  EXPECT_EQ(enc.encode(f.store.snapshot()), (std::vector<std::string>{
                                                "app.hits_total.code.200:3|c",
                                                "app.hits_total.code.5_0_0:1|c",
                                                "app.temp:21.5|g",
                                                "app.lat_seconds_bucket.path./a.le.0.1:1|c",
                                                "app.lat_seconds_bucket.path./a.le.1:2|c",
                                                "app.lat_seconds_bucket.path./a.le.+Inf:3|c",
                                                "app.lat_seconds_count.path./a:3|c",
                                                "app.lat_seconds_sum.path./a:7.55|c",
                                            }));
  // Second flush: only what changed since; the unchanged counter series is not sent; gauges
  // always are; a negative gauge is preceded by 0 so it is not read as a decrement.
  f.hit("200", 2);
  f.temp(-4);
  f.lat("/a", 2);
  EXPECT_EQ(enc.encode(f.store.snapshot()), (std::vector<std::string>{
                                                "app.hits_total.code.200:2|c",
                                                "app.temp:0|g\napp.temp:-4|g",
                                                "app.lat_seconds_bucket.path./a.le.+Inf:1|c",
                                                "app.lat_seconds_count.path./a:1|c",
                                                "app.lat_seconds_sum.path./a:2|c",
                                            }));
  // Nothing new: gauges only.
  EXPECT_EQ(enc.encode(f.store.snapshot()),
            (std::vector<std::string>{"app.temp:0|g\napp.temp:-4|g"}));
}

// After a restart from a checkpoint, the restored values were counted (and pushed) by the
// previous run: only what grows after them is sent, never the restored totals again.
TEST(StatsdEncoderTest, ResumeFromSendsOnlyWhatGrewSinceTheRestoredState) {
  Fixture f;
  StatsdConfig cfg;
  StatsdEncoder enc(cfg);
  f.hit("200", 40);
  f.lat("/a", 0.0625);
  f.lat("/a", 0.5);
  enc.resume_from(f.store.snapshot());  // The restored state.
  f.hit("200", 2);
  f.hit("500", 1);
  f.lat("/a", 0.0625);
  EXPECT_EQ(enc.encode(f.store.snapshot()), (std::vector<std::string>{
                                                "hits_total.code.200:2|c",
                                                "hits_total.code.500:1|c",
                                                "lat_seconds_bucket.path./a.le.0.1:1|c",
                                                "lat_seconds_bucket.path./a.le.1:1|c",
                                                "lat_seconds_bucket.path./a.le.+Inf:1|c",
                                                "lat_seconds_count.path./a:1|c",
                                                "lat_seconds_sum.path./a:0.0625|c",
                                            }));
}

TEST(StatsdEncoderTest, DogstatsdSendsLabelsAsTags) {
  Fixture f;
  StatsdConfig cfg;
  cfg.dialect = StatsdConfig::Dialect::kDogstatsd;
  StatsdEncoder enc(cfg);
  f.hit("200", 1);
  f.hit("", 4);  // Empty value: no tag (as Prometheus drops the label).
  f.lat("/b,c", 0.2);
  EXPECT_EQ(enc.encode(f.store.snapshot()), (std::vector<std::string>{
                                                "hits_total:4|c",
                                                "hits_total:1|c|#code:200",
                                                "lat_seconds_bucket:1|c|#path:/b_c,le:1",
                                                "lat_seconds_bucket:1|c|#path:/b_c,le:+Inf",
                                                "lat_seconds_count:1|c|#path:/b_c",
                                                "lat_seconds_sum:0.2|c|#path:/b_c",
                                            }));
}

TEST(StatsdEncoderTest, PacksLinesUnderTheMtu) {
  const std::vector<std::string> lines = {"aaaa:1|c", "bbbb:2|c", "cccc:3|c", std::string(40, 'x')};
  // 8 + 1 + 8 = 17 fits in 20; a third would make 26.
  EXPECT_EQ(StatsdEncoder::pack(lines, 20),
            (std::vector<std::string>{"aaaa:1|c\nbbbb:2|c", "cccc:3|c", std::string(40, 'x')}));
  EXPECT_EQ(StatsdEncoder::pack(lines, 1000).size(), 1u);
  EXPECT_TRUE(StatsdEncoder::pack({}, 100).empty());
}

// Collects every datagram that arrives on `fd` until none came for 300 ms.
std::vector<std::string> drain(int fd) {
  std::vector<std::string> out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 300) <= 0) return out;
    char buf[65536];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) return out;
    out.emplace_back(buf, static_cast<size_t>(n));
  }
}

TEST(StatsdSinkTest, UdpListenerReceivesExactlyTheExpectedDatagrams) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(getsockname(rx, reinterpret_cast<sockaddr*>(&sa), &len), 0);

  Fixture f;
  StatsdConfig cfg;
  cfg.address = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  cfg.dialect = StatsdConfig::Dialect::kDogstatsd;
  cfg.mtu = 64;
  cfg.interval = std::chrono::hours(1);  // Only the flushes below and the one at stop().
  StatsdSink sink("sd", cfg, f.store);
  ASSERT_TRUE(sink.start());
  // Started as the run loop starts it: before anything is counted.
  PushLoop loop(f.store, {&sink});
  loop.start();
  f.hit("200", 3);
  f.hit("404", 1);
  f.temp(-2.5);
  f.lat("/", 0.05);
  ASSERT_TRUE(sink.flush(f.store.snapshot(), false).ok);
  EXPECT_EQ(drain(rx), (std::vector<std::string>{
                           "hits_total:3|c|#code:200\nhits_total:1|c|#code:404",
                           // 20 + 1 + 37 = 58 bytes: fits the 64-byte MTU together.
                           "temp:0|g\ntemp:-2.5|g\nlat_seconds_bucket:1|c|#path:/,le:0.1",
                           "lat_seconds_bucket:1|c|#path:/,le:1",
                           "lat_seconds_bucket:1|c|#path:/,le:+Inf",
                           "lat_seconds_count:1|c|#path:/\nlat_seconds_sum:0.05|c|#path:/",
                       }));
  f.hit("200", 4);
  f.temp(7);
  loop.stop();  // The final flush.
  sink.stop();
  EXPECT_EQ(drain(rx), (std::vector<std::string>{"hits_total:4|c|#code:200\ntemp:7|g"}));
  // Every datagram is counted as sent.
  double ok = -1;
  for (const auto& fam : f.store.self_metrics().collect()) {
    if (fam.name != "logtally_sink_sends_total") continue;
    for (const auto& s : fam.series) {
      if (s.labels == core::SelfMetrics::Labels{{"sink", "sd"}, {"result", "ok"}}) ok = s.value;
    }
  }
  EXPECT_EQ(ok, 6);  // 5 datagrams in the flush, 1 at stop.
  close(rx);
}

TEST(StatsdSinkTest, UnixDatagramSocket) {
  char dir[] = "/tmp/logtally-statsd-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/dsd.sock";
  const int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);

  Fixture f;
  StatsdConfig cfg;
  cfg.address = "unix://" + path;
  cfg.interval = std::chrono::hours(1);
  StatsdSink sink("sd", cfg, f.store);
  ASSERT_TRUE(sink.start());
  PushLoop loop(f.store, {&sink});
  loop.start();
  f.hit("200", 2);
  loop.stop();  // The final flush.
  sink.stop();
  EXPECT_EQ(drain(rx), (std::vector<std::string>{"hits_total.code.200:2|c"}));
  close(rx);
  unlink(path.c_str());
  rmdir(dir);
}

TEST(StatsdSinkTest, NoListenerNeverBlocksAndCountsNothingLost) {
  Fixture f;
  StatsdConfig cfg;
  cfg.address = "unix:///nonexistent-dir/dsd.sock";
  cfg.interval = std::chrono::hours(1);
  StatsdSink sink("sd", cfg, f.store);
  ASSERT_TRUE(sink.start());
  f.hit("200", 1);
  EXPECT_FALSE(sink.flush(f.store.snapshot(), false).ok);
  PushLoop loop(f.store, {&sink});
  loop.start();
  loop.stop();  // The final flush.
  sink.stop();
  double errors = -1;
  for (const auto& fam : f.store.self_metrics().collect()) {
    if (fam.name != "logtally_sink_sends_total") continue;
    for (const auto& s : fam.series) {
      if (s.labels == core::SelfMetrics::Labels{{"sink", "sd"}, {"result", "error"}}) {
        errors = s.value;
      }
    }
  }
  EXPECT_EQ(errors, 1);  // One datagram in the explicit flush; none left for the final one.
}

}  // namespace
}  // namespace logtally::sinks
