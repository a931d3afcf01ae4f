#include "sinks/textfile/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "sinks/textfile/textfile.h"

namespace logtally::sinks {

namespace {

const config::OptionTable& table() {
  static const config::OptionTable t = {
      "sink: textfile",
      "Writes the metrics (Prometheus text 0.0.4, self-metrics included: the text `--once` "
      "prints) to a file every `interval` and once more at exit, `--once` runs included, for "
      "node_exporter's textfile collector. Each write goes to a temporary file in the same "
      "directory, is fsynced and renamed over `path`, so a reader sees the old file or the new "
      "one, never a partial one. See docs/sinks.md.",
      {
          {"type", "string", "", "`textfile`.", true},
          {"path", "string", "",
           "The file to write, e.g. `/var/lib/node_exporter/textfile/app.prom` (the collector "
           "reads `*.prom` files; the temporary file is `PATH.tmp.XXXXXX`). Its directory must "
           "exist.",
           true},
          {"interval", "duration", "15s", "Time between writes (`500ms`, `15s`, `1m`)."},
          {"mode", "octal string", "0644",
           "Permissions of the file, so that a collector running as another user can read it."},
      }};
  return t;
}

std::shared_ptr<const SinkSpec> load(config::Reader& r, const YAML::Node& n,
                                     const std::string& what) {
  auto tf = std::make_shared<TextfileConfig>();
  if (n["path"]) {
    if (auto s = r.string_value(n["path"], what + " path")) {
      if (s->empty() || s->back() == '/') {
        r.error(n["path"], what + " path: expected a file name, got \"" + *s + "\"");
      }
      tf->path = *s;
    }
  }
  if (auto d = r.duration_option(n, table(), "interval", what + " interval")) tf->interval = *d;
  if (auto s = r.string_option(n, table(), "mode", what + " mode")) {
    bool ok = s->size() >= 3 && s->size() <= 4;
    unsigned mode = 0;
    for (const char c : *s) {
      ok = ok && c >= '0' && c <= '7';
      mode = mode * 8 + static_cast<unsigned>(c - '0');
    }
    if (!ok || mode > 0777) {
      r.error(n["mode"],
              what + " mode: expected permissions in octal like 0644, got \"" + *s + "\"");
    } else {
      tf->mode = static_cast<mode_t>(mode);
    }
  }
  return tf;
}

}  // namespace

std::string TextfileConfig::describe() const {
  char mode_text[8];
  std::snprintf(mode_text, sizeof(mode_text), "%04o", static_cast<unsigned>(mode));
  return "textfile " + path + " (mode " + mode_text + ") every " +
         std::to_string(interval.count()) + "ms";
}

std::unique_ptr<Sink> TextfileConfig::build(const std::string& name,
                                            const core::MetricStore& store) const {
  return std::make_unique<TextfileSink>(name, *this, store);
}

config::SinkEntry textfile_sink_entry() { return {"textfile", {&table()}, &load}; }

}  // namespace logtally::sinks
