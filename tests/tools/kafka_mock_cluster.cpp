// kafka_mock_cluster: runs librdkafka's mock Kafka cluster (the real wire protocol on loopback
// ports) for the end-to-end tests, so that they need no JVM and no network.
//
// Usage: kafka_mock_cluster [--brokers N] TOPIC:PARTITIONS...
// Prints one line, the bootstrap servers (`127.0.0.1:PORT,...`), then serves until stdin is
// closed or SIGTERM/SIGINT arrives. The mock brokers bind to 127.0.0.1 on ports the kernel picks.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  int first_topic = 1;
  if (argc > 2 && std::strcmp(argv[1], "--brokers") == 0) {
    brokers = std::atoi(argv[2]);
    first_topic = 3;
  }
  if (first_topic >= argc || brokers < 1) {
    std::fprintf(stderr, "usage: %s [--brokers N] TOPIC:PARTITIONS...\n", argv[0]);
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_mock_cluster: rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "kafka_mock_cluster: could not create the mock cluster\n");
    return 1;
  }
  for (int i = first_topic; i < argc; ++i) {
    const std::string spec = argv[i];
    const size_t colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      std::fprintf(stderr, "kafka_mock_cluster: expected TOPIC:PARTITIONS, got '%s'\n", argv[i]);
      return 2;
    }
    const int partitions = std::atoi(spec.c_str() + colon + 1);
    const std::string topic = spec.substr(0, colon);
    if (rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 1) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_mock_cluster: cannot create topic '%s'\n", topic.c_str());
      return 1;
    }
  }
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  while (!g_stop) {
    pollfd pfd{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 200);
    if (ready > 0) {
      char buf[256];
      if (::read(STDIN_FILENO, buf, sizeof(buf)) <= 0) break;  // stdin closed
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
