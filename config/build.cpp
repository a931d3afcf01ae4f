#include "config/build.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "ingest/multiline.h"

namespace logtally::config {

Compiled compile(const Config& config) {
  Compiled out;
  std::map<std::string, uint32_t> shared;  // name -> spec index of a `shared: true` metric
  for (const SourceConfig& s : config.sources) out.source_names.push_back(s.name);
  for (const PipelineConfig& pc : config.pipelines) {
    out.pipeline_names.push_back(pc.name);
    transforms::Pipeline p;
    p.name = pc.name;
    p.index = static_cast<uint32_t>(out.pipelines.size());
    p.parser = pc.parser;
    for (const std::string& in : pc.inputs) {
      for (size_t i = 0; i < config.sources.size(); ++i) {
        if (config.sources[i].name == in) p.inputs.push_back(static_cast<uint32_t>(i));
      }
    }
    // The loader compiled every expression and regex once already: these cannot fail.
    if (!pc.filter.empty()) {
      p.filter = std::make_shared<const transforms::Filter>(
          transforms::compile_filter(pc.filter, p.plan).value());
    }
    if (pc.timestamp) {
      p.time_slot = static_cast<int32_t>(p.plan.add(pc.timestamp->field, core::kUseText));
      p.time_format = pc.timestamp->format;
    }
    for (const MetricConfig& mc : pc.metrics) {
      core::MetricSpec spec;
      spec.max_series = mc.max_series;
      spec.expire_after_ms = mc.expire_after_ms;
      spec.initial = mc.initial;
      spec.name = mc.name;
      spec.help = mc.help;
      spec.type = mc.type;
      spec.mode = mc.mode;
      spec.buckets = mc.buckets;
      transforms::MetricRule rule;
      rule.metric = static_cast<uint32_t>(out.specs.size());
      bool reuse = false;
      if (mc.shared) {
        auto [it, inserted] = shared.try_emplace(mc.name, rule.metric);
        reuse = !inserted;
        rule.metric = it->second;
      }
      rule.type = mc.type;
      rule.scale = mc.scale;
      rule.unit = mc.unit;
      if (!mc.when.empty()) {
        rule.when = std::make_shared<const transforms::Filter>(
            transforms::compile_filter(mc.when, p.plan).value());
      }
      if (mc.value) rule.value_slot = static_cast<int32_t>(p.plan.add(*mc.value, core::kUseNumber));
      if (mc.subtract)
        rule.subtract_slot = static_cast<int32_t>(p.plan.add(*mc.subtract, core::kUseNumber));
      for (const LabelConfig& lc : mc.labels) {
        spec.label_names.push_back(lc.name);
        transforms::LabelRule label;
        label.kind =
            lc.is_const ? transforms::LabelRule::Kind::kConst : transforms::LabelRule::Kind::kField;
        label.default_value = lc.default_value;
        label.lowercase = lc.lowercase;
        RE2::Options re_options;
        re_options.set_log_errors(false);
        if (lc.has_replace) {
          label.replace = std::make_shared<const RE2>(lc.replace_regex, re_options);
          label.replace_with = lc.replace_with;
        }
        for (const LabelMapEntry& e : lc.map) {
          transforms::MapEntry me;
          me.to = e.to;
          if (e.is_regex) {
            me.regex = std::make_shared<const RE2>(e.pattern, re_options);
          } else {
            me.equals = e.pattern;
          }
          label.map.push_back(std::move(me));
        }
        label.has_unmapped = lc.has_unmapped;
        label.unmapped = lc.unmapped;
        for (const core::FieldPath& f : lc.fields)
          label.slots.push_back(p.plan.add(f, core::kUseText));
        rule.labels.push_back(std::move(label));
      }
      for (const auto& [name, path] : mc.exemplar) {
        spec.exemplar_labels.push_back(name);
        rule.exemplar.push_back(transforms::ExemplarLabelRule{p.plan.add(path, core::kUseText),
                                                              static_cast<uint32_t>(name.size())});
      }
      if (!reuse) out.specs.push_back(std::move(spec));
      p.rules.push_back(std::move(rule));
    }
    out.pipelines.push_back(std::move(p));
  }
  for (const SinkConfig& s : config.sinks) {
    const std::optional<core::NativeHistogramOptions> want = s.spec->native_histograms();
    if (!want) continue;
    if (!out.native.enabled) {
      out.native = *want;
      out.native.enabled = true;
      continue;
    }
    out.native.schema = std::max(out.native.schema, want->schema);
    out.native.zero_threshold = std::min(out.native.zero_threshold, want->zero_threshold);
    out.native.max_buckets = std::max(out.native.max_buckets, want->max_buckets);
  }
  return out;
}

std::vector<std::unique_ptr<ingest::Source>> make_sources(const Config& config,
                                                          ingest::SourceMode mode) {
  return make_sources(config, mode, nullptr);
}

std::vector<std::unique_ptr<ingest::Source>> make_sources(const Config& config,
                                                          ingest::SourceMode mode,
                                                          core::SelfMetrics* self_metrics) {
  std::vector<std::unique_ptr<ingest::Source>> out;
  for (size_t i = 0; i < config.sources.size(); ++i) {
    const SourceConfig& s = config.sources[i];
    const ingest::SourceCommon common{s.name, static_cast<uint32_t>(i), s.max_record_bytes,
                                      s.format, s.multiline};
    out.push_back(s.spec->build(common, mode, self_metrics));
  }
  return out;
}

std::vector<std::unique_ptr<sinks::Sink>> make_sinks(const Config& config,
                                                     const core::MetricStore& store) {
  std::vector<std::unique_ptr<sinks::Sink>> out;
  for (const SinkConfig& s : config.sinks) out.push_back(s.spec->build(s.name, store));
  return out;
}

std::string describe(const Config& config, const Compiled& compiled) {
  std::ostringstream out;
  out << "config " << config.file << ": OK\n";
  out << "workers: " << config.workers << "\n";
  out << "sources:\n";
  for (const SourceConfig& s : config.sources) {
    out << "  " << s.name << ": " << s.spec->describe();
    if (s.format != ingest::EnvelopeFormat::kNone) {
      out << ", format " << ingest::envelope_format_name(s.format);
    }
    out << ", max_record_bytes " << s.max_record_bytes;
    if (s.multiline) out << ", " << s.multiline->describe(s.max_record_bytes);
    out << "\n";
  }
  out << "pipelines:\n";
  for (size_t pi = 0; pi < compiled.pipelines.size(); ++pi) {
    const transforms::Pipeline& p = compiled.pipelines[pi];
    const PipelineConfig& pc = config.pipelines[pi];
    out << "  " << p.name << ": inputs [";
    for (size_t i = 0; i < pc.inputs.size(); ++i) out << (i ? ", " : "") << pc.inputs[i];
    out << "], parser " << pc.parser->type_name() << "\n" << pc.parser->describe_details();
    if (p.filter) out << "    filter: " << p.filter->text() << "\n";
    if (pc.timestamp) {
      out << "    timestamp: " << pc.timestamp->field.to_string() << " as "
          << pc.timestamp->format->format() << " (zone " << pc.timestamp->format->zone().name()
          << ")\n";
    }
    out << "    fields read:";
    for (size_t s = 0; s < p.plan.slot_count(); ++s)
      out << " " << p.plan.path(static_cast<uint32_t>(s)).to_string();
    out << "\n";
    for (size_t ri = 0; ri < p.rules.size(); ++ri) {
      const transforms::MetricRule& r = p.rules[ri];
      const core::MetricSpec& spec = compiled.specs[r.metric];
      out << "    " << spec.name << " " << core::metric_type_name(spec.type);
      if (spec.type == core::MetricType::kGauge)
        out << " (mode " << core::gauge_mode_name(spec.mode) << ")";
      out << " value ";
      if (r.value_slot < 0) {
        out << "1 per record";
      } else {
        if (r.subtract_slot >= 0) {
          out << "(" << p.plan.path(static_cast<uint32_t>(r.value_slot)).to_string() << " - "
              << p.plan.path(static_cast<uint32_t>(r.subtract_slot)).to_string() << ")";
        } else {
          out << p.plan.path(static_cast<uint32_t>(r.value_slot)).to_string();
        }
        if (r.unit != transforms::ValueUnit::kNone)
          out << " as " << transforms::value_unit_name(r.unit) << " in seconds";
        if (r.scale != 1) out << " * " << r.scale;
      }
      out << " labels {";
      for (size_t l = 0; l < r.labels.size(); ++l) {
        const transforms::LabelRule& lr = r.labels[l];
        out << (l ? ", " : "") << spec.label_names[l] << "=";
        if (lr.kind == transforms::LabelRule::Kind::kConst) {
          out << "\"" << lr.default_value << "\"";
          continue;
        }
        for (size_t s = 0; s < lr.slots.size(); ++s)
          out << (s ? "|" : "") << p.plan.path(lr.slots[s]).to_string();
        if (lr.lowercase) out << " lowercased";
        if (lr.replace) out << " replaced";
        if (!lr.map.empty()) out << " mapped (" << lr.map.size() << " rows)";
        if (!lr.default_value.empty()) out << " default \"" << lr.default_value << "\"";
      }
      out << "}";
      if (r.when) out << " when " << r.when->text();
      if (pc.metrics[ri].max_series_set) out << " max_series " << spec.max_series;
      if (spec.expire_after_ms != 0) out << " expire_after " << spec.expire_after_ms << "ms";
      if (!spec.initial.empty()) out << " initial " << spec.initial.size() << " series";
      if (!r.exemplar.empty()) {
        out << " exemplar {";
        for (size_t e = 0; e < r.exemplar.size(); ++e) {
          out << (e ? ", " : "") << spec.exemplar_labels[e] << "="
              << p.plan.path(r.exemplar[e].slot).to_string();
        }
        out << "}";
      }
      if (spec.type == core::MetricType::kHistogram) {
        out << " buckets [";
        for (size_t b = 0; b < spec.buckets.size(); ++b) out << (b ? ", " : "") << spec.buckets[b];
        out << "]";
      }
      out << "\n";
    }
  }
  if (!config.checkpoint.dir.empty()) {
    out << "checkpoint: " << config.checkpoint.dir << " every " << config.checkpoint.interval_millis
        << " ms; readers see "
        << (config.checkpoint.serve_new_checkpoint ? "a new checkpoint per read"
                                                   : "the last checkpoint")
        << "\n";
  }
  out << describe_slos(config.slos);
  out << "sinks:";
  if (config.sinks.empty()) out << " (none)";
  out << "\n";
  for (const SinkConfig& s : config.sinks)
    out << "  " << s.name << ": " << s.spec->describe() << "\n";
  return out.str();
}

}  // namespace logtally::config
