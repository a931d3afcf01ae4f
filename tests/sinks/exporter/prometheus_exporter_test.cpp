#include "sinks/exporter/prometheus_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

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

// A whole HTTP/1.1 exchange on a fresh connection; returns the raw response.
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

struct ExporterFixture : ::testing::Test {
  ExporterFixture() : store(specs(), {"in"}, {"p"}, 1) {
    core::LabelKey k;
    k.add("200");
    core::MetricShard& s = store.shard(0);
    s.counter_add(0, s.series(0, k.view()), 3);
  }
  static std::vector<core::MetricSpec> specs() {
    core::MetricSpec c;
    c.name = "hits_total";
    c.help = "Hits.";
    c.label_names = {"code"};
    return {c};
  }
  core::MetricStore store;
};

TEST_F(ExporterFixture, ReadyOnlyAfterMarkReadyHealthyAlways) {
  PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  PrometheusExporter exporter("prom", cfg, store);
  ASSERT_TRUE(exporter.start());
  EXPECT_EQ(status_line(get(port, "/-/healthy")), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(get(port, "/-/ready")), "HTTP/1.1 503 Service Unavailable");
  exporter.mark_ready();
  EXPECT_EQ(status_line(get(port, "/-/ready")), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(get(port, "/nothing")), "HTTP/1.1 404 Not Found");
  exporter.stop();
}

TEST_F(ExporterFixture, FormatFollowsAcceptAndAuthGuardsBoth) {
  PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  cfg.basic_auth_username = "alice";
  // `openssl passwd -6 -salt abcdefgh s3cret`
  cfg.basic_auth_password_hash =
      "$6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFl"
      "cWdxjB.";
  PrometheusExporter exporter("prom", cfg, store);
  ASSERT_TRUE(exporter.start());
  const std::string good = "Authorization: Basic YWxpY2U6czNjcmV0\r\n";  // alice:s3cret
  const std::string bad = "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n";   // alice:wrong
  const std::string om = "Accept: application/openmetrics-text; version=1.0.0\r\n";

  EXPECT_EQ(status_line(get(port, "/metrics")).substr(0, 12), "HTTP/1.1 401");
  EXPECT_EQ(status_line(get(port, "/metrics", bad)).substr(0, 12), "HTTP/1.1 401");
  EXPECT_EQ(status_line(get(port, "/metrics", bad + om)).substr(0, 12), "HTTP/1.1 401");

  const std::string text = get(port, "/metrics", good);
  EXPECT_EQ(status_line(text), "HTTP/1.1 200 OK");
  EXPECT_NE(text.find("\n# HELP hits_total Hits.\n# TYPE hits_total counter\n"
                      "hits_total{code=\"200\"} 3\n"),
            std::string::npos)
      << text;

  const std::string open = get(port, "/metrics", good + om);
  EXPECT_EQ(status_line(open), "HTTP/1.1 200 OK");
  EXPECT_NE(open.find("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
            std::string::npos);
  EXPECT_NE(
      open.find("\r\n\r\n# TYPE hits counter\n# HELP hits Hits.\nhits_total{code=\"200\"} 3\n"),
      std::string::npos)
      << open;
  EXPECT_EQ(open.substr(open.size() - 6), "# EOF\n");
  // Health paths need no credentials.
  EXPECT_EQ(status_line(get(port, "/-/healthy")), "HTTP/1.1 200 OK");
  exporter.stop();
}

std::string gunzip(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return "inflateInit2 failed";
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "inflate failed";
}

// The text format is logtally's own too: the same body with or without gzip, and none of
// prometheus-cpp's exposer_* counters (they would restart at 0 with every process).
TEST_F(ExporterFixture, TextIsOursAndGzippedWhenAccepted) {
  PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  PrometheusExporter exporter("prom", cfg, store);
  ASSERT_TRUE(exporter.start());
  const std::string plain = get(port, "/metrics");
  ASSERT_EQ(status_line(plain), "HTTP/1.1 200 OK");
  EXPECT_NE(plain.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_EQ(plain.find("Content-Encoding"), std::string::npos);
  const std::string body = plain.substr(plain.find("\r\n\r\n") + 4);
  EXPECT_EQ(body.find("exposer_"), std::string::npos);
  EXPECT_EQ(body.rfind("# HELP hits_total Hits.\n# TYPE hits_total counter\n"
                       "hits_total{code=\"200\"} 3\n",
                       0),
            0u)
      << body;

  const std::string zipped = get(port, "/metrics", "Accept-Encoding: deflate, gzip\r\n");
  ASSERT_EQ(status_line(zipped), "HTTP/1.1 200 OK");
  EXPECT_NE(zipped.find("Content-Encoding: gzip\r\n"), std::string::npos);
  EXPECT_EQ(gunzip(zipped.substr(zipped.find("\r\n\r\n") + 4)), body);
  const std::string refused = get(port, "/metrics", "Accept-Encoding: gzip;q=0\r\n");
  EXPECT_EQ(refused.find("Content-Encoding"), std::string::npos);
  exporter.stop();
}

std::string post(int port, const std::string& path, const std::string& headers = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return "connect failed";
  const std::string req = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" +
                          headers + "Connection: close\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// POST /-/reload: only with enable_reload, only POST, behind the auth; 200 when the handler
// accepts the config, 400 with its errors when it refuses it.
TEST_F(ExporterFixture, ReloadEndpoint) {
  PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  cfg.basic_auth_username = "alice";
  cfg.basic_auth_password_hash =
      "$6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFl"
      "cWdxjB.";
  const std::string good = "Authorization: Basic YWxpY2U6czNjcmV0\r\n";  // alice:s3cret
  int calls = 0;
  bool accept = true;
  auto handler = [&]() -> core::Status {
    ++calls;
    if (accept) return core::Ok{};
    return core::make_error(core::ErrorCode::kConfig, "app.yaml:3:7: unknown key 'sorces'");
  };
  {
    PrometheusExporter off("prom", cfg, store);  // enable_reload is false by default.
    off.set_reload_handler(handler);
    ASSERT_TRUE(off.start());
    EXPECT_EQ(status_line(post(port, "/-/reload", good)), "HTTP/1.1 404 Not Found");
    off.stop();
  }
  cfg.enable_reload = true;
  PrometheusExporter exporter("prom", cfg, store);
  exporter.set_reload_handler(handler);
  ASSERT_TRUE(exporter.start());
  EXPECT_EQ(status_line(post(port, "/-/reload")).substr(0, 12), "HTTP/1.1 401");
  EXPECT_EQ(status_line(get(port, "/-/reload", good)), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(status_line(post(port, "/-/reload", good)), "HTTP/1.1 200 OK");
  accept = false;
  const std::string refused = post(port, "/-/reload", good);
  EXPECT_EQ(status_line(refused), "HTTP/1.1 400 Bad Request");
  EXPECT_NE(refused.find("reload refused: app.yaml:3:7: unknown key 'sorces'"), std::string::npos)
      << refused;
  EXPECT_EQ(calls, 2);
  exporter.stop();
}

TEST_F(ExporterFixture, BadTlsFilesFailStartWithAReason) {
  PrometheusExporterConfig cfg;
  cfg.listen = "127.0.0.1:" + std::to_string(free_port());
  cfg.tls_cert_file = "/nonexistent/cert.pem";
  PrometheusExporter exporter("prom", cfg, store);
  core::Status st = exporter.start();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("cannot listen on " + cfg.listen), std::string::npos)
      << st.error().message;
}

}  // namespace
}  // namespace logtally::sinks
