// dashboard_queries DASHBOARD.json: prints a Prometheus rules file holding every query of a
// Grafana dashboard as a recording rule (`record: dashboard_query_N`), so that
// `promtool check rules` parses each one with Prometheus' own PromQL parser. Grafana's
// built-in interval variables are replaced first, as Grafana does before it sends a query:
// $__rate_interval and $__interval by 5m, $__range by 1d. Any other `$` is an error (these
// dashboards use no template variable in queries).
//
// Also checks the dashboard's shape: valid JSON, a `panels` array, unique panel ids, every
// panel inside the 24 grid columns, every target with a non-empty `expr` and a `refId`.
// Exit 0 and the rules on stdout, or exit 1 with the problems on stderr.
#include <simdjson.h>

#include <cstdio>
#include <iostream>
#include <set>
#include <string>

namespace {

int problems = 0;

void problem(const std::string& what) {
  std::cerr << "dashboard_queries: " << what << "\n";
  ++problems;
}

std::string substitute(std::string expr) {
  const std::pair<const char*, const char*> vars[] = {
      {"$__rate_interval", "5m"}, {"$__interval", "5m"}, {"$__range", "1d"}};
  for (const auto& [name, value] : vars) {
    for (size_t at = expr.find(name); at != std::string::npos; at = expr.find(name, at)) {
      expr.replace(at, std::string(name).size(), value);
    }
  }
  return expr;
}

// A JSON string literal is a valid YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dashboard_queries DASHBOARD.json\n";
    return 2;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element d;
  if (auto err = parser.load(argv[1]).get(d)) {
    problem(std::string(argv[1]) + ": not JSON: " + simdjson::error_message(err));
    return 1;
  }
  simdjson::dom::array panels;
  if (d["panels"].get(panels) != simdjson::SUCCESS) {
    problem("no panels array");
    return 1;
  }
  std::set<int64_t> ids;
  size_t n = 0;
  std::cout << "groups:\n  - name: dashboard\n    rules:\n";
  for (simdjson::dom::element p : panels) {
    int64_t id = 0;
    std::string_view title;
    if (p["id"].get(id) != simdjson::SUCCESS || !ids.insert(id).second) {
      problem("a panel without an id, or with the id of another");
    }
    if (p["title"].get(title) != simdjson::SUCCESS) title = "(untitled)";
    int64_t x = 0;
    int64_t w = 0;
    if (p["gridPos"]["x"].get(x) || p["gridPos"]["w"].get(w) || x < 0 || w < 1 || x + w > 24) {
      problem("panel '" + std::string(title) + "': gridPos outside the 24 columns");
    }
    simdjson::dom::array targets;
    if (p["targets"].get(targets) != simdjson::SUCCESS) continue;  // a row
    for (simdjson::dom::element t : targets) {
      std::string_view expr;
      std::string_view ref;
      if (t["expr"].get(expr) || expr.empty() || t["refId"].get(ref)) {
        problem("panel '" + std::string(title) + "': a target without expr or refId");
        continue;
      }
      const std::string e = substitute(std::string(expr));
      if (e.find('$') != std::string::npos) {
        problem("panel '" + std::string(title) + "': unknown variable in " + e);
      }
      std::cout << "      - record: dashboard_query_" << ++n << "\n        expr: " << quoted(e)
                << "\n";
    }
  }
  if (n == 0) problem("no query in the dashboard");
  std::fprintf(stderr, "dashboard_queries: %zu queries\n", n);
  return problems == 0 ? 0 : 1;
}
