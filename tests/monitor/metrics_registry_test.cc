#include "ferry/monitor/metrics_registry.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

TEST(MetricsRegistryTest, RendersExactTextFormat) {
  MetricsRegistry r;
  r.AddCounter("ferry_requests_total", "Requests.", {"model", "outcome"})
      .WithLabels({"bc", "ok"})
      .Increment(3);
  r.AddGauge("ferry_queue_depth", "Queued \\ requests\nnow.").WithLabels({}).Set(2.5);
  Histogram& h = r.AddHistogram("ferry_latency_seconds", "Latency.", {"model"}, {0.25, 1})
                     .WithLabels({"a\"b\\c\nd"});
  h.Observe(0.125);
  h.Observe(0.25);  // "le" is inclusive
  h.Observe(2);
  EXPECT_EQ(r.RenderText(),
            "# HELP ferry_latency_seconds Latency.\n"
            "# TYPE ferry_latency_seconds histogram\n"
            "ferry_latency_seconds_bucket{model=\"a\\\"b\\\\c\\nd\",le=\"0.25\"} 2\n"
            "ferry_latency_seconds_bucket{model=\"a\\\"b\\\\c\\nd\",le=\"1\"} 2\n"
            "ferry_latency_seconds_bucket{model=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 3\n"
            "ferry_latency_seconds_sum{model=\"a\\\"b\\\\c\\nd\"} 2.375\n"
            "ferry_latency_seconds_count{model=\"a\\\"b\\\\c\\nd\"} 3\n"
            "# HELP ferry_queue_depth Queued \\\\ requests\\nnow.\n"
            "# TYPE ferry_queue_depth gauge\n"
            "ferry_queue_depth 2.5\n"
            "# HELP ferry_requests_total Requests.\n"
            "# TYPE ferry_requests_total counter\n"
            "ferry_requests_total{model=\"bc\",outcome=\"ok\"} 3\n");
  EXPECT_FALSE(r.HasConflict());
}

TEST(MetricsRegistryTest, SameNameSameTypeIsTheSameFamily) {
  MetricsRegistry r;
  CounterFamily& a = r.AddCounter("x_total", "X.", {"l"});
  CounterFamily& b = r.AddCounter("x_total", "X again.", {"l"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.WithLabels({"1"}), &b.WithLabels({"1"}));
  EXPECT_FALSE(r.HasConflict());
}

TEST(MetricsRegistryTest, ConflictsAndBadNamesAreDetachedNotRendered) {
  MetricsRegistry r;
  r.AddCounter("x_total", "X.").WithLabels({}).Increment();
  r.AddGauge("x_total", "clash").WithLabels({}).Set(7);  // detached
  EXPECT_TRUE(r.HasConflict());
  MetricsRegistry r2;
  r2.AddGauge("bad name", "bad").WithLabels({}).Set(1);
  r2.AddHistogram("h", "le label", {"le"}, {1}).WithLabels({"x"}).Observe(1);
  EXPECT_TRUE(r2.HasConflict());
  EXPECT_EQ(r2.RenderText(), "");
  const std::string text = r.RenderText();
  EXPECT_EQ(text.find("clash"), std::string::npos);
  EXPECT_NE(text.find("x_total 1\n"), std::string::npos);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreCounted) {
  MetricsRegistry r;
  HistogramFamily& fam = r.AddHistogram("h_seconds", "H.", {"t"}, LatencySecondsBuckets());
  CounterFamily& c = r.AddCounter("c_total", "C.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Histogram& h = fam.WithLabels({std::to_string(t % 2)});
      Counter& k = c.WithLabels({"x"});
      for (int i = 0; i < 10000; ++i) {
        h.Observe(1e-4 * (i % 7));
        k.Increment();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.WithLabels({"x"}).Value(), 40000u);
  EXPECT_EQ(fam.WithLabels({"0"}).Count() + fam.WithLabels({"1"}).Count(), 40000u);
}

TEST(MetricsRegistryTest, LatencyBucketsAreIncreasing) {
  std::vector<double> b = LatencySecondsBuckets();
  ASSERT_GT(b.size(), 10u);
  EXPECT_DOUBLE_EQ(b.front(), 2.5e-5);
  EXPECT_DOUBLE_EQ(b.back(), 10.0);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_GT(b[i], b[i - 1]);
}

// Runs the real `promtool check metrics` on `text`; returns its exit code
// and output.
int Promtool(const std::string& text, std::string* output) {
  ferry::testing::TempDir tmp;
  ferry::testing::WriteTextFile(tmp / "metrics.txt", text);
  const std::string cmd = "promtool check metrics < '" + (tmp / "metrics.txt").string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) *output += buf;
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(MetricsRegistryTest, PromtoolAcceptsTheOutput) {
  ASSERT_EQ(system("command -v promtool > /dev/null"), 0)
      << "promtool is missing: install Debian's prometheus package (scripts/setup.sh)";
  MetricsRegistry r;
  r.AddCounter("ferry_requests_total", "Requests by outcome.", {"model", "version", "outcome"})
      .WithLabels({"bc", "1", "ok"})
      .Increment(12);
  r.AddCounter("ferry_requests_shed_total", "Shed.", {"model"});  // no children yet
  r.AddGauge("ferry_inflight_requests", "In flight.", {"model"}).WithLabels({"b\"c"}).Set(3);
  auto& h = r.AddHistogram("ferry_queue_duration_seconds", "Queue time.", {"model", "version"},
                           LatencySecondsBuckets())
                .WithLabels({"bc", "1"});
  for (int i = 0; i < 100; ++i) h.Observe(i * 1e-5);
  r.AddHistogram("ferry_batch_size", "Rows per batch.", {"model"}, ExponentialBuckets(1, 2, 11))
      .WithLabels({"bc"})
      .Observe(7);
  std::string out;
  EXPECT_EQ(Promtool(r.RenderText(), &out), 0) << out << "\n" << r.RenderText();

  // The check is real: a counter without _total and a broken line fail it.
  MetricsRegistry lint;
  lint.AddCounter("ferry_requests", "No total suffix.").WithLabels({}).Increment();
  std::string lint_out;
  EXPECT_NE(Promtool(lint.RenderText(), &lint_out), 0);
  std::string bad_out;
  EXPECT_NE(Promtool("ferry_x{ 1\n", &bad_out), 0);
}

}  // namespace
}  // namespace ferry::monitor
