#include "base/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace herald::metrics {
namespace {

enum Type { kCounter, kGauge, kHistogram };

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Shortest text that reads back as the same double, with a ".0" on whole
// numbers so that `le` values are canonical for OpenMetrics parsers.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Escapes for label values (quotes) and help text.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string label_text(const std::vector<std::string>& names, const Labels& values,
                       std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + escape(values[i], true) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(bounds->size() + 1, 0) {}

void Histogram::observe(double v) {
  size_t i = std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin();
  ++counts_[i];
  sum_ += v;
  ++count_;
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(counts_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < counts_.size(); ++i) out[i] = running += counts_[i];
  return out;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                     1,     2.5,  5,     10,   20,  30};
  return b;
}

const char* content_type(Format format) {
  return format == Format::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                       : "text/plain; version=0.0.4; charset=utf-8";
}

Format negotiate(std::string_view accept_header) {
  return accept_header.find("application/openmetrics-text") != std::string_view::npos
             ? Format::openmetrics
             : Format::prometheus;
}

struct Registry::Family {
  struct Series {
    Counter counter;
    Gauge gauge;
    std::unique_ptr<Histogram> histogram;
  };
  int type = kCounter;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> bounds;
  std::map<Labels, std::unique_ptr<Series>> series;

  Series& get(Labels values) {
    if (values.size() != label_names.size())
      throw std::invalid_argument("metrics: wrong number of label values");
    for (auto& v : values)
      if (!valid_label_value(v)) v = "other";
    auto it = series.find(values);
    if (it == series.end()) {
      if (series.size() >= kMaxSeries) values.assign(label_names.size(), "other");
      it = series.find(values);
    }
    if (it == series.end()) {
      auto s = std::make_unique<Series>();
      if (type == kHistogram) s->histogram = std::make_unique<Histogram>(&bounds);
      it = series.emplace(std::move(values), std::move(s)).first;
    }
    return *it->second;
  }
};

Registry::Registry() = default;
Registry::~Registry() = default;

bool Registry::valid_label_value(std::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
           c == '-';
  });
}

Registry::Family& Registry::family(const std::string& name, const std::string& help, int type,
                                   const std::vector<std::string>& label_names) {
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second->type != type || it->second->label_names != label_names)
      throw std::invalid_argument("metrics: " + name + " registered twice differently");
    return *it->second;
  }
  if (!valid_name(name)) throw std::invalid_argument("metrics: bad metric name " + name);
  for (auto& l : label_names)
    if (!valid_name(l) || l == "le") throw std::invalid_argument("metrics: bad label name " + l);
  auto f = std::make_unique<Family>();
  f->type = type;
  f->help = help;
  f->label_names = label_names;
  return *families_.emplace(name, std::move(f)).first->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help,
                           const std::vector<std::string>& label_names, const Labels& values) {
  return family(name, help, kCounter, label_names).get(values).counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help,
                       const std::vector<std::string>& label_names, const Labels& values) {
  return family(name, help, kGauge, label_names).get(values).gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const std::vector<double>& bounds,
                               const std::vector<std::string>& label_names, const Labels& values) {
  Family& f = family(name, help, kHistogram, label_names);
  if (f.bounds.empty()) {
    if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()))
      throw std::invalid_argument("metrics: " + name + ": buckets must be sorted");
    f.bounds = bounds;
  }
  return *f.get(values).histogram;
}

void Registry::add_collector(std::function<void()> collect) {
  collectors_.push_back(std::move(collect));
}

std::string Registry::render(Format format) {
  for (auto& c : collectors_) c();
  bool om = format == Format::openmetrics;
  std::string out;
  for (const auto& [name, f] : families_) {
    // Prometheus 0.0.4 names a counter family with its _total suffix;
    // OpenMetrics names the family without it and suffixes the sample.
    std::string family_name = (f->type == kCounter && !om) ? name + "_total" : name;
    const char* type = f->type == kCounter ? "counter" : f->type == kGauge ? "gauge" : "histogram";
    out += "# HELP " + family_name + " " + escape(f->help, om) + "\n";
    out += "# TYPE " + family_name + " " + type + "\n";
    for (const auto& [values, s] : f->series) {
      switch (f->type) {
        case kCounter:
          out += fmt::format("{}_total{} {}\n", name, label_text(f->label_names, values),
                             s->counter.value());
          break;
        case kGauge:
          out += fmt::format("{}{} {}\n", name, label_text(f->label_names, values),
                             number(s->gauge.value()));
          break;
        case kHistogram: {
          auto cumulative = s->histogram->cumulative();
          for (size_t i = 0; i < cumulative.size(); ++i) {
            std::string le = i < f->bounds.size() ? number(f->bounds[i]) : "+Inf";
            out += fmt::format("{}_bucket{} {}\n", name,
                               label_text(f->label_names, values, "le", le), cumulative[i]);
          }
          out += fmt::format("{}_sum{} {}\n", name, label_text(f->label_names, values),
                             number(s->histogram->sum()));
          out += fmt::format("{}_count{} {}\n", name, label_text(f->label_names, values),
                             s->histogram->count());
          break;
        }
      }
    }
  }
  if (om) out += "# EOF\n";
  return out;
}

}  // namespace herald::metrics
