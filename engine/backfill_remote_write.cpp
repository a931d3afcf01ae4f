#include "engine/backfill_remote_write.h"

#include <cstdio>
#include <ctime>

#include "sinks/remote_write/client.h"
#include "sinks/remote_write/config.h"

namespace logtally::engine {

namespace {

// 2026-01-01T00:05:00Z (milliseconds when there are any), for messages.
std::string utc_text(int64_t t_ms) {
  const int64_t ms = ((t_ms % 1000) + 1000) % 1000;
  const std::time_t t = static_cast<std::time_t>((t_ms - ms) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (ms != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
    out += frac;
  }
  return out + "Z";
}

}  // namespace

bool for_each_backfill_request(
    const std::vector<BackfillSeries>& series, size_t n_steps, int64_t k0, int64_t step_ms,
    size_t max_samples,
    const std::function<bool(const std::vector<sinks::TimedSeries>&, size_t)>& send) {
  if (max_samples == 0) max_samples = 1;
  std::vector<sinks::TimedSeries> request;
  std::vector<int64_t> slot(series.size(), -1);  // Where series s is in `request`, if it is.
  std::vector<size_t> used;
  size_t count = 0;
  const auto emit = [&] {
    const bool ok = send(request, count);
    request.clear();
    for (size_t s : used) slot[s] = -1;
    used.clear();
    count = 0;
    return ok;
  };
  for (size_t i = 0; i < n_steps; ++i) {
    const int64_t t_ms = (k0 + static_cast<int64_t>(i)) * step_ms;
    for (size_t s = 0; s < series.size(); ++s) {
      const BackfillSeries& bs = series[s];
      if (i < bs.first || i - bs.first >= bs.values.size()) continue;
      if (slot[s] < 0) {
        slot[s] = static_cast<int64_t>(request.size());
        used.push_back(s);
        sinks::TimedSeries& ts = request.emplace_back();
        for (const auto& [name, value] : bs.labels) ts.labels.emplace_back(name, value);
      }
      request[static_cast<size_t>(slot[s])].samples.push_back({t_ms, bs.values[i - bs.first]});
      if (++count == max_samples && !emit()) return false;
    }
  }
  return count == 0 || emit();
}

core::Status push_backfill(const config::Config& cfg, const std::string& url,
                           const std::vector<BackfillSeries>& series, size_t n_steps, int64_t k0,
                           int64_t step_ms, size_t max_samples, const core::MetricStore& store,
                           BackfillPushStats& stats) {
  sinks::RemoteWriteConfig rc;
  std::string name = "backfill";
  for (const config::SinkConfig& s : cfg.sinks) {
    const auto* c = dynamic_cast<const sinks::RemoteWriteConfig*>(s.spec.get());
    if (c != nullptr && c->url == url) {
      rc = *c;
      name = s.name;
      break;
    }
  }
  rc.url = url;
  rc.external_labels.clear();
  rc.send_native = false;
  sinks::RemoteWriteSink sink(name, rc, store);
  stats = {};
  stats.series = series.size();
  std::string error;
  const bool ok = for_each_backfill_request(
      series, n_steps, k0, step_ms, max_samples,
      [&](const std::vector<sinks::TimedSeries>& request, size_t samples) {
        const std::string raw = sinks::encode_timed_series(request);
        const sinks::RemoteWriteSink::SendOutcome o =
            sink.send_request(raw, samples, kBackfillRetries);
        stats.retries += static_cast<uint64_t>(o.attempts > 0 ? o.attempts - 1 : 0);
        if (o.ok) {
          stats.samples += samples;
          ++stats.requests;
          return true;
        }
        error =
            "backfill: remote write to " + url + ": request " + std::to_string(stats.requests + 1) +
            " (" + std::to_string(samples) + " samples from " +
            utc_text(request.front().samples.front().timestamp_ms) + ") " +
            (o.permanent ? "refused, not retried: " + o.error
                         : "failed after " + std::to_string(o.attempts) + " attempts: " + o.error) +
            "; " + std::to_string(stats.samples) + " samples in " + std::to_string(stats.requests) +
            " requests were accepted before it";
        return false;
      });
  if (!ok) return core::make_error(core::ErrorCode::kIo, error);
  return core::Ok{};
}

}  // namespace logtally::engine
