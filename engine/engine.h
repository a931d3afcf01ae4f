// Engine: the run loop's home. Builds the runtime from a validated config (store, workers,
// sources, sinks, checkpoints), runs it, and shuts it down in order.
//
// Contract:
// - One Engine per process run, driven from the main thread: the constructor builds (nothing
//   runs), start() restores the checkpoint and starts every thread, wait() blocks until the
//   inputs end (`--once`) or SIGINT/SIGTERM arrives, stop() shuts down in order and is called
//   once, also after a failed start().
// - SIGINT, SIGTERM and SIGHUP are blocked in every thread by start() before it starts any,
//   and taken by wait() with sigwait(), so no other thread is interrupted by them. SIGHUP
//   reloads (reload()) on the main thread. SIGPIPE is ignored.
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
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "config/build.h"
#include "config/config.h"
#include "core/result.h"
#include "core/self_metrics.h"
#include "core/tap.h"

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
struct RunningConfig;
}  // namespace logtally::sinks
namespace logtally::transforms {
class BatchProcessor;
}

namespace logtally::engine {

class ProgressCounter;
class ProgressReporter;

struct RunOptions {
  bool once = false;         ///< Read every input to its end, print the metrics, exit.
  bool tee = false;          ///< stdin: copy every byte to stdout.
  bool reset_state = false;  ///< Move an unusable checkpoint aside instead of refusing it.
  /// `logtally tap` (with `once`): no checkpoint is read or written, no sink is built, the
  /// metrics are not printed; the output is the tap stream (tap_hub()).
  bool tap = false;
  /// Progress on stderr while the inputs are read (with `once`; cli: when stderr is a tty).
  bool progress = false;
  /// Loads the config again for a reload (SIGHUP, POST /-/reload); unset: reload refused.
  std::function<core::Result<config::Config>()> load_config;
};

class Engine {
 public:
  Engine(const config::Config& config, RunOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] core::Status start();
  /// Until SIGINT/SIGTERM (or, with `once`, at once); SIGHUP reloads meanwhile.
  void wait();
  [[nodiscard]] core::Status stop();
  /// Hot reload (docs/reload.md), on the main thread: loads the config again; if it is valid,
  /// stops the sources at a barrier (every line read is counted), checkpoints, moves the state
  /// of unchanged metrics and the positions of sources that remain (by name) into the new
  /// runtime, keeps unchanged sinks running, checkpoints under the new config and starts
  /// again. A config with errors is refused, logged, and the running one goes on.
  void reload();
  /// For the exporter's POST /-/reload (any thread): asks the main thread for a reload and
  /// waits until the new config is validated: Ok if it is being applied, else its errors.
  core::Status request_reload();
  /// The tap stream of this run's pipelines (`logtally tap`, the exporter's GET /-/tap).
  core::TapHub& tap_hub() noexcept { return tap_hub_; }
  /// Asks the sources to stop early (any thread), e.g. once `logtally tap --limit` printed
  /// enough; stop() still counts everything they read.
  void cancel() noexcept { stop_sources_.store(true); }

 private:
  /// Builds, starts and wires everything after the store: the checkpointer when configured
  /// (restoring at the first start, continuing `checkpoint_id` after a reload), the channel,
  /// the processor, the workers and the source threads.
  core::Status start_runtime(bool first, uint64_t checkpoint_id);
  /// Stops the source threads at a line boundary, lets the workers count everything queued.
  void stop_sources_and_workers();
  /// Starts the sinks of `config_` that `sinks_` does not run yet (by name and text) and stops
  /// those it no longer has; then the push loop over every pushing sink.
  core::Status start_sinks();
  /// The config in force, as the exporter's status page shows it (any thread).
  std::shared_ptr<const sinks::RunningConfig> running_config() const;
  /// Answers the POST /-/reload requests up to number `covering` (those made before the config
  /// was read): Ok, or `error`.
  void finish_reload(bool ok, const std::string& error, uint64_t covering);

  struct RunningSink {
    std::string name;
    std::string yaml;
    std::unique_ptr<sinks::Sink> sink;
  };
  config::Config config_;
  RunOptions options_;
  core::TapHub tap_hub_;  ///< Before the sinks and the processor, which point to it.
  config::Compiled compiled_;
  std::unique_ptr<core::MetricStore> store_;
  std::unique_ptr<transforms::BatchProcessor> processor_;
  std::vector<std::unique_ptr<ingest::Source>> sources_;
  std::unique_ptr<core::BatchChannel> channel_;
  /// Held shared by a reader that asks for a checkpoint (`serve: new_checkpoint`), exclusively
  /// by a reload while it replaces the checkpointer and the channel.
  std::shared_mutex runtime_mu_;
  std::atomic<bool> serve_new_checkpoint_{false};
  std::unique_ptr<checkpoint::Checkpointer> checkpointer_;
  std::vector<RunningSink> sinks_;
  mutable std::mutex running_config_mu_;
  std::shared_ptr<const sinks::RunningConfig> running_config_;  ///< Set by start_sinks().
  std::unique_ptr<sinks::PushLoop> push_loop_;                  ///< Drives every pushing sink.
  std::unique_ptr<core::WorkerPool> pool_;
  std::unique_ptr<ProgressCounter> progress_counter_;  ///< With `progress`: wraps processor_.
  std::unique_ptr<ProgressReporter> progress_;
  std::atomic<bool> stop_sources_{false};
  std::vector<std::thread> source_threads_;
  bool stopped_ = false;

  // Reload requests from POST /-/reload (any thread) and their validation results.
  std::mutex reload_mu_;
  std::condition_variable reload_cv_;
  uint64_t reload_requested_ = 0;  ///< Requests made.
  uint64_t reload_validated_ = 0;  ///< Requests answered (validated or refused).
  core::Status reload_result_ = core::Ok{};
  core::SelfMetrics::Value* reloads_ok_ = nullptr;
  core::SelfMetrics::Value* reloads_failed_ = nullptr;
  core::SelfMetrics::Value* reload_last_ok_ = nullptr;
  core::SelfMetrics::Value* reload_last_time_ = nullptr;
};

/// The whole run: start(), wait(), stop(). Prints errors to stderr; returns the exit code.
int run(const config::Config& config, const RunOptions& options);

}  // namespace logtally::engine
