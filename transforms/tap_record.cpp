#include "transforms/tap_record.h"

#include <charconv>
#include <cmath>

#include "core/metric_store.h"
#include "core/utf8.h"

namespace logtally::transforms {

namespace {

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  std::string repaired;
  if (!core::is_valid_utf8(s)) {
    core::append_repaired_utf8(s, repaired);
    s = repaired;
  }
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
}

void append_json_field(std::string& out, const core::FieldValue& v) {
  switch (v.kind) {
    case core::FieldValue::Kind::kAbsent:
      out += "null";
      return;
    case core::FieldValue::Kind::kBool:
      out += v.text == "true" ? "true" : "false";
      return;
    case core::FieldValue::Kind::kNumber:
      if (is_json_number(v.text)) {
        out += v.text;
      } else if (v.has_number && std::isfinite(v.number)) {
        append_json_number(out, v.number);
      } else {
        append_json_string(out, v.text);
      }
      return;
    case core::FieldValue::Kind::kString:
      append_json_string(out, v.text);
      return;
  }
}

void TapRecord::begin(std::string_view source, std::string_view pipeline,
                      const std::string_view* record) {
  out_.clear();
  updates_.clear();
  drops_.clear();
  has_fields_ = false;
  out_ += "{\"source\":";
  append_json_string(out_, source);
  out_ += ",\"pipeline\":";
  append_json_string(out_, pipeline);
  out_ += ",\"record\":";
  if (record != nullptr) {
    append_json_string(out_, *record);
  } else {
    out_ += "null";
  }
}

void TapRecord::fields(const core::Record& record, const std::vector<std::string>& names) {
  out_ += ",\"fields\":{";
  bool first = true;
  for (size_t s = 0; s < names.size() && s < record.size(); ++s) {
    const core::FieldValue& v = record.slot(static_cast<uint32_t>(s));
    if (v.kind == core::FieldValue::Kind::kAbsent) continue;
    if (!first) out_ += ',';
    first = false;
    append_json_string(out_, names[s]);
    out_ += ':';
    append_json_field(out_, v);
  }
  out_ += '}';
  has_fields_ = true;
}

void TapRecord::update(std::string_view metric, const std::vector<std::string>& label_names,
                       std::string_view encoded_labels, double value) {
  if (!updates_.empty()) updates_ += ',';
  updates_ += "{\"metric\":";
  append_json_string(updates_, metric);
  updates_ += ",\"labels\":{";
  const std::vector<std::string> values = core::LabelKey::decode(encoded_labels);
  bool first = true;
  for (size_t i = 0; i < label_names.size() && i < values.size(); ++i) {
    if (values[i].empty()) continue;  // An empty label value is no label (as exposed).
    if (!first) updates_ += ',';
    first = false;
    append_json_string(updates_, label_names[i]);
    updates_ += ':';
    append_json_string(updates_, values[i]);
  }
  updates_ += "},\"value\":";
  append_json_number(updates_, value);
  updates_ += '}';
}

void TapRecord::drop(std::string_view metric, std::string_view reason) {
  if (!drops_.empty()) drops_ += ',';
  drops_ += "{\"metric\":";
  append_json_string(drops_, metric);
  drops_ += ",\"reason\":";
  append_json_string(drops_, reason);
  drops_ += '}';
}

const std::string& TapRecord::end(std::string_view outcome, std::string_view reason) {
  if (!has_fields_) out_ += ",\"fields\":{}";
  out_ += ",\"outcome\":";
  append_json_string(out_, outcome);
  if (!reason.empty()) {
    out_ += ",\"reason\":";
    append_json_string(out_, reason);
  }
  out_ += ",\"updates\":[";
  out_ += updates_;
  out_ += ']';
  if (!drops_.empty()) {
    out_ += ",\"drops\":[";
    out_ += drops_;
    out_ += ']';
  }
  out_ += '}';
  return out_;
}

}  // namespace logtally::transforms
