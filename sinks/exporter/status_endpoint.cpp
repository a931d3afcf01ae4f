// GET /-/status and GET / on the exporter: the status page (docs/status-page.md).
//
// /-/status answers one JSON object built from MetricStore::status_counts() (the live merged
// state, the counted records and the recent drops per pipeline) and the self-metrics: what the
// page's script polls. / answers the page itself (status_page.cpp), which needs nothing else
// from the server: no external asset, so it works offline.
//
// Both run on civetweb's threads, after the auth check. A request costs one live merge of the
// store (as a scrape without checkpoints does) plus a copy of the drop rings; nothing is kept
// between requests: rates are computed by the page from successive polls.
#include <civetweb.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "core/metric_store.h"
#include "sinks/exporter/prometheus_exporter.h"
#include "sinks/exporter/status_page.h"
#include "transforms/tap_record.h"

namespace logtally::sinks {

namespace {

using transforms::append_json_number;
using transforms::append_json_string;

void append_u64(std::string& out, uint64_t v) { out += std::to_string(v); }

// The self-metrics the page reads, by family name, then by one label's value: the sum of the
// family's series whose label `by` has that value (a source's Kafka lag over its partitions).
struct SelfIndex {
  const std::vector<core::SelfMetrics::FamilySample>& families;

  const core::SelfMetrics::FamilySample* family(std::string_view name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  static std::string_view label(const core::SelfMetrics::Labels& labels, std::string_view name) {
    for (const auto& [k, v] : labels) {
      if (k == name) return v;
    }
    return {};
  }
  // The sum over series with label `by` == `value` (and `also` == `also_value` if given);
  // nullopt if there is none.
  std::optional<double> sum(std::string_view name, std::string_view by, std::string_view value,
                            std::string_view also = {}, std::string_view also_value = {}) const {
    const core::SelfMetrics::FamilySample* f = family(name);
    if (f == nullptr) return std::nullopt;
    std::optional<double> total;
    for (const auto& s : f->series) {
      if (!by.empty() && label(s.labels, by) != value) continue;
      if (!also.empty() && label(s.labels, also) != also_value) continue;
      total = total.value_or(0) + s.value;
    }
    return total;
  }
};

void append_optional(std::string& out, std::optional<double> v) {
  if (v) {
    append_json_number(out, *v);
  } else {
    out += "null";
  }
}

}  // namespace

std::string PrometheusExporter::status_json(int64_t now_unix_ms) const {
  const core::StatusCounts counts = store_.status_counts();
  const std::vector<core::SelfMetrics::FamilySample> self = store_.self_metrics().collect();
  const SelfIndex index{self};
  std::shared_ptr<const RunningConfig> rc;
  if (running_config_) rc = running_config_();
  const core::StoreState& st = counts.state;

  std::string out = "{\"time_unix_ms\":";
  out += std::to_string(now_unix_ms);
  out += ",\"config\":{\"file\":";
  append_json_string(out, rc ? rc->file : "");
  out += ",\"checkpoints\":";
  out += rc && rc->checkpoints ? "true" : "false";
  out += "}";

  // Sources: the store's (the running config's order); type and description from the config.
  out += ",\"sources\":[";
  for (size_t i = 0; i < counts.source_names.size(); ++i) {
    const std::string& name = counts.source_names[i];
    const RunningConfig::Part* part = nullptr;
    for (size_t k = 0; rc && k < rc->sources.size(); ++k) {
      if (rc->sources[k].name == name) part = &rc->sources[k];
    }
    if (i > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, name);
    out += ",\"type\":";
    append_json_string(out, part ? part->type : "");
    out += ",\"description\":";
    append_json_string(out, part ? part->description : "");
    out += ",\"lines\":";
    append_u64(out, i < st.source_records.size() ? st.source_records[i] : 0);
    out += ",\"bytes\":";
    append_u64(out, i < st.source_bytes.size() ? st.source_bytes[i] : 0);
    out += ",\"files_watched\":";
    append_optional(out, index.sum("logtally_files_watched", "source", name));
    out += ",\"kafka_lag\":";
    append_optional(out, index.sum("logtally_kafka_consumer_lag", "source", name));
    out += '}';
  }
  out += ']';

  out += ",\"pipelines\":[";
  for (size_t p = 0; p < counts.pipeline_names.size(); ++p) {
    const std::string& name = counts.pipeline_names[p];
    const RunningConfig::Part* part = nullptr;
    for (size_t k = 0; rc && k < rc->pipelines.size(); ++k) {
      if (rc->pipelines[k].name == name) part = &rc->pipelines[k];
    }
    if (p > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, name);
    out += ",\"parser\":";
    append_json_string(out, part ? part->type : "");
    out += ",\"inputs\":[";
    for (size_t k = 0; part && k < part->inputs.size(); ++k) {
      if (k > 0) out += ',';
      append_json_string(out, part->inputs[k]);
    }
    out += "],\"counted\":";
    append_u64(out, counts.counted[p]);
    out += ",\"filtered\":";
    append_u64(out, p < st.filtered.size() ? st.filtered[p] : 0);
    // Every reason the drop counter shows (bad_timestamp once it happened), as in /metrics.
    out += ",\"dropped\":{";
    bool first = true;
    for (size_t r = 0; r < core::kDropReasonCount; ++r) {
      const size_t at = p * core::kDropReasonCount + r;
      const uint64_t n = at < st.dropped.size() ? st.dropped[at] : 0;
      if (!core::drop_series_shown(static_cast<core::DropReason>(r), n)) continue;
      if (!first) out += ',';
      first = false;
      append_json_string(out, core::drop_reason_name(static_cast<core::DropReason>(r)));
      out += ':';
      append_u64(out, n);
    }
    out += "},\"recent_drops\":{";
    first = true;
    for (size_t r = 0; r < core::kDropReasonCount; ++r) {
      const std::vector<core::DropSample>& drops =
          counts.recent_drops[p * core::kDropReasonCount + r];
      if (drops.empty()) continue;
      if (!first) out += ',';
      first = false;
      append_json_string(out, core::drop_reason_name(static_cast<core::DropReason>(r)));
      out += ":[";
      for (size_t k = 0; k < drops.size(); ++k) {
        const core::DropSample& d = drops[k];
        if (k > 0) out += ',';
        out += "{\"record\":";
        append_json_string(out, d.record);
        out += ",\"length\":";
        append_u64(out, d.length);
        out += ",\"truncated\":";
        out += d.length > d.record.size() ? "true" : "false";
        if (d.metric != core::kNoMetric && counts.specs && d.metric < counts.specs->size()) {
          out += ",\"metric\":";
          append_json_string(out, (*counts.specs)[d.metric].name);
        }
        out += '}';
      }
      out += ']';
    }
    out += "}}";
  }
  out += ']';

  out += ",\"metrics\":[";
  for (size_t m = 0; counts.specs && m < counts.specs->size(); ++m) {
    const core::MetricSpec& spec = (*counts.specs)[m];
    if (m > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, spec.name);
    out += ",\"type\":";
    append_json_string(out, core::metric_type_name(spec.type));
    out += ",\"series\":";
    append_u64(out, m < st.metrics.size() ? st.metrics[m].size() : 0);
    out += ",\"max_series\":";
    append_u64(out, spec.max_series);
    out += ",\"overflow\":";
    append_u64(out, m < st.overflow.size() ? st.overflow[m] : 0);
    out += '}';
  }
  out += ']';

  // Checkpoints: the time of the last durable one (the gauge is 0 before the first).
  const std::optional<double> last =
      index.sum("logtally_checkpoint_last_success_timestamp_seconds", {}, {});
  out += ",\"checkpoint\":{\"enabled\":";
  out += rc && rc->checkpoints ? "true" : "false";
  out += ",\"last_success_unix\":";
  append_optional(out, last && *last > 0 ? last : std::nullopt);
  out += ",\"age_seconds\":";
  // In whole milliseconds (the gauge holds milliseconds too): no binary noise in the answer.
  append_optional(out, last && *last > 0
                           ? std::optional<double>(
                                 std::round(static_cast<double>(now_unix_ms) - *last * 1000) / 1000)
                           : std::nullopt);
  out += ",\"failures\":";
  append_optional(out, index.sum("logtally_checkpoint_failures_total", {}, {}));
  out += '}';

  // Sinks: a serving sink answers requests (this page is one); a pushing sink's sends by result
  // (logtally_sink_sends_total, remote_write's own request counters).
  out += ",\"sinks\":[";
  for (size_t k = 0; rc && k < rc->sinks.size(); ++k) {
    const RunningConfig::Part& s = rc->sinks[k];
    if (k > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, s.name);
    out += ",\"type\":";
    append_json_string(out, s.type);
    out += ",\"description\":";
    append_json_string(out, s.description);
    const bool serving = s.type == "prometheus_exporter";
    out += ",\"serving\":";
    out += serving ? "true" : "false";
    std::optional<double> ok =
        index.sum("logtally_sink_sends_total", "sink", s.name, "result", "ok");
    std::optional<double> error =
        index.sum("logtally_sink_sends_total", "sink", s.name, "result", "error");
    if (const auto rw = index.sum("logtally_remote_write_requests_total", "sink", s.name)) {
      ok = ok.value_or(0) + *rw;
    }
    if (const auto rw = index.sum("logtally_remote_write_requests_failed_total", "sink", s.name)) {
      error = error.value_or(0) + *rw;
    }
    out += ",\"sends_ok\":";
    append_optional(out, serving ? std::nullopt : ok);
    out += ",\"sends_error\":";
    append_optional(out, serving ? std::nullopt : error);
    out += '}';
  }
  out += "]}";
  return out;
}

int PrometheusExporter::handle_status(mg_connection* conn) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string body = status_json(now);
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            body.size());
  mg_write(conn, body.data(), body.size());
  return 200;
}

int PrometheusExporter::handle_status_page(mg_connection* conn) {
  const std::string_view page = status_page_html();
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Cache-Control: no-store\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
            page.size());
  mg_write(conn, page.data(), page.size());
  return 200;
}

}  // namespace logtally::sinks
