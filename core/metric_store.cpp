#include "core/metric_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "core/hash.h"
#include "core/utf8.h"

namespace logtally::core {

std::string_view metric_type_name(MetricType t) noexcept {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "?";
}

std::string_view gauge_mode_name(GaugeMode m) noexcept {
  switch (m) {
    case GaugeMode::kSet:
      return "set";
    case GaugeMode::kAdd:
      return "add";
    case GaugeMode::kMax:
      return "max";
    case GaugeMode::kMin:
      return "min";
  }
  return "?";
}

std::string_view drop_reason_name(DropReason r) noexcept {
  switch (r) {
    case DropReason::kInvalidJson:
      return "invalid_json";
    case DropReason::kNotObject:
      return "not_object";
    case DropReason::kMissingValue:
      return "missing_value";
    case DropReason::kNotANumber:
      return "not_a_number";
    case DropReason::kNegativeValue:
      return "negative_value";
    case DropReason::kTooLong:
      return "too_long";
    case DropReason::kBadEnvelope:
      return "bad_envelope";
    case DropReason::kEmpty:
      return "empty";
    case DropReason::kCount:
      break;
  }
  return "?";
}

// ---- LabelKey ----------------------------------------------------------------------------

void LabelKey::add_lowercase(std::string_view value) {
  char* p = reserve(4 + value.size());
  const auto len = static_cast<uint32_t>(value.size());
  std::memcpy(p, &len, 4);
  p += 4;
  for (const char c : value) *p++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

void LabelKey::grow(size_t need) {
  size_t cap = cap_ * 2;
  while (cap < need) cap *= 2;
  std::unique_ptr<char[]> bigger(new char[cap]);
  std::memcpy(bigger.get(), buf_.get(), size_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

std::vector<std::string> LabelKey::decode(std::string_view key) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i + 4 <= key.size()) {
    uint32_t len;
    std::memcpy(&len, key.data() + i, 4);
    i += 4;
    out.emplace_back(key.substr(i, len));
    i += len;
  }
  return out;
}

// ---- SeriesIndex -------------------------------------------------------------------------

void SeriesIndex::insert(std::string_view key, uint64_t hash, uint32_t series) {
  // Keep the load factor at or below 1/2 so probes stay short.
  if ((keys_.size() + 1) * 2 > slots_.size()) grow();
  keys_.emplace_back(key);
  series_.push_back(series);
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].entry_plus_one != 0) i = (i + 1) & mask;
  slots_[i] = Slot{hash, static_cast<uint32_t>(keys_.size())};
}

void SeriesIndex::grow() {
  const size_t size = slots_.empty() ? 64 : slots_.size() * 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{});
  const size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.entry_plus_one == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].entry_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

// ---- MetricShard -------------------------------------------------------------------------

MetricShard::MetricShard(const std::vector<MetricSpec>& specs, size_t sources, size_t pipelines)
    : metrics_(specs.size()),
      source_records_(sources, 0),
      source_bytes_(sources, 0),
      dropped_(pipelines * kDropReasonCount, 0) {
  for (size_t i = 0; i < specs.size(); ++i) metrics_[i].spec = &specs[i];
}

uint32_t MetricShard::add_series(MetricData& m, std::string_view key, uint64_t h) {
  uint32_t s = SeriesIndex::kNotFound;
  // New key: store it under its repaired (valid UTF-8) form. If that form already has a
  // series, the raw key becomes an alias of it.
  std::string canonical;
  bool repaired = false;
  for (const std::string& v : LabelKey::decode(key)) {
    if (!is_valid_utf8(v)) repaired = true;
  }
  if (repaired) {
    LabelKey rebuilt;
    for (const std::string& v : LabelKey::decode(key)) {
      std::string fixed;
      append_repaired_utf8(v, fixed);
      rebuilt.add(fixed);
    }
    canonical.assign(rebuilt.view());
    const uint64_t ch = hash_bytes(canonical);
    s = m.index.find(canonical, ch);
    if (s != SeriesIndex::kNotFound) {
      m.index.insert(key, h, s);
      return s;
    }
  } else {
    canonical.assign(key);
  }

  s = static_cast<uint32_t>(m.keys.size());
  double initial = 0;
  if (m.spec->type == MetricType::kGauge) {
    if (m.spec->mode == GaugeMode::kMax) initial = -std::numeric_limits<double>::infinity();
    if (m.spec->mode == GaugeMode::kMin) initial = std::numeric_limits<double>::infinity();
  }
  m.values.push_back(initial);
  if (m.spec->type == MetricType::kGauge) m.stamps.push_back(0);
  if (m.spec->type == MetricType::kHistogram)
    m.buckets.resize(m.buckets.size() + m.spec->buckets.size() + 1, 0);
  m.index.insert(key, h, s);
  if (repaired) m.index.insert(canonical, hash_bytes(canonical), s);
  m.keys.push_back(std::move(canonical));
  return s;
}

void MetricShard::gauge_update(uint32_t metric, uint32_t series, double v,
                               uint64_t stamp) noexcept {
  MetricData& m = metrics_[metric];
  double& cur = m.values[series];
  switch (m.spec->mode) {
    case GaugeMode::kSet:
      if (stamp >= m.stamps[series]) {
        cur = v;
        m.stamps[series] = stamp;
      }
      break;
    case GaugeMode::kAdd:
      cur += v;
      break;
    case GaugeMode::kMax:
      cur = std::max(cur, v);
      break;
    case GaugeMode::kMin:
      cur = std::min(cur, v);
      break;
  }
}

void MetricShard::histogram_observe(uint32_t metric, uint32_t series, double v) noexcept {
  MetricData& m = metrics_[metric];
  const std::vector<double>& bounds = m.spec->buckets;
  // First bucket whose upper bound is >= v (Prometheus `le` semantics); +Inf if none.
  const size_t b =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  m.buckets[series * (bounds.size() + 1) + b] += 1;
  m.values[series] += v;
}

// ---- MetricStore -------------------------------------------------------------------------

MetricStore::MetricStore(std::vector<MetricSpec> specs, std::vector<std::string> source_names,
                         std::vector<std::string> pipeline_names, size_t shards)
    : specs_(std::move(specs)),
      source_names_(std::move(source_names)),
      pipeline_names_(std::move(pipeline_names)) {
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(
        std::make_unique<MetricShard>(specs_, source_names_.size(), pipeline_names_.size()));
  }
}

Snapshot MetricStore::snapshot() const {
  Snapshot snap;
  snap.metrics.resize(specs_.size());
  snap.source_records.assign(source_names_.size(), 0);
  snap.source_bytes.assign(source_names_.size(), 0);
  snap.dropped.assign(pipeline_names_.size() * kDropReasonCount, 0);

  struct Merged {
    double value = 0;
    uint64_t stamp = 0;
    std::vector<uint64_t> buckets;
  };
  std::vector<std::unordered_map<std::string, Merged>> merged(specs_.size());

  for (const auto& shard_ptr : shards_) {
    MetricShard& shard = *shard_ptr;
    std::lock_guard<std::mutex> lock(shard.mu_);
    for (size_t i = 0; i < snap.source_records.size(); ++i) {
      snap.source_records[i] += shard.source_records_[i];
      snap.source_bytes[i] += shard.source_bytes_[i];
    }
    for (size_t i = 0; i < snap.dropped.size(); ++i) snap.dropped[i] += shard.dropped_[i];

    for (size_t mi = 0; mi < specs_.size(); ++mi) {
      const MetricShard::MetricData& m = shard.metrics_[mi];
      const MetricSpec& spec = specs_[mi];
      const size_t nb = spec.buckets.size() + 1;
      for (size_t s = 0; s < m.keys.size(); ++s) {
        auto [it, inserted] = merged[mi].try_emplace(m.keys[s]);
        Merged& out = it->second;
        const double v = m.values[s];
        switch (spec.type) {
          case MetricType::kCounter:
            out.value += v;
            break;
          case MetricType::kHistogram:
            out.value += v;
            out.buckets.resize(nb, 0);
            for (size_t b = 0; b < nb; ++b) out.buckets[b] += m.buckets[s * nb + b];
            break;
          case MetricType::kGauge:
            if (inserted) {
              out.value = v;
              out.stamp = m.stamps[s];
              break;
            }
            switch (spec.mode) {
              case GaugeMode::kSet:
                if (m.stamps[s] >= out.stamp) {
                  out.value = v;
                  out.stamp = m.stamps[s];
                }
                break;
              case GaugeMode::kAdd:
                out.value += v;
                break;
              case GaugeMode::kMax:
                out.value = std::max(out.value, v);
                break;
              case GaugeMode::kMin:
                out.value = std::min(out.value, v);
                break;
            }
            break;
        }
      }
    }
  }

  for (size_t mi = 0; mi < specs_.size(); ++mi) {
    MetricSample& sample = snap.metrics[mi];
    sample.spec = &specs_[mi];
    sample.series.reserve(merged[mi].size());
    for (auto& [key, m] : merged[mi]) {
      SeriesSample s;
      s.labels = LabelKey::decode(key);
      s.value = m.value;
      s.buckets = std::move(m.buckets);
      sample.series.push_back(std::move(s));
    }
    std::sort(sample.series.begin(), sample.series.end(),
              [](const SeriesSample& a, const SeriesSample& b) { return a.labels < b.labels; });
  }
  return snap;
}

}  // namespace logtally::core
