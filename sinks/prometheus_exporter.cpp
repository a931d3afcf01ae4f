#include "sinks/prometheus_exporter.h"

#include <exception>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include "sinks/exposition.h"

namespace logtally::sinks {

namespace {

class StoreCollectable final : public prometheus::Collectable {
 public:
  explicit StoreCollectable(const core::MetricStore& store) : store_(store) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return to_families(store_, store_.snapshot());
  }

 private:
  const core::MetricStore& store_;
};

}  // namespace

PrometheusExporter::PrometheusExporter(std::string name, PrometheusExporterConfig config,
                                       const core::MetricStore& store)
    : name_(std::move(name)),
      config_(std::move(config)),
      store_(store),
      collectable_(std::make_shared<StoreCollectable>(store)) {}

PrometheusExporter::~PrometheusExporter() { stop(); }

core::Status PrometheusExporter::start() {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(config_.listen, 2);
    exposer_->RegisterCollectable(collectable_, config_.path);
  } catch (const std::exception& e) {
    exposer_.reset();
    // civetweb's own words ("null context when constructing CivetServer") do not say why;
    // the usual reasons are a port in use, a privileged port, or an address not on this host.
    return core::make_error(core::ErrorCode::kIo,
                            "sink " + name_ + ": cannot listen on " + config_.listen +
                                " (port in use, privileged, or address not local?): " + e.what());
  }
  return core::Ok{};
}

void PrometheusExporter::stop() { exposer_.reset(); }

std::string PrometheusExporter::describe() const {
  return "prometheus_exporter on http://" + config_.listen + config_.path;
}

}  // namespace logtally::sinks
