#include "ingest/envelope_format.h"

#include <yaml-cpp/yaml.h>

namespace logtally::ingest {

std::string_view envelope_format_name(EnvelopeFormat f) noexcept {
  switch (f) {
    case EnvelopeFormat::kNone:
      return "none";
    case EnvelopeFormat::kCri:
      return "cri";
    case EnvelopeFormat::kDocker:
      return "docker";
  }
  return "?";
}

config::Option envelope_format_option() {
  return {"format", "`none`, `cri` or `docker`", "none",
          "Container envelope around each line, taken off before the parser: `cri` "
          "(containerd, CRI-O) or `docker` (json-file). Partial lines are joined per stream; "
          "see docs/container-logs.md."};
}

void read_envelope_format(config::Reader& reader, const YAML::Node& source, const std::string& what,
                          EnvelopeFormat& format) {
  const YAML::Node n = source["format"];
  if (!n) return;
  const std::optional<std::string> f = reader.string_value(n, what + " format");
  if (!f) return;
  for (EnvelopeFormat candidate :
       {EnvelopeFormat::kNone, EnvelopeFormat::kCri, EnvelopeFormat::kDocker}) {
    if (*f == envelope_format_name(candidate)) {
      format = candidate;
      return;
    }
  }
  reader.error(n, what + " format: expected none, cri or docker, got \"" + *f + "\"");
}

}  // namespace logtally::ingest
