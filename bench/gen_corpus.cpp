// gen_corpus: writes a deterministic corpus of access-log lines for the benchmarks.
//
// Usage: gen_corpus [--format json|logfmt|apache] LINES OUT_FILE [SEED]
//        (default format json, default seed 42; OUT_FILE "-" is stdout)
//
// Formats:
// - json (the default): described below.
// - logfmt: the same records, key for key and byte for byte in every value, written as logfmt
//   (`ts=... level=info msg="request done" ... kubernetes.pod=... kubernetes.labels.app=...`);
//   msg is always quoted (its escaped quotes are valid logfmt escapes too), the nested object's
//   keys are dotted. Same seed, same records as the json corpus.
// - apache: the Apache combined log format (`%h %l %u %t "%r" %>s %b "%{Referer}i"
//   "%{User-agent}i"`) of the same kind of traffic: client address from a pool of 64, method,
//   path, status, bytes (`-` for 0), referer, user agent from a pool of 6. Its records are drawn
//   from the same generator but are not the json corpus' records.
//
// Each line is one JSON object shaped like what a service mesh or an HTTP framework logs:
// ts, level, msg, service, method, path, status, duration_ms, bytes, a 64-bit trace_id, and a
// nested `kubernetes` object (pod, labels.app) added by the log shipper; about 280 bytes a line.
// Distributions are
// skewed the way real traffic is (mostly GET, mostly 200, log-normal durations with a long
// tail) so hash maps and histograms see a realistic mix of hot and cold series.
//
// Determinism: the same arguments give the same bytes on every platform. Randomness comes from
// our own splitmix64 generator, and every value is derived with integer arithmetic or exact
// floating-point steps (+, *, floor, ldexp), never with <random> distributions or libm
// functions (exp, log), whose results differ between standard libraries.
//
// Speed: lines are assembled with std::to_chars and memcpy into one large buffer that is
// written with fwrite in 8 MiB pieces; 2 million lines take well under a second.
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace {

constexpr uint64_t kDefaultSeed = 42;
constexpr size_t kFlushBytes = 8u << 20;  ///< Output is written in pieces of about this size.
constexpr size_t kMaxLineBytes = 2048;    ///< Upper bound of one generated line (checked).

/// splitmix64: a tiny, well-mixed 64-bit generator whose output is fully defined by its seed.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) noexcept : state_(seed) {}

  uint64_t next() noexcept {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, n). Multiply-shift instead of `%`: the bias (< n / 2^32) is irrelevant here.
  uint32_t below(uint32_t n) noexcept {
    return static_cast<uint32_t>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

  /// Uniform in [0, 1) with 53 random bits; exact, so identical on every platform.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// True with probability num/den.
  bool chance(uint32_t num, uint32_t den) noexcept { return below(den) < num; }

 private:
  uint64_t state_;
};

/// Picks values with integer weights.
template <typename T>
class Weighted {
 public:
  Weighted(std::initializer_list<std::pair<T, uint32_t>> items) {
    for (const auto& [value, weight] : items) {
      total_ += weight;
      values_.push_back(value);
      cumulative_.push_back(total_);
    }
  }

  const T& pick(SplitMix64& rng) const noexcept {
    const uint32_t r = rng.below(total_);
    size_t i = 0;
    while (cumulative_[i] <= r) ++i;
    return values_[i];
  }

 private:
  std::vector<T> values_;
  std::vector<uint32_t> cumulative_;
  uint32_t total_ = 0;
};

struct Service {
  std::string_view name;
  double log2_median_us;  ///< Median duration as log2(microseconds).
  std::vector<std::string> pods;
};

/// A route template; `{id}` becomes a decimal id and `{key}` a 12-character hex key in `path`.
struct Route {
  std::string_view tmpl;
  uint32_t service;
};

/// Appends text and numbers to a caller-provided buffer that is known to be large enough.
class Writer {
 public:
  explicit Writer(char* p) noexcept : p_(p) {}
  char* pos() const noexcept { return p_; }

  void put(std::string_view s) noexcept {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void put(char c) noexcept { *p_++ = c; }

  void put_uint(uint64_t v) noexcept {
    // 20 digits hold any uint64_t, and the buffer always has kMaxLineBytes spare.
    p_ = std::to_chars(p_, p_ + 20, v).ptr;
  }

  /// `v` with exactly `width` digits, zero-padded (v must fit).
  void put_padded(uint64_t v, int width) noexcept {
    for (int i = width - 1; i >= 0; --i) {
      p_[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p_ += width;
  }

  /// Thousandths as a decimal with exactly three fractional digits: 12345 -> "12.345".
  void put_milli(uint64_t thousandths) noexcept {
    put_uint(thousandths / 1000);
    put('.');
    put_padded(thousandths % 1000, 3);
  }

  void put_hex(uint64_t v, int digits) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; --i) {
      p_[i] = kHex[v & 15];
      v >>= 4;
    }
    p_ += digits;
  }

 private:
  char* p_;
};

/// Writes the RFC 3339 timestamp of `micros` since the epoch, with milliseconds, in UTC.
/// The date part changes once a day at most, so it is cached as text.
class TimestampFormatter {
 public:
  void put(Writer& w, int64_t micros) {
    constexpr int64_t kMicrosPerDay = 86'400'000'000LL;
    const int64_t day = micros / kMicrosPerDay;  // Corpus times are after 1970: no negatives.
    if (day != cached_day_) {
      const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
      char buf[16];
      Writer dw(buf);
      dw.put_padded(static_cast<uint64_t>(static_cast<int>(ymd.year())), 4);
      dw.put('-');
      dw.put_padded(static_cast<unsigned>(ymd.month()), 2);
      dw.put('-');
      dw.put_padded(static_cast<unsigned>(ymd.day()), 2);
      dw.put('T');
      date_.assign(buf, dw.pos());
      cached_day_ = day;
    }
    w.put(date_);
    const int64_t ms_of_day = (micros % kMicrosPerDay) / 1000;
    w.put_padded(static_cast<uint64_t>(ms_of_day / 3'600'000), 2);
    w.put(':');
    w.put_padded(static_cast<uint64_t>(ms_of_day / 60'000 % 60), 2);
    w.put(':');
    w.put_padded(static_cast<uint64_t>(ms_of_day / 1000 % 60), 2);
    w.put('.');
    w.put_padded(static_cast<uint64_t>(ms_of_day % 1000), 3);
    w.put('Z');
  }

 private:
  int64_t cached_day_ = -1;
  std::string date_;
};

/// Histogram bounds of the benchmark config, in microseconds. Durations that land exactly on
/// one are moved up by 1 us, so `value * 0.001 <= bound` cannot depend on rounding (x*0.001 and
/// x/1000 may differ in the last bit) and every implementation agrees on the bucket.
constexpr std::array<uint64_t, 11> kBucketBoundsMicros = {
    5'000,   10'000,    25'000,    50'000,    100'000,   250'000,
    500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

constexpr uint64_t kMinDurationMicros = 200;         // 0.2 ms
constexpr uint64_t kMaxDurationMicros = 20'000'000;  // 20 s

class CorpusGenerator {
 public:
  explicit CorpusGenerator(uint64_t seed) : rng_(seed) {
    services_ = {
        {"checkout", 15.6, {}}, {"cart", 13.2, {}}, {"catalog", 13.8, {}},  {"search", 16.2, {}},
        {"users", 12.8, {}},    {"auth", 12.0, {}}, {"payments", 17.0, {}}, {"shipping", 14.8, {}},
    };
    // Pod names look like a Deployment's: <service>-<template hash>-<suffix>, 3 pods each.
    static constexpr char kPodChars[] = "bcdfghjklmnpqrstvwxz2456789";
    for (Service& s : services_) {
      const uint64_t template_hash = rng_.next();
      for (int i = 0; i < 3; ++i) {
        std::string pod(s.name);
        char buf[32];
        Writer w(buf);
        w.put('-');
        w.put_hex(template_hash, 10);
        w.put('-');
        for (int c = 0; c < 5; ++c) w.put(kPodChars[rng_.below(sizeof(kPodChars) - 1)]);
        pod.append(buf, w.pos());
        s.pods.push_back(std::move(pod));
      }
    }
  }

  enum class Format { kJson, kLogfmt, kApache };

  /// Writes one line (with its '\n') at `out`, which has kMaxLineBytes of room; returns its end.
  char* write_line(char* out, Format format) {
    if (format == Format::kLogfmt) return write_logfmt_line(out);
    if (format == Format::kApache) return write_apache_line(out);
    return write_json_line(out);
  }

  /// The json record, as logfmt: the same draws in the same order, so the same values.
  char* write_logfmt_line(char* out) {
    Writer w(out);
    now_micros_ += rng_.below(2000);
    const Route& route = kRoutes.pick(rng_);
    const Service& service = services_[route.service];
    const std::string_view method = kMethods.pick(rng_);
    const uint32_t status = kStatuses.pick(rng_);
    const uint64_t duration = duration_micros(service, status);
    const uint64_t bytes = response_bytes(status);

    w.put("ts=");
    timestamps_.put(w, now_micros_);
    w.put(" level=");
    w.put(level(status));
    w.put(" msg=\"");
    w.put(message(status, duration));
    w.put("\" service=");
    w.put(service.name);
    w.put(" method=");
    w.put(method);
    w.put(" path=");
    put_path(w, route.tmpl);
    w.put(" status=");
    w.put_uint(status);
    w.put(" duration_ms=");
    w.put_milli(duration);
    w.put(" bytes=");
    w.put_uint(bytes);
    w.put(" trace_id=");
    w.put_hex(rng_.next(), 16);
    w.put(" kubernetes.pod=");
    w.put(service.pods[rng_.below(static_cast<uint32_t>(service.pods.size()))]);
    w.put(" kubernetes.labels.app=");
    w.put(service.name);
    w.put('\n');
    return w.pos();
  }

  /// An Apache combined log line.
  char* write_apache_line(char* out) {
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static constexpr std::string_view kAgents[] = {
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "curl/7.88.1",
        "Go-http-client/1.1",
        "kube-probe/1.29",
    };
    Writer w(out);
    now_micros_ += rng_.below(2000);
    const Route& route = kRoutes.pick(rng_);
    const std::string_view method = kMethods.pick(rng_);
    const uint32_t status = kStatuses.pick(rng_);
    const uint64_t bytes = response_bytes(status);
    const uint32_t client = rng_.below(64);
    w.put("10.");
    w.put_uint(client / 16);
    w.put('.');
    w.put_uint(client % 16 * 7);
    w.put('.');
    w.put_uint(client * 3 + 1);
    w.put(" - - [");
    const int64_t secs = now_micros_ / 1'000'000;
    const std::chrono::sys_days day{std::chrono::days{secs / 86400}};
    const std::chrono::year_month_day ymd{day};
    w.put_padded(static_cast<unsigned>(ymd.day()), 2);
    w.put('/');
    w.put(kMonths[static_cast<unsigned>(ymd.month()) - 1]);
    w.put('/');
    w.put_padded(static_cast<uint64_t>(static_cast<int>(ymd.year())), 4);
    w.put(':');
    w.put_padded(static_cast<uint64_t>(secs % 86400 / 3600), 2);
    w.put(':');
    w.put_padded(static_cast<uint64_t>(secs % 3600 / 60), 2);
    w.put(':');
    w.put_padded(static_cast<uint64_t>(secs % 60), 2);
    w.put(" +0000] \"");
    w.put(method);
    w.put(' ');
    put_path(w, route.tmpl);
    w.put(" HTTP/1.1\" ");
    w.put_uint(status);
    w.put(' ');
    if (bytes == 0) {
      w.put('-');
    } else {
      w.put_uint(bytes);
    }
    w.put(rng_.chance(1, 3) ? " \"https://shop.example.com/\" \"" : " \"-\" \"");
    w.put(kAgents[rng_.below(sizeof(kAgents) / sizeof(kAgents[0]))]);
    w.put("\"\n");
    return w.pos();
  }

  char* write_json_line(char* out) {
    Writer w(out);
    now_micros_ += rng_.below(2000);  // About 1000 lines per second of log time.

    const Route& route = kRoutes.pick(rng_);
    const Service& service = services_[route.service];
    const std::string_view method = kMethods.pick(rng_);
    const uint32_t status = kStatuses.pick(rng_);
    const uint64_t duration = duration_micros(service, status);
    const uint64_t bytes = response_bytes(status);

    w.put(R"({"ts":")");
    timestamps_.put(w, now_micros_);
    w.put(R"(","level":")");
    w.put(level(status));
    w.put(R"(","msg":")");
    w.put(message(status, duration));
    w.put(R"(","service":")");
    w.put(service.name);
    w.put(R"(","method":")");
    w.put(method);
    w.put(R"(","path":")");
    put_path(w, route.tmpl);
    w.put(R"(","status":)");
    w.put_uint(status);
    w.put(R"(,"duration_ms":)");
    w.put_milli(duration);
    w.put(R"(,"bytes":)");
    w.put_uint(bytes);
    w.put(R"(,"trace_id":")");
    w.put_hex(rng_.next(), 16);
    w.put(R"(","kubernetes":{"pod":")");
    w.put(service.pods[rng_.below(static_cast<uint32_t>(service.pods.size()))]);
    w.put(R"(","labels":{"app":")");
    w.put(service.name);
    w.put("\"}}}\n");
    return w.pos();
  }

 private:
  std::string_view level(uint32_t status) {
    if (status >= 500) return rng_.chance(9, 10) ? "error" : "warn";
    if (status >= 400) return rng_.chance(3, 5) ? "warn" : "info";
    return rng_.chance(1, 12) ? "debug" : "info";
  }

  /// Messages are already JSON-escaped; several hold escaped quotes on purpose.
  std::string_view message(uint32_t status, uint64_t duration) {
    switch (status) {
      case 301:
        return "moved permanently";
      case 304:
        return "not modified";
      case 400:
        return R"(invalid \"id\" parameter)";
      case 401:
        return "token expired";
      case 403:
        return R"(role \"viewer\" may not write)";
      case 404:
        return "not found";
      case 409:
        return "version conflict";
      case 429:
        return "rate limit exceeded";
      case 500:
        return R"(panic: \"nil map\")";
      case 502:
        return R"(upstream \"gw\" reset)";
      case 503:
        return "no healthy upstream";
      default:
        break;
    }
    if (duration > 1'000'000) return "slow request";
    if (rng_.chance(1, 20)) return R"(used \"v1\" api)";
    return "request done";
  }

  /// Log-normal-ish duration in microseconds, in [0.2 ms, 20 s].
  ///
  /// A normal deviate is approximated by the Irwin-Hall sum of four uniforms (rescaled to unit
  /// variance), and 2^x by 2^floor(x) * (1 + frac(x)), which is within 6% of it. Both use only
  /// exact operations, so the corpus does not depend on the platform's libm.
  uint64_t duration_micros(const Service& service, uint32_t status) {
    constexpr double kSqrt3 = 1.7320508075688772;
    const double z = (rng_.unit() + rng_.unit() + rng_.unit() + rng_.unit() - 2.0) * kSqrt3;
    double e = service.log2_median_us + 1.7 * z;
    if (status >= 500) e += 2.0;        // Failures often wait for a timeout.
    if (rng_.chance(1, 200)) e += 5.0;  // Rare slow path: lock waits, cold caches, GC.
    if (status == 304 || status == 301) e -= 1.5;
    const double k = std::floor(e);
    double us = std::ldexp(1.0 + (e - k), static_cast<int>(k));
    if (us < static_cast<double>(kMinDurationMicros)) us = static_cast<double>(kMinDurationMicros);
    if (us > static_cast<double>(kMaxDurationMicros)) us = static_cast<double>(kMaxDurationMicros);
    uint64_t v = static_cast<uint64_t>(us);
    for (uint64_t bound : kBucketBoundsMicros) {
      if (v == bound) ++v;
    }
    return v;
  }

  uint64_t response_bytes(uint32_t status) {
    if (status == 204 || status == 304) return 0;
    if (status >= 300) return 60 + rng_.below(400);
    // 2xx bodies: log-uniform from 128 B to 32 KiB, with 1% large downloads up to 4 MiB.
    const double e = rng_.chance(1, 100) ? 15.0 + 7.0 * rng_.unit() : 7.0 + 8.0 * rng_.unit();
    const double k = std::floor(e);
    return static_cast<uint64_t>(std::ldexp(1.0 + (e - k), static_cast<int>(k)));
  }

  void put_path(Writer& w, std::string_view tmpl) {
    size_t i = 0;
    while (i < tmpl.size()) {
      if (tmpl.compare(i, 4, "{id}") == 0) {
        // Ids span several orders of magnitude, like auto-increment keys of a real shop.
        const uint32_t digits = 1 + rng_.below(7);
        uint64_t id = 1;
        for (uint32_t d = 0; d < digits; ++d) id *= 10;
        w.put_uint(id / 10 + rng_.below(static_cast<uint32_t>(id - id / 10)));
        i += 4;
      } else if (tmpl.compare(i, 5, "{key}") == 0) {
        w.put_hex(rng_.next(), 12);
        i += 5;
      } else {
        w.put(tmpl[i]);
        ++i;
      }
    }
  }

  // Routes: 32 templates over 8 services; catalog and search take most of the traffic.
  inline static const Weighted<Route> kRoutes = {
      {{"/api/v1/checkout", 0}, 12},
      {{"/api/v1/checkout/{id}", 0}, 8},
      {{"/api/v1/checkout/{id}/confirm", 0}, 6},
      {{"/api/v1/cart", 1}, 30},
      {{"/api/v1/cart/{id}", 1}, 40},
      {{"/api/v1/cart/{id}/items", 1}, 35},
      {{"/api/v1/cart/{id}/items/{id}", 1}, 15},
      {{"/api/v1/products", 2}, 60},
      {{"/api/v1/products/{id}", 2}, 150},
      {{"/api/v1/products/{id}/reviews", 2}, 25},
      {{"/api/v1/categories", 2}, 20},
      {{"/api/v1/categories/{id}/products", 2}, 45},
      {{"/api/v1/search", 3}, 90},
      {{"/api/v1/search/suggest", 3}, 70},
      {{"/api/v2/search", 3}, 20},
      {{"/api/v1/users/{id}", 4}, 30},
      {{"/api/v1/users/{id}/profile", 4}, 15},
      {{"/api/v1/users/{id}/addresses", 4}, 8},
      {{"/api/v1/users/{id}/orders", 4}, 12},
      {{"/auth/login", 5}, 10},
      {{"/auth/logout", 5}, 4},
      {{"/auth/token/refresh", 5}, 40},
      {{"/auth/sessions/{key}", 5}, 12},
      {{"/api/v1/payments/{key}", 6}, 6},
      {{"/api/v1/payments/{key}/capture", 6}, 5},
      {{"/api/v1/payments/{key}/refund", 6}, 1},
      {{"/api/v1/payment-methods", 6}, 7},
      {{"/api/v1/shipments/{id}", 7}, 9},
      {{"/api/v1/shipments/{id}/track", 7}, 14},
      {{"/api/v1/rates", 7}, 6},
      {{"/api/v1/orders/{id}/shipping", 7}, 5},
      {{"/healthz", 2}, 10},
  };

  inline static const Weighted<std::string_view> kMethods = {
      {"GET", 640}, {"POST", 200}, {"PUT", 70}, {"DELETE", 50}, {"PATCH", 40},
  };

  // Per mille.
  inline static const Weighted<uint32_t> kStatuses = {
      {200, 780}, {201, 45}, {204, 25}, {301, 5}, {304, 40}, {400, 20}, {401, 15},
      {403, 6},   {404, 35}, {409, 4},  {429, 8}, {500, 9},  {502, 4},  {503, 4},
  };

  SplitMix64 rng_;
  std::vector<Service> services_;
  TimestampFormatter timestamps_;
  // 2024-05-14T09:00:00Z, in microseconds since the epoch.
  int64_t now_micros_ =
      std::chrono::duration_cast<std::chrono::microseconds>(
          (std::chrono::sys_days{std::chrono::year{2024} / 5 / 14} + std::chrono::hours{9})
              .time_since_epoch())
          .count();
};

bool parse_u64(const char* text, uint64_t& out) {
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && ptr == end && ptr != text;
}

int usage() {
  std::fputs(
      "usage: gen_corpus [--format json|logfmt|apache] LINES OUT_FILE [SEED]   (OUT_FILE '-' "
      "writes to stdout)\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CorpusGenerator::Format format = CorpusGenerator::Format::kJson;
  if (argc >= 3 && std::string_view(argv[1]) == "--format") {
    const std::string_view f = argv[2];
    if (f == "json") {
      format = CorpusGenerator::Format::kJson;
    } else if (f == "logfmt") {
      format = CorpusGenerator::Format::kLogfmt;
    } else if (f == "apache") {
      format = CorpusGenerator::Format::kApache;
    } else {
      return usage();
    }
    argc -= 2;
    argv += 2;
  }
  if (argc < 3 || argc > 4) return usage();
  uint64_t lines = 0;
  uint64_t seed = kDefaultSeed;
  if (!parse_u64(argv[1], lines) || (argc == 4 && !parse_u64(argv[3], seed))) return usage();

  const std::string_view path = argv[2];
  FILE* out = path == "-" ? stdout : std::fopen(argv[2], "wb");
  if (out == nullptr) {
    std::fprintf(stderr, "gen_corpus: cannot open %s: %s\n", argv[2], std::strerror(errno));
    return 1;
  }

  CorpusGenerator gen(seed);
  std::vector<char> buf(kFlushBytes + kMaxLineBytes);
  char* const begin = buf.data();
  char* p = begin;
  uint64_t total_bytes = 0;
  bool ok = true;
  for (uint64_t i = 0; i < lines && ok; ++i) {
    char* const line_end = gen.write_line(p, format);
    if (static_cast<size_t>(line_end - p) > kMaxLineBytes) {
      std::fputs("gen_corpus: internal error: line longer than kMaxLineBytes\n", stderr);
      return 1;
    }
    p = line_end;
    if (static_cast<size_t>(p - begin) >= kFlushBytes || i + 1 == lines) {
      const size_t n = static_cast<size_t>(p - begin);
      ok = std::fwrite(begin, 1, n, out) == n;
      total_bytes += n;
      p = begin;
    }
  }
  const bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  ok = closed && ok;
  if (!ok) {
    std::fprintf(stderr, "gen_corpus: write to %s failed: %s\n", argv[2], std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "gen_corpus: lines=%llu bytes=%llu seed=%llu\n",
               static_cast<unsigned long long>(lines), static_cast<unsigned long long>(total_bytes),
               static_cast<unsigned long long>(seed));
  return 0;
}
