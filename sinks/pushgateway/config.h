// `type: pushgateway`: its validated config (the SinkSpec that builds the Pushgateway sink,
// sinks/pushgateway/pushgateway.h), its option table and loader (config.cpp), registered by
// pushgateway_sink_entry().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/component.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct PushgatewayConfig final : SinkSpec {
  enum class Method : uint8_t {
    kPut,   ///< Replaces every metric of the group (Gateway::Push).
    kPost,  ///< Replaces only metrics of the same names (Gateway::PushAdd).
  };
  std::string url = "http://127.0.0.1:9091";  ///< Scheme, host, port (and optional base path).
  std::string job;
  std::vector<std::pair<std::string, std::string>> grouping;  ///< Extra grouping labels.
  Method method = Method::kPut;
  std::chrono::milliseconds interval{15000};
  std::chrono::milliseconds timeout{5000};
  std::string username;  ///< Basic auth to the gateway when set.
  std::string password;

  std::string describe() const override;
  std::unique_ptr<Sink> build(const std::string& name,
                              const core::MetricStore& store) const override;
};

/// The push URL: url + "/metrics/job/<job>" + "/<name>/<value>" per grouping label. A value
/// that is empty or holds '/' is sent in the Pushgateway's base64url form (`<name>@base64/...`);
/// others are percent-encoded.
std::string pushgateway_url(const PushgatewayConfig& config);

config::SinkEntry pushgateway_sink_entry();

}  // namespace logtally::sinks
