// Multi-line records (`multiline:` on a source): consecutive lines joined into one record with
// '\n', for stack traces and tracebacks (docs/multiline.md).
//
// - `start: RE2`: a line matching it starts a record; the lines after it that do not match
//   belong to it.
// - `continue: RE2`: a line matching it belongs to the record before it; any other line starts
//   a record.
// A line that comes with no record in progress starts one, whatever it is. A record ends when
// the line starting the next one comes, when no line came for `timeout`, or at end of input.
//
// Contract:
// - MultilineConfig is the validated config (immutable, shared by reloads); its RE2 is compiled
//   once and shared (RE2 is thread-safe).
// - MultilineJoiner holds no record itself: a record in progress is a Pending, kept by whoever
//   owns the input (per stream of a container envelope, per file, ...), so that lines of two
//   inputs never meet. Used on one thread (the source's). Never throws. No allocation per line
//   once a Pending's buffer has grown to the largest record (reserved up to max_bytes on first
//   use when asked, else grown as records need it).
// - Limits: a record of more than max_lines lines keeps its first max_lines lines; one of more
//   than max_bytes bytes keeps its first max_bytes bytes. The rest is discarded, the record is
//   handed out once with the reason it was cut (the first limit reached), and the source counts
//   it in logtally_records_truncated_total{source,reason}.
// - Checkpoints: Pending::start is the input offset of the record's first line (given to
//   add()); a source's checkpointed position never goes past it (ingest/envelope.h Joins).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/options.h"
#include "config/reader.h"
#include "core/self_metrics.h"

namespace re2 {
class RE2;
}

namespace logtally::ingest {

struct MultilineConfig {
  enum class Mode : uint8_t {
    kStart,     ///< `start:` a matching line starts a record.
    kContinue,  ///< `continue:` a matching line continues the record before it.
  };
  Mode mode = Mode::kStart;
  std::string pattern;
  std::shared_ptr<const re2::RE2> regex;  ///< `pattern`, compiled (ok()).
  size_t max_lines = 500;
  size_t max_bytes = 0;  ///< 0: the source's max_record_bytes.
  std::chrono::milliseconds timeout{1000};
  config::Location max_bytes_at;  ///< Where max_bytes was written (line 0: not written).

  /// What `check` prints: `multiline start "RE" (max_lines 500, max_bytes 1048576, timeout
  /// 1000ms)`; `max_record_bytes` resolves max_bytes 0.
  std::string describe(size_t max_record_bytes) const;
};

/// The `multiline` row of a source type's table.
config::Option multiline_option();
/// The "source multiline" table (the keys of the `multiline` map).
const config::OptionTable& multiline_options();
/// Reads `multiline` of the source node `source`: null when absent or wrong (errors reported at
/// their line and column).
std::shared_ptr<const MultilineConfig> read_multiline(config::Reader& reader,
                                                      const YAML::Node& source,
                                                      const std::string& what);

/// Why a record was cut.
enum class CutReason : uint8_t {
  kNone,      ///< Whole.
  kMaxLines,  ///< It had more than max_lines lines.
  kMaxBytes,  ///< It had more than max_bytes bytes.
};

/// logtally_records_truncated_total{source,reason} of one source.
struct TruncatedCounters {
  core::SelfMetrics::Value* max_lines = nullptr;
  core::SelfMetrics::Value* max_bytes = nullptr;
  /// Registers the two series of `source` (null `self_metrics`: both stay null).
  static TruncatedCounters make(core::SelfMetrics* self_metrics, const std::string& source);
};

class MultilineJoiner {
 public:
  using Clock = std::chrono::steady_clock;

  /// One input's (or one stream's) record in progress.
  struct Pending {
    std::string text;
    size_t lines = 0;          ///< Lines kept in `text`.
    uint64_t start = 0;        ///< Input offset of its first line.
    Clock::time_point last{};  ///< When its last line came.
    CutReason cut = CutReason::kNone;
    bool active = false;
    // The first line's envelope time (ingest/envelope.h), as written.
    char time[40] = {};
    uint8_t time_len = 0;
    bool has_time = false;
  };

  /// A finished record. Views stay valid until the next add() to its Pending.
  struct Record {
    std::string_view text;
    std::string_view time;  ///< Null data() when the first line had none.
    CutReason cut = CutReason::kNone;
  };

  /// `max_bytes`: the resolved limit (MultilineConfig::max_bytes or the source's
  /// max_record_bytes). `reserve`: reserve max_bytes in a Pending on its first use (one input,
  /// e.g. stdin); else buffers grow to the largest record (a file each: idle files stay small).
  MultilineJoiner(const MultilineConfig& config, size_t max_bytes, bool reserve);

  /// True if `line` ends the record in progress in `p` (there is one, and `line` starts the
  /// next): the caller then takes it with take() before add()ing `line`.
  bool ends_record(const Pending& p, std::string_view line) const noexcept;
  /// Hands out the record in progress (p.active must be true); `p` becomes idle.
  Record take(Pending& p) noexcept;
  /// Adds `line` to the record in progress, or starts one with it. `line_start`: its offset in
  /// the input; `time`: its envelope time (null data(): none).
  void add(Pending& p, std::string_view line, uint64_t line_start, std::string_view time,
           Clock::time_point now) noexcept;
  /// True if `p` holds a record that got no line for `timeout` up to `now`.
  bool expired(const Pending& p, Clock::time_point now) const noexcept {
    return p.active && now - p.last >= timeout_;
  }
  /// When `p`'s record expires (time_point::max() when idle).
  Clock::time_point deadline(const Pending& p) const noexcept {
    return p.active ? p.last + timeout_ : Clock::time_point::max();
  }

  /// Whether a Pending's first use reserves max_bytes (see the constructor).
  void set_reserve(bool reserve) noexcept { reserve_ = reserve; }
  size_t max_lines() const noexcept { return max_lines_; }
  size_t max_bytes() const noexcept { return max_bytes_; }

 private:
  const re2::RE2& regex_;
  std::shared_ptr<const re2::RE2> keep_;  ///< Keeps regex_ alive.
  bool start_mode_;
  size_t max_lines_;
  size_t max_bytes_;
  Clock::duration timeout_;
  bool reserve_;
};

}  // namespace logtally::ingest
