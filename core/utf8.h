// UTF-8 validation and repair. Label values must be valid UTF-8 (Prometheus rejects anything
// else), and log lines are arbitrary bytes, so every value that becomes a label passes here
// once per new series (never per record).
#pragma once

#include <string>
#include <string_view>

namespace logtally::core {

/// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Appends `s` to `out`, replacing each maximal invalid subsequence with U+FFFD.
void append_repaired_utf8(std::string_view s, std::string& out);

}  // namespace logtally::core
