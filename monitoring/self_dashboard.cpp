#include "monitoring/self_dashboard.h"

#include "monitoring/dashboard.h"

namespace logtally::monitoring {

namespace {

// A rate summed by `by`: `sum by (source) (rate(NAME[$__rate_interval]))`.
std::string rate_by(const std::string& name, const std::string& by,
                    const std::string& filter = "") {
  return "sum by (" + by + ") (rate(" + name + filter + "[$__rate_interval]))";
}

Panel panel(std::string title, std::string description, std::string unit,
            std::vector<Query> queries, int width = 12) {
  Panel p;
  p.title = std::move(title);
  p.description = std::move(description);
  p.unit = std::move(unit);
  p.queries = std::move(queries);
  p.width = width;
  return p;
}

}  // namespace

std::string self_dashboard_json() {
  DashboardBuilder b("logtally", "logtally-self",
                     "logtally watching itself: what it reads, drops and holds, Kafka lag, "
                     "checkpoints and sinks, from its self-metrics (docs/metrics.md). Generated "
                     "by monitoring/self_dashboard.cpp; alerts in deploy/prometheus/"
                     "logtally-alerts.yml.");
  // Per instance: `instance` is the scrape target, so several logtally processes stay apart.
  const std::string in = "instance, ";

  b.row("Input");
  b.panel(panel("Lines read per second", "logtally_records_total, per source.", "ops",
                {{rate_by("logtally_records_total", in + "source"), "{{instance}} {{source}}"}}));
  b.panel(panel("Bytes read per second", "logtally_bytes_total, per source.", "Bps",
                {{rate_by("logtally_bytes_total", in + "source"), "{{instance}} {{source}}"}}));
  b.panel(
      panel("Files watched", "logtally_files_watched: files a file source has open.", "short",
            {{"sum by (" + in + "source) (logtally_files_watched)", "{{instance}} {{source}}"}}));
  b.panel(panel("File rotations per second",
                "logtally_file_rotations_total by kind (rename, truncate).", "ops",
                {{rate_by("logtally_file_rotations_total", in + "source, kind"),
                  "{{instance}} {{source}} {{kind}}"}}));

  b.row("Pipelines");
  Panel drops = panel("Records dropped per second, by reason",
                      "logtally_records_dropped_total: records (or one metric's use of one) not "
                      "counted, by pipeline and reason (docs/metrics.md, Drop reasons).",
                      "ops",
                      {{rate_by("logtally_records_dropped_total", in + "pipeline, reason") + " > 0",
                        "{{instance}} {{pipeline}} {{reason}}"}});
  drops.stack = true;
  b.panel(drops);
  b.panel(panel("Records filtered per second",
                "logtally_records_filtered_total: records a pipeline's filter removed (not "
                "errors).",
                "ops",
                {{rate_by("logtally_records_filtered_total", in + "pipeline"),
                  "{{instance}} {{pipeline}}"}}));
  b.panel(panel("Dropped share of lines read",
                "All drops over all lines read, per instance: a sudden rise means input changed "
                "shape.",
                "percentunit",
                {{"sum by (instance) (rate(logtally_records_dropped_total[$__rate_interval]))\n/\n"
                  "sum by (instance) (rate(logtally_records_total[$__rate_interval]))",
                  "{{instance}}"}},
                24));

  b.row("Series");
  b.panel(panel("Series per metric",
                "logtally_series: series held per metric, the overflow series included. A "
                "metric stops growing at its max_series.",
                "short",
                {{"sum by (" + in + "metric) (logtally_series)", "{{instance}} {{metric}}"}}));
  Panel overflow = panel(
      "Updates to the overflow series per second",
      "logtally_series_overflow_total: updates folded into a metric's "
      "__overflow__ series because it holds max_series series. Anything "
      "above 0 loses label detail.",
      "ops",
      {{rate_by("logtally_series_overflow_total", in + "metric"), "{{instance}} {{metric}}"}});
  overflow.thresholds = {{0.001, "red"}};
  b.panel(overflow);
  b.panel(panel("Exemplars not kept per second",
                "logtally_exemplars_dropped_total: exemplars refused, by metric and reason "
                "(too_long: labels over OpenMetrics' 128 characters; invalid_utf8). Only "
                "metrics with an exemplar; zeros hidden.",
                "ops",
                {{rate_by("logtally_exemplars_dropped_total", in + "metric, reason") + " > 0",
                  "{{instance}} {{metric}} {{reason}}"}}));

  b.row("Kafka");
  b.panel(panel("Consumer lag",
                "logtally_kafka_consumer_lag: messages after the last one handed to the "
                "workers, per topic.",
                "short",
                {{"sum by (" + in + "source, topic) (logtally_kafka_consumer_lag)",
                  "{{instance}} {{source}} {{topic}}"}}));
  b.panel(panel(
      "Messages consumed per second", "logtally_kafka_messages_total.", "ops",
      {{rate_by("logtally_kafka_messages_total", in + "source"), "{{instance}} {{source}}"}}));
  b.panel(panel("Assigned partitions", "logtally_kafka_assigned_partitions.", "short",
                {{"sum by (" + in + "source) (logtally_kafka_assigned_partitions)",
                  "{{instance}} {{source}}"}},
                8));
  b.panel(
      panel("Rebalances", "logtally_kafka_rebalances_total by event, per hour.", "short",
            {{"sum by (" + in + "source, event) (increase(logtally_kafka_rebalances_total[1h]))",
              "{{instance}} {{source}} {{event}}"}},
            8));
  b.panel(
      panel("Commit failures, pauses and uncommitted revokes",
            "logtally_kafka_commit_failures_total, logtally_kafka_paused_total (backpressure) "
            "and logtally_kafka_revoke_uncommitted_total, per hour.",
            "short",
            {{"sum by (" + in + "source) (increase(logtally_kafka_commit_failures_total[1h]))",
              "{{instance}} {{source}} commit failures"},
             {"sum by (" + in + "source) (increase(logtally_kafka_paused_total[1h]))",
              "{{instance}} {{source}} pauses"},
             {"sum by (" + in + "source) (increase(logtally_kafka_revoke_uncommitted_total[1h]))",
              "{{instance}} {{source}} uncommitted revokes"}},
            8));

  b.row("Checkpoints");
  Panel age = panel(
      "Checkpoint age",
      "Seconds since the last durable checkpoint "
      "(logtally_checkpoint_last_success_timestamp_seconds); it should stay near "
      "the checkpoint interval.",
      "s", {{"time() - logtally_checkpoint_last_success_timestamp_seconds", "{{instance}}"}}, 8);
  age.thresholds = {{300, "orange"}, {900, "red"}};
  b.panel(age);
  b.panel(panel("Checkpoint duration and pause",
                "logtally_checkpoint_duration_seconds (the last one, whole) and "
                "logtally_checkpoint_pause_seconds (how long its barrier stopped dispatch).",
                "s",
                {{"logtally_checkpoint_duration_seconds", "{{instance}} duration"},
                 {"logtally_checkpoint_pause_seconds", "{{instance}} pause"}},
                8));
  b.panel(panel("Checkpoints written and failed per minute",
                "logtally_checkpoints_total and logtally_checkpoint_failures_total.", "short",
                {{"sum by (instance) (rate(logtally_checkpoints_total[$__rate_interval])) * 60",
                  "{{instance}} written"},
                 {"sum by (instance) (rate(logtally_checkpoint_failures_total[$__rate_interval])) "
                  "* 60",
                  "{{instance}} failed"}},
                8));

  b.row("Sinks");
  b.panel(panel("Sink sends per second, by result",
                "logtally_sink_sends_total of every pushing sink (remote_write, pushgateway, "
                "statsd, textfile), ok or error.",
                "ops",
                {{rate_by("logtally_sink_sends_total", in + "sink, result"),
                  "{{instance}} {{sink}} {{result}}"}}));
  b.panel(panel("remote_write failures and retries per second",
                "logtally_remote_write_requests_failed_total by HTTP status (transport: no "
                "answer) and logtally_remote_write_retries_total.",
                "ops",
                {{rate_by("logtally_remote_write_requests_failed_total", in + "sink, status"),
                  "{{instance}} {{sink}} failed {{status}}"},
                 {rate_by("logtally_remote_write_retries_total", in + "sink"),
                  "{{instance}} {{sink}} retries"}}));
  b.panel(panel("remote_write samples sent per second",
                "logtally_remote_write_samples_sent_total and "
                "logtally_remote_write_histograms_sent_total.",
                "ops",
                {{rate_by("logtally_remote_write_samples_sent_total", in + "sink"),
                  "{{instance}} {{sink}} samples"},
                 {rate_by("logtally_remote_write_histograms_sent_total", in + "sink"),
                  "{{instance}} {{sink}} histograms"}}));
  b.panel(panel("Since the last accepted remote_write",
                "time() - logtally_remote_write_last_success_timestamp_seconds.", "s",
                {{"time() - logtally_remote_write_last_success_timestamp_seconds",
                  "{{instance}} {{sink}}"}}));

  b.row("Process");
  b.panel(panel("Version", "logtally_build_info.", "short",
                {{"count by (version) (logtally_build_info)", "{{version}}"}}, 8));
  b.panel(panel("Config reloads per hour",
                "logtally_config_reloads_total by result (success, failure).", "short",
                {{"sum by (" + in + "result) (increase(logtally_config_reloads_total[1h]))",
                  "{{instance}} {{result}}"}},
                8));
  b.panel(panel("Last reload successful", "logtally_config_last_reload_successful (1 or 0).",
                "short", {{"logtally_config_last_reload_successful", "{{instance}}"}}, 8));
  return b.json();
}

}  // namespace logtally::monitoring
