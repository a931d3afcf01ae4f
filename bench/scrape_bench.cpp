// A whole scrape of a large store, the store's resident bytes per series, and how long a scrape
// stops a worker (issue 13, point 3), against a bare loop measured in the same run.
//
// Usage: scrape_bench [SERIES]   (default 1000000; ROUNDS env, default 3; CHECKPOINTS=1 env:
//                                 readers see a published checkpoint, as with checkpoints on)
//
// The store holds one counter `requests_total{method,path,status}` (3 labels) with SERIES
// distinct series. Two threads play the two workers: each owns one shard and updates EVERY
// series in it, taking its shard's mutex once per batch of 1024 records as a worker does, so
// each series is held by both shards (the worst case: "a series must not cost twice because two
// workers saw it"). Series i gets 1 from worker 0 and i % 7 from worker 1.
//
// Before anything is timed, a real HTTP scrape (127.0.0.1, the exporter as served) of each
// format is checked: exactly SERIES sample lines of requests_total, their values summing to
// the exact expected total, and one probe line. Then it prints the best of ROUNDS:
// - the bare loop (baseline): the same text body written from the bench's own arrays by a
//   plain loop (labels and values already in order, std::to_chars; no store, no HTTP);
// - an HTTP scrape, text 0.0.4 and OpenMetrics, and each one's ratio to the bare loop;
// - resident bytes per series: (VmRSS after the store is filled and scraped - VmRSS before it
//   was built) / SERIES, from /proc/self/status;
// - the longest a worker waited for its shard's mutex while scrapes ran (a third thread keeps
//   taking shard 0's lock once per "batch" during the timed scrapes).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpointer.h"
#include "core/metric_store.h"
#include "sinks/exporter/prometheus_exporter.h"

using namespace logtally;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};

// Label values of series i (the same in the store and in the bare loop).
std::string method_of(size_t i) { return kMethods[i % 4]; }
std::string path_of(size_t i) { return "/api/v1/items/" + std::to_string(i / 8); }
std::string status_of(size_t i) { return std::to_string(200 + (i / 4) % 2); }
double value_of(size_t i) { return 1.0 + static_cast<double>(i % 7); }

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// GET /metrics; the whole response (headers and body) in `keep` when given, else only counted
// (a scraper consumes the bytes as they come; growing one big string here would time the
// client's copies, not the server).
size_t http_get(int port, const std::string& accept, std::string* keep) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + accept +
                          "\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) std::exit(1);
  size_t total = 0;
  static char buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    total += static_cast<size_t>(n);
    if (keep != nullptr) keep->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return total;
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

// One worker: updates every series in its own shard, the shard's mutex taken per batch.
void work(core::MetricStore& store, size_t shard_index, size_t series) {
  core::MetricShard& shard = store.shard(shard_index);
  core::LabelKey key;
  constexpr size_t kBatch = 1024;
  for (size_t start = 0; start < series; start += kBatch) {
    std::lock_guard<std::mutex> lock(shard.mutex());
    for (size_t i = start; i < std::min(series, start + kBatch); ++i) {
      key.clear();
      key.add(method_of(i));
      key.add(path_of(i));
      key.add(status_of(i));
      const double v = shard_index == 0 ? 1.0 : value_of(i) - 1.0;
      shard.counter_add(0, shard.series(0, key.view()), v);
    }
  }
}

// Series lines of `name` in a body, and the sum of their values.
void count_samples(const std::string& body, const std::string& name, size_t& lines, double& sum) {
  lines = 0;
  sum = 0;
  const std::string needle = "\n" + name + "{";
  for (size_t p = body.find(needle); p != std::string::npos; p = body.find(needle, p + 1)) {
    ++lines;
    const size_t eol = body.find('\n', p + 1);
    const size_t sp = body.rfind(' ', eol);
    sum += std::strtod(body.c_str() + sp + 1, nullptr);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const size_t series = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const char* r = std::getenv("ROUNDS");
  const int rounds = r != nullptr ? std::max(1, std::atoi(r)) : 3;
  const char* ck_env = std::getenv("CHECKPOINTS");
  const bool checkpoints = ck_env != nullptr && std::string(ck_env) == "1";

  // The bare loop's input: labels and values in sorted label order, built before the baseline
  // RSS is read so it is not counted against the store.
  std::vector<size_t> order(series);
  for (size_t i = 0; i < series; ++i) order[i] = i;
  std::vector<std::string> m(series), p(series), s(series);
  for (size_t i = 0; i < series; ++i) {
    m[i] = method_of(i);
    p[i] = path_of(i);
    s[i] = status_of(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (m[a] != m[b]) return m[a] < m[b];
    if (p[a] != p[b]) return p[a] < p[b];
    return s[a] < s[b];
  });
  double expected_sum = 0;
  for (size_t i = 0; i < series; ++i) expected_sum += value_of(i);

  const long rss_before = rss_kib();
  core::MetricSpec spec;
  spec.name = "requests_total";
  spec.help = "Requests.";
  spec.label_names = {"method", "path", "status"};
  core::MetricStore store({spec}, {"in"}, {"p"}, 2);
  {
    std::thread w0([&] { work(store, 0, series); });
    std::thread w1([&] { work(store, 1, series); });
    w0.join();
    w1.join();
  }
  const std::string ck_dir = "/tmp/logtally-scrape-bench-" + std::to_string(getpid());
  core::BatchChannel channel(4, 1024);
  std::unique_ptr<checkpoint::Checkpointer> ck;
  if (checkpoints) {
    ck = std::make_unique<checkpoint::Checkpointer>(
        checkpoint::CheckpointConfig{ck_dir, std::chrono::milliseconds(60000)}, channel, store,
        std::vector<ingest::Source*>{});
    if (!ck->checkpoint().ok()) {
      std::fprintf(stderr, "checkpoint failed\n");
      return 1;
    }
  }

  sinks::PrometheusExporterConfig cfg;
  const int port = free_port();
  cfg.listen = "127.0.0.1:" + std::to_string(port);
  sinks::PrometheusExporter exporter("bench", cfg, store);
  if (!exporter.start()) {
    std::fprintf(stderr, "cannot start the exporter on %s\n", cfg.listen.c_str());
    return 1;
  }
  exporter.mark_ready();

  // Checks before timing: every series once, exact total, one probe line, both formats.
  for (const char* accept : {"text/plain", "application/openmetrics-text"}) {
    std::string body;
    http_get(port, accept, &body);
    size_t lines = 0;
    double sum = 0;
    count_samples(body, "requests_total", lines, sum);
    const std::string probe =
        "\nrequests_total{method=\"POST\",path=\"/api/v1/items/0\",status=\"200\"} 2\n";
    if (lines != series || sum != expected_sum || body.find(probe) == std::string::npos) {
      std::fprintf(stderr,
                   "check failed (%s): %zu series lines summing to %.0f, expected %zu "
                   "summing to %.0f%s\n",
                   accept, lines, sum, series, expected_sum,
                   body.find(probe) == std::string::npos ? "; probe line missing" : "");
      return 1;
    }
  }
  const long rss_after = rss_kib();

  // The bare loop: the same samples as text, nothing else.
  size_t bare_bytes = 0;
  const double bare = best_ms(rounds, [&] {
    std::string out = "# HELP requests_total Requests.\n# TYPE requests_total counter\n";
    char num[32];
    for (const size_t i : order) {
      out += "requests_total{method=\"";
      out += m[i];
      out += "\",path=\"";
      out += p[i];
      out += "\",status=\"";
      out += s[i];
      out += "\"} ";
      const auto res = std::to_chars(num, num + sizeof num, value_of(i));
      out.append(num, res.ptr);
      out += '\n';
    }
    bare_bytes = out.size();
  });

  // A worker beside the timed scrapes: shard 0's lock once per "batch"; the longest wait.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> max_wait_ns{0};
  std::thread worker([&] {
    core::MetricShard& shard = store.shard(0);
    int64_t worst = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      // A batch every 0.2 ms (pacing, not synchronisation): the probe must not take a core.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      const auto t0 = Clock::now();
      std::lock_guard<std::mutex> lock(shard.mutex());
      worst = std::max<int64_t>(worst, (Clock::now() - t0).count());
      shard.counter_add(0, 0, 0);  // Touches a series, changes nothing.
    }
    max_wait_ns = worst;
  });
  size_t text_bytes = 0;
  size_t om_bytes = 0;
  const double text = best_ms(rounds, [&] { text_bytes = http_get(port, "text/plain", nullptr); });
  const double om =
      best_ms(rounds, [&] { om_bytes = http_get(port, "application/openmetrics-text", nullptr); });
  stop = true;
  worker.join();
  // What a scrape holds the shard locks for: capture() alone (its copies into fresh buffers).
  const double capture = best_ms(rounds, [&] {
    core::StoreCapture c;
    store.capture(c);
  });
  exporter.stop();
  ck.reset();
  std::filesystem::remove_all(ck_dir);

  std::printf("series %zu, 3 labels, both of 2 shards hold each; readers see %s; best of %d\n",
              series, checkpoints ? "the published checkpoint" : "the live store", rounds);
  std::printf("  %-44s %9.1f ms  x%.2f  (%.1f MiB)\n", "bare loop: same samples as text", bare, 1.0,
              static_cast<double>(bare_bytes) / (1 << 20));
  std::printf("  %-44s %9.1f ms  x%.2f  (%.1f MiB)\n", "HTTP scrape, text 0.0.4", text, text / bare,
              static_cast<double>(text_bytes) / (1 << 20));
  std::printf("  %-44s %9.1f ms  x%.2f  (%.1f MiB)\n", "HTTP scrape, OpenMetrics", om, om / bare,
              static_cast<double>(om_bytes) / (1 << 20));
  std::printf("  %-44s %9.0f B\n", "resident per series (VmRSS delta / series)",
              static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(series));
  std::printf("  %-44s %9.2f ms\n", "shards locked by a live read (capture())", capture);
  std::printf("  %-44s %9.2f ms\n", "longest worker wait for its shard (scrapes)",
              static_cast<double>(max_wait_ns.load()) / 1e6);
  return 0;
}
