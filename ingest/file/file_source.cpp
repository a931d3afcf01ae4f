#include "ingest/file/file_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <re2/re2.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "core/hash.h"
#include "core/log.h"

namespace logtally::ingest {

namespace {

// Version 3 adds, per file, the starts of its unfinished container joins; 2 is still read.
constexpr std::string_view kStateHeader = "logtally-file-state 3\n";
constexpr std::string_view kStateHeaderV2 = "logtally-file-state 2\n";

// Hash of the first `len` bytes of `fd`; false if fewer bytes are there.
bool hash_prefix(int fd, uint64_t len, uint64_t& out) {
  char buf[kFingerprintBytes];
  if (len > sizeof buf) len = sizeof buf;
  size_t got = 0;
  while (got < len) {
    const ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  out = core::stable_hash(std::string_view(buf, len));  // Persisted: must stay stable.
  return true;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

FileSource::FileSource(const SourceCommon& common, FileSourceConfig config, SourceMode mode,
                       core::SelfMetrics* self_metrics)
    : common_(common), config_(std::move(config)), mode_(mode) {
  if (!config_.path_pattern.empty()) {
    pattern_ = std::make_unique<re2::RE2>(config_.path_pattern, re2::RE2::Quiet);
  }
  if (self_metrics != nullptr) {
    const core::SelfMetrics::Labels src = {{"source", common_.name}};
    watched_ = &self_metrics->gauge("logtally_files_watched", "Files a file source has open.", src);
    core::SelfMetrics::Labels ren = src;
    ren.emplace_back("kind", "rename");
    renames_ = &self_metrics->counter("logtally_file_rotations_total",
                                      "Rotations seen, by kind (rename, truncate).", ren);
    core::SelfMetrics::Labels tr = src;
    tr.emplace_back("kind", "truncate");
    truncations_ = &self_metrics->counter("logtally_file_rotations_total",
                                          "Rotations seen, by kind (rename, truncate).", tr);
    open_failures_ = &self_metrics->counter(
        "logtally_file_open_failures_total",
        "Files matched by the source that could not be opened (e.g. permission denied), once "
        "per file until it opens: their lines are not read.",
        src);
    if (common_.multiline) truncated_ = TruncatedCounters::make(self_metrics, common_.name);
  }
}

FileSource::~FileSource() {
  for (File& f : files_) {
    if (f.fd >= 0) ::close(f.fd);
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void FileSource::watch_directories() {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    core::log(core::LogLevel::kInfo,
              std::string("file source: no inotify (") + std::strerror(errno) + "); polling only");
    return;
  }
  std::set<std::string> dirs;
  if (!config_.path.empty()) dirs.insert(dir_name(config_.path));
  for (const std::string& g : config_.include) {
    const std::string d = dir_name(g);
    if (d.find_first_of("*?[") == std::string::npos) dirs.insert(d);
  }
  int watched = 0;
  for (const std::string& d : dirs) {
    const uint32_t mask =
        IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE;
    if (::inotify_add_watch(inotify_fd_, d.c_str(), mask) >= 0) ++watched;
  }
  if (watched == 0) {
    ::close(inotify_fd_);
    inotify_fd_ = -1;
  }
}

int FileSource::idle_wait_millis() const {
  if (!common_.multiline) return config_.poll_millis;
  auto first = std::chrono::steady_clock::time_point::max();
  for (const File& f : files_) {
    if (!f.joins) continue;
    for (const MultilineJoiner::Pending& p : f.joins->multiline) {
      if (p.active) first = std::min(first, p.last + common_.multiline->timeout);
    }
  }
  if (first == std::chrono::steady_clock::time_point::max()) return config_.poll_millis;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(first - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, config_.poll_millis));
}

bool FileSource::wait_for_change(int millis) {
  if (inotify_fd_ < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    return true;
  }
  pollfd pfd{inotify_fd_, POLLIN, 0};
  if (::poll(&pfd, 1, millis) <= 0) return true;  // Timeout: poll as usual.
  bool new_names = false;
  alignas(inotify_event) char buf[16 << 10];
  while (true) {
    const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_Q_OVERFLOW)) {
        new_names = true;
      }
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  return new_names;
}

std::string FileSource::describe() const {
  std::string what;
  if (!config_.path.empty()) what = config_.path;
  for (const std::string& g : config_.include) what += (what.empty() ? "" : " ") + g;
  return "file " + what + " (start_at " + (config_.start_at_end ? "end" : "beginning") +
         (mode_.once ? ", read once" : ", followed") + ")";
}

size_t FileSource::files_open() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return files_.size();
}

core::SourceFieldsPtr file_source_fields(const std::string& path, const re2::RE2* pattern) {
  auto t = std::make_shared<core::SourceFields>();
  t->values.emplace_back("path", path);
  t->values.emplace_back("name", base_name(path));
  if (pattern != nullptr && pattern->ok()) {
    const int groups = pattern->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> m(static_cast<size_t>(groups) + 1);
    if (pattern->Match(path, 0, path.size(), re2::RE2::UNANCHORED, m.data(),
                       static_cast<int>(m.size()))) {
      for (const auto& [name, i] : pattern->NamedCapturingGroups()) {
        const re2::StringPiece& g = m[static_cast<size_t>(i)];
        if (g.data() != nullptr) t->values.emplace_back(name, std::string(g.data(), g.size()));
      }
    }
  }
  return t;
}

core::SourceFieldsPtr FileSource::make_fields(const std::string& path) const {
  return file_source_fields(path, pattern_.get());
}

bool FileSource::excluded(const std::string& path) const {
  // A pattern without '/' is matched against the base name (`*.gz`), one with '/' against the
  // whole path, where `*` may cross '/' (`*/kube-system_*`).
  const std::string name = base_name(path);
  for (const std::string& g : config_.exclude) {
    const bool whole = g.find('/') != std::string::npos;
    if (::fnmatch(g.c_str(), whole ? path.c_str() : name.c_str(), 0) == 0) return true;
  }
  return false;
}

bool FileSource::fingerprint_matches(int fd, uint64_t len, uint64_t hash) const {
  if (len == 0) return true;
  uint64_t h = 0;
  return hash_prefix(fd, len, h) && h == hash;
}

void FileSource::update_fingerprint(File& f) {
  if (f.fp_len >= kFingerprintBytes) return;
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return;
  const uint64_t len = std::min<uint64_t>(static_cast<uint64_t>(st.st_size), kFingerprintBytes);
  if (len <= f.fp_len) return;
  uint64_t h = 0;
  if (!hash_prefix(f.fd, len, h)) return;
  std::lock_guard<std::mutex> lock(state_mu_);
  f.fp_len = len;
  f.fp_hash = h;
}

FileSource::File* FileSource::open_file(const std::string& path, bool at_start) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Never silently: a file the glob matches but this process may not read (its lines would
    // simply be missing) is reported once, and again if it opened meanwhile and fails anew.
    const int err = errno;
    struct stat gone {};
    if (::stat(path.c_str(), &gone) == 0 && unreadable_.emplace(gone.st_dev, gone.st_ino).second) {
      if (open_failures_ != nullptr) open_failures_->add(1);
      core::log(core::LogLevel::kWarn, "file source: cannot open " + path + " (" +
                                           std::strerror(err) +
                                           "); its lines are not read until it can be opened");
    }
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  unreadable_.erase({st.st_dev, st.st_ino});
  const auto size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = 0;
  bool resumed = false;
  std::array<uint64_t, 3> joins{core::kNoJoin, core::kNoJoin, core::kNoJoin};
  std::lock_guard<std::mutex> lock(state_mu_);
  for (auto it = saved_.begin(); it != saved_.end(); ++it) {
    if (it->dev != st.st_dev || it->ino != st.st_ino) continue;
    if (!fingerprint_matches(fd, it->fp_len, it->fp_hash)) continue;  // A reused inode.
    // Shorter than the saved position: truncated while we were away; start over.
    offset = it->offset <= size ? it->offset : 0;
    if (offset == it->offset) joins = it->joins;
    resumed = true;
    saved_.erase(it);
    break;
  }
  // start_at: end only on a first start. After a restore, a file the checkpoint does not know
  // appeared while logtally was down (or was not matched before): it is read from its start,
  // or its first lines would be lost.
  if (!resumed && at_start && config_.start_at_end && !restored_) offset = size;
  File f;
  f.owner = this;
  f.path = path;
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    f.real_path = real;
    std::free(real);
  } else {
    f.real_path = path;
  }
  f.fd = fd;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.offset = offset;
  f.committed = offset;
  f.fields = make_fields(path);
  if (common_.format != EnvelopeFormat::kNone || common_.multiline) {
    f.joins = std::make_unique<EnvelopeDecoder::Joins>();
    // Joins unfinished at the checkpoint: read again from the first piece of the earliest;
    // what was counted before `offset` is skipped (EnvelopeDecoder::Joins::replay).
    const uint64_t earliest = std::min({offset, joins[0], joins[1], joins[2]});
    if (earliest < offset) {
      f.joins->replay(offset, joins.data());
      f.offset = earliest;
      f.committed_joins = joins;  // The state stays the saved one until a batch is queued.
    }
  }
  uint64_t h = 0;
  const uint64_t len = std::min<uint64_t>(size, kFingerprintBytes);
  if (hash_prefix(fd, len, h)) {
    f.fp_len = len;
    f.fp_hash = h;
  }
  files_.push_back(std::move(f));
  if (watched_) watched_->set(static_cast<double>(files_.size()));
  core::log(core::LogLevel::kInfo, "file source: following " + path + " from offset " +
                                       std::to_string(offset) + (resumed ? " (saved)" : ""));
  return &files_.back();
}

void FileSource::scan(bool at_start) {
  std::vector<std::string> paths;
  if (!config_.path.empty()) paths.push_back(config_.path);
  for (const std::string& pattern : config_.include) {
    glob_t g{};
    if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
  }
  for (const std::string& path : paths) {
    if (excluded(path)) continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    bool known = false;
    for (const File& f : files_) {
      if (f.dev == st.st_dev && f.ino == st.st_ino) {
        known = true;
        break;
      }
    }
    if (!known) open_file(path, at_start);
  }
}

core::Status FileSource::prepare() {
  if (pattern_ && !pattern_->ok()) {
    return core::make_error(core::ErrorCode::kConfig,
                            "file source: path_pattern: " + pattern_->error());
  }
  if (!mode_.once) watch_directories();
  scan(true);
  // Saved files no longer under their name (rotated while we were away, e.g. a.log -> a.log.1):
  // look for them in their directory by device + inode + fingerprint, and read the rest.
  std::vector<Saved> unmatched;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    unmatched = saved_;
  }
  // One directory listing per directory, whatever the number of saved files in it.
  std::map<std::string, std::vector<const Saved*>> by_dir;
  for (const Saved& s : unmatched) {
    by_dir[dir_name(s.path)].push_back(&s);
    // A symlink's target rotates in its own directory (/var/log/pods/... for the kubelet).
    if (!s.real_path.empty() && dir_name(s.real_path) != dir_name(s.path)) {
      by_dir[dir_name(s.real_path)].push_back(&s);
    }
  }
  for (const auto& [dir, wanted] : by_dir) {
    std::unordered_map<ino_t, const Saved*> by_ino;
    for (const Saved* s : wanted) by_ino.emplace(s->ino, s);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      const auto it = by_ino.find(e->d_ino);
      if (it == by_ino.end()) continue;
      const Saved& s = *it->second;
      bool open_already = false;
      for (const File& f : files_) open_already |= f.dev == s.dev && f.ino == s.ino;
      if (open_already) continue;  // Found by the scan (and judged by its fingerprint there).
      // Only the saved file itself (same device and first bytes), never an unrelated file
      // that reused the inode: that one is not under an include pattern.
      const std::string candidate = dir + "/" + e->d_name;
      const int fd = ::open(candidate.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      struct stat st {};
      const bool same = ::fstat(fd, &st) == 0 && st.st_dev == s.dev &&
                        fingerprint_matches(fd, s.fp_len, s.fp_hash);
      ::close(fd);
      if (!same) continue;
      if (File* f = open_file(candidate, true)) {
        // It is not under an include pattern any more: read it to the end, then leave it.
        f->leaving = true;
        f->idle_polls = 2;
      }
    }
    ::closedir(d);
  }
  {
    // Saved positions of files that exist nowhere any more are forgotten.
    std::lock_guard<std::mutex> lock(state_mu_);
    std::vector<Saved> keep;
    for (const Saved& s : saved_) {
      struct stat st {};
      if (::stat(s.path.c_str(), &st) == 0 && st.st_dev == s.dev && st.st_ino == s.ino) {
        keep.push_back(s);
      }
    }
    saved_ = std::move(keep);
  }
  bytes_to_read_ = 0;
  for (const File& f : files_) {
    struct stat st {};
    if (::fstat(f.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > f.offset) {
      bytes_to_read_ += static_cast<uint64_t>(st.st_size) - f.offset;
    }
  }
  if (files_.empty()) {
    const std::string what = config_.path.empty() ? "no file matches the include patterns"
                                                  : "cannot open " + config_.path;
    if (mode_.once && !config_.path.empty()) {
      return core::make_error(core::ErrorCode::kIo,
                              "file source: " + what + ": " + std::strerror(errno));
    }
    core::log(core::LogLevel::kWarn, "file source: " + what + "; waiting for files to appear");
  }
  return core::Ok{};
}

void FileSource::on_queued(void* context, const core::Batch& batch) {
  File* f = static_cast<File*>(context);
  std::lock_guard<std::mutex> lock(f->owner->state_mu_);
  f->committed = batch.position;
  f->committed_joins = batch.join_start;
}

size_t FileSource::read_turn(LineReader& reader, File& f, bool final, bool& eof,
                             bool& stop_source) {
  eof = false;
  if (::lseek(f.fd, static_cast<off_t>(f.offset), SEEK_SET) < 0) return 0;
  reader.set_fields(f.fields);
  reader.set_on_queued(&FileSource::on_queued, &f);
  reader.set_position(f.offset);
  reader.set_joins(f.joins.get());
  size_t total = 0;
  while (total < kTurnBytes) {
    const ssize_t n = reader.read_from(f.fd);
    if (n > 0) {
      total += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECANCELED) {
      stop_source = true;
      return total;
    }
    core::log(core::LogLevel::kError,
              "file source: read " + f.path + " failed: " + std::strerror(errno));
    f.leaving = true;
    eof = true;
    break;
  }
  // Progress is bytes never read before: an unfinished line read again is not progress (else
  // a file ending mid-line would keep the source from ever going idle).
  size_t fresh = 0;
  if (reader.end_position() > f.seen_end) {
    fresh = static_cast<size_t>(reader.end_position() - f.seen_end);
    f.seen_end = reader.end_position();
    f.last_data = std::chrono::steady_clock::now();
  }
  if (eof && final) {
    // The file is left for good (or --once ends): its unterminated last line is complete.
    reader.finish();
    f.offset = reader.line_end_position();
  } else {
    // Multi-line records of this file that got no line for the timeout are handed over.
    reader.expire(std::chrono::steady_clock::now());
    // The unfinished line stays in the file: it is read again from its start next turn, so
    // no buffer is held per file.
    f.offset = reader.line_end_position();
    reader.discard_partial();
  }
  if (total > 0) update_fingerprint(f);
  return fresh;
}

void FileSource::check_rotation(LineReader& reader, File& f) {
  struct stat by_fd {};
  if (::fstat(f.fd, &by_fd) == 0) {
    const auto size = static_cast<uint64_t>(by_fd.st_size);
    bool truncated = size < f.offset;
    if (!truncated && f.fp_len > 0 && size >= f.fp_len) {
      truncated = !fingerprint_matches(f.fd, f.fp_len, f.fp_hash);
    }
    if (truncated) {
      // copytruncate: the content we read was copied elsewhere; what is here now is new.
      core::log(core::LogLevel::kInfo, "file source: " + f.path + " was truncated");
      if (truncations_) truncations_->add(1);
      // Multi-line records in progress are whole lines read from the old content: handed over
      // (the reader still holds this file's joins and position from its turn).
      reader.expire(std::chrono::steady_clock::now(), /*all=*/true);
      std::lock_guard<std::mutex> lock(state_mu_);
      f.offset = 0;
      f.seen_end = 0;
      f.committed = 0;
      f.committed_joins.fill(core::kNoJoin);
      // Pieces of the old content will get no final piece; offsets start again at 0.
      if (f.joins) *f.joins = EnvelopeDecoder::Joins{};
      f.fp_len = 0;
      f.fp_hash = 0;
      return;
    }
  }
  if (f.leaving) {
    ++f.idle_polls;
    return;
  }
  struct stat by_path {};
  const bool exists = ::stat(f.path.c_str(), &by_path) == 0;
  if (!exists || by_path.st_dev != f.dev || by_path.st_ino != f.ino) {
    core::log(core::LogLevel::kInfo,
              "file source: " + f.path +
                  (exists ? " was replaced (rotated by rename)" : " was removed or renamed away"));
    if (renames_) renames_->add(1);
    f.leaving = true;
    f.idle_polls = 0;
    f.last_data = std::chrono::steady_clock::now();
  }
}

void FileSource::release(std::list<File>::iterator it) {
  core::log(core::LogLevel::kInfo, "file source: done with " + it->path);
  ::close(it->fd);
  std::lock_guard<std::mutex> lock(state_mu_);
  // Its final position stays known (and checkpointed): if an include pattern matches it again
  // (`app.log*` after a rename), or after --once, it resumes at its end, not from 0.
  saved_.push_back(
      Saved{it->dev, it->ino, it->fp_len, it->fp_hash, it->offset, it->path, it->real_path});
  if (saved_.size() > kMaxFinished) saved_.erase(saved_.begin());
  files_.erase(it);
  if (watched_) watched_->set(static_cast<double>(files_.size()));
}

void FileSource::run(core::BatchChannel& channel, const std::atomic<bool>& stop) {
  LineReader reader(channel, common_.index, common_.max_record_bytes, common_.format,
                    common_.multiline.get(), truncated_);
  const auto idle = std::chrono::milliseconds(config_.poll_millis);
  auto last_scan = std::chrono::steady_clock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    size_t total = 0;
    for (auto it = files_.begin(); it != files_.end();) {
      File& f = *it;
      // A file left behind by a rotation is finished once it stayed at its end for two
      // polls: the writer has had time to move to the new file.
      const bool final = mode_.once || (f.leaving && f.idle_polls >= 2 &&
                                        std::chrono::steady_clock::now() - f.last_data >= 2 * idle);
      bool eof = false;
      bool stop_source = false;
      const size_t n = read_turn(reader, f, final, eof, stop_source);
      if (stop_source) return;
      total += n;
      if (eof && final) {
        release(it++);
        continue;
      }
      if (eof && !mode_.once) check_rotation(reader, f);
      ++it;
    }
    if (mode_.once) {
      if (files_.empty()) break;
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (total == 0) {
      // Idle: wait for a write or a new name (inotify) or one poll interval. The globs are
      // expanded again after a new name, and at least once per interval in any case.
      if (wait_for_change(idle_wait_millis()) ||
          std::chrono::steady_clock::now() - last_scan >= idle) {
        scan(false);
        last_scan = std::chrono::steady_clock::now();
      }
    } else if (now - last_scan >= idle) {
      scan(false);
      last_scan = now;
    }
  }
  // Stopping: an unterminated last line is not complete; it stays unread (and uncounted) and
  // is read again from its start after a restart.
}

std::string FileSource::checkpoint_state() {
  std::ostringstream out;
  out << kStateHeader;
  std::lock_guard<std::mutex> lock(state_mu_);
  auto line = [&](dev_t dev, ino_t ino, uint64_t fp_len, uint64_t fp_hash, uint64_t offset,
                  const std::string& path, const std::string& real_path,
                  const std::array<uint64_t, 3>& joins) {
    out << static_cast<uint64_t>(dev) << ' ' << static_cast<uint64_t>(ino) << ' ' << fp_len << ' '
        << fp_hash << ' ' << offset << ' ' << path.size() << ' ' << path << ' ' << real_path.size()
        << ' ' << real_path << ' ' << joins[0] << ' ' << joins[1] << ' ' << joins[2] << '\n';
  };
  for (const File& f : files_) {
    line(f.dev, f.ino, f.fp_len, f.fp_hash, f.committed, f.path, f.real_path, f.committed_joins);
  }
  // Positions restored but not matched yet (a file that is missing for now) are kept.
  for (const Saved& s : saved_) {
    line(s.dev, s.ino, s.fp_len, s.fp_hash, s.offset, s.path, s.real_path, s.joins);
  }
  return out.str();
}

core::Status FileSource::restore_state(std::string_view state) {
  auto bad = [&](const std::string& why) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "file source state is not readable (" + why + ")");
  };
  const bool v2 = state.substr(0, kStateHeaderV2.size()) == kStateHeaderV2;
  if (!v2 && state.substr(0, kStateHeader.size()) != kStateHeader) return bad("unknown header");
  std::vector<Saved> saved;
  std::string rest(state.substr(kStateHeader.size()));
  std::istringstream in(rest);
  while (in.peek() != EOF) {
    Saved s;
    uint64_t dev = 0;
    uint64_t ino = 0;
    size_t len = 0;
    if (!(in >> dev >> ino >> s.fp_len >> s.fp_hash >> s.offset >> len)) return bad("bad line");
    if (in.get() != ' ' || len > rest.size()) return bad("bad path");
    s.path.resize(len);
    in.read(s.path.data(), static_cast<std::streamsize>(len));
    size_t real_len = 0;
    if (!in || in.get() != ' ' || !(in >> real_len) || in.get() != ' ' || real_len > rest.size()) {
      return bad("bad real path");
    }
    s.real_path.resize(real_len);
    in.read(s.real_path.data(), static_cast<std::streamsize>(real_len));
    if (!v2 && !(in >> s.joins[0] >> s.joins[1] >> s.joins[2])) return bad("bad join starts");
    if (!in || in.get() != '\n') return bad("bad line end");
    s.dev = static_cast<dev_t>(dev);
    s.ino = static_cast<ino_t>(ino);
    saved.push_back(std::move(s));
  }
  std::lock_guard<std::mutex> lock(state_mu_);
  saved_ = std::move(saved);
  restored_ = true;
  return core::Ok{};
}

}  // namespace logtally::ingest
