#include "monitoring/dashboard.h"

#include <set>

#include "monitoring/promql.h"

namespace logtally::monitoring {

namespace {

Json datasource() { return Json::object().set("type", "prometheus").set("uid", "${datasource}"); }

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Grafana's unit for a metric from the Prometheus naming conventions of its name.
std::string unit_for(const std::string& name, core::MetricType type) {
  const bool counter = type == core::MetricType::kCounter;
  if (ends_with(name, counter ? "_seconds_total" : "_seconds")) return "s";
  if (ends_with(name, counter ? "_bytes_total" : "_bytes")) return counter ? "Bps" : "bytes";
  return counter ? "ops" : "short";
}

std::string uid_from(const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  const size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  std::string uid = "logtally-";
  for (const char c : base) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    uid += ok ? c : '-';
  }
  if (uid.size() > 40) uid.resize(40);  // Grafana's limit on uids.
  return uid;
}

}  // namespace

DashboardBuilder::DashboardBuilder(std::string title, std::string uid, std::string description)
    : dashboard_(Json::object()) {
  Json variable = Json::object()
                      .set("name", "datasource")
                      .set("label", "Data source")
                      .set("type", "datasource")
                      .set("query", "prometheus")
                      .set("current", Json::object())
                      .set("hide", 0);
  dashboard_.set("title", std::move(title))
      .set("uid", std::move(uid))
      .set("description", std::move(description))
      .set("tags", Json::array().push("logtally"))
      .set("timezone", "browser")
      .set("editable", true)
      .set("graphTooltip", 1)
      .set("refresh", "30s")
      .set("schemaVersion", 38)
      .set("version", 1)
      .set("time", Json::object().set("from", "now-6h").set("to", "now"))
      .set("templating", Json::object().set("list", Json::array().push(std::move(variable))));
}

void DashboardBuilder::row(const std::string& title) {
  if (x_ != 0) {
    y_ += row_height_;
    x_ = 0;
    row_height_ = 0;
  }
  panels_.push(
      Json::object()
          .set("id", next_id_++)
          .set("type", "row")
          .set("title", title)
          .set("collapsed", false)
          .set("panels", Json::array())
          .set("gridPos", Json::object().set("h", 1).set("w", 24).set("x", 0).set("y", y_)));
  y_ += 1;
}

void DashboardBuilder::panel(const Panel& p) {
  if (x_ + p.width > 24) {
    y_ += row_height_;
    x_ = 0;
    row_height_ = 0;
  }
  Json targets = Json::array();
  char ref = 'A';
  for (const Query& q : p.queries) {
    targets.push(Json::object()
                     .set("refId", std::string(1, ref++))
                     .set("datasource", datasource())
                     .set("expr", q.expr)
                     .set("legendFormat", q.legend.empty() ? "__auto" : q.legend)
                     .set("range", true));
  }
  Json steps = Json::array().push(Json::object().set("color", p.base_color).set("value", Json()));
  for (const auto& [value, color] : p.thresholds) {
    steps.push(Json::object().set("color", color).set("value", value));
  }
  Json defaults =
      Json::object()
          .set("unit", p.unit.empty() ? "short" : p.unit)
          .set("thresholds", Json::object().set("mode", "absolute").set("steps", steps));
  Json options = Json::object();
  if (p.type == "timeseries") {
    Json custom = Json::object()
                      .set("drawStyle", "line")
                      .set("lineWidth", 1)
                      .set("fillOpacity", p.stack ? 30 : 10);
    custom.set("stacking",
               Json::object().set("mode", p.stack ? "normal" : "none").set("group", "A"));
    custom.set("thresholdsStyle",
               Json::object().set("mode", p.thresholds.empty() ? "off" : "line"));
    defaults.set("custom", std::move(custom));
    options
        .set("legend", Json::object()
                           .set("displayMode", "list")
                           .set("placement", "bottom")
                           .set("showLegend", true))
        .set("tooltip", Json::object().set("mode", "multi").set("sort", "desc"));
  } else {
    options
        .set("reduceOptions", Json::object()
                                  .set("calcs", Json::array().push("lastNotNull"))
                                  .set("fields", "")
                                  .set("values", false))
        .set("colorMode", "background")
        .set("graphMode", "area")
        .set("textMode", "auto");
  }
  panels_.push(
      Json::object()
          .set("id", next_id_++)
          .set("type", p.type)
          .set("title", p.title)
          .set("description", p.description)
          .set("datasource", datasource())
          .set("gridPos",
               Json::object().set("h", p.height).set("w", p.width).set("x", x_).set("y", y_))
          .set("targets", std::move(targets))
          .set("fieldConfig",
               Json::object().set("defaults", std::move(defaults)).set("overrides", Json::array()))
          .set("options", std::move(options)));
  x_ += p.width;
  row_height_ = std::max(row_height_, p.height);
}

std::string DashboardBuilder::json() const {
  Json d = dashboard_;
  d.set("panels", panels_);
  return d.dump();
}

namespace {

void slo_panels(DashboardBuilder& b, const config::SloConfig& slo) {
  const std::string budget = format_number(error_budget(slo));
  const std::string window = config::promql_duration(slo.window_ms);
  b.row("SLO " + slo.name + ": " + slo.objective_text + "% over " + window);
  Panel left;
  left.title = slo.name + ": error budget left (" + window + ")";
  left.description = "1 - (error ratio over the last " + window + ") / " + budget +
                     " (the error budget of a " + slo.objective_text +
                     "% objective). Below 0: the objective is missed over the window.";
  left.type = "stat";
  left.unit = "percentunit";
  left.width = 6;
  left.base_color = "red";
  left.thresholds = {{0, "orange"}, {0.25, "green"}};
  left.queries.push_back({"1 - (\n" + error_ratio_expr(slo, window) + "\n) / " + budget, "left"});
  b.panel(left);

  Panel burn;
  burn.title = slo.name + ": burn rate";
  burn.description =
      "Error ratio over each window divided by the error budget (" + budget +
      "); 1 spends the budget exactly over " + window +
      ". Pages above 14.4 (1h and 5m) or 6 (6h and 30m); tickets above 3 (1d and 2h) or 1 (3d "
      "and 6h). Needs the rules of `logtally rules`.";
  burn.width = 18;
  burn.thresholds = {{1, "yellow"}, {6, "orange"}, {14.4, "red"}};
  for (const std::string_view w : ratio_windows()) {
    burn.queries.push_back({ratio_record_selector(slo, w) + " / " + budget, std::string(w)});
  }
  b.panel(burn);
}

void metric_panel(DashboardBuilder& b, const config::MetricConfig& m) {
  std::string by;
  std::string legend;
  for (const config::LabelConfig& l : m.labels) {
    by += (by.empty() ? "" : ", ") + l.name;
    legend += (legend.empty() ? "" : " ") + ("{{" + l.name + "}}");
  }
  Panel p;
  p.title = m.name;
  p.description = m.help;
  p.unit = unit_for(m.name, m.type);
  switch (m.type) {
    case core::MetricType::kCounter: {
      p.title += " (per second)";
      const std::string rate = "rate(" + m.name + "[$__rate_interval])";
      p.queries.push_back({by.empty() ? "sum(" + rate + ")" : "sum by (" + by + ") (" + rate + ")",
                           legend.empty() ? m.name : legend});
      break;
    }
    case core::MetricType::kGauge:
      p.queries.push_back({m.name, legend.empty() ? "{{instance}}" : "{{instance}} " + legend});
      break;
    case core::MetricType::kHistogram:
      p.title += " (percentiles)";
      for (const auto& [q, name] : {std::pair{"0.5", "p50"}, {"0.9", "p90"}, {"0.99", "p99"}}) {
        p.queries.push_back({"histogram_quantile(" + std::string(q) + ", sum by (le) (rate(" +
                                 m.name + "_bucket[$__rate_interval])))",
                             name});
      }
      break;
  }
  b.panel(p);
}

}  // namespace

std::string config_dashboard_json(const config::Config& config) {
  const std::string base = config.file.substr(config.file.find_last_of('/') + 1);
  DashboardBuilder b("logtally: " + base, uid_from(config.file),
                     "Generated by `logtally dashboard` from " + config.file + " (docs/slos.md).");
  for (const config::SloConfig& slo : config.slos) slo_panels(b, slo);
  b.row("Metrics");
  std::set<std::string> seen;
  for (const config::PipelineConfig& p : config.pipelines) {
    for (const config::MetricConfig& m : p.metrics) {
      if (seen.insert(m.name).second) metric_panel(b, m);
    }
  }
  return b.json();
}

}  // namespace logtally::monitoring
