#include "monitoring/json_writer.h"

#include <cmath>
#include <cstdio>

#include "core/utf8.h"
#include "monitoring/promql.h"

namespace logtally::monitoring {

Json& Json::set(const std::string& key, Json value) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      values_[i] = std::move(value);
      return *this;
    }
  }
  keys_.push_back(key);
  values_.push_back(std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  values_.push_back(std::move(value));
  return *this;
}

namespace {

void write_string(std::string& out, const std::string& raw) {
  std::string s;
  core::append_repaired_utf8(raw, s);
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void Json::write(std::string& out, int indent) const {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  switch (kind_) {
    case Kind::kNull:
      out += "null";
      return;
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      return;
    case Kind::kNumber:
      out += std::isfinite(number_) ? format_number(number_) : "null";
      return;
    case Kind::kString:
      write_string(out, string_);
      return;
    case Kind::kArray:
    case Kind::kObject:
      break;
  }
  const bool object = kind_ == Kind::kObject;
  if (values_.empty()) {
    out += object ? "{}" : "[]";
    return;
  }
  out += object ? "{\n" : "[\n";
  for (size_t i = 0; i < values_.size(); ++i) {
    out += pad;
    if (object) {
      write_string(out, keys_[i]);
      out += ": ";
    }
    values_[i].write(out, indent + 2);
    out += i + 1 < values_.size() ? ",\n" : "\n";
  }
  out += std::string(static_cast<size_t>(indent), ' ');
  out += object ? '}' : ']';
}

std::string Json::dump() const {
  std::string out;
  write(out, 0);
  out += '\n';
  return out;
}

}  // namespace logtally::monitoring
