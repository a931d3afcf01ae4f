// Progress of a batch run (`--once`, `tap`, `test`): per source the bytes and lines read so far,
// the rate, and for inputs of known size (files) the percentage and the time left, redrawn in
// place on stderr. Only when stderr is a terminal (the caller decides); nothing otherwise.
//
// Contract:
// - ProgressCounter wraps the run's BatchHandler: after each batch it adds the batch's lines and
//   bytes to its source's counters, two relaxed atomic adds per batch (never per record).
// - ProgressReporter owns one thread that redraws every `interval` from start() to stop();
//   stop() draws the final figures (always, or only if something was drawn: `final_always`)
//   and ends the line, so what follows on stderr starts on a fresh line.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/batch_channel.h"

namespace logtally::engine {

class ProgressCounter final : public core::BatchHandler {
 public:
  ProgressCounter(core::BatchHandler& inner, size_t sources);
  void handle(size_t worker, const core::Batch& batch) override;
  uint64_t lines(size_t source) const noexcept {
    return counts_[source].lines.load(std::memory_order_relaxed);
  }
  uint64_t bytes(size_t source) const noexcept {
    return counts_[source].bytes.load(std::memory_order_relaxed);
  }

 private:
  struct alignas(64) Counts {  // One cache line per source: workers of two sources never share.
    std::atomic<uint64_t> lines{0};
    std::atomic<uint64_t> bytes{0};
  };
  core::BatchHandler& inner_;
  std::unique_ptr<Counts[]> counts_;
};

/// One source's figures at one moment.
struct SourceProgress {
  std::string name;
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t total_bytes = 0;  ///< 0: unknown (no percentage, no time left).
};

/// The text drawn for `sources` after `elapsed` seconds: one line per source, e.g.
/// "access: 45.0% of 120.0 MiB, 54.0 MiB, 1234567 lines, 18.0 MiB/s, 411483 lines/s, 3s left".
std::vector<std::string> progress_lines(const std::vector<SourceProgress>& sources,
                                        double elapsed_seconds);

class ProgressReporter {
 public:
  /// `names[i]`: source i's name (empty: not shown); `totals[i]`: bytes source i will read
  /// (0: unknown); `fd`: where to draw (stderr).
  ProgressReporter(std::vector<std::string> names, std::vector<uint64_t> totals,
                   const ProgressCounter& counter, int fd, bool final_always,
                   std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~ProgressReporter();
  void start();
  void stop();

 private:
  void draw(bool final);
  std::vector<std::string> names_;
  std::vector<uint64_t> totals_;
  const ProgressCounter& counter_;
  int fd_;
  bool final_always_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point start_;
  size_t drawn_lines_ = 0;  ///< Lines of the last drawing (redrawn in place).
  bool drew_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace logtally::engine
