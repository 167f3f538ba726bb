#include "base/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herald::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, CounterRendersTotalInBothFormats) {
  Registry r;
  r.counter("herald_pushes", "Pushes sent upstream.", {"module", "result"}, {"ios", "delivered"})
      .inc(3);
  std::string prom = r.render(Format::prometheus);
  EXPECT_THAT(prom, HasSubstr("# HELP herald_pushes_total Pushes sent upstream.\n"));
  EXPECT_THAT(prom, HasSubstr("# TYPE herald_pushes_total counter\n"));
  EXPECT_THAT(prom, HasSubstr("herald_pushes_total{module=\"ios\",result=\"delivered\"} 3\n"));
  EXPECT_THAT(prom, Not(HasSubstr("# EOF")));

  std::string om = r.render(Format::openmetrics);
  EXPECT_THAT(om, HasSubstr("# TYPE herald_pushes counter\n"));
  EXPECT_THAT(om, HasSubstr("herald_pushes_total{module=\"ios\",result=\"delivered\"} 3\n"));
  EXPECT_TRUE(om.ends_with("# EOF\n"));
}

TEST(Metrics, SameSeriesIsSameCounter) {
  Registry r;
  r.counter("c", "h", {"k"}, {"a"}).inc();
  r.counter("c", "h", {"k"}, {"a"}).inc();
  r.counter("c", "h", {"k"}, {"b"}).inc();
  EXPECT_EQ(r.counter("c", "h", {"k"}, {"a"}).value(), 2u);
  EXPECT_EQ(r.counter("c", "h", {"k"}, {"b"}).value(), 1u);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  Histogram& h = r.histogram("lat_seconds", "Latency.", {0.1, 1}, {"module"}, {"m"});
  h.observe(0.05);
  h.observe(0.1);  // on the bound: counted in le=0.1
  h.observe(0.5);
  h.observe(7);
  std::string text = r.render(Format::openmetrics);
  EXPECT_THAT(text, HasSubstr("# TYPE lat_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{module=\"m\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{module=\"m\",le=\"1.0\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{module=\"m\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_count{module=\"m\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_sum{module=\"m\"} 7.65\n"));
}

TEST(Metrics, GaugeAndCollectorRunBeforeRender) {
  Registry r;
  int depth = 0;
  Gauge& g = r.gauge("herald_queue_depth", "Queued.", {"queue"}, {"s2s_outbound"});
  r.add_collector([&] { g.set(depth); });
  depth = 5;
  EXPECT_THAT(r.render(Format::prometheus),
              HasSubstr("herald_queue_depth{queue=\"s2s_outbound\"} 5.0\n"));
  depth = 2;
  EXPECT_THAT(r.render(Format::prometheus),
              HasSubstr("herald_queue_depth{queue=\"s2s_outbound\"} 2.0\n"));
}

// A value that could identify a user never becomes a label.
TEST(Metrics, UserShapedLabelValuesBecomeOther) {
  Registry r;
  r.counter("c", "h", {"reason"}, {"alice@example.org/phone"}).inc();
  r.counter("c", "h", {"reason"}, {"has \"quote\" and space"}).inc();
  r.counter("c", "h", {"reason"}, {std::string(65, 'a')}).inc();
  std::string text = r.render(Format::prometheus);
  EXPECT_THAT(text, HasSubstr("c_total{reason=\"other\"} 3\n"));
  EXPECT_THAT(text, Not(HasSubstr("alice")));
  EXPECT_THAT(text, Not(HasSubstr("quote")));
}

TEST(Metrics, SeriesPerFamilyAreCapped) {
  Registry r;
  for (int i = 0; i < 1000; ++i) r.counter("c", "h", {"k"}, {"v" + std::to_string(i)}).inc();
  std::string text = r.render(Format::prometheus);
  size_t lines = 0;
  for (size_t p = text.find("c_total{"); p != std::string::npos; p = text.find("c_total{", p + 1))
    ++lines;
  EXPECT_EQ(lines, Registry::kMaxSeries + 1);  // the cap, plus the "other" series
  EXPECT_THAT(text, HasSubstr("c_total{k=\"other\"} " + std::to_string(1000 - 64) + "\n"));
}

TEST(Metrics, RejectsBadNamesAndMismatchedRegistration) {
  Registry r;
  EXPECT_THROW(r.counter("bad-name", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("c", "h", {"le"}, {"x"}), std::invalid_argument);
  r.counter("c", "h");
  EXPECT_THROW(r.gauge("c", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("c", "h", {"k"}, {"v"}), std::invalid_argument);
}

TEST(Metrics, Negotiation) {
  EXPECT_EQ(negotiate(""), Format::prometheus);
  EXPECT_EQ(negotiate("text/plain;version=0.0.4;q=0.3,*/*;q=0.2"), Format::prometheus);
  EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.4"),
            Format::openmetrics);
  EXPECT_THAT(content_type(Format::openmetrics), HasSubstr("application/openmetrics-text"));
}

}  // namespace
}  // namespace herald::metrics
