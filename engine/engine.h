// Engine: the run loop's home. Builds the runtime from a validated config (store, workers,
// sources, sinks, checkpoints), runs it, and shuts it down in order.
//
// Contract:
// - One Engine per process run, driven from the main thread: the constructor builds (nothing
//   runs), start() restores the checkpoint and starts every thread, wait() blocks until the
//   inputs end (`--once`) or SIGINT/SIGTERM arrives, stop() shuts down in order and is called
//   once, also after a failed start().
// - SIGINT and SIGTERM are blocked in every thread by start() before it starts any, and taken by
//   wait() with sigwait(), so no other thread is interrupted by them. SIGPIPE is ignored.
// - Shutdown order: sources stop (no more batches), the channel closes, workers finish every
//   queued batch, the final checkpoint is written (exact: nothing runs) and published, the push
//   loop flushes that final state to every pushing sink and, if it pushed anything, a second
//   checkpoint keeps that flush's sink counters; `--once` prints the final metrics, then the
//   sinks stop.
// - With checkpoints, readers (scrapes, pushes) see only durable state (MetricStore::read(),
//   docs/checkpoints.md); `serve: new_checkpoint` makes a checkpoint per read.
// - Errors the user can act on (a checkpoint that cannot be used, a missing file in `--once`,
//   a port in use) come back as Status; the caller prints them.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "config/build.h"
#include "config/config.h"
#include "core/result.h"

namespace logtally::checkpoint {
class Checkpointer;
}
namespace logtally::core {
class BatchChannel;
class MetricStore;
class WorkerPool;
}  // namespace logtally::core
namespace logtally::ingest {
class Source;
}
namespace logtally::sinks {
class PushLoop;
class Sink;
}  // namespace logtally::sinks
namespace logtally::transforms {
class BatchProcessor;
}

namespace logtally::engine {

struct RunOptions {
  bool once = false;         ///< Read every input to its end, print the metrics, exit.
  bool tee = false;          ///< stdin: copy every byte to stdout.
  bool reset_state = false;  ///< Move an unusable checkpoint aside instead of refusing it.
};

class Engine {
 public:
  Engine(const config::Config& config, RunOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] core::Status start();
  void wait();
  [[nodiscard]] core::Status stop();

 private:
  config::Config config_;
  RunOptions options_;
  config::Compiled compiled_;
  std::unique_ptr<core::MetricStore> store_;
  std::unique_ptr<transforms::BatchProcessor> processor_;
  std::vector<std::unique_ptr<ingest::Source>> sources_;
  std::unique_ptr<core::BatchChannel> channel_;
  std::unique_ptr<checkpoint::Checkpointer> checkpointer_;
  std::vector<std::unique_ptr<sinks::Sink>> sinks_;
  std::unique_ptr<sinks::PushLoop> push_loop_;  ///< Drives every pushing sink.
  std::unique_ptr<core::WorkerPool> pool_;
  std::atomic<bool> stop_sources_{false};
  std::vector<std::thread> source_threads_;
  bool stopped_ = false;
};

/// The whole run: start(), wait(), stop(). Prints errors to stderr; returns the exit code.
int run(const config::Config& config, const RunOptions& options);

}  // namespace logtally::engine
