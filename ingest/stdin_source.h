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
  StdinSource(uint32_t index, StdinSourceConfig config, SourceMode mode)
      : index_(index), config_(config), mode_(mode) {}
  void run(core::BatchChannel& channel, const std::atomic<bool>& stop) override;
  std::string describe() const override { return mode_.tee ? "stdin (tee to stdout)" : "stdin"; }

 private:
  uint32_t index_;
  StdinSourceConfig config_;
  SourceMode mode_;
};

}  // namespace logtally::ingest
