#include "sinks/exposition/openmetrics.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "sinks/exposition/escape.h"

namespace logtally::sinks {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

void append_openmetrics_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, res.ptr);
  }
}

namespace {

void append_number(std::string& out, double v) { append_openmetrics_number(out, v); }

// One sample line: NAME{labels[,extra="..."]} VALUE
void append_sample(std::string& out, std::string_view name, const prometheus::ClientMetric& m,
                   std::string_view extra_name, std::string_view extra_value, double value) {
  out += name;
  if (!m.label.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    for (const prometheus::ClientMetric::Label& l : m.label) {
      if (!first) out += ',';
      first = false;
      out += l.name;
      out += "=\"";
      append_escaped(out, l.value, EscapeQuotes::kYes);
      out += '"';
    }
    if (!extra_name.empty()) {
      if (!first) out += ',';
      out += extra_name;
      out += "=\"";
      out += extra_value;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  out += '\n';
}

}  // namespace

ExpositionFormat negotiate_format(std::string_view accept) {
  double q_openmetrics = -1;
  double q_text = -1;
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const size_t semi = range.find(';');
    const std::string_view type = trim(range.substr(0, semi));
    double q = 1;
    std::string_view params = semi == std::string_view::npos ? "" : range.substr(semi + 1);
    while (!params.empty()) {
      const size_t next = params.find(';');
      const std::string_view p = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        const std::string qs(p.substr(2));
        char* end = nullptr;
        const double parsed = std::strtod(qs.c_str(), &end);
        q = (end != qs.c_str() && parsed >= 0 && parsed <= 1) ? parsed : 0;
      }
    }
    if (iequals(type, "application/openmetrics-text")) {
      q_openmetrics = std::max(q_openmetrics, q);
    } else if (iequals(type, "text/plain") || iequals(type, "*/*") || iequals(type, "text/*")) {
      q_text = std::max(q_text, q);
    }
  }
  return q_openmetrics > 0 && q_openmetrics >= q_text ? ExpositionFormat::kOpenMetrics100
                                                      : ExpositionFormat::kText004;
}

std::string to_openmetrics(const std::vector<prometheus::MetricFamily>& families,
                           const CreatedLookup& created) {
  std::string out;
  for (const prometheus::MetricFamily& f : families) {
    const std::optional<double> created_seconds =
        created ? created(f.name) : std::optional<double>();
    std::string_view family = f.name;
    std::string_view type;
    switch (f.type) {
      case prometheus::MetricType::Counter: {
        constexpr std::string_view kTotal = "_total";
        if (family.size() > kTotal.size() && family.ends_with(kTotal)) {
          family.remove_suffix(kTotal.size());
          type = "counter";
        } else {
          type = "unknown";
        }
        break;
      }
      case prometheus::MetricType::Gauge:
        type = "gauge";
        break;
      case prometheus::MetricType::Histogram:
        type = "histogram";
        break;
      case prometheus::MetricType::Summary:
        type = "summary";
        break;
      default:
        type = "unknown";
        break;
    }
    out += "# TYPE ";
    out += family;
    out += ' ';
    out += type;
    out += '\n';
    if (!f.help.empty()) {
      out += "# HELP ";
      out += family;
      out += ' ';
      for (const char c : f.help) {
        if (c == '"') out += '\\';
        out += c;
      }
      out += '\n';
    }
    for (const prometheus::ClientMetric& m : f.metric) {
      switch (f.type) {
        case prometheus::MetricType::Counter:
          append_sample(out, f.name, m, "", "", m.counter.value);
          if (created_seconds && type == "counter") {
            append_sample(out, std::string(family) + "_created", m, "", "", *created_seconds);
          }
          break;
        case prometheus::MetricType::Gauge:
          append_sample(out, f.name, m, "", "", m.gauge.value);
          break;
        case prometheus::MetricType::Histogram: {
          const std::string bucket = f.name + "_bucket";
          for (const prometheus::ClientMetric::Bucket& b : m.histogram.bucket) {
            std::string le;
            append_number(le, b.upper_bound);
            append_sample(out, bucket, m, "le", le, static_cast<double>(b.cumulative_count));
          }
          append_sample(out, f.name + "_count", m, "", "",
                        static_cast<double>(m.histogram.sample_count));
          append_sample(out, f.name + "_sum", m, "", "", m.histogram.sample_sum);
          if (created_seconds) append_sample(out, f.name + "_created", m, "", "", *created_seconds);
          break;
        }
        case prometheus::MetricType::Summary:
          for (const prometheus::ClientMetric::Quantile& q : m.summary.quantile) {
            std::string qs;
            append_number(qs, q.quantile);
            append_sample(out, f.name, m, "quantile", qs, q.value);
          }
          append_sample(out, f.name + "_count", m, "", "",
                        static_cast<double>(m.summary.sample_count));
          append_sample(out, f.name + "_sum", m, "", "", m.summary.sample_sum);
          break;
        default:
          append_sample(out, f.name, m, "", "", m.untyped.value);
          break;
      }
    }
  }
  out += "# EOF\n";
  return out;
}

}  // namespace logtally::sinks
