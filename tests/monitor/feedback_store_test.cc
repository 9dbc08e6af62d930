#include "ferry/monitor/feedback_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ferry/monitor/prediction_log.h"
#include "ferry/monitor/segment_log.h"
#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;

LoggedPrediction P(int64_t version, int64_t time_ms, std::vector<double> scores) {
  return LoggedPrediction{version, time_ms, std::move(scores)};
}

TEST(FeedbackStoreTest, RemembersAndFinds) {
  FeedbackStore store(10);
  store.Remember("a", P(1, 100, {0.25}));
  store.Remember("b", P(2, 101, {0.1, 0.9}));
  EXPECT_EQ(store.Find("a"), P(1, 100, {0.25}));
  EXPECT_EQ(store.Find("b"), P(2, 101, {0.1, 0.9}));
  EXPECT_EQ(store.Find("c"), std::nullopt);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.max_entries(), 10u);
  EXPECT_EQ(FeedbackStore().max_entries(), FeedbackStore::kDefaultMaxEntries);
}

TEST(FeedbackStoreTest, LaterPredictionReplacesEarlier) {
  FeedbackStore store(10);
  store.Remember("k", P(1, 100, {0.25}));
  store.Remember("k", P(2, 200, {0.75}));
  EXPECT_EQ(store.Find("k"), P(2, 200, {0.75}));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.evicted(), 0u);
}

TEST(FeedbackStoreTest, EmptyKeyIsIgnored) {
  FeedbackStore store(10);
  store.Remember("", P(1, 100, {0.25}));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.Find(""), std::nullopt);
}

TEST(FeedbackStoreTest, EvictsOldestFirst) {
  FeedbackStore store(3);
  store.Remember("a", P(1, 1, {0.1}));
  store.Remember("b", P(1, 2, {0.2}));
  store.Remember("c", P(1, 3, {0.3}));
  store.Remember("a", P(1, 4, {0.4}));  // "a" is now the newest: "b" is the oldest
  store.Remember("d", P(1, 5, {0.5}));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.evicted(), 1u);
  EXPECT_EQ(store.Find("b"), std::nullopt);
  EXPECT_EQ(store.Find("a"), P(1, 4, {0.4}));
  store.Remember("e", P(1, 6, {0.6}));  // evicts "c"
  store.Remember("f", P(1, 7, {0.7}));  // evicts "a"
  EXPECT_EQ(store.Find("c"), std::nullopt);
  EXPECT_EQ(store.Find("a"), std::nullopt);
  EXPECT_EQ(store.Find("d"), P(1, 5, {0.5}));
  EXPECT_EQ(store.Find("e"), P(1, 6, {0.6}));
  EXPECT_EQ(store.Find("f"), P(1, 7, {0.7}));
  EXPECT_EQ(store.evicted(), 3u);
}

TEST(FeedbackStoreTest, BoundOfOneAndZero) {
  FeedbackStore one(1);
  one.Remember("a", P(1, 1, {0.1}));
  one.Remember("b", P(1, 2, {0.2}));
  EXPECT_EQ(one.Find("a"), std::nullopt);
  EXPECT_EQ(one.Find("b"), P(1, 2, {0.2}));
  one.Remember("b", P(1, 3, {0.3}));
  EXPECT_EQ(one.Find("b"), P(1, 3, {0.3}));
  EXPECT_EQ(one.size(), 1u);

  FeedbackStore none(0);
  none.Remember("a", P(1, 1, {0.1}));
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.Find("a"), std::nullopt);
}

TEST(FeedbackStoreTest, LongKeysAndManyEvictions) {
  FeedbackStore store(100);
  const std::string prefix(40, 'x');  // beyond the small-string buffer
  for (int i = 0; i < 1000; ++i) store.Remember(prefix + std::to_string(i), P(1, i, {i / 1000.0}));
  EXPECT_EQ(store.size(), 100u);
  EXPECT_EQ(store.evicted(), 900u);
  EXPECT_EQ(store.Find(prefix + "899"), std::nullopt);
  EXPECT_EQ(store.Find(prefix + "900"), P(1, 900, {0.9}));
  EXPECT_EQ(store.Find(prefix + "999"), P(1, 999, {0.999}));
}

TEST(FeedbackStoreTest, ConcurrentRememberAndFind) {
  FeedbackStore store(500);
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = std::to_string(t) + ":" + std::to_string(i % 700);
        store.Remember(key, P(t, i, {0.5}));
        if (std::optional<LoggedPrediction> p = store.Find(key); p && p->version == t) ++found;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(store.size(), 500u);
  EXPECT_GT(found.load(), 0);
  // The recency list is intact: 500 new keys push out every older one.
  for (int i = 0; i < 500; ++i) store.Remember("new" + std::to_string(i), P(9, i, {0.5}));
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(store.Find("new" + std::to_string(i)).has_value());
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 700; ++i) {
      EXPECT_FALSE(store.Find(std::to_string(t) + ":" + std::to_string(i)).has_value());
    }
  }
  EXPECT_EQ(store.size(), 500u);
}

TEST(ScoresFromOutputsTest, ReadsEachTask) {
  EXPECT_EQ(ScoresFromOutputs(R"({"probability":0.25})").value(), std::vector<double>{0.25});
  EXPECT_EQ(ScoresFromOutputs(R"({"probabilities":[0.1,0.7,0.2]})").value(),
            (std::vector<double>{0.1, 0.7, 0.2}));
  EXPECT_EQ(ScoresFromOutputs(R"({"prediction":-3})").value(), std::vector<double>{-3});
  EXPECT_EQ(ScoresFromOutputs(R"({"prediction":[12.5]})").value(), std::vector<double>{12.5});
  EXPECT_EQ(ScoresFromOutputs(R"({"other":1,"probability":1})").value(), std::vector<double>{1});
}

TEST(ScoresFromOutputsTest, RefusesOtherShapes) {
  auto message = [](std::string_view json) {
    Result<std::vector<double>> r = ScoresFromOutputs(json);
    EXPECT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_EQ(message("[0.5]"), "outputs are not a JSON object");
  EXPECT_EQ(message("{"), "outputs are not a JSON object");
  EXPECT_EQ(message(R"({"score":0.5})"),
            "outputs have none of \"probabilities\", \"probability\", \"prediction\"");
  EXPECT_EQ(message(R"({"probability":"0.5"})"),
            "output \"probability\" is not a number or a non-empty array of numbers");
  EXPECT_EQ(message(R"({"probabilities":[]})"),
            "output \"probabilities\" is not a number or a non-empty array of numbers");
  EXPECT_EQ(message(R"({"probabilities":[0.5,null]})"),
            "output \"probabilities\" holds a value that is not a number");
}

PredictionRecord Rec(int64_t t, std::string key, int64_t version, std::string outputs) {
  PredictionRecord r;
  r.time_ms = t;
  r.model = "m";
  r.version = version;
  r.key = std::move(key);
  r.inputs_json = R"({"x":1})";
  r.outputs_json = std::move(outputs);
  r.latency_us = 10;
  return r;
}

TEST(LookUpInLogTest, FindsLatestRecordPerKeyAcrossSegments) {
  TempDir tmp;
  const fs::path dir = tmp / "m";
  {
    SegmentLogOptions options;
    options.max_segment_bytes = 300;  // several rotated segments
    options.now_ms = [] { return int64_t{1000}; };
    std::unique_ptr<SegmentLog> log = SegmentLog::Open(dir, options).value();
    ASSERT_TRUE(log->Append(Rec(100, "a", 1, R"({"probability":0.1})")).ok());
    ASSERT_TRUE(log->Append(Rec(110, "b", 1, R"({"probability":0.2})")).ok());
    ASSERT_TRUE(log->Append(Rec(120, "", 1, R"({"probability":0.3})")).ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(
          log->Append(Rec(130 + i, "filler" + std::to_string(i), 1, R"({"probability":0.5})"))
              .ok());
    }
    ASSERT_TRUE(log->Append(Rec(200, "a", 2, R"({"probability":0.9})")).ok());
    ASSERT_TRUE(log->Append(Rec(150, "b", 2, R"({"probability":0.8})")).ok());  // older time
    ASSERT_TRUE(log->Append(Rec(210, "c", 2, R"({"probabilities":[0.2,0.8]})")).ok());
    ASSERT_TRUE(log->Append(Rec(220, "bad", 2, R"({"score":1})")).ok());
    ASSERT_TRUE(log->Flush().ok());  // the last records stay in current.open
  }
  ASSERT_GE(ListSegments(dir).value().size(), 3u);

  LogLookup r = LookUpInLog(dir, {"a", "b", "c", "bad", "missing", ""}).value();
  EXPECT_EQ(r.found.size(), 3u);
  EXPECT_EQ(r.found.at("a"), P(2, 200, {0.9}));
  EXPECT_EQ(r.found.at("b"), P(2, 150, {0.8}));
  EXPECT_EQ(r.found.at("c"), P(2, 210, {0.2, 0.8}));
  EXPECT_EQ(r.unreadable_outputs, 1u);
  EXPECT_EQ(r.records_read, 17u);
  EXPECT_EQ(r.skipped_bytes, 0u);

  LogLookup recent = LookUpInLog(dir, {"a", "b"}, 160).value();
  EXPECT_EQ(recent.found.size(), 1u);
  EXPECT_EQ(recent.found.at("a"), P(2, 200, {0.9}));
  EXPECT_EQ(recent.records_read, 3u);

  EXPECT_TRUE(LookUpInLog(dir, {}).value().found.empty());
}

TEST(LookUpInLogTest, AbsentFolderFindsNothingAndFileIsAnError) {
  TempDir tmp;
  LogLookup r = LookUpInLog(tmp / "none", {"a"}).value();
  EXPECT_TRUE(r.found.empty());
  EXPECT_EQ(r.records_read, 0u);

  ::ferry::testing::WriteTextFile(tmp / "file", "x");
  Result<LogLookup> bad = LookUpInLog(tmp / "file", {"a"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry::monitor
