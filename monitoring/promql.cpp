#include "monitoring/promql.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace logtally::monitoring {

const std::vector<std::string_view>& ratio_windows() {
  static const std::vector<std::string_view> windows = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"};
  return windows;
}

const std::vector<BurnCondition>& page_conditions() {
  static const std::vector<BurnCondition> c = {{14.4, "1h", "5m"}, {6, "6h", "30m"}};
  return c;
}

const std::vector<BurnCondition>& ticket_conditions() {
  static const std::vector<BurnCondition> c = {{3, "1d", "2h"}, {1, "3d", "6h"}};
  return c;
}

std::string ratio_record_name(std::string_view window) {
  return "slo:error_ratio:rate" + std::string(window);
}

std::string ratio_record_selector(const config::SloConfig& slo, std::string_view window) {
  return ratio_record_name(window) + "{slo=" + config::promql_string(slo.name) + "}";
}

std::string error_ratio_expr(const config::SloConfig& slo, std::string_view range) {
  const std::string r = "[" + std::string(range) + "]";
  if (!slo.latency) {
    return "(sum(rate(" + config::to_promql(slo.errors) + r + ")) or vector(0))\n/\nsum(rate(" +
           config::to_promql(slo.total) + r + "))";
  }
  config::Selector bucket = slo.histogram;
  bucket.metric += "_bucket";
  config::Selector count = slo.histogram;
  count.metric += "_count";
  return "1 - (\n  sum(rate(" + config::to_promql(bucket, {le_matcher(slo.good_le)}) + r +
         "))\n  /\n  sum(rate(" + config::to_promql(count) + r + "))\n)";
}

std::string format_number(double v) {
  // Rounded to 12 significant digits (14.4 * 0.001 stays 0.0144, 1 - 0.999 becomes 0.001), then
  // written as the shortest text that reads back as that, whole numbers without an exponent.
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.12g", v);
  const double r = std::strtod(buf, nullptr);
  if (r == std::floor(r) && std::fabs(r) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", r);
    return buf;
  }
  const auto res = std::to_chars(buf, buf + sizeof(buf), r);
  return std::string(buf, res.ptr);
}

double error_budget(const config::SloConfig& slo) {
  return std::strtod(format_number(1 - slo.objective / 100).c_str(), nullptr);
}

namespace {

// The shortest text that reads back as v: in either form (std::to_chars' choice), or in `fmt`.
std::string shortest(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}
std::string shortest(double v, std::chars_format fmt) {
  char buf[400];  // fixed notation of a large double is long
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  return std::string(buf, res.ptr);
}

// Go's strconv.FormatFloat(v, 'g', -1, 64), which Prometheus' text format and OpenMetrics
// start from: the shortest digits that read back as v, in exponent form when the decimal
// exponent is below -4 or at least 6 (%e style, two exponent digits at least), else plain.
std::string go_shortest_g(double v) {
  std::string sci = shortest(v, std::chars_format::scientific);
  const size_t e = sci.find('e');
  const int exponent = std::atoi(sci.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6) return sci;
  return shortest(v, std::chars_format::fixed);
}

}  // namespace

std::vector<std::string> le_spellings(double v) {
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    for (const std::string& o : out) {
      if (o == s) return;
    }
    out.push_back(std::move(s));
  };
  add(shortest(v));  // logtally's exposition (std::to_chars)
  const std::string go = go_shortest_g(v);
  add(go);
  if (go.find_first_of(".e") == std::string::npos) add(go + ".0");  // OpenMetrics
  return out;
}

config::LabelMatcher le_matcher(double v) {
  const std::vector<std::string> spellings = le_spellings(v);
  if (spellings.size() == 1) return {"le", config::MatchOp::kEqual, spellings.front()};
  std::string regex;
  for (const std::string& s : spellings) {
    if (!regex.empty()) regex += '|';
    for (const char c : s) {
      if (c == '.' || c == '+') regex += '\\';
      regex += c;
    }
  }
  return {"le", config::MatchOp::kRegex, regex};
}

}  // namespace logtally::monitoring
