#include "sinks/statsd/statsd.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include "core/log.h"

namespace logtally::sinks {

namespace {

// StatsD reserves ':' (name/value), '|' (fields), '@' (sample rate), '#' and ',' (DogStatsD
// tags) and newlines (line breaks in a datagram). Anything else passes unchanged.
void append_clean(std::string& out, std::string_view s) {
  for (const char c : s) {
    const bool reserved = c == ':' || c == '|' || c == '@' || c == '#' || c == ',' || c == '\n' ||
                          c == '\r' || c == '\0';
    out += reserved ? '_' : c;
  }
}

// 15 significant digits: deltas of float sums (9.55 - 7.55) would otherwise show their last-bit
// error ("2.000000000000001"); 15 digits round-trip every value a log line can carry.
void append_number(std::string& out, double v) {
  char buf[40];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 15);
  out.append(buf, res.ptr);
}

std::string format_bound(double b) {
  std::string out;
  if (b == std::numeric_limits<double>::infinity()) return "+Inf";
  append_number(out, b);
  return out;
}

}  // namespace

double StatsdEncoder::delta(const std::string& key, double cumulative) {
  auto [it, inserted] = last_.try_emplace(key, 0.0);
  double d = cumulative - it->second;
  if (!inserted && cumulative < it->second) d = cumulative;  // Reset: send the whole value.
  it->second = cumulative;
  return d;
}

std::vector<std::string> StatsdEncoder::encode(const core::Snapshot& snapshot) {
  const bool dog = config_.dialect == StatsdConfig::Dialect::kDogstatsd;
  std::vector<std::string> lines;
  // name + labels in the chosen dialect; `extra` is one more label (le) or empty.
  auto line = [&](std::string_view name, std::string_view suffix, const core::MetricSpec& spec,
                  const core::SeriesSample& s, std::string_view extra_value, double value,
                  std::string_view type) {
    std::string out;
    append_clean(out, config_.prefix);
    append_clean(out, name);
    out += suffix;
    if (!dog) {
      for (size_t i = 0; i < spec.label_names.size(); ++i) {
        if (s.labels[i].empty()) continue;
        out += '.';
        out += spec.label_names[i];
        out += '.';
        append_clean(out, s.labels[i]);
      }
      if (!extra_value.empty()) {
        out += ".le.";
        out += extra_value;
      }
    }
    out += ':';
    append_number(out, value);
    out += '|';
    out += type;
    if (dog) {
      bool first = true;
      for (size_t i = 0; i < spec.label_names.size(); ++i) {
        if (s.labels[i].empty()) continue;
        out += first ? "|#" : ",";
        first = false;
        out += spec.label_names[i];
        out += ':';
        append_clean(out, s.labels[i]);
      }
      if (!extra_value.empty()) {
        out += first ? "|#" : ",";
        out += "le:";
        out += extra_value;
      }
    }
    return out;
  };

  for (const core::MetricSample& sample : snapshot.metrics) {
    const core::MetricSpec& spec = *sample.spec;
    for (const core::SeriesSample& s : sample.series) {
      // The series' identity for delta tracking: metric name, then the label values.
      std::string key = spec.name;
      for (const std::string& v : s.labels) {
        key += '\xff';
        key += v;
      }
      switch (spec.type) {
        case core::MetricType::kCounter: {
          const double d = delta(key, s.value);
          if (d != 0) lines.push_back(line(spec.name, "", spec, s, "", d, "c"));
          break;
        }
        case core::MetricType::kGauge: {
          std::string l = line(spec.name, "", spec, s, "", s.value, "g");
          if (s.value < 0) {
            // "-5|g" alone would mean "decrease by 5": set 0 first, in the same element so the
            // two lines travel in one datagram, in order.
            l = line(spec.name, "", spec, s, "", 0, "g") + "\n" + l;
          }
          lines.push_back(std::move(l));
          break;
        }
        case core::MetricType::kHistogram: {
          uint64_t count = 0;
          for (uint64_t b : s.buckets) count += b;
          // A series whose count went down was re-created: every part restarts from zero.
          auto count_it = last_.find(key +
                                     "\xff"
                                     "count");
          const bool reset =
              count_it != last_.end() && static_cast<double>(count) < count_it->second;
          if (reset) {
            for (auto it = last_.begin(); it != last_.end();) {
              it = it->first.rfind(key + "\xff", 0) == 0 ? last_.erase(it) : std::next(it);
            }
          }
          uint64_t cumulative = 0;
          for (size_t b = 0; b < s.buckets.size(); ++b) {
            cumulative += s.buckets[b];
            const double bound =
                b < spec.buckets.size() ? spec.buckets[b] : std::numeric_limits<double>::infinity();
            const std::string le = format_bound(bound);
            const double d = delta(key +
                                       "\xff"
                                       "le" +
                                       le,
                                   static_cast<double>(cumulative));
            if (d != 0) lines.push_back(line(spec.name, "_bucket", spec, s, le, d, "c"));
          }
          const double dc = delta(key +
                                      "\xff"
                                      "count",
                                  static_cast<double>(count));
          if (dc != 0) lines.push_back(line(spec.name, "_count", spec, s, "", dc, "c"));
          // The sum may fall (negative observations): a plain difference, not delta()'s reset
          // rule.
          auto [sum_it, inserted] = last_.try_emplace(key +
                                                          "\xff"
                                                          "sum",
                                                      0.0);
          const double ds = s.value - sum_it->second;
          sum_it->second = s.value;
          if (dc != 0 || ds != 0) lines.push_back(line(spec.name, "_sum", spec, s, "", ds, "c"));
          break;
        }
      }
    }
  }
  return lines;
}

std::vector<std::string> StatsdEncoder::pack(const std::vector<std::string>& lines, size_t mtu) {
  std::vector<std::string> out;
  std::string cur;
  for (const std::string& l : lines) {
    if (!cur.empty() && cur.size() + 1 + l.size() > mtu) {
      out.push_back(std::move(cur));
      cur.clear();
    }
    if (!cur.empty()) cur += '\n';
    cur += l;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

StatsdSink::StatsdSink(std::string name, StatsdConfig config, const core::MetricStore& store)
    : name_(std::move(name)), config_(std::move(config)), store_(store), encoder_(config_) {}

StatsdSink::~StatsdSink() { stop(); }

bool StatsdSink::resolve() {
  if (config_.address.rfind("unix://", 0) == 0) {
    const std::string path = config_.address.substr(7);
    sockaddr_un sa{};
    if (path.size() >= sizeof(sa.sun_path)) return false;
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (fd_ < 0) fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    addr_.assign(reinterpret_cast<unsigned char*>(&sa),
                 reinterpret_cast<unsigned char*>(&sa) + sizeof(sa));
    return fd_ >= 0;
  }
  const size_t colon = config_.address.rfind(':');
  std::string host = config_.address.substr(0, colon);
  const std::string port = config_.address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) return false;
  if (fd_ >= 0) close(fd_);
  fd_ = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  addr_.assign(reinterpret_cast<unsigned char*>(res->ai_addr),
               reinterpret_cast<unsigned char*>(res->ai_addr) + res->ai_addrlen);
  freeaddrinfo(res);
  return fd_ >= 0;
}

core::Status StatsdSink::start() {
  sent_ = register_send_counters(store_.self_metrics(), name_);
  // A name that does not resolve yet is retried at every flush: the sink must not keep the
  // pipelines from starting.
  if (!resolve()) {
    core::log(core::LogLevel::kWarn, "sink " + name_ + ": cannot resolve " + config_.address +
                                         " yet; retrying at each flush");
  }
  return core::Ok{};
}

void StatsdSink::stop() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool StatsdSink::send_datagram(const std::string& payload) {
  const ssize_t n =
      sendto(fd_, payload.data(), payload.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(addr_.data()), static_cast<socklen_t>(addr_.size()));
  return n == static_cast<ssize_t>(payload.size());
}

FlushResult StatsdSink::flush(const core::Snapshot& snapshot, bool /*final*/) {
  // Encode first, even when the target is unknown, so deltas stay relative to the last flush
  // that was attempted.
  const std::vector<std::string> datagrams =
      StatsdEncoder::pack(encoder_.encode(snapshot), config_.mtu);
  if (fd_ < 0 && !resolve()) {
    sent_.error->add(static_cast<double>(datagrams.size()));
    return {false, std::nullopt};
  }
  size_t failed = 0;
  int last_errno = 0;
  for (const std::string& d : datagrams) {
    if (!send_datagram(d)) {
      ++failed;
      last_errno = errno;
    }
  }
  sent_.ok->add(static_cast<double>(datagrams.size() - failed));
  if (failed > 0) {
    sent_.error->add(static_cast<double>(failed));
    core::log(core::LogLevel::kWarn, "sink " + name_ + ": " + std::to_string(failed) + " of " +
                                         std::to_string(datagrams.size()) + " datagrams to " +
                                         config_.address + " failed: " + std::strerror(last_errno));
  }
  return {failed == 0, std::nullopt};
}

std::string StatsdSink::describe() const {
  return std::string("statsd ") + config_.address +
         (config_.dialect == StatsdConfig::Dialect::kDogstatsd ? " (dogstatsd" : " (statsd") +
         ", every " + std::to_string(config_.interval.count()) + "ms)";
}

}  // namespace logtally::sinks
