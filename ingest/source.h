// Source: reads an input and hands whole batches of records to the workers.
//
// Contract:
// - prepare() runs on the main thread before any thread starts; it reports problems the user
//   must fix (a missing file in --once mode) as an Error.
// - run() runs on the source's own thread. It reads, splits lines (see LineReader), and pushes
//   batches into the channel, blocking when the channel is full (backpressure). It returns when
//   the input ends (stdin EOF; a file's end in --once mode) or soon after `stop` becomes true
//   (within about 200 ms). It never throws.
//
// Checkpoints (docs/checkpoints.md; the barrier is in core/batch_channel.h, the writer in
// checkpoint/checkpointer.h):
// - A source that can resume somewhere returns true from checkpointable(). Its state is an
//   opaque byte string it alone understands (file identities and offsets, Kafka partition
//   offsets); logtally stores it by source name in the checkpoint file.
// - restore_state() runs on the main thread before prepare() and run(), with the state the
//   last checkpoint saved for this source. An Error means the state cannot be used (the
//   checkpoint is then reported as incompatible, see docs/checkpoints.md).
// - checkpoint_state() runs on the checkpoint thread while the channel is paused and drained,
//   concurrently with run() (which may be blocked in push() or reading). It returns the
//   position up to which every record has been handed to the channel and no further: the
//   source updates that position in push()'s `on_queued` hook, so a record is either in a
//   queued batch and covered by the state, or in neither. The source guards the state with its
//   own lock (never held while calling the channel).
// - checkpoint_durable() runs on the checkpoint thread after the file holding `state` (what
//   checkpoint_state() returned for checkpoint `id`) was fsynced and renamed into place. Kafka
//   commits its offsets here; a file source needs nothing. Must not block for long.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/batch_channel.h"
#include "core/result.h"
#include "core/self_metrics.h"
#include "ingest/envelope_format.h"

namespace logtally::ingest {

struct MultilineConfig;  // ingest/multiline.h

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

  /// True if checkpoint_state()/restore_state() are meaningful (files, Kafka; not stdin).
  virtual bool checkpointable() const { return false; }
  /// The state at the barrier (see the contract above).
  virtual std::string checkpoint_state() { return {}; }
  /// Resume from a saved state; before prepare().
  [[nodiscard]] virtual core::Status restore_state(std::string_view state) { return core::Ok{}; }
  /// The checkpoint `id` holding `state` is durable.
  virtual void checkpoint_durable(uint64_t id, std::string_view state) {}
  /// Makes a checkpoint now and returns once it is durable (or failed). Given, when checkpoints
  /// are on, before prepare(); a source that must checkpoint before letting go of something it
  /// read (Kafka, before revoked partitions go to another consumer) keeps it. Others ignore it.
  using CheckpointTrigger = std::function<core::Status()>;
  virtual void set_checkpoint_trigger(CheckpointTrigger trigger) {}

  /// Batches this source may hold acquired at once while it runs (the one it fills, plus e.g.
  /// a container envelope's joined output or Kafka's per-partition assembly). The run loop sizes
  /// the channel from it so that sources never starve the workers of batches.
  virtual size_t batches_held() const { return 1; }

  /// After prepare(): the bytes this source will read to the end of its input, when known
  /// before reading (files: their sizes past where reading starts); 0 when unknown (stdin,
  /// Kafka). For progress reports only (`--once` on a terminal).
  virtual uint64_t bytes_to_read() const { return 0; }
};

/// What every source has, whatever its type (the keys `format` and `max_record_bytes`, read by
/// ingest/source_options.h, and its place in the config).
struct SourceCommon {
  std::string name;
  uint32_t index = 0;           ///< Position among the config's sources.
  size_t max_record_bytes = 0;  ///< Resolved: the source's own or the top-level value.
  EnvelopeFormat format = EnvelopeFormat::kNone;
  /// `multiline:` (null: none). Sources that read lines (file, stdin) join records with it.
  std::shared_ptr<const MultilineConfig> multiline;
};

/// A source type's validated config (its struct derives from this): the factory of its runtime
/// object and what `logtally check` says of it. Immutable once loaded; shared by reloads.
class SourceSpec {
 public:
  virtual ~SourceSpec() = default;
  /// What `check` prints after "NAME: " (the format and limit follow it), e.g.
  /// "file /var/log/app.log (start_at beginning)".
  virtual std::string describe() const = 0;
  /// The runtime source. `self_metrics` (may be null) receives the source's own metrics.
  virtual std::unique_ptr<Source> build(const SourceCommon& common, SourceMode mode,
                                        core::SelfMetrics* self_metrics) const = 0;
};

}  // namespace logtally::ingest
