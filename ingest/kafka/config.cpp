#include "ingest/kafka/config.h"

#include <librdkafka/rdkafka.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cctype>

#include "ingest/kafka/consumer.h"
#include "ingest/source_options.h"

namespace logtally::ingest {

namespace {

// Properties logtally sets itself: giving them would break the offset handling or the --once
// end detection, or duplicate `brokers` / `group`.
constexpr const char* kReservedProperties[] = {
    "group.id",           "bootstrap.servers",        "metadata.broker.list",
    "enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof",
};

// The first backslash sequence of `pattern` that glibc's POSIX extended syntax reads
// differently from RE2 (see check_topic_pattern() in the header), or "".
std::string posix_mismatch(const std::string& pattern) {
  bool in_bracket = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (in_bracket) {
      // `[:alpha:]`, `[.x.]`, `[=x=]` inside a bracket expression end at their own `:]`.
      if (c == '[' && i + 1 < pattern.size() &&
          (pattern[i + 1] == ':' || pattern[i + 1] == '.' || pattern[i + 1] == '=')) {
        const size_t close = pattern.find(std::string{pattern[i + 1], ']'}, i + 2);
        if (close == std::string::npos) return "";  // RE2 has reported it.
        i = close + 1;
      } else if (c == '\\') {
        return "a backslash inside [...] is a literal backslash to librdkafka's POSIX regular "
               "expressions";
      } else if (c == ']') {
        in_bracket = false;
      }
      continue;
    }
    if (c == '[') {
      in_bracket = true;
      // A `]` right after `[` or `[^` is a member, not the end.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;
    } else if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (std::isalnum(static_cast<unsigned char>(e)) &&
          std::string_view("wWsSbB").find(e) == std::string_view::npos) {
        return std::string("'\\") + e +
               "' means something else (or nothing) to librdkafka's POSIX regular expressions" +
               (e == 'd' ? "; write [0-9]" : "");
      }
    }
  }
  return "";
}

}  // namespace

std::string check_kafka_property(const std::string& key, const std::string& value) {
  for (const char* reserved : kReservedProperties) {
    if (key == reserved) {
      return "'" + key + "' is set by logtally" +
             (key == "group.id"                                             ? " (use 'group')"
              : key == "bootstrap.servers" || key == "metadata.broker.list" ? " (use 'brokers')"
                                                                            : "") +
             " and may not be given here";
    }
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512] = {};
  const rd_kafka_conf_res_t res =
      rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof(err));
  rd_kafka_conf_destroy(conf);
  if (res == RD_KAFKA_CONF_OK) return "";
  return "'" + key + "': " + err;
}

std::string check_topic_pattern(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_posix_syntax(true);
  options.set_perl_classes(true);   // \w \s (and \d, refused below).
  options.set_word_boundary(true);  // \b \B
  const RE2 re(pattern, options);
  std::string problem = re.ok() ? posix_mismatch(pattern) : re.error();
  if (problem.empty()) return "";
  return "invalid regular expression '" + pattern + "': " + problem;
}

std::string KafkaSourceConfig::describe() const {
  std::string out = "kafka " + brokers + " topics [";
  for (size_t i = 0; i < topics.size(); ++i) out += (i ? ", " : "") + topics[i];
  return out + "] group " + group;
}

std::unique_ptr<Source> KafkaSourceConfig::build(const SourceCommon& common, SourceMode mode,
                                                 core::SelfMetrics* self_metrics) const {
  return std::make_unique<KafkaSource>(common, *this, mode, self_metrics);
}

const config::OptionTable& kafka_source_options() {
  static const config::OptionTable table = {
      "source: kafka",
      "Messages from Kafka topics, read by a librdkafka high-level consumer in a consumer "
      "group; each message value is one record. See docs/ingest-kafka.md.",
      {
          source_type_option("`kafka`."),
          {"brokers", "string", "", "Bootstrap servers, `host:port[,host:port...]`.", true},
          {"topics", "list of strings", "",
           "Topic names; an entry starting with `^` is a regular expression matched against "
           "every topic.",
           true},
          {"group", "string", "",
           "Consumer group id. Instances with the same group share the partitions.", true},
          {"librdkafka", "map of string -> string", "(none)",
           "librdkafka configuration properties passed through as-is (SASL, TLS, fetch sizes, "
           "...). Checked at load time. logtally sets `bootstrap.servers` (from `brokers`), "
           "`group.id` (from `group`), `enable.auto.commit`, `enable.auto.offset.store` and "
           "`enable.partition.eof` itself; they may not be given here. `auto.offset.reset` "
           "defaults to `earliest`, `partition.assignment.strategy` to `cooperative-sticky` "
           "(incremental rebalances; docs/ingest-kafka.md says how to mix with instances on "
           "another strategy)."},
          max_record_bytes_option(
              "Overrides the top-level limit; longer messages are dropped with reason `too_long`."),
          envelope_format_option(),
          {"multiline", "map", "(none)",
           "Not supported on kafka sources yet: a config with it is refused (multi-line records "
           "are joined by `file` and `stdin` sources; docs/multiline.md)."},
      }};
  return table;
}

std::shared_ptr<const SourceSpec> load_kafka_source(config::Reader& reader, const YAML::Node& n,
                                                    const std::string& what) {
  auto out = std::make_shared<KafkaSourceConfig>();
  if (n["multiline"]) {
    // Joining needs per-partition records in progress and a committed offset held at the
    // first message of a record: not done yet. Refused rather than silently ignored.
    reader.error(n["multiline"], what +
                                     " multiline: not supported on kafka sources yet; join "
                                     "multi-line records before they are produced, or read "
                                     "them with a file or stdin source");
  }
  if (n["brokers"]) {
    if (auto s = reader.string_value(n["brokers"], what + " brokers")) {
      if (s->empty()) reader.error(n["brokers"], what + " brokers: must not be empty");
      out->brokers = *s;
    }
  }
  if (n["group"]) {
    if (auto s = reader.string_value(n["group"], what + " group")) {
      if (s->empty()) reader.error(n["group"], what + " group: must not be empty");
      out->group = *s;
    }
  }
  if (const YAML::Node t = n["topics"]) {
    if (t.IsScalar()) {
      if (auto s = reader.string_value(t, what + " topics")) out->topics.push_back(*s);
    } else if (t.IsSequence() && t.size() > 0) {
      for (const YAML::Node& item : t) {
        if (auto s = reader.string_value(item, what + " topics")) {
          if (s->empty()) reader.error(item, what + " topics: a topic name must not be empty");
          out->topics.push_back(*s);
        }
      }
    } else {
      reader.error(t,
                   what + " topics: expected a non-empty list of topic names or ^regex patterns");
    }
    for (size_t i = 0; i < out->topics.size(); ++i) {
      const std::string& topic = out->topics[i];
      if (topic.size() > 1 && topic[0] == '^') {
        const std::string problem = check_topic_pattern(topic);
        if (!problem.empty()) reader.error(t.IsSequence() ? t[i] : t, what + " topics: " + problem);
      }
    }
  }
  if (const YAML::Node props = n["librdkafka"]) {
    if (!props.IsMap()) {
      reader.error(props, what + " librdkafka: expected a map of librdkafka property -> value");
    } else {
      for (auto it = props.begin(); it != props.end(); ++it) {
        const std::string key = it->first.Scalar();
        auto value = reader.string_value(it->second, what + " librdkafka " + key);
        if (!value) continue;
        const std::string problem = check_kafka_property(key, *value);
        if (!problem.empty()) {
          reader.error(it->first, what + " librdkafka: " + problem);
          continue;
        }
        out->librdkafka.emplace_back(key, *value);
      }
    }
  }
  return out;
}

config::SourceEntry kafka_source_entry() {
  return {"kafka", {&kafka_source_options()}, &load_kafka_source};
}

}  // namespace logtally::ingest
