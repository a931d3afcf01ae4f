// Registry: maps each `type:` a config may name to the component that owns it.
//
// A component (a source, a parser, a sink) owns, in its own files: its config struct (which is
// also its Spec: the factory and describe() for `check`), its option tables, and the function
// that reads its keys with a Reader. It exposes one `...Entry` value; register_all()
// (config/register_all.cpp) lists every entry explicitly, one line each. Static initializers
// are not used: static libraries drop them silently.
//
// Contract:
// - registry() is filled once, on first use (thread-safe), and never changes afterwards.
// - An entry's load() is called with the component's node after the node was checked against
//   `options` (unknown, duplicate and missing required keys are reported already; load()
//   still runs so that every error is reported at once). A parser node may also be a plain
//   scalar (`parser: json`), which is not a map and is not checked. load() reports errors
//   through the Reader and may return null when nothing usable was read.
// - `tables` are every table of the component in the order `logtally config-reference`
//   prints them; tables[0] is the one the node is checked against.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/component.h"
#include "ingest/source.h"
#include "parsers/parser.h"
#include "sinks/sink.h"

namespace logtally::config {

class Registry {
 public:
  void add(SourceEntry e) { sources_.push_back(std::move(e)); }
  void add(ParserEntry e) { parsers_.push_back(std::move(e)); }
  void add(SinkEntry e) { sinks_.push_back(std::move(e)); }

  const SourceEntry* source(std::string_view type) const { return find(sources_, type); }
  const ParserEntry* parser(std::string_view type) const { return find(parsers_, type); }
  const SinkEntry* sink(std::string_view type) const { return find(sinks_, type); }
  const std::vector<SourceEntry>& sources() const noexcept { return sources_; }
  const std::vector<ParserEntry>& parsers() const noexcept { return parsers_; }
  const std::vector<SinkEntry>& sinks() const noexcept { return sinks_; }

  /// "a, b or c": the registered types, for "expected ..." messages.
  template <class Spec>
  static std::string type_list(const std::vector<ComponentEntry<Spec>>& entries) {
    std::string out;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out += i + 1 == entries.size() ? " or " : ", ";
      out += entries[i].type;
    }
    return out;
  }

 private:
  template <class Spec>
  static const ComponentEntry<Spec>* find(const std::vector<ComponentEntry<Spec>>& v,
                                          std::string_view type) {
    for (const auto& e : v) {
      if (e.type == type) return &e;
    }
    return nullptr;
  }

  std::vector<SourceEntry> sources_;
  std::vector<ParserEntry> parsers_;
  std::vector<SinkEntry> sinks_;
};

/// Adds every component logtally has (config/register_all.cpp: one line per component).
void register_all(Registry& registry);
/// The registry, filled by register_all() on first use.
const Registry& registry();

/// The configuration reference in Markdown, generated from the config's own tables and every
/// registered component's tables (`logtally config-reference`, docs/config-reference.md).
std::string config_reference_markdown();

}  // namespace logtally::config
