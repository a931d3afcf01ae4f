// EnvelopeFormat: the container runtime envelope a source's lines are wrapped in (`format:`),
// with its option row and reader (every source type has the key). Kept apart from envelope.h
// so that configs can name it without pulling in simdjson.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/options.h"
#include "config/reader.h"

namespace logtally::ingest {

enum class EnvelopeFormat : uint8_t {
  kNone,    ///< The line is the record.
  kCri,     ///< containerd / CRI-O log lines.
  kDocker,  ///< Docker's json-file driver.
};

std::string_view envelope_format_name(EnvelopeFormat f) noexcept;

/// The `format` row of every source type's table.
config::Option envelope_format_option();
/// Reads `format` of the source node `source` (left as it is when absent), reporting a bad
/// value at its line and column.
void read_envelope_format(config::Reader& reader, const YAML::Node& source, const std::string& what,
                          EnvelopeFormat& format);

}  // namespace logtally::ingest
