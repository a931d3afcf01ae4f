#include "sinks/remote_write/encoder.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include <snappy.h>

#include "remote_write.pb.h"

namespace logtally::sinks {

namespace {

using LabelView = std::pair<std::string_view, std::string_view>;

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Field tags (field number << 3 | wire type) of the messages in remote_write.proto.
constexpr char kTagTimeseries = 0x0A;       // WriteRequest.timeseries = 1, length-delimited
constexpr char kTagLabels = 0x0A;           // TimeSeries.labels = 1, length-delimited
constexpr char kTagSamples = 0x12;          // TimeSeries.samples = 2, length-delimited
constexpr char kTagHistograms = 0x22;       // TimeSeries.histograms = 4, length-delimited
constexpr char kTagName = 0x0A;             // Label.name = 1, length-delimited
constexpr char kTagValue = 0x12;            // Label.value = 2, length-delimited
constexpr char kTagSampleValue = 0x09;      // Sample.value = 1, 64-bit
constexpr char kTagSampleTimestamp = 0x10;  // Sample.timestamp = 2, varint
constexpr char kTagExemplars = 0x1A;        // TimeSeries.exemplars = 3, length-delimited
constexpr char kTagExemplarLabels = 0x0A;   // Exemplar.labels = 1, length-delimited
constexpr char kTagExemplarValue = 0x11;    // Exemplar.value = 2, 64-bit
constexpr char kTagExemplarTime = 0x18;     // Exemplar.timestamp = 3, varint

// Writes the WriteRequest of one request straight into a string.
//
// Why not the protoc-generated classes for everything: building one TimeSeries message, one
// Label message per label and one Sample per series, then serializing them, cost about as much
// as the snapshot itself (measured with bench/remote_write_bench). The messages here are flat,
// so their bytes are written directly: each series' size is computed from its labels first, then
// its bytes are appended. The native Histogram, which has nested spans and packed deltas, is
// still built with the generated class and serialized into a reused scratch string. The tests
// decode every request with the generated classes (tests/sinks/remote_write/encoder_test.cpp).
class Builder {
 public:
  Builder(std::string& out, const RemoteWriteEncodeOptions& opt, int64_t ts,
          RemoteWriteEncodeStats& stats)
      : out_(out), opt_(opt), ts_(ts), stats_(stats) {}

  // Starts a series named `name`; add labels with label(), then call sample() or histogram().
  void begin(std::string_view name) {
    labels_.clear();
    labels_.emplace_back("__name__", name);
  }
  void label(std::string_view name, std::string_view value) {
    if (!value.empty()) labels_.emplace_back(name, value);
  }

  // The sample `v`, and with `exemplar` (set), that exemplar (labels named by `spec`).
  void sample(double v, const core::MetricSpec* spec = nullptr,
              const core::Exemplar* exemplar = nullptr) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    // As protobuf's own serializer does for proto3, a field at its default (+0.0) is left out.
    const size_t sample_size = (bits ? 1 + 8 : 0) + 1 + varint_size(static_cast<uint64_t>(ts_));
    exemplar_.clear();
    if (exemplar != nullptr && exemplar->set) encode_exemplar(*spec, *exemplar);
    write_series(kTagSamples, sample_size, exemplar_.size());
    if (bits) {
      out_.push_back(kTagSampleValue);
      char bytes[8];
      std::memcpy(bytes, &v, 8);  // Little-endian IEEE 754, as protobuf's 64-bit wire type.
      out_.append(bytes, 8);
    }
    out_.push_back(kTagSampleTimestamp);
    put_varint(out_, static_cast<uint64_t>(ts_));
    out_.append(exemplar_);
    ++stats_.samples;
  }

  void histogram(const core::NativeSample& in, uint64_t count, double sum) {
    core::NativeSample ns = in;
    ns.downscale_to(opt_.native_schema);
    prompb::Histogram h;
    h.set_count_int(count);
    h.set_sum(sum);
    h.set_schema(ns.schema);
    h.set_zero_threshold(ns.zero_threshold);
    h.set_zero_count_int(ns.zero_count);
    add_buckets(ns.offset[0], ns.counts[0], *h.mutable_positive_spans(),
                *h.mutable_positive_deltas());
    add_buckets(ns.offset[1], ns.counts[1], *h.mutable_negative_spans(),
                *h.mutable_negative_deltas());
    h.set_timestamp(ts_);
    scratch_.clear();
    h.AppendToString(&scratch_);
    write_series(kTagHistograms, scratch_.size());
    out_.append(scratch_);
    ++stats_.histograms;
  }

 private:
  // The TimeSeries' `exemplars` field (tag, length, Exemplar message) of `e` into exemplar_.
  void encode_exemplar(const core::MetricSpec& spec, const core::Exemplar& e) {
    std::string& x = exemplar_body_;
    x.clear();
    e.for_each_value([&](size_t i, std::string_view value) {
      if (value.empty() || i >= spec.exemplar_labels.size()) return;
      const std::string_view name = spec.exemplar_labels[i];
      x.push_back(kTagExemplarLabels);
      put_varint(x, label_size(name, value));
      x.push_back(kTagName);
      put_varint(x, name.size());
      x.append(name);
      x.push_back(kTagValue);
      put_varint(x, value.size());
      x.append(value);
    });
    uint64_t bits;
    std::memcpy(&bits, &e.value, 8);
    if (bits != 0) {
      x.push_back(kTagExemplarValue);
      char bytes[8];
      std::memcpy(bytes, &e.value, 8);
      x.append(bytes, 8);
    }
    if (e.unix_ms != 0) {
      x.push_back(kTagExemplarTime);
      put_varint(x, static_cast<uint64_t>(e.unix_ms));
    }
    exemplar_.push_back(kTagExemplars);
    put_varint(exemplar_, x.size());
    exemplar_.append(x);
  }

  // Sorts the labels (external ones added), then writes the TimeSeries tag, its length, and its
  // labels; the caller appends the one payload field (tag `payload_tag`, `payload_size` bytes),
  // then `extra_size` bytes of further fields (the exemplar).
  void write_series(char payload_tag, size_t payload_size, size_t extra_size = 0) {
    // External labels fill in only names the series does not have.
    const size_t own = labels_.size();
    for (const auto& [name, value] : opt_.external_labels) {
      bool present = false;
      for (size_t i = 0; i < own && !present; ++i) present = labels_[i].first == name;
      if (!present && !value.empty()) labels_.emplace_back(name, value);
    }
    std::sort(labels_.begin(), labels_.end(),
              [](const LabelView& a, const LabelView& b) { return a.first < b.first; });
    size_t body = 1 + varint_size(payload_size) + payload_size + extra_size;
    for (const auto& [name, value] : labels_) {
      const size_t l = label_size(name, value);
      body += 1 + varint_size(l) + l;
    }
    out_.push_back(kTagTimeseries);
    put_varint(out_, body);
    for (const auto& [name, value] : labels_) {
      out_.push_back(kTagLabels);
      put_varint(out_, label_size(name, value));
      out_.push_back(kTagName);
      put_varint(out_, name.size());
      out_.append(name);
      out_.push_back(kTagValue);
      put_varint(out_, value.size());
      out_.append(value);
    }
    out_.push_back(payload_tag);
    put_varint(out_, payload_size);
    ++stats_.series;
  }

  static size_t label_size(std::string_view name, std::string_view value) {
    return 1 + varint_size(name.size()) + name.size() + 1 + varint_size(value.size()) +
           value.size();
  }

  // Spans and deltas of dense counts starting at bucket index `offset`. Runs of up to two empty
  // buckets stay inside a span (a zero delta costs one byte, a new span about four).
  template <class Spans, class Deltas>
  static void add_buckets(int32_t offset, const std::vector<uint64_t>& c, Spans& spans,
                          Deltas& deltas) {
    const size_t n = c.size();
    int64_t prev = 0;
    size_t prev_end = 0;
    bool first = true;
    size_t k = 0;
    while (k < n) {
      if (c[k] == 0) {
        ++k;
        continue;
      }
      const size_t start = k;
      size_t end = k + 1;
      size_t j = k + 1;
      while (j < n) {
        if (c[j] != 0) {
          end = ++j;
          continue;
        }
        size_t z = j;
        while (z < n && c[z] == 0) ++z;
        if (z == n || z - j > 2) break;
        j = z;
      }
      prompb::BucketSpan* span = spans.Add();
      span->set_offset(first ? offset + static_cast<int32_t>(start)
                             : static_cast<int32_t>(start - prev_end));
      span->set_length(static_cast<uint32_t>(end - start));
      for (size_t i = start; i < end; ++i) {
        const auto v = static_cast<int64_t>(c[i]);
        deltas.Add(v - prev);
        prev = v;
      }
      first = false;
      prev_end = end;
      k = end;
    }
  }

  std::string& out_;
  std::string scratch_;
  std::string exemplar_;       ///< The current sample's `exemplars` field, or empty.
  std::string exemplar_body_;  ///< Scratch: its Exemplar message.
  const RemoteWriteEncodeOptions& opt_;
  int64_t ts_;
  RemoteWriteEncodeStats& stats_;
  std::vector<LabelView> labels_;
};

// `le` as Prometheus writes it: shortest round-trip text, "+Inf" for the last bucket.
std::string_view format_le(double v, char (&buf)[32]) {
  if (v == std::numeric_limits<double>::infinity()) return "+Inf";
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return {buf, static_cast<size_t>(r.ptr - buf)};
}

}  // namespace

std::string encode_write_request(const core::MetricStore& store, const core::Snapshot& snapshot,
                                 const RemoteWriteEncodeOptions& options, int64_t timestamp_ms,
                                 RemoteWriteEncodeStats* stats_out) {
  RemoteWriteEncodeStats stats;
  size_t total = 0;
  for (const core::MetricSample& m : snapshot.metrics) {
    const size_t per = m.spec->type == core::MetricType::kHistogram
                           ? m.spec->buckets.size() + 3 + (options.native_histograms ? 1 : 0)
                           : 1;
    total += per * m.series.size();
  }
  std::string out;
  out.reserve(total * 96 + 4096);  // A guess (~100 bytes a series); the string grows if short.
  Builder b(out, options, timestamp_ms, stats);

  std::string name;
  char le_buf[32];
  for (const core::MetricSample& m : snapshot.metrics) {
    const core::MetricSpec& spec = *m.spec;
    const auto add_labels = [&](const core::SeriesSample& s) {
      for (size_t i = 0; i < spec.label_names.size(); ++i)
        b.label(spec.label_names[i], s.labels[i]);
    };
    for (const core::SeriesSample& s : m.series) {
      const bool exemplars = !s.exemplars.empty();
      if (spec.type != core::MetricType::kHistogram) {
        b.begin(spec.name);
        add_labels(s);
        b.sample(s.value, &spec, exemplars ? &s.exemplars[0] : nullptr);
        continue;
      }
      uint64_t cumulative = 0;
      name = spec.name + "_bucket";
      for (size_t k = 0; k < s.buckets.size(); ++k) {
        cumulative += s.buckets[k];
        const double bound =
            k < spec.buckets.size() ? spec.buckets[k] : std::numeric_limits<double>::infinity();
        b.begin(name);
        add_labels(s);
        b.label("le", format_le(bound, le_buf));
        b.sample(static_cast<double>(cumulative), &spec,
                 exemplars && k < s.exemplars.size() ? &s.exemplars[k] : nullptr);
      }
      name = spec.name + "_sum";
      b.begin(name);
      add_labels(s);
      b.sample(s.value);
      name = spec.name + "_count";
      b.begin(name);
      add_labels(s);
      b.sample(static_cast<double>(cumulative));
      if (options.native_histograms && s.native) {
        b.begin(spec.name);
        add_labels(s);
        b.histogram(*s.native, cumulative, s.value);
      }
    }
  }

  // Self-metrics, as the exposition names them.
  const auto& sources = snapshot.source_names;
  for (size_t i = 0; i < sources.size(); ++i) {
    b.begin("logtally_records_total");
    b.label("source", sources[i]);
    b.sample(static_cast<double>(snapshot.source_records[i]));
    b.begin("logtally_bytes_total");
    b.label("source", sources[i]);
    b.sample(static_cast<double>(snapshot.source_bytes[i]));
  }
  const auto& pipelines = snapshot.pipeline_names;
  for (size_t p = 0; p < pipelines.size(); ++p) {
    for (size_t r = 0; r < core::kDropReasonCount; ++r) {
      const uint64_t v = snapshot.dropped[p * core::kDropReasonCount + r];
      if (!core::drop_series_shown(static_cast<core::DropReason>(r), v)) continue;
      b.begin("logtally_records_dropped_total");
      b.label("pipeline", pipelines[p]);
      b.label("reason", core::drop_reason_name(static_cast<core::DropReason>(r)));
      b.sample(static_cast<double>(v));
    }
  }
  for (const core::MetricSample& m : snapshot.metrics) {
    b.begin("logtally_series");
    b.label("metric", m.spec->name);
    b.sample(static_cast<double>(m.series.size()));
  }
  b.begin("logtally_build_info");
  b.label("version", LOGTALLY_VERSION);
  b.sample(1);
  for (const core::SelfMetrics::FamilySample& f : snapshot.self) {
    for (const core::SelfMetrics::SeriesSample& s : f.series) {
      b.begin(f.name);
      for (const auto& [n, v] : s.labels) b.label(n, v);
      b.sample(s.value);
    }
  }

  if (stats_out != nullptr) *stats_out = stats;
  return out;
}

std::string encode_timed_series(const std::vector<TimedSeries>& series, size_t* samples_out) {
  // The same bytes as Builder writes, with many samples per series: the TimeSeries' length is
  // computed from its labels and samples first, then its fields are appended.
  std::string out;
  size_t samples = 0;
  std::vector<LabelView> labels;
  for (const TimedSeries& ts : series) {
    labels.clear();
    for (const auto& l : ts.labels) {
      if (!l.second.empty()) labels.push_back(l);
    }
    std::sort(labels.begin(), labels.end(),
              [](const LabelView& a, const LabelView& b) { return a.first < b.first; });
    size_t body = 0;
    for (const auto& [name, value] : labels) {
      const size_t l =
          1 + varint_size(name.size()) + name.size() + 1 + varint_size(value.size()) + value.size();
      body += 1 + varint_size(l) + l;
    }
    const auto sample_size = [](const TimedSample& s, uint64_t& bits) {
      std::memcpy(&bits, &s.value, 8);
      // As protobuf's own serializer does for proto3, a field at its default (+0.0) is left out.
      return (bits ? 1 + 8 : 0) + 1 + varint_size(static_cast<uint64_t>(s.timestamp_ms));
    };
    for (const TimedSample& s : ts.samples) {
      uint64_t bits = 0;
      const size_t n = sample_size(s, bits);
      body += 1 + varint_size(n) + n;
    }
    out.push_back(kTagTimeseries);
    put_varint(out, body);
    for (const auto& [name, value] : labels) {
      out.push_back(kTagLabels);
      put_varint(out, 1 + varint_size(name.size()) + name.size() + 1 + varint_size(value.size()) +
                          value.size());
      out.push_back(kTagName);
      put_varint(out, name.size());
      out.append(name);
      out.push_back(kTagValue);
      put_varint(out, value.size());
      out.append(value);
    }
    for (const TimedSample& s : ts.samples) {
      uint64_t bits = 0;
      out.push_back(kTagSamples);
      put_varint(out, sample_size(s, bits));
      if (bits) {
        out.push_back(kTagSampleValue);
        char bytes[8];
        std::memcpy(bytes, &s.value, 8);  // Little-endian IEEE 754, as protobuf's 64-bit type.
        out.append(bytes, 8);
      }
      out.push_back(kTagSampleTimestamp);
      put_varint(out, static_cast<uint64_t>(s.timestamp_ms));
      ++samples;
    }
  }
  if (samples_out != nullptr) *samples_out = samples;
  return out;
}

std::string snappy_compress(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

}  // namespace logtally::sinks
