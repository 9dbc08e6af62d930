#include "ferry/monitor/live/model_monitor.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "ferry/base/files.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/create.h"
#include "ferry/monitor/live/alerting.h"
#include "ferry/monitor/live/monitor_options.h"
#include "ferry/monitor/live/monitor_routes.h"
#include "ferry/monitor/prediction_log.h"
#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;
using ferry::testing::TempDir;

constexpr int kFeatures = 30;

// data.csv without its id column: the features and the target.
fs::path WriteTrainingCsv(const fs::path& path) {
  std::ifstream in(ferry::testing::SourceDir() / "examples/breast-cancer/data.csv");
  std::ofstream out(path);
  std::string line;
  while (std::getline(in, line)) out << line.substr(line.find(',') + 1) << "\n";
  return path;
}

// The example model as a bundle with a baseline of its training data.
bundle::Bundle MakeBundle(const TempDir& tmp) {
  bundle::CreateOptions o;
  o.model_file = ferry::testing::SourceDir() / "examples/breast-cancer/model.json";
  o.output_dir = tmp / "bundle";
  o.name = "breast-cancer";
  o.baseline_csv = WriteTrainingCsv(tmp / "train.csv");
  o.label_column = "target";
  auto b = bundle::CreateBundle(o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return *b;
}

// Rows 0..n-1 of data.csv, features only.
std::vector<float> Rows(int n) {
  std::ifstream in(ferry::testing::SourceDir() / "examples/breast-cancer/data.csv");
  std::string line;
  std::getline(in, line);
  std::vector<float> out;
  for (int r = 0; r < n && std::getline(in, line); ++r) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');
    for (int c = 0; c < kFeatures; ++c) {
      std::getline(ss, cell, ',');
      out.push_back(std::stof(cell));
    }
  }
  return out;
}

struct Exchange {
  serving::InferRequest request;
  serving::InferResponse response;
};

Exchange MakeExchange(const std::vector<float>& rows, std::vector<std::string> keys) {
  Exchange e;
  const int64_t n = static_cast<int64_t>(rows.size() / kFeatures);
  e.request.model = "breast-cancer";
  e.request.input_name = "features";
  e.request.input = Tensor(DataType::kFp32, Shape{n, kFeatures});
  std::copy(rows.begin(), rows.end(), e.request.input.MutableData<float>().begin());
  e.response.model = "breast-cancer";
  e.response.version = 1;
  e.response.row_keys = std::move(keys);
  Tensor p(DataType::kFp32, Shape{n});
  for (int64_t i = 0; i < n; ++i) p.MutableData<float>()[static_cast<size_t>(i)] = 0.25f;
  e.response.outputs.push_back({"probability", std::move(p)});
  return e;
}

MonitorOptions Options() {
  MonitorOptions o;
  o.window_ms = 3'600'000;
  return o;
}

TEST(MonitorTest, CountsDriftAndLogsEveryRow) {
  TempDir tmp;
  bundle::Bundle b = MakeBundle(tmp);
  auto metrics = std::make_shared<MetricsRegistry>();
  Monitor monitor(Options(), tmp / "logs", metrics);
  std::vector<ClosedWindow> closed;
  monitor.OnWindowClosed([&](const ClosedWindow& w) { closed.push_back(w); });

  auto observer = monitor.ForVersion("breast-cancer", 1, b);
  ASSERT_TRUE(observer.ok()) << observer.status().ToString();
  ASSERT_NE(*observer, nullptr);
  const std::vector<float> rows = Rows(5);
  Exchange e = MakeExchange(rows, {"k0", "k1", "k2", "k3", "k4"});
  (*observer)->ObserveSuccess(e.request, e.response, 1500);
  (*observer)->ObserveError();
  ASSERT_TRUE(monitor.FlushLogs().ok());

  auto log = ReadLog(tmp / "logs" / "breast-cancer");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->records.size(), 5u);
  simdjson::dom::parser parser;
  for (size_t r = 0; r < 5; ++r) {
    const PredictionRecord& rec = log->records[r];
    EXPECT_EQ(rec.key, "k" + std::to_string(r));
    EXPECT_EQ(rec.version, 1);
    EXPECT_EQ(rec.latency_us, 1500);
    simdjson::dom::element in = parser.parse(rec.inputs_json);
    double radius = in["mean_radius"].get_double();
    EXPECT_FLOAT_EQ(static_cast<float>(radius), rows[r * kFeatures]);
    simdjson::dom::element out = parser.parse(rec.outputs_json);
    EXPECT_DOUBLE_EQ(out["probability"].get_double(), 0.25);
  }

  // The same counts straight into a DriftCounts give the same drift.
  auto text = ReadFile(b.BaselinePath());
  ASSERT_TRUE(text.ok());
  auto baseline = bundle::ParseBaselineJson(*text, "baseline.json");
  ASSERT_TRUE(baseline.ok());
  ASSERT_TRUE(baseline->prediction.has_value()) << "CreateBundle profiles the predictions";
  DriftReference ref = MakeDriftReference(*baseline);
  ASSERT_GE(ref.prediction_index, 0);
  DriftCounts expected_counts(ref);
  for (size_t r = 0; r < 5; ++r) {
    for (int c = 0; c < kFeatures; ++c) {
      expected_counts.AddNumber(static_cast<size_t>(c),
                                rows[r * kFeatures + static_cast<size_t>(c)]);
    }
    expected_counts.AddNumber(static_cast<size_t>(ref.prediction_index), 0.25f);
  }
  std::vector<FeatureDrift> expected = ComputeDrift(expected_counts);
  // The baseline also profiles the label, which no input feeds: left out.
  std::erase_if(expected, [](const FeatureDrift& d) { return d.name == "target"; });
  ASSERT_EQ(expected.size(), static_cast<size_t>(kFeatures) + 1);
  EXPECT_TRUE(expected.back().is_prediction);

  monitor.CloseWindows(2'000'000'000'000);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].window.rows, 5);
  EXPECT_EQ(closed[0].window.requests, 1);
  EXPECT_EQ(closed[0].window.errors, 1);
  EXPECT_DOUBLE_EQ(closed[0].window.ErrorRate(), 0.5);
  ASSERT_EQ(closed[0].drift.size(), expected.size());
  for (size_t f = 0; f < expected.size(); ++f) {
    EXPECT_EQ(closed[0].drift[f].name, expected[f].name);
    EXPECT_EQ(closed[0].drift[f].count, 5);
    EXPECT_DOUBLE_EQ(closed[0].drift[f].psi, expected[f].psi) << expected[f].name;
    EXPECT_DOUBLE_EQ(closed[0].drift[f].js, expected[f].js) << expected[f].name;
  }
  EXPECT_EQ(closed[0].drift.back().name, "prediction");

  // The API reads the closed window; the gauges carry it.
  auto json = monitor.DriftJson("breast-cancer", std::nullopt, WindowQuery{}, 2'000'000'000'001);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  simdjson::dom::element doc = parser.parse(*json);
  EXPECT_EQ(doc["version"].get_int64().value(), 1);
  EXPECT_EQ(doc["rows"].get_int64().value(), 5);
  EXPECT_TRUE(doc["window"]["complete"].get_bool().value());
  EXPECT_EQ(doc["features"].get_array().size(), static_cast<size_t>(kFeatures));
  EXPECT_DOUBLE_EQ(doc["features"].at(0)["psi"].get_double().value(), expected[0].psi);
  EXPECT_DOUBLE_EQ(doc["prediction"]["psi"].get_double().value(), expected.back().psi);
  const std::string text_metrics = metrics->RenderText();
  EXPECT_NE(text_metrics.find("ferry_drift_psi{model=\"breast-cancer\",version=\"1\",feature="
                              "\"mean_radius\"}"),
            std::string::npos);
  EXPECT_NE(text_metrics.find("ferry_monitor_window_rows{model=\"breast-cancer\",version=\"1\"} 5"),
            std::string::npos);

  // The open window after the close is empty.
  WindowQuery current;
  current.kind = WindowQuery::Kind::kCurrent;
  current.text = "current";
  json = monitor.DriftJson("breast-cancer", 1, current, 2'000'000'000'002);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(parser.parse(*json)["rows"].get_int64().value(), 0);
}

TEST(MonitorTest, LoadingAVersionAgainKeepsItsWindows) {
  TempDir tmp;
  bundle::Bundle b = MakeBundle(tmp);
  Monitor monitor(Options(), tmp / "logs", nullptr);
  auto first = monitor.ForVersion("breast-cancer", 1, b);
  auto again = monitor.ForVersion("breast-cancer", 1, b);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());
  auto second = monitor.ForVersion("breast-cancer", 2, b);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->get(), second->get());
  // The version loaded last answers by default.
  auto found = monitor.Find("breast-cancer", std::nullopt);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->version(), 2);
  EXPECT_EQ(monitor.Find("nope", std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(monitor.Find("breast-cancer", 7).status().code(), StatusCode::kNotFound);
}

TEST(MonitorTest, SamplesTheLogAndCanTurnItOff) {
  TempDir tmp;
  bundle::Bundle b = MakeBundle(tmp);
  MonitorOptions o = Options();
  o.model_sample_rates["breast-cancer"] = 0.25;
  {
    Monitor monitor(o, tmp / "logs", nullptr);
    auto observer = monitor.ForVersion("breast-cancer", 1, b);
    ASSERT_TRUE(observer.ok());
    Exchange e = MakeExchange(Rows(40), {});
    (*observer)->ObserveSuccess(e.request, e.response, 10);
    ASSERT_TRUE(monitor.FlushLogs().ok());
    auto log = ReadLog(tmp / "logs" / "breast-cancer");
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(log->records.size(), 10u);
  }
  o.prediction_log = false;
  Monitor off(o, tmp / "off", nullptr);
  auto observer = off.ForVersion("breast-cancer", 1, b);
  ASSERT_TRUE(observer.ok());
  Exchange e = MakeExchange(Rows(2), {});
  (*observer)->ObserveSuccess(e.request, e.response, 10);
  EXPECT_FALSE(fs::exists(tmp / "off"));
  // Drift is still counted.
  WindowQuery current;
  current.kind = WindowQuery::Kind::kCurrent;
  auto json = off.DriftJson("breast-cancer", 1, current, 1);
  ASSERT_TRUE(json.ok());
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(*json)["rows"].get_int64().value(), 2);
}

TEST(MonitorTest, ABundleWithoutBaselineHasNoDrift) {
  TempDir tmp;
  bundle::CreateOptions co;
  co.model_file = ferry::testing::SourceDir() / "examples/breast-cancer/model.json";
  co.output_dir = tmp / "bundle";
  co.name = "plain";
  auto b = bundle::CreateBundle(co);
  ASSERT_TRUE(b.ok());
  Monitor monitor(Options(), tmp / "logs", nullptr);
  auto observer = monitor.ForVersion("plain", 1, *b);
  ASSERT_TRUE(observer.ok());
  Exchange e = MakeExchange(Rows(3), {});
  (*observer)->ObserveSuccess(e.request, e.response, 10);
  WindowQuery current;
  current.kind = WindowQuery::Kind::kCurrent;
  auto json = monitor.DriftJson("plain", std::nullopt, current, 1);
  ASSERT_TRUE(json.ok());
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(*json);
  EXPECT_FALSE(doc["baseline"].get_bool().value());
  EXPECT_TRUE(doc["prediction"].is_null());
  EXPECT_EQ(doc["features"].get_array().size(), 0u);
  EXPECT_EQ(doc["rows"].get_int64().value(), 3);
}

TEST(MonitorTest, SpansMergeClosedWindows) {
  TempDir tmp;
  bundle::Bundle b = MakeBundle(tmp);
  Monitor monitor(Options(), tmp / "logs", nullptr);
  auto observer = monitor.ForVersion("breast-cancer", 1, b);
  ASSERT_TRUE(observer.ok());
  const int64_t t0 = 4'000'000'000'000;  // after the monitor's creation time
  for (int w = 1; w <= 3; ++w) {
    Exchange e = MakeExchange(Rows(w), {});
    (*observer)->ObserveSuccess(e.request, e.response, 10);
    monitor.CloseWindows(t0 + w * 60'000);
  }
  auto span = ParseWindowQuery("2m");
  ASSERT_TRUE(span.ok());
  // Windows ending after t0+3m-2m = t0+1m: the ones closed at 2m and 3m.
  auto json = monitor.DriftJson("breast-cancer", 1, *span, t0 + 3 * 60'000);
  ASSERT_TRUE(json.ok());
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(*json)["rows"].get_int64().value(), 5);
  auto last = monitor.DriftJson("breast-cancer", 1, WindowQuery{}, t0 + 3 * 60'000);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(parser.parse(*last)["rows"].get_int64().value(), 3);
}

TEST(MonitorTest, FeedbackJoinsThePredictingVersion) {
  TempDir tmp;
  bundle::Bundle b = MakeBundle(tmp);
  Monitor monitor(Options(), tmp / "logs", nullptr);
  auto v1 = monitor.ForVersion("breast-cancer", 1, b);
  ASSERT_TRUE(v1.ok());
  Exchange e = MakeExchange(Rows(4), {"a", "b", "c", "d"});
  e.response.outputs[0].tensor.MutableData<float>()[1] = 0.75f;  // b: P(1) 0.75
  (*v1)->ObserveSuccess(e.request, e.response, 10);
  // Version 2 arrives; labels for version 1's predictions still count there.
  auto v2 = monitor.ForVersion("breast-cancer", 2, b);
  ASSERT_TRUE(v2.ok());

  // A bad label refuses the whole batch.
  auto bad = monitor.AddFeedback("breast-cancer", {{"a", "0"}, {"b", "\"yes\""}}, 1);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("feedback[1]: label"), std::string::npos)
      << bad.status().message();

  auto r = monitor.AddFeedback("breast-cancer",
                               {{"a", "0"}, {"b", "1"}, {"c", "true"}, {"zzz", "1"}}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->joined, 3);
  EXPECT_EQ(r->unmatched, 1);
  EXPECT_EQ(r->unmatched_keys, std::vector<std::string>{"zzz"});

  WindowQuery current;
  current.kind = WindowQuery::Kind::kCurrent;
  simdjson::dom::parser parser;
  auto p1 = monitor.PerformanceJson("breast-cancer", 1, current, 2);
  ASSERT_TRUE(p1.ok());
  simdjson::dom::element d1 = parser.parse(*p1);
  EXPECT_EQ(d1["count"].get_int64().value(), 3);
  // a: 0.25 vs 0 right; b: 0.75 vs 1 right; c: 0.25 vs 1 wrong.
  EXPECT_NEAR(d1["accuracy"].get_double().value(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(d1["log_loss"].get_double().value(),
              -(std::log(0.75) + std::log(0.75) + std::log(0.25)) / 3.0, 1e-7);
  EXPECT_TRUE(d1["rmse"].is_null());
  // Unmatched feedback counts on the version loaded last.
  auto p2 = monitor.PerformanceJson("breast-cancer", std::nullopt, current, 2);
  ASSERT_TRUE(p2.ok());
  simdjson::dom::element d2 = parser.parse(*p2);
  EXPECT_EQ(d2["version"].get_int64().value(), 2);
  EXPECT_EQ(d2["count"].get_int64().value(), 0);
  EXPECT_EQ(d2["unmatched"].get_int64().value(), 1);
  EXPECT_EQ(monitor.AddFeedback("nope", {{"a", "1"}}, 1).status().code(), StatusCode::kNotFound);
}

TEST(MonitorTest, FeedbackFallsBackToTheLog) {
  TempDir tmp;
  bundle::Bundle b = MakeBundle(tmp);
  MonitorOptions o = Options();
  o.feedback_keys = 0;  // nothing in memory
  Monitor monitor(o, tmp / "logs", nullptr);
  auto v1 = monitor.ForVersion("breast-cancer", 1, b);
  ASSERT_TRUE(v1.ok());
  Exchange e = MakeExchange(Rows(2), {"x", "y"});
  (*v1)->ObserveSuccess(e.request, e.response, 10);
  ASSERT_TRUE(monitor.FlushLogs().ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto r = monitor.AddFeedback("breast-cancer", {{"x", "1"}, {"y", "0"}}, now);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->joined, 2);
  // Past the lookback the log is not searched that far.
  auto late = monitor.AddFeedback("breast-cancer", {{"x", "1"}}, now + 2 * o.feedback_lookback_ms);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->unmatched, 1);
}

TEST(AlertingTest, SummarizesAClosedWindow) {
  ClosedWindow c;
  c.model = "m";
  c.version = 3;
  c.window.start_ms = 10;
  c.window.end_ms = 20;
  c.window.requests = 9;
  c.window.errors = 1;
  ++c.window.latency[LatencyBucketOf(100)];
  FeatureDrift d;
  d.name = "f";
  d.count = 40;
  d.missing = 10;
  d.psi = 0.3;
  d.missing_rate = 0.2;
  c.drift.push_back(d);
  c.performance.count = 5;
  c.performance.accuracy = 0.8;
  alerts::WindowSummary s = SummarizeWindow(c);
  EXPECT_EQ(s.model, "m");
  EXPECT_EQ(s.version, 3);
  EXPECT_EQ(s.end_ms, 20);
  EXPECT_DOUBLE_EQ(s.metrics.at("drift.psi:f").value, 0.3);
  EXPECT_EQ(s.metrics.at("drift.psi:f").count, 40);
  EXPECT_EQ(s.metrics.at("drift.missing_rate:f").count, 50);
  EXPECT_DOUBLE_EQ(s.metrics.at("performance.accuracy").value, 0.8);
  EXPECT_EQ(s.metrics.at("performance.accuracy").count, 5);
  EXPECT_DOUBLE_EQ(s.metrics.at("error_rate").value, 0.1);
  EXPECT_EQ(s.metrics.at("error_rate").count, 10);
  EXPECT_GT(s.metrics.at("latency_p99_ms").value, 0.0);
}

TEST(WindowQueryTest, ParsesAndRefuses) {
  EXPECT_EQ(ParseWindowQuery("last")->kind, WindowQuery::Kind::kLast);
  EXPECT_EQ(ParseWindowQuery("")->kind, WindowQuery::Kind::kLast);
  EXPECT_EQ(ParseWindowQuery("current")->kind, WindowQuery::Kind::kCurrent);
  EXPECT_EQ(ParseWindowQuery("15m")->span_ms, 900'000);
  EXPECT_EQ(ParseWindowQuery("yesterday").status().code(), StatusCode::kInvalidArgument);
}

TEST(WindowTest, LatencyQuantileFromBuckets) {
  Window w;
  EXPECT_TRUE(std::isnan(w.LatencyP99Ms()));
  for (int i = 0; i < 99; ++i) ++w.latency[LatencyBucketOf(100)];
  ++w.latency[LatencyBucketOf(50'000)];
  // 99 of 100 at 100 µs: p99 is the bound of 100 µs's bucket.
  EXPECT_GE(w.LatencyP99Ms(), 0.1);
  EXPECT_LT(w.LatencyP99Ms(), 0.125 + 1e-9);
  for (int64_t us : std::vector<int64_t>{1, 10, 11, 1000, 123456, int64_t{1} << 40}) {
    const size_t b = LatencyBucketOf(us);
    EXPECT_LE(static_cast<double>(us), b + 1 < kLatencyBuckets ? LatencyBucketBoundUs(b) : 1e300);
    if (b > 0) {
      EXPECT_GT(static_cast<double>(us), LatencyBucketBoundUs(b - 1));
    }
  }
}

TEST(MonitorOptionsTest, ReadsTheSectionAndRefusesBadKeys) {
  auto o = ParseMonitorOptions(
      "monitoring:\n  window: 2s\n  sample_rate: 0.5\n  log_dir: /tmp/x\n  models:\n    m: "
      "{sample_rate: 0.1}\n",
      "serve.yaml");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->window_ms, 2000);
  EXPECT_DOUBLE_EQ(o->SampleRateFor("m"), 0.1);
  EXPECT_DOUBLE_EQ(o->SampleRateFor("other"), 0.5);
  EXPECT_EQ(o->log_dir, "/tmp/x");
  auto defaults = ParseMonitorOptions("defaults: {max_batch_size: 4}\n", "serve.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->window_ms, 300'000);
  auto bad = ParseMonitorOptions("monitoring:\n  windw: 2s\n", "serve.yaml");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("serve.yaml: monitoring.windw: unknown"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ParseMonitorOptions("monitoring:\n  sample_rate: 2\n", "s").ok());
  EXPECT_FALSE(ParseMonitorOptions("monitoring:\n  window: 10\n", "s").ok());
  EXPECT_FALSE(ParseMonitorOptions("monitoring:\n  models: {m: {rate: 1}}\n", "s").ok());
}

TEST(FeedbackBodyTest, ParsesObjectsAndArrays) {
  auto one = ParseFeedbackBody(R"({"key": "k1", "label": 1})");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].key, "k1");
  EXPECT_EQ((*one)[0].label_json, "1");
  auto many = ParseFeedbackBody(R"([{"key": 7, "label": true}, {"key": "b", "label": "0"}])");
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].key, "7");
  EXPECT_EQ((*many)[0].label_json, "true");
  EXPECT_EQ((*many)[1].label_json, "\"0\"");
  for (const char* bad : {"", "[]", "{\"key\": \"k\"}", "{\"label\": 1}", "[1]",
                          "{\"key\": \"\", \"label\": 1}", "{\"key\": [1], \"label\": 1}"}) {
    EXPECT_EQ(ParseFeedbackBody(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace ferry::monitor
