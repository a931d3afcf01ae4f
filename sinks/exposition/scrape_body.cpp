#include "sinks/exposition/scrape_body.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <prometheus/text_serializer.h>

#include "sinks/exposition/escape.h"
#include "sinks/exposition/exposition.h"

namespace logtally::sinks {

namespace {

// A double as prometheus-cpp 1.0.1's TextSerializer writes it: an ostream with the classic
// locale and precision 16 (`%.16g`), `Nan`, `+Inf`, `-Inf`. Integral values below 1e15 (most
// counters) print the same digits through std::to_chars on the integer, which is far cheaper
// than a printf per series.
void append_text_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "Nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
    return;
  }
  char buf[40];
  if (v == std::trunc(v) && std::fabs(v) < 1e15 && !(v == 0 && std::signbit(v))) {
    const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, res.ptr);
    return;
  }
  const int n = std::snprintf(buf, sizeof buf, "%.16g", v);
  out.append(buf, static_cast<size_t>(n));
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// `{name="value",...` of one series (empty values left out, as to_families() does), without
// the closing brace; empty when no label has a value.
void label_block(std::string& out, const core::MetricSpec& spec, std::string_view key) {
  out.clear();
  size_t i = 0;
  for (size_t li = 0; li < spec.label_names.size() && i + 4 <= key.size(); ++li) {
    uint32_t len;
    std::memcpy(&len, key.data() + i, 4);
    const std::string_view value = key.substr(i + 4, len);
    i += 4 + len;
    if (value.empty()) continue;
    out += out.empty() ? '{' : ',';
    out += spec.label_names[li];
    out += "=\"";
    append_escaped(out, value, EscapeQuotes::kYes);
    out += '"';
  }
}

// NAME{labels} or NAME{labels,le="BOUND"} (or NAME{le="BOUND"}), then a space.
void head(std::string& out, std::string_view name, std::string_view suffix,
          const std::string& labels, std::string_view le) {
  out += name;
  out += suffix;
  if (!le.empty()) {
    if (labels.empty()) {
      out += '{';
    } else {
      out += labels;
      out += ',';
    }
    out += "le=\"";
    out += le;
    out += "\"}";
  } else if (!labels.empty()) {
    out += labels;
    out += '}';
  }
  out += ' ';
}

void write_metric_text(std::string& out, const core::MetricSpec& spec,
                       const std::vector<core::StoreState::Series>& series,
                       const std::vector<uint32_t>& order) {
  std::string_view type = "counter";
  if (spec.type == core::MetricType::kGauge) type = "gauge";
  if (spec.type == core::MetricType::kHistogram) type = "histogram";
  if (!spec.help.empty()) {
    out += "# HELP ";
    out += spec.name;
    out += ' ';
    out += escape_help(spec.help);
    out += '\n';
  }
  out += "# TYPE ";
  out += spec.name;
  out += ' ';
  out += type;
  out += '\n';
  std::vector<std::string> les;
  for (size_t b = 0; b <= spec.buckets.size(); ++b) {
    std::string le;
    append_text_number(
        le, b < spec.buckets.size() ? spec.buckets[b] : std::numeric_limits<double>::infinity());
    les.push_back(std::move(le));
  }
  std::string labels;
  for (const uint32_t at : order) {
    const core::StoreState::Series& s = series[at];
    label_block(labels, spec, s.key);
    if (spec.type != core::MetricType::kHistogram) {
      head(out, spec.name, "", labels, "");
      append_text_number(out, s.value);
      out += '\n';
      continue;
    }
    uint64_t count = 0;
    for (const uint64_t c : s.buckets) count += c;
    head(out, spec.name, "_count", labels, "");
    append_uint(out, count);
    out += '\n';
    head(out, spec.name, "_sum", labels, "");
    append_text_number(out, s.value);
    out += '\n';
    uint64_t cumulative = 0;
    for (size_t b = 0; b < s.buckets.size(); ++b) {
      cumulative += s.buckets[b];
      head(out, spec.name, "_bucket", labels, les[std::min(b, les.size() - 1)]);
      append_uint(out, cumulative);
      out += '\n';
    }
  }
}

// ` # {name="value",...} VALUE TIMESTAMP` of an exemplar that is set (OpenMetrics: after a
// counter's `_total` or a histogram's `_bucket` sample, before its newline); nothing otherwise.
// Labels whose value is empty are left out, as for series.
void append_exemplar(std::string& out, const core::MetricSpec& spec, const core::Exemplar& e) {
  if (!e.set) return;
  out += " # {";
  bool first = true;
  e.for_each_value([&](size_t i, std::string_view value) {
    if (value.empty() || i >= spec.exemplar_labels.size()) return;
    if (!first) out += ',';
    first = false;
    out += spec.exemplar_labels[i];
    out += "=\"";
    append_escaped(out, value, EscapeQuotes::kYes);
    out += '"';
  });
  out += "} ";
  append_openmetrics_number(out, e.value);
  out += ' ';
  append_openmetrics_number(out, static_cast<double>(e.unix_ms) / 1000.0);
}

void write_metric_openmetrics(std::string& out, const core::MetricSpec& spec,
                              const std::vector<core::StoreState::Series>& series,
                              const std::vector<uint32_t>& order, int64_t created_ms,
                              const std::vector<core::Exemplar>* exemplars) {
  std::string_view family = spec.name;
  std::string_view type = "gauge";
  if (spec.type == core::MetricType::kCounter) {
    constexpr std::string_view kTotal = "_total";
    if (family.size() > kTotal.size() && family.ends_with(kTotal)) {
      family.remove_suffix(kTotal.size());
      type = "counter";
    } else {
      type = "unknown";
    }
  }
  if (spec.type == core::MetricType::kHistogram) type = "histogram";
  out += "# TYPE ";
  out += family;
  out += ' ';
  out += type;
  out += '\n';
  if (!spec.help.empty()) {
    out += "# HELP ";
    out += family;
    out += ' ';
    for (const char c : escape_help(spec.help)) {
      if (c == '"') out += '\\';
      out += c;
    }
    out += '\n';
  }
  std::string created;
  if (created_ms != 0) append_openmetrics_number(created, static_cast<double>(created_ms) / 1000.0);
  const std::string created_name = std::string(family) + "_created";
  std::vector<std::string> les;
  for (size_t b = 0; b <= spec.buckets.size(); ++b) {
    std::string le;
    append_openmetrics_number(
        le, b < spec.buckets.size() ? spec.buckets[b] : std::numeric_limits<double>::infinity());
    les.push_back(std::move(le));
  }
  // Exemplars: MetricSpec::exemplar_slots() per series, on counters typed `counter` (OpenMetrics
  // allows none on `unknown`) and on histogram buckets.
  const size_t per = spec.exemplar_slots();
  if (exemplars != nullptr && (per == 0 || exemplars->size() != per * series.size() ||
                               (spec.type == core::MetricType::kCounter && type != "counter"))) {
    exemplars = nullptr;
  }
  std::string labels;
  for (const uint32_t at : order) {
    const core::StoreState::Series& s = series[at];
    label_block(labels, spec, s.key);
    if (spec.type != core::MetricType::kHistogram) {
      head(out, spec.name, "", labels, "");
      append_openmetrics_number(out, s.value);
      if (exemplars != nullptr) append_exemplar(out, spec, (*exemplars)[at * per]);
      out += '\n';
      if (type == "counter" && !created.empty()) {
        head(out, created_name, "", labels, "");
        out += created;
        out += '\n';
      }
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t b = 0; b < s.buckets.size(); ++b) {
      cumulative += s.buckets[b];
      head(out, spec.name, "_bucket", labels, les[std::min(b, les.size() - 1)]);
      append_openmetrics_number(out, static_cast<double>(cumulative));
      if (exemplars != nullptr && b < per) append_exemplar(out, spec, (*exemplars)[at * per + b]);
      out += '\n';
    }
    head(out, spec.name, "_count", labels, "");
    append_openmetrics_number(out, static_cast<double>(cumulative));
    out += '\n';
    head(out, spec.name, "_sum", labels, "");
    append_openmetrics_number(out, s.value);
    out += '\n';
    if (!created.empty()) {
      head(out, created_name, "", labels, "");
      out += created;
      out += '\n';
    }
  }
}

}  // namespace

std::string scrape_body(const core::ReadView& view, ExpositionFormat format) {
  const core::StoreState& state = view.state;
  const std::vector<core::MetricSpec>& specs = *view.specs;
  std::string out;
  // About 64 bytes a series line; a reserve saves the copies of a doubling string.
  size_t series_total = 0;
  for (const auto& m : state.metrics) series_total += m.size();
  out.reserve(4096 + series_total * (format == ExpositionFormat::kText004 ? 72 : 160));
  for (size_t mi = 0; mi < specs.size() && mi < state.metrics.size(); ++mi) {
    const int64_t created = mi < state.created.size() ? state.created[mi] : view.created_unix_ms;
    if (format == ExpositionFormat::kText004) {
      write_metric_text(out, specs[mi], state.metrics[mi], view.order[mi]);
    } else {
      write_metric_openmetrics(out, specs[mi], state.metrics[mi], view.order[mi], created,
                               mi < state.exemplars.size() ? &state.exemplars[mi] : nullptr);
    }
  }
  OwnFamiliesInput in{view.source_names,
                      state.source_records,
                      state.source_bytes,
                      view.pipeline_names,
                      state.dropped,
                      state.filtered,
                      state.overflow,
                      state.exemplars_dropped,
                      {},
                      {},
                      view.self};
  for (size_t mi = 0; mi < specs.size(); ++mi) {
    in.specs.push_back(&specs[mi]);
    in.series_counts.push_back(mi < state.metrics.size() ? state.metrics[mi].size() : 0);
  }
  std::vector<prometheus::MetricFamily> own;
  append_own_families(in, own);
  if (format == ExpositionFormat::kText004) {
    out += prometheus::TextSerializer().Serialize(own);
  } else {
    const int64_t fallback = view.created_unix_ms;
    out += to_openmetrics(own, [fallback](const std::string&) -> std::optional<double> {
      if (fallback == 0) return std::nullopt;
      return static_cast<double>(fallback) / 1000.0;
    });
  }
  return out;
}

}  // namespace logtally::sinks
