// Sink: sends merged metric state somewhere (served on scrape, or pushed).
//
// Contract:
// - start() runs on the main thread after the workers are up; it returns an Error the user can
//   act on (a port in use). Exceptions from dependencies never leave a sink.
// - A sink reads state only through MetricStore::snapshot(), on its own threads; it never blocks
//   workers beyond the per-shard lock that snapshot() takes in turn.
// - stop() is called once at shutdown, after the last batch was processed, so a pushing sink
//   can send the final state. stop() returns within the sink's own bounded timeout even when its
//   target is down or unreachable.
// - mark_ready() is called once, after the sources started (the exporter's /-/ready).
// - pushes(): a pushing sink is started in `--once` runs too, and its stop() pushes
//   the final result; serving sinks are not started then.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/metric_store.h"
#include "core/result.h"

namespace logtally::sinks {

class Sink {
 public:
  virtual ~Sink() = default;
  [[nodiscard]] virtual core::Status start() = 0;
  virtual void stop() = 0;
  virtual std::string describe() const = 0;
  /// True for sinks that push (remote_write, Pushgateway, StatsD): they also run with `--once`,
  /// which starts them and stops them after the input ends, so their final push sends the
  /// final state. Serving sinks (the exporter) do not run with `--once`.
  virtual bool pushes() const { return false; }
  /// Called once the config is loaded and the sources started (the exporter's /-/ready).
  virtual void mark_ready() {}
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
