#include "sinks/exporter/prometheus_exporter.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <openssl/ssl.h>

#include <dlfcn.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include "sinks/exporter/http_auth.h"
#include "sinks/exposition/exposition.h"
#include "sinks/exposition/openmetrics.h"
#include "sinks/exposition/scrape_body.h"

namespace logtally::sinks {

namespace {

// civetweb hands its callbacks the CivetServer that prometheus-cpp owns privately, not a
// pointer of ours. Each exporter therefore registers itself under its listening port, which
// civetweb does report per request (mg_request_info::server_port). The config rejects two
// exporters on one port.
std::mutex g_registry_mu;
std::map<int, PrometheusExporter*>& registry() {
  static std::map<int, PrometheusExporter*> r;
  return r;
}

int begin_request(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  if (info == nullptr) return 0;
  PrometheusExporter* exporter = nullptr;
  {
    std::lock_guard lock(g_registry_mu);
    auto it = registry().find(info->server_port);
    if (it != registry().end()) exporter = it->second;
  }
  return exporter == nullptr ? 0 : exporter->handle_early(conn);
}

// civetweb creates its SSL_CTX inside the CivetServer constructor, on the thread that builds
// the Exposer; init_ssl runs there, before the constructor returns. A thread-local names the
// exporter being started.
thread_local PrometheusExporter* t_starting = nullptr;

int init_ssl(void* ssl_ctx, void* /*user_data*/) {
  return t_starting == nullptr ? 0 : t_starting->init_tls(ssl_ctx);
}

// The OpenSSL functions init_tls() needs, looked up through the shim (which depends on the real
// libssl): logtally itself does not link OpenSSL, which would add ~1.8 MiB of resident memory to
// every process, TLS or not.
struct TlsApi {
  decltype(&SSL_CTX_use_certificate_chain_file) use_chain = nullptr;
  decltype(&SSL_CTX_use_PrivateKey_file) use_key = nullptr;
  decltype(&SSL_CTX_check_private_key) check_key = nullptr;
};

// Loads sinks/exporter/tls_compat/civetweb_openssl3.c's library (SONAME libssl.so) before civetweb
// dlopen()s "libssl.so", so that civetweb gets it, with the function Debian 12's civetweb needs
// and OpenSSL 3 lacks. Without it every TLS connection would crash the process: refuse TLS.
const TlsApi* load_tls_shim(std::string& tried) {
  static std::once_flag once;
  static TlsApi api;
  static const TlsApi* loaded = nullptr;
  static std::string paths;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
      std::string dir(exe, static_cast<size_t>(n));
      dir.erase(dir.rfind('/'));
      candidates.push_back(dir + "/tls-compat/libssl.so");
      candidates.push_back(dir + "/../lib/logtally/libssl.so");
    }
    candidates.emplace_back(LOGTALLY_TLS_SHIM_BUILD_PATH);
    for (const std::string& c : candidates) {
      paths += (paths.empty() ? "" : ", ") + c;
      void* lib = dlopen(c.c_str(), RTLD_NOW);
      if (lib == nullptr || dlsym(lib, "logtally_civetweb_openssl3_shim") == nullptr) continue;
      // Its companion (tls_compat/crypto_soname.c), for civetweb's dlopen("libcrypto.so"),
      // from the same folder; not needed where libssl-dev provides that name.
      const std::string crypto = c.substr(0, c.rfind('/') + 1) + "libcrypto.so";
      void* crypto_lib = dlopen(crypto.c_str(), RTLD_NOW);
      if (crypto_lib != nullptr && dlsym(crypto_lib, "logtally_crypto_soname_shim") == nullptr) {
        dlclose(crypto_lib);
      }
      api.use_chain = reinterpret_cast<decltype(api.use_chain)>(
          dlsym(lib, "SSL_CTX_use_certificate_chain_file"));
      api.use_key =
          reinterpret_cast<decltype(api.use_key)>(dlsym(lib, "SSL_CTX_use_PrivateKey_file"));
      api.check_key =
          reinterpret_cast<decltype(api.check_key)>(dlsym(lib, "SSL_CTX_check_private_key"));
      if (api.use_chain != nullptr && api.use_key != nullptr && api.check_key != nullptr) {
        loaded = &api;
        return;
      }
    }
  });
  tried = paths;
  return loaded;
}

// True if an Accept-Encoding header allows gzip (a `gzip` coding without `q=0`).
bool accepts_gzip(std::string_view header) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    const size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    return std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
  }
  return false;
}

// `in` gzip-compressed (zlib, fast level), or nullopt if zlib fails.
std::optional<std::string> gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

void send_response(mg_connection* conn, int status, std::string_view reason,
                   std::string_view content_type, std::string_view body,
                   std::string_view extra_header = {}) {
  mg_printf(conn,
            "HTTP/1.1 %d %.*s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n%.*s\r\n",
            status, static_cast<int>(reason.size()), reason.data(),
            static_cast<int>(content_type.size()), content_type.data(), body.size(),
            static_cast<int>(extra_header.size()), extra_header.data());
  const mg_request_info* info = mg_get_request_info(conn);
  const bool head = info != nullptr && info->request_method != nullptr &&
                    std::strcmp(info->request_method, "HEAD") == 0;
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

}  // namespace

PrometheusExporter::PrometheusExporter(std::string name, PrometheusExporterConfig config,
                                       const core::MetricStore& store)
    : name_(std::move(name)), config_(std::move(config)), store_(store) {}

PrometheusExporter::~PrometheusExporter() { stop(); }

bool PrometheusExporter::authorized(const char* header) const {
  if (config_.basic_auth_username.empty()) return true;
  if (header == nullptr) return false;
  std::optional<BasicCredentials> creds = parse_basic_authorization(header);
  // Hash even for a wrong user name, so the answer takes as long either way.
  const bool password_ok =
      creds && password_matches(creds->password, config_.basic_auth_password_hash);
  return password_ok && creds->user == config_.basic_auth_username;
}

int PrometheusExporter::handle_early(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const std::string_view uri = info->local_uri != nullptr ? info->local_uri : "";
  if (uri == "/-/healthy") {
    send_response(conn, 200, "OK", "text/plain; charset=utf-8", "logtally is healthy.\n");
    return 200;
  }
  if (uri == "/-/ready") {
    if (ready_.load()) {
      send_response(conn, 200, "OK", "text/plain; charset=utf-8", "logtally is ready.\n");
      return 200;
    }
    send_response(conn, 503, "Service Unavailable", "text/plain; charset=utf-8",
                  "logtally is not ready: sources are starting.\n");
    return 503;
  }
  if (uri == "/-/reload" && config_.enable_reload && reload_) {
    if (!authorized(mg_get_header(conn, "Authorization"))) {
      send_response(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n",
                    "WWW-Authenticate: Basic realm=\"logtally\"\r\n");
      return 401;
    }
    if (info->request_method == nullptr || std::strcmp(info->request_method, "POST") != 0) {
      send_response(conn, 405, "Method Not Allowed", "text/plain; charset=utf-8",
                    "Only POST reloads.\n", "Allow: POST\r\n");
      return 405;
    }
    const core::Status st = reload_();
    if (!st) {
      send_response(conn, 400, "Bad Request", "text/plain; charset=utf-8",
                    "reload refused: " + st.error().message + "\n");
      return 400;
    }
    send_response(conn, 200, "OK", "text/plain; charset=utf-8",
                  "reload: the new config is valid; applying it\n");
    return 200;
  }
  if (uri == "/-/tap" && tap_ != nullptr) {
    if (!authorized(mg_get_header(conn, "Authorization"))) {
      send_response(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n",
                    "WWW-Authenticate: Basic realm=\"logtally\"\r\n");
      return 401;
    }
    return handle_tap(conn);
  }
  if ((uri == "/" || uri == "/-/status") && config_.path != "/") {
    if (!authorized(mg_get_header(conn, "Authorization"))) {
      send_response(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n",
                    "WWW-Authenticate: Basic realm=\"logtally\"\r\n");
      return 401;
    }
    return uri == "/" ? handle_status_page(conn) : handle_status(conn);
  }
  if (uri != config_.path) {
    send_response(conn, 404, "Not Found", "text/plain; charset=utf-8", "Not Found\n");
    return 404;
  }
  if (!authorized(mg_get_header(conn, "Authorization"))) {
    send_response(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n",
                  "WWW-Authenticate: Basic realm=\"logtally\"\r\n");
    return 401;
  }
  // Both formats are written here (not by prometheus-cpp's handler, whose own exposer_*
  // counters would restart at 0 with every process: a decrease a reader would see).
  // Written straight from the store's read view (sinks/exposition/scrape_body.h): the same
  // bytes as to_families() through either serializer, without a MetricFamily per series.
  const std::shared_ptr<const core::ReadView> view = store_.read_view();
  const char* accept = mg_get_header(conn, "Accept");
  const bool open_metrics =
      accept != nullptr && negotiate_format(accept) == ExpositionFormat::kOpenMetrics100;
  const std::string body = scrape_body(
      *view, open_metrics ? ExpositionFormat::kOpenMetrics100 : ExpositionFormat::kText004);
  const std::string_view type =
      open_metrics ? kOpenMetricsContentType : "text/plain; version=0.0.4; charset=utf-8";
  const char* encoding = mg_get_header(conn, "Accept-Encoding");
  if (encoding != nullptr && accepts_gzip(encoding)) {
    if (std::optional<std::string> gz = gzip(body)) {
      send_response(conn, 200, "OK", type, *gz, "Content-Encoding: gzip\r\n");
      return 200;
    }
  }
  send_response(conn, 200, "OK", type, body);
  return 200;
}

int PrometheusExporter::init_tls(void* ssl_ctx) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  const std::string& key =
      config_.tls_key_file.empty() ? config_.tls_cert_file : config_.tls_key_file;
  const auto* api = static_cast<const TlsApi*>(tls_);
  if (api == nullptr || api->use_chain(ctx, config_.tls_cert_file.c_str()) != 1 ||
      api->use_key(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 || api->check_key(ctx) != 1) {
    return -1;  // civetweb then fails to start, and start() reports it.
  }
  return 1;  // Loaded: civetweb does not load the files itself.
}

core::Status PrometheusExporter::start() {
  const size_t colon = config_.listen.rfind(':');
  port_ = std::atoi(config_.listen.c_str() + colon + 1);
  const bool tls = !config_.tls_cert_file.empty();
  std::string tried;
  if (tls && (tls_ = load_tls_shim(tried)) == nullptr) {
    return core::make_error(core::ErrorCode::kIo,
                            "sink " + name_ +
                                ": TLS needs logtally's civetweb/OpenSSL 3 shim (libssl.so, see " +
                                "docs/sinks.md), not found in: " + tried);
  }
  {
    std::lock_guard lock(g_registry_mu);
    if (!registry().emplace(port_, this).second) {
      return core::make_error(core::ErrorCode::kIo, "sink " + name_ + ": another exporter in " +
                                                        "this process already uses port " +
                                                        std::to_string(port_));
    }
  }
  std::vector<std::string> options = {"listening_ports", config_.listen + (tls ? "s" : ""),
                                      "num_threads", std::to_string(config_.threads)};
  if (tls) {
    options.insert(options.end(), {"ssl_certificate", config_.tls_cert_file,
                                   // TLS 1.2 and newer only (civetweb's protocol level 4).
                                   "ssl_protocol_version", "4"});
  }
  CivetCallbacks callbacks;
  callbacks.begin_request = &begin_request;
  if (tls) callbacks.init_ssl = &init_ssl;
  try {
    t_starting = this;
    exposer_ = std::make_unique<prometheus::Exposer>(options, &callbacks);
    t_starting = nullptr;
  } catch (const std::exception& e) {
    t_starting = nullptr;
    exposer_.reset();
    {
      std::lock_guard lock(g_registry_mu);
      registry().erase(port_);
    }
    // civetweb's own words ("null context when constructing CivetServer") do not say why;
    // the usual reasons are a port in use, a privileged port, or an address not on this host.
    std::string why = "port in use, privileged, or address not local?";
    if (tls) why = "port in use, or unreadable/mismatched TLS certificate and key?";
    return core::make_error(
        core::ErrorCode::kIo,
        "sink " + name_ + ": cannot listen on " + config_.listen + " (" + why + "): " + e.what());
  }
  return core::Ok{};
}

void PrometheusExporter::stop() {
  if (!exposer_) return;
  stopping_.store(true);  // Open tap streams end within their wait (200 ms).
  exposer_.reset();       // Joins civetweb's threads: no request is in flight after this.
  std::lock_guard lock(g_registry_mu);
  auto it = registry().find(port_);
  if (it != registry().end() && it->second == this) registry().erase(it);
}

std::string PrometheusExporter::describe() const {
  std::string out = "prometheus_exporter on ";
  out += config_.tls_cert_file.empty() ? "http://" : "https://";
  out += config_.listen + config_.path;
  if (!config_.basic_auth_username.empty()) out += " (basic auth)";
  return out;
}

}  // namespace logtally::sinks
