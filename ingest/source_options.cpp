#include "ingest/source_options.h"

#include <yaml-cpp/yaml.h>

namespace logtally::ingest {

config::Option source_type_option(std::string_view description) {
  return {"type", "string", "", description, true};
}

config::Option envelope_format_option() {
  return {"format", "`none`, `cri` or `docker`", "none",
          "Container envelope around each line, taken off before the parser: `cri` "
          "(containerd, CRI-O) or `docker` (json-file). Partial lines are joined per stream; "
          "see docs/container-logs.md."};
}

config::Option max_record_bytes_option(std::string_view description) {
  return {"max_record_bytes", "integer", "top-level value",
          description.empty() ? std::string_view("Overrides the top-level limit.") : description};
}

void read_source_common(config::Reader& reader, const YAML::Node& n, const std::string& what,
                        SourceCommon& common) {
  if (n["format"]) {
    if (auto f = reader.string_value(n["format"], what + " format")) {
      if (*f == "cri") {
        common.format = EnvelopeFormat::kCri;
      } else if (*f == "docker") {
        common.format = EnvelopeFormat::kDocker;
      } else if (*f != "none") {
        reader.error(n["format"],
                     what + " format: expected none, cri or docker, got \"" + *f + "\"");
      }
    }
  }
  if (n["max_record_bytes"]) {
    if (auto v = reader.integer_value(n["max_record_bytes"], what + " max_record_bytes", 16,
                                      1LL << 30)) {
      common.max_record_bytes = static_cast<size_t>(*v);
    }
  }
}

}  // namespace logtally::ingest
