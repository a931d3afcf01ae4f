// EnvelopeDecoder: takes the container runtime's envelope off each physical line (`format:` on a
// source) and joins partial lines back into the message the application wrote.
//
// Formats (docs/container-logs.md):
// - cri:    `<RFC 3339 time> <stdout|stderr> <P|F>[:tags] <content>`. `P` lines are joined, per
//           stream, with the following lines of that stream up to and including the next `F`.
// - docker: json-file `{"log":"...","stream":"stdout","time":"..."}`. A `log` without a final
//           `\n` is joined, per stream, with the following records of that stream until one ends
//           in `\n`; that `\n` is removed. `stream` and `time` may both be absent (some tools
//           write only `log`); when `stream` is present, `time` must be too.
//
// Contract:
// - One decoder per source, used on the source's thread only, fed physical lines in input order
//   (joining follows that order per stream). Not thread-safe.
// - decode() never throws and never allocates once the join buffers have grown to the largest
//   joined record (they are reserved up to max_record_bytes on first use).
// - Views returned in Decoded stay valid until the next decode() or flush() call.
// - A joined record longer than max_record_bytes is not kept: its pieces are discarded as they
//   arrive and, at its final piece, decode() returns kTooLong once.
// - Checkpoints (docs/container-logs.md): the joins in progress live in a Joins, the decoder's
//   own or one the caller gives per input (a file source keeps one per file, so pieces of two
//   files never meet). Each join remembers the input offset of its first piece (decode()'s
//   `line_start`); pending_starts() gives them, and the source's checkpointed position never
//   goes past them. After a restore, Joins::replay() marks the lines read again that were
//   counted before the checkpoint: decode() returns kReplayed for them.
// - Multi-line records (ingest/multiline.h) joined after the envelope keep their records in
//   progress in the same Joins (one per stream), so pending_starts() covers them too and a
//   restore re-reads a record unfinished at a checkpoint from its first line. Format kNone
//   (used only with `multiline`) passes each line through as stream 2, with the same replay.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/source_fields.h"
#include "ingest/envelope_format.h"
#include "ingest/multiline.h"

namespace logtally::ingest {

enum class DecodeStatus : uint8_t {
  kRecord,       ///< `out` holds a complete message.
  kPartial,      ///< The line was a partial piece; it is held until its stream's final piece.
  kBadEnvelope,  ///< The line is not in the envelope format (counted as `bad_envelope`).
  kTooLong,      ///< A joined message exceeded max_record_bytes (counted as `too_long`).
  kReplayed,     ///< Read again after a restore but counted before the checkpoint: skip it.
};

/// One decoded message and the envelope's fields.
struct Decoded {
  std::string_view message;
  std::string_view stream;   ///< "stdout" or "stderr"; null data() when absent (docker).
  std::string_view time;     ///< As written, of the first piece; null data() when absent.
  uint8_t stream_index = 2;  ///< 0 stdout, 1 stderr, 2 absent (EnvelopeDecoder::kStreams).
  uint64_t start = 0;        ///< `line_start` of the message's first piece.
};

/// Record-level source field names an envelope provides: `_source.stream`, `_source.time`.
inline constexpr std::string_view kEnvelopeStreamField = "stream";
inline constexpr std::string_view kEnvelopeTimeField = "time";

/// Source fields for batches of decoded records: `base`'s (may be null) plus the envelope's
/// columns, stream and time, as the last two record columns.
core::SourceFieldsPtr envelope_fields(const core::SourceFieldsPtr& base);

/// True if `s` is an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)`.
bool is_rfc3339(std::string_view s) noexcept;

class EnvelopeDecoder {
 public:
  static constexpr size_t kStreams = 3;  ///< 0 stdout, 1 stderr, 2 absent (docker only).
  // One join in progress.
  struct Join {
    std::string text;
    char time[40] = {};
    size_t time_len = 0;
    bool has_time = false;
    bool active = false;    ///< At least one piece is held (or was discarded while too long).
    bool too_long = false;  ///< Pieces are being discarded.
    uint64_t start = 0;     ///< `line_start` of its first piece.
  };
  /// The joins of one input, and what a restore re-reads of it.
  struct Joins {
    Join join[kStreams];
    /// Lines starting before `replay_end` were counted before the checkpoint, except those of
    /// stream s from resume[s] on (the pieces of its join unfinished at the checkpoint).
    uint64_t replay_end = 0;
    uint64_t resume[kStreams] = {};
    /// Multi-line records in progress, per stream (used only with `multiline`).
    MultilineJoiner::Pending multiline[kStreams];
    /// Sets the above from a checkpoint: position `end`, join starts `starts` (kNoJoin: none).
    void replay(uint64_t end, const uint64_t* starts) noexcept;
  };

  EnvelopeDecoder(EnvelopeFormat format, size_t max_record_bytes);
  EnvelopeDecoder(const EnvelopeDecoder&) = delete;
  EnvelopeDecoder& operator=(const EnvelopeDecoder&) = delete;

  /// Joins of the input decoded from now on (null: the decoder's own).
  void use_joins(Joins* joins) noexcept { joins_ = joins != nullptr ? joins : &own_; }
  Joins& joins() noexcept { return *joins_; }
  /// Per stream, the `line_start` of the first piece of its join in progress (or of the first
  /// line of its multi-line record in progress, whichever is earlier), or kNoJoin.
  void pending_starts(uint64_t* out) const noexcept;
  uint64_t replay_end() const noexcept { return joins_->replay_end; }

  EnvelopeFormat format() const noexcept { return format_; }

  /// Decodes one physical line (without its '\n'). For docker, kPadding readable bytes must
  /// follow `line` in memory (a Batch guarantees it; see core/batch.h).
  /// `line_start`: the line's offset in its input (files; 0 where nothing is checkpointed).
  DecodeStatus decode(std::string_view line, Decoded& out, uint64_t line_start = 0) noexcept;

  /// End of input: hands out, one per call, the messages still waiting for a final piece (their
  /// pieces joined so far) with `status` kRecord, or kTooLong for one that went over the limit.
  /// Returns false when none is left.
  bool flush(Decoded& out, DecodeStatus& status) noexcept;

  /// Bytes currently held in unfinished joins.
  size_t pending_bytes() const noexcept;

 private:
  DecodeStatus decode_cri(std::string_view line, Decoded& out) noexcept;
  DecodeStatus decode_docker(std::string_view line, Decoded& out) noexcept;
  // Adds a piece of stream `s`; `final` ends the message. Fills `out` for kRecord.
  DecodeStatus piece(size_t s, std::string_view text, std::string_view time, bool final,
                     Decoded& out) noexcept;

  EnvelopeFormat format_;
  size_t max_record_;
  Joins own_;
  Joins* joins_ = &own_;
  uint64_t line_start_ = 0;  ///< Of the line being decoded.
  simdjson::ondemand::parser parser_;
};

}  // namespace logtally::ingest
