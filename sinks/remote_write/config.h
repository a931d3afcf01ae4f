// `type: prometheus_remote_write`: its validated config (the SinkSpec that builds the
// RemoteWriteSink, sinks/remote_write/client.h), its option tables and loader (config.cpp),
// registered by prometheus_remote_write_sink_entry().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/component.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct RemoteWriteConfig final : SinkSpec {
  std::string url;
  std::chrono::milliseconds interval{15000};
  std::chrono::milliseconds timeout{10000};  ///< Per HTTP attempt, connect included.
  std::chrono::milliseconds min_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  std::vector<std::pair<std::string, std::string>> external_labels;
  bool send_native = false;  ///< `native_histograms`: also send native histograms.
  int native_schema = 3;
  uint32_t native_max_buckets = 160;
  double native_zero_threshold = 2.938735877055719e-39;
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string basic_auth_password_file;
  std::string bearer_token;
  std::string bearer_token_file;  ///< Re-read on every request (token rotation).
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_insecure_skip_verify = false;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string describe() const override;
  std::unique_ptr<Sink> build(const std::string& name,
                              const core::MetricStore& store) const override;
  /// With `native_histograms: true`: the schema, zero threshold and bucket limit asked for.
  std::optional<core::NativeHistogramOptions> native_histograms() const override;
};

config::SinkEntry prometheus_remote_write_sink_entry();

}  // namespace logtally::sinks
