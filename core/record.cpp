#include "core/record.h"

#include "core/source_fields.h"

namespace logtally::core {

std::string FieldPath::to_string() const {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '.';
    const std::string& s = segments[i];
    if (s.find('.') != std::string::npos || s.empty()) {
      out += '"';
      out += s;
      out += '"';
    } else {
      out += s;
    }
  }
  return out;
}

Result<FieldPath> parse_field_path(std::string_view text) {
  FieldPath path;
  size_t i = 0;
  auto fail = [&](size_t col, const std::string& what) {
    return make_error(ErrorCode::kConfig, "field path \"" + std::string(text) + "\", column " +
                                              std::to_string(col + 1) + ": " + what);
  };
  if (text.empty()) return fail(0, "expected a field name");
  while (true) {
    std::string segment;
    if (i < text.size() && text[i] == '"') {
      size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) return fail(i, "unterminated quoted key");
      segment.assign(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      size_t end = i;
      while (end < text.size() && text[end] != '.') {
        if (text[end] == '"') return fail(end, "a quote may only open a whole segment");
        ++end;
      }
      segment.assign(text.substr(i, end - i));
      if (segment.empty()) return fail(i, "empty segment (two dots, or a dot at an end)");
      i = end;
    }
    path.segments.push_back(std::move(segment));
    if (i == text.size()) break;
    if (text[i] != '.') return fail(i, "expected '.' after a quoted key");
    ++i;
    if (i == text.size()) return fail(i - 1, "a path may not end with '.'");
  }
  return path;
}

uint32_t FieldPlan::add(const FieldPath& path, uint8_t uses) {
  if (path.segments.size() >= 2 && path.segments[0] == kSourceFieldPrefix) {
    std::string name;
    for (size_t i = 1; i < path.segments.size(); ++i) {
      if (i > 1) name += '.';
      name += path.segments[i];
    }
    for (SourceField& f : source_fields_) {
      if (f.name == name) {
        f.uses |= uses;
        return f.slot;
      }
    }
    const auto slot = static_cast<uint32_t>(paths_.size());
    paths_.push_back(path);
    source_fields_.push_back(SourceField{std::move(name), slot, uses});
    return slot;
  }
  uint32_t node = 0;
  for (const std::string& seg : path.segments) {
    uint32_t next = 0;
    for (uint32_t c : nodes_[node].children) {
      if (nodes_[c].key == seg) {
        next = c;
        break;
      }
    }
    if (next == 0) {
      next = static_cast<uint32_t>(nodes_.size());
      Node n;
      n.key = seg;
      nodes_.push_back(std::move(n));
      nodes_[node].children.push_back(next);
    }
    node = next;
  }
  Node& leaf = nodes_[node];
  if (leaf.slot < 0) {
    leaf.slot = static_cast<int32_t>(paths_.size());
    paths_.push_back(path);
  }
  leaf.uses |= uses;
  return static_cast<uint32_t>(leaf.slot);
}

}  // namespace logtally::core
