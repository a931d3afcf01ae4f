#include "sinks/pushgateway/pushgateway.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>

#include "sinks/push_loop.h"

namespace logtally::sinks {
namespace {

TEST(PushgatewayUrlTest, JobAndGroupingLabelsWithTheGatewaysEncodings) {
  PushgatewayConfig cfg;
  cfg.url = "http://gw:9091";
  cfg.job = "nightly batch";
  cfg.grouping = {{"instance", "host/1"}, {"team", ""}, {"zone", "eu-1"}};
  // A space is percent-encoded; '/' forces base64url ("host/1" -> aG9zdC8x); the empty value is
  // the gateway's "@base64/=".
  EXPECT_EQ(pushgateway_url(cfg),
            "http://gw:9091/metrics/job/nightly%20batch/instance@base64/aG9zdC8x/team@base64/="
            "/zone/eu-1");
}

double sends(const core::MetricStore& store, const std::string& result) {
  for (const auto& fam : store.self_metrics().collect()) {
    if (fam.name != "logtally_sink_sends_total") continue;
    for (const auto& s : fam.series) {
      if (s.labels == core::SelfMetrics::Labels{{"sink", "pg"}, {"result", result}}) return s.value;
    }
  }
  return -1;
}

// A gateway that accepts TCP connections (the kernel completes them into the backlog) but never
// answers: the worst case for a pusher. The push loop's stop() must still return within about
// two timeouts (the push in flight and the final one).
TEST(PushgatewaySinkTest, StopIsBoundedWhenTheGatewayNeverAnswers) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);

  core::MetricSpec c;
  c.name = "hits_total";
  core::MetricStore store({c}, {"in"}, {"p"}, 1);
  PushgatewayConfig cfg;
  cfg.url = "http://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  cfg.job = "j";
  cfg.interval = std::chrono::milliseconds(50);
  cfg.timeout = std::chrono::milliseconds(400);
  Pushgateway sink("pg", cfg, store);
  ASSERT_TRUE(sink.start());
  PushLoop loop(store, {&sink});
  loop.start();
  // A push is in flight once its connection arrives (never answered, kept open).
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1) << "no push within 10 s";
  const int conn = accept(fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  const auto t0 = std::chrono::steady_clock::now();
  loop.stop();
  sink.stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  // At most the push in flight (<= 400 ms) plus the final push (<= 400 ms), plus slack.
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_EQ(sends(store, "ok"), 0);
  EXPECT_GE(sends(store, "error"), 2);  // The one in flight and the final one, both timed out.
  close(conn);
  close(fd);
}

TEST(PushgatewaySinkTest, RefusedConnectionFailsFastAndIsCounted) {
  // Bind a port, then close it: nothing listens there, connections are refused at once.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  close(fd);

  core::MetricSpec c;
  c.name = "hits_total";
  core::MetricStore store({c}, {"in"}, {"p"}, 1);
  PushgatewayConfig cfg;
  cfg.url = "http://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  cfg.job = "j";
  cfg.interval = std::chrono::hours(1);
  Pushgateway sink("pg", cfg, store);
  ASSERT_TRUE(sink.start());
  EXPECT_FALSE(sink.flush(store.snapshot(), false).ok);
  PushLoop loop(store, {&sink});
  loop.start();
  loop.stop();  // The final flush.
  sink.stop();
  EXPECT_EQ(sends(store, "error"), 2);
  EXPECT_EQ(sends(store, "ok"), 0);
}

}  // namespace
}  // namespace logtally::sinks
