#include "sinks/pushgateway/config.h"

#include <yaml-cpp/yaml.h>

#include "sinks/pushgateway/pushgateway.h"

namespace logtally::sinks {

namespace {

const config::OptionTable& table() {
  static const config::OptionTable t = {
      "sink: pushgateway",
      "Pushes the metrics (text format, self-metrics included) to a Prometheus Pushgateway "
      "every `interval` and once more at exit, `--once` runs included.",
      {
          {"type", "string", "", "`pushgateway`.", true},
          {"url", "URL", "http://127.0.0.1:9091", "The gateway: `http(s)://host:port`."},
          {"job", "string", "", "The `job` grouping label.", true},
          {"grouping", "map of label name -> string", "(none)",
           "More grouping labels (e.g. `instance`), in the push URL after the job."},
          {"method", "`put` or `post`", "put",
           "`put` replaces every metric of the group; `post` only those of the same names."},
          {"interval", "duration", "15s", "Time between pushes (`500ms`, `15s`, `1m`)."},
          {"timeout", "duration", "5s",
           "Bound on each push (connect and transfer); shutdown waits at most this long for the "
           "final push."},
          {"username", "string", "(none)", "Basic auth user name towards the gateway."},
          {"password", "string", "(none)",
           "Basic auth password (use `${VAR}` to keep it out "
           "of the file)."},
      }};
  return t;
}

std::shared_ptr<const SinkSpec> load(config::Reader& r, const YAML::Node& n,
                                     const std::string& what) {
  auto pg = std::make_shared<PushgatewayConfig>();
  if (auto s = r.string_option(n, table(), "url", what + " url")) {
    if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0) {
      r.error(n["url"],
              what + " url: expected http://host:port or https://host:port, got \"" + *s + "\"");
    }
    while (!s->empty() && s->back() == '/') s->pop_back();
    pg->url = *s;
  }
  if (n["job"]) {
    if (auto s = r.string_value(n["job"], what + " job")) {
      if (s->empty()) r.error(n["job"], what + " job: must not be empty");
      pg->job = *s;
    }
  }
  if (const YAML::Node g = n["grouping"]) {
    if (!g.IsMap()) {
      r.error(g, what + " grouping: expected a map of label name -> value");
    } else {
      for (auto it = g.begin(); it != g.end(); ++it) {
        const std::string label = it->first.Scalar();
        if (!config::valid_label_name(label) || label == "job") {
          r.error(it->first, what + " grouping: invalid label name '" + label +
                                 "'; expected [a-zA-Z_][a-zA-Z0-9_]*, not 'job'");
        }
        if (auto v = r.string_value(it->second, what + " grouping " + label)) {
          pg->grouping.emplace_back(label, *v);
        }
      }
    }
  }
  if (auto s = r.string_option(n, table(), "method", what + " method")) {
    if (*s == "put") {
      pg->method = PushgatewayConfig::Method::kPut;
    } else if (*s == "post") {
      pg->method = PushgatewayConfig::Method::kPost;
    } else {
      r.error(n["method"], what + " method: expected put or post, got \"" + *s + "\"");
    }
  }
  if (auto d = r.duration_option(n, table(), "interval", what + " interval")) pg->interval = *d;
  if (auto d = r.duration_option(n, table(), "timeout", what + " timeout")) pg->timeout = *d;
  if (n["username"]) {
    if (auto s = r.string_value(n["username"], what + " username")) pg->username = *s;
  }
  if (n["password"]) {
    if (auto s = r.string_value(n["password"], what + " password")) pg->password = *s;
  }
  return pg;
}

}  // namespace

std::string PushgatewayConfig::describe() const {
  return "pushgateway " + pushgateway_url(*this) +
         (method == PushgatewayConfig::Method::kPut ? " PUT" : " POST") + " every " +
         std::to_string(interval.count()) + "ms";
}

std::unique_ptr<Sink> PushgatewayConfig::build(const std::string& name,
                                               const core::MetricStore& store) const {
  return std::make_unique<Pushgateway>(name, *this, store);
}

config::SinkEntry pushgateway_sink_entry() { return {"pushgateway", {&table()}, &load}; }

}  // namespace logtally::sinks
