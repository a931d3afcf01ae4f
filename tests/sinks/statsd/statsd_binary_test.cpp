// StatsD through the whole binary: `logtally --once` reads known JSON lines and its statsd sink
// sends the final state to a UDP socket this test listens on; the datagrams must be exactly the
// expected ones.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

TEST(StatsdBinaryTest, OnceRunSendsExactlyTheExpectedDatagrams) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(getsockname(rx, reinterpret_cast<sockaddr*>(&sa), &len), 0);

  char dir[] = "/tmp/logtally-statsd-bin-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string config = std::string(dir) + "/c.yaml";
  const std::string input = std::string(dir) + "/in.jsonl";
  std::ofstream(config) << "sources: { in: { type: stdin } }\n"
                           "pipelines:\n"
                           "  web:\n"
                           "    inputs: [in]\n"
                           "    parser: json\n"
                           "    metrics:\n"
                           "      - { name: http_requests_total, type: counter, labels: { code: "
                           "status } }\n"
                           "      - { name: queue_depth, type: gauge, value: depth }\n"
                           "      - { name: latency_seconds, type: histogram, value: ms, scale: "
                           "0.001, buckets: [0.1, 1] }\n"
                           "sinks:\n"
                           "  sd:\n"
                           "    type: statsd\n"
                           "    address: 127.0.0.1:"
                        << ntohs(sa.sin_port)
                        << "\n"
                           "    dialect: dogstatsd\n"
                           "    prefix: web.\n"
                           "    mtu: 100\n"
                           "    interval: 1h\n";
  std::ofstream(input) << R"({"status":200,"depth":3,"ms":20})"
                          "\n"
                          R"({"status":200,"depth":5,"ms":250})"
                          "\n"
                          R"({"status":500,"depth":-2,"ms":4000})"
                          "\n"
                          "garbage\n";
  const std::string cmd = std::string(LOGTALLY_BINARY) + " --once --config " + config + " < " +
                          input + " > " + dir + "/out.txt 2> " + dir + "/err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);

  std::vector<std::string> got;
  for (;;) {
    pollfd p{rx, POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) break;
    char buf[65536];
    const ssize_t n = recv(rx, buf, sizeof(buf), 0);
    if (n < 0) break;
    got.emplace_back(buf, static_cast<size_t>(n));
  }
  // Lines in metric order, packed under 100 bytes per datagram: 37 + 1 + 37 = 75, and the gauge
  // pair (40 bytes, kept together) would make 116. The last gauge value in input order is -2,
  // sent after a 0 so it is not read as a decrement. Sum: 0.02 + 0.25 + 4 = 4.27 s.
  EXPECT_EQ(got, (std::vector<std::string>{
                     "web.http_requests_total:2|c|#code:200\n"
                     "web.http_requests_total:1|c|#code:500",
                     "web.queue_depth:0|g\nweb.queue_depth:-2|g\n"
                     "web.latency_seconds_bucket:1|c|#le:0.1",
                     "web.latency_seconds_bucket:2|c|#le:1\n"
                     "web.latency_seconds_bucket:3|c|#le:+Inf",
                     "web.latency_seconds_count:3|c\nweb.latency_seconds_sum:4.27|c",
                 }));
  close(rx);
  std::system((std::string("rm -rf ") + dir).c_str());
}

}  // namespace
