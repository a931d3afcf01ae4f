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

void MetricStore::capture(StoreCapture& out) const {
  std::shared_lock layout(layout_mu_);
  capture_locked(out, native_.enabled);
}

StoreState MetricStore::merge_capture(const StoreCapture& capture) const {
  std::shared_lock layout(layout_mu_);
  return merge_capture_locked(capture);
}

StoreState MetricStore::merge(bool with_native) const {
  StoreCapture capture;
  capture_locked(capture, with_native);
  return merge_capture_locked(capture);
}

namespace {

// `to` = `from`, reusing `to`'s capacity (a reused capture allocates, and faults in pages,
// only when the store grew).
template <typename T>
void copy_into(std::vector<T>& to, const std::vector<T>& from) {
  to.assign(from.begin(), from.end());
}

}  // namespace

namespace {

// Sizes `v` for `n` elements plus room for growth, writing every element: the pages a capture
// copies into are then faulted in before any shard is locked (a fresh 8 MB buffer faults 2,000
// pages, which on a loaded machine took longer than the copy itself).
template <typename T>
void prefault(std::vector<T>& v, size_t n) {
  const size_t want = n + n / 16 + 256;
  if (v.size() < want) v.resize(want);
}

}  // namespace

void MetricStore::prepare_capture(StoreCapture& out) const {
  std::shared_lock layout(layout_mu_);
  prefault_capture(out, native_.enabled);
}

void MetricStore::prefault_capture(StoreCapture& out, bool with_native) const {
  // Each shard alone, briefly, for its sizes; then the buffers are sized and touched with no
  // lock held, so the consistent cut copies into them without allocating (unless a shard grew
  // past the slack meanwhile).
  out.shards.resize(shards_.size());
  for (size_t si = 0; si < shards_.size(); ++si) {
    std::vector<size_t> sizes;
    {
      std::lock_guard<std::mutex> lock(shards_[si]->mu_);
      for (const MetricShard::MetricData& m : shards_[si]->metrics_) {
        sizes.insert(sizes.end(), {m.keys.size(), m.stamps.size(), m.buckets.size(),
                                   with_native ? m.native.size() : 0,
                                   with_native ? m.native_counts.size() : 0, m.exemplars.size()});
      }
    }
    StoreCapture::Shard& cs = out.shards[si];
    cs.metrics.resize(specs_->size());
    constexpr size_t kSizes = 6;
    for (size_t mi = 0; mi < specs_->size() && kSizes * mi < sizes.size(); ++mi) {
      StoreCapture::Metric& cm = cs.metrics[mi];
      const size_t* at = sizes.data() + kSizes * mi;
      prefault(cm.keys, at[0]);
      prefault(cm.values, at[0]);
      if (at[1] > 0) prefault(cm.stamps, at[1]);
      if (at[2] > 0) prefault(cm.buckets, at[2]);
      if (at[3] > 0) prefault(cm.native, at[3]);
      if (at[4] > 0) prefault(cm.native_counts, at[4]);
      if (at[5] > 0) prefault(cm.exemplars, at[5]);
    }
  }
}

void MetricStore::capture_locked(StoreCapture& out, bool with_native) const {
  prefault_capture(out, with_native);  // A no-op when prepare_capture() just ran.
  // Every shard locked at once, in index order (no other code holds two shard locks), for
  // nothing but flat copies: keys are shared records in the shards' arenas (their chunk lists
  // are copied), so the time a worker waits is a few memcpy's, not a merge.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(shards_.size());
  for (const auto& shard_ptr : shards_) locks.emplace_back(shard_ptr->mu_);
  out.with_native = with_native;
  out.created = metric_created_;
  out.shards.resize(shards_.size());
  out.chunks.clear();
  for (size_t si = 0; si < shards_.size(); ++si) {
    const MetricShard& shard = *shards_[si];
    StoreCapture::Shard& cs = out.shards[si];
    copy_into(cs.source_records, shard.source_records_);
    copy_into(cs.source_bytes, shard.source_bytes_);
    copy_into(cs.dropped, shard.dropped_);
    copy_into(cs.filtered, shard.filtered_);
    cs.metrics.resize(specs_->size());
    for (size_t mi = 0; mi < specs_->size(); ++mi) {
      const MetricShard::MetricData& m = shard.metrics_[mi];
      StoreCapture::Metric& cm = cs.metrics[mi];
      copy_into(cm.keys, m.keys);
      copy_into(cm.values, m.values);
      copy_into(cm.stamps, m.stamps);
      copy_into(cm.buckets, m.buckets);
      if (with_native) {
        copy_into(cm.native, m.native);
        copy_into(cm.native_counts, m.native_counts);
      } else {
        cm.native.clear();
        cm.native_counts.clear();
      }
      copy_into(cm.exemplars, m.exemplars);
      cm.overflow_records = m.overflow_records;
      std::copy(std::begin(m.exemplar_dropped), std::end(m.exemplar_dropped),
                std::begin(cm.exemplar_dropped));
      out.chunks.insert(out.chunks.end(), m.arena.chunks().begin(), m.arena.chunks().end());
    }
  }
}

StoreState MetricStore::merge_capture_locked(const StoreCapture& capture) const {
  const bool with_native = capture.with_native;
  StoreState out;
  out.metrics.resize(specs_->size());
  if (with_native) out.native.resize(specs_->size());
  out.source_records.assign(source_names_.size(), 0);
  out.source_bytes.assign(source_names_.size(), 0);
  out.dropped.assign(pipeline_names_.size() * kDropReasonCount, 0);
  out.filtered.assign(pipeline_names_.size(), 0);
  out.overflow.assign(specs_->size(), 0);
  out.exemplars.resize(specs_->size());
  out.exemplars_dropped.assign(specs_->size() * kExemplarDropCount, 0);
  out.created = capture.created;
  out.key_chunks = capture.chunks;  // Series keys point into them: no key is copied.

  // Merging shards: per metric, an open-addressing table from key hash to index + 1 in
  // out.metrics[mi], sized from the captured series counts up front. No lock is held: the
  // capture is the consistent cut. With 1M series a std::unordered_map made it ~5x longer.
  std::vector<size_t> totals(specs_->size(), 0);
  for (const StoreCapture::Shard& cs : capture.shards) {
    for (size_t mi = 0; mi < specs_->size() && mi < cs.metrics.size(); ++mi)
      totals[mi] += cs.metrics[mi].keys.size();
  }
  std::vector<std::vector<uint32_t>> tables(specs_->size());
  std::vector<std::vector<uint64_t>> stamps(specs_->size());
  for (size_t mi = 0; mi < specs_->size(); ++mi) {
    out.metrics[mi].reserve(totals[mi]);
    if (with_native && (*specs_)[mi].type == MetricType::kHistogram)
      out.native[mi].reserve(totals[mi]);
    out.exemplars[mi].reserve(totals[mi] * (*specs_)[mi].exemplar_slots());
    // With more than one shard, always through the table. (Skipping it when only one shard
    // held a metric once showed a label-less counter as two series: import_state() restored
    // its series as the overflow series, whose key is empty too, and the next record made a
    // second one. Fixed there, with ALabelLessSeriesWithALimitRestoresAsItself.)
    if (capture.shards.size() > 1) {
      size_t cap = 16;
      while (cap < 2 * totals[mi]) cap <<= 1;
      tables[mi].assign(cap, 0);
    }
  }
  for (const StoreCapture::Shard& cs : capture.shards) {
    for (size_t i = 0; i < out.source_records.size() && i < cs.source_records.size(); ++i) {
      out.source_records[i] += cs.source_records[i];
      out.source_bytes[i] += cs.source_bytes[i];
    }
    for (size_t i = 0; i < out.dropped.size() && i < cs.dropped.size(); ++i)
      out.dropped[i] += cs.dropped[i];
    for (size_t i = 0; i < out.filtered.size() && i < cs.filtered.size(); ++i)
      out.filtered[i] += cs.filtered[i];
    for (size_t mi = 0; mi < specs_->size() && mi < cs.metrics.size(); ++mi) {
      const StoreCapture::Metric& m = cs.metrics[mi];
      out.overflow[mi] += m.overflow_records;
      for (size_t r = 0; r < kExemplarDropCount; ++r)
        out.exemplars_dropped[mi * kExemplarDropCount + r] += m.exemplar_dropped[r];
      const MetricSpec& spec = (*specs_)[mi];
      // Exemplar slots per series; the capture holds them only if the shard did (a shard made
      // for this spec always does).
      const size_t per = spec.exemplar_slots();
      const bool with_exemplars = per > 0 && m.exemplars.size() == per * m.keys.size();
      std::vector<Exemplar>& exemplars = out.exemplars[mi];
      const size_t nb = spec.buckets.size() + 1;
      auto& series = out.metrics[mi];
      std::vector<uint32_t>& table = tables[mi];
      const size_t width = 2 * size_t{native_.max_buckets};
      auto native_at = [&](size_t s) {
        return native_sample(native_, m.native[s], m.native_counts.data() + s * width);
      };
      const bool merge = !table.empty();
      for (size_t s = 0; s < m.keys.size(); ++s) {
        const double v = m.values[s];
        const std::string_view key = KeyArena::view(m.keys[s]);
        uint32_t* slot = nullptr;
        if (merge) {
          const size_t mask = table.size() - 1;
          size_t j = hash_bytes(key) & mask;
          while (table[j] != 0 && series[table[j] - 1].key != key) j = (j + 1) & mask;
          slot = &table[j];
        }
        if (slot == nullptr || *slot == 0) {
          StoreState::Series out_series;
          out_series.key = key;
          out_series.value = v;
          if (spec.type == MetricType::kHistogram) {
            out_series.buckets.assign(m.buckets.begin() + static_cast<long>(s * nb),
                                      m.buckets.begin() + static_cast<long>((s + 1) * nb));
            if (with_native) {
              std::optional<NativeSample> ns;
              if (!m.native.empty()) ns = native_at(s);
              out.native[mi].push_back(std::move(ns));
            }
          }
          series.push_back(std::move(out_series));
          if (per > 0) {
            if (with_exemplars) {
              const auto from = m.exemplars.begin() + static_cast<long>(s * per);
              exemplars.insert(exemplars.end(), from, from + static_cast<long>(per));
            } else {
              exemplars.resize(exemplars.size() + per);
            }
          }
          if (slot != nullptr) *slot = static_cast<uint32_t>(series.size());
          if (spec.type == MetricType::kGauge) stamps[mi].push_back(m.stamps[s]);
          continue;
        }
        const size_t at = *slot - 1;
        StoreState::Series& o = series[at];
        // Each slot keeps the latest record's exemplar over all shards (by its time).
        for (size_t k = 0; with_exemplars && k < per; ++k) {
          const Exemplar& e = m.exemplars[s * per + k];
          Exemplar& into = exemplars[at * per + k];
          if (e.set && (!into.set || e.unix_ms >= into.unix_ms)) into = e;
        }
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
                o_native->merge(native_at(s));
              } else {
                o_native = native_at(s);
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
    for (size_t r = 0; r < kExemplarDropCount; ++r) {
      if (mi * kExemplarDropCount + r < state.exemplars_dropped.size())
        m.exemplar_dropped[r] += state.exemplars_dropped[mi * kExemplarDropCount + r];
    }
    // Room for every saved series at once: a restore of 1M series then rehashes nothing.
    const size_t expect = m.keys.size() + state.metrics[mi].size();
    m.index.reserve(expect);
    m.keys.reserve(expect);
    m.values.reserve(expect);
    // The overflow series comes back as the overflow series, not as a label set that happens to
    // read __overflow__ (which would take one of the metric's max_series places).
    LabelKey overflow_key;
    for (size_t i = 0; i < spec.label_names.size(); ++i) overflow_key.add(kOverflowLabel);
    for (const StoreState::Series& in : state.metrics[mi]) {
      uint32_t s = 0;
      // A metric without labels has one label set, never an overflow series, and its key is
      // empty like its overflow key: that saved series is the label set.
      if (m.admission != nullptr && !spec.label_names.empty() && in.key == overflow_key.view()) {
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
      // Exemplars (a reload's; a checkpoint has none): the newer of the held and the saved.
      const size_t per = m.exemplar_slots;
      if (per > 0 && mi < state.exemplars.size() &&
          state.exemplars[mi].size() == per * state.metrics[mi].size()) {
        for (size_t k = 0; k < per; ++k) {
          const Exemplar& e = state.exemplars[mi][at * per + k];
          Exemplar& into = m.exemplars[size_t{s} * per + k];
          if (e.set && (!into.set || e.unix_ms >= into.unix_ms)) into = e;
        }
      }
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
