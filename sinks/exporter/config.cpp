#include "sinks/exporter/config.h"

#include <yaml-cpp/yaml.h>

#include "sinks/exporter/http_auth.h"
#include "sinks/exporter/prometheus_exporter.h"

namespace logtally::sinks {

namespace {

const config::OptionTable& table() {
  static const config::OptionTable t = {
      "sink: prometheus_exporter",
      "Serves the metrics over HTTP for Prometheus to scrape (prometheus-cpp's Exposer).",
      {
          {"type", "string", "", "`prometheus_exporter`.", true},
          {"listen", "host:port", "0.0.0.0:9898", "Address to listen on."},
          {"path", "string", "/metrics",
           "HTTP path of the metrics: Prometheus text 0.0.4, or OpenMetrics 1.0.0 when the "
           "scraper's `Accept` header prefers `application/openmetrics-text`. `/-/healthy` and "
           "`/-/ready` (503 until the sources started) are served on the same port, without "
           "auth."},
          {"tls_cert_file", "path", "(none: plain HTTP)",
           "PEM certificate (chain) to serve HTTPS with (TLS 1.2 or newer). Needs libssl at run "
           "time."},
          {"tls_key_file", "path", "(the key is in `tls_cert_file`)",
           "PEM private key of the certificate."},
          {"basic_auth_username", "string", "(none: no auth)",
           "User name required on the metrics path (HTTP basic auth); needs "
           "`basic_auth_password_hash`."},
          {"basic_auth_password_hash", "crypt(3) hash", "",
           "Hash of the password, e.g. from `openssl passwd -6` (`$6$...`) or bcrypt "
           "(`$2b$...`); never the password itself."},
          {"enable_reload", "boolean", "false",
           "Serve `POST /-/reload` (behind the basic auth when set): reloads the config file "
           "as SIGHUP does; answers 200 once the new config is valid and being applied, 400 "
           "with its errors when it is refused (docs/reload.md)."},
      }};
  return t;
}

bool valid_listen(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  const std::string port = s.substr(colon + 1);
  return port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5 &&
         std::stoi(port) >= 1 && std::stoi(port) <= 65535;
}

std::string port_of(const std::string& listen) { return listen.substr(listen.rfind(':') + 1); }

std::shared_ptr<const SinkSpec> load(config::Reader& r, const YAML::Node& n,
                                     const std::string& what) {
  auto c = std::make_shared<PrometheusExporterConfig>();
  const auto str = [&](const char* key, std::string& out) {
    if (n[key]) {
      if (auto s = r.string_value(n[key], what + " " + key)) out = *s;
    }
  };
  str("tls_cert_file", c->tls_cert_file);
  str("tls_key_file", c->tls_key_file);
  str("basic_auth_username", c->basic_auth_username);
  str("basic_auth_password_hash", c->basic_auth_password_hash);
  if (!c->tls_key_file.empty() && c->tls_cert_file.empty()) {
    r.error(n["tls_key_file"], what + ": tls_key_file needs tls_cert_file");
  }
  const bool user = !c->basic_auth_username.empty();
  const bool hash = !c->basic_auth_password_hash.empty();
  if (user != hash) {
    r.error(n, what + ": basic auth needs both basic_auth_username and basic_auth_password_hash");
  }
  if (hash && !valid_password_hash(c->basic_auth_password_hash)) {
    r.error(n["basic_auth_password_hash"],
            what +
                " basic_auth_password_hash: expected a crypt(3) hash such as the output of "
                "`openssl passwd -6` ($6$...) or bcrypt ($2b$...), not a plain password");
  }
  if (auto b = r.bool_option(n, table(), "enable_reload", what + " enable_reload")) {
    c->enable_reload = *b;
  }
  if (auto s = r.string_option(n, table(), "listen", what + " listen")) {
    if (!valid_listen(*s))
      r.error(n["listen"], what + " listen: expected host:port, got \"" + *s + "\"");
    c->listen = *s;
  }
  if (auto s = r.string_option(n, table(), "path", what + " path")) {
    if (s->empty() || (*s)[0] != '/') r.error(n["path"], what + " path: must start with '/'");
    c->path = *s;
  }
  return c;
}

}  // namespace

std::string PrometheusExporterConfig::describe() const {
  return "prometheus_exporter " + std::string(tls_cert_file.empty() ? "http://" : "https://") +
         listen + path + (basic_auth_username.empty() ? "" : " (basic auth)");
}

std::unique_ptr<Sink> PrometheusExporterConfig::build(const std::string& name,
                                                      const core::MetricStore& store) const {
  return std::make_unique<PrometheusExporter>(name, *this, store);
}

std::string PrometheusExporterConfig::conflict_with(const SinkSpec& earlier,
                                                    const std::string& earlier_name) const {
  const auto* other = dynamic_cast<const PrometheusExporterConfig*>(&earlier);
  if (other == nullptr) return {};
  const std::string port = port_of(listen);
  if (other->listen != listen && port_of(other->listen) == port) {
    return "port " + port + " is already used by sink '" + earlier_name + "'";
  }
  if (other->listen == listen) {
    return "listen address " + listen + " is already used by sink '" + earlier_name + "'";
  }
  return {};
}

config::SinkEntry prometheus_exporter_sink_entry() {
  return {"prometheus_exporter", {&table()}, &load};
}

}  // namespace logtally::sinks
