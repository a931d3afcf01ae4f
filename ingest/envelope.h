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
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/source_fields.h"
#include "ingest/envelope_format.h"

namespace logtally::ingest {

enum class DecodeStatus : uint8_t {
  kRecord,       ///< `out` holds a complete message.
  kPartial,      ///< The line was a partial piece; it is held until its stream's final piece.
  kBadEnvelope,  ///< The line is not in the envelope format (counted as `bad_envelope`).
  kTooLong,      ///< A joined message exceeded max_record_bytes (counted as `too_long`).
};

/// One decoded message and the envelope's fields.
struct Decoded {
  std::string_view message;
  std::string_view stream;  ///< "stdout" or "stderr"; null data() when absent (docker).
  std::string_view time;    ///< As written, of the first piece; null data() when absent.
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
  EnvelopeDecoder(EnvelopeFormat format, size_t max_record_bytes);

  EnvelopeFormat format() const noexcept { return format_; }

  /// Decodes one physical line (without its '\n'). For docker, kPadding readable bytes must
  /// follow `line` in memory (a Batch guarantees it; see core/batch.h).
  DecodeStatus decode(std::string_view line, Decoded& out) noexcept;

  /// End of input: hands out, one per call, the messages still waiting for a final piece (their
  /// pieces joined so far) with `status` kRecord, or kTooLong for one that went over the limit.
  /// Returns false when none is left.
  bool flush(Decoded& out, DecodeStatus& status) noexcept;

  /// Bytes currently held in unfinished joins.
  size_t pending_bytes() const noexcept;

 private:
  // One join in progress. Streams: 0 stdout, 1 stderr, 2 absent (docker only).
  struct Join {
    std::string text;
    char time[40] = {};
    size_t time_len = 0;
    bool has_time = false;
    bool active = false;    ///< At least one piece is held (or was discarded while too long).
    bool too_long = false;  ///< Pieces are being discarded.
  };
  static constexpr size_t kStreams = 3;

  DecodeStatus decode_cri(std::string_view line, Decoded& out) noexcept;
  DecodeStatus decode_docker(std::string_view line, Decoded& out) noexcept;
  // Adds a piece of stream `s`; `final` ends the message. Fills `out` for kRecord.
  DecodeStatus piece(size_t s, std::string_view text, std::string_view time, bool final,
                     Decoded& out) noexcept;

  EnvelopeFormat format_;
  size_t max_record_;
  Join joins_[kStreams];
  simdjson::ondemand::parser parser_;
};

}  // namespace logtally::ingest
