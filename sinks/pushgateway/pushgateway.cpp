#include "sinks/pushgateway/pushgateway.h"

#include <curl/curl.h>

#include <exception>
#include <mutex>

#include <prometheus/text_serializer.h>

#include "core/log.h"
#include "sinks/curl_api.h"
#include "sinks/exporter/http_auth.h"
#include "sinks/exposition/exposition.h"

namespace logtally::sinks {

namespace {

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// One path segment pair of the grouping key. The Pushgateway cannot take an empty segment or a
// '/' in one, even percent-encoded, so such values go as base64url (`name@base64/value`; "=" is
// the Pushgateway's spelling of the empty value).
std::string grouping_segment(std::string_view name, std::string_view value) {
  std::string out = "/";
  if (value.empty()) {
    out += std::string(name) + "@base64/=";
  } else if (value.find('/') != std::string_view::npos) {
    out += std::string(name) + "@base64/" + base64_encode(value, /*url_safe=*/true);
  } else {
    out += std::string(name) + "/" + percent_encode(value);
  }
  return out;
}

size_t discard_body(char* /*ptr*/, size_t size, size_t nmemb, void* /*userdata*/) {
  return size * nmemb;
}

}  // namespace

std::string pushgateway_url(const PushgatewayConfig& config) {
  std::string url = config.url + "/metrics" + grouping_segment("job", config.job);
  for (const auto& [name, value] : config.grouping) url += grouping_segment(name, value);
  return url;
}

Pushgateway::Pushgateway(std::string name, PushgatewayConfig config, const core::MetricStore& store)
    : name_(std::move(name)),
      config_(std::move(config)),
      store_(store),
      url_(pushgateway_url(config_)) {}

core::Status Pushgateway::start() {
  std::string error;
  curl_ = curl_api(&error);
  if (curl_ == nullptr)
    return core::make_error(core::ErrorCode::kIo, "sink " + name_ + ": " + error);
  sent_ = register_send_counters(store_.self_metrics(), name_);
  return core::Ok{};
}

FlushResult Pushgateway::flush(const core::Snapshot& snapshot, bool /*final*/) {
  std::string body;
  try {
    const prometheus::TextSerializer serializer;
    body = serializer.Serialize(to_families(store_, snapshot));
  } catch (const std::exception& e) {
    core::log(core::LogLevel::kError, "sink " + name_ + ": cannot serialize: " + e.what());
    if (sent_.error != nullptr) sent_.error->add(1);
    return {false, std::nullopt};
  }
  const CurlApi& api = *curl_;
  CURL* curl = api.easy_init();
  if (curl == nullptr) {
    if (sent_.error != nullptr) sent_.error->add(1);
    return {false, std::nullopt};
  }
  curl_slist* headers =
      api.slist_append(nullptr, "Content-Type: text/plain; version=0.0.4; charset=utf-8");
  api.easy_setopt(curl, CURLOPT_URL, url_.c_str());
  api.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                  config_.method == PushgatewayConfig::Method::kPut ? "PUT" : "POST");
  api.easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  api.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  api.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // No SIGALRM for DNS timeouts: threads.
  api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discard_body);
  if (!config_.username.empty()) {
    api.easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
    api.easy_setopt(curl, CURLOPT_PASSWORD, config_.password.c_str());
  }
  const CURLcode rc = api.easy_perform(curl);
  long status = 0;
  api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  api.slist_free_all(headers);
  api.easy_cleanup(curl);
  const bool ok = rc == CURLE_OK && status >= 200 && status < 300;
  if (ok) {
    sent_.ok->add(1);
  } else {
    sent_.error->add(1);
    core::log(core::LogLevel::kWarn,
              "sink " + name_ + ": push to " + url_ + " failed: " +
                  (rc != CURLE_OK ? std::string(api.easy_strerror(rc))
                                  : "HTTP status " + std::to_string(status)));
  }
  return {ok, std::nullopt};
}

std::string Pushgateway::describe() const {
  return "pushgateway " + url_ +
         (config_.method == PushgatewayConfig::Method::kPut ? " (PUT" : " (POST") + " every " +
         std::to_string(config_.interval.count()) + "ms)";
}

}  // namespace logtally::sinks
