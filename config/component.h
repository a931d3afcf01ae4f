// ComponentEntry: what a component (a source, a parser, a sink) gives the registry
// (config/registry.h) for its `type:`. A component's header declares one function returning its
// entry; it needs only this header, not the registry or the other kinds of components.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "config/reader.h"

namespace logtally::ingest {
class SourceSpec;
}
namespace logtally::parsers {
class ParserSpec;
}
namespace logtally::sinks {
class SinkSpec;
}

namespace logtally::config {

template <class Spec>
struct ComponentEntry {
  using Load = std::shared_ptr<const Spec> (*)(Reader& reader, const YAML::Node& node,
                                               const std::string& what);
  std::string_view type;                   ///< The `type:` value.
  std::vector<const OptionTable*> tables;  ///< [0]: the component's own keys.
  Load load = nullptr;
  /// At most one component of this type per config (stdin: there is one standard input).
  bool single = false;
};

using SourceEntry = ComponentEntry<ingest::SourceSpec>;
using ParserEntry = ComponentEntry<parsers::ParserSpec>;
using SinkEntry = ComponentEntry<sinks::SinkSpec>;

}  // namespace logtally::config
