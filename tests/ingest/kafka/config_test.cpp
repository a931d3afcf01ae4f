// The Kafka source's own checks: `^regex` topic patterns (what librdkafka's POSIX extended
// regular expressions accept and read as we do) and librdkafka properties.
#include "ingest/kafka/config.h"

#include <regex.h>

#include <gtest/gtest.h>

#include <string>

namespace logtally::ingest {
namespace {

// What librdkafka does with a `^regex` subscription on this machine (ingest/kafka/config.h).
bool librdkafka_compiles(const std::string& pattern) {
  regex_t re;
  const int r = regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (r == 0) regfree(&re);
  return r == 0;
}

TEST(KafkaTopicPatternTest, AcceptsWhatUsersWriteAndLibrdkafkaAccepts) {
  for (const std::string p :
       {"^logs-.*", "^logs-[0-9]+$", "^logs-[[:digit:]]+", "^logs-(prod|stage)\\..*", "^a{2,3}",
        "^logs-\\w+", "^logs\\.", "^[]a]x", "^[^]a-]x", "^.*[^-]$", "^a*?", "^\\bx"}) {
    EXPECT_EQ(check_topic_pattern(p), "") << p;
    EXPECT_TRUE(librdkafka_compiles(p)) << p;
  }
}

TEST(KafkaTopicPatternTest, RefusesWhatLibrdkafkaRefuses) {
  EXPECT_EQ(check_topic_pattern("^(ab"), "invalid regular expression '^(ab': missing ): ^(ab");
  EXPECT_EQ(check_topic_pattern("^(?:a|b)"),
            "invalid regular expression '^(?:a|b)': no argument for repetition operator: ?");
  EXPECT_EQ(check_topic_pattern("^a{3,2}"),
            "invalid regular expression '^a{3,2}': invalid repetition size: {3,2}");
  for (const std::string p : {"^(ab", "^(?:a|b)", "^a{3,2}", "^x\\"}) {
    EXPECT_FALSE(librdkafka_compiles(p)) << p;
  }
}

// glibc compiles these without an error but reads them otherwise than RE2 (and users): refused.
TEST(KafkaTopicPatternTest, RefusesWhatLibrdkafkaReadsDifferently) {
  EXPECT_EQ(check_topic_pattern("^logs-\\d+"),
            "invalid regular expression '^logs-\\d+': '\\d' means something else (or nothing) "
            "to librdkafka's POSIX regular expressions; write [0-9]");
  EXPECT_EQ(check_topic_pattern("^(a)\\1"),
            "invalid regular expression '^(a)\\1': invalid escape sequence: \\1");
  EXPECT_EQ(check_topic_pattern("^[\\-_]x"),
            "invalid regular expression '^[\\-_]x': a backslash inside [...] is a literal "
            "backslash to librdkafka's POSIX regular expressions");
  EXPECT_EQ(check_topic_pattern("^a\\x41"),
            "invalid regular expression '^a\\x41': '\\x' means something else (or nothing) to "
            "librdkafka's POSIX regular expressions");
  // Bracket classes are skipped whole: their `]` does not end the bracket expression.
  EXPECT_EQ(check_topic_pattern("^[[:alpha:]\\.]x"),
            "invalid regular expression '^[[:alpha:]\\.]x': a backslash inside [...] is a literal "
            "backslash to librdkafka's POSIX regular expressions");
  for (const std::string p : {"^logs-\\d+", "^(a)\\1", "^[\\-_]x", "^a\\x41"}) {
    EXPECT_TRUE(librdkafka_compiles(p)) << p;
  }
}

TEST(KafkaPropertyTest, RefusesReservedAndUnknownProperties) {
  EXPECT_EQ(check_kafka_property("fetch.max.bytes", "1048576"), "");
  EXPECT_EQ(check_kafka_property("group.id", "x"),
            "'group.id' is set by logtally (use 'group') and may not be given here");
  EXPECT_EQ(check_kafka_property("enable.auto.commit", "true"),
            "'enable.auto.commit' is set by logtally and may not be given here");
  EXPECT_EQ(check_kafka_property("no.such.property", "1"),
            "'no.such.property': No such configuration property: \"no.such.property\"");
}

TEST(KafkaSourceConfigTest, DescribesItself) {
  KafkaSourceConfig c;
  c.brokers = "b:9092";
  c.topics = {"a", "^b-.*"};
  c.group = "g";
  EXPECT_EQ(c.describe(), "kafka b:9092 topics [a, ^b-.*] group g");
}

}  // namespace
}  // namespace logtally::ingest
