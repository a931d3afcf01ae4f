#include "sinks/remote_write/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "sinks/remote_write/client.h"

namespace logtally::sinks {

namespace {

const config::OptionTable& table() {
  static const config::OptionTable t = {
      "sink: prometheus_remote_write",
      "Pushes every series' current value with Prometheus remote write 1.0 (protobuf, "
      "snappy, HTTP POST) every `interval` and once more at exit, `--once` included. 5xx, 429 "
      "and transport errors are retried with jittered exponential backoff, rebuilding the "
      "request from the current state each time; other answers are logged, counted and not "
      "retried. See docs/sinks-remote-write.md.",
      {
          {"type", "string", "", "`prometheus_remote_write`.", true},
          {"url", "http(s) URL", "", "The receiver, e.g. `http://prometheus:9090/api/v1/write`.",
           true},
          {"interval", "duration", "15s", "Time between pushes (`500ms`, `15s`, `1m`)."},
          {"timeout", "duration", "10s", "Per request, connecting included."},
          {"min_backoff", "duration", "500ms", "First retry delay; doubles per retry."},
          {"max_backoff", "duration", "30s", "Longest retry delay."},
          {"external_labels", "map of label name -> string", "(none)",
           "Added to every series that has no label of that name (e.g. `instance`)."},
          {"native_histograms", "boolean", "false",
           "Also send histograms as native (exponential) histograms, recorded per series at "
           "observe time. Classic `_bucket`/`_sum`/`_count` series are sent either way."},
          {"native_schema", "integer -4..8", "3",
           "Resolution: each power of two is split into 2^schema buckets (3: ~9% wide)."},
          {"native_max_buckets", "integer 16..4096", "160",
           "Per sign and series: the widest span of bucket indices kept; wider halves the "
           "series' resolution. Costs 16 bytes per bucket per histogram series."},
          {"native_zero_threshold", "number", "2^-128",
           "Observations with an absolute value up to this count in the zero bucket."},
          {"basic_auth", "map", "(none)", "HTTP basic authentication (see below)."},
          {"bearer_token", "string", "(none)", "Sent as `Authorization: Bearer ...`."},
          {"bearer_token_file", "string", "(none)",
           "File holding the token; read on every request, so a rotated token is picked up."},
          {"tls", "map", "(none)", "TLS settings for https URLs (see below)."},
          {"headers", "map of name -> string", "(none)",
           "Extra HTTP headers (not the protocol's own)."},
      }};
  return t;
}

const config::OptionTable& basic_auth_table() {
  static const config::OptionTable t = {
      "remote_write basic_auth",
      "The `basic_auth` map of a `prometheus_remote_write` sink.",
      {
          {"username", "string", "", "User name.", true},
          {"password", "string", "(none)", "Password."},
          {"password_file", "string", "(none)", "File holding the password, read per request."},
      }};
  return t;
}

const config::OptionTable& tls_table() {
  static const config::OptionTable t = {
      "remote_write tls",
      "The `tls` map of a `prometheus_remote_write` sink.",
      {
          {"ca_file", "string", "system CAs", "CA certificates to verify the server with."},
          {"cert_file", "string", "(none)", "Client certificate (PEM), with key_file."},
          {"key_file", "string", "(none)", "Client private key (PEM), with cert_file."},
          {"insecure_skip_verify", "boolean", "false", "Do not verify the server certificate."},
      }};
  return t;
}

void load_basic_auth(config::Reader& r, const YAML::Node& n, const std::string& what,
                     RemoteWriteConfig& rw) {
  const YAML::Node ba = n["basic_auth"];
  if (!ba) return;
  const std::string w = what + " basic_auth";
  if (r.check_keys(ba, basic_auth_table(), w)) {
    if (ba["username"]) {
      if (auto s = r.string_value(ba["username"], w + " username")) rw.basic_auth_username = *s;
    }
    if (ba["password"]) {
      if (auto s = r.string_value(ba["password"], w + " password")) rw.basic_auth_password = *s;
    }
    if (ba["password_file"]) {
      if (auto s = r.string_value(ba["password_file"], w + " password_file"))
        rw.basic_auth_password_file = *s;
    }
    if (!rw.basic_auth_password.empty() && !rw.basic_auth_password_file.empty()) {
      r.error(ba, w + ": give password or password_file, not both");
    }
  }
  if (!rw.bearer_token.empty() || !rw.bearer_token_file.empty()) {
    r.error(ba, what + ": give basic_auth or a bearer token, not both");
  }
}

void load_tls(config::Reader& r, const YAML::Node& n, const std::string& what,
              RemoteWriteConfig& rw) {
  const YAML::Node tls = n["tls"];
  if (!tls) return;
  const std::string w = what + " tls";
  if (!r.check_keys(tls, tls_table(), w)) return;
  const auto file = [&](const char* key, std::string& out) {
    if (tls[key]) {
      if (auto s = r.string_value(tls[key], w + " " + key)) out = *s;
    }
  };
  file("ca_file", rw.tls_ca_file);
  file("cert_file", rw.tls_cert_file);
  file("key_file", rw.tls_key_file);
  if (auto b = r.bool_option(tls, tls_table(), "insecure_skip_verify", w + " insecure_skip_verify"))
    rw.tls_insecure_skip_verify = *b;
  if (rw.tls_cert_file.empty() != rw.tls_key_file.empty()) {
    r.error(tls, w + ": cert_file and key_file go together");
  }
}

std::shared_ptr<const SinkSpec> load(config::Reader& r, const YAML::Node& n,
                                     const std::string& what) {
  auto rw = std::make_shared<RemoteWriteConfig>();
  if (n["url"]) {
    if (auto s = r.string_value(n["url"], what + " url")) {
      if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0) {
        r.error(n["url"], what + " url: expected an http:// or https:// URL, got \"" + *s + "\"");
      }
      rw->url = *s;
    }
  }
  const auto duration = [&](const char* key, std::chrono::milliseconds& out) {
    if (auto d = r.duration_option(n, table(), key, what + " " + key)) {
      if (d->count() <= 0) {
        r.error(n[key], what + " " + key + ": must be more than 0");
      } else {
        out = *d;
      }
    }
  };
  duration("interval", rw->interval);
  duration("timeout", rw->timeout);
  duration("min_backoff", rw->min_backoff);
  duration("max_backoff", rw->max_backoff);
  if (rw->max_backoff < rw->min_backoff) {
    r.error(n, what + ": max_backoff is below min_backoff");
  }
  if (n["external_labels"]) {
    rw->external_labels = r.string_map(n["external_labels"], what + " external_labels", true);
  }
  if (n["headers"]) {
    rw->headers = r.string_map(n["headers"], what + " headers", false);
    for (const auto& [h, v] : rw->headers) {
      std::string lower;
      for (const char c : h)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "content-type" || lower == "content-encoding" ||
          lower == "x-prometheus-remote-write-version" || lower == "content-length") {
        r.error(n["headers"], what + " headers: '" + h + "' is set by the remote write protocol");
      }
    }
  }
  if (auto b = r.bool_option(n, table(), "native_histograms", what + " native_histograms"))
    rw->send_native = *b;
  if (auto v = r.integer_option(n, table(), "native_schema", what + " native_schema",
                                core::kNativeMinSchema, core::kNativeMaxSchema))
    rw->native_schema = static_cast<int>(*v);
  if (auto v = r.integer_option(n, table(), "native_max_buckets", what + " native_max_buckets", 16,
                                4096))
    rw->native_max_buckets = static_cast<uint32_t>(*v);
  // The row's default (2^-128) is documentation, not a number the grammar reads: the struct's
  // default is Prometheus' client default, core::NativeHistogramOptions::zero_threshold.
  if (n["native_zero_threshold"]) {
    if (auto v = r.number_value(n["native_zero_threshold"], what + " native_zero_threshold")) {
      if (*v < 0) {
        r.error(n["native_zero_threshold"], what + " native_zero_threshold: must be >= 0");
      } else {
        rw->native_zero_threshold = *v;
      }
    }
  }
  if (n["bearer_token"]) {
    if (auto s = r.string_value(n["bearer_token"], what + " bearer_token")) rw->bearer_token = *s;
  }
  if (n["bearer_token_file"]) {
    if (auto s = r.string_value(n["bearer_token_file"], what + " bearer_token_file"))
      rw->bearer_token_file = *s;
  }
  if (!rw->bearer_token.empty() && !rw->bearer_token_file.empty()) {
    r.error(n, what + ": give bearer_token or bearer_token_file, not both");
  }
  load_basic_auth(r, n, what, *rw);
  load_tls(r, n, what, *rw);
  return rw;
}

}  // namespace

std::string RemoteWriteConfig::describe() const {
  std::string out =
      "prometheus_remote_write " + url + " every " + std::to_string(interval.count()) + "ms";
  if (send_native) out += ", native histograms (schema " + std::to_string(native_schema) + ")";
  return out;
}

std::unique_ptr<Sink> RemoteWriteConfig::build(const std::string& name,
                                               const core::MetricStore& store) const {
  return std::make_unique<RemoteWriteSink>(name, *this, store);
}

std::optional<core::NativeHistogramOptions> RemoteWriteConfig::native_histograms() const {
  if (!send_native) return std::nullopt;
  core::NativeHistogramOptions o;
  o.enabled = true;
  o.schema = static_cast<int8_t>(native_schema);
  o.zero_threshold = native_zero_threshold;
  o.max_buckets = native_max_buckets;
  return o;
}

config::SinkEntry prometheus_remote_write_sink_entry() {
  return {"prometheus_remote_write", {&table(), &basic_auth_table(), &tls_table()}, &load};
}

}  // namespace logtally::sinks
