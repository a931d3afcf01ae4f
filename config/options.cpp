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
           {"slos", "list of slo", "(none)",
            "Service level objectives over the config's metrics; `logtally rules` and "
            "`logtally dashboard` turn them into Prometheus rules and a Grafana dashboard "
            "(docs/slos.md)."},
       }},
      {"checkpoint",
       "Exactly-once counting across restarts: a barrier writes all series values and source "
       "positions to one file (docs/checkpoints.md).",
       {
           {"dir", "string", "", "Directory holding `checkpoint.bin` (created if missing).", true},
           {"interval", "duration (`500ms`, `5s`, `1m`)", "5s",
            "Time between checkpoints; one is also written on SIGTERM/SIGINT and at the end of "
            "`--once`. With `serve: last_checkpoint` it is also how stale what readers see may "
            "be."},
           {"serve", "`last_checkpoint` or `new_checkpoint`", "last_checkpoint",
            "What scrapes and pushes see, so that no value a reader saw is ever taken back by a "
            "crash: the state of the last durable checkpoint (at most `interval` plus one "
            "checkpoint old), or `new_checkpoint`: each scrape or push first makes a checkpoint "
            "and gets exactly its state (fresh; one barrier and fsync per read, shared by "
            "readers that arrive together). docs/checkpoints.md."},
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
           {"timestamp", "timestamp map", "(the time a record is read)",
            "Where a record's own time is: `{ field: ts, format: rfc3339 }`. A record whose "
            "time cannot be read is dropped as `bad_timestamp`. `logtally backfill` places "
            "records at this time; live runs check it and stamp samples with the time they "
            "are read. docs/event-time.md."},
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
           {"exemplar", "map of label name -> field path", "(none)",
            "Counters and histograms: each series (a histogram: each bucket) keeps the exemplar "
            "of the latest record that updated it, with these labels read from the record, "
            "e.g. `{ trace_id: trace_id, span_id: span_id }`, its value (after `scale`) and "
            "its time (the pipeline's `timestamp` when it has one, else the time read). Shown "
            "in the OpenMetrics exposition and sent by remote_write. A label set over 128 "
            "characters (names and values) is not kept and is counted in "
            "`logtally_exemplars_dropped_total{metric,reason}`. docs/exemplars.md."},
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
      {"timestamp",
       "A pipeline's `timestamp`: where and how a record carries its own time.",
       {
           {"field", "field path", "", "The field holding the time.", true},
           {"format", "`rfc3339`, `unix`, `unix_ms`, `unix_us`, `unix_ns` or a pattern", "rfc3339",
            "How the time is written: RFC 3339 (fraction and zone optional), seconds (a fraction "
            "allowed), milliseconds, microseconds or nanoseconds since the Unix epoch, or a "
            "strftime-style pattern such as `'%d/%b/%Y:%H:%M:%S %z'` (Apache, nginx) or "
            "`'%Y-%m-%d %H:%M:%S'`; directives in docs/event-time.md."},
           {"timezone", "`UTC`, an offset or an IANA name", "UTC",
            "The zone of times written without one: `UTC`, `+02:00`, or a name such as "
            "`Europe/Berlin` (from the tzdata package)."},
       }},
      {"label replace",
       "A label's `replace`.",
       {
           {"regex", "string", "", "RE2 pattern matched against the whole value.", true},
           {"with", "string", "", "Replacement template (`\\1` is group 1).", true},
       }},
      {"slo",
       "One service level objective (docs/slos.md): either an availability SLO (`total` and "
       "`errors`, the share of events that are errors) or a latency SLO (`histogram` and "
       "`good_le`, the share of events slower than a bucket). Selectors are PromQL: "
       "`metric{label=\"v\", code=~\"5..\"}` with `=`, `!=`, `=~`, `!~`, over the config's own "
       "metrics and their labels.",
       {
           {"name", "string", "",
            "`[a-zA-Z_][a-zA-Z0-9_]*`, unique: the rules' `slo` label and the alerts' names "
            "(`NAME_burn_rate_page`, `NAME_burn_rate_ticket`).",
            true},
           {"objective", "number above 0 and below 100", "",
            "Percent of events that must be good over the window (99.9).", true},
           {"window", "duration (`30d`, `28d`, `7d`)", "30d",
            "The compliance window the error budget is counted over (the dashboard's budget "
            "left). Prometheus must keep at least this much data."},
           {"total", "selector", "",
            "Availability: every event, a counter or a histogram's "
            "`NAME_count`, e.g. `shop_requests_total{service=\"checkout\"}`."},
           {"errors", "selector", "",
            "Availability: the bad events, e.g. `shop_requests_total{service=\"checkout\", "
            "code=~\"5..\"}`."},
           {"histogram", "selector", "",
            "Latency: a histogram of the config by its name, without `le`, e.g. "
            "`shop_request_duration_seconds{service=\"checkout\"}`."},
           {"good_le", "number", "",
            "Latency: an event is good when it is at or under this bound, which must be one of "
            "the histogram's buckets."},
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
