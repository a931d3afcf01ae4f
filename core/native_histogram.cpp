#include "core/native_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace logtally::core {

NativeBoundsTable::NativeBoundsTable() {
  for (int s = 1; s <= kNativeMaxSchema; ++s) {
    const int n = 1 << s;
    std::vector<double>& b = bounds_[static_cast<size_t>(s)];
    b.resize(static_cast<size_t>(n) + 1);
    for (int j = 0; j <= n; ++j) b[static_cast<size_t>(j)] = std::exp2(double(j) / n - 1.0);
    b[0] = 0.5;  // Exact ends, so powers of two land on their own bucket boundary.
    b[static_cast<size_t>(n)] = 1.0;
  }
}

int32_t NativeBoundsTable::index(double a, int schema) const noexcept {
  int exp = 0;
  const double frac = std::frexp(a, &exp);  // a = frac * 2^exp, frac in [0.5, 1).
  if (schema > 0) {
    // a = 2*frac * 2^(exp-1); the index inside the octave is the smallest j with
    // 2*frac <= 2^(j/2^s), i.e. frac <= bounds[j].
    const std::vector<double>& b = bounds_[static_cast<size_t>(schema)];
    const auto j = static_cast<int32_t>(std::lower_bound(b.begin(), b.end(), frac) - b.begin());
    return ((exp - 1) << schema) + j;
  }
  // Schema 0: bucket i is (2^(i-1), 2^i]; an exact power of two 2^(exp-1) is its own upper bound.
  const int32_t i0 = frac == 0.5 ? exp - 1 : exp;
  // Coarser schemas merge 2^-s schema-0 buckets: ceil(i0 / 2^-s) with an arithmetic shift.
  const int shift = -schema;
  return (i0 + (1 << shift) - 1) >> shift;
}

namespace {

// Halves the resolution of one window in place (through `scratch`), keeping it centred on the
// indices in use.
void downscale_window(NativeSeries& s, int side, uint64_t* w, uint64_t* scratch, uint32_t max) {
  if (s.lo[side] > s.hi[side]) return;
  const int32_t lo = (s.lo[side] + 1) >> 1;
  const int32_t hi = (s.hi[side] + 1) >> 1;
  const int32_t span = hi - lo + 1;
  const int32_t base = lo - (static_cast<int32_t>(max) - span) / 2;
  std::memset(scratch, 0, sizeof(uint64_t) * max);
  for (int32_t i = s.lo[side]; i <= s.hi[side]; ++i) {
    const uint64_t c = w[i - s.base[side]];
    if (c) scratch[((i + 1) >> 1) - base] += c;
  }
  std::memcpy(w, scratch, sizeof(uint64_t) * max);
  s.base[side] = base;
  s.lo[side] = lo;
  s.hi[side] = hi;
}

// Moves a window so that [lo, hi] sits in its middle.
void rebase_window(NativeSeries& s, int side, uint64_t* w, uint32_t max, int32_t lo, int32_t hi) {
  const int32_t span = hi - lo + 1;
  const int32_t base = lo - (static_cast<int32_t>(max) - span) / 2;
  if (s.lo[side] <= s.hi[side]) {
    const int32_t n = s.hi[side] - s.lo[side] + 1;
    std::memmove(w + (s.lo[side] - base), w + (s.lo[side] - s.base[side]),
                 sizeof(uint64_t) * static_cast<size_t>(n));
    // Clear what lies outside the moved range.
    const int32_t first = s.lo[side] - base;
    const int32_t last = s.hi[side] - base;
    for (int32_t k = 0; k < first; ++k) w[k] = 0;
    for (int32_t k = last + 1; k < static_cast<int32_t>(max); ++k) w[k] = 0;
  }
  s.base[side] = base;
}

}  // namespace

void native_observe(const NativeHistogramOptions& opt, const NativeBoundsTable& table,
                    NativeSeries& s, uint64_t* counts, uint64_t* scratch, double v) noexcept {
  const double a = std::fabs(v);
  if (a <= opt.zero_threshold) {
    ++s.zero_count;
    return;
  }
  const int side = v > 0 ? 0 : 1;
  const uint32_t max = opt.max_buckets;
  uint64_t* w = counts + (side ? max : 0);
  int32_t idx = table.index(a, s.schema);
  for (;;) {
    const bool empty = s.lo[side] > s.hi[side];
    const int32_t lo = empty ? idx : std::min(s.lo[side], idx);
    const int32_t hi = empty ? idx : std::max(s.hi[side], idx);
    if (!empty && idx >= s.base[side] && idx < s.base[side] + static_cast<int32_t>(max)) break;
    if (static_cast<int64_t>(hi) - lo + 1 <= static_cast<int64_t>(max)) {
      rebase_window(s, side, w, max, lo, hi);
      break;
    }
    if (s.schema <= kNativeMinSchema) {
      idx = std::clamp(idx, s.base[side], s.base[side] + static_cast<int32_t>(max) - 1);
      break;
    }
    // Too wide: halve the resolution of both signs (a series has one schema) and retry.
    --s.schema;
    downscale_window(s, 0, counts, scratch, max);
    downscale_window(s, 1, counts + max, scratch, max);
    idx = (idx + 1) >> 1;
  }
  ++w[idx - s.base[side]];
  if (s.lo[side] > s.hi[side]) {
    s.lo[side] = s.hi[side] = idx;
  } else {
    s.lo[side] = std::min(s.lo[side], idx);
    s.hi[side] = std::max(s.hi[side], idx);
  }
}

void native_load(const NativeHistogramOptions& opt, NativeSeries& s, uint64_t* counts,
                 NativeSample sample) {
  const auto max = static_cast<int32_t>(opt.max_buckets);
  for (int side = 0; side < 2; ++side) {
    // Trimmed of zeros at both ends, so lo and hi are indices in use.
    std::vector<uint64_t>& c = sample.counts[side];
    size_t first = 0;
    while (first < c.size() && c[first] == 0) ++first;
    size_t end = c.size();
    while (end > first && c[end - 1] == 0) --end;
    c.assign(c.begin() + static_cast<long>(first), c.begin() + static_cast<long>(end));
    sample.offset[side] += static_cast<int32_t>(first);
  }
  auto too_wide = [&] {
    return static_cast<int32_t>(sample.counts[0].size()) > max ||
           static_cast<int32_t>(sample.counts[1].size()) > max;
  };
  while (too_wide() && sample.schema > kNativeMinSchema) sample.downscale_to(sample.schema - 1);
  s = NativeSeries{};
  s.schema = sample.schema;
  s.zero_count = sample.zero_count;
  std::fill(counts, counts + 2 * size_t{opt.max_buckets}, uint64_t{0});
  for (int side = 0; side < 2; ++side) {
    const std::vector<uint64_t>& c = sample.counts[side];
    if (c.empty()) continue;
    uint64_t* w = counts + (side ? opt.max_buckets : 0);
    const auto span = std::min(static_cast<int32_t>(c.size()), max);
    const int32_t lo = sample.offset[side];
    s.base[side] = lo - (max - span) / 2;  // Centred, as native_observe places a window.
    s.lo[side] = lo;
    s.hi[side] = lo + span - 1;
    for (int32_t k = 0; k < static_cast<int32_t>(c.size()); ++k) {
      // Beyond max_buckets at the lowest schema (unreachable with finite doubles): the edge.
      w[std::min(k, span - 1) + (lo - s.base[side])] += c[static_cast<size_t>(k)];
    }
  }
}

NativeSample native_sample(const NativeHistogramOptions& opt, const NativeSeries& s,
                           const uint64_t* counts) {
  NativeSample out;
  out.schema = s.schema;
  out.zero_threshold = opt.zero_threshold;
  out.zero_count = s.zero_count;
  for (int side = 0; side < 2; ++side) {
    if (s.lo[side] > s.hi[side]) continue;
    const uint64_t* w = counts + (side ? opt.max_buckets : 0);
    out.offset[side] = s.lo[side];
    out.counts[side].assign(w + (s.lo[side] - s.base[side]), w + (s.hi[side] - s.base[side]) + 1);
  }
  return out;
}

void NativeSample::downscale_to(int target) {
  while (schema > target) {
    for (int side = 0; side < 2; ++side) {
      std::vector<uint64_t>& c = counts[side];
      if (c.empty()) continue;
      const int32_t lo = (offset[side] + 1) >> 1;
      const int32_t hi = (offset[side] + static_cast<int32_t>(c.size()) - 1 + 1) >> 1;
      std::vector<uint64_t> merged(static_cast<size_t>(hi - lo + 1), 0);
      for (size_t k = 0; k < c.size(); ++k) {
        const int32_t i = offset[side] + static_cast<int32_t>(k);
        merged[static_cast<size_t>(((i + 1) >> 1) - lo)] += c[k];
      }
      c = std::move(merged);
      offset[side] = lo;
    }
    --schema;
  }
}

void NativeSample::merge(const NativeSample& other_in) {
  NativeSample other = other_in;
  const int target = std::min<int>(schema, other.schema);
  downscale_to(target);
  other.downscale_to(target);
  zero_count += other.zero_count;
  zero_threshold = std::max(zero_threshold, other.zero_threshold);
  for (int side = 0; side < 2; ++side) {
    std::vector<uint64_t>& a = counts[side];
    const std::vector<uint64_t>& b = other.counts[side];
    if (b.empty()) continue;
    if (a.empty()) {
      a = b;
      offset[side] = other.offset[side];
      continue;
    }
    const int32_t lo = std::min(offset[side], other.offset[side]);
    const int32_t hi = std::max(offset[side] + static_cast<int32_t>(a.size()),
                                other.offset[side] + static_cast<int32_t>(b.size()));
    std::vector<uint64_t> sum(static_cast<size_t>(hi - lo), 0);
    for (size_t k = 0; k < a.size(); ++k) sum[offset[side] - lo + k] += a[k];
    for (size_t k = 0; k < b.size(); ++k) sum[other.offset[side] - lo + k] += b[k];
    a = std::move(sum);
    offset[side] = lo;
  }
}

}  // namespace logtally::core
