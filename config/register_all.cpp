// Every component logtally has, one line each: the only place a new source, parser or sink is
// named outside its own files (docs/development.md). The order is the order of
// `logtally config-reference` and of "expected ..." lists in messages.
#include "config/registry.h"
#include "sinks/exporter/config.h"
#include "sinks/pushgateway/config.h"
#include "sinks/remote_write/config.h"
#include "sinks/statsd/config.h"
#include "sinks/textfile/config.h"

namespace logtally::config {

void register_all(Registry& r) {
  // Sources.
  // Parsers.
  // Sinks.
  r.add(sinks::prometheus_exporter_sink_entry());
  r.add(sinks::pushgateway_sink_entry());
  r.add(sinks::statsd_sink_entry());
  r.add(sinks::prometheus_remote_write_sink_entry());
  r.add(sinks::textfile_sink_entry());
  (void)r;
}

}  // namespace logtally::config
