#include "core/self_metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace logtally::core {

SelfMetrics::Value& SelfMetrics::counter(std::string_view name, std::string_view help,
                                         Labels labels) {
  return get(Kind::kCounter, name, help, std::move(labels));
}

SelfMetrics::Value& SelfMetrics::gauge(std::string_view name, std::string_view help,
                                       Labels labels) {
  return get(Kind::kGauge, name, help, std::move(labels));
}

SelfMetrics::Value& SelfMetrics::get(Kind kind, std::string_view name, std::string_view help,
                                     Labels labels) {
  const std::lock_guard lock(mu_);
  auto f = std::find_if(families_.begin(), families_.end(),
                        [&](const Family& fam) { return fam.name == name; });
  if (f == families_.end()) {
    families_.push_back(Family{std::string(name), std::string(help), kind, {}});
    f = std::prev(families_.end());
  } else if (f->kind != kind) {
    std::fprintf(stderr, "logtally: self-metric %s registered twice with different types\n",
                 f->name.c_str());
    std::abort();
  }
  for (Series& s : f->series) {
    if (s.labels == labels) return s.value;
  }
  Series& s = f->series.emplace_back();
  s.labels = std::move(labels);
  if (kind == Kind::kCounter && !waiting_.empty()) {
    auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const SavedCounter& c) {
      return c.name == f->name && c.labels == s.labels;
    });
    if (w != waiting_.end()) {
      s.value.add(w->value);
      waiting_.erase(w);
    }
  }
  return s.value;
}

std::vector<SelfMetrics::SavedCounter> SelfMetrics::export_counters() const {
  std::vector<SavedCounter> out;
  const std::lock_guard lock(mu_);
  for (const Family& f : families_) {
    if (f.kind != Kind::kCounter) continue;
    for (const Series& s : f.series) out.push_back({f.name, s.labels, s.value.get()});
  }
  out.insert(out.end(), waiting_.begin(), waiting_.end());
  return out;
}

void SelfMetrics::restore_counters(std::vector<SavedCounter> saved) {
  const std::lock_guard lock(mu_);
  for (SavedCounter& c : saved) {
    auto f = std::find_if(families_.begin(), families_.end(),
                          [&](const Family& fam) { return fam.name == c.name; });
    if (f != families_.end() && f->kind != Kind::kCounter) continue;  // Now a gauge: not restored.
    Series* registered = nullptr;
    if (f != families_.end()) {
      for (Series& s : f->series) {
        if (s.labels == c.labels) registered = &s;
      }
    }
    if (registered != nullptr) {
      registered->value.add(c.value);
      continue;
    }
    auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const SavedCounter& x) {
      return x.name == c.name && x.labels == c.labels;
    });
    if (w != waiting_.end()) {
      w->value += c.value;
    } else {
      waiting_.push_back(std::move(c));
    }
  }
}

std::vector<SelfMetrics::FamilySample> SelfMetrics::collect() const {
  std::vector<FamilySample> out;
  const std::lock_guard lock(mu_);
  out.reserve(families_.size());
  for (const Family& f : families_) {
    FamilySample fs{f.name, f.help, f.kind, {}};
    fs.series.reserve(f.series.size());
    for (const Series& s : f.series) fs.series.push_back({s.labels, s.value.get()});
    std::sort(fs.series.begin(), fs.series.end(),
              [](const SeriesSample& a, const SeriesSample& b) { return a.labels < b.labels; });
    out.push_back(std::move(fs));
  }
  return out;
}

std::vector<SelfMetrics::FamilySample> SelfMetrics::collect_saved(
    const std::vector<SavedCounter>& saved) const {
  auto key = [](std::string_view name, const Labels& labels) {
    std::string k(name);
    for (const auto& [n, v] : labels) {
      k += '\0';
      k += n;
      k += '\0';
      k += v;
    }
    return k;
  };
  std::unordered_map<std::string, double> by_key;
  by_key.reserve(saved.size());
  for (const SavedCounter& c : saved) by_key.emplace(key(c.name, c.labels), c.value);
  std::vector<FamilySample> out = collect();
  for (FamilySample& f : out) {
    if (f.kind != Kind::kCounter) continue;
    std::vector<SeriesSample> kept;
    kept.reserve(f.series.size());
    for (SeriesSample& s : f.series) {
      auto it = by_key.find(key(f.name, s.labels));
      if (it != by_key.end()) kept.push_back({std::move(s.labels), it->second});
    }
    f.series = std::move(kept);
  }
  return out;
}

}  // namespace logtally::core
