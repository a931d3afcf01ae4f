// Every component logtally has, one line each: the only place a new source, parser or sink is
// named outside its own files (docs/development.md). The order is the order of
// `logtally config-reference` and of "expected ..." lists in messages.
#include "config/registry.h"
#include "ingest/file/config.h"
#include "ingest/kafka/config.h"
#include "ingest/stdin/stdin_source.h"
#include "parsers/auto_parser.h"
#include "parsers/json_parser.h"
#include "parsers/logfmt_parser.h"
#include "parsers/regex_parser.h"
#include "sinks/exporter/config.h"
#include "sinks/pushgateway/config.h"
#include "sinks/remote_write/config.h"
#include "sinks/statsd/config.h"
#include "sinks/textfile/config.h"

namespace logtally::config {

void register_all(Registry& r) {
  // Sources.
  r.add(ingest::stdin_source_entry());
  r.add(ingest::file_source_entry());
  r.add(ingest::kafka_source_entry());
  // Parsers.
  r.add(parsers::json_parser_entry());
  r.add(parsers::logfmt_parser_entry());
  r.add(parsers::auto_parser_entry());
  r.add(parsers::regex_parser_entry());
  // Sinks.
  r.add(sinks::prometheus_exporter_sink_entry());
  r.add(sinks::pushgateway_sink_entry());
  r.add(sinks::statsd_sink_entry());
  r.add(sinks::prometheus_remote_write_sink_entry());
  r.add(sinks::textfile_sink_entry());
}

}  // namespace logtally::config
