// StdinSource: records from standard input (the sidecar: `app | logtally`). With --tee every
// byte read is also written to stdout unchanged, so logtally can sit inside a pipe.
#pragma once

#include "ingest/line_reader.h"
#include "ingest/source.h"

namespace logtally::ingest {

struct StdinSourceConfig {
  size_t max_record_bytes = 1 << 20;
  EnvelopeFormat format = EnvelopeFormat::kNone;  ///< Container envelope around each line.
};

class StdinSource final : public Source {
 public:
  /// Reads `fd` (standard input unless a test passes the read end of a pipe).
  StdinSource(uint32_t index, StdinSourceConfig config, SourceMode mode, int fd = 0)
      : index_(index), config_(config), mode_(mode), fd_(fd) {}
  void run(core::BatchChannel& channel, const std::atomic<bool>& stop) override;
  std::string describe() const override { return mode_.tee ? "stdin (tee to stdout)" : "stdin"; }
  /// With an envelope, the joined output is a second batch (ingest/batch_writer.h).
  size_t batches_held() const override { return config_.format == EnvelopeFormat::kNone ? 1 : 2; }

 private:
  uint32_t index_;
  StdinSourceConfig config_;
  SourceMode mode_;
  int fd_;
};

}  // namespace logtally::ingest
