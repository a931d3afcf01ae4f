// PrometheusExporter: serves the merged metrics on an HTTP(S) endpoint for Prometheus to
// scrape, with prometheus-cpp's Exposer (civetweb). Each scrape calls MetricStore::snapshot() on
// one of the exposer's threads; workers are held up only for their shard's copy.
//
// Beside the metrics path it serves, on the same port:
// - `/-/healthy`: 200 while the process serves;
// - `/-/ready`: 503 until mark_ready() (called once the config is loaded and the sources
//   started), 200 after;
// - the metrics as OpenMetrics 1.0.0 when the scraper's Accept header prefers it.
// Basic auth (a crypt(3) hash in the config) guards the metrics path in both formats; the
// health endpoints stay open so probes need no secret (they reveal nothing).
//
// prometheus-cpp 1.0.1 only serves collectables, so the extra endpoints are answered from
// civetweb's begin_request callback before prometheus-cpp's handler sees the request (see
// docs/sinks.md for why this route and not a second server).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "sinks/exporter/config.h"
#include "sinks/sink.h"

struct mg_connection;

namespace prometheus {
class Exposer;
class Collectable;
}  // namespace prometheus

namespace logtally::sinks {

class PrometheusExporter final : public Sink {
 public:
  PrometheusExporter(std::string name, PrometheusExporterConfig config,
                     const core::MetricStore& store);
  ~PrometheusExporter() override;
  [[nodiscard]] core::Status start() override;
  void stop() override;
  void mark_ready() override { ready_.store(true); }
  std::string describe() const override;

  /// The port it listens on (after start()).
  int port() const noexcept { return port_; }

  /// Called by civetweb (any of its threads) before prometheus-cpp's handler. Returns 0 to let
  /// prometheus-cpp answer, or the HTTP status it sent.
  int handle_early(mg_connection* conn);
  /// For the TLS set-up callback: loads the certificate and key into civetweb's SSL_CTX.
  int init_tls(void* ssl_ctx);

 private:
  bool authorized(const char* authorization_header) const;

  std::string name_;
  PrometheusExporterConfig config_;
  const core::MetricStore& store_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::atomic<bool> ready_{false};
  int port_ = 0;
  const void* tls_ = nullptr;  ///< OpenSSL functions from the TLS shim (a TlsApi), once loaded.
};

}  // namespace logtally::sinks
