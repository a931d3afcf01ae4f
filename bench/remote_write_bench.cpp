// remote_write_bench: the time to build one remote_write request (encode + snappy) for a large
// store, against two baselines measured in the same run:
//   snapshot  MetricStore::snapshot(), the merge every sink (and every scrape) pays anyway;
//   snappy    snappy::Compress over the same protobuf bytes alone;
//   generated protoc's SerializeAsString over the same messages, built beforehand.
// Usage: remote_write_bench [SERIES] [ROUNDS]      (defaults: 100000 series, 7 rounds)
//
// Two stores: SERIES counter series with three labels (method, status, path), and SERIES/10
// histogram series (12 classic buckets, so 14 classic series each, plus a native histogram).
// Before timing, the request is decoded and checked: the number of series and a known value.
// Times are the minimum over ROUNDS (the machine is shared; the minimum is the least disturbed).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include <snappy.h>

#include "core/metric_store.h"
#include "remote_write.pb.h"
#include "sinks/remote_write/encoder.h"

namespace {

using logtally::core::LabelKey;
using logtally::core::MetricSpec;
using logtally::core::MetricStore;
using logtally::core::MetricType;
using logtally::core::NativeHistogramOptions;

double best_seconds(int rounds, const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void fill_key(LabelKey& k, size_t i, bool three) {
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  static const char* kStatus[] = {"200", "201", "404", "500", "503"};
  char path[48];
  std::snprintf(path, sizeof(path), "/api/v1/item/%zu", i / 20);
  k.clear();
  if (three) {
    k.add(kMethods[i % 4]);
    k.add(kStatus[(i / 4) % 5]);
  }
  k.add(path);
}

struct Case {
  const char* name;
  size_t user_series;  ///< Series the request must hold for the user metric.
};

int run_case(const char* title, MetricStore& store, size_t expect_series, double expect_value,
             const std::string& expect_name, bool native, int rounds) {
  logtally::sinks::RemoteWriteEncodeOptions opt;
  opt.external_labels = {{"instance", "bench-1"}};
  opt.native_histograms = native;

  // Check before timing.
  const logtally::core::Snapshot snap = store.snapshot();
  logtally::sinks::RemoteWriteEncodeStats stats;
  const std::string raw =
      logtally::sinks::encode_write_request(store, snap, opt, 1700000000000, &stats);
  const std::string z = logtally::sinks::snappy_compress(raw);
  std::string back;
  logtally::prompb::WriteRequest req;
  if (!snappy::Uncompress(z.data(), z.size(), &back) || !req.ParseFromString(back)) {
    std::fprintf(stderr, "FAIL: the request does not decode\n");
    return 1;
  }
  size_t user = 0;
  bool value_ok = false;
  for (const auto& ts : req.timeseries()) {
    if (ts.labels(0).value().rfind(expect_name, 0) != 0) continue;
    ++user;
    if (ts.labels(0).value() == expect_name && ts.samples_size() == 1 &&
        ts.samples(0).value() == expect_value)
      value_ok = true;
    if (ts.labels(0).value() == expect_name && ts.histograms_size() == 1 &&
        ts.histograms(0).count_int() == static_cast<uint64_t>(expect_value))
      value_ok = true;
  }
  if (user != expect_series || !value_ok) {
    std::fprintf(stderr, "FAIL: %zu series of %s (expected %zu), value check %s\n", user,
                 expect_name.c_str(), expect_series, value_ok ? "ok" : "failed");
    return 1;
  }

  size_t sink = 0;  // Keeps results alive so nothing is optimised away.
  const double t_snapshot = best_seconds(rounds, [&] { sink += store.snapshot().metrics.size(); });
  const double t_encode = best_seconds(rounds, [&] {
    sink += logtally::sinks::encode_write_request(store, snap, opt, 1700000000000).size();
  });
  const double t_snappy =
      best_seconds(rounds, [&] { sink += logtally::sinks::snappy_compress(raw).size(); });
  // protoc's generated serializer over the same messages, already built (its build cost, which
  // the direct writer avoids, is not counted): the yardstick for the direct writer.
  const double t_generated = best_seconds(rounds, [&] { sink += req.SerializeAsString().size(); });
  const double t_build = best_seconds(rounds, [&] {
    const logtally::core::Snapshot s = store.snapshot();
    sink += logtally::sinks::snappy_compress(
                logtally::sinks::encode_write_request(store, s, opt, 1700000000000))
                .size();
  });
  std::printf("\n%s\n", title);
  std::printf(
      "  request: %zu time series (%zu float samples, %zu native histograms), "
      "%.1f MB protobuf, %.1f MB snappy (%.1fx)\n",
      stats.series, stats.samples, stats.histograms, raw.size() / 1e6, z.size() / 1e6,
      double(raw.size()) / double(z.size()));
  std::printf("  %-40s %9s %12s %14s\n", "step (best of rounds)", "ms", "ns/series", "x snapshot");
  const auto row = [&](const char* what, double t) {
    std::printf("  %-40s %9.2f %12.1f %14.2f\n", what, t * 1e3, t * 1e9 / double(stats.series),
                t / t_snapshot);
  };
  row("snapshot (baseline)", t_snapshot);
  row("snappy over the protobuf (baseline)", t_snappy);
  row("generated SerializeAsString (baseline)", t_generated);
  row("encode protobuf (direct writer)", t_encode);
  row("build request: snapshot+encode+snappy", t_build);
  std::printf("  encode+snappy = %.2f x snapshot, %.2f x snappy alone\n",
              (t_build - t_snapshot) / t_snapshot, (t_build - t_snapshot) / t_snappy);
  if (sink == 0) std::printf("(unreachable)\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;

  MetricSpec counter;
  counter.name = "http_requests_total";
  counter.type = MetricType::kCounter;
  counter.label_names = {"method", "status", "path"};
  MetricStore counters({counter}, {"in"}, {"p"}, 2);
  LabelKey k;
  for (size_t i = 0; i < n; ++i) {
    fill_key(k, i, true);
    logtally::core::MetricShard& sh = counters.shard(i % 2);
    sh.counter_add(0, sh.series(0, k.view()), double(i % 1000));
  }
  // Series 0 is GET 200 /api/v1/item/0 with value 0 + (i=20..: other paths) -> check series 1000.
  if (run_case(("counters: " + std::to_string(n) + " series, 3 labels, 2 shards").c_str(), counters,
               n, 0, "http_requests_total", false, rounds) != 0)
    return 1;

  MetricSpec hist;
  hist.name = "http_request_duration_seconds";
  hist.type = MetricType::kHistogram;
  hist.label_names = {"path"};
  hist.buckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30};
  NativeHistogramOptions native;
  native.enabled = true;
  const size_t hn = n / 10;
  MetricStore hists({hist}, {"in"}, {"p"}, 2, native);
  for (size_t i = 0; i < hn; ++i) {
    char path[48];
    std::snprintf(path, sizeof(path), "/api/v1/item/%zu", i);
    k.clear();
    k.add(path);
    logtally::core::MetricShard& sh = hists.shard(i % 2);
    const uint32_t s = sh.series(0, k.view());
    for (int j = 0; j < 20; ++j)
      sh.histogram_observe(0, s, 0.001 * double((i * 7 + j * 13) % 5000));
  }
  if (run_case(("histograms: " + std::to_string(hn) +
                " series x (12 buckets + +Inf + sum + count) + native, 2 shards")
                   .c_str(),
               hists, hn * 16, 20, "http_request_duration_seconds", true, rounds) != 0)
    return 1;
  return 0;
}
