// MetricStore: counters, gauges and histograms keyed by label tuples, sharded per worker.
//
// Contract:
// - Each worker owns one MetricShard and updates it with the shard's mutex held, taken once
//   per batch (never per record). Inside a batch, updates touch no lock, atomic or allocator
//   unless a new series (or a longer key than any before) appears.
// - snapshot() may run on any thread (a scrape, a push, --once at exit). It takes each shard's
//   mutex in turn, copies its series out, and merges them: counters and histograms add, gauges
//   merge by their mode (`set` keeps the latest update in input order, `add` sums, `max`/`min`).
// - Label values are stored as valid UTF-8: a key with invalid bytes is repaired (U+FFFD) when
//   its series is created, and the raw key is kept as an alias of the repaired one, so two raw
//   keys that repair to the same text are one series.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/self_metrics.h"

namespace logtally::core {

enum class MetricType : uint8_t {
  kCounter,    ///< Monotonic sum; values below zero are rejected.
  kGauge,      ///< Current value, combined per GaugeMode.
  kHistogram,  ///< Classic cumulative buckets plus _sum and _count.
};

enum class GaugeMode : uint8_t {
  kSet,  ///< The latest value in input order wins.
  kAdd,  ///< Values are added (may go down with negative values).
  kMax,  ///< The largest value seen.
  kMin,  ///< The smallest value seen.
};

std::string_view metric_type_name(MetricType t) noexcept;
std::string_view gauge_mode_name(GaugeMode m) noexcept;

/// A metric as compiled from the config. Immutable once the store exists.
struct MetricSpec {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  GaugeMode mode = GaugeMode::kSet;
  std::vector<std::string> label_names;
  std::vector<double> buckets;  ///< Histogram upper bounds, strictly increasing, no +Inf.
};

/// Why a record, or one metric's use of a record, was not counted. Indexes self-metric arrays.
enum class DropReason : uint8_t {
  kInvalidJson,    ///< The record is not valid JSON (or holds an invalid string escape).
  kNotObject,      ///< Valid JSON, but not an object (a scalar or an array).
  kMissingValue,   ///< A metric's value field is absent or null.
  kNotANumber,     ///< A metric's value field is not a finite number or numeric string.
  kNegativeValue,  ///< A counter's value is below zero.
  kTooLong,        ///< The line exceeded max_record_bytes; it was skipped without buffering.
  kEmpty,          ///< The line was empty.
  kBadEnvelope,    ///< The line is not in its source's container envelope format (cri/docker).
  kCount,          ///< Number of reasons (not a reason).
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);
std::string_view drop_reason_name(DropReason r) noexcept;

/// Builds the encoded label tuple of one record in a reused buffer: each value is a 4-byte
/// length followed by its bytes, so any byte (NUL included) may appear in a value.
class LabelKey {
 public:
  LabelKey() : buf_(new char[256]), cap_(256) {}

  void clear() noexcept { size_ = 0; }
  void add(std::string_view value) {
    char* p = reserve(4 + value.size());
    const auto len = static_cast<uint32_t>(value.size());
    std::memcpy(p, &len, 4);
    std::memcpy(p + 4, value.data(), value.size());
  }
  /// Adds `value` with ASCII letters lower-cased.
  void add_lowercase(std::string_view value);
  std::string_view view() const noexcept { return {buf_.get(), size_}; }

  /// Splits an encoded key back into its values.
  static std::vector<std::string> decode(std::string_view key);

 private:
  // Returns room for `n` more bytes and counts them as used. Grows (rarely: only for a key
  // longer than any before) out of line, so the common path is two compares and a memcpy.
  char* reserve(size_t n) {
    if (size_ + n > cap_) grow(size_ + n);
    char* p = buf_.get() + size_;
    size_ += n;
    return p;
  }
  void grow(size_t need);

  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_;
};

/// Open-addressing map from encoded key to series index. Several keys may map to one series.
class SeriesIndex {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;
  uint32_t find(std::string_view key, uint64_t hash) const noexcept;
  void insert(std::string_view key, uint64_t hash, uint32_t series);
  size_t key_count() const noexcept { return keys_.size(); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t entry_plus_one = 0;  ///< 0 marks an empty slot.
  };
  void grow();
  std::vector<Slot> slots_;
  std::vector<std::string> keys_;
  std::vector<uint32_t> series_;
};

inline uint32_t SeriesIndex::find(std::string_view key, uint64_t hash) const noexcept {
  if (slots_.empty()) return kNotFound;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.entry_plus_one == 0) return kNotFound;
    if (s.hash == hash && keys_[s.entry_plus_one - 1] == key) return series_[s.entry_plus_one - 1];
  }
}

class MetricShard {
 public:
  MetricShard(const std::vector<MetricSpec>& specs, size_t sources, size_t pipelines);

  std::mutex& mutex() noexcept { return mu_; }

  /// The series for `key` in `metric`, created if new.
  uint32_t series(uint32_t metric, std::string_view key) {
    MetricData& m = metrics_[metric];
    const uint64_t h = hash_bytes(key);
    const uint32_t s = m.index.find(key, h);
    return s != SeriesIndex::kNotFound ? s : add_series(m, key, h);
  }
  void counter_add(uint32_t metric, uint32_t series, double v) noexcept {
    metrics_[metric].values[series] += v;
  }
  void gauge_update(uint32_t metric, uint32_t series, double v, uint64_t stamp) noexcept;
  void histogram_observe(uint32_t metric, uint32_t series, double v) noexcept;

  void count_source(uint32_t source, uint64_t records, uint64_t bytes) noexcept {
    source_records_[source] += records;
    source_bytes_[source] += bytes;
  }
  void count_dropped(uint32_t pipeline, DropReason r, uint64_t n = 1) noexcept {
    dropped_[pipeline * kDropReasonCount + static_cast<size_t>(r)] += n;
  }

 private:
  friend class MetricStore;
  struct MetricData;
  uint32_t add_series(MetricData& m, std::string_view key, uint64_t hash);
  struct MetricData {
    const MetricSpec* spec = nullptr;
    SeriesIndex index;
    std::vector<std::string> keys;  ///< Canonical (valid UTF-8) key per series.
    std::vector<double> values;     ///< Counter/gauge value; histogram sum.
    std::vector<uint64_t> stamps;   ///< Gauge `set`: order of the latest update.
    std::vector<uint64_t> buckets;  ///< Histogram: buckets.size()+1 counts per series.
  };
  std::mutex mu_;
  std::vector<MetricData> metrics_;
  std::vector<uint64_t> source_records_;
  std::vector<uint64_t> source_bytes_;
  std::vector<uint64_t> dropped_;
};

/// One series in a merged snapshot.
struct SeriesSample {
  std::vector<std::string> labels;  ///< Values in the order of MetricSpec::label_names.
  double value = 0;                 ///< Counter/gauge value; histogram sum.
  std::vector<uint64_t> buckets;    ///< Histogram: per-bucket (not cumulative) counts, +Inf last.
};

struct MetricSample {
  const MetricSpec* spec = nullptr;
  std::vector<SeriesSample> series;  ///< Sorted by label values.
};

struct Snapshot {
  std::vector<MetricSample> metrics;
  std::vector<uint64_t> source_records;
  std::vector<uint64_t> source_bytes;
  std::vector<uint64_t> dropped;  ///< [pipeline * kDropReasonCount + reason]
};

/// Every series' value, merged over shards, with its encoded label key (LabelKey format): what
/// a checkpoint saves and restores (checkpoint/checkpoint_file.h). Gauge `set` order stamps are
/// not kept: after a restore, any new update is later than the restored value.
struct StoreState {
  struct Series {
    std::string_view key;           ///< Encoded label tuple (LabelKey::view()), in key_arena.
    double value = 0;               ///< Counter/gauge value; histogram sum.
    std::vector<uint64_t> buckets;  ///< Histogram: per-bucket counts, +Inf last.
  };
  std::vector<std::vector<Series>> metrics;  ///< [metric index in specs()]
  /// Holds every Series::key: one allocation instead of one per series (the export runs
  /// inside the checkpoint barrier). Reserved up front and never grown once a key points
  /// into it; a copy of a StoreState still points into the original's arena.
  std::string key_arena;
  std::vector<uint64_t> source_records;
  std::vector<uint64_t> source_bytes;
  std::vector<uint64_t> dropped;  ///< [pipeline * kDropReasonCount + reason]
};

class MetricStore {
 public:
  MetricStore(std::vector<MetricSpec> specs, std::vector<std::string> source_names,
              std::vector<std::string> pipeline_names, size_t shards);

  MetricShard& shard(size_t i) noexcept { return *shards_[i]; }
  size_t shard_count() const noexcept { return shards_.size(); }
  const std::vector<MetricSpec>& specs() const noexcept { return specs_; }
  const std::vector<std::string>& source_names() const noexcept { return source_names_; }
  const std::vector<std::string>& pipeline_names() const noexcept { return pipeline_names_; }

  /// Merges every shard; safe to call from any thread at any time.
  Snapshot snapshot() const;

  /// Merges every shard into a StoreState (no decoding, no sorting). Holds every shard's mutex
  /// for the whole export, so it is one consistent cut of the store; a checkpoint also stops
  /// the sources first (the barrier) so the cut matches their positions.
  StoreState export_state() const;
  /// Adds `state` into shard 0 (counters and histograms continue, gauges take the saved value).
  /// Metric and source/pipeline indices must match this store's; call before workers start.
  /// In metric_store_state.cpp.
  void import_state(const StoreState& state);

  /// logtally's own non-per-record metrics (sources and sinks register theirs here); exposed
  /// after the store's self-metrics. Mutable through a const store: it is a thread-safe
  /// registry, not part of the counted state.
  SelfMetrics& self_metrics() const noexcept { return *self_metrics_; }

 private:
  std::vector<MetricSpec> specs_;
  std::vector<std::string> source_names_;
  std::vector<std::string> pipeline_names_;
  std::vector<std::unique_ptr<MetricShard>> shards_;
  std::unique_ptr<SelfMetrics> self_metrics_ = std::make_unique<SelfMetrics>();
};

}  // namespace logtally::core
