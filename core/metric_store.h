// MetricStore: counters, gauges and histograms keyed by label tuples, sharded per worker.
//
// Contract:
// - Each worker owns one MetricShard and updates it with the shard's mutex held, taken once
//   per batch (never per record). Inside a batch, updates touch no lock, atomic or allocator
//   unless a new series (or a longer key than any before) appears.
// - snapshot() and export_state() may run on any thread (a scrape, a push, a checkpoint, --once
//   at exit). Both are one merge: it takes every shard's mutex (in index order) for the copy of
//   their series, merging them as it goes: counters and histograms add, gauges merge by their
//   mode (`set` keeps the latest update in input order, `add` sums, `max`/`min`). snapshot()
//   decodes and sorts the merged series after the locks are released. Neither removes anything.
// - expire(now) is its own step: read() runs it before a live merge, and with checkpoints the
//   checkpointer runs it before each barrier (readers then see the published state).
// - Label values are stored as valid UTF-8: a key with invalid bytes is repaired (U+FFFD) when
//   its series is created, and the raw key is kept as an alias of the repaired one, so two raw
//   keys that repair to the same text are one series.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/native_histogram.h"
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

/// Folds one shard's gauge value `v` (updated at input order `stamp`) into a merged one, by the
/// gauge's mode: `set` keeps the later update, `add` sums, `max`/`min` keep the extreme. Used by
/// snapshot() and export_state() alike.
inline void merge_gauge(GaugeMode mode, double v, uint64_t stamp, double& value,
                        uint64_t& value_stamp) noexcept {
  switch (mode) {
    case GaugeMode::kSet:
      if (stamp >= value_stamp) {
        value = v;
        value_stamp = stamp;
      }
      break;
    case GaugeMode::kAdd:
      value += v;
      break;
    case GaugeMode::kMax:
      value = v > value ? v : value;
      break;
    case GaugeMode::kMin:
      value = v < value ? v : value;
      break;
  }
}
std::string_view gauge_mode_name(GaugeMode m) noexcept;

/// A metric as compiled from the config. Immutable once the store exists.
struct MetricSpec {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  GaugeMode mode = GaugeMode::kSet;
  std::vector<std::string> label_names;
  std::vector<double> buckets;  ///< Histogram upper bounds, strictly increasing, no +Inf.
  /// Most series the merged metric may hold (0 = no limit). Past it, new label sets update one
  /// overflow series whose every label is `__overflow__`, counted in
  /// logtally_series_overflow_total{metric}.
  size_t max_series = 0;
  /// A series not updated for this long is removed by the next expire() (0 = never).
  int64_t expire_after_ms = 0;
  /// Label value tuples (in label_names order) whose series exist at 0 from the start; they
  /// count against max_series and never expire.
  std::vector<std::vector<std::string>> initial;
  /// Counters and histograms: the names of the exemplar's labels (`exemplar:`); empty: the
  /// metric keeps no exemplars.
  std::vector<std::string> exemplar_labels;
  /// Exemplar slots per series: one for a counter, one per bucket (+Inf included) for a
  /// histogram; 0 without `exemplar:`.
  size_t exemplar_slots() const noexcept {
    if (exemplar_labels.empty() || type == MetricType::kGauge) return 0;
    return type == MetricType::kHistogram ? buckets.size() + 1 : 1;
  }
};

/// OpenMetrics' limit on an exemplar's label set: names and values together, in UTF-8
/// characters (code points).
inline constexpr size_t kExemplarMaxChars = 128;

/// The exemplar of one series (a counter) or one bucket (a histogram): the labels, value and
/// time of the latest record that updated it. A fixed-size slot, written in place by the worker
/// owning the shard, so keeping one allocates nothing. The label values are kept in `data`; the
/// names are the metric's (MetricSpec::exemplar_labels).
struct Exemplar {
  /// Bytes of label values (each with a one-byte length). A label set within OpenMetrics' 128
  /// characters always fits when its values are ASCII (each name, at least one character,
  /// leaves room for its value's length byte).
  static constexpr size_t kCapacity = 128;
  double value = 0;     ///< The observed value (a counter: its increment), after scale.
  int64_t unix_ms = 0;  ///< Event time when the pipeline has `timestamp:`, else the time read.
  uint8_t size = 0;     ///< Bytes of `data` in use.
  bool set = false;     ///< False: no record with an exemplar updated the slot yet.
  char data[kCapacity] = {};  ///< Each label value as [u8 length][bytes], in label name order.

  /// Calls f(index, value) for each label value, in MetricSpec::exemplar_labels order (an
  /// absent field's value is empty).
  template <typename F>
  void for_each_value(F&& f) const {
    size_t i = 0;
    for (size_t at = 0; at < size;) {
      const auto len = static_cast<unsigned char>(data[at]);
      f(i++, std::string_view(data + at + 1, len));
      at += 1 + size_t{len};
    }
  }
};

/// Why an exemplar was not kept; indexes logtally_exemplars_dropped_total{metric, reason}.
enum class ExemplarDrop : uint8_t {
  kTooLong,      ///< Names and values exceed 128 characters (or the slot's 128 bytes).
  kInvalidUtf8,  ///< A value is not valid UTF-8.
  kCount,        ///< Number of reasons (not a reason).
};
inline constexpr size_t kExemplarDropCount = static_cast<size_t>(ExemplarDrop::kCount);
std::string_view exemplar_drop_name(ExemplarDrop r) noexcept;

/// The label value every label of a metric's overflow series has.
inline constexpr std::string_view kOverflowLabel = "__overflow__";

/// Why a record, or one metric's use of a record, was not counted. Indexes self-metric arrays.
enum class DropReason : uint8_t {
  kInvalidJson,    ///< The record is not valid JSON (or holds an invalid string escape).
  kNotObject,      ///< Valid JSON, but not an object (a scalar or an array).
  kMissingValue,   ///< A metric's value field is absent or null.
  kNotANumber,     ///< A metric's value field is not a finite number or numeric string.
  kNegativeValue,  ///< A counter's value is below zero.
  kTooLong,        ///< The line exceeded max_record_bytes; it was skipped without buffering.
  kEmpty,          ///< The line was empty.
  kNoMatch,        ///< Regex parser: the record matched none of the patterns.
  kBadEnvelope,    ///< The line is not in its source's container envelope format (cri/docker).
  kBadTimestamp,   ///< The pipeline's `timestamp` field is absent or not a time in its format.
  kCount,          ///< Number of reasons (not a reason).
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);
std::string_view drop_reason_name(DropReason r) noexcept;
/// Whether logtally_records_dropped_total{pipeline, reason} is exposed at `value`: every reason
/// always, except `bad_timestamp`, which only pipelines with a `timestamp:` can have and which
/// therefore appears once a record was dropped for it.
inline bool drop_series_shown(DropReason r, uint64_t value) noexcept {
  return r != DropReason::kBadTimestamp || value > 0;
}

/// The status page's recent drops (docs/status-page.md): each shard keeps the last
/// kDropSamples records dropped per pipeline and reason, each cut to kDropSampleBytes.
inline constexpr size_t kDropSamples = 5;
inline constexpr size_t kDropSampleBytes = 512;
/// DropSample::metric of a drop that is the whole record's (not one metric's).
inline constexpr uint32_t kNoMetric = UINT32_MAX;

/// One recently dropped record, as MetricStore::status_counts() returns it.
struct DropSample {
  std::string record;  ///< Its first bytes (at most kDropSampleBytes, cut at a UTF-8 boundary).
  size_t length = 0;   ///< Its whole length in bytes (> record.size(): it was cut).
  uint32_t metric = kNoMetric;  ///< The metric that could not use it (missing_value, ...).
  uint64_t order = 0;           ///< Input order: batch sequence << 32 | record index.
};

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

/// Append-only storage of a shard's encoded keys, each as [u32 length][bytes], in chunks that
/// never move or shrink: a key stays where it was written for as long as anyone holds its chunk.
/// A merge copies the chunk list (shared_ptr) under the shard's lock and then reads keys with
/// no lock held while the worker appends further keys after them (other bytes, never these).
/// Chunks grow from 1 KiB to 1 MiB, so a small store stays small.
class KeyArena {
 public:
  using Chunk = std::shared_ptr<char[]>;
  /// Copies `key` in; returns its record (read it with view()).
  const char* add(std::string_view key);
  static std::string_view view(const char* record) noexcept {
    uint32_t n;
    std::memcpy(&n, record, 4);
    return {record + 4, n};
  }
  const std::vector<Chunk>& chunks() const noexcept { return chunks_; }

 private:
  std::vector<Chunk> chunks_;
  size_t used_ = 0;  ///< In chunks_.back().
  size_t cap_ = 0;   ///< Of chunks_.back().
};

/// A shard's open-addressing map from key hash to series index; the keys themselves are the
/// series' records in the shard's KeyArena (one copy of each key per shard, no std::string).
/// 8 bytes a slot, load factor at most 1/2.
class ShardIndex {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;
  /// The series whose key (`keys[series]`, a KeyArena record) equals `key`.
  uint32_t find(std::string_view key, uint64_t hash,
                const std::vector<const char*>& keys) const noexcept {
    if (slots_.empty()) return kNotFound;
    const size_t mask = slots_.size() - 1;
    const auto h = static_cast<uint32_t>(hash);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.series_plus_one == 0) return kNotFound;
      if (s.hash == h && KeyArena::view(keys[s.series_plus_one - 1]) == key)
        return s.series_plus_one - 1;
    }
  }
  void insert(uint64_t hash, uint32_t series);
  /// Makes room for `n` entries without growing again.
  void reserve(size_t n) {
    while (n * 2 > slots_.size()) grow();
  }
  size_t size() const noexcept { return count_; }

 private:
  struct Slot {
    uint32_t hash = 0;             ///< Low 32 bits of the key's hash_bytes().
    uint32_t series_plus_one = 0;  ///< 0 marks an empty slot.
  };
  void grow();
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

/// Which label sets of one metric hold a series, across all shards: the cardinality limit.
/// Touched only when a shard sees a label set that is new TO THAT SHARD; never per record.
struct Admission {
  std::mutex mu;
  SeriesIndex admitted;  ///< Canonical keys admitted (value unused).
  size_t count = 0;
  size_t limit = 0;
  /// Once count == limit, `admitted` is frozen (no insert happens until an expiry sweep, which
  /// runs with every shard locked), so a shard that saw it full reads it without the mutex.
};

class MetricShard {
 public:
  MetricShard(const std::vector<MetricSpec>& specs, size_t sources, size_t pipelines);

  std::mutex& mutex() noexcept { return mu_; }

  /// The series for `key` in `metric`, created if new.
  uint32_t series(uint32_t metric, std::string_view key) {
    MetricData& m = metrics_[metric];
    const uint64_t h = hash_bytes(key);
    uint32_t s = m.index.find(key, h, m.keys);
    // Raw keys with invalid UTF-8 are aliases of their repaired series (rare: a second map).
    if (s == ShardIndex::kNotFound && m.aliases.key_count() != 0) s = m.aliases.find(key, h);
    return s != ShardIndex::kNotFound ? s : add_series(m, key, h);
  }
  void counter_add(uint32_t metric, uint32_t series, double v) noexcept {
    metrics_[metric].values[series] += v;
    touch(metric, series);
  }
  void gauge_update(uint32_t metric, uint32_t series, double v, uint64_t stamp) noexcept;
  /// Returns the bucket `v` fell in (spec buckets.size() for +Inf).
  size_t histogram_observe(uint32_t metric, uint32_t series, double v) noexcept;
  /// The exemplar slot of `series` (a counter; `bucket` 0) or of its bucket `bucket` (a
  /// histogram); the metric must keep exemplars (MetricSpec::exemplar_slots() > 0).
  Exemplar& exemplar(uint32_t metric, uint32_t series, size_t bucket) noexcept {
    MetricData& m = metrics_[metric];
    return m.exemplars[series * m.exemplar_slots + bucket];
  }
  /// Counts an exemplar of `metric` not kept (logtally_exemplars_dropped_total).
  void count_exemplar_dropped(uint32_t metric, ExemplarDrop r) noexcept {
    ++metrics_[metric].exemplar_dropped[static_cast<size_t>(r)];
  }

  void count_source(uint32_t source, uint64_t records, uint64_t bytes) noexcept {
    source_records_[source] += records;
    source_bytes_[source] += bytes;
  }
  void count_dropped(uint32_t pipeline, DropReason r, uint64_t n = 1) noexcept {
    dropped_[pipeline * kDropReasonCount + static_cast<size_t>(r)] += n;
  }
  /// Records a pipeline's filter removed (not errors; logtally_records_filtered_total).
  void count_filtered(uint32_t pipeline, uint64_t n) noexcept { filtered_[pipeline] += n; }
  /// Records that reached a pipeline's metric rules (parsed, not filtered, with a valid
  /// timestamp): the status page's "counted". Not a self-metric and not checkpointed.
  void count_counted(uint32_t pipeline, uint64_t n) noexcept { counted_[pipeline] += n; }
  /// Keeps `record` as the newest drop of `pipeline` for `r` in this shard's ring of the last
  /// kDropSamples, overwriting the oldest. Called by the worker with the shard locked (the
  /// batch's lock): no other lock, no atomic, no allocation, one copy of at most
  /// kDropSampleBytes. Only dropped records pay it; counted ones never do.
  void sample_drop(uint32_t pipeline, DropReason r, std::string_view record, uint64_t order,
                   uint32_t metric = kNoMetric) noexcept;
  /// The time (ms, steady clock) stamped on series updated from now on; set once per batch.
  void set_now(int64_t now_ms) noexcept { now_ms_ = now_ms; }
  /// Marks `series` as updated now, for expiry (a plain store; no-op without expire_after).
  /// Every update (counter_add, gauge_update, histogram_observe) does it.
  void touch(uint32_t metric, uint32_t series) noexcept {
    MetricData& m = metrics_[metric];
    if (!m.touched.empty()) m.touched[series] = now_ms_;
  }

  /// Histograms also record native buckets from now on (before any series exists; the store
  /// calls it from its constructor). `opt` and `table` outlive the shard.
  void enable_native(const NativeHistogramOptions* opt, const NativeBoundsTable* table);

 private:
  friend class MetricStore;
  struct MetricData;
  uint32_t add_series(MetricData& m, std::string_view key, uint64_t hash);
  struct MetricData {
    const MetricSpec* spec = nullptr;
    KeyArena arena;                    ///< Every series' canonical key, once.
    std::vector<const char*> keys;     ///< Per series: its canonical (valid UTF-8) key in `arena`.
    ShardIndex index;                  ///< Canonical key -> series.
    SeriesIndex aliases;               ///< Raw keys with invalid UTF-8 -> their repaired series.
    std::vector<double> values;        ///< Counter/gauge value; histogram sum.
    std::vector<uint64_t> stamps;      ///< Gauge `set`: order of the latest update.
    std::vector<uint64_t> buckets;     ///< Histogram: buckets.size()+1 counts per series.
    std::vector<NativeSeries> native;  ///< Histogram with native buckets: per series.
    std::vector<uint64_t> native_counts;  ///< 2 * max_buckets per series (see NativeSeries).
    // Cardinality limit and expiry (see MetricSpec::max_series, expire_after_ms).
    Admission* admission = nullptr;  ///< Null when the metric has no limit.
    bool admission_full = false;     ///< This shard saw the admission full.
    uint32_t overflow_series = SeriesIndex::kNotFound;
    uint64_t overflow_records = 0;    ///< Updates routed to the overflow series.
    std::vector<int64_t> touched;     ///< Per series: last update (ms); expiry only.
    size_t exemplar_slots = 0;        ///< spec->exemplar_slots().
    std::vector<Exemplar> exemplars;  ///< exemplar_slots per series.
    uint64_t exemplar_dropped[kExemplarDropCount] = {};
  };
  uint32_t create_series(MetricData& m, std::string_view canonical);
  uint32_t overflow(MetricData& m);
  const NativeHistogramOptions* native_opt_ = nullptr;
  const NativeBoundsTable* native_table_ = nullptr;
  std::vector<uint64_t> native_scratch_;
  std::mutex mu_;
  int64_t now_ms_ = 0;
  std::vector<uint64_t> filtered_;
  std::vector<MetricData> metrics_;
  std::vector<uint64_t> source_records_;
  std::vector<uint64_t> source_bytes_;
  std::vector<uint64_t> dropped_;
  std::vector<uint64_t> counted_;  ///< [pipeline]
  // The recent drops: ring r = pipeline * kDropReasonCount + reason holds kDropSamples slots.
  // The text buffer is left uninitialised, so its pages cost memory only once drops happen.
  struct DropSlot {
    uint64_t order = 0;
    uint32_t length = 0;  ///< The record's whole length (saturated).
    uint32_t metric = kNoMetric;
    uint16_t kept = 0;  ///< Bytes of it in the text buffer.
    bool used = false;
  };
  std::vector<DropSlot> drop_slots_;   ///< [ring * kDropSamples + slot]
  std::unique_ptr<char[]> drop_text_;  ///< kDropSampleBytes per slot.
  std::vector<uint8_t> drop_next_;     ///< [ring]: the slot the next drop overwrites.
};

/// One series in a merged snapshot.
struct SeriesSample {
  std::vector<std::string> labels;  ///< Values in the order of MetricSpec::label_names.
  double value = 0;                 ///< Counter/gauge value; histogram sum.
  std::vector<uint64_t> buckets;    ///< Histogram: per-bucket (not cumulative) counts, +Inf last.
  std::optional<NativeSample> native;  ///< Histogram, when the store records native buckets.
  /// MetricSpec::exemplar_slots() exemplars (a counter's one, a histogram's per bucket, +Inf
  /// last); empty when the metric keeps none.
  std::vector<Exemplar> exemplars;
};

struct MetricSample {
  const MetricSpec* spec = nullptr;
  /// Unix ms since which its series count (OpenMetrics `_created`): the store's start, or the
  /// reload that added the metric; 0: unknown.
  int64_t created_unix_ms = 0;
  std::vector<SeriesSample> series;  ///< Sorted by label values.
};

struct Snapshot {
  std::vector<MetricSample> metrics;
  /// What MetricSample::spec points into, kept alive with the snapshot (a hot reload may give
  /// the store other metrics while a reader still formats this one).
  std::shared_ptr<const std::vector<MetricSpec>> specs;
  std::vector<std::string> source_names;    ///< For source_records and source_bytes.
  std::vector<std::string> pipeline_names;  ///< For dropped and filtered.
  std::vector<uint64_t> source_records;
  std::vector<uint64_t> source_bytes;
  std::vector<uint64_t> dropped;   ///< [pipeline * kDropReasonCount + reason]
  std::vector<uint64_t> filtered;  ///< [pipeline]: records its filter removed.
  std::vector<uint64_t> overflow;  ///< [metric]: updates routed to its overflow series.
  /// [metric * kExemplarDropCount + reason]: exemplars not kept.
  std::vector<uint64_t> exemplars_dropped;
  /// logtally's own families (SelfMetrics::collect()): live values, or with checkpoints on the
  /// counters as the published checkpoint holds them (MetricStore::read()).
  std::vector<SelfMetrics::FamilySample> self;
  /// Unix milliseconds since which the counters count (OpenMetrics `_created`); 0: unknown.
  int64_t created_unix_ms = 0;
};

/// Every series' value, merged over shards, with its encoded label key (LabelKey format): what
/// a checkpoint saves and restores (checkpoint/checkpoint_file.h). Gauge `set` order stamps are
/// not kept: after a restore, any new update is later than the restored value.
struct StoreState {
  struct Series {
    std::string_view key;  ///< Encoded label tuple (LabelKey::view()), in key_arena or key_chunks.
    double value = 0;      ///< Counter/gauge value; histogram sum.
    std::vector<uint64_t> buckets;  ///< Histogram: per-bucket counts, +Inf last.
  };
  std::vector<std::vector<Series>> metrics;  ///< [metric index in specs()]
  /// [metric][series], beside `metrics`: native buckets of histogram series when the store
  /// records them (kept apart so the Series of stores without them stay small). Empty, or
  /// empty for a metric, when there are none.
  std::vector<std::vector<std::optional<NativeSample>>> native;
  /// [metric]: MetricSpec::exemplar_slots() exemplars per series, in the order of `metrics`
  /// (kept apart like `native`). Empty, or empty for a metric, when there are none: checkpoints
  /// do not save exemplars (a restored state has none).
  std::vector<std::vector<Exemplar>> exemplars;
  /// Holds every Series::key: one allocation instead of one per series (the export runs
  /// inside the checkpoint barrier). Reserved up front with reserve_keys() and never grown once
  /// a key points into it; a copy of a StoreState still points into the original's arena.
  std::string key_arena;

  /// Reserves room for `bytes` of keys, always on the heap: a string short enough for its
  /// inline buffer would move its bytes (and leave every key dangling) when the state moves,
  /// while a heap buffer moves with the string.
  void reserve_keys(size_t bytes) { key_arena.reserve(std::max(bytes, 2 * sizeof(std::string))); }
  /// Shard KeyArena chunks some Series::key point into (an export shares the shards' keys
  /// instead of copying them); copies of the state share them too.
  std::vector<KeyArena::Chunk> key_chunks;
  std::vector<uint64_t> source_records;
  std::vector<uint64_t> source_bytes;
  std::vector<uint64_t> dropped;   ///< [pipeline * kDropReasonCount + reason]
  std::vector<uint64_t> filtered;  ///< [pipeline]: records its filter removed.
  std::vector<uint64_t> overflow;  ///< [metric]: updates routed to its overflow series.
  /// [metric * kExemplarDropCount + reason]: exemplars not kept (not saved by checkpoints).
  std::vector<uint64_t> exemplars_dropped;
  /// [metric]: Unix ms since which it counts (MetricSample::created_unix_ms); may be empty
  /// (a version 3 checkpoint), then the store's own times stay.
  std::vector<int64_t> created;
};

/// What the status page reads (MetricStore::status_counts()): the live merged state and, beside
/// it, per pipeline the counted records and the recent drops, summed over shards.
struct StatusCounts {
  StoreState state;  ///< Live (never the published checkpoint); no native buckets.
  std::shared_ptr<const std::vector<MetricSpec>> specs;  ///< The metrics `state` is of.
  std::vector<std::string> source_names;
  std::vector<std::string> pipeline_names;
  std::vector<uint64_t> counted;  ///< [pipeline]: see MetricShard::count_counted().
  /// [pipeline * kDropReasonCount + reason]: newest first, at most kDropSamples.
  std::vector<std::vector<DropSample>> recent_drops;
};

/// What a reader gets from MetricStore::read_view(): a merged state and, per metric, its series
/// in label-value order, without decoding any key (a scrape writes straight from it). Immutable
/// and shared: a published one is built once per checkpoint and handed to every reader.
struct ReadView {
  StoreState state;
  std::vector<std::vector<uint32_t>> order;  ///< [metric]: indices into state.metrics[metric].
  std::shared_ptr<const std::vector<MetricSpec>> specs;  ///< The metrics `state` is of.
  std::vector<std::string> source_names;
  std::vector<std::string> pipeline_names;
  std::vector<SelfMetrics::FamilySample> self;  ///< As in Snapshot::self.
  int64_t created_unix_ms = 0;                  ///< As in Snapshot::created_unix_ms.
};

/// True if encoded key `a`'s label values come before `b`'s (value by value, bytes unsigned):
/// the order of Snapshot's series and of ReadView::order.
bool key_less(std::string_view a, std::string_view b) noexcept;

/// Puts each metric's series of `state` (and their native buckets) in key_less() order.
void sort_series(StoreState& state);

/// The shards' series copied under their locks by MetricStore::capture(): flat arrays only (key
/// records are shared, not copied), so the copy is short; merge_capture() does the rest with no
/// lock held. A capture may be reused: its buffers keep their capacity.
struct StoreCapture {
  struct Metric {
    std::vector<const char*> keys;  ///< KeyArena records, kept alive by `chunks`.
    std::vector<double> values;
    std::vector<uint64_t> stamps;
    std::vector<uint64_t> buckets;
    std::vector<NativeSeries> native;
    std::vector<uint64_t> native_counts;
    std::vector<Exemplar> exemplars;
    uint64_t overflow_records = 0;
    uint64_t exemplar_dropped[kExemplarDropCount] = {};
  };
  struct Shard {
    std::vector<Metric> metrics;
    std::vector<uint64_t> source_records;
    std::vector<uint64_t> source_bytes;
    std::vector<uint64_t> dropped;
    std::vector<uint64_t> filtered;
  };
  std::vector<Shard> shards;
  std::vector<KeyArena::Chunk> chunks;
  std::vector<int64_t> created;
  bool with_native = false;
};

class MetricStore {
 public:
  MetricStore(std::vector<MetricSpec> specs, std::vector<std::string> source_names,
              std::vector<std::string> pipeline_names, size_t shards);

  MetricShard& shard(size_t i) noexcept { return *shards_[i]; }
  size_t shard_count() const noexcept { return shards_.size(); }
  const std::vector<MetricSpec>& specs() const noexcept { return *specs_; }
  const std::vector<std::string>& source_names() const noexcept { return source_names_; }
  const std::vector<std::string>& pipeline_names() const noexcept { return pipeline_names_; }

  /// As above; histograms also record native (exponential) buckets when `native.enabled`.
  MetricStore(std::vector<MetricSpec> specs, std::vector<std::string> source_names,
              std::vector<std::string> pipeline_names, size_t shards,
              NativeHistogramOptions native);
  const NativeHistogramOptions& native_options() const noexcept { return native_; }

  /// Merges every shard (see merge()), then decodes and sorts the series with no lock held;
  /// safe to call from any thread at any time. Removes nothing: expiry is expire()'s.
  Snapshot snapshot() const;

  /// Removes series of metrics with expire_after_ms whose latest update in ANY shard is older
  /// than now_ms - expire_after_ms (so a series is removed from all shards at once, and a
  /// counter never loses the part of its value held by one shard). Locks every shard at once,
  /// in index order. Returns the number of series removed (merged count).
  size_t expire(int64_t now_ms) const;

  /// The live merged state (one merge, as export_state() without native buckets), the
  /// per-pipeline counted records and the recent drops, all of one store layout (a reload
  /// waits). Then locks each shard in turn for a copy of its counters and rings (a few KiB per
  /// pipeline at most). Any thread.
  StatusCounts status_counts() const;

  /// Milliseconds of the steady clock: the time base of set_now() and expire().
  static int64_t steady_now_ms() noexcept;
  /// Merges every shard into a StoreState (no decoding, no sorting; native buckets when the
  /// store records them): the
  /// checkpoint's export. Holds every shard's mutex for the whole merge, so it is one
  /// consistent cut of the store; a checkpoint also stops the sources first (the barrier) so
  /// the cut matches their positions. In metric_store_state.cpp.
  StoreState export_state() const;
  /// export_state() in two steps, so a checkpoint's barrier holds only the first: capture()
  /// copies every shard's arrays with every shard locked (one consistent cut; the key bytes are
  /// shared, not copied), merge_capture() merges them into a StoreState with no lock held.
  /// Both hold the layout lock shared (a reload waits). In metric_store_state.cpp.
  void capture(StoreCapture& out) const;
  /// Sizes (and faults in) `out`'s buffers for the store's current series, locking each shard
  /// only to read its sizes; a capture() right after copies without allocating. A checkpoint
  /// calls it before its barrier, so the barrier holds nothing but the copies.
  void prepare_capture(StoreCapture& out) const;
  StoreState merge_capture(const StoreCapture& capture) const;
  /// Adds `state` into shard 0 (counters and histograms continue, native buckets included;
  /// gauges take the saved value; the overflow and filtered counters continue).
  /// Metric and source/pipeline indices must match this store's; call before workers start.
  /// In metric_store_state.cpp.
  void import_state(const StoreState& state);

  /// What every reader (a scrape, the push loop) sees; any thread. Live until publish() is
  /// first called: expire(now), then snapshot(). Once published (checkpoints on,
  /// docs/checkpoints.md): the state of the last published (durable) checkpoint, so nothing a
  /// reader saw can be undone by a crash; with a refresh set, read() first calls it (it makes
  /// a checkpoint, which publishes) and then reads.
  Snapshot read() const;
  /// What read() returns, undecoded: the published view (shared, built once per checkpoint),
  /// or a live merge sorted now. The exporter writes its scrape from this.
  std::shared_ptr<const ReadView> read_view() const;
  /// A durable state readers may see: the checkpoint's store export and the self-metric
  /// families with counters as that checkpoint saved them (SelfMetrics::collect_saved()).
  /// Makes `state` (an export_state() of this store's current metrics) and `self` (the
  /// self-metric families as SelfMetrics::collect_saved() gives them) what read() returns from
  /// now on. Called by the checkpointer after a checkpoint is durable (and after a restore,
  /// before any thread starts).
  void publish(StoreState state, std::vector<SelfMetrics::FamilySample> self) const;
  /// Back to live reads (a reload turned checkpoints off).
  void unpublish() const;
  /// Called by read() before it reads the published state (`serve: new_checkpoint`). Set once,
  /// before any reader runs.
  void set_read_refresh(std::function<void()> refresh) { refresh_ = std::move(refresh); }
  /// Hot reload: takes the metrics, sources, pipelines and shards of `next` (a store built for
  /// the new config, unused otherwise; it is left empty), keeping every series of each metric
  /// whose identity (name, type, gauge mode, label names, buckets) is unchanged, and the
  /// per-source and per-pipeline counters of the names that remain. Removed metrics go; new
  /// ones start empty. The self-metrics registry, the published state and the creation time
  /// stay. No worker may run; readers may, and see the old metrics or the new, never a mix.
  void reconfigure(MetricStore&& next);
  /// When the counters started counting: the store's creation, or the restored checkpoint's
  /// first start (set_created_unix_ms()). Unix milliseconds.
  int64_t created_unix_ms() const noexcept { return created_unix_ms_; }
  /// Sets the store's creation time and every metric's (a restore; 0: unknown). Before any
  /// reader runs.
  void set_created_unix_ms(int64_t ms) {
    created_unix_ms_ = ms;
    metric_created_.assign(metric_created_.size(), ms);
  }

  /// logtally's own non-per-record metrics (sources and sinks register theirs here); exposed
  /// after the store's self-metrics. Mutable through a const store: it is a thread-safe
  /// registry, not part of the counted state.
  SelfMetrics& self_metrics() const noexcept { return *self_metrics_; }

 private:
  /// The one merge of every shard, behind snapshot() and export_state(): capture() (every
  /// shard locked, in index order, for the copy of their arrays) then merge_capture() with no
  /// lock; native buckets merged only `with_native`. Takes no layout lock (the caller holds it).
  StoreState merge(bool with_native) const;
  void capture_locked(StoreCapture& out, bool with_native) const;
  void prefault_capture(StoreCapture& out, bool with_native) const;
  StoreState merge_capture_locked(const StoreCapture& capture) const;
  NativeSample native_of(const MetricShard::MetricData& m, size_t s) const;
  /// A ReadView of `state` (sorted here); the caller adds `self`.
  std::shared_ptr<ReadView> make_view(StoreState state,
                                      std::shared_ptr<const std::vector<MetricSpec>> specs,
                                      std::vector<std::string> source_names,
                                      std::vector<std::string> pipeline_names) const;
  using Published = ReadView;
  /// `state` (of metrics `specs`) decoded and sorted; `take`: move buckets out of `state`
  /// instead of copying them (it is discarded). Keys stay in `state`'s arena.
  Snapshot decode(StoreState& state, bool take,
                  std::shared_ptr<const std::vector<MetricSpec>> specs,
                  const std::vector<std::string>& source_names,
                  const std::vector<std::string>& pipeline_names) const;

  /// Readers (merge, expire) hold it shared; reconfigure() exclusively.
  mutable std::shared_mutex layout_mu_;
  std::shared_ptr<std::vector<MetricSpec>> specs_;
  std::vector<int64_t> metric_created_;  ///< [metric]: MetricSample::created_unix_ms.
  std::vector<std::string> source_names_;
  std::vector<std::string> pipeline_names_;
  std::vector<std::unique_ptr<MetricShard>> shards_;
  std::vector<std::unique_ptr<Admission>> admissions_;  ///< [metric]; null without a limit.
  std::unique_ptr<SelfMetrics> self_metrics_ = std::make_unique<SelfMetrics>();
  NativeHistogramOptions native_;
  std::unique_ptr<NativeBoundsTable> native_table_;
  mutable std::mutex published_mu_;
  mutable std::shared_ptr<const Published> published_;  ///< Null: read() is live.
  std::function<void()> refresh_;
  int64_t created_unix_ms_ = 0;
};

}  // namespace logtally::core
