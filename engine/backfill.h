// Backfill: `logtally backfill`, turning logs into metric history at the records' own times
// (docs/backfill.md).
//
// Contract:
// - Every pipeline must say where a record's time is (`timestamp:`); a config without it is
//   refused before anything is read.
// - Every input is read to its end (as `--once`), by the config's workers. Each record updates
//   the metrics of the step its event time falls in: step k holds the records with
//   (k - 1) * step <= time < k * step, so that the value at the boundary T = k * step counts
//   exactly the records before T. Records may come in any order.
// - The output is OpenMetrics ending in `# EOF`: per metric family, per series, one sample at
//   every boundary from the first after the earliest record to the first after the latest, in
//   time order (counters and histograms cumulative from 0; gauges from the first boundary after
//   a value was set, carrying the last value set before T by event time, or by their mode).
//   `promtool tsdb create-blocks-from openmetrics` reads it.
// - Memory is series x steps: the sample count is computed before the output is written, and
//   a run past `max_samples` is refused with the figure.
// - With a remote write URL, the same samples are sent there after the file is written
//   (engine/backfill_remote_write.h); without `out`, only sent.
// - No checkpoint is read or written and no sink runs; the drops (bad_timestamp included) are
//   reported on stderr at the end.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace logtally::engine {

struct BackfillOptions {
  int64_t step_ms = 60'000;
  std::string out;  ///< File to write; "-" is stdout; empty: none (then remote_write_url).
  uint64_t max_samples = 50'000'000;
  std::string remote_write_url;      ///< Also push every sample there, in time order per series.
  size_t remote_write_batch = 5000;  ///< Samples per remote write request, at most.
};

/// Runs the backfill; the Status says what went wrong (config, inputs, limit, output).
core::Status backfill(const config::Config& config, const BackfillOptions& options);

}  // namespace logtally::engine
