// The keys every source type has (`type`, `format`, `max_record_bytes`, `multiline`): their option
// rows, for each source type's table, and the reader of `format` and `max_record_bytes` that the
// config calls after the type's own load(). `format` belongs to the container envelopes: its row
// and reader are in ingest/envelope_format.h.
#pragma once

#include <string>
#include <string_view>

#include "config/options.h"
#include "config/reader.h"
#include "ingest/source.h"

namespace logtally::ingest {

/// The `type` row of a source type's table: `description` is e.g. "`file`.".
config::Option source_type_option(std::string_view description);
/// The `max_record_bytes` row with its usual description, or with `description`.
config::Option max_record_bytes_option(std::string_view description = {});

/// Reads `format`, `max_record_bytes` and `multiline` (ingest/multiline.h) of the source node
/// `n` into `common` (a missing max_record_bytes stays 0: the top-level value applies).
void read_source_common(config::Reader& reader, const YAML::Node& n, const std::string& what,
                        SourceCommon& common);

}  // namespace logtally::ingest
