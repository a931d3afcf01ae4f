// RemoteWriteSink: pushes the store's state to a Prometheus remote write 1.0 endpoint
// (Prometheus with --web.enable-remote-write-receiver, Mimir, Thanos, VictoriaMetrics, ...).
//
// Contract:
// - A PushSink: every `interval`, and once more at the PushLoop's stop() (so `--once` pushes the
//   final state), flush() builds one request from the snapshot the loop merged (see
//   sinks/remote_write/encoder.h), snappy-compresses it and POSTs it with libcurl on the loop's
//   thread.
// - 2xx is success. 5xx, 429 and transport errors (refused, timeout) are retried with exponential
//   backoff (min_backoff doubling to max_backoff, jittered to 50-100%; a receiver's Retry-After
//   honoured up to max_backoff) until one succeeds or the loop stops: flush() returns the delay
//   as FlushResult::retry_in and the loop flushes again with a fresh merge, so memory holds one
//   request at most while the backend is down (latest values, never a queue of old sends), and
//   the first success after an outage carries the current state. Any other status (400, 401,
//   404, ...) is not retried: it is logged and counted, and the next interval tries again.
// - The final flush makes one attempt (bounded by `timeout`).
// - Self-metrics (MetricStore::self_metrics(), label sink=<name>):
//     logtally_remote_write_samples_sent_total        float samples accepted by the receiver
//     logtally_remote_write_histograms_sent_total     native histogram samples accepted
//     logtally_remote_write_requests_total            requests answered 2xx
//     logtally_remote_write_requests_failed_total{status}  failed attempts, by HTTP status or
//                                                     `transport` (no HTTP answer)
//     logtally_remote_write_retries_total             attempts that were retries
//     logtally_remote_write_last_success_timestamp_seconds
//     logtally_remote_write_last_request_bytes        compressed size of the last request
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/self_metrics.h"
#include "sinks/remote_write/config.h"
#include "sinks/remote_write/encoder.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct CurlApi;

class RemoteWriteSink final : public PushSink {
 public:
  RemoteWriteSink(std::string name, RemoteWriteConfig config, const core::MetricStore& store);
  ~RemoteWriteSink() override;
  [[nodiscard]] core::Status start() override;
  std::string describe() const override;
  std::chrono::milliseconds interval() const override { return config_.interval; }
  FlushResult flush(const core::Snapshot& snapshot, bool final) override;

  /// Outcome of send_request().
  struct SendOutcome {
    bool ok = false;
    bool permanent = false;  ///< Refused with a status that is not retried (4xx but 429).
    int attempts = 0;
    std::string error;  ///< Of the last failed attempt: "HTTP 400: <answer>" or the transport's.
  };
  /// For senders of many requests in a row (`logtally backfill`), not the push loop: POSTs
  /// `raw` (an uncompressed WriteRequest of `samples` float samples), snappy-compressed, on the
  /// caller's thread. 5xx, 429 and transport errors are retried after the sink's backoff
  /// (min_backoff doubling to max_backoff, jittered, Retry-After honoured up to max_backoff),
  /// at most `max_retries` times; any other answer but 2xx is final. Counted in the sink's
  /// self-metrics as flush() counts.
  SendOutcome send_request(const std::string& raw, size_t samples, int max_retries);

 private:
  /// Outcome of one HTTP attempt.
  struct Attempt {
    long status = 0;  ///< HTTP status; 0 when no answer came (transport error).
    std::string error;
    int64_t retry_after_s = 0;  ///< Retry-After of a 429/503 answer, in seconds (0: none).
  };
  /// One request from `snapshot`: true when the receiver accepted it.
  bool push_once(const core::Snapshot& snapshot, bool final);
  Attempt send(const std::string& body);
  bool retryable(const Attempt& a) const;
  core::SelfMetrics::Value& failed(const std::string& status);

  std::string name_;
  RemoteWriteConfig config_;
  const core::MetricStore& store_;
  RemoteWriteEncodeOptions encode_;
  bool init_curl(std::string& error);
  const CurlApi* api_ = nullptr;
  void* curl_ = nullptr;  ///< CURL*, used by the push thread only.
  std::mt19937_64 rng_;
  bool retrying_ = false;  ///< The last flush asked for a retry: the next one is a retry.
  std::chrono::milliseconds backoff_{0};  ///< Delay base of the next retry.
  bool last_retryable_ = false;           ///< Whether the last failed attempt may be retried.
  int64_t last_retry_after_s_ = 0;        ///< Its Retry-After, if any.
  bool native_dropped_ = false;  ///< The last attempt turned native histograms off: resend now.

  core::SelfMetrics::Value* samples_sent_;
  core::SelfMetrics::Value* histograms_sent_;
  core::SelfMetrics::Value* requests_;
  core::SelfMetrics::Value* retries_;
  core::SelfMetrics::Value* last_success_;
  core::SelfMetrics::Value* last_bytes_;
  std::map<std::string, core::SelfMetrics::Value*> failed_;
};

}  // namespace logtally::sinks
