// `type: statsd`: its validated config (the SinkSpec that builds the StatsdSink,
// sinks/statsd/statsd.h), its option table and loader (config.cpp), registered by
// statsd_sink_entry().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config/component.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct StatsdConfig final : SinkSpec {
  enum class Dialect : uint8_t {
    kStatsd,     ///< Etsy StatsD: no tags; labels go into the name.
    kDogstatsd,  ///< DogStatsD: labels as tags.
  };
  std::string address = "127.0.0.1:8125";  ///< host:port (UDP) or unix:///path (datagram).
  Dialect dialect = Dialect::kStatsd;
  std::string prefix;  ///< Prepended to every metric name, e.g. "myapp.".
  size_t mtu = 1432;   ///< Largest datagram payload.
  std::chrono::milliseconds interval{10000};

  std::string describe() const override;
  std::unique_ptr<Sink> build(const std::string& name,
                              const core::MetricStore& store) const override;
};

config::SinkEntry statsd_sink_entry();

}  // namespace logtally::sinks
