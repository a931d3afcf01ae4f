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
       "The file as a whole. Every duration in a config (intervals, `expire_after`) is written "
       "like a `unit: duration` value (docs/parsers.md) that ends in its unit and has no sign: "
       "`500ms`, `15s`, `1.5m`, `1h30m`, `2d`.",
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
           {"max_series", "integer 0..2147483648", "10000",
            "Default cardinality limit of every metric (0 = none); see `max_series` of a "
            "metric and docs/transforms.md."},
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
      {"pipeline",
       "Parses the records of its inputs and updates its metrics.",
       {
           {"inputs", "list of source names", "", "Sources to read (a single name is accepted).",
            true},
           {"parser", "parser map, or a parser type name", "", "How to read a record.", true},
           {"metrics", "list of metric", "", "The metrics this pipeline updates.", true},
           {"filter", "expression", "(every record)",
            "Only records for which it is true reach the metrics; the others are counted in "
            "`logtally_records_filtered_total{pipeline}`. Grammar in docs/transforms.md, e.g. "
            "`status >= 500 && path !~ \"/health.*\"`."},
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
           {"subtract", "field path", "(none)",
            "Field whose number is taken from the value: the metric adds, sets or observes "
            "`value - subtract`, both read the same way (and with the same `unit`), before "
            "`scale`. A record without it, or where it is not a number, is dropped for this "
            "metric (`missing_value`, `not_a_number`); a negative difference on a counter is "
            "dropped `negative_value`. Needs `value`."},
           {"scale", "number", "1", "Multiplies the value, e.g. 0.001 to turn ms into seconds."},
           {"unit", "`duration` or `timestamp`", "(none)",
            "Reads the value as a duration (`\"12ms\"`, `\"1.5s\"`, `\"1h30m\"`, a number is "
            "seconds) or a point in time (RFC 3339 text, or epoch s/ms/us/ns told by size), "
            "converted to seconds before `scale`; formats in docs/parsers.md. Needs `value`."},
           {"buckets", "list of numbers", ".005,.01,.025,.05,.1,.25,.5,1,2.5,5,10",
            "Histograms only: strictly increasing upper bounds (`+Inf` is added)."},
           {"mode", "`set`, `add`, `max` or `min`", "set",
            "Gauges only: `set` keeps the latest value in input order, `add` sums, `max`/`min` "
            "keep the extreme."},
           {"when", "expression", "(every record)",
            "The metric's own condition, same grammar as a pipeline's `filter`; a record for "
            "which it is false leaves this metric alone (not counted as filtered or dropped)."},
           {"max_series", "integer 0..2147483648", "top-level `max_series`",
            "Most series the metric holds (0 = no limit). Past it, new label sets update one "
            "overflow series whose every label is `__overflow__`, counted in "
            "`logtally_series_overflow_total{metric}`."},
           {"expire_after", "duration (`90s`, `10m`, `1h30m`, `500ms`)", "(never)",
            "Removes a series not updated for this long (checked at each scrape). A counter "
            "that comes back restarts at 0, which `rate()`/`increase()` read as a reset."},
           {"initial", "list of maps of label name -> value", "(none)",
            "Label sets whose series exist at 0 from the start (so `rate()` sees their first "
            "increase); every non-constant label must be given. They never expire."},
           {"shared", "boolean", "false",
            "Lets several entries (in any pipelines) with this name feed ONE metric, each with "
            "its own value, labels and `when` (e.g. bytes_total{operation=\"sent\"} and "
            "{operation=\"received\"} from two fields). Every entry says `shared: true` and "
            "has the same type, mode, buckets and label names in the same order; help, "
            "max_series, expire_after and initial go on the first entry."},
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
           {"replace", "map with `regex` and `with`", "(none)",
            "If the RE2 `regex` matches the whole value, the value becomes `with`, where `\\1` "
            "..`\\9` are its groups and `\\0` the whole match. Applied after `lowercase`."},
           {"map", "map of value -> new value, or list of map entry", "(none)",
            "A value table applied last (after `replace`): the first entry that matches "
            "replaces the value. A plain map matches exact values."},
           {"unmapped", "string", "(value unchanged)",
            "With `map`: the value for values no entry matches (e.g. `other`), which bounds the "
            "label's values."},
       }},
      {"label map entry",
       "One row of a label's `map` list.",
       {
           {"regex", "string", "", "RE2 pattern matched against the whole value."},
           {"equals", "string", "", "Exact value (give `regex` or `equals`)."},
           {"to", "string", "", "The new value.", true},
       }},
      {"label replace",
       "A label's `replace`.",
       {
           {"regex", "string", "", "RE2 pattern matched against the whole value.", true},
           {"with", "string", "", "Replacement template (`\\1` is group 1).", true},
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
      {"sink: prometheus_remote_write",
       "Pushes every series' current value with Prometheus remote write 1.0 (protobuf, "
       "snappy, HTTP POST) every `interval` and once more at exit, `--once` included. 5xx, 429 "
       "and transport errors are retried with jittered exponential backoff, rebuilding the "
       "request from the current state each time; other answers are logged, counted and not "
       "retried. See docs/sinks-remote-write.md.",
       {
           {"type", "string", "", "`prometheus_remote_write`.", true},
           {"url", "http(s) URL", "", "The receiver, e.g. `http://prometheus:9090/api/v1/write`.",
            true},
           {"interval", "duration", "15s", "Time between pushes (`500ms`, `15s`, `1m`)."},
           {"timeout", "duration", "10s", "Per request, connecting included."},
           {"min_backoff", "duration", "500ms", "First retry delay; doubles per retry."},
           {"max_backoff", "duration", "30s", "Longest retry delay."},
           {"external_labels", "map of label name -> string", "(none)",
            "Added to every series that has no label of that name (e.g. `instance`)."},
           {"native_histograms", "boolean", "false",
            "Also send histograms as native (exponential) histograms, recorded per series at "
            "observe time. Classic `_bucket`/`_sum`/`_count` series are sent either way."},
           {"native_schema", "integer -4..8", "3",
            "Resolution: each power of two is split into 2^schema buckets (3: ~9% wide)."},
           {"native_max_buckets", "integer 16..4096", "160",
            "Per sign and series: the widest span of bucket indices kept; wider halves the "
            "series' resolution. Costs 16 bytes per bucket per histogram series."},
           {"native_zero_threshold", "number", "2^-128",
            "Observations with an absolute value up to this count in the zero bucket."},
           {"basic_auth", "map", "(none)", "HTTP basic authentication (see below)."},
           {"bearer_token", "string", "(none)", "Sent as `Authorization: Bearer ...`."},
           {"bearer_token_file", "string", "(none)",
            "File holding the token; read on every request, so a rotated token is picked up."},
           {"tls", "map", "(none)", "TLS settings for https URLs (see below)."},
           {"headers", "map of name -> string", "(none)",
            "Extra HTTP headers (not the protocol's own)."},
       }},
      {"remote_write basic_auth",
       "The `basic_auth` map of a `prometheus_remote_write` sink.",
       {
           {"username", "string", "", "User name.", true},
           {"password", "string", "(none)", "Password."},
           {"password_file", "string", "(none)", "File holding the password, read per request."},
       }},
      {"remote_write tls",
       "The `tls` map of a `prometheus_remote_write` sink.",
       {
           {"ca_file", "string", "system CAs", "CA certificates to verify the server with."},
           {"cert_file", "string", "(none)", "Client certificate (PEM), with key_file."},
           {"key_file", "string", "(none)", "Client private key (PEM), with cert_file."},
           {"insecure_skip_verify", "boolean", "false", "Do not verify the server certificate."},
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

}  // namespace logtally::config
