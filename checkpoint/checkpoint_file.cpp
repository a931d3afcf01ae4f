#include "checkpoint/checkpoint_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/hash.h"

namespace logtally::checkpoint {

namespace {

// Layout (all integers little-endian, as the machines we run on):
//   8  magic "LTCKPT\r\n" (the \r\n catches text-mode mangling)
//   4  format version (5; 2 to 4 are read too)
//   8  config fingerprint
//   8  body length
//   .. body
//   4  CRC-32 (zlib) of everything before it
constexpr char kMagic[8] = {'L', 'T', 'C', 'K', 'P', 'T', '\r', '\n'};
constexpr size_t kHeaderBytes = 8 + 4 + 8 + 8;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void i32(int32_t v) { raw(&v, 4); }
  void f64(double v) { raw(&v, 8); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  uint8_t u8() {
    uint8_t v = 0;
    raw(&v, 1);
    return v;
  }
  uint32_t u32() {
    uint32_t v = 0;
    raw(&v, 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    raw(&v, 8);
    return v;
  }
  int32_t i32() {
    int32_t v = 0;
    raw(&v, 4);
    return v;
  }
  double f64() {
    double v = 0;
    raw(&v, 8);
    return v;
  }
  // A string appended to `arena` (which the caller reserved so it never grows).
  std::string_view str_into(std::string& arena) {
    const uint32_t n = u32();
    if (!ok_ || n > in_.size() - pos_ || arena.size() + n > arena.capacity()) {
      ok_ = false;
      return {};
    }
    const size_t at = arena.size();
    arena.append(in_.substr(pos_, n));
    pos_ += n;
    return std::string_view(arena.data() + at, n);
  }
  std::string str() {
    const uint32_t n = u32();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items of at least `min_bytes` each: refuses counts the rest cannot hold, so a
  // corrupt length never makes us allocate gigabytes.
  uint64_t count(size_t min_bytes) {
    const uint64_t n = u64();
    if (!ok_ || (min_bytes > 0 && n > (in_.size() - pos_) / min_bytes)) {
      ok_ = false;
      return 0;
    }
    return n;
  }

 private:
  void raw(void* p, size_t n) {
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return;
    }
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

uint32_t crc(std::string_view bytes) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed big buffers in pieces.
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    c = crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(c);
}

core::Error io_error(const std::string& what, const std::string& path) {
  return core::make_error(core::ErrorCode::kIo,
                          "checkpoint: " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

uint64_t config_fingerprint(const std::vector<core::MetricSpec>& specs) {
  // Persisted in every checkpoint file: core::stable_hash() (FNV-1a 64), never hash_bytes().
  using core::stable_hash;
  using core::stable_hash_u64;
  uint64_t h = core::kStableHashBasis;
  h = stable_hash_u64(specs.size(), h);
  for (const core::MetricSpec& s : specs) {
    h = stable_hash(s.name, h);
    h = stable_hash_u64(static_cast<uint64_t>(s.type), h);
    h = stable_hash_u64(s.type == core::MetricType::kGauge ? static_cast<uint64_t>(s.mode) : 0, h);
    h = stable_hash_u64(s.label_names.size(), h);
    for (const std::string& l : s.label_names) {
      h = stable_hash_u64(l.size(), h);
      h = stable_hash(l, h);
    }
    h = stable_hash_u64(s.buckets.size(), h);
    for (const double b : s.buckets) {
      uint64_t bits = 0;
      std::memcpy(&bits, &b, 8);
      h = stable_hash_u64(bits, h);
    }
  }
  return h;
}

std::string encode_checkpoint(const CheckpointData& data) {
  std::string out;
  size_t estimate = 4096;
  for (const auto& m : data.store.metrics) {
    for (const auto& s : m) estimate += 4 + s.key.size() + 8 + 8 + 8 * s.buckets.size();
  }
  out.reserve(estimate);
  Writer w(out);
  w.raw(kMagic, 8);
  w.u32(kFormatVersion);
  w.u64(data.fingerprint);
  const size_t length_at = out.size();
  w.u64(0);  // Body length, filled in below.

  w.u64(data.id);
  w.u64(static_cast<uint64_t>(data.unix_millis));
  w.u64(static_cast<uint64_t>(data.created_unix_millis));  // Version 4.
  // Series, by metric index (the fingerprint pins what each index means).
  w.u64(data.store.metrics.size());
  for (size_t m = 0; m < data.store.metrics.size(); ++m) {
    const auto& series = data.store.metrics[m];
    const bool with_native =
        m < data.store.native.size() && data.store.native[m].size() == series.size();
    w.u64(series.size());
    for (size_t i = 0; i < series.size(); ++i) {
      const core::StoreState::Series& s = series[i];
      w.str(s.key);
      w.f64(s.value);
      w.u64(s.buckets.size());
      for (const uint64_t b : s.buckets) w.u64(b);
      const std::optional<core::NativeSample>* native =
          with_native && data.store.native[m][i] ? &data.store.native[m][i] : nullptr;
      w.u8(native != nullptr ? 1 : 0);
      if (native == nullptr) continue;
      const core::NativeSample& n = **native;
      w.u8(static_cast<uint8_t>(n.schema));
      w.f64(n.zero_threshold);
      w.u64(n.zero_count);
      for (int side = 0; side < 2; ++side) {
        w.i32(n.offset[side]);
        w.u64(n.counts[side].size());
        for (const uint64_t c : n.counts[side]) w.u64(c);
      }
    }
  }
  // Updates routed to each metric's overflow series (logtally_series_overflow_total).
  for (size_t m = 0; m < data.store.metrics.size(); ++m)
    w.u64(m < data.store.overflow.size() ? data.store.overflow[m] : 0);
  // Version 4: since when each metric counts (OpenMetrics `_created`), Unix ms.
  for (size_t m = 0; m < data.store.metrics.size(); ++m)
    w.u64(static_cast<uint64_t>(m < data.store.created.size() ? data.store.created[m] : 0));
  // Self-metric counters, by source and pipeline name (reason by name too: reasons may be added).
  w.u64(data.source_names.size());
  for (size_t i = 0; i < data.source_names.size(); ++i) {
    w.str(data.source_names[i]);
    w.u64(i < data.store.source_records.size() ? data.store.source_records[i] : 0);
    w.u64(i < data.store.source_bytes.size() ? data.store.source_bytes[i] : 0);
  }
  w.u64(data.pipeline_names.size());
  for (size_t p = 0; p < data.pipeline_names.size(); ++p) {
    w.str(data.pipeline_names[p]);
    w.u64(core::kDropReasonCount);
    for (size_t r = 0; r < core::kDropReasonCount; ++r) {
      w.str(core::drop_reason_name(static_cast<core::DropReason>(r)));
      const size_t at = p * core::kDropReasonCount + r;
      w.u64(at < data.store.dropped.size() ? data.store.dropped[at] : 0);
    }
    w.u64(p < data.store.filtered.size() ? data.store.filtered[p] : 0);
  }
  w.u64(data.source_states.size());
  for (const auto& [name, state] : data.source_states) {
    w.str(name);
    w.str(state);
  }
  // logtally's own counters (sinks, checkpoints, Kafka, file rotations) by name and labels.
  w.u64(data.self_counters.size());
  for (const core::SelfMetrics::SavedCounter& c : data.self_counters) {
    w.str(c.name);
    w.u64(c.labels.size());
    for (const auto& [k, v] : c.labels) {
      w.str(k);
      w.str(v);
    }
    w.f64(c.value);
  }
  // Version 5: exemplars not kept (logtally_exemplars_dropped_total), by metric index, reasons by
  // name (reasons may be added).
  w.u64(data.store.metrics.size());
  for (size_t m = 0; m < data.store.metrics.size(); ++m) {
    w.u64(core::kExemplarDropCount);
    for (size_t r = 0; r < core::kExemplarDropCount; ++r) {
      w.str(core::exemplar_drop_name(static_cast<core::ExemplarDrop>(r)));
      const size_t at = m * core::kExemplarDropCount + r;
      w.u64(at < data.store.exemplars_dropped.size() ? data.store.exemplars_dropped[at] : 0);
    }
  }

  const uint64_t body = out.size() - kHeaderBytes;
  std::memcpy(out.data() + length_at, &body, 8);
  w.u32(crc(out));
  return out;
}

ReadResult decode_checkpoint(std::string_view bytes, uint64_t expected_fingerprint) {
  ReadResult r;
  auto fail = [&](CheckpointError e, std::string msg) {
    r.error = e;
    r.message = std::move(msg);
    r.data = CheckpointData{};
    return r;
  };
  if (bytes.size() < kHeaderBytes + 4 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return fail(CheckpointError::kCorrupt, "not a logtally checkpoint (bad magic or too short)");
  }
  Reader h(bytes.substr(8, kHeaderBytes - 8));
  const uint32_t version = h.u32();
  const uint64_t fingerprint = h.u64();
  const uint64_t body = h.u64();
  if (body != bytes.size() - kHeaderBytes - 4) {
    return fail(CheckpointError::kCorrupt, "truncated or extended: header says " +
                                               std::to_string(body) + " body bytes, file holds " +
                                               std::to_string(bytes.size() - kHeaderBytes - 4));
  }
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  if (crc(bytes.substr(0, bytes.size() - 4)) != stored_crc) {
    return fail(CheckpointError::kCorrupt, "checksum mismatch (the file is damaged)");
  }
  if (version < kOldestReadableVersion || version > kFormatVersion) {
    return fail(CheckpointError::kVersion, "format version " + std::to_string(version) +
                                               ", this logtally reads versions " +
                                               std::to_string(kOldestReadableVersion) + " to " +
                                               std::to_string(kFormatVersion));
  }
  const bool v3 = version >= 3;
  if (expected_fingerprint != 0 && fingerprint != expected_fingerprint) {
    return fail(CheckpointError::kIncompatible,
                "written for other metrics (a metric's name, type, labels or buckets changed)");
  }
  CheckpointData& d = r.data;
  d.fingerprint = fingerprint;
  d.version = version;
  Reader in(bytes.substr(kHeaderBytes, body));
  d.store.reserve_keys(body);  // Keys are a part of the body: the arena never grows.
  d.id = in.u64();
  d.unix_millis = static_cast<int64_t>(in.u64());
  if (version >= 4) d.created_unix_millis = static_cast<int64_t>(in.u64());
  const uint64_t metrics = in.count(8);
  d.store.metrics.resize(metrics);
  if (v3) d.store.native.resize(metrics);
  for (uint64_t m = 0; m < metrics && in.ok(); ++m) {
    const uint64_t n = in.count(4 + 8 + 8 + (v3 ? 1 : 0));
    auto& series = d.store.metrics[m];
    series.resize(n);
    // Native buckets: the vector is sized on the first series that has them (an
    // optional<NativeSample> per series is ~80 bytes; most metrics have none).
    for (uint64_t s = 0; s < n && in.ok(); ++s) {
      series[s].key = in.str_into(d.store.key_arena);
      series[s].value = in.f64();
      const uint64_t nb = in.count(8);
      series[s].buckets.resize(nb);
      for (uint64_t b = 0; b < nb; ++b) series[s].buckets[b] = in.u64();
      if (!v3 || in.u8() == 0) continue;
      core::NativeSample ns;
      ns.schema = static_cast<int8_t>(in.u8());
      ns.zero_threshold = in.f64();
      ns.zero_count = in.u64();
      for (int side = 0; side < 2 && in.ok(); ++side) {
        ns.offset[side] = in.i32();
        const uint64_t nc = in.count(8);
        ns.counts[side].resize(nc);
        for (uint64_t k = 0; k < nc; ++k) ns.counts[side][k] = in.u64();
      }
      if (ns.schema < core::kNativeMinSchema || ns.schema > core::kNativeMaxSchema) {
        return fail(CheckpointError::kCorrupt,
                    "malformed body (native histogram schema " + std::to_string(ns.schema) + ")");
      }
      if (d.store.native[m].size() != n) d.store.native[m].resize(n);
      d.store.native[m][s] = std::move(ns);
    }
  }
  d.store.overflow.resize(metrics);
  for (uint64_t m = 0; m < metrics && in.ok(); ++m) d.store.overflow[m] = in.u64();
  if (version >= 4) {
    d.store.created.resize(metrics);
    for (uint64_t m = 0; m < metrics && in.ok(); ++m) {
      d.store.created[m] = static_cast<int64_t>(in.u64());
    }
  }
  const uint64_t sources = in.count(4 + 16);
  for (uint64_t i = 0; i < sources && in.ok(); ++i) {
    d.source_names.push_back(in.str());
    d.store.source_records.push_back(in.u64());
    d.store.source_bytes.push_back(in.u64());
  }
  const uint64_t pipelines = in.count(4 + 8);
  d.store.dropped.assign(pipelines * core::kDropReasonCount, 0);
  d.store.filtered.assign(pipelines, 0);
  for (uint64_t p = 0; p < pipelines && in.ok(); ++p) {
    d.pipeline_names.push_back(in.str());
    const uint64_t reasons = in.count(4 + 8);
    for (uint64_t k = 0; k < reasons && in.ok(); ++k) {
      const std::string name = in.str();
      const uint64_t v = in.u64();
      for (size_t rr = 0; rr < core::kDropReasonCount; ++rr) {
        if (core::drop_reason_name(static_cast<core::DropReason>(rr)) == name) {
          d.store.dropped[p * core::kDropReasonCount + rr] = v;
        }
      }
    }
    d.store.filtered[p] = in.u64();
  }
  const uint64_t states = in.count(8);
  for (uint64_t i = 0; i < states && in.ok(); ++i) {
    std::string name = in.str();
    std::string state = in.str();
    d.source_states.emplace_back(std::move(name), std::move(state));
  }
  if (v3) {
    const uint64_t counters = in.count(4 + 8 + 8);
    for (uint64_t i = 0; i < counters && in.ok(); ++i) {
      core::SelfMetrics::SavedCounter c;
      c.name = in.str();
      const uint64_t labels = in.count(8);
      for (uint64_t k = 0; k < labels && in.ok(); ++k) {
        std::string key = in.str();
        std::string value = in.str();
        c.labels.emplace_back(std::move(key), std::move(value));
      }
      c.value = in.f64();
      d.self_counters.push_back(std::move(c));
    }
  }
  if (version >= 5) {
    const uint64_t with_drops = in.count(8);
    if (with_drops != metrics) {
      return fail(CheckpointError::kCorrupt, "malformed body (exemplar drops of " +
                                                 std::to_string(with_drops) + " metrics, not " +
                                                 std::to_string(metrics) + ")");
    }
    d.store.exemplars_dropped.assign(metrics * core::kExemplarDropCount, 0);
    for (uint64_t m = 0; m < metrics && in.ok(); ++m) {
      const uint64_t reasons = in.count(4 + 8);
      for (uint64_t k = 0; k < reasons && in.ok(); ++k) {
        const std::string name = in.str();
        const uint64_t v = in.u64();
        for (size_t rr = 0; rr < core::kExemplarDropCount; ++rr) {
          if (core::exemplar_drop_name(static_cast<core::ExemplarDrop>(rr)) == name) {
            d.store.exemplars_dropped[m * core::kExemplarDropCount + rr] = v;
          }
        }
      }
    }
  }
  if (!in.ok() || !in.at_end()) {
    return fail(CheckpointError::kCorrupt, "malformed body (checksum matched: a writer bug?)");
  }
  return r;
}

core::Status write_checkpoint_file(const std::string& dir, const CheckpointData& data,
                                   uint64_t* bytes_written) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return core::make_error(core::ErrorCode::kIo,
                            "checkpoint: cannot create directory " + dir + ": " + ec.message());
  }
  const std::string bytes = encode_checkpoint(data);
  const std::string final_path = dir + "/" + kFileName;
  const std::string tmp_path = final_path + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", tmp_path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      core::Error e = io_error("cannot write", tmp_path);
      ::close(fd);
      ::unlink(tmp_path.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    core::Error e = io_error("cannot fsync", tmp_path);
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    core::Error e = io_error("cannot rename onto", final_path);
    ::unlink(tmp_path.c_str());
    return e;
  }
  // The rename is durable only once the directory entry is.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error("cannot open directory", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return io_error("cannot fsync directory", dir);
  if (bytes_written != nullptr) *bytes_written = bytes.size();
  return core::Ok{};
}

ReadResult read_checkpoint_file(const std::string& dir, uint64_t expected_fingerprint) {
  const std::string path = dir + "/" + kFileName;
  ReadResult r;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = errno == ENOENT ? CheckpointError::kMissing : CheckpointError::kUnreadable;
    r.message = path + ": " + std::strerror(errno);
    return r;
  }
  std::string bytes;
  struct stat st {};
  if (::fstat(fd, &st) == 0) bytes.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      r.error = CheckpointError::kUnreadable;
      r.message = path + ": " + std::strerror(errno);
      ::close(fd);
      return r;
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  r = decode_checkpoint(bytes, expected_fingerprint);
  if (r.error != CheckpointError::kNone) r.message = path + ": " + r.message;
  return r;
}

}  // namespace logtally::checkpoint
