// MetricStore::export_state() / import_state(): the store's side of checkpoints. Kept apart
// from metric_store.cpp so the series-limit and expiry work there stays independent.
#include <algorithm>
#include <unordered_map>

#include "core/metric_store.h"

namespace logtally::core {

StoreState MetricStore::export_state() const {
  StoreState out;
  out.metrics.resize(specs_.size());
  out.source_records.assign(source_names_.size(), 0);
  out.source_bytes.assign(source_names_.size(), 0);
  out.dropped.assign(pipeline_names_.size() * kDropReasonCount, 0);

  // Per metric: encoded key -> index into out.metrics[mi], plus the gauge `set` stamp.
  std::vector<std::unordered_map<std::string, size_t>> where(specs_.size());
  std::vector<std::vector<uint64_t>> stamps(specs_.size());
  for (const auto& shard_ptr : shards_) {
    MetricShard& shard = *shard_ptr;
    std::lock_guard<std::mutex> lock(shard.mu_);
    for (size_t i = 0; i < out.source_records.size(); ++i) {
      out.source_records[i] += shard.source_records_[i];
      out.source_bytes[i] += shard.source_bytes_[i];
    }
    for (size_t i = 0; i < out.dropped.size(); ++i) out.dropped[i] += shard.dropped_[i];
    for (size_t mi = 0; mi < specs_.size(); ++mi) {
      const MetricShard::MetricData& m = shard.metrics_[mi];
      const MetricSpec& spec = specs_[mi];
      const size_t nb = spec.buckets.size() + 1;
      auto& series = out.metrics[mi];
      if (shards_.size() == 1) series.reserve(m.keys.size());
      for (size_t s = 0; s < m.keys.size(); ++s) {
        const double v = m.values[s];
        size_t at = series.size();
        bool inserted = true;
        if (shards_.size() > 1) {
          auto [it, ins] = where[mi].try_emplace(m.keys[s], series.size());
          at = it->second;
          inserted = ins;
        }
        if (inserted) {
          StoreState::Series out_series;
          out_series.key = m.keys[s];
          out_series.value = v;
          if (spec.type == MetricType::kHistogram) {
            out_series.buckets.assign(m.buckets.begin() + s * nb, m.buckets.begin() + (s + 1) * nb);
          }
          series.push_back(std::move(out_series));
          if (spec.type == MetricType::kGauge) stamps[mi].push_back(m.stamps[s]);
          continue;
        }
        StoreState::Series& o = series[at];
        switch (spec.type) {
          case MetricType::kCounter:
            o.value += v;
            break;
          case MetricType::kHistogram:
            o.value += v;
            for (size_t b = 0; b < nb; ++b) o.buckets[b] += m.buckets[s * nb + b];
            break;
          case MetricType::kGauge:
            switch (spec.mode) {
              case GaugeMode::kSet:
                if (m.stamps[s] >= stamps[mi][at]) {
                  o.value = v;
                  stamps[mi][at] = m.stamps[s];
                }
                break;
              case GaugeMode::kAdd:
                o.value += v;
                break;
              case GaugeMode::kMax:
                o.value = std::max(o.value, v);
                break;
              case GaugeMode::kMin:
                o.value = std::min(o.value, v);
                break;
            }
            break;
        }
      }
    }
  }
  return out;
}

void MetricStore::import_state(const StoreState& state) {
  MetricShard& shard = *shards_.at(0);
  std::lock_guard<std::mutex> lock(shard.mu_);
  for (size_t i = 0; i < state.source_records.size() && i < shard.source_records_.size(); ++i) {
    shard.source_records_[i] += state.source_records[i];
    shard.source_bytes_[i] += state.source_bytes[i];
  }
  for (size_t i = 0; i < state.dropped.size() && i < shard.dropped_.size(); ++i) {
    shard.dropped_[i] += state.dropped[i];
  }
  for (size_t mi = 0; mi < state.metrics.size() && mi < specs_.size(); ++mi) {
    const MetricSpec& spec = specs_[mi];
    const size_t nb = spec.buckets.size() + 1;
    MetricShard::MetricData& m = shard.metrics_[mi];
    for (const StoreState::Series& in : state.metrics[mi]) {
      const uint32_t s = shard.series(static_cast<uint32_t>(mi), in.key);
      switch (spec.type) {
        case MetricType::kCounter:
          m.values[s] += in.value;
          break;
        case MetricType::kGauge:
          m.values[s] = in.value;
          break;
        case MetricType::kHistogram:
          m.values[s] += in.value;
          for (size_t b = 0; b < nb && b < in.buckets.size(); ++b)
            m.buckets[s * nb + b] += in.buckets[b];
          break;
      }
    }
  }
}

}  // namespace logtally::core
