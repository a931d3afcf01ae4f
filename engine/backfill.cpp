#include "engine/backfill.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/build.h"
#include "core/batch_channel.h"
#include "core/metric_store.h"
#include "core/worker_pool.h"
#include "engine/backfill_remote_write.h"
#include "ingest/line_reader.h"
#include "ingest/source.h"
#include "sinks/exposition/escape.h"
#include "sinks/exposition/openmetrics.h"
#include "transforms/pipeline.h"

namespace logtally::engine {

namespace {

using core::ErrorCode;
using core::make_error;

// The boundary index of a time: the first k with k * step > t.
int64_t boundary_of(int64_t unix_ns, int64_t step_ns) noexcept {
  int64_t q = unix_ns / step_ns;
  if (unix_ns % step_ns != 0 && unix_ns < 0) --q;  // Floor for times before 1970.
  return q + 1;
}

// The metrics of every step seen, one store per step (a shard per worker).
class Steps {
 public:
  Steps(const config::Compiled& c, size_t workers, int64_t step_ns)
      : compiled_(c), workers_(workers), step_ns_(step_ns) {}

  core::MetricShard& shard(int64_t k, size_t worker) {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<core::MetricStore>& s = stores_[k];
    if (!s) {
      s = std::make_unique<core::MetricStore>(compiled_.specs, compiled_.source_names,
                                              compiled_.pipeline_names, workers_);
    }
    return s->shard(worker);
  }
  int64_t step_ns() const noexcept { return step_ns_; }
  const std::map<int64_t, std::unique_ptr<core::MetricStore>>& stores() const { return stores_; }

 private:
  const config::Compiled& compiled_;
  size_t workers_;
  int64_t step_ns_;
  std::mutex mu_;
  std::map<int64_t, std::unique_ptr<core::MetricStore>> stores_;
};

// One worker's router: the step shards it has used, looked up without the lock after the
// first time (and without a hash for a run of records in the same step).
class WorkerRouter final : public transforms::TimeRouter {
 public:
  WorkerRouter(Steps& steps, size_t worker) : steps_(steps), worker_(worker) {}
  core::MetricShard& shard_for(int64_t unix_ns) override {
    const int64_t k = boundary_of(unix_ns, steps_.step_ns());
    if (k == last_k_ && last_ != nullptr) return *last_;
    core::MetricShard*& s = known_[k];
    if (s == nullptr) s = &steps_.shard(k, worker_);
    last_k_ = k;
    last_ = s;
    return *s;
  }

 private:
  Steps& steps_;
  size_t worker_;
  std::unordered_map<int64_t, core::MetricShard*> known_;
  int64_t last_k_ = 0;
  core::MetricShard* last_ = nullptr;
};

// The workers' handler: every pipeline of the batch's source, updates routed by event time;
// drops and source counts go to `totals`.
class BackfillProcessor final : public core::BatchHandler {
 public:
  BackfillProcessor(const config::Compiled& c, core::MetricStore& totals, Steps& steps)
      : totals_(totals), by_source_(c.source_names.size()) {
    for (size_t w = 0; w < totals.shard_count(); ++w) {
      routers_.push_back(std::make_unique<WorkerRouter>(steps, w));
      runners_.emplace_back();
      runners_.back().reserve(c.pipelines.size());
      for (const transforms::Pipeline& p : c.pipelines) {
        runners_.back().emplace_back(p);
        runners_.back().back().set_router(routers_.back().get());
      }
    }
    for (const transforms::Pipeline& p : c.pipelines) {
      for (uint32_t s : p.inputs) by_source_[s].push_back(p.index);
    }
  }
  void handle(size_t worker, const core::Batch& batch) override {
    core::MetricShard& shard = totals_.shard(worker);
    std::lock_guard<std::mutex> lock(shard.mutex());
    shard.count_source(batch.source, batch.record_count() + batch.too_long + batch.bad_envelope,
                       batch.bytes_read);
    for (uint32_t p : by_source_[batch.source]) runners_[worker][p].run(batch, shard);
  }

 private:
  core::MetricStore& totals_;
  std::vector<std::unique_ptr<WorkerRouter>> routers_;
  std::vector<std::vector<transforms::PipelineRunner>> runners_;
  std::vector<std::vector<uint32_t>> by_source_;
};

// One series' values at every boundary, K0..K1 (width values per boundary).
struct SeriesHistory {
  std::vector<double> values;
  std::vector<uint8_t> set;  ///< Gauges: whether the step set a value.
};

void append_labels(std::string& out, const core::MetricSpec& spec,
                   const std::vector<std::string>& values, std::string_view le) {
  bool any = false;
  for (size_t i = 0; i < spec.label_names.size() && i < values.size(); ++i) {
    if (values[i].empty()) continue;  // An empty label value is no label (as in the exposition).
    out += any ? ',' : '{';
    any = true;
    out += spec.label_names[i];
    out += "=\"";
    sinks::append_escaped(out, values[i], sinks::EscapeQuotes::kYes);
    out += '"';
  }
  if (!le.empty()) {
    out += any ? ',' : '{';
    any = true;
    out += "le=\"";
    out += le;
    out += '"';
  }
  if (any) out += '}';
}

void append_sample(std::string& out, std::string_view name, const core::MetricSpec& spec,
                   const std::vector<std::string>& labels, std::string_view le, double v,
                   int64_t t_ms) {
  out += name;
  append_labels(out, spec, labels, le);
  out += ' ';
  sinks::append_openmetrics_number(out, v);
  out += ' ';
  // Seconds with milliseconds, exactly (a step is whole milliseconds).
  out += std::to_string(t_ms / 1000);
  const int64_t ms = t_ms % 1000;
  if (ms != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms < 0 ? -ms : ms));
    out += frac;
  }
  out += '\n';
}

// A gauge at a boundary: `gauge` (unset until `seen`) updated with the value of a step that
// set it, by the gauge's mode.
void gauge_update(const core::MetricSpec& spec, bool& seen, double& gauge, double v) {
  if (!seen || spec.mode == core::GaugeMode::kSet) {
    gauge = v;
  } else if (spec.mode == core::GaugeMode::kAdd) {
    gauge += v;
  } else if (spec.mode == core::GaugeMode::kMax) {
    gauge = std::max(gauge, v);
  } else {
    gauge = std::min(gauge, v);
  }
  seen = true;
}

using History = std::vector<std::map<std::vector<std::string>, SeriesHistory>>;

// The series --remote-write sends: the samples --out writes, series by series, cumulated the
// same way. `history` is emptied as it is read, so the two are not both held whole.
std::vector<BackfillSeries> series_to_send(const std::vector<core::MetricSpec>& specs,
                                           History& history, size_t n_steps) {
  std::vector<BackfillSeries> sent;
  for (size_t m = 0; m < specs.size(); ++m) {
    const core::MetricSpec& spec = specs[m];
    const size_t w = spec.type == core::MetricType::kHistogram ? spec.buckets.size() + 2 : 1;
    std::vector<std::string> le;
    for (double b : spec.buckets) {
      std::string text;
      sinks::append_openmetrics_number(text, b);
      le.push_back(text);
    }
    le.emplace_back("+Inf");
    auto& series = history[m];
    for (auto it = series.begin(); it != series.end(); it = series.erase(it)) {
      const std::vector<std::string>& labels = it->first;
      const SeriesHistory& h = it->second;
      std::vector<std::pair<std::string, std::string>> base;
      for (size_t i = 0; i < spec.label_names.size() && i < labels.size(); ++i) {
        if (!labels[i].empty()) base.emplace_back(spec.label_names[i], labels[i]);
      }
      const auto add = [&](const std::string& name, std::string_view le_value) {
        BackfillSeries& bs = sent.emplace_back();
        bs.labels.emplace_back("__name__", name);
        bs.labels.insert(bs.labels.end(), base.begin(), base.end());
        if (!le_value.empty()) bs.labels.emplace_back("le", std::string(le_value));
        bs.values.reserve(n_steps);
        return sent.size() - 1;
      };
      if (spec.type == core::MetricType::kGauge) {
        const size_t g = add(spec.name, "");
        bool seen = false;
        double gauge = 0;
        for (size_t i = 0; i < n_steps; ++i) {
          if (h.set[i]) gauge_update(spec, seen, gauge, h.values[i]);
          if (!seen) {
            sent[g].first = i + 1;
          } else {
            sent[g].values.push_back(gauge);
          }
        }
        continue;
      }
      if (spec.type == core::MetricType::kCounter) {
        const size_t c = add(spec.name, "");
        double acc = 0;
        for (size_t i = 0; i < n_steps; ++i) sent[c].values.push_back(acc += h.values[i]);
        continue;
      }
      // Histogram: every bucket (cumulative over le, `+Inf` last), then _count and _sum.
      const size_t b0 = sent.size();
      for (size_t b = 0; b + 1 < w; ++b) add(spec.name + "_bucket", le[b]);
      const size_t count = add(spec.name + "_count", "");
      const size_t sum = add(spec.name + "_sum", "");
      std::vector<double> acc(w, 0);
      for (size_t i = 0; i < n_steps; ++i) {
        for (size_t j = 0; j < w; ++j) acc[j] += h.values[i * w + j];
        double cumulative = 0;
        for (size_t b = 0; b + 1 < w; ++b) sent[b0 + b].values.push_back(cumulative += acc[b]);
        sent[count].values.push_back(cumulative);
        sent[sum].values.push_back(acc[w - 1]);
      }
    }
  }
  return sent;
}

}  // namespace

core::Status backfill(const config::Config& cfg, const BackfillOptions& opt) {
  if (opt.step_ms <= 0) return make_error(ErrorCode::kConfig, "backfill: --step must be positive");
  for (const config::PipelineConfig& p : cfg.pipelines) {
    if (!p.timestamp) {
      return make_error(ErrorCode::kConfig,
                        cfg.file + ":" + std::to_string(p.location.line) + ":" +
                            std::to_string(p.location.column) + ": pipeline '" + p.name +
                            "' has no `timestamp:`; backfill places each record at its own "
                            "time (docs/event-time.md)");
    }
  }
  const config::Compiled compiled = config::compile(cfg);
  const size_t workers = std::max<size_t>(1, cfg.workers);
  core::MetricStore totals(compiled.specs, compiled.source_names, compiled.pipeline_names, workers);
  Steps steps(compiled, workers, opt.step_ms * 1'000'000);
  auto sources = config::make_sources(cfg, ingest::SourceMode{true, false});
  for (auto& s : sources) {
    core::Status st = s->prepare();
    if (!st) return st;
  }
  size_t max_record = 0, held = 0;
  for (const config::SourceConfig& s : cfg.sources) {
    max_record = std::max(max_record, s.max_record_bytes);
  }
  for (const auto& s : sources) held += s->batches_held();
  core::BatchChannel channel(2 * workers + held + 1, ingest::batch_capacity_for(max_record));
  BackfillProcessor processor(compiled, totals, steps);
  {
    core::WorkerPool pool(channel, processor, workers);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    threads.reserve(sources.size());
    for (auto& s : sources) threads.emplace_back([&, src = s.get()] { src->run(channel, stop); });
    for (std::thread& t : threads) t.join();
    channel.close();
    pool.join();
  }

  // Drops, as --once would show them.
  const core::Snapshot t = totals.snapshot();
  uint64_t records = 0;
  for (uint64_t r : t.source_records) records += r;
  std::string drops;
  for (size_t p = 0; p < t.pipeline_names.size(); ++p) {
    for (size_t r = 0; r < core::kDropReasonCount; ++r) {
      const uint64_t n = t.dropped[p * core::kDropReasonCount + r];
      if (n == 0) continue;
      drops += " " + t.pipeline_names[p] + "/" +
               std::string(core::drop_reason_name(static_cast<core::DropReason>(r))) + "=" +
               std::to_string(n);
    }
  }

  const auto& stores = steps.stores();
  // The output goes to a temporary file renamed at the end (or to stdout), 1 MiB at a time;
  // without --out (only --remote-write) nothing is written.
  const bool to_file = !opt.out.empty();
  const bool to_stdout = opt.out == "-";
  const std::string tmp = opt.out + ".tmp";
  std::FILE* file = nullptr;
  if (to_file) {
    file = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
    if (file == nullptr) return make_error(ErrorCode::kIo, "backfill: cannot write " + tmp);
  }
  bool write_ok = true;
  std::string out;
  auto flush = [&](bool force) {
    if (out.size() < (1u << 20) && !force) return;
    if (file != nullptr) {
      write_ok = write_ok && std::fwrite(out.data(), 1, out.size(), file) == out.size();
    }
    out.clear();
  };
  auto fail = [&](core::Error e) -> core::Status {
    if (file != nullptr && !to_stdout) {
      std::fclose(file);
      std::remove(tmp.c_str());
    }
    return e;
  };
  uint64_t samples = 0;
  // What --remote-write sends, built from `history` after the file is written.
  std::vector<BackfillSeries> sent;
  int64_t k0 = 0;
  size_t n_steps = 0;
  if (!stores.empty()) {
    k0 = stores.begin()->first;
    const int64_t k1 = stores.rbegin()->first;
    n_steps = static_cast<size_t>(k1 - k0 + 1);
    // Per metric, per series (by label values): the per-step deltas, then cumulated.
    History history(compiled.specs.size());
    std::vector<size_t> width(compiled.specs.size());
    for (size_t m = 0; m < compiled.specs.size(); ++m) {
      const core::MetricSpec& spec = compiled.specs[m];
      width[m] = spec.type == core::MetricType::kHistogram ? spec.buckets.size() + 2 : 1;
    }
    // The figure first: every series at every boundary.
    for (const auto& [k, store] : stores) {
      const core::Snapshot s = store->snapshot();
      for (const core::MetricSample& ms : s.metrics) {
        const auto m = static_cast<size_t>(ms.spec - s.specs->data());
        for (const core::SeriesSample& ss : ms.series) {
          SeriesHistory& h = history[m][ss.labels];
          if (h.values.empty()) {
            h.values.assign(n_steps * width[m], 0);
            h.set.assign(n_steps, 0);
            samples += n_steps * (width[m] == 1 ? 1 : width[m] + 1);
            if (samples > opt.max_samples) {
              return fail(make_error(
                  ErrorCode::kConfig,
                  "backfill: more than --max-samples " + std::to_string(opt.max_samples) +
                      " samples (" + std::to_string(n_steps) + " steps of " +
                      std::to_string(opt.step_ms) + " ms from the earliest record to the " +
                      "latest, and at least " + std::to_string(samples / n_steps) +
                      " values per step); raise --max-samples or --step"));
            }
          }
          const size_t at = static_cast<size_t>(k - k0);
          double* v = &h.values[at * width[m]];
          h.set[at] = 1;
          if (width[m] == 1) {
            v[0] = ss.value;
          } else {
            for (size_t b = 0; b < ss.buckets.size() && b + 2 <= width[m]; ++b) {
              v[b] = static_cast<double>(ss.buckets[b]);
            }
            v[width[m] - 1] = ss.value;  // The sum; the +Inf bucket's cumulative is the count.
          }
        }
      }
    }
    // Cumulate and write, family by family, series by series, boundary by boundary.
    for (size_t m = 0; m < compiled.specs.size() && to_file; ++m) {
      const core::MetricSpec& spec = compiled.specs[m];
      if (history[m].empty()) continue;
      std::string family = spec.name;
      std::string type = "gauge";
      if (spec.type == core::MetricType::kCounter) {
        type = "unknown";
        if (family.size() > 6 && family.ends_with("_total")) {
          family.resize(family.size() - 6);
          type = "counter";
        }
      } else if (spec.type == core::MetricType::kHistogram) {
        type = "histogram";
      }
      out += "# TYPE " + family + " " + type + "\n# HELP " + family + " ";
      sinks::append_escaped(out, spec.help, sinks::EscapeQuotes::kYes);
      out += '\n';
      std::vector<std::string> le;
      for (double b : spec.buckets) {
        std::string s;
        sinks::append_openmetrics_number(s, b);
        le.push_back(s);
      }
      le.emplace_back("+Inf");
      for (auto& [labels, h] : history[m]) {
        const size_t w = width[m];
        std::vector<double> acc(w, 0);
        bool gauge_seen = false;
        double gauge = 0;
        for (size_t i = 0; i < n_steps; ++i) {
          const int64_t t_ms = (k0 + static_cast<int64_t>(i)) * opt.step_ms;
          const double* v = &h.values[i * w];
          if (spec.type == core::MetricType::kGauge) {
            if (h.set[i]) gauge_update(spec, gauge_seen, gauge, v[0]);
            if (gauge_seen) append_sample(out, spec.name, spec, labels, "", gauge, t_ms);
            flush(false);
            continue;
          }
          for (size_t j = 0; j < w; ++j) acc[j] += v[j];
          if (spec.type == core::MetricType::kCounter) {
            append_sample(out, spec.name, spec, labels, "", acc[0], t_ms);
            flush(false);
            continue;
          }
          double cumulative = 0;
          for (size_t b = 0; b + 1 < w; ++b) {
            cumulative += acc[b];
            append_sample(out, spec.name + "_bucket", spec, labels, le[b], cumulative, t_ms);
          }
          append_sample(out, spec.name + "_count", spec, labels, "", cumulative, t_ms);
          append_sample(out, spec.name + "_sum", spec, labels, "", acc[w - 1], t_ms);
          flush(false);
        }
      }
    }
    if (!opt.remote_write_url.empty()) sent = series_to_send(compiled.specs, history, n_steps);
  }
  if (to_file) {
    out += "# EOF\n";
    flush(true);
    if (to_stdout) {
      write_ok = std::fflush(stdout) == 0 && write_ok;
    } else {
      write_ok = std::fflush(file) == 0 && write_ok;
      write_ok = std::fclose(file) == 0 && write_ok;
      if (!write_ok || std::rename(tmp.c_str(), opt.out.c_str()) != 0) {
        std::remove(tmp.c_str());
        return make_error(ErrorCode::kIo, "backfill: cannot write " + opt.out);
      }
    }
    if (!write_ok) return make_error(ErrorCode::kIo, "backfill: cannot write the output");
  }
  core::Status pushed = core::Ok{};
  if (!opt.remote_write_url.empty()) {
    BackfillPushStats ps;
    pushed = push_backfill(cfg, opt.remote_write_url, sent, n_steps, k0, opt.step_ms,
                           opt.remote_write_batch, totals, ps);
    std::fprintf(stderr,
                 "backfill: remote write to %s: %zu series, %llu samples in %zu requests "
                 "(at most %zu samples each), %llu retries%s\n",
                 opt.remote_write_url.c_str(), ps.series,
                 static_cast<unsigned long long>(ps.samples), ps.requests, opt.remote_write_batch,
                 static_cast<unsigned long long>(ps.retries),
                 pushed ? "" : "; stopped at the failure below");
  }
  std::fprintf(stderr, "backfill: %llu records, %zu steps of %lld ms, %llu samples%s%s\n",
               static_cast<unsigned long long>(records),
               stores.empty()
                   ? size_t{0}
                   : static_cast<size_t>(stores.rbegin()->first - stores.begin()->first + 1),
               static_cast<long long>(opt.step_ms), static_cast<unsigned long long>(samples),
               drops.empty() ? "" : "; dropped:", drops.c_str());
  return pushed;
}

}  // namespace logtally::engine
