// The textfile sink's config: keys, defaults, `check`'s line, errors with their position.
#include "sinks/textfile/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"

namespace logtally::sinks {
namespace {

using ::testing::HasSubstr;

constexpr const char* kHead = R"(sources: { in: { type: stdin } }
pipelines:
  p: { inputs: [in], parser: json, metrics: [ { name: hits_total, type: counter } ] }
sinks:
)";

TEST(TextfileConfigTest, KeysAndDefaults) {
  const std::string text = std::string(kHead) +
                           "  a: { type: textfile, path: /var/lib/node/a.prom }\n"
                           "  b: { type: textfile, path: b.prom, interval: 1m, mode: \"0640\" }\n";
  auto cfg = config::load_config_text(text, "t.yaml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->sinks.size(), 2u);
  const auto& a = dynamic_cast<const TextfileConfig&>(*cfg->sinks[0].spec);
  EXPECT_EQ(a.path, "/var/lib/node/a.prom");
  EXPECT_EQ(a.interval.count(), 15000);
  EXPECT_EQ(a.mode, 0644u);
  const auto& b = dynamic_cast<const TextfileConfig&>(*cfg->sinks[1].spec);
  EXPECT_EQ(b.interval.count(), 60000);
  EXPECT_EQ(b.mode, 0640u);
  const std::string described = config::describe(*cfg, config::compile(*cfg));
  EXPECT_THAT(described, HasSubstr("  a: textfile /var/lib/node/a.prom (mode 0644) every 15000ms\n"
                                   "  b: textfile b.prom (mode 0640) every 60000ms\n"));
}

TEST(TextfileConfigTest, EveryMistakeIsReportedWithItsPosition) {
  const std::string text = std::string(kHead) +
                           "  a: { type: textfile }\n"
                           "  b: { type: textfile, path: /tmp/, mode: \"999\", interval: soon }\n"
                           "  c: { type: textfile, path: x.prom, owner: me }\n";
  auto cfg = config::load_config_text(text, "t.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message,
            "t.yaml:5:6: sink 'a': missing required key 'path'\n"
            "t.yaml:6:30: sink 'b' path: expected a file name, got \"/tmp/\"\n"
            "t.yaml:6:60: sink 'b' interval: expected a duration like 500ms, 15s, 1m or 2h, "
            "got \"soon\"\n"
            "t.yaml:6:43: sink 'b' mode: expected permissions in octal like 0644, got \"999\"\n"
            "t.yaml:7:38: sink 'c': unknown key 'owner'; expected one of: type, path, interval, "
            "mode");
}

}  // namespace
}  // namespace logtally::sinks
