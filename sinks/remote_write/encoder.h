// Remote write encoding: the store's merged state as one Prometheus remote write 1.0
// WriteRequest (protobuf), and its snappy block compression.
//
// Every series of every metric is sent with its current cumulative value (counters count since
// logtally started), all samples with the same timestamp. Labels are sorted by name; an empty
// label value is left out (Prometheus treats it as no label); external labels are added unless
// the series has a label of that name already (the series' own label wins, as in Prometheus).
// Histograms become classic `_bucket{le}` (cumulative, `+Inf` last), `_sum` and `_count` series,
// and, with `native_histograms`, one native histogram series under the metric's own name too.
// A metric with `exemplar:` sends each series' (a counter) or bucket's (`_bucket`) exemplar,
// when one was kept, in the TimeSeries' `exemplars`: its labels, value and time (ms).
// logtally's self-metrics (records, bytes, drops, series, then the SelfMetrics registry) follow.
//
// Pure functions of their inputs; callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metric_store.h"

namespace logtally::sinks {

struct RemoteWriteEncodeOptions {
  std::vector<std::pair<std::string, std::string>> external_labels;
  bool native_histograms = false;
  int native_schema = 3;  ///< Upper limit: series recorded finer are downscaled to it.
};

struct RemoteWriteEncodeStats {
  size_t series = 0;
  size_t samples = 0;     ///< Float samples.
  size_t histograms = 0;  ///< Native histogram samples.
};

/// The serialized (uncompressed) WriteRequest.
std::string encode_write_request(const core::MetricStore& store, const core::Snapshot& snapshot,
                                 const RemoteWriteEncodeOptions& options, int64_t timestamp_ms,
                                 RemoteWriteEncodeStats* stats = nullptr);

/// One sample at an explicit time.
struct TimedSample {
  int64_t timestamp_ms = 0;
  double value = 0;
};

/// One series with samples at their own times, for senders of history (`logtally backfill`).
struct TimedSeries {
  /// `__name__` included, in any order (sorted when encoded); a label with an empty value is
  /// left out. The views must outlive the call to encode_timed_series().
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  std::vector<TimedSample> samples;  ///< Sent in this order (a receiver wants them ascending).
};

/// The serialized (uncompressed) WriteRequest of `series`, one TimeSeries each, samples as
/// given (no external labels, no self-metrics). `samples_out`: the number of samples in it.
std::string encode_timed_series(const std::vector<TimedSeries>& series,
                                size_t* samples_out = nullptr);

/// Snappy block format (not framed), as the remote write spec requires.
std::string snappy_compress(std::string_view raw);

}  // namespace logtally::sinks
