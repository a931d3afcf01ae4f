// Pushgateway: pushes the merged metrics (text format 0.0.4, self-metrics included) to a
// Prometheus Pushgateway under /metrics/job/<job>{/<label>/<value>}, every `interval` and
// once more at the PushLoop's stop(), so a `--once` batch run leaves its final result there.
//
// Contract:
// - A PushSink: flush() runs on the PushLoop's thread with the snapshot the loop merged. A slow
//   or down gateway delays nothing but the other sinks of the same tick, by at most `timeout`.
// - Every HTTP request is bounded by `timeout` (connect and transfer), so the loop's stop()
//   returns within about two timeouts (one in flight, the final one) when the gateway hangs.
// - Exceptions never leave the sink; failures are logged and counted in
//   logtally_sink_sends_total{sink,result="error"}.
//
// Why libcurl and not prometheus-cpp's Gateway: Gateway 1.0.1 (Debian 12) sets no curl timeout,
// so an unreachable gateway would hang the final push, and shutdown, for curl's defaults (five
// minutes to connect, forever to transfer). The URL layout, grouping-key encoding and PUT/POST
// meaning are Gateway's (and the Pushgateway's); the body is prometheus-cpp's TextSerializer.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sinks/pushgateway/config.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct CurlApi;

class Pushgateway final : public PushSink {
 public:
  Pushgateway(std::string name, PushgatewayConfig config, const core::MetricStore& store);
  [[nodiscard]] core::Status start() override;
  std::string describe() const override;
  std::chrono::milliseconds interval() const override { return config_.interval; }
  /// One push of `snapshot`; ok on a 2xx answer. Never asks for a retry: the next interval
  /// pushes the state of then.
  FlushResult flush(const core::Snapshot& snapshot, bool final) override;

 private:
  std::string name_;
  PushgatewayConfig config_;
  const core::MetricStore& store_;
  std::string url_;
  const CurlApi* curl_ = nullptr;  ///< libcurl, loaded at start().
  SendCounters sent_;
};

}  // namespace logtally::sinks
