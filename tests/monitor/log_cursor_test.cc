#include "ferry/monitor/log_cursor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/monitor/segment_log.h"
#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;

PredictionRecord Rec(int64_t t) {
  PredictionRecord r;
  r.time_ms = t;
  r.model = "bc";
  r.version = 1;
  r.key = "k" + std::to_string(t);
  r.inputs_json = R"({"x":1})";
  r.outputs_json = R"({"probability":0.5})";
  r.latency_us = 10;
  return r;
}

std::unique_ptr<SegmentLog> OpenLog(const fs::path& dir) {
  SegmentLogOptions o;
  o.max_segment_bytes = 1 << 20;
  o.max_segment_age_ms = 0;
  o.now_ms = [] { return int64_t{5'000}; };
  return SegmentLog::Open(dir, o).value();
}

// Times of the records the next Poll passes.
std::vector<int64_t> PollTimes(LogCursor& cursor) {
  std::vector<int64_t> out;
  Status s = cursor.Poll([&](PredictionRecord&& r) { out.push_back(r.time_ms); });
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

void Append(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::app);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

using Times = std::vector<int64_t>;

TEST(LogCursorTest, ReadsRotatedSegmentsThenTheOpenOneOnce) {
  TempDir tmp;
  auto log = OpenLog(tmp.path());
  ASSERT_TRUE(log->Append(Rec(1)).ok());
  ASSERT_TRUE(log->Append(Rec(2)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  ASSERT_TRUE(log->Append(Rec(3)).ok());
  ASSERT_TRUE(log->Flush().ok());
  LogCursor cursor(tmp.path());
  EXPECT_EQ(PollTimes(cursor), (Times{1, 2, 3}));
  EXPECT_EQ(PollTimes(cursor), Times{});
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
  EXPECT_EQ(cursor.pending_bytes(), 0u);
}

TEST(LogCursorTest, FollowsTheOpenSegmentThroughRotations) {
  TempDir tmp;
  auto log = OpenLog(tmp.path());
  LogCursor cursor(tmp.path());
  EXPECT_EQ(PollTimes(cursor), Times{});
  ASSERT_TRUE(log->Append(Rec(1)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(PollTimes(cursor), (Times{1}));
  ASSERT_TRUE(log->Append(Rec(2)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(PollTimes(cursor), (Times{2}));
  // Rotated with a record the cursor has not seen, then a new current.open.
  ASSERT_TRUE(log->Append(Rec(3)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  ASSERT_TRUE(log->Append(Rec(4)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(PollTimes(cursor), (Times{3, 4}));
  // Two rotations between polls.
  ASSERT_TRUE(log->Append(Rec(5)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  ASSERT_TRUE(log->Append(Rec(6)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  ASSERT_TRUE(log->Append(Rec(7)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(PollTimes(cursor), (Times{5, 6, 7}));
  EXPECT_EQ(PollTimes(cursor), Times{});
  // A fresh cursor sees all of them once.
  LogCursor fresh(tmp.path());
  EXPECT_EQ(PollTimes(fresh), (Times{1, 2, 3, 4, 5, 6, 7}));
}

// A writer appending and rotating on its own thread while the cursor polls:
// every record exactly once, in order.
TEST(LogCursorTest, NeverRepeatsNorSkipsWhileAWriterRotates) {
  TempDir tmp;
  constexpr int64_t kRecords = 3000;
  std::thread writer([dir = tmp.path()] {
    SegmentLogOptions o;
    o.max_segment_bytes = 1500;  // a rotation every ~15 records
    o.max_segment_age_ms = 0;
    auto log = SegmentLog::Open(dir, o).value();
    for (int64_t t = 1; t <= kRecords; ++t) {
      ASSERT_TRUE(log->Append(Rec(t)).ok());
      if (t % 3 == 0) {
        ASSERT_TRUE(log->Flush().ok());
      }
    }
    ASSERT_TRUE(log->Flush().ok());
  });
  LogCursor cursor(tmp.path());
  Times got;
  ASSERT_TRUE(cursor.PollLast(5, [&](PredictionRecord&& r) { got.push_back(r.time_ms); }).ok());
  auto take = [&] {
    Status s = cursor.Poll([&](PredictionRecord&& r) { got.push_back(r.time_ms); });
    ASSERT_TRUE(s.ok()) << s.message();
  };
  // Half of them while the writer runs (bounded, in case the writer fails).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (static_cast<int64_t>(got.size()) < kRecords / 2 &&
         std::chrono::steady_clock::now() < deadline) {
    take();
  }
  writer.join();
  take();
  // The last (up to) 5 when it started, then every later one, in order.
  ASSERT_FALSE(got.empty());
  ASSERT_EQ(got.back(), kRecords);
  ASSERT_EQ(static_cast<int64_t>(got.size()), kRecords - got.front() + 1);
  for (size_t i = 1; i < got.size(); ++i) ASSERT_EQ(got[i], got[i - 1] + 1) << "at " << i;
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
  EXPECT_EQ(cursor.pending_bytes(), 0u);
}

TEST(LogCursorTest, PollLastReadsOnlyTheNewestSegmentsItNeeds) {
  TempDir tmp;
  auto log = OpenLog(tmp.path());
  for (int64_t t = 1; t <= 8; ++t) {
    ASSERT_TRUE(log->Append(Rec(t)).ok());
    if (t == 3 || t == 6) {
      ASSERT_TRUE(log->Rotate().ok());
    }
  }
  ASSERT_TRUE(log->Flush().ok());
  // The oldest segment is damaged in place: reading it would count skipped bytes.
  std::vector<SegmentInfo> segments = ListSegments(tmp.path()).value();
  ASSERT_EQ(segments.size(), 3u);
  {
    std::fstream f(segments[0].path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(kSegmentHeaderBytes + 5));
    f.write("XXXX", 4);
  }
  LogCursor cursor(tmp.path());
  std::vector<int64_t> got;
  auto take_last = [&](LogCursor& c, uint64_t n) {
    got.clear();
    ASSERT_TRUE(c.PollLast(n, [&](PredictionRecord&& r) { got.push_back(r.time_ms); }).ok());
  };
  take_last(cursor, 3);
  EXPECT_EQ(got, (Times{6, 7, 8}));
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
  EXPECT_EQ(PollTimes(cursor), Times{});
  ASSERT_TRUE(log->Append(Rec(9)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  ASSERT_TRUE(log->Append(Rec(10)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(PollTimes(cursor), (Times{9, 10}));

  LogCursor none(tmp.path());
  take_last(none, 0);
  EXPECT_EQ(got, Times{});
  EXPECT_EQ(PollTimes(none), Times{});

  LogCursor all(tmp.path());
  take_last(all, 100);
  EXPECT_EQ(got, (Times{4, 5, 6, 7, 8, 9, 10}));  // 1-3: the damaged segment's first frame
  EXPECT_GT(all.skipped_bytes(), 0u);

  LogCursor since(tmp.path(), 8);
  take_last(since, 5);
  EXPECT_EQ(got, (Times{8, 9, 10}));
}

TEST(LogCursorTest, ATornFrameInTheOpenSegmentIsPendingUntilComplete) {
  TempDir tmp;
  auto log = OpenLog(tmp.path());
  ASSERT_TRUE(log->Append(Rec(1)).ok());
  log.reset();  // flushed, left open (as after a crash)
  fs::path open = tmp / std::string(kOpenSegmentName);
  std::string frame = EncodeRecord(Rec(2)).value();
  Append(open, frame.substr(0, 20));
  LogCursor cursor(tmp.path());
  EXPECT_EQ(PollTimes(cursor), (Times{1}));
  EXPECT_EQ(cursor.pending_bytes(), 20u);
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
  EXPECT_NE(cursor.last_tail_error().find("current.open: at byte "), std::string::npos)
      << cursor.last_tail_error();
  Append(open, frame.substr(20));
  EXPECT_EQ(PollTimes(cursor), (Times{2}));
  EXPECT_EQ(cursor.pending_bytes(), 0u);
}

TEST(LogCursorTest, ATornTailOfARotatedSegmentIsSkippedOnce) {
  TempDir tmp;
  {
    auto log = OpenLog(tmp.path());
    ASSERT_TRUE(log->Append(Rec(1)).ok());
  }
  Append(tmp / std::string(kOpenSegmentName), "garbage!garbage!");
  LogCursor cursor(tmp.path());
  EXPECT_EQ(PollTimes(cursor), (Times{1}));
  EXPECT_EQ(cursor.pending_bytes(), 16u);
  // The next writer rotates the leftover, torn tail and all.
  auto log = OpenLog(tmp.path());
  ASSERT_TRUE(log->Append(Rec(2)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(PollTimes(cursor), (Times{2}));
  EXPECT_EQ(cursor.skipped_bytes(), 16u);
  EXPECT_EQ(cursor.pending_bytes(), 0u);
  EXPECT_EQ(PollTimes(cursor), Times{});
  EXPECT_EQ(cursor.skipped_bytes(), 16u);
}

TEST(LogCursorTest, FiltersBySinceAndUntil) {
  TempDir tmp;
  auto log = OpenLog(tmp.path());
  for (int64_t t = 1; t <= 6; ++t) {
    ASSERT_TRUE(log->Append(Rec(t)).ok());
    if (t == 3) {
      ASSERT_TRUE(log->Rotate().ok());
    }
  }
  ASSERT_TRUE(log->Flush().ok());
  LogCursor cursor(tmp.path(), 2, 5);
  EXPECT_EQ(PollTimes(cursor), (Times{2, 3, 4, 5}));
}

TEST(LogCursorTest, ANewFileAfterDeletionIsReadFromItsStart) {
  TempDir tmp;
  {
    auto log = OpenLog(tmp.path());
    ASSERT_TRUE(log->Append(Rec(1)).ok());
  }
  LogCursor cursor(tmp.path());
  EXPECT_EQ(PollTimes(cursor), (Times{1}));
  // The folder is emptied and written again (an inode may be reused).
  fs::remove_all(tmp.path());
  fs::create_directories(tmp.path());
  {
    auto log = OpenLog(tmp.path());
    ASSERT_TRUE(log->Append(Rec(10)).ok());
    ASSERT_TRUE(log->Append(Rec(11)).ok());
  }
  EXPECT_EQ(PollTimes(cursor), (Times{10, 11}));
}

TEST(LogCursorTest, AnAbsentFolderHoldsNothingAndAFileIsRefused) {
  TempDir tmp;
  LogCursor absent(tmp / "none");
  EXPECT_EQ(PollTimes(absent), Times{});
  ::ferry::testing::WriteTextFile(tmp / "file", "x");
  LogCursor file(tmp / "file");
  Status s = file.Poll([](PredictionRecord&&) {});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry::monitor

namespace ferry::monitor {
namespace {

TEST(LogCursorRowsTest, RowsOfTheOpenSegmentReadAcrossPolls) {
  TempDir tmp;
  auto log = OpenLog(tmp.path());
  RowSchema schema;
  schema.model = "bc";
  schema.version = 2;
  schema.columns = {"a"};
  std::string frame;
  AppendSchemaRecord(7, schema, &frame);
  log->AddSchema(frame);
  auto row = [](int64_t t) {
    const float x[] = {static_cast<float>(t)};
    std::string f;
    EXPECT_TRUE(AppendRowRecord(7, t, 1, "k", x, {}, &f));
    return f;
  };
  ASSERT_TRUE(log->AppendFrames(row(1), 1, 1).ok());
  ASSERT_TRUE(log->Flush().ok());
  LogCursor cursor(tmp.path());
  std::vector<std::string> inputs;
  auto poll = [&] {
    inputs.clear();
    ASSERT_TRUE(cursor.Poll([&](PredictionRecord&& r) { inputs.push_back(r.inputs_json); }).ok());
  };
  poll();
  EXPECT_EQ(inputs, (std::vector<std::string>{R"({"a":1})"}));
  // The next poll reads from where the last stopped, past the schema.
  ASSERT_TRUE(log->AppendFrames(row(2) + row(3), 2, 3).ok());
  ASSERT_TRUE(log->Flush().ok());
  poll();
  EXPECT_EQ(inputs, (std::vector<std::string>{R"({"a":2})", R"({"a":3})"}));
  // Rotated, it is not read again; the next segment defines the schema anew.
  ASSERT_TRUE(log->Rotate().ok());
  ASSERT_TRUE(log->AppendFrames(row(4), 4, 4).ok());
  ASSERT_TRUE(log->Flush().ok());
  poll();
  EXPECT_EQ(inputs, (std::vector<std::string>{R"({"a":4})"}));
  EXPECT_EQ(cursor.pending_bytes(), 0u);
  EXPECT_EQ(cursor.skipped_bytes(), 0u);
}

}  // namespace
}  // namespace ferry::monitor
