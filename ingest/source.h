// Source: reads an input and hands whole batches of records to the workers.
//
// Contract:
// - prepare() runs on the main thread before any thread starts; it reports problems the user
//   must fix (a missing file in --once mode) as an Error.
// - run() runs on the source's own thread. It reads, splits lines (see LineReader), and pushes
//   batches into the channel, blocking when the channel is full (backpressure). It returns when
//   the input ends (stdin EOF; a file's end in --once mode) or soon after `stop` becomes true
//   (within about 200 ms). It never throws.
#pragma once

#include <atomic>
#include <string>

#include "core/batch_channel.h"
#include "core/result.h"

namespace logtally::ingest {

/// How sources behave for the whole run.
struct SourceMode {
  bool once = false;  ///< Read every input to its end and return (files are not followed).
  bool tee = false;   ///< stdin: copy every byte read to stdout unchanged.
};

class Source {
 public:
  virtual ~Source() = default;
  [[nodiscard]] virtual core::Status prepare() { return core::Ok{}; }
  virtual void run(core::BatchChannel& channel, const std::atomic<bool>& stop) = 0;
  virtual std::string describe() const = 0;
};

}  // namespace logtally::ingest
