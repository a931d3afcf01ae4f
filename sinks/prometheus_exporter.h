// PrometheusExporter: serves the merged metrics on an HTTP endpoint for Prometheus to scrape,
// with prometheus-cpp's Exposer (civetweb). Each scrape calls MetricStore::snapshot() on one of
// the exposer's threads; workers are held up only for their shard's copy.
#pragma once

#include <memory>
#include <string>

#include "sinks/sink.h"

namespace prometheus {
class Exposer;
class Collectable;
}  // namespace prometheus

namespace logtally::sinks {

struct PrometheusExporterConfig {
  std::string listen = "0.0.0.0:9898";  ///< host:port (use [::1]:port for IPv6).
  std::string path = "/metrics";
};

class PrometheusExporter final : public Sink {
 public:
  PrometheusExporter(std::string name, PrometheusExporterConfig config,
                     const core::MetricStore& store);
  ~PrometheusExporter() override;
  [[nodiscard]] core::Status start() override;
  void stop() override;
  std::string describe() const override;

 private:
  std::string name_;
  PrometheusExporterConfig config_;
  const core::MetricStore& store_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace logtally::sinks
