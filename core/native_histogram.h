// Native (exponential) histogram buckets, recorded per series at observe time, for sinks that
// send Prometheus native histograms (remote_write with `native_histograms: true`).
//
// Bucket scheme (Prometheus native histograms): at schema s (-4..8), bucket i holds positive
// observations in (2^((i-1)/2^s), 2^(i/2^s)]; negative observations go to the mirrored buckets
// of their absolute value; |v| <= zero_threshold goes to the zero bucket.
//
// Storage, bounded and allocation-free per record: each series owns a window of `max_buckets`
// counts for positive indices and another for negative ones, allocated with the series. A
// window covers a contiguous range of indices [base, base + max_buckets). When an observation
// falls outside it, the window is moved if the indices in use plus the new one span at most
// max_buckets; otherwise the series' resolution is halved (schema - 1, neighbouring buckets
// merged: index i becomes ceil(i/2)) until they do, as Prometheus' clients do when a histogram
// has too many buckets. The limit is thus on the span of indices in use, not on the number of
// non-empty buckets, which is stricter but needs no allocation. At schema -4 nothing is merged
// further; an index that still does not fit is counted in the nearest edge bucket (this needs a
// dynamic range beyond 2^(16*max_buckets), unreachable with finite doubles and max_buckets >=
// 140).
//
// Threading: a NativeSeries is updated under its shard's mutex like every other value.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace logtally::core {

/// Chosen at config compile time, per store; `enabled == false` records nothing.
struct NativeHistogramOptions {
  bool enabled = false;
  int8_t schema = 3;                              ///< -4..8; 3 grows by ~9% per bucket.
  double zero_threshold = 2.938735877055719e-39;  ///< 2^-128, Prometheus' client default.
  uint32_t max_buckets = 160;                     ///< Per sign, per series.
};

inline constexpr int kNativeMinSchema = -4;
inline constexpr int kNativeMaxSchema = 8;

/// Upper bounds inside one power of two, per schema 1..8: bounds(s)[j] = 2^(j/2^s - 1),
/// j = 0..2^s. Built once (the constructor allocates), then read only.
class NativeBoundsTable {
 public:
  NativeBoundsTable();
  /// Bucket index of a finite `a > 0` at `schema`.
  int32_t index(double a, int schema) const noexcept;

 private:
  std::array<std::vector<double>, kNativeMaxSchema + 1> bounds_;
};

/// Per-series state. The counts live outside (in the shard's flat array) so series stay small.
struct NativeSeries {
  int8_t schema = 0;
  uint64_t zero_count = 0;
  int32_t base[2] = {0, 0};  ///< [0] positive, [1] negative: index of window slot 0.
  int32_t lo[2] = {1, 1};    ///< Lowest index in use (lo > hi: empty).
  int32_t hi[2] = {0, 0};    ///< Highest index in use.
};

/// Records `v` into `s`, whose two windows are counts[0..max) (positive) and
/// counts[max..2*max) (negative). `scratch` holds at least `max_buckets` values.
void native_observe(const NativeHistogramOptions& opt, const NativeBoundsTable& table,
                    NativeSeries& s, uint64_t* counts, uint64_t* scratch, double v) noexcept;

/// A merged native histogram in a snapshot: dense counts from an offset, per sign.
struct NativeSample {
  int8_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count = 0;
  int32_t offset[2] = {0, 0};       ///< Index of counts[k][0].
  std::vector<uint64_t> counts[2];  ///< [0] positive, [1] negative; trimmed of zeros at both ends.

  bool empty() const noexcept { return counts[0].empty() && counts[1].empty() && !zero_count; }
  /// Halves the resolution until schema <= `schema` (merging neighbours).
  void downscale_to(int schema);
  /// Adds `other` (any schema: both are brought to the lower of the two).
  void merge(const NativeSample& other);
};

/// Replaces the content of `s` (windows in `counts`, as for native_observe) with `sample`, as a
/// checkpoint restore does: same schema, zero count and buckets, unless a side spans more than
/// max_buckets indices (a merge of shards can), which lowers the resolution until it fits.
void native_load(const NativeHistogramOptions& opt, NativeSeries& s, uint64_t* counts,
                 NativeSample sample);

/// The NativeSample of one recorded series.
NativeSample native_sample(const NativeHistogramOptions& opt, const NativeSeries& s,
                           const uint64_t* counts);

}  // namespace logtally::core
