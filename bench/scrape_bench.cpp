// Scrape latency of the Prometheus exporter at large series counts, against baselines measured
// in the same run: MetricStore::snapshot() alone, and snapshot + text serialization without
// HTTP. Prints the best of ROUNDS per step and each step's ratio to snapshot().
//
// Usage: scrape_bench [SERIES...]   (default 100000 1000000; ROUNDS env, default 5)
//
// The store holds one counter with two labels (path, code) and SERIES distinct series spread
// over 2 shards, as two workers would leave them. A scrape is a real HTTP GET on 127.0.0.1
// through civetweb and prometheus-cpp, read to the end of the body. Before timing, the scraped
// body is checked: it must hold every series with its value.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>

#include "core/metric_store.h"
#include "sinks/exporter/prometheus_exporter.h"
#include "sinks/exposition/exposition.h"
#include "sinks/exposition/openmetrics.h"

using namespace logtally;
using Clock = std::chrono::steady_clock;

namespace {

std::string http_get(int port, const std::string& path, const std::string& accept) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + accept +
                          "\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) std::exit(1);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

template <typename F>
double best_ms(int rounds, F&& f) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return best;
}

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

void run(size_t series, int rounds) {
  core::MetricSpec spec;
  spec.name = "http_requests_total";
  spec.help = "Requests.";
  spec.label_names = {"path", "code"};
  core::MetricStore store({spec}, {"in"}, {"p"}, 2);
  core::LabelKey key;
  for (size_t i = 0; i < series; ++i) {
    core::MetricShard& shard = store.shard(i % 2);
    key.clear();
    key.add("/api/v1/items/" + std::to_string(i / 5));
    key.add(std::to_string(200 + i % 5));
    shard.counter_add(0, shard.series(0, key.view()), static_cast<double>(i % 1000 + 1));
  }

  sinks::PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  sinks::PrometheusExporter exporter("bench", cfg, store);
  if (!exporter.start()) {
    std::fprintf(stderr, "cannot start the exporter on %s\n", cfg.listen.c_str());
    std::exit(1);
  }
  exporter.mark_ready();

  // Check before timing: every series is in the scraped body, with its value.
  const std::string body = http_get(port, "/metrics", "text/plain");
  size_t lines = 0;
  for (size_t p = body.find("\nhttp_requests_total{"); p != std::string::npos;
       p = body.find("\nhttp_requests_total{", p + 1)) {
    ++lines;
  }
  const std::string probe = "http_requests_total{path=\"/api/v1/items/0\",code=\"201\"} 2\n";
  if (lines != series || body.find(probe) == std::string::npos) {
    std::fprintf(stderr, "check failed: %zu series lines in the scrape, expected %zu\n", lines,
                 series);
    std::exit(1);
  }

  size_t text_bytes = 0;
  const double snap = best_ms(rounds, [&] {
    const core::Snapshot s = store.snapshot();
    if (s.metrics[0].series.size() != series) std::exit(1);
  });
  const double text = best_ms(rounds, [&] {
    const prometheus::TextSerializer ser;
    text_bytes = ser.Serialize(sinks::to_families(store, store.snapshot())).size();
  });
  const double om_direct = best_ms(rounds, [&] {
    (void)sinks::to_openmetrics(sinks::to_families(store, store.snapshot())).size();
  });
  const double scrape =
      best_ms(rounds, [&] { (void)http_get(port, "/metrics", "text/plain").size(); });
  const double scrape_om = best_ms(
      rounds, [&] { (void)http_get(port, "/metrics", "application/openmetrics-text").size(); });
  exporter.stop();

  std::printf("series %zu (text body %.1f MiB), best of %d rounds\n", series,
              static_cast<double>(text_bytes) / (1 << 20), rounds);
  std::printf("  %-46s %9.1f ms  x%.2f\n", "snapshot() alone (baseline)", snap, 1.0);
  std::printf("  %-46s %9.1f ms  x%.2f\n", "snapshot + families + text 0.0.4 (no HTTP)", text,
              text / snap);
  std::printf("  %-46s %9.1f ms  x%.2f\n", "snapshot + families + OpenMetrics (no HTTP)", om_direct,
              om_direct / snap);
  std::printf("  %-46s %9.1f ms  x%.2f\n", "HTTP scrape, text 0.0.4 (prometheus-cpp)", scrape,
              scrape / snap);
  std::printf("  %-46s %9.1f ms  x%.2f\n", "HTTP scrape, OpenMetrics (logtally)", scrape_om,
              scrape_om / snap);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const char* r = std::getenv("ROUNDS");
  const int rounds = r != nullptr ? std::max(1, std::atoi(r)) : 5;
  std::vector<size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {100000, 1000000};
  for (size_t n : sizes) run(n, rounds);
  return 0;
}
