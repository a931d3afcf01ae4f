// Grafana dashboards as JSON (Grafana's dashboard model, importable as is or provisioned from
// a file): `logtally dashboard` (a panel per metric of a config and per SLO) and logtally's own
// dashboard of its self-metrics (deploy/grafana/logtally.json).
//
// Every query reads the data source chosen in the dashboard's `datasource` variable (a
// Prometheus one). Queries use no template variable but Grafana's `$__rate_interval`, which
// Grafana replaces before it sends the query. Pure text generation; deterministic output.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "monitoring/json_writer.h"

namespace logtally::monitoring {

/// One query of a panel: PromQL and the legend template (`{{label}}`).
struct Query {
  std::string expr;
  std::string legend;
};

/// A panel: `timeseries` (default) or `stat`, `width` of the 24 grid columns.
struct Panel {
  std::string title;
  std::string description;
  std::string type = "timeseries";
  std::string unit;  ///< Grafana unit id: "short", "s", "bytes", "percentunit", "reqps", ...
  int width = 12;
  int height = 8;
  std::vector<Query> queries;
  /// Threshold steps (value, colour) after the base colour; drawn as lines on time series.
  std::vector<std::pair<double, std::string>> thresholds;
  std::string base_color = "green";
  bool stack = false;  ///< Stacked areas (shares of a whole, e.g. drops by reason).
};

/// Lays panels out left to right and top to bottom, with collapsible-looking row headers.
class DashboardBuilder {
 public:
  DashboardBuilder(std::string title, std::string uid, std::string description);
  /// Starts a new row titled `title` on a new line.
  void row(const std::string& title);
  void panel(const Panel& p);
  std::string json() const;

 private:
  Json dashboard_;
  Json panels_ = Json::array();
  int next_id_ = 1;
  int x_ = 0;
  int y_ = 0;
  int row_height_ = 0;
};

/// `logtally dashboard`: per SLO its error budget left over its window and its burn rates (from
/// the recording rules of `logtally rules`), then a panel per metric of the config (counters
/// as rates, gauges as they are, histograms as the 50th, 90th and 99th percentile).
std::string config_dashboard_json(const config::Config& config);

}  // namespace logtally::monitoring
