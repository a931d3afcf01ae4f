#include "transforms/event_time.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace logtally::transforms {

namespace {

using core::ErrorCode;
using core::make_error;

constexpr int64_t kNanos = 1'000'000'000;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string_view trim(std::string_view t) noexcept {
  while (!t.empty() && (is_blank(t.front()) || t.front() == '\r' || t.front() == '\n')) {
    t.remove_prefix(1);
  }
  while (!t.empty() && (is_blank(t.back()) || t.back() == '\r' || t.back() == '\n')) {
    t.remove_suffix(1);
  }
  return t;
}

// Reads between `min` and `max` digits at t[i...]; advances i.
bool read_int(std::string_view t, size_t& i, size_t min, size_t max, int64_t& out) noexcept {
  size_t n = 0;
  int64_t v = 0;
  while (i + n < t.size() && n < max && is_digit(t[i + n])) {
    v = v * 10 + (t[i + n] - '0');
    ++n;
  }
  if (n < min) return false;
  i += n;
  out = v;
  return true;
}

// A fraction's digits at t[i...] (after the separator) as nanoseconds; digits past the ninth
// are read and ignored.
bool read_fraction(std::string_view t, size_t& i, int64_t& ns) noexcept {
  size_t n = 0;
  int64_t v = 0;
  while (i < t.size() && is_digit(t[i])) {
    if (n < 9) v = v * 10 + (t[i] - '0');
    ++n;
    ++i;
  }
  if (n == 0) return false;
  for (size_t k = n; k < 9; ++k) v *= 10;
  ns = v;
  return true;
}

// `Z`, `±hh:mm`, `±hhmm` or `±hh` at t[i...]: the offset east of UTC in seconds.
bool read_offset(std::string_view t, size_t& i, int32_t& offset) noexcept {
  if (i >= t.size()) return false;
  if (t[i] == 'Z' || t[i] == 'z') {
    ++i;
    offset = 0;
    return true;
  }
  if (t[i] != '+' && t[i] != '-') return false;
  const int sign = t[i] == '-' ? -1 : 1;
  size_t j = i + 1;
  int64_t h = 0, m = 0;
  if (!read_int(t, j, 2, 2, h)) return false;
  if (j < t.size() && t[j] == ':') {
    ++j;
    if (!read_int(t, j, 2, 2, m)) return false;
  } else if (j + 1 < t.size() && is_digit(t[j]) && is_digit(t[j + 1])) {
    if (!read_int(t, j, 2, 2, m)) return false;
  }
  if (h > 23 || m > 59) return false;
  offset = static_cast<int32_t>(sign * (h * 3600 + m * 60));
  i = j;
  return true;
}

constexpr const char* kMonths[] = {"january",   "february", "march",    "april",
                                   "may",       "june",     "july",     "august",
                                   "september", "october",  "november", "december"};
constexpr const char* kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                     "thursday", "friday", "saturday"};

// A name from `names` at t[i...], full or its first three letters, any case: its index.
template <size_t N>
bool read_name(std::string_view t, size_t& i, const char* const (&names)[N], int& index) noexcept {
  for (size_t k = 0; k < N; ++k) {
    const size_t len = std::strlen(names[k]);
    auto matches = [&](size_t n) {
      if (i + n > t.size()) return false;
      for (size_t c = 0; c < n; ++c) {
        if (lower(t[i + c]) != names[k][c]) return false;
      }
      return true;
    };
    if (matches(len)) {
      i += len;
      index = static_cast<int>(k);
      return true;
    }
    if (matches(3)) {
      i += 3;
      index = static_cast<int>(k);
      return true;
    }
  }
  return false;
}

bool leap(int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool valid_date(int64_t y, int64_t m, int64_t d) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

// An epoch number (digits, an optional fraction, an optional sign) in `unit` nanoseconds.
bool parse_epoch(std::string_view t, int64_t unit, int64_t& ns) noexcept {
  bool negative = false;
  size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) negative = t[i++] == '-';
  int64_t whole = 0;
  size_t n = 0;
  while (i < t.size() && is_digit(t[i])) {
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, t[i] - '0', &whole)) {
      return false;  // Beyond int64.
    }
    ++n;
    ++i;
  }
  int64_t frac_ns = 0;  // The fraction of one unit, in nanoseconds of a unit of 1 s.
  bool has_fraction = false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    has_fraction = read_fraction(t, i, frac_ns);
    if (!has_fraction) return false;
  }
  if (n == 0 || i != t.size()) return false;
  if (whole > INT64_MAX / unit) return false;
  // frac_ns is the fraction scaled to 1e9; one unit is `unit` ns.
  int64_t v = 0;
  if (__builtin_add_overflow(whole * unit, has_fraction ? frac_ns / (kNanos / unit) : 0, &v)) {
    return false;
  }
  ns = negative ? -v : v;
  return true;
}

// Seconds and a fraction in nanoseconds as nanoseconds since the epoch: false outside what an
// int64 of nanoseconds holds (the years 1677 to 2262).
bool to_unix_ns(int64_t seconds, int64_t frac, int64_t& out) noexcept {
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNanos, &ns)) return false;
  return !__builtin_add_overflow(ns, frac, &out);
}

uint32_t be32(const unsigned char* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
int64_t be64(const unsigned char* p) noexcept {
  return static_cast<int64_t>((uint64_t{be32(p)} << 32) | be32(p + 4));
}

}  // namespace

int64_t days_from_civil_date(int64_t y, unsigned m, unsigned d) noexcept {
  // Howard Hinnant's days_from_civil, written out here.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

core::Result<TimeZone> TimeZone::named(std::string_view name) {
  TimeZone z;
  z.name_ = std::string(name);
  if (name.empty() || name == "UTC" || name == "Z" || name == "utc" || name == "Etc/UTC") {
    z.name_ = "UTC";
    return z;
  }
  if (name[0] == '+' || name[0] == '-') {
    size_t i = 0;
    int32_t off = 0;
    if (!read_offset(name, i, off) || i != name.size()) {
      return make_error(ErrorCode::kConfig, "timezone '" + std::string(name) +
                                                "': expected UTC, an offset like +02:00 or "
                                                "an IANA name like Europe/Berlin");
    }
    z.fixed_ = off;
    return z;
  }
  // An IANA name: no "..", no leading '/', letters, digits and _ + - / only.
  bool ok = name.find("..") == std::string_view::npos && name[0] != '/';
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' ||
                c == '/');
  }
  const char* dir = std::getenv("TZDIR");
  const std::string path =
      std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + std::string(name);
  // A folder of zones (`Europe`) or anything else that is not a file is not a zone.
  std::error_code ec;
  const bool file = ok && std::filesystem::is_regular_file(path, ec);
  std::ifstream in;
  if (file) in.open(path, std::ios::binary);
  if (!file || !in) {
    return make_error(ErrorCode::kConfig,
                      "timezone '" + std::string(name) + "': not UTC, an offset (+02:00) or a " +
                          "time zone in " + (dir && *dir ? dir : "/usr/share/zoneinfo") +
                          " (Debian's tzdata package)");
  }
  const std::vector<unsigned char> b{std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>()};
  auto bad = [&] {
    return make_error(ErrorCode::kConfig,
                      "timezone '" + std::string(name) + "': " + path + " is not a TZif file");
  };
  if (b.size() < 44 || std::memcmp(b.data(), "TZif", 4) != 0) return bad();
  // The version-1 block (32-bit times), then for version 2+ a second header and block with
  // 64-bit times, which is the one read.
  auto counts = [&](size_t at, uint32_t c[6]) {
    for (size_t k = 0; k < 6; ++k) c[k] = be32(b.data() + at + 20 + 4 * k);
  };
  uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t at = 44;
  size_t time_size = 4;
  if (b[4] >= '2') {
    at += size_t{c[3]} * 4 + c[3] + size_t{c[4]} * 6 + c[5] + size_t{c[2]} * 8 + c[1] + c[0];
    if (b.size() < at + 44 || std::memcmp(b.data() + at, "TZif", 4) != 0) return bad();
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  const size_t timecnt = c[3], typecnt = c[4];
  const size_t need = at + timecnt * time_size + timecnt + typecnt * 6;
  if (typecnt == 0 || b.size() < need) return bad();
  const unsigned char* times = b.data() + at;
  const unsigned char* idx = times + timecnt * time_size;
  const unsigned char* types = idx + timecnt;
  auto utoff = [&](size_t type) { return static_cast<int32_t>(be32(types + 6 * type)); };
  z.offset_before_ = utoff(0);
  for (size_t k = 0; k < timecnt; ++k) {
    const int64_t t =
        time_size == 8 ? be64(times + 8 * k) : static_cast<int32_t>(be32(times + 4 * k));
    if (idx[k] >= typecnt) return bad();
    if (!z.change_at_.empty() && t <= z.change_at_.back()) return bad();
    z.change_at_.push_back(t);
    z.offset_after_.push_back(utoff(idx[k]));
  }
  return z;
}

int32_t TimeZone::offset_at_utc(int64_t utc) const noexcept {
  if (change_at_.empty()) return fixed_;
  const auto it = std::upper_bound(change_at_.begin(), change_at_.end(), utc);
  if (it == change_at_.begin()) return offset_before_;
  return offset_after_[static_cast<size_t>(it - change_at_.begin()) - 1];
}

int64_t TimeZone::utc_from_local(int64_t local) const noexcept {
  if (change_at_.empty()) return local - fixed_;
  // The offsets a day before and a day after; where they differ a change is near. A local
  // time valid under the earlier offset takes it (in an overlap: the first of the two
  // instants), else under the later one; a time in a gap takes the earlier offset.
  const int32_t before = offset_at_utc(local - 86400);
  const int32_t after = offset_at_utc(local + 86400);
  if (before == after || offset_at_utc(local - before) == before) return local - before;
  if (offset_at_utc(local - after) == after) return local - after;
  return local - before;
}

core::Result<TimeFormat> TimeFormat::compile(std::string_view format, std::string_view timezone) {
  TimeFormat f;
  f.format_ = std::string(format);
  auto zone = TimeZone::named(timezone);
  if (!zone) return zone.error();
  f.zone_ = std::move(*zone);
  if (format == "rfc3339") {
    f.kind_ = Kind::kRfc3339;
  } else if (format == "unix") {
    f.kind_ = Kind::kUnix;
  } else if (format == "unix_ms") {
    f.kind_ = Kind::kUnixMs;
  } else if (format == "unix_us") {
    f.kind_ = Kind::kUnixUs;
  } else if (format == "unix_ns") {
    f.kind_ = Kind::kUnixNs;
  } else if (format.find('%') == std::string_view::npos) {
    return make_error(ErrorCode::kConfig,
                      "format '" + std::string(format) +
                          "': expected rfc3339, unix, unix_ms, unix_us, unix_ns or a "
                          "strftime-style pattern such as '%d/%b/%Y:%H:%M:%S %z'");
  } else {
    f.kind_ = Kind::kPattern;
    static constexpr std::string_view kKnown = "YymdeHIpMSfbhBaAjzZsTF%";
    bool has_date = false;
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') {
        if (f.ops_.empty() || f.ops_.back().directive != 0) f.ops_.push_back({});
        f.ops_.back().literal += format[i];
        continue;
      }
      if (i + 1 >= format.size() || kKnown.find(format[i + 1]) == std::string_view::npos) {
        return make_error(ErrorCode::kConfig,
                          "format '" + std::string(format) + "' column " + std::to_string(i + 1) +
                              ": unknown directive '" + std::string(format.substr(i, 2)) +
                              "'; known: %Y %y %m %d %e %H %I %p %M %S %f %b %h %B %a %A %j %z "
                              "%Z %s %T %F %%");
      }
      const char d = format[++i];
      has_date = has_date || d == 'Y' || d == 'y' || d == 's' || d == 'F';
      if (d == '%') {
        if (f.ops_.empty() || f.ops_.back().directive != 0) f.ops_.push_back({});
        f.ops_.back().literal += '%';
      } else if (d == 'T' || d == 'F') {
        // Expanded: %T is %H:%M:%S, %F is %Y-%m-%d.
        const char* parts = d == 'T' ? "H:M:S" : "Y-m-d";
        for (const char* p = parts; *p; ++p) {
          if (*p == ':' || *p == '-') {
            f.ops_.push_back({0, std::string(1, *p)});
          } else {
            f.ops_.push_back({*p, {}});
          }
        }
      } else {
        f.ops_.push_back({d, {}});
      }
    }
    if (!has_date) {
      return make_error(ErrorCode::kConfig, "format '" + std::string(format) +
                                                "': a pattern needs the year (%Y, %y or %F) or "
                                                "%s: times without a date would be ambiguous");
    }
  }
  return f;
}

bool TimeFormat::parse(std::string_view text, int64_t& unix_ns) const noexcept {
  const std::string_view t = trim(text);
  switch (kind_) {
    case Kind::kRfc3339:
      return parse_rfc3339(t, unix_ns);
    case Kind::kUnix:
      return parse_epoch(t, kNanos, unix_ns);
    case Kind::kUnixMs:
      return parse_epoch(t, 1'000'000, unix_ns);
    case Kind::kUnixUs:
      return parse_epoch(t, 1'000, unix_ns);
    case Kind::kUnixNs:
      return parse_epoch(t, 1, unix_ns);
    case Kind::kPattern:
      return parse_pattern(t, unix_ns);
  }
  return false;
}

bool TimeFormat::parse_rfc3339(std::string_view t, int64_t& unix_ns) const noexcept {
  size_t i = 0;
  int64_t y, mo, d, h, mi, s, frac = 0;
  if (!read_int(t, i, 4, 4, y) || i >= t.size() || t[i++] != '-' || !read_int(t, i, 2, 2, mo) ||
      i >= t.size() || t[i++] != '-' || !read_int(t, i, 2, 2, d)) {
    return false;
  }
  if (i >= t.size() || (t[i] != 'T' && t[i] != 't' && t[i] != ' ')) return false;
  ++i;
  if (!read_int(t, i, 2, 2, h) || i >= t.size() || t[i++] != ':' || !read_int(t, i, 2, 2, mi) ||
      i >= t.size() || t[i++] != ':' || !read_int(t, i, 2, 2, s)) {
    return false;
  }
  if (i < t.size() && (t[i] == '.' || t[i] == ',')) {
    ++i;
    if (!read_fraction(t, i, frac)) return false;
  }
  if (!valid_date(y, mo, d) || h > 23 || mi > 59 || s > 60) return false;
  const int64_t local =
      days_from_civil_date(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
      h * 3600 + mi * 60 + s;
  int64_t utc;
  if (i == t.size()) {
    utc = zone_.utc_from_local(local);
  } else {
    int32_t off = 0;
    if (!read_offset(t, i, off) || i != t.size()) return false;
    utc = local - off;
  }
  return to_unix_ns(utc, frac, unix_ns);
}

bool TimeFormat::parse_pattern(std::string_view t, int64_t& unix_ns) const noexcept {
  int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, frac = 0, yday = -1, epoch = 0;
  bool has_epoch = false, has_offset = false, pm = false, has_ampm = false;
  int32_t offset = 0;
  size_t i = 0;
  for (size_t k = 0; k < ops_.size(); ++k) {
    const Op& op = ops_[k];
    if (op.directive == 0) {
      for (char c : op.literal) {
        if (is_blank(c)) {
          while (i < t.size() && is_blank(t[i])) ++i;
        } else {
          if (i >= t.size() || t[i] != c) return false;
          ++i;
        }
      }
      continue;
    }
    int name = 0;
    switch (op.directive) {
      case 'Y':
        if (!read_int(t, i, 4, 4, y)) return false;
        break;
      case 'y':
        if (!read_int(t, i, 2, 2, y)) return false;
        y += y < 69 ? 2000 : 1900;
        break;
      case 'm':
        if (!read_int(t, i, 1, 2, mo)) return false;
        break;
      case 'd':
        if (!read_int(t, i, 1, 2, d)) return false;
        break;
      case 'e':
        while (i < t.size() && t[i] == ' ') ++i;
        if (!read_int(t, i, 1, 2, d)) return false;
        break;
      case 'H':
      case 'I':
        if (!read_int(t, i, 1, 2, h)) return false;
        break;
      case 'p':
        if (i + 2 > t.size()) return false;
        if ((lower(t[i]) != 'a' && lower(t[i]) != 'p') || lower(t[i + 1]) != 'm') return false;
        pm = lower(t[i]) == 'p';
        has_ampm = true;
        i += 2;
        break;
      case 'M':
        if (!read_int(t, i, 1, 2, mi)) return false;
        break;
      case 'S': {
        if (!read_int(t, i, 1, 2, s)) return false;
        // An optional fraction, unless the pattern itself goes on with the separator.
        const bool next_is_sep = k + 1 < ops_.size() && ops_[k + 1].directive == 0 &&
                                 (ops_[k + 1].literal[0] == '.' || ops_[k + 1].literal[0] == ',');
        if (!next_is_sep && i + 1 < t.size() && (t[i] == '.' || t[i] == ',') &&
            is_digit(t[i + 1])) {
          ++i;
          if (!read_fraction(t, i, frac)) return false;
        }
        break;
      }
      case 'f':
        if (!read_fraction(t, i, frac)) return false;
        break;
      case 'b':
      case 'h':
      case 'B':
        if (!read_name(t, i, kMonths, name)) return false;
        mo = name + 1;
        break;
      case 'a':
      case 'A':
        if (!read_name(t, i, kWeekdays, name)) return false;
        break;
      case 'j':
        if (!read_int(t, i, 1, 3, yday)) return false;
        break;
      case 'z':
        if (!read_offset(t, i, offset)) return false;
        has_offset = true;
        break;
      case 'Z':
        if (t.substr(i, 3) == "UTC" || t.substr(i, 3) == "GMT") {
          i += 3;
        } else if (i < t.size() && t[i] == 'Z') {
          ++i;
        } else {
          return false;
        }
        has_offset = true;
        offset = 0;
        break;
      case 's': {
        const size_t start = i;
        if (i < t.size() && t[i] == '-') ++i;
        while (i < t.size() && is_digit(t[i])) ++i;
        if (!parse_epoch(t.substr(start, i - start), kNanos, epoch)) return false;
        has_epoch = true;
        break;
      }
      default:
        return false;
    }
  }
  if (i != t.size()) return false;
  if (has_epoch) return !__builtin_add_overflow(epoch, frac, &unix_ns);
  if (has_ampm) {
    if (h < 1 || h > 12) return false;
    h = (h % 12) + (pm ? 12 : 0);
  }
  if (yday >= 0) {
    if (yday < 1 || yday > (leap(y) ? 366 : 365)) return false;
    mo = 1;
    d = 1;
  }
  if (!valid_date(y, mo, d) || h > 23 || mi > 59 || s > 60) return false;
  int64_t days = days_from_civil_date(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  if (yday >= 0) days += yday - 1;
  const int64_t local = days * 86400 + h * 3600 + mi * 60 + s;
  const int64_t utc = has_offset ? local - offset : zone_.utc_from_local(local);
  return to_unix_ns(utc, frac, unix_ns);
}

}  // namespace logtally::transforms
