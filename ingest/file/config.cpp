#include "ingest/file/config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "ingest/file/file_source.h"
#include "ingest/multiline.h"
#include "ingest/source_options.h"

namespace logtally::ingest {

namespace {

// `include` / `exclude`: one glob or a list of them.
void read_globs(config::Reader& reader, const YAML::Node& n, const std::string& what,
                const char* key, std::vector<std::string>& out) {
  const YAML::Node list = n[key];
  if (!list) return;
  if (list.IsScalar()) {
    if (auto v = reader.string_value(list, what + " " + key)) out.push_back(*v);
    return;
  }
  if (!list.IsSequence()) {
    reader.error(list, what + " " + key + ": expected a list of glob patterns");
    return;
  }
  for (const YAML::Node& item : list) {
    if (auto v = reader.string_value(item, what + " " + key)) {
      if (v->empty()) {
        reader.error(item, what + " " + key + ": a pattern must not be empty");
      } else {
        out.push_back(*v);
      }
    }
  }
}

}  // namespace

std::string FileSourceConfig::describe() const {
  std::string out = "file";
  if (!path.empty()) out += " " + path;
  for (const std::string& g : include) out += " include " + g;
  for (const std::string& g : exclude) out += " exclude " + g;
  if (!path_pattern.empty()) out += " path_pattern " + path_pattern;
  out += start_at_end ? " (start_at end)" : " (start_at beginning)";
  return out;
}

std::unique_ptr<Source> FileSourceConfig::build(const SourceCommon& common, SourceMode mode,
                                                core::SelfMetrics* self_metrics) const {
  return std::make_unique<FileSource>(common, *this, mode, self_metrics);
}

const config::OptionTable& file_source_options() {
  static const config::OptionTable table = {
      "source: file",
      "Lines from files, followed as they grow (except with `--once`), through rotation by "
      "rename and by copytruncate (docs/ingest-files.md). Give `path` or `include`.",
      {
          source_type_option("`file`."),
          {"path", "string", "", "One file to read (same as `include: [path]` without globbing)."},
          {"include", "list of glob patterns", "",
           "Files to read (`/var/log/containers/*.log`); new matches are picked up while "
           "running, deleted files are released."},
          {"exclude", "list of glob patterns", "(none)",
           "Matching paths are skipped even if `include` matches them."},
          {"path_pattern", "RE2 regular expression with named groups", "(none)",
           "Matched against each file's path; each named group `g` becomes the source field "
           "`_source.g`, usable as a label field. `_source.path` and `_source.name` (the base "
           "name) are always there."},
          {"start_at", "`beginning` or `end`", "beginning",
           "Where to start reading the files that exist at a first start (no checkpoint). "
           "Files appearing later, and after a checkpoint was restored every file it does not "
           "know, are read from their beginning; known files resume at their position."},
          {"poll_interval", "duration", "250ms",
           "How often files are checked for growth and the globs are expanded again."},
          max_record_bytes_option(),
          envelope_format_option(),
          multiline_option(),
      }};
  return table;
}

std::shared_ptr<const SourceSpec> load_file_source(config::Reader& reader, const YAML::Node& n,
                                                   const std::string& what) {
  const config::OptionTable& table = file_source_options();
  auto out = std::make_shared<FileSourceConfig>();
  if (n["path"]) {
    if (auto p = reader.string_value(n["path"], what + " path")) {
      if (p->empty()) reader.error(n["path"], what + " path: must not be empty");
      out->path = *p;
    }
  }
  if (auto s = reader.string_option(n, table, "start_at", what + " start_at")) {
    if (*s == "end") {
      out->start_at_end = true;
    } else if (*s != "beginning") {
      reader.error(n["start_at"],
                   what + " start_at: expected beginning or end, got \"" + *s + "\"");
    }
  }
  read_globs(reader, n, what, "include", out->include);
  read_globs(reader, n, what, "exclude", out->exclude);
  if (out->path.empty() && out->include.empty()) {
    reader.error(n, what + ": expected 'path' (one file) or 'include' (a list of globs)");
  }
  if (n["path_pattern"]) {
    if (auto p = reader.string_value(n["path_pattern"], what + " path_pattern")) {
      const RE2 re(*p, RE2::Quiet);
      if (!re.ok()) {
        reader.error(n["path_pattern"],
                     what + " path_pattern: invalid RE2 expression: " + re.error());
      } else if (re.NamedCapturingGroups().empty()) {
        reader.error(n["path_pattern"],
                     what + " path_pattern: expected named groups, e.g. (?P<pod>[^_]+)");
      } else {
        out->path_pattern = *p;
      }
    }
  }
  // duration_millis() (10ms..24h, its own messages) rather than duration_option(); the default
  // is still the row's.
  if (n["poll_interval"]) {
    if (auto ms = reader.duration_millis(n["poll_interval"], what + " poll_interval")) {
      out->poll_millis = *ms;
    }
  } else {
    const auto d = config::parse_duration(table.find("poll_interval")->default_value);
    if (!d) std::abort();  // The row's default is not a duration: a bug in the table.
    out->poll_millis = static_cast<int>(d->count());
  }
  return out;
}

config::SourceEntry file_source_entry() {
  // The `multiline` map's table is listed once, here (stdin has the key too).
  return {"file", {&file_source_options(), &multiline_options()}, &load_file_source};
}

}  // namespace logtally::ingest
