// Event time: reading a record's own timestamp (a pipeline's `timestamp: { field, format,
// timezone }`, docs/event-time.md).
//
// Contract:
// - TimeFormat::compile() runs once, at config load: it checks the format and the time zone and
//   returns an error naming the column of the format (1-based) that is wrong. The compiled
//   format is immutable and shared by every worker.
// - TimeFormat::parse() runs per record on a worker: it allocates nothing, takes no lock, and
//   returns false for text that is not a time in the format (the record is then dropped as
//   `bad_timestamp`). Times are nanoseconds since 1970-01-01T00:00:00Z.
// - Formats: `rfc3339` (YYYY-MM-DD, `T`/`t`/space, hh:mm:ss, fraction and zone optional; no
//   zone means the pipeline's `timezone`), `unix` (seconds, a fraction allowed), `unix_ms`,
//   `unix_us`, `unix_ns` (a fraction allowed too), or a strftime-style pattern: %Y %y %m %d %e
//   %H %I %p %M %S %f %b %h %B %a %A %j %z %Z %s %T %F %% (a space in the pattern matches any
//   run of blanks, even none; %S takes an optional `.123` or `,123` fraction).
// - Time zones: `UTC` (the default), a fixed offset (`+02:00`, `-0530`) or an IANA name
//   (`Europe/Berlin`), read from the system's zoneinfo files (tzdata; `TZDIR` overrides the
//   folder). A local time that falls in a daylight-saving gap or overlap takes the offset in
//   force just before the change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace logtally::transforms {

/// A time zone: UTC, a fixed offset, or the offsets of an IANA zone over time.
class TimeZone {
 public:
  /// `UTC`/`Z`, `+hh:mm`/`-hhmm`/`+hh`, or an IANA name.
  static core::Result<TimeZone> named(std::string_view name);
  /// The UTC seconds of a local wall-clock time (seconds since the epoch as if it were UTC).
  int64_t utc_from_local(int64_t local) const noexcept;
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_ = "UTC";
  int32_t fixed_ = 0;  ///< Offset east of UTC in seconds (when `change_at_` is empty).
  /// IANA: from each UTC instant on (ascending), the offset in force.
  std::vector<int64_t> change_at_;
  std::vector<int32_t> offset_after_;
  int32_t offset_before_ = 0;  ///< Before the first change.
  int32_t offset_at_utc(int64_t utc) const noexcept;
};

class TimeFormat {
 public:
  enum class Kind : uint8_t { kRfc3339, kUnix, kUnixMs, kUnixUs, kUnixNs, kPattern };

  /// Compiles `format` with `timezone` (empty: UTC). The error says what is wrong and, for a
  /// pattern, at which column.
  static core::Result<TimeFormat> compile(std::string_view format, std::string_view timezone);

  /// The time `text` holds, in nanoseconds since the epoch; false if it is not one in this
  /// format. Blanks around the text are ignored.
  bool parse(std::string_view text, int64_t& unix_ns) const noexcept;

  Kind kind() const noexcept { return kind_; }
  const std::string& format() const noexcept { return format_; }
  const TimeZone& zone() const noexcept { return zone_; }

 private:
  /// One step of a compiled pattern.
  struct Op {
    char directive = 0;  ///< The letter after `%`, or 0 for literal text.
    std::string literal;
  };
  bool parse_pattern(std::string_view t, int64_t& unix_ns) const noexcept;
  bool parse_rfc3339(std::string_view t, int64_t& unix_ns) const noexcept;

  Kind kind_ = Kind::kRfc3339;
  std::string format_;
  TimeZone zone_;
  std::vector<Op> ops_;
};

/// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil_date(int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace logtally::transforms
