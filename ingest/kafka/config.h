// The Kafka source's config (`type: kafka`): its keys, option table, loader, the checks of
// librdkafka properties and `^regex` topic patterns, what `check` says of it and its factory.
// The consumer is ingest/kafka/consumer.h; offsets and checkpoint state ingest/kafka/offsets.h.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/component.h"
#include "ingest/source.h"

namespace logtally::ingest {

struct KafkaSourceConfig final : SourceSpec {
  std::string brokers;
  std::vector<std::string> topics;  ///< Names, or `^regex` patterns (checked).
  std::string group;
  std::vector<std::pair<std::string, std::string>> librdkafka;  ///< Passed through as-is.
  // Not config keys: tuning that tests change.
  size_t max_messages_per_poll = 10000;  ///< Messages asked of one consume call.
  int commit_interval_ms = 200;          ///< Asynchronous commit period (without checkpoints).

  /// "kafka BROKERS topics [T, ...] group G".
  std::string describe() const override;
  std::unique_ptr<Source> build(const SourceCommon& common, SourceMode mode,
                                core::SelfMetrics* self_metrics) const override;
};

/// The "source: kafka" table.
const config::OptionTable& kafka_source_options();
/// Reads a Kafka source's own keys (the node was checked against kafka_source_options()).
std::shared_ptr<const SourceSpec> load_kafka_source(config::Reader& reader, const YAML::Node& n,
                                                    const std::string& what);
/// Registered in config/register_all.cpp.
config::SourceEntry kafka_source_entry();

/// "" if librdkafka accepts `key` = `value` on a consumer, else what is wrong (the loader
/// reports it at the key's line and column). Keys logtally sets itself are refused.
std::string check_kafka_property(const std::string& key, const std::string& value);

/// "" if a `^regex` topic pattern is one librdkafka accepts and reads as we do, else the problem.
///
/// librdkafka matches `^regex` subscriptions with the C library's POSIX extended regular
/// expressions (regcomp(REG_EXTENDED | REG_NOSUB), an unanchored search, on Debian's build).
/// The check compiles the pattern with RE2 in its POSIX syntax mode, plus \w \W \s \S \b \B
/// (glibc has them too), so what users write for topic names (literals, `.`, `*`, `+`, `?`,
/// `{m,n}`, `|`, groups, bracket expressions with [:classes:], anchors) passes. On top of RE2 it
/// refuses what glibc would read differently without an error:
/// - an escaped letter or digit other than those six: `\d` is the letter d to glibc (write
///   `[0-9]`), `\1` a back-reference (RE2 has none);
/// - a backslash inside a bracket expression: a literal backslash to POSIX, an escape to RE2.
/// Left as they are: a lone `)` (literal to glibc, refused here; topic names cannot hold it) and
/// a lone `{` (accepted here, refused by glibc when subscribing: logged as "subscribe failed").
std::string check_topic_pattern(const std::string& pattern);

}  // namespace logtally::ingest
