#include "sinks/remote_write/client.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "core/log.h"
#include "sinks/curl_api.h"

namespace logtally::sinks {

namespace {

using Clock = std::chrono::system_clock;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// Keeps the first 512 bytes of the answer, for the log line of a failed request.
size_t keep_body(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t bytes = size * n;
  if (out->size() < 512) out->append(data, std::min(bytes, 512 - out->size()));
  return bytes;
}

std::string read_trimmed(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ok = static_cast<bool>(in) || in.eof();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

RemoteWriteSink::RemoteWriteSink(std::string name, RemoteWriteConfig config,
                                 const core::MetricStore& store)
    : name_(std::move(name)),
      config_(std::move(config)),
      store_(store),
      rng_(std::random_device{}()),
      backoff_(config_.min_backoff) {
  encode_.external_labels = config_.external_labels;
  encode_.native_histograms = config_.send_native && store_.native_options().enabled;
  encode_.native_schema = config_.native_schema;
  core::SelfMetrics& sm = store_.self_metrics();
  const core::SelfMetrics::Labels l = {{"sink", name_}};
  samples_sent_ = &sm.counter("logtally_remote_write_samples_sent_total",
                              "Float samples accepted by the remote write receiver.", l);
  histograms_sent_ =
      &sm.counter("logtally_remote_write_histograms_sent_total",
                  "Native histogram samples accepted by the remote write receiver.", l);
  requests_ = &sm.counter("logtally_remote_write_requests_total",
                          "Remote write requests answered with 2xx.", l);
  sm.counter("logtally_remote_write_requests_failed_total",
             "Remote write attempts that failed, by HTTP status (`transport`: no answer).",
             {{"sink", name_}, {"status", "transport"}});
  retries_ = &sm.counter("logtally_remote_write_retries_total",
                         "Remote write attempts that retried a failed one.", l);
  last_success_ = &sm.gauge("logtally_remote_write_last_success_timestamp_seconds",
                            "Unix time of the last accepted remote write request.", l);
  last_bytes_ = &sm.gauge("logtally_remote_write_last_request_bytes",
                          "Compressed size of the last remote write request.", l);
}

RemoteWriteSink::~RemoteWriteSink() {
  if (curl_ != nullptr) api_->easy_cleanup(static_cast<CURL*>(curl_));
}

bool RemoteWriteSink::init_curl(std::string& error) {
  if (curl_ != nullptr) return true;
  api_ = curl_api(&error);
  if (api_ == nullptr) return false;
  curl_ = api_->easy_init();
  if (curl_ == nullptr) error = "curl_easy_init failed";
  return curl_ != nullptr;
}

core::Status RemoteWriteSink::start() {
  std::string error;
  if (!init_curl(error)) {
    return core::make_error(core::ErrorCode::kInternal, "sink '" + name_ + "': " + error);
  }
  return core::Ok{};
}

std::string RemoteWriteSink::describe() const {
  std::string out = "prometheus_remote_write " + config_.url + " every " +
                    std::to_string(config_.interval.count()) + "ms";
  if (encode_.native_histograms)
    out += ", native histograms (schema " + std::to_string(config_.native_schema) + ")";
  return out;
}

core::SelfMetrics::Value& RemoteWriteSink::failed(const std::string& status) {
  auto it = failed_.find(status);
  if (it != failed_.end()) return *it->second;
  core::SelfMetrics::Value& v = store_.self_metrics().counter(
      "logtally_remote_write_requests_failed_total",
      "Remote write attempts that failed, by HTTP status (`transport`: no answer).",
      {{"sink", name_}, {"status", status}});
  failed_.emplace(status, &v);
  return v;
}

bool RemoteWriteSink::retryable(const Attempt& a) const {
  return a.status == 0 || a.status == 429 || a.status >= 500;
}

bool RemoteWriteSink::push_once(const core::Snapshot& snap, bool final) {
  std::string error;
  if (!init_curl(error)) {
    core::log(core::LogLevel::kError, "sink '" + name_ + "': " + error);
    return false;
  }
  RemoteWriteEncodeStats stats;
  const std::string body =
      snappy_compress(encode_write_request(store_, snap, encode_, now_ms(), &stats));
  last_bytes_->set(static_cast<double>(body.size()));
  const Attempt a = send(body);
  if (a.status >= 200 && a.status < 300) {
    samples_sent_->add(static_cast<double>(stats.samples));
    histograms_sent_->add(static_cast<double>(stats.histograms));
    requests_->add(1);
    last_success_->set(static_cast<double>(now_ms()) / 1000.0);
    return true;
  }
  failed(a.status == 0 ? std::string("transport") : std::to_string(a.status)).add(1);
  // A receiver that does not take native histograms refuses the whole request (Prometheus 2.42
  // without --enable-feature=native-histograms answers 500 "native histograms are disabled"),
  // so retrying the same request would never succeed and nothing would be stored. Send the
  // classic series only from now on, and say so once.
  if (encode_.native_histograms && a.status >= 400 &&
      a.error.find("native histograms are disabled") != std::string::npos) {
    encode_.native_histograms = false;
    native_dropped_ = true;
    core::log(core::LogLevel::kError, "sink '" + name_ + "': the receiver at " + config_.url +
                                          " refuses native histograms (" + a.error +
                                          "); sending classic histograms only from now on");
    return false;
  }
  const std::string what = "sink '" + name_ + "': remote write to " + config_.url + " failed: " +
                           (a.status == 0 ? a.error : "HTTP " + std::to_string(a.status)) +
                           (a.status != 0 && !a.error.empty() ? ": " + a.error : "");
  core::log(core::LogLevel::kWarn, what + (!retryable(a) ? " (not retried: the request was refused)"
                                           : final       ? " (final push at stop: not retried)"
                                                         : " (will retry)"));
  last_retryable_ = retryable(a);
  last_retry_after_s_ = a.retry_after_s;
  return false;
}

FlushResult RemoteWriteSink::flush(const core::Snapshot& snapshot, bool final) {
  if (retrying_ && !final) retries_->add(1);
  retrying_ = false;
  bool ok = push_once(snapshot, final);
  if (!ok && native_dropped_) {  // At once, without the native histograms (see push_once).
    native_dropped_ = false;
    retries_->add(1);
    ok = push_once(snapshot, final);
  }
  if (ok || !last_retryable_ || final) {
    backoff_ = config_.min_backoff;
    return {ok, std::nullopt};
  }
  // Full jitter in [backoff/2, backoff]: many logtally instances do not retry in lockstep.
  std::uniform_int_distribution<int64_t> jitter(backoff_.count() / 2, backoff_.count());
  auto delay = std::chrono::milliseconds(jitter(rng_));
  // A receiver's Retry-After (429/503) is honoured, up to max_backoff.
  if (last_retry_after_s_ > 0) {
    delay = std::max(delay, std::min(std::chrono::milliseconds(last_retry_after_s_ * 1000),
                                     config_.max_backoff));
  }
  backoff_ = std::min(backoff_ * 2, config_.max_backoff);
  retrying_ = true;
  return {false, delay};
}

RemoteWriteSink::SendOutcome RemoteWriteSink::send_request(const std::string& raw, size_t samples,
                                                           int max_retries) {
  SendOutcome out;
  if (!init_curl(out.error)) {
    out.permanent = true;
    return out;
  }
  const std::string body = snappy_compress(raw);
  last_bytes_->set(static_cast<double>(body.size()));
  std::chrono::milliseconds backoff = config_.min_backoff;
  for (;;) {
    if (out.attempts > 0) retries_->add(1);
    ++out.attempts;
    const Attempt a = send(body);
    if (a.status >= 200 && a.status < 300) {
      samples_sent_->add(static_cast<double>(samples));
      requests_->add(1);
      last_success_->set(static_cast<double>(now_ms()) / 1000.0);
      out.ok = true;
      out.error.clear();
      return out;
    }
    failed(a.status == 0 ? std::string("transport") : std::to_string(a.status)).add(1);
    out.error = a.status == 0
                    ? a.error
                    : "HTTP " + std::to_string(a.status) + (a.error.empty() ? "" : ": " + a.error);
    if (!retryable(a)) {
      out.permanent = true;
      return out;
    }
    if (out.attempts > max_retries) return out;
    // The same delays as flush() asks the push loop for: jittered, Retry-After honoured.
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    auto delay = std::chrono::milliseconds(jitter(rng_));
    if (a.retry_after_s > 0) {
      delay = std::max(
          delay, std::min(std::chrono::milliseconds(a.retry_after_s * 1000), config_.max_backoff));
    }
    backoff = std::min(backoff * 2, config_.max_backoff);
    std::this_thread::sleep_for(delay);  // A retry delay, not a synchronisation.
  }
}

RemoteWriteSink::Attempt RemoteWriteSink::send(const std::string& body) {
  Attempt out;
  CURL* c = static_cast<CURL*>(curl_);
  api_->easy_reset(c);
  std::string answer;
  char errbuf[CURL_ERROR_SIZE] = {0};
  api_->easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  api_->easy_setopt(c, CURLOPT_POST, 1L);
  api_->easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  api_->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  api_->easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  api_->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  api_->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  api_->easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
  api_->easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  api_->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  api_->easy_setopt(c, CURLOPT_USERAGENT, "logtally/" LOGTALLY_VERSION);

  struct curl_slist* headers = nullptr;
  headers = api_->slist_append(headers, "Content-Type: application/x-protobuf");
  headers = api_->slist_append(headers, "Content-Encoding: snappy");
  headers = api_->slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
  // No "Expect: 100-continue" round trip for large bodies.
  headers = api_->slist_append(headers, "Expect:");
  std::string token = config_.bearer_token;
  if (!config_.bearer_token_file.empty()) {
    bool ok = false;
    token = read_trimmed(config_.bearer_token_file, ok);
    if (!ok) {
      api_->slist_free_all(headers);
      out.error = "cannot read bearer_token_file " + config_.bearer_token_file;
      return out;
    }
  }
  if (!token.empty())
    headers = api_->slist_append(headers, ("Authorization: Bearer " + token).c_str());
  for (const auto& [name, value] : config_.headers)
    headers = api_->slist_append(headers, (name + ": " + value).c_str());
  api_->easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  std::string password = config_.basic_auth_password;
  if (!config_.basic_auth_password_file.empty()) {
    bool ok = false;
    password = read_trimmed(config_.basic_auth_password_file, ok);
    if (!ok) {
      api_->slist_free_all(headers);
      out.error = "cannot read basic_auth password_file " + config_.basic_auth_password_file;
      return out;
    }
  }
  if (!config_.basic_auth_username.empty()) {
    api_->easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    api_->easy_setopt(c, CURLOPT_USERNAME, config_.basic_auth_username.c_str());
    api_->easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  }
  if (!config_.tls_ca_file.empty())
    api_->easy_setopt(c, CURLOPT_CAINFO, config_.tls_ca_file.c_str());
  if (!config_.tls_cert_file.empty())
    api_->easy_setopt(c, CURLOPT_SSLCERT, config_.tls_cert_file.c_str());
  if (!config_.tls_key_file.empty())
    api_->easy_setopt(c, CURLOPT_SSLKEY, config_.tls_key_file.c_str());
  if (config_.tls_insecure_skip_verify) {
    api_->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    api_->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  const CURLcode rc = api_->easy_perform(c);
  api_->slist_free_all(headers);
  if (rc != CURLE_OK) {
    out.error = errbuf[0] ? errbuf : api_->easy_strerror(rc);
    return out;
  }
  api_->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  if (out.status == 429 || out.status == 503) {
    curl_off_t retry_after = 0;
    if (api_->easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
      out.retry_after_s = static_cast<int64_t>(retry_after);
  }
  if (out.status < 200 || out.status >= 300) {
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
    for (char& ch : answer) {
      if (ch == '\n' || ch == '\r') ch = ' ';  // One log line per failure.
    }
    out.error = answer;
  }
  return out;
}

}  // namespace logtally::sinks
