#include "sinks/pushgateway.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <exception>
#include <mutex>

#include <prometheus/text_serializer.h>

#include "core/log.h"
#include "sinks/exposition.h"
#include "sinks/http_auth.h"
#include "sinks/push_loop.h"

namespace logtally::sinks {

// libcurl is loaded with dlopen() when the first pushgateway sink starts, not linked: with its
// dependency tree (Kerberos, LDAP, SSH, HTTP/2, ...) it adds ~6 MiB of resident memory to every
// process, and the sidecar that uses no push sink should not pay for it.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

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

template <typename F>
bool load(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
}

// The loaded and initialised libcurl, or nullptr (with `error` set) when it is not installed.
const CurlApi* curl_api(std::string& error) {
  static std::once_flag once;
  static CurlApi api;
  static const CurlApi* result = nullptr;
  static std::string load_error;
  std::call_once(once, [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      load_error = std::string("cannot load libcurl.so.4 (Debian package libcurl4): ") + dlerror();
      return;
    }
    const bool ok = load(lib, "curl_global_init", api.global_init) &&
                    load(lib, "curl_easy_init", api.easy_init) &&
                    load(lib, "curl_easy_setopt", api.easy_setopt) &&
                    load(lib, "curl_easy_perform", api.easy_perform) &&
                    load(lib, "curl_easy_getinfo", api.easy_getinfo) &&
                    load(lib, "curl_easy_cleanup", api.easy_cleanup) &&
                    load(lib, "curl_easy_strerror", api.easy_strerror) &&
                    load(lib, "curl_slist_append", api.slist_append) &&
                    load(lib, "curl_slist_free_all", api.slist_free_all);
    if (!ok) {
      load_error = "libcurl.so.4 lacks a function logtally needs";
      return;
    }
    // Once per process, on the thread that starts the sink (before any push thread exists):
    // curl_global_init is not thread-safe in older libcurl.
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      load_error = "curl_global_init failed";
      return;
    }
    result = &api;
  });
  error = load_error;
  return result;
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

Pushgateway::~Pushgateway() { stop(); }

core::Status Pushgateway::start() {
  std::string error;
  curl_ = curl_api(error);
  if (curl_ == nullptr)
    return core::make_error(core::ErrorCode::kIo, "sink " + name_ + ": " + error);
  core::SelfMetrics& self = store_.self_metrics();
  constexpr std::string_view kHelp = "Pushes and flushes a sink sent, by result.";
  sent_ok_ = &self.counter("logtally_sink_sends_total", kHelp, {{"sink", name_}, {"result", "ok"}});
  sent_error_ =
      &self.counter("logtally_sink_sends_total", kHelp, {{"sink", name_}, {"result", "error"}});
  loop_ = std::make_unique<PushLoop>(name_, config_.interval, [this](bool) { push(); });
  loop_->start();
  return core::Ok{};
}

void Pushgateway::stop() {
  if (!loop_) return;
  loop_->stop();  // Pushes once more (the final state) and joins.
  loop_.reset();
}

bool Pushgateway::push() {
  std::string body;
  try {
    const prometheus::TextSerializer serializer;
    body = serializer.Serialize(to_families(store_, store_.snapshot()));
  } catch (const std::exception& e) {
    core::log(core::LogLevel::kError, "sink " + name_ + ": cannot serialize: " + e.what());
    if (sent_error_ != nullptr) sent_error_->add(1);
    return false;
  }
  const CurlApi& api = *curl_;
  CURL* curl = api.easy_init();
  if (curl == nullptr) {
    if (sent_error_ != nullptr) sent_error_->add(1);
    return false;
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
    sent_ok_->add(1);
  } else {
    sent_error_->add(1);
    core::log(core::LogLevel::kWarn,
              "sink " + name_ + ": push to " + url_ + " failed: " +
                  (rc != CURLE_OK ? std::string(api.easy_strerror(rc))
                                  : "HTTP status " + std::to_string(status)));
  }
  return ok;
}

std::string Pushgateway::describe() const {
  return "pushgateway " + url_ +
         (config_.method == PushgatewayConfig::Method::kPut ? " (PUT" : " (POST") + " every " +
         std::to_string(config_.interval.count()) + "ms)";
}

}  // namespace logtally::sinks
