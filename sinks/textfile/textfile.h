// TextfileSink: writes the merged metrics as Prometheus text 0.0.4 (self-metrics included, the
// text `--once` prints) to a file for node_exporter's textfile collector, every `interval` and
// once more at the PushLoop's stop() (so a `--once` run leaves its final result there).
//
// Contract:
// - A PushSink: flush() runs on the PushLoop's thread with the snapshot it merged.
// - Atomic replace: each flush writes a temporary file in the same directory
//   (`PATH.tmp.XXXXXX`, which the collector's `*.prom` glob does not match), fsyncs it, sets
//   `mode`, renames it over `path` and fsyncs the directory. A reader sees the old file or the
//   new one, never a partial one; each write is a new inode.
// - Errors (directory missing or not writable, disk full) are logged and counted in
//   logtally_sink_sends_total{sink,result="error"}; the temporary file is removed; nothing
//   throws. Successful writes count result="ok". A failed write is retried at the next
//   interval, not sooner.
#pragma once

#include <string>

#include "core/self_metrics.h"
#include "sinks/sink.h"
#include "sinks/textfile/config.h"

namespace logtally::sinks {

class TextfileSink final : public PushSink {
 public:
  TextfileSink(std::string name, TextfileConfig config, const core::MetricStore& store);

  /// Registers the self-metrics.
  [[nodiscard]] core::Status start() override;
  std::string describe() const override { return config_.describe(); }
  std::chrono::milliseconds interval() const override { return config_.interval; }
  /// Writes `snapshot` to the file; ok when it replaced the file.
  FlushResult flush(const core::Snapshot& snapshot, bool final) override;

 private:
  /// Writes `text` atomically over config_.path; on failure returns why.
  bool write_file(const std::string& text, std::string& error) const;

  std::string name_;
  TextfileConfig config_;
  const core::MetricStore& store_;
  SendCounters sent_;
};

}  // namespace logtally::sinks
