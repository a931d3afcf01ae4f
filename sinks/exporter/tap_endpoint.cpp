// GET /-/tap on the exporter: the tap stream of a running logtally (docs/testing.md).
//
// Query: `pipeline` (optional; one pipeline, else all), `limit` (optional; objects at most),
// `timeout` (optional; seconds the stream stays open, 1 to 3600, default 60). The answer is
// `application/x-ndjson`, chunked: one JSON object a line as records pass, until the limit, the
// timeout, the client going away (seen at the next write), or logtally stopping. A client that
// reads slower than records pass loses objects rather than slowing logtally down: a line
// `{"lost":N}` says how many were left out before the next one.
//
// Each stream holds one of civetweb's `threads` while it is open; at most threads - 1 streams
// are served at once so that a scrape always finds a thread (503 beyond).
#include <civetweb.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "core/tap.h"
#include "sinks/exporter/prometheus_exporter.h"

namespace logtally::sinks {

namespace {

int plain(mg_connection* conn, int status, const char* reason, const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            status, reason, body.size());
  mg_write(conn, body.data(), body.size());
  return status;
}

// The query variable `name`, if present.
bool query_var(const mg_request_info* info, const char* name, std::string& out) {
  if (info->query_string == nullptr) return false;
  char buf[256];
  const int n =
      mg_get_var(info->query_string, std::strlen(info->query_string), name, buf, sizeof(buf));
  if (n < 0) return false;
  out.assign(buf, static_cast<size_t>(n));
  return true;
}

// A decimal integer from lo to hi.
bool parse_count(const std::string& s, uint64_t lo, uint64_t hi, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

}  // namespace

int PrometheusExporter::handle_tap(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  if (info->request_method == nullptr || std::strcmp(info->request_method, "GET") != 0) {
    return plain(conn, 405, "Method Not Allowed", "Only GET taps.\n");
  }
  std::string pipeline;
  std::string text;
  uint64_t limit = 0;
  uint64_t timeout_s = 60;
  if (query_var(info, "pipeline", pipeline)) {
    bool found = false;
    std::string names;
    for (const std::string& p : store_.pipeline_names()) {
      found = found || p == pipeline;
      names += (names.empty() ? "" : ", ") + p;
    }
    if (!found) {
      return plain(conn, 400, "Bad Request",
                   "no pipeline named '" + pipeline + "'; pipelines are: " + names + "\n");
    }
  }
  if (query_var(info, "limit", text) && !parse_count(text, 1, UINT64_MAX / 2, limit)) {
    return plain(conn, 400, "Bad Request", "limit: expected a positive integer\n");
  }
  if (query_var(info, "timeout", text) && !parse_count(text, 1, 3600, timeout_s)) {
    return plain(conn, 400, "Bad Request", "timeout: expected seconds from 1 to 3600\n");
  }
  const int max_streams = static_cast<int>(config_.threads) - 1;
  if (taps_.fetch_add(1) >= max_streams) {
    taps_.fetch_sub(1);
    return plain(conn, 503, "Service Unavailable",
                 "too many taps open (at most threads - 1 = " + std::to_string(max_streams) +
                     "; the exporter's `threads` key)\n");
  }
  const std::shared_ptr<core::TapSubscription> sub =
      tap_->subscribe(pipeline, limit, /*lossless=*/false);
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nCache-Control: no-store\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::vector<std::string> lines;
  uint64_t lost_told = 0;
  bool client = true;
  while (client && !stopping_.load() && std::chrono::steady_clock::now() < deadline) {
    const bool more = sub->wait(lines, std::chrono::milliseconds(200));
    std::string chunk;
    const uint64_t lost = sub->lost();
    if (lost > lost_told) {
      chunk += "{\"lost\":" + std::to_string(lost - lost_told) + "}\n";
      lost_told = lost;
    }
    for (const std::string& l : lines) {
      chunk += l;
      chunk += '\n';
    }
    lines.clear();
    if (!chunk.empty() &&
        mg_send_chunk(conn, chunk.data(), static_cast<unsigned>(chunk.size())) <= 0) {
      client = false;
    }
    if (!more) break;
  }
  sub->close();
  tap_->unsubscribe(sub);
  taps_.fetch_sub(1);
  if (client) mg_send_chunk(conn, "", 0);  // The last chunk: the stream is complete.
  return 200;
}

}  // namespace logtally::sinks
