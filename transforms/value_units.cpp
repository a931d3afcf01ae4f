#include "transforms/value_units.h"

#include <charconv>
#include <cmath>

#include "transforms/event_time.h"

namespace logtally::transforms {

namespace {

std::string_view trim(std::string_view t) noexcept {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

// Reads an unsigned decimal number (digits, optional fraction, no exponent, no sign) at the
// start of `t`; returns its length, or 0 if there is none.
size_t read_decimal(std::string_view t, double& out) noexcept {
  size_t i = 0;
  size_t digits = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + i, out);
  if (ec != std::errc() || end != t.data() + i) return 0;
  return i;
}

// Reads exactly `n` digits at `t[at]`.
bool digits(std::string_view t, size_t at, size_t n, int& out) noexcept {
  if (at + n > t.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (t[i] < '0' || t[i] > '9') return false;
    out = out * 10 + (t[i] - '0');
  }
  return true;
}

bool leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::string_view value_unit_name(ValueUnit unit) noexcept {
  switch (unit) {
    case ValueUnit::kNone:
      return "none";
    case ValueUnit::kDuration:
      return "duration";
    case ValueUnit::kTimestamp:
      return "timestamp";
  }
  return "?";
}

bool parse_duration(std::string_view text, double& seconds) noexcept {
  std::string_view t = trim(text);
  double sign = 1;
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
    sign = t.front() == '-' ? -1 : 1;
    t.remove_prefix(1);
  }
  if (t.empty()) return false;
  double total = 0;
  bool first = true;
  while (!t.empty()) {
    double v = 0;
    const size_t n = read_decimal(t, v);
    if (n == 0) return false;
    t.remove_prefix(n);
    if (t.empty()) {
      // A bare number is seconds, but only on its own: "1h30" is not a duration.
      if (!first) return false;
      total = v;
      break;
    }
    double unit = 0;
    if (t.substr(0, 2) == "ns") {
      unit = 1e-9;
      t.remove_prefix(2);
    } else if (t.substr(0, 2) == "us") {
      unit = 1e-6;
      t.remove_prefix(2);
    } else if (t.substr(0, 3) == "\xC2\xB5s" || t.substr(0, 3) == "\xCE\xBCs") {  // µs, μs
      unit = 1e-6;
      t.remove_prefix(3);
    } else if (t.substr(0, 2) == "ms") {
      unit = 1e-3;
      t.remove_prefix(2);
    } else if (t.front() == 's') {
      unit = 1;
      t.remove_prefix(1);
    } else if (t.front() == 'm') {
      unit = 60;
      t.remove_prefix(1);
    } else if (t.front() == 'h') {
      unit = 3600;
      t.remove_prefix(1);
    } else if (t.front() == 'd') {
      unit = 86400;
      t.remove_prefix(1);
    } else {
      return false;
    }
    total += v * unit;
    first = false;
  }
  seconds = sign * total;
  return std::isfinite(seconds);
}

bool parse_rfc3339(std::string_view text, double& seconds) noexcept {
  const std::string_view t = trim(text);
  int year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
      t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
      !digits(t, 17, 2, second)) {
    return false;
  }
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  if (day > kDaysInMonth[month - 1] + (month == 2 && leap_year(year) ? 1 : 0)) return false;
  size_t i = 19;
  double fraction = 0;
  if (i < t.size() && t[i] == '.') {
    size_t j = i + 1;
    double scale = 0.1;
    while (j < t.size() && t[j] >= '0' && t[j] <= '9') {
      fraction += (t[j] - '0') * scale;
      scale *= 0.1;
      ++j;
    }
    if (j == i + 1) return false;
    i = j;
  }
  if (i >= t.size()) return false;  // No zone.
  int offset = 0;
  if (t[i] == 'Z' || t[i] == 'z') {
    ++i;
  } else if (t[i] == '+' || t[i] == '-') {
    int oh, om;
    if (!digits(t, i + 1, 2, oh) || i + 3 >= t.size() || t[i + 3] != ':' ||
        !digits(t, i + 4, 2, om) || oh > 23 || om > 59) {
      return false;
    }
    offset = (oh * 60 + om) * 60 * (t[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  if (i != t.size()) return false;
  const int64_t days =
      days_from_civil_date(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t whole =
      days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second - offset;
  seconds = static_cast<double>(whole) + fraction;
  return true;
}

double epoch_seconds(double v) noexcept {
  const double a = std::fabs(v);
  if (a < 1e11) return v;
  if (a < 1e14) return v / 1e3;
  if (a < 1e17) return v / 1e6;
  return v / 1e9;
}

}  // namespace logtally::transforms
