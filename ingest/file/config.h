// The file source's config (`type: file`): its keys, option table, loader, what `check` says of
// it and its factory. The runtime class is ingest/file/file_source.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/component.h"
#include "ingest/source.h"

namespace logtally::ingest {

struct FileSourceConfig final : SourceSpec {
  std::string path;                  ///< One file, taken literally (no globbing); may be empty.
  std::vector<std::string> include;  ///< Glob patterns.
  std::vector<std::string> exclude;  ///< Glob patterns (fnmatch on the whole path).
  std::string path_pattern;          ///< RE2 with named groups -> `_source.<group>` (checked).
  bool start_at_end = false;  ///< `start_at: end`: files present at a first start (no checkpoint).
  int poll_millis = 250;      ///< How often files are checked for growth and globs re-expanded.

  /// "file PATH include G exclude G path_pattern P (start_at beginning)".
  std::string describe() const override;
  std::unique_ptr<Source> build(const SourceCommon& common, SourceMode mode,
                                core::SelfMetrics* self_metrics) const override;
};

/// The "source: file" table.
const config::OptionTable& file_source_options();
/// Reads a file source's own keys (the node was checked against file_source_options()).
std::shared_ptr<const SourceSpec> load_file_source(config::Reader& reader, const YAML::Node& n,
                                                   const std::string& what);
/// Registered in config/register_all.cpp.
config::SourceEntry file_source_entry();

}  // namespace logtally::ingest
