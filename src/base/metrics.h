// A small metrics registry (counters, gauges, histograms with fixed buckets)
// and its rendering in the Prometheus text format 0.0.4 or OpenMetrics 1.0.
//
// Contract: single-threaded like the rest of Herald (no atomics). A metric
// family is registered once by name with its help text and label names; a
// series is one assignment of label values. Label values must come from
// small fixed sets (a push module, a result, a reason code, a state), never
// from users: to keep that true even if a caller slips, each value must match
// [A-Za-z0-9_.:-]{1,64} (anything else becomes "other") and a family holds at
// most kMaxSeries series (further ones are counted in one series whose
// values are all "other"). So no JID, token or address can become a label.
// Collectors registered with add_collector() run before each render, to copy
// values that other components keep themselves (counts, queue depths).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::metrics {

using Labels = std::vector<std::string>;  // values, in the family's label-name order

class Counter {
 public:
  void inc(uint64_t n = 1) { value_ += n; }
  // For mirroring a count another component keeps (it must be monotonic).
  void set_total(uint64_t total) { value_ = total; }
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0;
};

class Gauge {
 public:
  void set(double v) { value_ = v; }
  void add(double d) { value_ += d; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void observe(double v);
  // Cumulative counts per upper bound (the last one is +Inf).
  std::vector<uint64_t> cumulative() const;
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  const std::vector<double>* bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; one extra for +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Latency buckets in seconds, from 5 ms to 30 s (ejabberd gives up at 32 s).
const std::vector<double>& latency_buckets();

enum class Format { prometheus, openmetrics };

// The Content-Type of each format.
const char* content_type(Format format);
// OpenMetrics when the Accept header asks for application/openmetrics-text.
Format negotiate(std::string_view accept_header);

class Registry {
 public:
  static constexpr size_t kMaxSeries = 64;

  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // `name` without the _total suffix for counters. Registering the same name
  // twice returns the same family (the help and labels must match).
  // Series references stay valid for the registry's lifetime.
  Counter& counter(const std::string& name, const std::string& help,
                   const std::vector<std::string>& label_names = {}, const Labels& values = {});
  Gauge& gauge(const std::string& name, const std::string& help,
               const std::vector<std::string>& label_names = {}, const Labels& values = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& bounds,
                       const std::vector<std::string>& label_names = {},
                       const Labels& values = {});

  void add_collector(std::function<void()> collect);
  // Runs the collectors, then renders every family in name order.
  std::string render(Format format);

  // Whether `value` may be a label value as is.
  static bool valid_label_value(std::string_view value);

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, int type,
                 const std::vector<std::string>& label_names);
  std::map<std::string, std::unique_ptr<Family>> families_;
  std::vector<std::function<void()>> collectors_;
};

}  // namespace herald::metrics
