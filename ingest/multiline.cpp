#include "ingest/multiline.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace logtally::ingest {

namespace {

// Buffers of a Pending are reserved whole only up to this; beyond, they grow as needed.
constexpr size_t kMaxReserve = 64u << 20;

}  // namespace

std::string MultilineConfig::describe(size_t max_record_bytes) const {
  std::string out = "multiline ";
  out += mode == Mode::kStart ? "start" : "continue";
  out += " \"" + pattern + "\" (max_lines " + std::to_string(max_lines) + ", max_bytes " +
         std::to_string(max_bytes != 0 ? max_bytes : max_record_bytes) + ", timeout " +
         std::to_string(timeout.count()) + "ms)";
  return out;
}

config::Option multiline_option() {
  return {"multiline", "map", "(none)",
          "Joins multi-line records (stack traces, tracebacks) into one record, lines separated "
          "by `\\n`: `start` or `continue` (an RE2), `max_lines`, `max_bytes`, `timeout` (see "
          "`source multiline` below and docs/multiline.md). With `format:`, the envelope is "
          "taken off first and lines are joined per stream."};
}

const config::OptionTable& multiline_options() {
  static const config::OptionTable table = {
      "source multiline",
      "The `multiline` map of a `file` or `stdin` source (docs/multiline.md). Give exactly one "
      "of `start` and `continue`. A record ends when the line starting the next one comes, "
      "when no line came for `timeout`, or at the end of the input. Records over a limit are "
      "cut (kept up to the limit, the rest of their lines discarded) and counted in "
      "`logtally_records_truncated_total{source,reason}`.",
      {
          {"start", "RE2 regular expression", "(none)",
           "A line it matches (anywhere in the line; anchor with `^`) starts a record; the "
           "lines after it that it does not match belong to that record."},
          {"continue", "RE2 regular expression", "(none)",
           "A line it matches belongs to the record before it; any other line starts a "
           "record."},
          {"max_lines", "integer 1..1000000", "500",
           "A record keeps at most this many lines (reason `max_lines`)."},
          {"max_bytes", "integer 16..max_record_bytes", "the source's max_record_bytes",
           "A record keeps at most this many bytes (reason `max_bytes`)."},
          {"timeout", "duration", "1s",
           "A record in progress is handed over when no line came for this long (at the end "
           "of the input, at once)."},
      }};
  return table;
}

std::shared_ptr<const MultilineConfig> read_multiline(config::Reader& reader,
                                                      const YAML::Node& source,
                                                      const std::string& what) {
  const YAML::Node n = source["multiline"];
  if (!n) return nullptr;
  const std::string w = what + " multiline";
  const config::OptionTable& table = multiline_options();
  if (!reader.check_keys(n, table, w)) return nullptr;
  auto out = std::make_shared<MultilineConfig>();
  bool ok = true;
  const YAML::Node start = n["start"];
  const YAML::Node cont = n["continue"];
  if (start && cont) {
    reader.error(cont, w + ": give 'start' or 'continue', not both");
    ok = false;
  } else if (!start && !cont) {
    reader.error(n, w + ": expected 'start' (a line starting a record) or 'continue' (a line "
                        "continuing the record before it), an RE2 regular expression");
    ok = false;
  } else {
    const YAML::Node re = start ? start : cont;
    const std::string key = start ? "start" : "continue";
    out->mode = start ? MultilineConfig::Mode::kStart : MultilineConfig::Mode::kContinue;
    if (auto p = reader.string_value(re, w + " " + key)) {
      if (p->empty()) {
        reader.error(re, w + " " + key + ": must not be empty");
        ok = false;
      } else if (reader.check_regex(re, *p, w + " " + key)) {
        RE2::Options options;
        options.set_log_errors(false);
        out->pattern = *p;
        out->regex = std::make_shared<const RE2>(*p, options);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (auto v = reader.integer_option(n, table, "max_lines", w + " max_lines", 1, 1000000)) {
    out->max_lines = static_cast<size_t>(*v);
  } else {
    ok = false;
  }
  if (n["max_bytes"]) {
    // Its upper bound is the source's max_record_bytes, known once the top level is read
    // (config/config.cpp checks it there, at this location).
    if (auto v = reader.integer_value(n["max_bytes"], w + " max_bytes", 16, 1LL << 30)) {
      out->max_bytes = static_cast<size_t>(*v);
      out->max_bytes_at = reader.where(n["max_bytes"]);
    } else {
      ok = false;
    }
  }
  if (auto d = reader.duration_option(n, table, "timeout", w + " timeout")) {
    out->timeout = *d;
  } else {
    ok = false;
  }
  if (!ok) return nullptr;
  return out;
}

TruncatedCounters TruncatedCounters::make(core::SelfMetrics* self_metrics,
                                          const std::string& source) {
  TruncatedCounters c;
  if (self_metrics == nullptr) return c;
  constexpr std::string_view kHelp =
      "Multi-line records cut at a limit of the source's `multiline` (reason max_lines or "
      "max_bytes): kept up to the limit, the rest of their lines discarded.";
  c.max_lines = &self_metrics->counter("logtally_records_truncated_total", kHelp,
                                       {{"source", source}, {"reason", "max_lines"}});
  c.max_bytes = &self_metrics->counter("logtally_records_truncated_total", kHelp,
                                       {{"source", source}, {"reason", "max_bytes"}});
  return c;
}

MultilineJoiner::MultilineJoiner(const MultilineConfig& config, size_t max_bytes, bool reserve)
    : regex_(*config.regex),
      keep_(config.regex),
      start_mode_(config.mode == MultilineConfig::Mode::kStart),
      max_lines_(config.max_lines),
      max_bytes_(max_bytes),
      timeout_(config.timeout),
      reserve_(reserve) {}

bool MultilineJoiner::ends_record(const Pending& p, std::string_view line) const noexcept {
  if (!p.active) return false;
  const bool match = RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), regex_);
  return start_mode_ ? match : !match;
}

MultilineJoiner::Record MultilineJoiner::take(Pending& p) noexcept {
  p.active = false;
  return Record{p.text, p.has_time ? std::string_view(p.time, p.time_len) : std::string_view(),
                p.cut};
}

void MultilineJoiner::add(Pending& p, std::string_view line, uint64_t line_start,
                          std::string_view time, Clock::time_point now) noexcept {
  p.last = now;
  if (!p.active) {
    p.active = true;
    p.start = line_start;
    p.lines = 0;
    p.cut = CutReason::kNone;
    p.text.clear();
    if (reserve_ && p.text.capacity() < max_bytes_ && max_bytes_ <= kMaxReserve) {
      p.text.reserve(max_bytes_);
    }
    p.has_time = time.data() != nullptr;
    p.time_len = static_cast<uint8_t>(std::min(time.size(), sizeof(p.time)));
    // An absent time is a null view: memcpy from null is undefined even for zero bytes.
    if (p.time_len > 0) std::memcpy(p.time, time.data(), p.time_len);
  }
  if (p.cut != CutReason::kNone) return;  // Cut: the rest of its lines are discarded.
  if (p.lines == max_lines_) {
    p.cut = CutReason::kMaxLines;
    return;
  }
  const size_t sep = p.lines > 0 ? 1 : 0;
  if (p.text.size() + sep + line.size() > max_bytes_) {
    // Kept up to the limit: the record is its first max_bytes bytes.
    p.cut = CutReason::kMaxBytes;
    if (p.text.size() + sep > max_bytes_) return;
    if (sep) p.text.push_back('\n');
    p.text.append(line.substr(0, max_bytes_ - p.text.size()));
    ++p.lines;
    return;
  }
  if (sep) p.text.push_back('\n');
  p.text.append(line);
  ++p.lines;
}

}  // namespace logtally::ingest
