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
       }},
      {"source: stdin",
       "Lines from standard input (the sidecar: `app | logtally`).",
       {
           {"type", "string", "", "`stdin`. At most one stdin source per config.", true},
           {"max_record_bytes", "integer", "top-level value", "Overrides the top-level limit."},
       }},
      {"source: file",
       "Lines from one file, followed as it grows (except with `--once`); truncation and "
       "replacement by rename are noticed.",
       {
           {"type", "string", "", "`file`.", true},
           {"path", "string", "", "The file to read.", true},
           {"start_at", "`beginning` or `end`", "beginning",
            "Where to start reading a file that exists at start."},
           {"max_record_bytes", "integer", "top-level value", "Overrides the top-level limit."},
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
           {"path", "string", "/metrics",
            "HTTP path of the metrics: Prometheus text 0.0.4, or OpenMetrics 1.0.0 when the "
            "scraper's `Accept` header prefers `application/openmetrics-text`. `/-/healthy` and "
            "`/-/ready` (503 until the sources started) are served on the same port, without "
            "auth."},
           {"tls_cert_file", "path", "(none: plain HTTP)",
            "PEM certificate (chain) to serve HTTPS with (TLS 1.2 or newer). Needs libssl at run "
            "time."},
           {"tls_key_file", "path", "(the key is in `tls_cert_file`)",
            "PEM private key of the certificate."},
           {"basic_auth_username", "string", "(none: no auth)",
            "User name required on the metrics path (HTTP basic auth); needs "
            "`basic_auth_password_hash`."},
           {"basic_auth_password_hash", "crypt(3) hash", "",
            "Hash of the password, e.g. from `openssl passwd -6` (`$6$...`) or bcrypt "
            "(`$2b$...`); never the password itself."},
       }},
      {"sink: pushgateway",
       "Pushes the metrics (text format, self-metrics included) to a Prometheus Pushgateway "
       "every `interval` and once more at exit, `--once` runs included.",
       {
           {"type", "string", "", "`pushgateway`.", true},
           {"url", "URL", "http://127.0.0.1:9091", "The gateway: `http(s)://host:port`."},
           {"job", "string", "", "The `job` grouping label.", true},
           {"grouping", "map of label name -> string", "(none)",
            "More grouping labels (e.g. `instance`), in the push URL after the job."},
           {"method", "`put` or `post`", "put",
            "`put` replaces every metric of the group; `post` only those of the same names."},
           {"interval", "duration", "15s", "Time between pushes (`500ms`, `15s`, `1m`)."},
           {"timeout", "duration", "5s",
            "Bound on each push (connect and transfer); shutdown waits at most this long for the "
            "final push."},
           {"username", "string", "(none)", "Basic auth user name towards the gateway."},
           {"password", "string", "(none)",
            "Basic auth password (use `${VAR}` to keep it out "
            "of the file)."},
       }},
      {"sink: statsd",
       "Sends the user metrics to a StatsD or DogStatsD server over UDP or a unix datagram "
       "socket every `interval` and once more at exit: counters as deltas since the last flush "
       "(`|c`), gauges as values (`|g`), histograms as bucket counters (`NAME_bucket` per `le`, "
       "`NAME_count`, `NAME_sum`, as deltas). See docs/sinks.md.",
       {
           {"type", "string", "", "`statsd`.", true},
           {"address", "host:port or unix:///path", "127.0.0.1:8125", "Where to send datagrams."},
           {"dialect", "`statsd` or `dogstatsd`", "statsd",
            "`dogstatsd` sends labels as tags (`|#k:v`); `statsd` appends them to the name as "
            "`.k.v`."},
           {"prefix", "string", "\"\"", "Prepended to every metric name (e.g. `myapp.`)."},
           {"mtu", "integer 64..65507", "1432",
            "Largest datagram payload; lines are packed into datagrams up to this size."},
           {"interval", "duration", "10s", "Time between flushes."},
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
