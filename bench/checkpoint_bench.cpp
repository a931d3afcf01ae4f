// Cost of a checkpoint at 10k, 100k and 1M series, against writing + fsyncing a file of the same
// size in the same run.
//
// Usage: checkpoint_bench DIR [SERIES...]   (default 10000 100000 1000000)
// One counter with labels {pod, path, code} and one 12-bucket histogram with {route}; SERIES
// counter series and SERIES/10 histogram series. Two threads fill the store as 2 workers do,
// each its own shard under the shard's mutex per batch of 1024, and each updates every series,
// so both shards hold each one (the worst case). Each size is written 3 times; the best is
// printed: the barrier's pause (dispatch stopped: drain + store export), the whole checkpoint
// (pause + encode + write + fsync + rename + dir fsync), the file size, and the ratio of the
// whole to a plain write+fsync of as many bytes; then the restore's time (read, decode, import,
// publish). The restore is checked first: a fresh store loaded from the file holds the same
// series count and totals.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint_file.h"
#include "checkpoint/checkpointer.h"

using namespace logtally;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<core::MetricSpec> specs() {
  core::MetricSpec c{"lines_total",           "", core::MetricType::kCounter, core::GaugeMode::kSet,
                     {"pod", "path", "code"}, {}};
  core::MetricSpec h{
      "latency_seconds",     "",        core::MetricType::kHistogram,
      core::GaugeMode::kSet, {"route"}, {.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}};
  return {c, h};
}

void fill_shard(core::MetricStore& store, size_t shard_index, size_t series) {
  core::MetricShard& s = store.shard(shard_index);
  core::LabelKey key;
  for (size_t start = 0; start < series; start += 1024) {
    std::lock_guard<std::mutex> lock(s.mutex());
    for (size_t i = start; i < std::min(series, start + 1024); ++i) {
      key.clear();
      key.add("pod-" + std::to_string(i / 50));
      key.add("/var/log/containers/app-" + std::to_string(i) + ".log");
      key.add(std::to_string(200 + i % 3));
      s.counter_add(0, s.series(0, key.view()), static_cast<double>(i % 1000));
      if (i % 10 == 0) {
        key.clear();
        key.add("/api/v1/resource/" + std::to_string(i));
        s.histogram_observe(1, s.series(1, key.view()), 0.02);
      }
    }
  }
}

void fill(core::MetricStore& store, size_t series) {
  std::thread w0([&] { fill_shard(store, 0, series); });
  std::thread w1([&] { fill_shard(store, 1, series); });
  w0.join();
  w1.join();
}

double plain_write(const std::string& path, size_t bytes) {
  std::string data(bytes, 'x');
  const auto t0 = Clock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::write(fd, data.data() + done, bytes - done);
    if (n <= 0) std::exit(1);
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  ::unlink(path.c_str());
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: checkpoint_bench DIR [SERIES...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<size_t> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {10000, 100000, 1000000};
  std::printf("%10s %10s %12s %10s %10s %14s %8s %11s\n", "series", "pause_ms", "worker_wait",
              "total_ms", "file_MB", "plain_write_ms", "ratio", "restore_ms");
  for (const size_t n : sizes) {
    core::MetricStore store(specs(), {"files"}, {"p"}, 2);
    fill(store, n);
    core::BatchChannel channel(4, 1024);
    // Checked before timing: every series, each counter at 2 * (i % 1000) (both shards).
    double expected = 0;
    for (size_t i = 0; i < n; ++i) expected += 2.0 * static_cast<double>(i % 1000);
    {
      const core::StoreState st = store.export_state();
      double sum = 0;
      for (const auto& s : st.metrics[0]) sum += s.value;
      if (st.metrics[0].size() != n || st.metrics[1].size() != (n + 9) / 10 || sum != expected) {
        std::fprintf(stderr, "store check failed at %zu series\n", n);
        return 1;
      }
    }
    checkpoint::Checkpointer ck({dir, std::chrono::milliseconds(1000)}, channel, store, {});
    double best_pause = 1e9;
    double best_total = 1e9;
    // A worker beside the checkpoints: shard 0's lock once per "batch"; its longest wait.
    std::atomic<bool> stop{false};
    int64_t worst_wait_ns = 0;
    std::thread worker([&] {
      core::MetricShard& shard = store.shard(0);
      while (!stop.load(std::memory_order_relaxed)) {
        // A batch every 0.2 ms (pacing, not synchronisation): the probe must not take a core.
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        const auto t0 = Clock::now();
        std::lock_guard<std::mutex> lock(shard.mutex());
        worst_wait_ns = std::max<int64_t>(worst_wait_ns, (Clock::now() - t0).count());
        shard.counter_add(0, 0, 0);
      }
    });
    for (int r = 0; r < 3; ++r) {
      if (!ck.checkpoint().ok()) return 1;
      best_pause = std::min(best_pause, std::chrono::duration<double>(ck.last_pause()).count());
      best_total = std::min(best_total, std::chrono::duration<double>(ck.last_duration()).count());
    }
    stop = true;
    worker.join();
    const uint64_t bytes = ck.last_bytes();
    double best_plain = 1e9;
    for (int r = 0; r < 3; ++r)
      best_plain = std::min(best_plain, plain_write(dir + "/plain", bytes));

    // Check the file restores to the same totals.
    core::MetricStore again(specs(), {"files"}, {"p"}, 2);
    checkpoint::Checkpointer ck2({dir, std::chrono::milliseconds(1000)}, channel, again, {});
    const auto t0 = Clock::now();
    if (!ck2.restore(false).ok()) return 1;
    const double restore = std::chrono::duration<double>(Clock::now() - t0).count();
    const core::StoreState a = store.export_state();
    const core::StoreState b = again.export_state();
    double sum_a = 0;
    double sum_b = 0;
    for (const auto& s : a.metrics[0]) sum_a += s.value;
    for (const auto& s : b.metrics[0]) sum_b += s.value;
    if (a.metrics[0].size() != n || b.metrics[0].size() != n || sum_a != expected ||
        sum_b != expected) {
      std::fprintf(stderr, "restore mismatch at %zu series\n", n);
      return 1;
    }
    std::printf("%10zu %10.1f %12.1f %10.1f %10.1f %14.1f %8.2f %11.1f\n", n, best_pause * 1e3,
                static_cast<double>(worst_wait_ns) / 1e6, best_total * 1e3,
                static_cast<double>(bytes) / 1e6, best_plain * 1e3, best_total / best_plain,
                restore * 1e3);
  }
  return 0;
}
