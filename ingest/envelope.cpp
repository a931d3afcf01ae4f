#include "ingest/envelope.h"

#include <algorithm>
#include <cstring>

#include "core/batch.h"

namespace logtally::ingest {

namespace od = simdjson::ondemand;

static_assert(core::kPadding >= simdjson::SIMDJSON_PADDING,
              "batch padding must cover simdjson's read-ahead");

namespace {

constexpr std::string_view kStreamNames[] = {"stdout", "stderr", std::string_view()};

bool digits(std::string_view s, size_t at, size_t n) noexcept {
  if (at + n > s.size()) return false;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// 0 stdout, 1 stderr, -1 anything else.
int stream_index(std::string_view s) noexcept {
  if (s == "stdout") return 0;
  if (s == "stderr") return 1;
  return -1;
}

}  // namespace

bool is_rfc3339(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS
  if (!digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
      !digits(s, 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2) || s[13] != ':' ||
      !digits(s, 14, 2) || s[16] != ':' || !digits(s, 17, 2)) {
    return false;
  }
  size_t i = 19;
  if (s[i] == '.') {
    const size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 9) return false;
  }
  if (i == s.size()) return false;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  return s.size() == i + 6 && digits(s, i + 1, 2) && s[i + 3] == ':' && digits(s, i + 4, 2);
}

core::SourceFieldsPtr envelope_fields(const core::SourceFieldsPtr& base) {
  auto f = std::make_shared<core::SourceFields>();
  if (base) *f = *base;
  f->record_columns.emplace_back(kEnvelopeStreamField);
  f->record_columns.emplace_back(kEnvelopeTimeField);
  return f;
}

EnvelopeDecoder::EnvelopeDecoder(EnvelopeFormat format, size_t max_record_bytes)
    : format_(format), max_record_(max_record_bytes) {}

size_t EnvelopeDecoder::pending_bytes() const noexcept {
  size_t n = 0;
  for (const Join& j : joins_->join) n += j.text.size();
  return n;
}

void EnvelopeDecoder::Joins::replay(uint64_t end, const uint64_t* starts) noexcept {
  replay_end = end;
  for (size_t s = 0; s < kStreams; ++s) resume[s] = starts[s] < end ? starts[s] : end;
}

void EnvelopeDecoder::pending_starts(uint64_t* out) const noexcept {
  for (size_t s = 0; s < kStreams; ++s) {
    const Join& j = joins_->join[s];
    out[s] = j.active ? j.start : core::kNoJoin;
    const MultilineJoiner::Pending& m = joins_->multiline[s];
    if (m.active && m.start < out[s]) out[s] = m.start;
  }
}

DecodeStatus EnvelopeDecoder::decode(std::string_view line, Decoded& out,
                                     uint64_t line_start) noexcept {
  line_start_ = line_start;
  DecodeStatus st = DecodeStatus::kBadEnvelope;
  switch (format_) {
    case EnvelopeFormat::kNone:
      // Read again after a restore: before the record unfinished at the checkpoint, counted.
      if (line_start < joins_->replay_end && line_start < joins_->resume[2]) {
        return DecodeStatus::kReplayed;
      }
      out = Decoded{line, {}, {}, 2, line_start};
      return DecodeStatus::kRecord;
    case EnvelopeFormat::kCri:
      st = decode_cri(line, out);
      break;
    case EnvelopeFormat::kDocker:
      st = decode_docker(line, out);
      break;
  }
  // A bad line read again after a restore was counted as bad before the checkpoint.
  if (st == DecodeStatus::kBadEnvelope && line_start < joins_->replay_end) {
    return DecodeStatus::kReplayed;
  }
  return st;
}

DecodeStatus EnvelopeDecoder::decode_cri(std::string_view line, Decoded& out) noexcept {
  // <time> SP <stream> SP <tag> SP <content>; the content may be empty, and a line ending right
  // after the tag (no third space) is taken as an empty content too.
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return DecodeStatus::kBadEnvelope;
  const std::string_view time = line.substr(0, sp1);
  if (!is_rfc3339(time)) return DecodeStatus::kBadEnvelope;
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return DecodeStatus::kBadEnvelope;
  const int s = stream_index(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (s < 0) return DecodeStatus::kBadEnvelope;
  size_t sp3 = line.find(' ', sp2 + 1);
  const std::string_view tag =
      line.substr(sp2 + 1, (sp3 == std::string_view::npos ? line.size() : sp3) - sp2 - 1);
  // Only the first tag decides; kubelet allows more after colons (`P:TAG1:TAG2`).
  if (tag.empty() || (tag[0] != 'P' && tag[0] != 'F') || (tag.size() > 1 && tag[1] != ':')) {
    return DecodeStatus::kBadEnvelope;
  }
  const std::string_view content =
      sp3 == std::string_view::npos ? std::string_view() : line.substr(sp3 + 1);
  return piece(static_cast<size_t>(s), content, time, tag[0] == 'F', out);
}

DecodeStatus EnvelopeDecoder::decode_docker(std::string_view line, Decoded& out) noexcept {
  od::document doc;
  if (parser_.iterate(line.data(), line.size(), line.size() + core::kPadding).get(doc)) {
    return DecodeStatus::kBadEnvelope;
  }
  od::object obj;
  if (doc.get_object().get(obj)) return DecodeStatus::kBadEnvelope;
  std::string_view log, stream, time;
  bool has_log = false, has_stream = false, has_time = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return DecodeStatus::kBadEnvelope;
    std::string_view* target = nullptr;
    bool* seen = nullptr;
    if (key == "log") {
      target = &log;
      seen = &has_log;
    } else if (key == "stream") {
      target = &stream;
      seen = &has_stream;
    } else if (key == "time") {
      target = &time;
      seen = &has_time;
    }
    if (target == nullptr) {
      continue;  // Other keys (`attrs`, partial metadata): On-Demand skips their values.
    }
    // get_string() unescapes into the parser's string buffer, which lives until the next
    // iterate(); that is what the returned views rely on.
    if (field.value().get_string().get(*target)) return DecodeStatus::kBadEnvelope;
    *seen = true;
  }
  // Anything after the object makes the line invalid.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) return DecodeStatus::kBadEnvelope;
  if (!has_log) return DecodeStatus::kBadEnvelope;
  int s = 2;
  if (has_stream) {
    s = stream_index(stream);
    if (s < 0 || !has_time) return DecodeStatus::kBadEnvelope;
  }
  if (has_time && !is_rfc3339(time)) return DecodeStatus::kBadEnvelope;
  const bool final = !log.empty() && log.back() == '\n';
  if (final) log.remove_suffix(1);
  return piece(static_cast<size_t>(s), log, time, final, out);
}

DecodeStatus EnvelopeDecoder::piece(size_t s, std::string_view text, std::string_view time,
                                    bool final, Decoded& out) noexcept {
  // Read again after a restore: before its stream's unfinished join, it was counted already.
  if (line_start_ < joins_->replay_end && line_start_ < joins_->resume[s]) {
    return DecodeStatus::kReplayed;
  }
  Join& j = joins_->join[s];
  if (!j.active) {
    if (final) {
      if (text.size() > max_record_) return DecodeStatus::kTooLong;
      out = Decoded{text, kStreamNames[s], time, static_cast<uint8_t>(s), line_start_};
      return DecodeStatus::kRecord;
    }
    j.active = true;
    j.too_long = false;
    j.start = line_start_;
    j.text.clear();
    // Once per stream: no allocation per join afterwards. Joins given per input (a file each)
    // grow to their largest join instead, so that idle files do not hold max_record_bytes.
    if (joins_ == &own_ && j.text.capacity() < max_record_ && max_record_ <= (64u << 20)) {
      j.text.reserve(max_record_);
    }
    j.has_time = time.data() != nullptr;
    j.time_len = std::min(time.size(), sizeof(j.time));
    // An absent time is a null view: memcpy from null is undefined even for zero bytes.
    if (j.time_len > 0) std::memcpy(j.time, time.data(), j.time_len);
  }
  if (!j.too_long) {
    if (j.text.size() + text.size() > max_record_) {
      j.too_long = true;
      j.text.clear();
    } else {
      j.text.append(text);
    }
  }
  if (!final) return DecodeStatus::kPartial;
  j.active = false;
  if (j.too_long) {
    j.too_long = false;
    return DecodeStatus::kTooLong;
  }
  out = Decoded{j.text, kStreamNames[s],
                j.has_time ? std::string_view(j.time, j.time_len) : std::string_view(),
                static_cast<uint8_t>(s), j.start};
  return DecodeStatus::kRecord;
}

bool EnvelopeDecoder::flush(Decoded& out, DecodeStatus& status) noexcept {
  for (size_t s = 0; s < kStreams; ++s) {
    Join& j = joins_->join[s];
    if (!j.active) continue;
    j.active = false;
    if (j.too_long) {
      j.too_long = false;
      status = DecodeStatus::kTooLong;
      return true;
    }
    out = Decoded{j.text, kStreamNames[s],
                  j.has_time ? std::string_view(j.time, j.time_len) : std::string_view(),
                  static_cast<uint8_t>(s), j.start};
    status = DecodeStatus::kRecord;
    return true;
  }
  return false;
}

}  // namespace logtally::ingest
