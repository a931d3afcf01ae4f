// Value units: how a metric reads a field that holds a duration or a point in time.
//
// `unit: duration` and `unit: timestamp` on a metric turn the value field into seconds before
// `scale` applies. The formats accepted are exactly these (docs/parsers.md repeats them):
//
// duration, in seconds:
// - a number (JSON number, or text that is a whole decimal number): seconds as is;
// - text: an optional sign, then one or more <decimal number><unit> with no blanks between,
//   units ns, us, µs, μs, ms, s, m, h, d (Go's time.ParseDuration units plus `d` = 24 h):
//   "12ms", "1.5s", "2m", "1h30m", "-3s". Blanks around the whole text are ignored.
// timestamp, in seconds since 1970-01-01T00:00:00Z:
// - a number (or numeric text): epoch time, its unit told by its size: |v| < 1e11 seconds,
//   < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds (1e11 s is the year 5138;
//   1e11 ms is 1973);
// - RFC 3339 text: YYYY-MM-DD, `T`, `t` or a space, hh:mm:ss, an optional fraction of any
//   length, then `Z`, `z` or ±hh:mm. A time without a zone is refused (it would be ambiguous).
//   Second 60 (a leap second) is accepted and counts as the next second.
//
// Anything else is `not_a_number`. None of this allocates.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/record.h"

namespace logtally::transforms {

enum class ValueUnit : uint8_t {
  kNone,       ///< The field is a number (or numeric text), taken as is.
  kDuration,   ///< A duration, converted to seconds.
  kTimestamp,  ///< A point in time, converted to seconds since the Unix epoch.
};

std::string_view value_unit_name(ValueUnit unit) noexcept;

/// Parses duration text ("1h30m", "12ms", "2.5"); returns false if it is not one.
bool parse_duration(std::string_view text, double& seconds) noexcept;
/// Parses an RFC 3339 date-time; returns false if it is not one.
bool parse_rfc3339(std::string_view text, double& seconds) noexcept;
/// An epoch number in s, ms, us or ns (told by its size), in seconds.
double epoch_seconds(double v) noexcept;

}  // namespace logtally::transforms
