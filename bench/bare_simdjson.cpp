// bare_simdjson: the baselines of the whole-binary benchmark (bench/run_bench.sh).
//
// Usage: bare_simdjson [--dom] FILE
//
// The simplest fast programs that compute what logtally's benchmark config computes: one thread
// reads FILE in 4 MiB chunks, splits them into lines, and pulls method, status, service,
// duration_ms and bytes out of each line straight from the chunk buffer, in one of two ways:
// - default: simdjson On-Demand, one `iterate` per line, reading stops after the fifth field.
//   Only what is read is validated: the baseline of logtally's `validate: touched`.
// - `--dom`: simdjson's DOM parser, one `parse` per line, which validates the whole line
//   (RFC 8259: every literal, number, escape and bracket) before the fields are read from the
//   parsed document: the baseline of logtally's default, `validate: full`.
// It aggregates
//   http_requests_total{method,status,service}      counter (one per line)
//   http_request_duration_seconds{service}          histogram of duration_ms * 0.001
//   http_response_bytes_total                       counter, sum of bytes
// and prints them to stdout as Prometheus text samples, sorted by label values, so the script
// can check logtally's output against them before timing anything. On stderr it prints
// `lines=N seconds=S`, S being the time of the read + parse + aggregate loop alone.
//
// Semantics kept identical to logtally for well-formed lines: `status` is labelled with its
// number token as written (a string status with its text; the DOM keeps no token text, so
// there an integer is written back with std::to_chars, which gives the same text for the
// corpus' integers), histogram buckets are `le` (value <= bound). A line that is not an object,
// or lacks one of the five fields, or has one with the wrong type, is counted as bad and skipped
// entirely; the benchmark corpus has none.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

namespace {

constexpr size_t kChunkBytes = 4u << 20;

/// Histogram upper bounds in seconds, as in the benchmark config; +Inf is implicit.
constexpr std::array<double, 11> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,    2.5,   5,    10};
constexpr size_t kBucketCount = kBounds.size() + 1;
constexpr double kDurationScale = 0.001;  ///< duration_ms -> seconds, multiplied like logtally.

/// 64-bit hash of a short byte string: 8 bytes at a time, each folded in with a multiply and
/// an xor-shift, then a final avalanche. Good enough to spread a few hundred label tuples.
uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr uint64_t kMul = 0x9fb21c651e98df25ULL;
  uint64_t h = 0x6a09e667f3bcc909ULL ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
  }
  h ^= h >> 32;
  h *= kMul;
  h ^= h >> 29;
  return h;
}

/// Maps byte-string keys to dense indexes 0, 1, 2, ... Open addressing with linear probing;
/// lookups of known keys allocate nothing.
class KeyIndex {
 public:
  KeyIndex() : slots_(64) {}

  /// The index of `key`, adding it (as the next index) if new; `added` says which.
  uint32_t find_or_add(std::string_view key, bool& added) {
    const uint64_t h = hash_bytes(key);
    size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i].used) {
      if (slots_[i].hash == h && keys_[slots_[i].index] == key) {
        added = false;
        return slots_[i].index;
      }
      i = (i + 1) & mask;
    }
    added = true;
    const auto index = static_cast<uint32_t>(keys_.size());
    keys_.emplace_back(key);
    slots_[i] = {h, index, true};
    if (keys_.size() * 2 > slots_.size()) grow();
    return index;
  }

  size_t size() const noexcept { return keys_.size(); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t index = 0;
    bool used = false;
  };

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (!s.used) continue;
      size_t i = s.hash & mask;
      while (slots_[i].used) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::string> keys_;
};

/// Appends `v` to `key` behind a 4-byte length, so any bytes (even NUL) can be in a value and
/// two different tuples never encode alike.
void append_part(std::string& key, std::string_view v) {
  const auto len = static_cast<uint32_t>(v.size());
  key.append(reinterpret_cast<const char*>(&len), sizeof len);
  key.append(v);
}

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

class Aggregator {
 public:
  explicit Aggregator(bool dom) : dom_(dom) { key_.reserve(256); }

  /// Parses and aggregates one line. `capacity` is how many bytes may be read from `data`
  /// (the line, whatever follows it in the buffer, and at least SIMDJSON_PADDING more).
  void add_line(const char* data, size_t size, size_t capacity) {
    ++lines_;
    if (!aggregate(data, size, capacity)) ++bad_lines_;
  }

  uint64_t lines() const noexcept { return lines_; }
  uint64_t bad_lines() const noexcept { return bad_lines_; }

  /// Writes every sample, sorted by label values, in Prometheus text format.
  void print(FILE* out) const;

 private:
  struct Labels {
    std::string method, status, service;
  };
  struct Histogram {
    std::string service;
    std::array<uint64_t, kBucketCount> buckets{};  ///< Per bucket, not cumulative; +Inf last.
    double sum = 0;
    uint64_t count = 0;
  };

  enum : unsigned { kMethod = 1, kStatus = 2, kService = 4, kDuration = 8, kBytes = 16 };
  static constexpr unsigned kAll = 31;

  bool aggregate(const char* data, size_t size, size_t capacity) {
    return dom_ ? aggregate_dom(data, size) : aggregate_ondemand(data, size, capacity);
  }

  bool aggregate_ondemand(const char* data, size_t size, size_t capacity) {
    simdjson::ondemand::document doc;
    if (parser_.iterate(data, size, capacity).get(doc) != simdjson::SUCCESS) return false;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;

    std::string_view method, status, service;
    double duration_ms = 0, bytes = 0;
    unsigned found = 0;
    // One pass over the top-level keys, comparing raw key bytes (the keys we want hold no
    // escapes). Unwanted values, the nested `kubernetes` object included, are skipped unread.
    // Once all five fields are seen the rest of the line is not walked at all: that is the
    // cheapest a hand-written loop can be, and the bar logtally is measured against.
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
      const simdjson::ondemand::raw_json_string key = field.key();
      simdjson::ondemand::value value = field.value();
      if (key.unsafe_is_equal("method")) {
        if (value.get_string().get(method) != simdjson::SUCCESS) return false;
        found |= kMethod;
      } else if (key.unsafe_is_equal("status")) {
        simdjson::ondemand::json_type type;
        if (value.type().get(type) != simdjson::SUCCESS) return false;
        if (type == simdjson::ondemand::json_type::number) {
          // The token as written, without the whitespace On-Demand includes after it.
          status = trim_right(value.raw_json_token());
        } else if (value.get_string().get(status) != simdjson::SUCCESS) {
          return false;
        }
        found |= kStatus;
      } else if (key.unsafe_is_equal("service")) {
        if (value.get_string().get(service) != simdjson::SUCCESS) return false;
        found |= kService;
      } else if (key.unsafe_is_equal("duration_ms")) {
        if (value.get_double().get(duration_ms) != simdjson::SUCCESS) return false;
        found |= kDuration;
      } else if (key.unsafe_is_equal("bytes")) {
        if (value.get_double().get(bytes) != simdjson::SUCCESS) return false;
        found |= kBytes;
      }
      if (found == kAll) break;
    }
    if (found != kAll) return false;
    add(method, status, service, duration_ms, bytes);
    return true;
  }

  bool aggregate_dom(const char* data, size_t size) {
    // The chunk buffer has SIMDJSON_PADDING readable bytes after every line, so the parser is
    // told not to copy the line (realloc_if_needed = false).
    simdjson::dom::element doc;
    if (dom_parser_.parse(data, size, false).get(doc) != simdjson::SUCCESS) return false;
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;

    std::string_view method, status, service;
    double duration_ms = 0, bytes = 0;
    unsigned found = 0;
    // One pass over the parsed object's fields (the whole line is already validated); the
    // first occurrence of a key wins, as in logtally.
    for (const simdjson::dom::key_value_pair field : obj) {
      const std::string_view key = field.key;
      const simdjson::dom::element value = field.value;
      if (key == "method" && !(found & kMethod)) {
        if (value.get_string().get(method) != simdjson::SUCCESS) return false;
        found |= kMethod;
      } else if (key == "status" && !(found & kStatus)) {
        int64_t code = 0;
        if (value.get_int64().get(code) == simdjson::SUCCESS) {
          const auto res = std::to_chars(status_text_, status_text_ + sizeof status_text_, code);
          status = std::string_view(status_text_, static_cast<size_t>(res.ptr - status_text_));
        } else if (value.get_string().get(status) != simdjson::SUCCESS) {
          return false;
        }
        found |= kStatus;
      } else if (key == "service" && !(found & kService)) {
        if (value.get_string().get(service) != simdjson::SUCCESS) return false;
        found |= kService;
      } else if (key == "duration_ms" && !(found & kDuration)) {
        if (value.get_double().get(duration_ms) != simdjson::SUCCESS) return false;
        found |= kDuration;
      } else if (key == "bytes" && !(found & kBytes)) {
        if (value.get_double().get(bytes) != simdjson::SUCCESS) return false;
        found |= kBytes;
      }
    }
    if (found != kAll) return false;
    add(method, status, service, duration_ms, bytes);
    return true;
  }

  void add(std::string_view method, std::string_view status, std::string_view service,
           double duration_ms, double bytes) {
    // (a) Requests by (method, status, service), keyed in a reused buffer.
    key_.clear();
    append_part(key_, method);
    append_part(key_, status);
    append_part(key_, service);
    bool added = false;
    const uint32_t series = request_index_.find_or_add(key_, added);
    if (added) {
      request_labels_.push_back({std::string(method), std::string(status), std::string(service)});
      requests_.push_back(0);
    }
    ++requests_[series];

    // (b) Duration histogram by service: first bound >= value, or +Inf.
    const uint32_t h = service_index_.find_or_add(service, added);
    if (added) histograms_.push_back(Histogram{std::string(service)});
    Histogram& hist = histograms_[h];
    const double seconds = duration_ms * kDurationScale;
    const size_t bucket = static_cast<size_t>(
        std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin());
    ++hist.buckets[bucket];
    hist.sum += seconds;
    ++hist.count;

    // (c) Bytes, no labels.
    bytes_total_ += bytes;
  }

  bool dom_ = false;
  simdjson::ondemand::parser parser_;
  simdjson::dom::parser dom_parser_;
  char status_text_[24] = {};
  std::string key_;
  KeyIndex request_index_;
  std::vector<Labels> request_labels_;
  std::vector<uint64_t> requests_;
  KeyIndex service_index_;
  std::vector<Histogram> histograms_;
  double bytes_total_ = 0;
  uint64_t lines_ = 0;
  uint64_t bad_lines_ = 0;
};

/// Appends a label value escaped as the Prometheus text format requires (\\, \" and \n).
void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_label(std::string& out, std::string_view name, std::string_view value, bool first) {
  if (!first) out += ',';
  out += name;
  out += "=\"";
  append_escaped(out, value);
  out += '"';
}

/// Shortest text that reads back as the same double; integral values without a decimal point.
void append_number(std::string& out, double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void Aggregator::print(FILE* out) const {
  std::string text;

  std::vector<size_t> order(requests_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    const Labels& x = request_labels_[a];
    const Labels& y = request_labels_[b];
    if (x.method != y.method) return x.method < y.method;
    if (x.status != y.status) return x.status < y.status;
    return x.service < y.service;
  });
  for (size_t i : order) {
    const Labels& l = request_labels_[i];
    text += "http_requests_total{";
    append_label(text, "method", l.method, true);
    append_label(text, "status", l.status, false);
    append_label(text, "service", l.service, false);
    text += "} ";
    append_uint(text, requests_[i]);
    text += '\n';
  }

  order.resize(histograms_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [this](size_t a, size_t b) { return histograms_[a].service < histograms_[b].service; });
  for (size_t i : order) {
    const Histogram& h = histograms_[i];
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBucketCount; ++b) {
      cumulative += h.buckets[b];
      text += "http_request_duration_seconds_bucket{";
      append_label(text, "service", h.service, true);
      text += ",le=\"";
      if (b < kBounds.size()) {
        append_number(text, kBounds[b]);
      } else {
        text += "+Inf";
      }
      text += "\"} ";
      append_uint(text, cumulative);
      text += '\n';
    }
    text += "http_request_duration_seconds_sum{";
    append_label(text, "service", h.service, true);
    text += "} ";
    append_number(text, h.sum);
    text += '\n';
    text += "http_request_duration_seconds_count{";
    append_label(text, "service", h.service, true);
    text += "} ";
    append_uint(text, h.count);
    text += '\n';
  }

  // Byte counts are integers, and their sum stays exact below 2^53 (9 PB).
  text += "http_response_bytes_total ";
  if (bytes_total_ == std::floor(bytes_total_) && std::fabs(bytes_total_) < 0x1.0p53) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(bytes_total_));
    text.append(buf, res.ptr);
  } else {
    append_number(text, bytes_total_);
  }
  text += '\n';

  std::fwrite(text.data(), 1, text.size(), out);
}

/// read(2) until `size` bytes or end of file; returns the byte count, or -1 on error.
ssize_t read_some(int fd, char* buf, size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, buf, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool dom = argc == 3 && std::strcmp(argv[1], "--dom") == 0;
  if (argc != 2 && !dom) {
    std::fputs("usage: bare_simdjson [--dom] FILE\n", stderr);
    return 2;
  }
  const char* const path = argv[argc - 1];
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "bare_simdjson: cannot open %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  Aggregator agg(dom);
  // The buffer holds one chunk plus SIMDJSON_PADDING readable bytes, so every line in it can be
  // parsed in place. A line longer than the buffer doubles it.
  std::vector<char> buffer(kChunkBytes + simdjson::SIMDJSON_PADDING);
  size_t tail = 0;  // Bytes of an unfinished line, moved to the front of the buffer.

  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    size_t capacity = buffer.size() - simdjson::SIMDJSON_PADDING;
    if (tail == capacity) {
      buffer.resize(capacity * 2 + simdjson::SIMDJSON_PADDING);
      capacity = buffer.size() - simdjson::SIMDJSON_PADDING;
    }
    char* const base = buffer.data();
    const char* const buffer_end = base + buffer.size();
    const ssize_t n = read_some(fd, base + tail, capacity - tail);
    if (n < 0) {
      std::fprintf(stderr, "bare_simdjson: read %s: %s\n", path, std::strerror(errno));
      return 1;
    }
    if (n == 0) {
      if (tail > 0) agg.add_line(base, tail, static_cast<size_t>(buffer_end - base));
      break;
    }
    const char* line = base;
    const char* const data_end = base + tail + static_cast<size_t>(n);
    for (;;) {
      const auto* nl =
          static_cast<const char*>(std::memchr(line, '\n', static_cast<size_t>(data_end - line)));
      if (nl == nullptr) break;
      if (nl != line) {
        agg.add_line(line, static_cast<size_t>(nl - line), static_cast<size_t>(buffer_end - line));
      }
      line = nl + 1;
    }
    tail = static_cast<size_t>(data_end - line);
    std::memmove(base, line, tail);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);

  agg.print(stdout);
  if (std::fflush(stdout) != 0) return 1;
  std::fprintf(stderr, "lines=%llu seconds=%.6f\n", static_cast<unsigned long long>(agg.lines()),
               seconds);
  if (agg.bad_lines() > 0) {
    std::fprintf(stderr, "bare_simdjson: %llu bad lines skipped\n",
                 static_cast<unsigned long long>(agg.bad_lines()));
  }
  return 0;
}
