// StdinSource: records from standard input (the sidecar: `app | logtally`). With --tee every
// byte read is also written to stdout unchanged, so logtally can sit inside a pipe.
//
// One small component, one file pair: its config (no keys of its own beyond those every source
// has, ingest/source_options.h), option table, loader, factory and runtime class.
#pragma once

#include "config/component.h"
#include "ingest/line_reader.h"
#include "ingest/multiline.h"
#include "ingest/source.h"

namespace logtally::ingest {

/// `type: stdin`. At most one per config (there is one standard input).
struct StdinSourceConfig final : SourceSpec {
  std::string describe() const override { return "stdin"; }
  std::unique_ptr<Source> build(const SourceCommon& common, SourceMode mode,
                                core::SelfMetrics* self_metrics) const override;
};

/// The "source: stdin" table.
const config::OptionTable& stdin_source_options();
/// Registered in config/register_all.cpp.
config::SourceEntry stdin_source_entry();

class StdinSource final : public Source {
 public:
  /// Reads `fd` (standard input unless a test passes the read end of a pipe).
  /// `truncated`: where records cut by `multiline` limits are counted.
  StdinSource(const SourceCommon& common, SourceMode mode, int fd = 0,
              TruncatedCounters truncated = {})
      : common_(common), mode_(mode), fd_(fd), truncated_(truncated) {}
  void run(core::BatchChannel& channel, const std::atomic<bool>& stop) override;
  std::string describe() const override { return mode_.tee ? "stdin (tee to stdout)" : "stdin"; }
  /// With a container envelope or multi-line records, the LineReader also holds the batch it
  /// joins into.
  size_t batches_held() const override {
    return common_.format == EnvelopeFormat::kNone && !common_.multiline ? 1 : 2;
  }

 private:
  SourceCommon common_;
  SourceMode mode_;
  int fd_;
  TruncatedCounters truncated_;
};

}  // namespace logtally::ingest
