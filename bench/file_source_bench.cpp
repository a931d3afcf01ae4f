// File source throughput against `cat FILE > /dev/null` in the same run.
//
// Usage: file_source_bench FILE [ROUNDS]
// Reads FILE with ingest::FileSource in --once mode into a BatchChannel whose consumer only
// counts records and bytes (no parsing: this measures the source, line splitting and hand-over).
// The count is checked against the file's newlines before anything is printed. Best of ROUNDS
// (default 3) for each; prints lines/s, MB/s and the ratio to cat.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "ingest/file/file_source.h"

using namespace logtally;
using Clock = std::chrono::steady_clock;

namespace {

double run_cat(const std::string& file) {
  const auto t0 = Clock::now();
  const std::string cmd = "cat '" + file + "' > /dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "cat failed\n");
    std::exit(1);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double run_source(const std::string& file, uint64_t& records) {
  ingest::FileSourceConfig cfg;
  cfg.path = file;
  const ingest::SourceCommon common{"bench", 0, 1 << 20, ingest::EnvelopeFormat::kNone};
  core::BatchChannel channel(8, ingest::batch_capacity_for(common.max_record_bytes));
  ingest::FileSource source(common, cfg, ingest::SourceMode{true, false});
  records = 0;
  const auto t0 = Clock::now();
  if (!source.prepare().ok()) std::exit(1);
  std::thread consumer([&] {
    while (core::BatchPtr b = channel.pop()) {
      records += b->record_count();
      channel.recycle(std::move(b));
    }
  });
  std::atomic<bool> stop{false};
  source.run(channel, stop);
  channel.close();
  consumer.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: file_source_bench FILE [ROUNDS]\n");
    return 2;
  }
  const std::string file = argv[1];
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 1;
  // Reference count: newlines in the file.
  uint64_t newlines = 0;
  {
    std::ifstream in(file, std::ios::binary);
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      for (std::streamsize i = 0; i < in.gcount(); ++i) newlines += buf[i] == '\n';
    }
  }
  double best_cat = 1e9;
  double best_src = 1e9;
  for (int r = 0; r < rounds; ++r) {
    best_cat = std::min(best_cat, run_cat(file));
    uint64_t records = 0;
    best_src = std::min(best_src, run_source(file, records));
    if (records != newlines) {
      std::fprintf(stderr, "file source produced %llu records, the file has %llu lines\n",
                   static_cast<unsigned long long>(records),
                   static_cast<unsigned long long>(newlines));
      return 1;
    }
  }
  const double mb = static_cast<double>(st.st_size) / 1e6;
  std::printf("file: %s, %.1f MB, %llu lines (records checked)\n", file.c_str(), mb,
              static_cast<unsigned long long>(newlines));
  std::printf("cat > /dev/null : %.3f s  %8.1f MB/s\n", best_cat, mb / best_cat);
  std::printf("file source     : %.3f s  %8.1f MB/s  %6.2f M lines/s  time ratio to cat %.2f\n",
              best_src, mb / best_src, static_cast<double>(newlines) / best_src / 1e6,
              best_src / best_cat);
  return 0;
}
