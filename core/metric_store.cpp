#include "core/metric_store.h"

#include <algorithm>
#include <chrono>
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
    case DropReason::kBadTimestamp:
      return "bad_timestamp";
    case DropReason::kEmpty:
      return "empty";
    case DropReason::kNoMatch:
      return "no_match";
    case DropReason::kCount:
      break;
  }
  return "?";
}

std::string_view exemplar_drop_name(ExemplarDrop r) noexcept {
  switch (r) {
    case ExemplarDrop::kTooLong:
      return "too_long";
    case ExemplarDrop::kInvalidUtf8:
      return "invalid_utf8";
    case ExemplarDrop::kCount:
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

// ---- KeyArena, ShardIndex ----------------------------------------------------------------

const char* KeyArena::add(std::string_view key) {
  const size_t need = 4 + key.size();
  if (chunks_.empty() || used_ + need > cap_) {
    // Doubling chunks from 1 KiB to 1 MiB; a key longer than that gets a chunk of its own size.
    // `new char[]` leaves the bytes untouched, so only pages written become resident.
    size_t cap = chunks_.empty() ? 1024 : std::min<size_t>(cap_ * 2, 1 << 20);
    cap = std::max(cap, need);
    chunks_.emplace_back(new char[cap]);
    used_ = 0;
    cap_ = cap;
  }
  char* p = chunks_.back().get() + used_;
  const auto len = static_cast<uint32_t>(key.size());
  std::memcpy(p, &len, 4);
  if (!key.empty()) std::memcpy(p + 4, key.data(), key.size());
  used_ += need;
  return p;
}

void ShardIndex::insert(uint64_t hash, uint32_t series) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  const auto h = static_cast<uint32_t>(hash);
  size_t i = h & mask;
  while (slots_[i].series_plus_one != 0) i = (i + 1) & mask;
  slots_[i] = Slot{h, series + 1};
  ++count_;
}

void ShardIndex::grow() {
  // Positions come from the stored 32 hash bits: enough for any table this size can reach.
  const size_t size = slots_.empty() ? 64 : slots_.size() * 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{});
  const size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.series_plus_one == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].series_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool key_less(std::string_view a, std::string_view b) noexcept {
  size_t i = 0;
  size_t j = 0;
  while (i + 4 <= a.size() && j + 4 <= b.size()) {
    uint32_t la;
    uint32_t lb;
    std::memcpy(&la, a.data() + i, 4);
    std::memcpy(&lb, b.data() + j, 4);
    const int c = std::memcmp(a.data() + i + 4, b.data() + j + 4, std::min(la, lb));
    if (c != 0) return c < 0;
    if (la != lb) return la < lb;
    i += 4 + la;
    j += 4 + lb;
  }
  return a.size() - i < b.size() - j;  // Fewer values first (a shorter tuple is a prefix).
}

void sort_series(StoreState& state) {
  for (size_t mi = 0; mi < state.metrics.size(); ++mi) {
    std::vector<StoreState::Series>& series = state.metrics[mi];
    auto less = [](const StoreState::Series& a, const StoreState::Series& b) {
      return key_less(a.key, b.key);
    };
    if (std::is_sorted(series.begin(), series.end(), less)) continue;
    std::vector<uint32_t> order(series.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return key_less(series[a].key, series[b].key); });
    std::vector<StoreState::Series> sorted;
    sorted.reserve(series.size());
    for (const uint32_t i : order) sorted.push_back(std::move(series[i]));
    series = std::move(sorted);
    if (mi < state.native.size() && state.native[mi].size() == order.size()) {
      std::vector<std::optional<NativeSample>> native;
      native.reserve(order.size());
      for (const uint32_t i : order) native.push_back(std::move(state.native[mi][i]));
      state.native[mi] = std::move(native);
    }
    if (mi < state.exemplars.size() && !state.exemplars[mi].empty() && !order.empty() &&
        state.exemplars[mi].size() % order.size() == 0) {
      const size_t per = state.exemplars[mi].size() / order.size();
      std::vector<Exemplar> exemplars;
      exemplars.reserve(state.exemplars[mi].size());
      for (const uint32_t i : order) {
        const auto from = state.exemplars[mi].begin() + static_cast<long>(i * per);
        exemplars.insert(exemplars.end(), from, from + static_cast<long>(per));
      }
      state.exemplars[mi] = std::move(exemplars);
    }
  }
}

// ---- MetricShard -------------------------------------------------------------------------

MetricShard::MetricShard(const std::vector<MetricSpec>& specs, size_t sources, size_t pipelines)
    : metrics_(specs.size()),
      source_records_(sources, 0),
      source_bytes_(sources, 0),
      dropped_(pipelines * kDropReasonCount, 0),
      counted_(pipelines, 0),
      drop_slots_(pipelines * kDropReasonCount * kDropSamples),
      drop_text_(new char[pipelines * kDropReasonCount * kDropSamples * kDropSampleBytes]),
      drop_next_(pipelines * kDropReasonCount, 0) {
  for (size_t i = 0; i < specs.size(); ++i) {
    metrics_[i].spec = &specs[i];
    metrics_[i].exemplar_slots = specs[i].exemplar_slots();
  }
  filtered_.assign(pipelines, 0);
}

void MetricShard::sample_drop(uint32_t pipeline, DropReason r, std::string_view record,
                              uint64_t order, uint32_t metric) noexcept {
  const size_t ring = pipeline * kDropReasonCount + static_cast<size_t>(r);
  uint8_t& next = drop_next_[ring];
  const size_t slot = ring * kDropSamples + next;
  next = static_cast<uint8_t>(next + 1 == kDropSamples ? 0 : next + 1);
  size_t keep = std::min(record.size(), kDropSampleBytes);
  // Cut at a character boundary: back off over UTF-8 continuation bytes (at most 3).
  if (keep < record.size()) {
    for (int k = 0; k < 3 && keep > 0 && (static_cast<unsigned char>(record[keep]) & 0xC0) == 0x80;
         ++k) {
      --keep;
    }
  }
  std::memcpy(drop_text_.get() + slot * kDropSampleBytes, record.data(), keep);
  DropSlot& s = drop_slots_[slot];
  s.order = order;
  s.length = static_cast<uint32_t>(std::min<size_t>(record.size(), UINT32_MAX));
  s.metric = metric;
  s.kept = static_cast<uint16_t>(keep);
  s.used = true;
}

StatusCounts MetricStore::status_counts() const {
  std::shared_lock layout(layout_mu_);
  StatusCounts out;
  out.state = merge(/*with_native=*/false);
  out.specs = specs_;
  out.source_names = source_names_;
  out.pipeline_names = pipeline_names_;
  const size_t rings = pipeline_names_.size() * kDropReasonCount;
  out.counted.assign(pipeline_names_.size(), 0);
  out.recent_drops.resize(rings);
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu_);
    for (size_t p = 0; p < shard->counted_.size() && p < out.counted.size(); ++p) {
      out.counted[p] += shard->counted_[p];
    }
    for (size_t ring = 0; ring < rings; ++ring) {
      for (size_t k = 0; k < kDropSamples; ++k) {
        const size_t slot = ring * kDropSamples + k;
        const MetricShard::DropSlot& s = shard->drop_slots_[slot];
        if (!s.used) continue;
        DropSample d;
        d.record.assign(shard->drop_text_.get() + slot * kDropSampleBytes, s.kept);
        d.length = s.length;
        d.metric = s.metric;
        d.order = s.order;
        out.recent_drops[ring].push_back(std::move(d));
      }
    }
  }
  // Newest first over every shard, then the newest kDropSamples.
  for (std::vector<DropSample>& drops : out.recent_drops) {
    std::sort(drops.begin(), drops.end(),
              [](const DropSample& a, const DropSample& b) { return a.order > b.order; });
    if (drops.size() > kDropSamples) drops.resize(kDropSamples);
  }
  return out;
}

namespace {

// True if every value of an encoded key is valid UTF-8; walks the key in place (no copy).
bool key_is_valid_utf8(std::string_view key) noexcept {
  size_t i = 0;
  while (i + 4 <= key.size()) {
    uint32_t len;
    std::memcpy(&len, key.data() + i, 4);
    i += 4;
    if (!is_valid_utf8(key.substr(i, len))) return false;
    i += len;
  }
  return true;
}

}  // namespace

uint32_t MetricShard::add_series(MetricData& m, std::string_view key, uint64_t h) {
  // New key: the series is stored under its repaired (valid UTF-8) form. If that form already
  // has a series, the raw key becomes an alias of it. The repair allocates; it runs only for
  // keys with invalid bytes.
  std::string repaired_key;
  std::string_view canonical = key;
  uint64_t ch = h;
  const bool repaired = !key_is_valid_utf8(key);
  if (repaired) {
    LabelKey rebuilt;
    for (const std::string& v : LabelKey::decode(key)) {
      std::string fixed;
      append_repaired_utf8(v, fixed);
      rebuilt.add(fixed);
    }
    repaired_key.assign(rebuilt.view());
    canonical = repaired_key;
    ch = hash_bytes(canonical);
    const uint32_t s = m.index.find(canonical, ch, m.keys);
    if (s != ShardIndex::kNotFound) {
      m.aliases.insert(key, h, s);
      return s;
    }
  }

  // The cardinality limit. A shard asks the shared Admission only for label sets new to it,
  // and once it has seen the Admission full it reads the (then frozen) admitted set without
  // the mutex: a label set past the limit costs a hash lookup per record, no lock, no
  // allocation. Its key is not stored, so memory stays bounded whatever the input.
  if (m.admission != nullptr) {
    Admission& a = *m.admission;
    if (m.admission_full) {
      if (a.admitted.find(canonical, ch) == SeriesIndex::kNotFound) return overflow(m);
    } else {
      std::lock_guard<std::mutex> lock(a.mu);
      if (a.admitted.find(canonical, ch) == SeriesIndex::kNotFound) {
        if (a.count >= a.limit) {
          m.admission_full = true;
          return overflow(m);
        }
        a.admitted.insert(canonical, ch, 0);
        ++a.count;
      }
    }
  }

  const uint32_t s = create_series(m, canonical);
  m.index.insert(ch, s);
  if (repaired) m.aliases.insert(key, h, s);
  return s;
}

uint32_t MetricShard::create_series(MetricData& m, std::string_view canonical) {
  const auto s = static_cast<uint32_t>(m.keys.size());
  double initial = 0;
  if (m.spec->type == MetricType::kGauge) {
    if (m.spec->mode == GaugeMode::kMax) initial = -std::numeric_limits<double>::infinity();
    if (m.spec->mode == GaugeMode::kMin) initial = std::numeric_limits<double>::infinity();
  }
  m.values.push_back(initial);
  if (m.spec->type == MetricType::kGauge) m.stamps.push_back(0);
  if (m.spec->type == MetricType::kHistogram)
    m.buckets.resize(m.buckets.size() + m.spec->buckets.size() + 1, 0);
  if (m.spec->expire_after_ms > 0) m.touched.push_back(now_ms_);
  if (m.exemplar_slots > 0) m.exemplars.resize(m.exemplars.size() + m.exemplar_slots);
  if (m.spec->type == MetricType::kHistogram && native_opt_ != nullptr) {
    NativeSeries ns;
    ns.schema = native_opt_->schema;
    m.native.push_back(ns);
    m.native_counts.resize(m.native_counts.size() + 2 * size_t{native_opt_->max_buckets}, 0);
  }
  m.keys.push_back(m.arena.add(canonical));
  return s;
}

uint32_t MetricShard::overflow(MetricData& m) {
  ++m.overflow_records;
  if (m.overflow_series == SeriesIndex::kNotFound) {
    // Created once per shard; never entered in the index (its key is not a real label set).
    LabelKey k;
    for (size_t i = 0; i < m.spec->label_names.size(); ++i) k.add(kOverflowLabel);
    m.overflow_series = create_series(m, k.view());
  }
  return m.overflow_series;
}

void MetricShard::gauge_update(uint32_t metric, uint32_t series, double v,
                               uint64_t stamp) noexcept {
  touch(metric, series);
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

size_t MetricShard::histogram_observe(uint32_t metric, uint32_t series, double v) noexcept {
  touch(metric, series);
  MetricData& m = metrics_[metric];
  const std::vector<double>& bounds = m.spec->buckets;
  // First bucket whose upper bound is >= v (Prometheus `le` semantics); +Inf if none.
  const size_t b =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  m.buckets[series * (bounds.size() + 1) + b] += 1;
  m.values[series] += v;
  if (native_opt_ != nullptr) {
    native_observe(*native_opt_, *native_table_, m.native[series],
                   m.native_counts.data() + size_t{series} * 2 * native_opt_->max_buckets,
                   native_scratch_.data(), v);
  }
  return b;
}

void MetricShard::enable_native(const NativeHistogramOptions* opt, const NativeBoundsTable* table) {
  native_opt_ = opt;
  native_table_ = table;
  native_scratch_.assign(opt->max_buckets, 0);
  // Series that exist already (predeclared `initial` ones) get their native buckets too.
  for (MetricData& m : metrics_) {
    if (m.spec->type != MetricType::kHistogram) continue;
    NativeSeries ns;
    ns.schema = opt->schema;
    m.native.resize(m.keys.size(), ns);
    m.native_counts.resize(m.keys.size() * 2 * size_t{opt->max_buckets}, 0);
  }
}

// ---- MetricStore -------------------------------------------------------------------------

MetricStore::MetricStore(std::vector<MetricSpec> specs, std::vector<std::string> source_names,
                         std::vector<std::string> pipeline_names, size_t shards)
    : specs_(std::make_shared<std::vector<MetricSpec>>(std::move(specs))),
      source_names_(std::move(source_names)),
      pipeline_names_(std::move(pipeline_names)),
      created_unix_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()) {
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(
        std::make_unique<MetricShard>(*specs_, source_names_.size(), pipeline_names_.size()));
  }
  admissions_.resize(specs_->size());
  metric_created_.assign(specs_->size(), created_unix_ms_);
  for (size_t mi = 0; mi < specs_->size(); ++mi) {
    if ((*specs_)[mi].max_series == 0) continue;
    admissions_[mi] = std::make_unique<Admission>();
    admissions_[mi]->limit = (*specs_)[mi].max_series;
    for (auto& shard : shards_) shard->metrics_[mi].admission = admissions_[mi].get();
  }
  // Predeclared series exist at 0 in shard 0 from the start (admitted like any other).
  if (!shards_.empty()) {
    MetricShard& first = *shards_[0];
    for (size_t mi = 0; mi < specs_->size(); ++mi) {
      for (const std::vector<std::string>& values : (*specs_)[mi].initial) {
        LabelKey k;
        for (const std::string& v : values) k.add(v);
        first.series(static_cast<uint32_t>(mi), k.view());
      }
    }
  }
}

int64_t MetricStore::steady_now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

size_t MetricStore::expire(int64_t now_ms) const {
  std::shared_lock layout(layout_mu_);
  bool any = false;
  for (const MetricSpec& spec : *specs_) any = any || spec.expire_after_ms > 0;
  if (!any) return 0;

  // Every shard at once, in index order (the only place more than one shard lock is held, so
  // the order cannot deadlock): a series is removed from all shards together.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(shards_.size());
  for (const auto& shard : shards_) locks.emplace_back(shard->mu_);

  size_t removed = 0;
  for (size_t mi = 0; mi < specs_->size(); ++mi) {
    const MetricSpec& spec = (*specs_)[mi];
    if (spec.expire_after_ms <= 0) continue;
    const int64_t cutoff = now_ms - spec.expire_after_ms;
    // Latest update of each label set over all shards; predeclared sets never expire.
    std::unordered_map<std::string_view, int64_t> latest;
    for (const auto& shard : shards_) {
      const MetricShard::MetricData& m = shard->metrics_[mi];
      for (size_t s = 0; s < m.keys.size(); ++s) {
        if (s == m.overflow_series) continue;  // never expires
        auto [it, inserted] = latest.try_emplace(KeyArena::view(m.keys[s]), m.touched[s]);
        if (!inserted) it->second = std::max(it->second, m.touched[s]);
      }
    }
    std::unordered_map<std::string_view, int64_t> pinned;
    for (const std::vector<std::string>& values : spec.initial) {
      LabelKey k;
      for (const std::string& v : values) k.add(v);
      std::string key(k.view());
      for (const auto& [name, t] : latest) {
        if (name == key) pinned.emplace(name, t);
      }
    }
    auto stale = [&](std::string_view key) {
      return latest[key] < cutoff && pinned.find(key) == pinned.end();
    };
    size_t metric_removed = 0;
    for (const auto& [key, t] : latest) metric_removed += stale(key) ? 1 : 0;
    if (metric_removed == 0) continue;
    removed += metric_removed;

    // Rebuild each shard's data without the stale series, its keys in a new arena (`latest`
    // holds views into the old one, which lives until the shards take the rebuilt data; a
    // reader holding old chunks keeps them alive).
    std::vector<MetricShard::MetricData> rebuilt(shards_.size());
    for (size_t si = 0; si < shards_.size(); ++si) {
      const MetricShard::MetricData& m = shards_[si]->metrics_[mi];
      MetricShard::MetricData& out = rebuilt[si];
      out.spec = m.spec;
      out.admission = m.admission;
      out.overflow_records = m.overflow_records;
      out.exemplar_slots = m.exemplar_slots;
      std::copy(std::begin(m.exemplar_dropped), std::end(m.exemplar_dropped),
                std::begin(out.exemplar_dropped));
      const size_t nb = spec.buckets.size() + 1;
      for (size_t s = 0; s < m.keys.size(); ++s) {
        const bool is_overflow = s == m.overflow_series;
        const std::string_view key = KeyArena::view(m.keys[s]);
        if (!is_overflow && stale(key)) continue;
        const auto ns = static_cast<uint32_t>(out.keys.size());
        out.keys.push_back(out.arena.add(key));
        out.values.push_back(m.values[s]);
        if (!m.stamps.empty()) out.stamps.push_back(m.stamps[s]);
        if (spec.type == MetricType::kHistogram) {
          out.buckets.insert(out.buckets.end(), m.buckets.begin() + static_cast<long>(s * nb),
                             m.buckets.begin() + static_cast<long>((s + 1) * nb));
        }
        if (!m.native.empty()) {
          const size_t width = 2 * size_t{native_.max_buckets};
          out.native.push_back(m.native[s]);
          out.native_counts.insert(out.native_counts.end(),
                                   m.native_counts.begin() + static_cast<long>(s * width),
                                   m.native_counts.begin() + static_cast<long>((s + 1) * width));
        }
        out.touched.push_back(m.touched[s]);
        if (m.exemplar_slots > 0) {
          const auto from = m.exemplars.begin() + static_cast<long>(s * m.exemplar_slots);
          out.exemplars.insert(out.exemplars.end(), from,
                               from + static_cast<long>(m.exemplar_slots));
        }
        if (is_overflow) {
          out.overflow_series = ns;
        } else {
          out.index.insert(hash_bytes(key), ns);
        }
      }
    }
    // The admitted set: exactly the surviving label sets (rebuilt, so it is open again).
    if (admissions_[mi]) {
      Admission& a = *admissions_[mi];
      std::lock_guard<std::mutex> lock(a.mu);
      a.admitted = SeriesIndex();
      a.count = 0;
      for (const MetricShard::MetricData& m : rebuilt) {
        for (size_t s = 0; s < m.keys.size(); ++s) {
          if (s == m.overflow_series) continue;
          const std::string_view key = KeyArena::view(m.keys[s]);
          const uint64_t h = hash_bytes(key);
          if (a.admitted.find(key, h) == SeriesIndex::kNotFound) {
            a.admitted.insert(key, h, 0);
            ++a.count;
          }
        }
      }
    }
    latest.clear();
    pinned.clear();
    for (size_t si = 0; si < shards_.size(); ++si) {
      shards_[si]->metrics_[mi] = std::move(rebuilt[si]);
    }
  }
  return removed;
}

MetricStore::MetricStore(std::vector<MetricSpec> specs, std::vector<std::string> source_names,
                         std::vector<std::string> pipeline_names, size_t shards,
                         NativeHistogramOptions native)
    : MetricStore(std::move(specs), std::move(source_names), std::move(pipeline_names), shards) {
  native_ = native;
  if (!native_.enabled) return;
  native_table_ = std::make_unique<NativeBoundsTable>();
  for (auto& shard : shards_) shard->enable_native(&native_, native_table_.get());
}

Snapshot MetricStore::snapshot() const {
  // One merge (the same as a checkpoint's: all shards locked only for the copy of their
  // arrays), then decoding and sorting with no shard lock held.
  std::shared_lock layout(layout_mu_);
  StoreState state = merge(native_.enabled);
  Snapshot snap = decode(state, /*take=*/true, specs_, source_names_, pipeline_names_);
  layout.unlock();
  snap.self = self_metrics_->collect();
  return snap;
}

Snapshot MetricStore::decode(StoreState& state, bool take,
                             std::shared_ptr<const std::vector<MetricSpec>> specs,
                             const std::vector<std::string>& source_names,
                             const std::vector<std::string>& pipeline_names) const {
  Snapshot snap;
  snap.source_records = state.source_records;
  snap.source_bytes = state.source_bytes;
  snap.dropped = state.dropped;
  snap.filtered = state.filtered;
  snap.overflow = state.overflow;
  snap.exemplars_dropped = state.exemplars_dropped;
  snap.source_names = source_names;
  snap.pipeline_names = pipeline_names;
  snap.created_unix_ms = created_unix_ms_;
  snap.metrics.resize(specs->size());
  for (size_t mi = 0; mi < specs->size() && mi < state.metrics.size(); ++mi) {
    MetricSample& sample = snap.metrics[mi];
    sample.spec = &(*specs)[mi];
    sample.created_unix_ms = mi < state.created.size() ? state.created[mi] : created_unix_ms_;
    sample.series.reserve(state.metrics[mi].size());
    const bool native = mi < state.native.size() && !state.native[mi].empty();
    const size_t per = (*specs)[mi].exemplar_slots();
    const bool exemplars = per > 0 && mi < state.exemplars.size() &&
                           state.exemplars[mi].size() == per * state.metrics[mi].size();
    for (size_t i = 0; i < state.metrics[mi].size(); ++i) {
      StoreState::Series& in = state.metrics[mi][i];
      SeriesSample s;
      s.labels = LabelKey::decode(in.key);
      s.value = in.value;
      if (exemplars) {
        const auto from = state.exemplars[mi].begin() + static_cast<long>(i * per);
        s.exemplars.assign(from, from + static_cast<long>(per));
      }
      if (take) {
        s.buckets = std::move(in.buckets);
        if (native) s.native = std::move(state.native[mi][i]);
      } else {
        s.buckets = in.buckets;
        if (native) s.native = state.native[mi][i];
      }
      sample.series.push_back(std::move(s));
    }
    std::sort(sample.series.begin(), sample.series.end(),
              [](const SeriesSample& a, const SeriesSample& b) { return a.labels < b.labels; });
  }
  snap.specs = std::move(specs);
  return snap;
}

std::shared_ptr<ReadView> MetricStore::make_view(
    StoreState state, std::shared_ptr<const std::vector<MetricSpec>> specs,
    std::vector<std::string> source_names, std::vector<std::string> pipeline_names) const {
  auto view = std::make_shared<ReadView>();
  view->state = std::move(state);
  view->order.resize(view->state.metrics.size());
  for (size_t mi = 0; mi < view->state.metrics.size(); ++mi) {
    const std::vector<StoreState::Series>& series = view->state.metrics[mi];
    std::vector<uint32_t>& order = view->order[mi];
    order.resize(series.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    auto less = [&](uint32_t a, uint32_t b) { return key_less(series[a].key, series[b].key); };
    // A checkpoint's state comes sorted (sort_series()), and so does a restored one: checking
    // costs one pass, sorting 1M keys a good part of a second.
    if (!std::is_sorted(order.begin(), order.end(), less))
      std::sort(order.begin(), order.end(), less);
  }
  view->specs = std::move(specs);
  view->source_names = std::move(source_names);
  view->pipeline_names = std::move(pipeline_names);
  view->created_unix_ms = created_unix_ms_;
  return view;
}

std::shared_ptr<const ReadView> MetricStore::read_view() const {
  std::shared_ptr<const Published> published;
  {
    std::lock_guard lock(published_mu_);
    published = published_;
  }
  if (!published) {
    expire(steady_now_ms());
    std::shared_lock layout(layout_mu_);
    StoreState state = merge(native_.enabled);
    std::shared_ptr<ReadView> view =
        make_view(std::move(state), specs_, source_names_, pipeline_names_);
    layout.unlock();
    view->self = self_metrics_->collect();
    return view;
  }
  if (refresh_) {
    refresh_();
    std::lock_guard lock(published_mu_);
    published = published_;
  }
  return published;
}

Snapshot MetricStore::read() const {
  std::shared_ptr<const Published> published;
  {
    std::lock_guard lock(published_mu_);
    published = published_;
  }
  if (!published) {
    expire(steady_now_ms());
    return snapshot();
  }
  if (refresh_) {
    refresh_();
    std::lock_guard lock(published_mu_);
    published = published_;
  }
  Snapshot snap = decode(const_cast<StoreState&>(published->state), /*take=*/false,
                         published->specs, published->source_names, published->pipeline_names);
  snap.self = published->self;
  return snap;
}

void MetricStore::publish(StoreState state, std::vector<SelfMetrics::FamilySample> self) const {
  // Sorted here, once per checkpoint on the checkpointer's thread, not on every read.
  std::shared_ptr<const std::vector<MetricSpec>> specs;
  std::vector<std::string> source_names;
  std::vector<std::string> pipeline_names;
  {
    std::shared_lock layout(layout_mu_);
    specs = specs_;
    source_names = source_names_;
    pipeline_names = pipeline_names_;
  }
  std::shared_ptr<ReadView> published = make_view(
      std::move(state), std::move(specs), std::move(source_names), std::move(pipeline_names));
  published->self = std::move(self);
  std::lock_guard lock(published_mu_);
  published_ = std::move(published);
}

void MetricStore::unpublish() const {
  std::lock_guard lock(published_mu_);
  published_.reset();
}

namespace {

// Same identity: the saved series of one can be the series of the other (the checkpoint
// fingerprint's fields). Exemplar labels are not part of it (a reload keeps exemplars only
// when they are unchanged too).
bool same_identity(const MetricSpec& a, const MetricSpec& b) {
  return a.name == b.name && a.type == b.type && a.mode == b.mode &&
         a.label_names == b.label_names && a.buckets == b.buckets;
}

size_t index_of(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return names.size();
}

}  // namespace

void MetricStore::reconfigure(MetricStore&& next) {
  // Nothing counts now (no worker runs): this export is the whole state.
  const StoreState old = export_state();
  StoreState mapped;
  const std::vector<MetricSpec>& nspecs = *next.specs_;
  mapped.metrics.resize(nspecs.size());
  mapped.native.resize(nspecs.size());
  mapped.overflow.assign(nspecs.size(), 0);
  mapped.exemplars.resize(nspecs.size());
  mapped.exemplars_dropped.assign(nspecs.size() * kExemplarDropCount, 0);
  for (size_t j = 0; j < nspecs.size(); ++j) {
    for (size_t i = 0; i < specs_->size(); ++i) {
      if (!same_identity((*specs_)[i], nspecs[j])) continue;
      mapped.metrics[j] = old.metrics[i];  // Keys still point into old's arena.
      if (next.native_.enabled && i < old.native.size()) mapped.native[j] = old.native[i];
      mapped.overflow[j] = old.overflow[i];
      if ((*specs_)[i].exemplar_labels == nspecs[j].exemplar_labels) {
        if (i < old.exemplars.size()) mapped.exemplars[j] = old.exemplars[i];
        for (size_t r = 0;
             r < kExemplarDropCount && i * kExemplarDropCount + r < old.exemplars_dropped.size();
             ++r) {
          mapped.exemplars_dropped[j * kExemplarDropCount + r] =
              old.exemplars_dropped[i * kExemplarDropCount + r];
        }
      }
      next.metric_created_[j] = metric_created_[i];  // New metrics keep next's: now.
      break;
    }
  }
  mapped.source_records.assign(next.source_names_.size(), 0);
  mapped.source_bytes.assign(next.source_names_.size(), 0);
  for (size_t j = 0; j < next.source_names_.size(); ++j) {
    const size_t i = index_of(source_names_, next.source_names_[j]);
    if (i == source_names_.size()) continue;
    mapped.source_records[j] = old.source_records[i];
    mapped.source_bytes[j] = old.source_bytes[i];
  }
  mapped.dropped.assign(next.pipeline_names_.size() * kDropReasonCount, 0);
  mapped.filtered.assign(next.pipeline_names_.size(), 0);
  for (size_t j = 0; j < next.pipeline_names_.size(); ++j) {
    const size_t i = index_of(pipeline_names_, next.pipeline_names_[j]);
    if (i == pipeline_names_.size()) continue;
    mapped.filtered[j] = old.filtered[i];
    for (size_t r = 0; r < kDropReasonCount; ++r) {
      mapped.dropped[j * kDropReasonCount + r] = old.dropped[i * kDropReasonCount + r];
    }
  }
  next.import_state(mapped);
  // The status page's counted records continue by pipeline name (its recent drops restart).
  for (size_t j = 0; j < next.pipeline_names_.size(); ++j) {
    const size_t i = index_of(pipeline_names_, next.pipeline_names_[j]);
    if (i == pipeline_names_.size()) continue;
    for (const auto& shard : shards_) next.shards_[0]->counted_[j] += shard->counted_[i];
  }

  std::unique_lock layout(layout_mu_);
  std::swap(specs_, next.specs_);
  std::swap(metric_created_, next.metric_created_);
  std::swap(source_names_, next.source_names_);
  std::swap(pipeline_names_, next.pipeline_names_);
  std::swap(shards_, next.shards_);
  std::swap(admissions_, next.admissions_);
  std::swap(native_, next.native_);
  std::swap(native_table_, next.native_table_);
  // The shards pointed at next's options; the table moved with its unique_ptr.
  for (auto& shard : shards_) {
    if (shard->native_opt_ != nullptr) shard->native_opt_ = &native_;
  }
}

}  // namespace logtally::core
