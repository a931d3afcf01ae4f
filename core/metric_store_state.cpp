// MetricStore::merge() (the one merge of every shard, behind both snapshot() and export_state())
// and import_state(), the store's side of checkpoints. Kept apart from metric_store.cpp so the
// series-limit and expiry work there stays independent.
#include <algorithm>

#include "core/metric_store.h"

namespace logtally::core {

StoreState MetricStore::export_state() const {
  std::shared_lock layout(layout_mu_);
  return merge(native_.enabled);
}

StoreState MetricStore::merge(bool with_native) const {
  StoreState out;
  out.metrics.resize(specs_->size());
  if (with_native) out.native.resize(specs_->size());
  out.source_records.assign(source_names_.size(), 0);
  out.source_bytes.assign(source_names_.size(), 0);
  out.dropped.assign(pipeline_names_.size() * kDropReasonCount, 0);
  out.filtered.assign(pipeline_names_.size(), 0);
  out.overflow.assign(specs_->size(), 0);
  out.created = metric_created_;

  // Merging shards: per metric, an open-addressing table from key hash to index + 1 in
  // out.metrics[mi] (keys compared against the copies already made), sized from the shards'
  // series counts up front, so the merge allocates nothing but the copied keys. This runs
  // inside the checkpoint barrier and on every scrape and push; with 1M series a
  // std::unordered_map made it ~5x longer.
  // Every shard stays locked for the whole export (in index order; no other code holds two
  // shard locks), so the sizes counted first still hold when the keys are copied.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(shards_.size());
  for (const auto& shard_ptr : shards_) locks.emplace_back(shard_ptr->mu_);
  std::vector<size_t> totals(specs_->size(), 0);
  size_t key_bytes = 0;
  for (const auto& shard_ptr : shards_) {
    for (size_t mi = 0; mi < specs_->size(); ++mi) {
      const auto& keys = shard_ptr->metrics_[mi].keys;
      totals[mi] += keys.size();
      for (const std::string& k : keys) key_bytes += k.size();
    }
  }
  out.reserve_keys(key_bytes);
  std::vector<std::vector<uint32_t>> tables(specs_->size());
  std::vector<std::vector<uint64_t>> stamps(specs_->size());
  const bool merge = shards_.size() > 1;
  for (size_t mi = 0; mi < specs_->size(); ++mi) {
    out.metrics[mi].reserve(totals[mi]);
    if (with_native && (*specs_)[mi].type == MetricType::kHistogram)
      out.native[mi].reserve(totals[mi]);
    if (merge) {
      size_t cap = 16;
      while (cap < 2 * totals[mi]) cap <<= 1;
      tables[mi].assign(cap, 0);
    }
  }
  for (const auto& shard_ptr : shards_) {
    MetricShard& shard = *shard_ptr;
    for (size_t i = 0; i < out.source_records.size(); ++i) {
      out.source_records[i] += shard.source_records_[i];
      out.source_bytes[i] += shard.source_bytes_[i];
    }
    for (size_t i = 0; i < out.dropped.size(); ++i) out.dropped[i] += shard.dropped_[i];
    for (size_t i = 0; i < out.filtered.size(); ++i) out.filtered[i] += shard.filtered_[i];
    for (size_t mi = 0; mi < specs_->size(); ++mi) {
      const MetricShard::MetricData& m = shard.metrics_[mi];
      out.overflow[mi] += m.overflow_records;
      const MetricSpec& spec = (*specs_)[mi];
      const size_t nb = spec.buckets.size() + 1;
      auto& series = out.metrics[mi];
      std::vector<uint32_t>& table = tables[mi];
      for (size_t s = 0; s < m.keys.size(); ++s) {
        const double v = m.values[s];
        uint32_t* slot = nullptr;
        if (merge) {
          // Cannot trigger (sizes were counted under the same locks); kept so a future change
          // cannot turn a full table into an endless probe.
          if (2 * (series.size() + 1) > table.size()) {
            std::vector<uint32_t> bigger(table.size() * 2, 0);
            for (size_t k = 0; k < series.size(); ++k) {
              size_t j = hash_bytes(series[k].key) & (bigger.size() - 1);
              while (bigger[j] != 0) j = (j + 1) & (bigger.size() - 1);
              bigger[j] = static_cast<uint32_t>(k + 1);
            }
            table.swap(bigger);
          }
          const std::string& key = m.keys[s];
          const size_t mask = table.size() - 1;
          size_t j = hash_bytes(key) & mask;
          while (table[j] != 0 && series[table[j] - 1].key != key) j = (j + 1) & mask;
          slot = &table[j];
        }
        if (slot == nullptr || *slot == 0) {
          StoreState::Series out_series;
          const size_t at_byte = out.key_arena.size();
          out.key_arena.append(m.keys[s]);
          out_series.key = std::string_view(out.key_arena.data() + at_byte, m.keys[s].size());
          out_series.value = v;
          if (spec.type == MetricType::kHistogram) {
            out_series.buckets.assign(m.buckets.begin() + s * nb, m.buckets.begin() + (s + 1) * nb);
            if (with_native) {
              std::optional<NativeSample> ns;
              if (!m.native.empty()) ns = native_of(m, s);
              out.native[mi].push_back(std::move(ns));
            }
          }
          series.push_back(std::move(out_series));
          if (slot != nullptr) *slot = static_cast<uint32_t>(series.size());
          if (spec.type == MetricType::kGauge) stamps[mi].push_back(m.stamps[s]);
          continue;
        }
        const size_t at = *slot - 1;
        StoreState::Series& o = series[at];
        switch (spec.type) {
          case MetricType::kCounter:
            o.value += v;
            break;
          case MetricType::kHistogram:
            o.value += v;
            for (size_t b = 0; b < nb; ++b) o.buckets[b] += m.buckets[s * nb + b];
            if (with_native && !m.native.empty()) {
              std::optional<NativeSample>& o_native = out.native[mi][at];
              if (o_native) {
                o_native->merge(native_of(m, s));
              } else {
                o_native = native_of(m, s);
              }
            }
            break;
          case MetricType::kGauge:
            merge_gauge(spec.mode, v, m.stamps[s], o.value, stamps[mi][at]);
            break;
        }
      }
    }
  }
  return out;
}

NativeSample MetricStore::native_of(const MetricShard::MetricData& m, size_t s) const {
  return native_sample(native_, m.native[s],
                       m.native_counts.data() + s * 2 * size_t{native_.max_buckets});
}

void MetricStore::import_state(const StoreState& state) {
  for (size_t mi = 0; mi < state.created.size() && mi < metric_created_.size(); ++mi) {
    metric_created_[mi] = state.created[mi];
  }
  MetricShard& shard = *shards_.at(0);
  std::lock_guard<std::mutex> lock(shard.mu_);
  for (size_t i = 0; i < state.source_records.size() && i < shard.source_records_.size(); ++i) {
    shard.source_records_[i] += state.source_records[i];
    shard.source_bytes_[i] += state.source_bytes[i];
  }
  for (size_t i = 0; i < state.dropped.size() && i < shard.dropped_.size(); ++i) {
    shard.dropped_[i] += state.dropped[i];
  }
  for (size_t i = 0; i < state.filtered.size() && i < shard.filtered_.size(); ++i) {
    shard.filtered_[i] += state.filtered[i];
  }
  for (size_t mi = 0; mi < state.metrics.size() && mi < specs_->size(); ++mi) {
    const MetricSpec& spec = (*specs_)[mi];
    const size_t nb = spec.buckets.size() + 1;
    MetricShard::MetricData& m = shard.metrics_[mi];
    if (mi < state.overflow.size()) m.overflow_records += state.overflow[mi];
    // The overflow series comes back as the overflow series, not as a label set that happens to
    // read __overflow__ (which would take one of the metric's max_series places).
    LabelKey overflow_key;
    for (size_t i = 0; i < spec.label_names.size(); ++i) overflow_key.add(kOverflowLabel);
    for (const StoreState::Series& in : state.metrics[mi]) {
      uint32_t s = 0;
      if (m.admission != nullptr && in.key == overflow_key.view()) {
        s = shard.overflow(m);
        --m.overflow_records;  // overflow() counts an update; this is a restore, not one.
      } else {
        s = shard.series(static_cast<uint32_t>(mi), in.key);
      }
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
      const size_t at = static_cast<size_t>(&in - state.metrics[mi].data());
      if (m.native.empty() || mi >= state.native.size() || at >= state.native[mi].size() ||
          !state.native[mi][at]) {
        continue;
      }
      // Native buckets continue too: whatever the series holds already, plus the saved ones.
      NativeSample sum = native_of(m, s);
      sum.merge(*state.native[mi][at]);
      native_load(native_, m.native[s],
                  m.native_counts.data() + size_t{s} * 2 * size_t{native_.max_buckets},
                  std::move(sum));
    }
  }
}

}  // namespace logtally::core
