#include "sinks/statsd/config.h"

#include <yaml-cpp/yaml.h>

#include "sinks/statsd/statsd.h"

namespace logtally::sinks {

namespace {

const config::OptionTable& table() {
  static const config::OptionTable t = {
      "sink: statsd",
      "Sends the user metrics to a StatsD or DogStatsD server over UDP or a unix datagram "
      "socket every `interval` and once more at exit: counters as deltas since the last flush "
      "(`|c`), gauges as values (`|g`), histograms as bucket counters (`NAME_bucket` per `le`, "
      "`NAME_count`, `NAME_sum`, as deltas). See docs/sinks.md.",
      {
          {"type", "string", "", "`statsd`.", true},
          {"address", "host:port or unix:///path", "127.0.0.1:8125", "Where to send datagrams."},
          {"dialect", "`statsd` or `dogstatsd`", "statsd",
           "`dogstatsd` sends labels as tags (`|#k:v`); `statsd` appends them to the name as "
           "`.k.v`."},
          {"prefix", "string", "\"\"", "Prepended to every metric name (e.g. `myapp.`)."},
          {"mtu", "integer 64..65507", "1432",
           "Largest datagram payload; lines are packed into datagrams up to this size."},
          {"interval", "duration", "10s", "Time between flushes."},
      }};
  return t;
}

bool valid_address(const std::string& s) {
  if (s.rfind("unix://", 0) == 0) return s.size() > 7 && s[7] == '/';
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  const std::string port = s.substr(colon + 1);
  return port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5 &&
         std::stoi(port) >= 1 && std::stoi(port) <= 65535;
}

std::shared_ptr<const SinkSpec> load(config::Reader& r, const YAML::Node& n,
                                     const std::string& what) {
  auto sd = std::make_shared<StatsdConfig>();
  if (auto s = r.string_option(n, table(), "address", what + " address")) {
    if (!valid_address(*s)) {
      r.error(n["address"],
              what + " address: expected host:port or unix:///path, got \"" + *s + "\"");
    }
    sd->address = *s;
  }
  if (auto s = r.string_option(n, table(), "dialect", what + " dialect")) {
    if (*s == "statsd") {
      sd->dialect = StatsdConfig::Dialect::kStatsd;
    } else if (*s == "dogstatsd") {
      sd->dialect = StatsdConfig::Dialect::kDogstatsd;
    } else {
      r.error(n["dialect"], what + " dialect: expected statsd or dogstatsd, got \"" + *s + "\"");
    }
  }
  // Not string_option: the row's default is written `""` for the reader of the reference.
  if (n["prefix"]) {
    if (auto s = r.string_value(n["prefix"], what + " prefix")) sd->prefix = *s;
  }
  if (auto v = r.integer_option(n, table(), "mtu", what + " mtu", 64, 65507)) {
    sd->mtu = static_cast<size_t>(*v);
  }
  if (auto d = r.duration_option(n, table(), "interval", what + " interval")) sd->interval = *d;
  return sd;
}

}  // namespace

std::string StatsdConfig::describe() const {
  return "statsd " + address + " (" +
         (dialect == StatsdConfig::Dialect::kDogstatsd ? "dogstatsd" : "statsd") + ", mtu " +
         std::to_string(mtu) + ") every " + std::to_string(interval.count()) + "ms";
}

std::unique_ptr<Sink> StatsdConfig::build(const std::string& name,
                                          const core::MetricStore& store) const {
  return std::make_unique<StatsdSink>(name, *this, store);
}

config::SinkEntry statsd_sink_entry() { return {"statsd", {&table()}, &load}; }

}  // namespace logtally::sinks
