// EnvelopeFormat: the container runtime envelope a source's lines are wrapped in (`format:`).
// Kept apart from envelope.h so that the config can name it without pulling in simdjson.
#pragma once

#include <cstdint>
#include <string_view>

namespace logtally::ingest {

enum class EnvelopeFormat : uint8_t {
  kNone,    ///< The line is the record.
  kCri,     ///< containerd / CRI-O log lines.
  kDocker,  ///< Docker's json-file driver.
};

std::string_view envelope_format_name(EnvelopeFormat f) noexcept;

}  // namespace logtally::ingest
