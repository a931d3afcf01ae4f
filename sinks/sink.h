// Sink: sends merged metric state somewhere. Two kinds:
// - a serving sink (the Prometheus exporter) answers scrapes on its own threads, each with
//   MetricStore::read() (live: expire and merge; with checkpoints: the last durable state);
// - a pushing sink (remote_write, Pushgateway, StatsD, textfile) is a PushSink: it does not read
//   the store's series itself. The one PushLoop (sinks/push_loop.h) reads once per tick and
//   hands the same Snapshot to every pushing sink due at that tick, and once more at stop().
//
// Contract:
// - start() runs on the main thread after the workers are up (before the PushLoop starts); it
//   returns an Error the user can act on (a port in use). Exceptions from dependencies never
//   leave a sink.
// - A sink never blocks workers: the only locks it reaches are the shard locks of the merge.
// - stop() is called once at shutdown on the main thread, after the last batch was processed
//   and after PushLoop::stop() returned (so a pushing sink has sent its final flush). It
//   releases what start() took and returns within the sink's own bounded timeout.
// - mark_ready() is called once, after the sources started (the exporter's /-/ready).
// - pushes(): a pushing sink is started in `--once` runs too, and the PushLoop's stop() flushes
//   the final result to it; serving sinks are not started then.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/metric_store.h"
#include "core/result.h"

namespace logtally::core {
class TapHub;
}

namespace logtally::sinks {

/// The running config as the status page (the exporter's `/` and `/-/status`) shows it: names,
/// types and what `logtally check` says of each part. Immutable; a reload makes a new one.
struct RunningConfig {
  struct Part {
    std::string name;
    std::string type;
    std::string description;          ///< As `logtally check` prints it after "NAME: ".
    std::vector<std::string> inputs;  ///< Pipelines: the sources they read.
  };
  std::string file;
  std::vector<Part> sources;
  std::vector<Part> pipelines;
  std::vector<Part> sinks;
  bool checkpoints = false;  ///< A checkpoint `dir` is set.
};

class Sink {
 public:
  virtual ~Sink() = default;
  [[nodiscard]] virtual core::Status start() = 0;
  virtual void stop() = 0;
  virtual std::string describe() const = 0;
  /// True for PushSinks (remote_write, Pushgateway, StatsD, textfile): they also run with
  /// `--once`, and the PushLoop's final flush sends them the final state. Serving sinks (the
  /// exporter) do not run with `--once`.
  bool pushes() const { return as_push_sink() != nullptr; }
  /// This sink as a PushSink, or null for a serving sink: how the run loop hands pushing sinks
  /// to the PushLoop without asking for the type.
  virtual class PushSink* as_push_sink() noexcept { return nullptr; }
  const class PushSink* as_push_sink() const noexcept {
    return const_cast<Sink*>(this)->as_push_sink();
  }
  /// Called once the config is loaded and the sources started (the exporter's /-/ready).
  virtual void mark_ready() {}
  /// How to ask for a config reload (the exporter's `POST /-/reload`), set by the run loop
  /// before start(). The handler blocks until the new config is validated and returns Ok if
  /// it is being applied, or the errors it was refused for. Callable from any thread.
  virtual void set_reload_handler(std::function<core::Status()> /*handler*/) {}
  /// The run's tap stream (the exporter's GET /-/tap), set by the run loop before start(); it
  /// outlives the sink.
  virtual void set_tap_hub(core::TapHub* /*hub*/) {}
  /// How to read the running config (the exporter's status page), set by the run loop before
  /// start(); callable from any thread, it returns the config in force at the time (reloads
  /// included).
  virtual void set_running_config(
      std::function<std::shared_ptr<const RunningConfig>()> /*running_config*/) {}
};

/// What a flush asks of the PushLoop.
struct FlushResult {
  bool ok = true;  ///< Everything was delivered (the sink counts and logs failures itself).
  /// Set when the flush failed in a way worth retrying soon (remote_write's backoff, a
  /// receiver's Retry-After): the loop flushes this sink again after this long, with a fresh
  /// merge, instead of at its next interval. Ignored for the final flush.
  std::optional<std::chrono::milliseconds> retry_in;
};

/// logtally_sink_sends_total{sink, result="ok"|"error"}: what pushing sinks count their sends
/// in (a push, a file written, a datagram).
struct SendCounters {
  core::SelfMetrics::Value* ok = nullptr;
  core::SelfMetrics::Value* error = nullptr;
};
/// Registers the two counters of sink `name` (start(), on the main thread).
SendCounters register_send_counters(core::SelfMetrics& self, const std::string& name);

/// A sink that pushes (or writes) the merged state every interval(), driven by the PushLoop.
class PushSink : public Sink {
 public:
  PushSink* as_push_sink() noexcept final { return this; }
  [[nodiscard]] core::Status start() override { return core::Ok{}; }
  void stop() override {}
  /// Time between flushes (the sink's `interval` key). Constant once constructed.
  virtual std::chrono::milliseconds interval() const = 0;
  /// Sends `snapshot` (the same merge every sink due at this tick gets). Runs on the PushLoop's
  /// thread, never concurrently with itself, between start() and stop(). Blocks at most for the
  /// sink's own timeouts; never waits out a backoff (it returns `retry_in` instead). `final` is
  /// true for the flush made by PushLoop::stop(): one attempt, no retry.
  virtual FlushResult flush(const core::Snapshot& snapshot, bool final) = 0;
  /// Called once by PushLoop::start(), before any flush, with what a reader sees at start: with
  /// checkpoints, the restored state, all of which the previous run may already have pushed.
  /// A sink that sends increases (StatsD) starts counting them from here, so a restart never
  /// sends a second time what was counted before it. Sinks that send whole values ignore it.
  virtual void resume_from(const core::Snapshot& /*snapshot*/) {}
};

/// A sink type's validated config (its struct derives from this): the factory of its runtime
/// object and what `logtally check` says of it. Immutable once loaded.
class SinkSpec {
 public:
  virtual ~SinkSpec() = default;
  /// What `check` prints after "NAME: ", e.g. "prometheus_exporter http://0.0.0.0:9898/metrics".
  virtual std::string describe() const = 0;
  virtual std::unique_ptr<Sink> build(const std::string& name,
                                      const core::MetricStore& store) const = 0;
  /// The native histogram buckets this sink wants the store to record, if any (remote_write).
  virtual std::optional<core::NativeHistogramOptions> native_histograms() const {
    return std::nullopt;
  }
  /// Empty if this sink can run beside `earlier` (a sink defined before it, named
  /// `earlier_name`); otherwise why not (two exporters on one port).
  virtual std::string conflict_with(const SinkSpec& earlier,
                                    const std::string& earlier_name) const {
    return {};
  }
};

}  // namespace logtally::sinks
