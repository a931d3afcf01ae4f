#include "sinks/exposition/exposition.h"

#include <limits>
#include <unordered_map>
#include <utility>

#include <prometheus/text_serializer.h>

#include "sinks/exposition/escape.h"

namespace logtally::sinks {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// prometheus-cpp 1.0.1 (Debian 12) writes HELP text verbatim, so a newline in a user's `help:`
// would end the line and corrupt the exposition. Escape it here as the text format requires
// (`\\` and `\n`); label values, which prometheus-cpp does escape, are left to it.
std::string escape_help(std::string_view help) {
  std::string out;
  append_escaped(out, help, EscapeQuotes::kNo);
  return out;
}

namespace {

MetricFamily family(std::string name, std::string_view help, prometheus::MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = escape_help(help);
  f.type = type;
  return f;
}

ClientMetric labelled(std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  ClientMetric m;
  for (const auto& [name, value] : labels)
    m.label.push_back({std::string(name), std::string(value)});
  return m;
}

void add_user_metric(const core::MetricSample& sample, std::vector<MetricFamily>& out) {
  const core::MetricSpec& spec = *sample.spec;
  prometheus::MetricType type = prometheus::MetricType::Counter;
  if (spec.type == core::MetricType::kGauge) type = prometheus::MetricType::Gauge;
  if (spec.type == core::MetricType::kHistogram) type = prometheus::MetricType::Histogram;
  MetricFamily f = family(spec.name, spec.help, type);
  f.metric.reserve(sample.series.size());
  for (const core::SeriesSample& s : sample.series) {
    ClientMetric m;
    for (size_t i = 0; i < spec.label_names.size(); ++i) {
      // An empty value is the same as no label in Prometheus; leave it out.
      if (s.labels[i].empty()) continue;
      m.label.push_back({spec.label_names[i], s.labels[i]});
    }
    switch (spec.type) {
      case core::MetricType::kCounter:
        m.counter.value = s.value;
        break;
      case core::MetricType::kGauge:
        m.gauge.value = s.value;
        break;
      case core::MetricType::kHistogram: {
        uint64_t cumulative = 0;
        for (size_t b = 0; b < s.buckets.size(); ++b) {
          cumulative += s.buckets[b];
          const double bound =
              b < spec.buckets.size() ? spec.buckets[b] : std::numeric_limits<double>::infinity();
          m.histogram.bucket.push_back({cumulative, bound});
        }
        m.histogram.sample_count = cumulative;
        m.histogram.sample_sum = s.value;
        break;
      }
    }
    f.metric.push_back(std::move(m));
  }
  out.push_back(std::move(f));
}

}  // namespace

std::vector<MetricFamily> to_families(const core::MetricStore& /*store*/,
                                      const core::Snapshot& snapshot) {
  std::vector<MetricFamily> out;
  for (const core::MetricSample& sample : snapshot.metrics) add_user_metric(sample, out);
  OwnFamiliesInput in{snapshot.source_names,
                      snapshot.source_records,
                      snapshot.source_bytes,
                      snapshot.pipeline_names,
                      snapshot.dropped,
                      snapshot.filtered,
                      snapshot.overflow,
                      snapshot.exemplars_dropped,
                      {},
                      {},
                      snapshot.self};
  for (const core::MetricSample& sample : snapshot.metrics) {
    in.specs.push_back(sample.spec);
    in.series_counts.push_back(sample.series.size());
  }
  append_own_families(in, out);
  return out;
}

void append_own_families(const OwnFamiliesInput& in, std::vector<MetricFamily>& out) {
  const auto& sources = in.source_names;
  MetricFamily records = family("logtally_records_total", "Records (lines) read, per source.",
                                prometheus::MetricType::Counter);
  MetricFamily bytes =
      family("logtally_bytes_total", "Bytes read, per source.", prometheus::MetricType::Counter);
  for (size_t i = 0; i < sources.size(); ++i) {
    ClientMetric r = labelled({{"source", sources[i]}});
    r.counter.value = static_cast<double>(in.source_records[i]);
    records.metric.push_back(std::move(r));
    ClientMetric b = labelled({{"source", sources[i]}});
    b.counter.value = static_cast<double>(in.source_bytes[i]);
    bytes.metric.push_back(std::move(b));
  }
  out.push_back(std::move(records));
  out.push_back(std::move(bytes));

  MetricFamily dropped =
      family("logtally_records_dropped_total",
             "Records a pipeline could not use, by reason (value reasons count once per metric).",
             prometheus::MetricType::Counter);
  const auto& pipelines = in.pipeline_names;
  for (size_t p = 0; p < pipelines.size(); ++p) {
    for (size_t r = 0; r < core::kDropReasonCount; ++r) {
      const uint64_t v = in.dropped[p * core::kDropReasonCount + r];
      if (!core::drop_series_shown(static_cast<core::DropReason>(r), v)) continue;
      ClientMetric m =
          labelled({{"pipeline", pipelines[p]},
                    {"reason", core::drop_reason_name(static_cast<core::DropReason>(r))}});
      m.counter.value = static_cast<double>(v);
      dropped.metric.push_back(std::move(m));
    }
  }
  out.push_back(std::move(dropped));

  MetricFamily filtered = family("logtally_records_filtered_total",
                                 "Records a pipeline's filter removed (not errors), per pipeline.",
                                 prometheus::MetricType::Counter);
  for (size_t p = 0; p < pipelines.size(); ++p) {
    ClientMetric m = labelled({{"pipeline", pipelines[p]}});
    m.counter.value = static_cast<double>(in.filtered[p]);
    filtered.metric.push_back(std::move(m));
  }
  out.push_back(std::move(filtered));

  MetricFamily overflow =
      family("logtally_series_overflow_total",
             "Updates routed to a metric's overflow series (all labels __overflow__) because the "
             "metric held max_series series; only metrics with a limit.",
             prometheus::MetricType::Counter);
  for (size_t mi = 0; mi < in.specs.size(); ++mi) {
    if (in.specs[mi]->max_series == 0) continue;
    ClientMetric m = labelled({{"metric", in.specs[mi]->name}});
    m.counter.value = static_cast<double>(in.overflow[mi]);
    overflow.metric.push_back(std::move(m));
  }
  if (!overflow.metric.empty()) out.push_back(std::move(overflow));

  MetricFamily exemplars =
      family("logtally_exemplars_dropped_total",
             "Exemplars not kept, per metric and reason: too_long (names and values over 128 "
             "characters), invalid_utf8; only metrics with an exemplar.",
             prometheus::MetricType::Counter);
  for (size_t mi = 0; mi < in.specs.size(); ++mi) {
    if (in.specs[mi]->exemplar_slots() == 0) continue;
    for (size_t r = 0; r < core::kExemplarDropCount; ++r) {
      const size_t at = mi * core::kExemplarDropCount + r;
      ClientMetric m =
          labelled({{"metric", in.specs[mi]->name},
                    {"reason", core::exemplar_drop_name(static_cast<core::ExemplarDrop>(r))}});
      m.counter.value =
          at < in.exemplars_dropped.size() ? static_cast<double>(in.exemplars_dropped[at]) : 0;
      exemplars.metric.push_back(std::move(m));
    }
  }
  if (!exemplars.metric.empty()) out.push_back(std::move(exemplars));

  MetricFamily series =
      family("logtally_series", "Series held, per metric.", prometheus::MetricType::Gauge);
  for (size_t mi = 0; mi < in.specs.size(); ++mi) {
    ClientMetric m = labelled({{"metric", in.specs[mi]->name}});
    m.gauge.value = static_cast<double>(in.series_counts[mi]);
    series.metric.push_back(std::move(m));
  }
  out.push_back(std::move(series));

  MetricFamily build = family("logtally_build_info", "logtally's version; the value is always 1.",
                              prometheus::MetricType::Gauge);
  ClientMetric info = labelled({{"version", LOGTALLY_VERSION}});
  info.gauge.value = 1;
  build.metric.push_back(std::move(info));
  out.push_back(std::move(build));

  for (const core::SelfMetrics::FamilySample& fs : in.self) {
    const bool is_counter = fs.kind == core::SelfMetrics::Kind::kCounter;
    MetricFamily f =
        family(fs.name, fs.help,
               is_counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge);
    for (const core::SelfMetrics::SeriesSample& s : fs.series) {
      ClientMetric m;
      for (const auto& [name, value] : s.labels) m.label.push_back({name, value});
      if (is_counter) {
        m.counter.value = s.value;
      } else {
        m.gauge.value = s.value;
      }
      f.metric.push_back(std::move(m));
    }
    out.push_back(std::move(f));
  }
}

CreatedLookup created_times(const core::Snapshot& snapshot) {
  std::unordered_map<std::string, int64_t> by_name;
  for (const core::MetricSample& m : snapshot.metrics) by_name[m.spec->name] = m.created_unix_ms;
  return [by_name = std::move(by_name),
          fallback = snapshot.created_unix_ms](const std::string& family) -> std::optional<double> {
    auto it = by_name.find(family);
    const int64_t ms = it != by_name.end() ? it->second : fallback;
    if (ms == 0) return std::nullopt;
    return static_cast<double>(ms) / 1000.0;
  };
}

std::string to_text(const core::MetricStore& store) {
  const prometheus::TextSerializer serializer;
  return serializer.Serialize(to_families(store, store.read()));
}

}  // namespace logtally::sinks
