// PrometheusExporter: serves the metrics on an HTTP(S) endpoint for Prometheus to scrape, on
// prometheus-cpp's Exposer (civetweb). Each scrape reads MetricStore::read() on one of the
// exposer's threads (live, or with checkpoints the last durable state); workers are held up
// only for their shard's copy.
//
// On the metrics path: Prometheus text 0.0.4, or OpenMetrics 1.0.0 (with `_created`) when the
// scraper's Accept header prefers it; gzip when Accept-Encoding allows it. Beside it, on the
// same port:
// - `/-/healthy`: 200 while the process serves;
// - `/-/ready`: 503 until mark_ready() (called once the config is loaded and the sources
//   started), 200 after;
// - with `enable_reload`, `POST /-/reload` (behind the basic auth): the run loop's reload, 200
//   once the new config is valid and being applied, 400 with the errors otherwise;
// - `GET /-/tap?pipeline=NAME&limit=N&timeout=S` (behind the basic auth): the tap stream of the
//   running pipelines (core/tap.h), one JSON object a line, chunked; see tap_endpoint.cpp.
// - `GET /` (behind the basic auth): the status page, one HTML page with its script inside
//   that polls `GET /-/status` (behind the basic auth), the running state as JSON; see
//   status_endpoint.cpp and docs/status-page.md. Not served when the metrics path is `/`.
// Other paths: 404. Basic auth (a crypt(3) hash in the config) guards the metrics path; the
// health endpoints stay open so probes need no secret (they reveal nothing).
//
// Every request is answered from civetweb's begin_request callback, before prometheus-cpp's
// handler would see it: prometheus-cpp 1.0.1 has no OpenMetrics and adds its own exposer_*
// counters, which restart at 0 with each process (docs/sinks.md).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "sinks/exporter/config.h"
#include "sinks/sink.h"

struct mg_connection;

namespace prometheus {
class Exposer;
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
  void set_reload_handler(std::function<core::Status()> handler) override {
    reload_ = std::move(handler);
  }
  void set_tap_hub(core::TapHub* hub) override { tap_ = hub; }
  void set_running_config(
      std::function<std::shared_ptr<const RunningConfig>()> running_config) override {
    running_config_ = std::move(running_config);
  }
  std::string describe() const override;

  /// The port it listens on (after start()).
  int port() const noexcept { return port_; }

  /// Called by civetweb (any of its threads) before prometheus-cpp's handler. Returns 0 to let
  /// prometheus-cpp answer, or the HTTP status it sent.
  int handle_early(mg_connection* conn);
  /// The body of GET /-/status at `now_unix_ms` (docs/status-page.md); any thread.
  std::string status_json(int64_t now_unix_ms) const;
  /// For the TLS set-up callback: loads the certificate and key into civetweb's SSL_CTX.
  int init_tls(void* ssl_ctx);

 private:
  bool authorized(const char* authorization_header) const;
  /// GET /-/tap, after the auth check (tap_endpoint.cpp). Returns the HTTP status.
  int handle_tap(mg_connection* conn);
  /// GET / and GET /-/status, after the auth check (status_endpoint.cpp).
  int handle_status_page(mg_connection* conn);
  int handle_status(mg_connection* conn);

  std::string name_;
  PrometheusExporterConfig config_;
  const core::MetricStore& store_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::atomic<bool> ready_{false};
  std::function<core::Status()> reload_;  ///< Set before start(); used only with enable_reload.
  core::TapHub* tap_ = nullptr;           ///< Set before start().
  /// Set before start(); unset (a test), the page shows the store's names only.
  std::function<std::shared_ptr<const RunningConfig>()> running_config_;
  std::atomic<bool> stopping_{false};  ///< Ends open tap streams.
  std::atomic<int> taps_{0};           ///< Tap streams open now (each holds a civetweb thread).
  int port_ = 0;
  const void* tls_ = nullptr;  ///< OpenSSL functions from the TLS shim (a TlsApi), once loaded.
};

}  // namespace logtally::sinks
