// `logtally backfill --remote-write URL`: the backfilled history sent to a Prometheus remote
// write receiver (docs/backfill.md).
//
// Contract:
// - The samples are the ones `--out` writes, series for series (same names, labels and `le`
//   values), at the same boundaries.
// - Requests hold at most `max_samples` samples each. The samples go boundary by boundary
//   across all series (every series at T before any series at T + step), so each series' samples
//   ascend in time within and across requests, and no request holds a sample older than one of
//   an earlier request: a receiver without out-of-order ingestion accepts them on an empty TSDB.
// - Requests are sent one at a time on the caller's thread, in that order, with the remote_write
//   sink's client (sinks/remote_write/client.h): 5xx, 429 and transport errors are retried with
//   backoff a bounded number of times; any other non-2xx answer stops the run at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/metric_store.h"
#include "core/result.h"
#include "sinks/remote_write/encoder.h"

namespace logtally::engine {

/// One series of a backfill as it is sent.
struct BackfillSeries {
  std::vector<std::pair<std::string, std::string>> labels;  ///< `__name__` included.
  size_t first = 0;            ///< Index of its first boundary (a gauge starts when first set).
  std::vector<double> values;  ///< values[i - first]: its value at boundary i.
};

/// Cuts the samples of `series` into requests of at most `max_samples` samples, boundary by
/// boundary (boundary i is at (k0 + i) * step_ms), series in `series` order within a boundary.
/// Each request lists a series once, with its samples of that request in time order, in the
/// order the series first appear in it. Calls `send(request, samples)` for each; stops and
/// returns false at the first false.
bool for_each_backfill_request(
    const std::vector<BackfillSeries>& series, size_t n_steps, int64_t k0, int64_t step_ms,
    size_t max_samples,
    const std::function<bool(const std::vector<sinks::TimedSeries>&, size_t)>& send);

struct BackfillPushStats {
  size_t series = 0;
  uint64_t samples = 0;  ///< Samples accepted by the receiver.
  size_t requests = 0;   ///< Requests accepted.
  uint64_t retries = 0;  ///< Attempts that retried a failed one.
};

/// Retries of one request after a 5xx, 429 or transport error before the run fails.
inline constexpr int kBackfillRetries = 6;

/// Sends `series` to `url`. A `prometheus_remote_write` sink of `cfg` with the same `url` lends
/// its authentication, TLS, headers, timeout and backoff (not its external labels, so that
/// --out and --remote-write give the same series); otherwise the sink's defaults apply. The
/// error names the request that failed and why. `store` holds the client's self-metrics.
core::Status push_backfill(const config::Config& cfg, const std::string& url,
                           const std::vector<BackfillSeries>& series, size_t n_steps, int64_t k0,
                           int64_t step_ms, size_t max_samples, const core::MetricStore& store,
                           BackfillPushStats& stats);

}  // namespace logtally::engine
