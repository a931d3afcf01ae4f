// `type: prometheus_exporter`: its validated config (the SinkSpec that builds the exporter), its
// option table and loader (config.cpp), registered by prometheus_exporter_sink_entry().
#pragma once

#include <memory>
#include <string>

#include "config/component.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct PrometheusExporterConfig final : SinkSpec {
  /// host:port (use [::1]:port for IPv6). The loader fills it; its default is written once, in
  /// the `listen` row of the option table.
  std::string listen;
  std::string path = "/metrics";
  std::string tls_cert_file;             ///< PEM certificate (chain); TLS is on when set.
  std::string tls_key_file;              ///< PEM private key; empty: the key is in tls_cert_file.
  std::string basic_auth_username;       ///< Basic auth is on when set.
  std::string basic_auth_password_hash;  ///< crypt(3) hash, see sinks/exporter/http_auth.h.
  size_t threads = 2;                    ///< civetweb worker threads.
  bool enable_reload = false;            ///< Serve POST /-/reload.

  std::string describe() const override;
  std::unique_ptr<Sink> build(const std::string& name,
                              const core::MetricStore& store) const override;
  /// Exporters find themselves by port in civetweb's callbacks: one port, one exporter.
  std::string conflict_with(const SinkSpec& earlier,
                            const std::string& earlier_name) const override;
};

config::SinkEntry prometheus_exporter_sink_entry();

}  // namespace logtally::sinks
