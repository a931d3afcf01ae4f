// FileSource: lines from a set of files (one `path`, or `include`/`exclude` globs), followed as
// they grow like `tail -F`, with positions saved in checkpoints (docs/ingest-files.md).
//
// Contract (beyond ingest/source.h):
// - One thread per source reads all of its files in turn, at most kTurnBytes per file per
//   turn, through one LineReader, so an idle file costs a descriptor and a few dozen bytes of
//   state, never a buffer. An unfinished last line is not kept across turns: the file is read
//   again from the start of that line on its next turn.
// - A file is identified by device + inode + a fingerprint (core::stable_hash of its first up to
//   kFingerprintBytes bytes), because inodes are reused.
// - Rotation by rename: the path names another file. The old file stays open and is read to its
//   end; once it has been at its end for a whole poll interval after the rename, its
//   unterminated last line (if any) is counted and it is released. Rotation by copytruncate:
//   the size dropped below the read offset, or the fingerprint of the first bytes changed;
//   reading restarts at 0. Deleted files are read to their end and released the same way.
// - An unterminated last line of a followed file is not a record yet (the writer may be
//   mid-line). It becomes one only at the end of --once, or when the file is left after a
//   rotation or deletion.
// - Positions: every batch carries the offset after its last complete line; push()'s on_queued
//   hook stores it per file under `state_mu_`, and checkpoint_state() reads that table.
// - Container envelopes: each file has its own joins. A batch also carries where the joins
//   unfinished at its position began; they are saved with the position, and a restore reads
//   the file again from the earliest of them, skipping what was counted before (so a record
//   half joined at a checkpoint is neither lost nor counted twice; docs/container-logs.md).
// - Multi-line records (`multiline`, ingest/multiline.h): each file has its own records in
//   progress, kept in its joins and covered the same way by the saved join starts (a record
//   unfinished at a checkpoint is read again whole). A record that got no line for the timeout
//   is handed over on the file's next turn: an idle source wakes up for it. On copytruncate a
//   record in progress is handed over before the file is read again from 0.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/self_metrics.h"
#include "ingest/file/config.h"
#include "ingest/line_reader.h"
#include "ingest/multiline.h"
#include "ingest/source.h"

namespace re2 {
class RE2;
}

namespace logtally::ingest {

/// Bytes of a file's start hashed into its identity.
inline constexpr size_t kFingerprintBytes = 1024;
/// Positions of released files remembered (and checkpointed), newest kept.
inline constexpr size_t kMaxFinished = 4096;
/// Most bytes read from one file before the next file gets its turn.
inline constexpr size_t kTurnBytes = 4 << 20;

/// The source fields of the lines of file `path`: `path`, `name` (its base name) and the named
/// groups of `pattern` (may be null) that match it. `logtally test` gives a test's input these.
core::SourceFieldsPtr file_source_fields(const std::string& path, const re2::RE2* pattern);

class FileSource final : public Source {
 public:
  FileSource(const SourceCommon& common, FileSourceConfig config, SourceMode mode,
             core::SelfMetrics* self_metrics = nullptr);
  ~FileSource() override;
  [[nodiscard]] core::Status prepare() override;
  void run(core::BatchChannel& channel, const std::atomic<bool>& stop) override;
  std::string describe() const override;
  /// With a container envelope or multi-line records, the LineReader also holds the batch it
  /// joins into.
  size_t batches_held() const override {
    return common_.format == EnvelopeFormat::kNone && !common_.multiline ? 1 : 2;
  }

  bool checkpointable() const override { return true; }
  std::string checkpoint_state() override;
  [[nodiscard]] core::Status restore_state(std::string_view state) override;

  /// The open files' sizes past their read offsets, as prepare() found them.
  uint64_t bytes_to_read() const override { return bytes_to_read_; }

  /// Files currently open (tests).
  size_t files_open() const;

 private:
  struct Saved {
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t fp_len = 0;
    uint64_t fp_hash = 0;
    uint64_t offset = 0;
    std::string path;
    std::string real_path;  ///< `path` with symlinks resolved (kubelet's links point elsewhere).
    /// Container envelopes: starts of the joins unfinished at `offset` (core::Batch::join_start).
    std::array<uint64_t, 3> joins{core::kNoJoin, core::kNoJoin, core::kNoJoin};
  };
  struct File {
    FileSource* owner = nullptr;
    std::string path;
    std::string real_path;  ///< Where `path` pointed when opened (symlinks resolved).
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t fp_len = 0;  ///< Bytes covered by fp_hash.
    uint64_t fp_hash = 0;
    uint64_t offset = 0;     ///< Next byte to read (a line start between turns).
    uint64_t seen_end = 0;   ///< Furthest byte ever read (an unfinished line is read again).
    uint64_t committed = 0;  ///< After the last line handed to the channel (under state_mu_).
    /// With `committed`: the starts of the joins then unfinished (under state_mu_).
    std::array<uint64_t, 3> committed_joins{core::kNoJoin, core::kNoJoin, core::kNoJoin};
    /// Container envelopes: this file's joins in progress (null without an envelope), so
    /// pieces of two files never meet, whatever the order of their turns.
    std::unique_ptr<EnvelopeDecoder::Joins> joins;
    bool leaving = false;  ///< Rotated away or deleted: read to the end, then release.
    int idle_polls = 0;    ///< Polls at end of file since `leaving` was set.
    /// Last time the file gave data (or was found leaving): a left file is finished only
    /// after two poll intervals without data, however often inotify wakes the source.
    std::chrono::steady_clock::time_point last_data{};
    core::SourceFieldsPtr fields;
  };

  void scan(bool at_start);
  bool excluded(const std::string& path) const;
  File* open_file(const std::string& path, bool at_start);
  void update_fingerprint(File& f);
  bool fingerprint_matches(int fd, uint64_t len, uint64_t hash) const;
  // Reads one turn of `f` from f.offset. Returns the bytes never read before; sets `eof` at the end
  // of the file and `stop_source` if the channel stopped. With `final`, an unterminated last line
  // at the end is counted; otherwise it is left to be read again.
  size_t read_turn(LineReader& reader, File& f, bool final, bool& eof, bool& stop_source);
  void check_rotation(LineReader& reader, File& f);
  void release(std::list<File>::iterator it);
  core::SourceFieldsPtr make_fields(const std::string& path) const;
  static void on_queued(void* context, const core::Batch& batch);
  // inotify on the directories of `path` and of each include pattern (when the directory part
  // has no wildcard): an idle source wakes on a write or a new file instead of the next poll.
  // Without it (no watchable directory, inotify unavailable) polling alone does the work.
  void watch_directories();
  // Sleeps until an inotify event or `millis`; true if a file may have appeared.
  bool wait_for_change(int millis);
  // Milliseconds to the earliest multi-line record timeout of any file, at most poll_millis.
  int idle_wait_millis() const;

  SourceCommon common_;
  FileSourceConfig config_;
  SourceMode mode_;
  std::unique_ptr<re2::RE2> pattern_;
  std::list<File> files_;        ///< Stable addresses: the on_queued hook points at a File.
  std::vector<Saved> saved_;     ///< Restored positions not yet matched to an open file.
  mutable std::mutex state_mu_;  ///< Guards files_ membership and every File::committed.
  int inotify_fd_ = -1;
  bool restored_ = false;  ///< restore_state() ran: start_at no longer applies.
  core::SelfMetrics::Value* watched_ = nullptr;
  core::SelfMetrics::Value* renames_ = nullptr;
  core::SelfMetrics::Value* truncations_ = nullptr;
  core::SelfMetrics::Value* open_failures_ = nullptr;
  TruncatedCounters truncated_;  ///< Multi-line records cut at a limit.
  /// Matched files that could not be opened (permission denied, ...): warned about and counted
  /// once each, until one opens. Source thread only.
  std::set<std::pair<dev_t, ino_t>> unreadable_;
  uint64_t bytes_to_read_ = 0;  ///< Set by prepare().
};

}  // namespace logtally::ingest
