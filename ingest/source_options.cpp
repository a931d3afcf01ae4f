#include "ingest/source_options.h"

#include <yaml-cpp/yaml.h>

#include "ingest/multiline.h"

namespace logtally::ingest {

config::Option source_type_option(std::string_view description) {
  return {"type", "string", "", description, true};
}

config::Option max_record_bytes_option(std::string_view description) {
  return {"max_record_bytes", "integer", "top-level value",
          description.empty() ? std::string_view("Overrides the top-level limit.") : description};
}

void read_source_common(config::Reader& reader, const YAML::Node& n, const std::string& what,
                        SourceCommon& common) {
  read_envelope_format(reader, n, what, common.format);
  if (n["max_record_bytes"]) {
    if (auto v = reader.integer_value(n["max_record_bytes"], what + " max_record_bytes", 16,
                                      1LL << 30)) {
      common.max_record_bytes = static_cast<size_t>(*v);
    }
  }
  common.multiline = read_multiline(reader, n, what);
}

}  // namespace logtally::ingest
