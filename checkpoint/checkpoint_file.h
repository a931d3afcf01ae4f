// Checkpoint file: one binary file holding every series value, the self-metric counters and
// every checkpointable source's position (docs/checkpoints.md describes the layout).
//
// Contract:
// - write_checkpoint_file() writes `<dir>/checkpoint.bin.tmp`, fsyncs it, renames it over
//   `<dir>/checkpoint.bin` and fsyncs the directory: after it returns Ok the checkpoint survives
//   a crash or power loss; before that, the previous one is intact.
// - read_checkpoint_file() checks the magic, the version, the CRC-32 of the whole file and the
//   config fingerprint before trusting any byte; each failure has its own CheckpointError with
//   a message that says what to do.
// - Runs on the checkpoint thread or at start-up; never on the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/metric_store.h"
#include "core/result.h"

namespace logtally::checkpoint {

/// Bumped whenever the layout changes. This version writes 5 and reads 5 to 2 (version 2 has no
/// self-metric counters and no native buckets: those start from zero; versions 2 and 3 have no
/// creation time; versions 2 to 4 no exemplar drop counts); others are refused.
inline constexpr uint32_t kFormatVersion = 5;
inline constexpr uint32_t kOldestReadableVersion = 2;
inline constexpr const char* kFileName = "checkpoint.bin";

/// A hash of everything the saved series depend on: each metric's name, type, gauge mode,
/// label names and buckets, in order. Another value means the saved series would land in the
/// wrong place, so the checkpoint is incompatible.
uint64_t config_fingerprint(const std::vector<core::MetricSpec>& specs);

struct CheckpointData {
  uint64_t id = 0;          ///< 1, 2, ... continuing across restarts.
  int64_t unix_millis = 0;  ///< When it was written.
  /// Since when its counters count: the first start of this lineage of checkpoints (version 4;
  /// 0 when read from an older file). OpenMetrics `_created`.
  int64_t created_unix_millis = 0;
  uint64_t fingerprint = 0;           ///< config_fingerprint() of the writer.
  uint32_t version = kFormatVersion;  ///< Of the file read (encode always writes the current).
  /// Series by metric index; counters indexed as in the store. `store.native` (version 3), when
  /// not empty, holds the native buckets of each series ([metric][series], beside `metrics`).
  core::StoreState store;
  std::vector<std::string> source_names;    ///< Names for store.source_records/bytes.
  std::vector<std::string> pipeline_names;  ///< Names for store.dropped.
  /// Checkpointable sources: (name, opaque state).
  std::vector<std::pair<std::string, std::string>> source_states;
  /// Every counter of core::SelfMetrics by name and labels (version 3; empty from version 2).
  std::vector<core::SelfMetrics::SavedCounter> self_counters;
};

enum class CheckpointError : uint8_t {
  kNone,          ///< Read fine.
  kMissing,       ///< No checkpoint file (a first start).
  kUnreadable,    ///< The file exists but cannot be read (permissions, I/O).
  kCorrupt,       ///< Bad magic, truncated, checksum mismatch, or a malformed body.
  kVersion,       ///< Written by another format version.
  kIncompatible,  ///< Written for other metrics (fingerprint mismatch).
};

struct ReadResult {
  CheckpointError error = CheckpointError::kNone;
  std::string message;  ///< What went wrong, for the log (empty when kNone).
  CheckpointData data;
};

/// Serialises `data` (exposed for tests and the benchmark).
std::string encode_checkpoint(const CheckpointData& data);
/// Parses bytes produced by encode_checkpoint(); `expected_fingerprint` 0 skips that check.
ReadResult decode_checkpoint(std::string_view bytes, uint64_t expected_fingerprint);

/// Durably replaces `<dir>/checkpoint.bin` (creating `dir` if needed). Sets `bytes_written`.
[[nodiscard]] core::Status write_checkpoint_file(const std::string& dir, const CheckpointData& data,
                                                 uint64_t* bytes_written = nullptr);
ReadResult read_checkpoint_file(const std::string& dir, uint64_t expected_fingerprint);

}  // namespace logtally::checkpoint
