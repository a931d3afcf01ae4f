#include "config/options.h"

#include <cstdlib>

namespace logtally::config {

const Option* OptionTable::find(std::string_view key) const {
  for (const Option& o : options) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

std::string OptionTable::key_list() const {
  std::string out;
  for (const Option& o : options) {
    if (!out.empty()) out += ", ";
    out += o.key;
  }
  return out;
}

const std::vector<OptionTable>& option_tables() {
  static const std::vector<OptionTable> tables = {
      {"top level",
       "The file as a whole.",
       {
           {"sources", "map of name -> source", "", "Where records come from.", true},
           {"pipelines", "map of name -> pipeline", "",
            "How records become metrics; each reads one or more sources.", true},
           {"sinks", "map of name -> sink", "(none)",
            "Where metrics go. May be empty: `--once` prints them to stdout either way."},
           {"workers", "integer 1..256", "number of cores",
            "Worker threads parsing and counting; each owns one metric shard."},
           {"max_record_bytes", "integer 16..1073741824", "1048576",
            "Longest line accepted; longer lines are dropped with reason `too_long` without "
            "being buffered whole. A source may override it."},
           {"checkpoint", "checkpoint map", "(none)",
            "Save every series value and every source position periodically and on exit, and "
            "resume from them on start (docs/checkpoints.md)."},
       }},
      {"checkpoint",
       "Exactly-once counting across restarts: a barrier writes all series values and source "
       "positions to one file (docs/checkpoints.md).",
       {
           {"dir", "string", "", "Directory holding `checkpoint.bin` (created if missing).", true},
           {"interval", "duration (`500ms`, `5s`, `1m`)", "5s",
            "Time between checkpoints; one is also written on SIGTERM/SIGINT and at the end of "
            "`--once`."},
       }},
      {"source: stdin",
       "Lines from standard input (the sidecar: `app | logtally`).",
       {
           {"type", "string", "", "`stdin`. At most one stdin source per config.", true},
           {"max_record_bytes", "integer", "top-level value", "Overrides the top-level limit."},
           {"format", "`none`, `cri` or `docker`", "none",
            "Container envelope around each line, taken off before the parser: `cri` "
            "(containerd, CRI-O) or `docker` (json-file). Partial lines are joined per stream; "
            "see docs/container-logs.md."},
       }},
      {"source: file",
       "Lines from files, followed as they grow (except with `--once`), through rotation by "
       "rename and by copytruncate (docs/ingest-files.md). Give `path` or `include`.",
       {
           {"type", "string", "", "`file`.", true},
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
            "Where to start reading a file that exists at start and has no saved position. "
            "Files appearing later are read from their beginning."},
           {"poll_interval", "duration", "250ms",
            "How often files are checked for growth and the globs are expanded again."},
           {"max_record_bytes", "integer", "top-level value", "Overrides the top-level limit."},
           {"format", "`none`, `cri` or `docker`", "none",
            "Container envelope around each line, taken off before the parser: `cri` "
            "(containerd, CRI-O) or `docker` (json-file). Partial lines are joined per stream; "
            "see docs/container-logs.md."},
       }},
      {"source: kafka",
       "Messages from Kafka topics, read by a librdkafka high-level consumer in a consumer "
       "group; each message value is one record. See docs/ingest-kafka.md.",
       {
           {"type", "string", "", "`kafka`.", true},
           {"brokers", "string", "", "Bootstrap servers, `host:port[,host:port...]`.", true},
           {"topics", "list of strings", "",
            "Topic names; an entry starting with `^` is a regular expression matched against "
            "every topic.",
            true},
           {"group", "string", "",
            "Consumer group id. Instances with the same group share the "
            "partitions.",
            true},
           {"librdkafka", "map of string -> string", "(none)",
            "librdkafka configuration properties passed through as-is (SASL, TLS, fetch sizes, "
            "...). Checked at load time. logtally sets `bootstrap.servers` (from `brokers`), "
            "`group.id` (from `group`), `enable.auto.commit`, `enable.auto.offset.store` and "
            "`enable.partition.eof` itself; they may not be given here. `auto.offset.reset` "
            "defaults to `earliest`."},
           {"max_record_bytes", "integer", "top-level value",
            "Overrides the top-level limit; longer messages are dropped with reason `too_long`."},
           {"format", "`none`, `cri` or `docker`", "none",
            "Container envelope around each line, taken off before the parser: `cri` "
            "(containerd, CRI-O) or `docker` (json-file). Partial lines are joined per stream; "
            "see docs/container-logs.md."},
       }},
      {"pipeline",
       "Parses the records of its inputs and updates its metrics.",
       {
           {"inputs", "list of source names", "", "Sources to read (a single name is accepted).",
            true},
           {"parser", "parser map, or a parser type name", "", "How to read a record.", true},
           {"metrics", "list of metric", "", "The metrics this pipeline updates.", true},
       }},
      {"parser: json",
       "One JSON object per line, read with simdjson On-Demand: only the fields the pipeline "
       "uses are decoded.",
       {
           {"type", "string", "", "`json`.", true},
       }},
      {"metric",
       "One metric updated by every record of the pipeline.",
       {
           {"name", "string", "",
            "Metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`, not starting with `logtally_`), unique in "
            "the config.",
            true},
           {"type", "`counter`, `gauge` or `histogram`", "", "Kind of metric.", true},
           {"help", "string", "Counted by logtally pipeline \"NAME\".", "HELP text."},
           {"labels", "map of label name -> label", "(none)",
            "Label names (`[a-zA-Z_][a-zA-Z0-9_]*`, not `__*`, not `le` on histograms) and where "
            "their values come from."},
           {"value", "field path", "(counters: 1 per record)",
            "Field holding the number to add, set or observe: a JSON number or a string holding "
            "one. Required for gauges and histograms."},
           {"scale", "number", "1", "Multiplies the value, e.g. 0.001 to turn ms into seconds."},
           {"buckets", "list of numbers", ".005,.01,.025,.05,.1,.25,.5,1,2.5,5,10",
            "Histograms only: strictly increasing upper bounds (`+Inf` is added)."},
           {"mode", "`set`, `add`, `max` or `min`", "set",
            "Gauges only: `set` keeps the latest value in input order, `add` sums, `max`/`min` "
            "keep the extreme."},
       }},
      {"label",
       "A label's value: a field path as a plain string (`status: status`), or a map with the "
       "keys below. An absent field with no default gives an empty value, which Prometheus "
       "treats as no label.",
       {
           {"field", "field path, or list of field paths", "",
            "Where the value comes from; with a list, the first present field wins."},
           {"const", "string", "", "A constant value instead of a field."},
           {"default", "string", "\"\"", "Value when no field is present."},
           {"lowercase", "boolean", "false", "Lower-case ASCII letters of the field's value."},
       }},
      {"sink: prometheus_exporter",
       "Serves the metrics over HTTP for Prometheus to scrape (prometheus-cpp's Exposer).",
       {
           {"type", "string", "", "`prometheus_exporter`.", true},
           {"listen", "host:port", "0.0.0.0:9898", "Address to listen on."},
           {"path", "string", "/metrics", "HTTP path of the metrics."},
       }},
  };
  return tables;
}

const OptionTable& option_table(std::string_view section) {
  for (const OptionTable& t : option_tables()) {
    if (t.section == section) return t;
  }
  std::abort();  // A section name in the code that has no table: a programming error.
}

std::string config_reference_markdown() {
  std::string out =
      "# Configuration reference\n\n"
      "Generated by `logtally config-reference` from the option tables in "
      "`config/options.cpp`; do not edit by hand.\n\n"
      "Every string value may use `${VAR}` or `${VAR:-default}`, substituted from the "
      "environment (an unset variable without a default is an error); `$${` writes a literal "
      "`${`. Field paths are dotted (`kubernetes.labels.app`); a segment in double quotes may "
      "contain dots (`'\"log.level\"'`). Unknown keys are errors.\n";
  for (const OptionTable& t : option_tables()) {
    out += "\n## ";
    out += t.section;
    out += "\n\n";
    out += t.description;
    out += "\n\n| key | type | default | description |\n|---|---|---|---|\n";
    for (const Option& o : t.options) {
      out += "| `";
      out += o.key;
      out += "` | ";
      out += o.type;
      out += " | ";
      out += o.required ? std::string_view("required") : o.default_value;
      out += " | ";
      out += o.description;
      out += " |\n";
    }
  }
  return out;
}

}  // namespace logtally::config
