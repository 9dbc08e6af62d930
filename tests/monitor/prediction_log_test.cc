#include "ferry/monitor/prediction_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/monitor/segment_log.h"
#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;

PredictionRecord Rec(int64_t t, std::string key = "k") {
  PredictionRecord r;
  r.time_ms = t;
  r.model = "bc";
  r.version = 3;
  r.key = std::move(key);
  r.inputs_json = R"({"x":[1.5,2],"name":"a\"b"})";
  r.outputs_json = R"([0.25])";
  r.latency_us = 120;
  return r;
}

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> out;
  std::vector<SegmentInfo> segments = ListSegments(dir).value();
  for (const SegmentInfo& s : segments) out.push_back(s.path.filename().string());
  return out;
}

std::string Slurp(const fs::path& p) { return ReadFile(p).value(); }

void Spit(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

struct FakeClock {
  int64_t now = 1'000'000;
  std::function<int64_t()> fn() {
    return [this] { return now; };
  }
};

TEST(PredictionLogTest, RoundTripsUnicodeAndQuotes) {
  TempDir tmp;
  PredictionRecord a = Rec(10, "clé \"ü\" 日本\n\\");
  a.model = "mödel";
  a.inputs_json = R"({"s":"ünï\"cødé\\","emoji":"\ud83d\ude00","n":[1e3,-0.5,null,true]})";
  a.outputs_json = R"("日本")";
  PredictionRecord b = Rec(11);
  b.inputs_json = "42";
  {
    auto log = SegmentLog::Open(tmp.path(), {}).value();
    ASSERT_TRUE(log->Append(a).ok());
    ASSERT_TRUE(log->Append(b).ok());
    ASSERT_TRUE(log->Rotate().ok());
  }
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0], a);
  EXPECT_EQ(c.records[1], b);
  EXPECT_EQ(c.skipped_bytes, 0u);
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"10-1.seg"});
}

TEST(PredictionLogTest, RejectsInvalidJsonInputs) {
  TempDir tmp;
  auto log = SegmentLog::Open(tmp.path(), {}).value();
  PredictionRecord r = Rec(1);
  r.inputs_json = "{\"a\":";
  Status s = log->Append(r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "prediction record: inputs are not valid JSON");
  r = Rec(1);
  r.outputs_json = "";
  EXPECT_EQ(log->Append(r).message(), "prediction record: outputs are not valid JSON");
}

TEST(PredictionLogTest, RejectsBadOptions) {
  TempDir tmp;
  SegmentLogOptions o;
  o.max_segment_bytes = 0;
  EXPECT_EQ(SegmentLog::Open(tmp.path(), o).status().message(),
            "max_segment_bytes must be positive");
}

TEST(PredictionLogTest, RotatesBySize) {
  TempDir tmp;
  size_t framed = EncodeRecord(Rec(0)).value().size();
  SegmentLogOptions o;
  o.max_segment_bytes = kSegmentStartBytes + 2 * framed;  // two records per segment
  auto log = SegmentLog::Open(tmp.path(), o).value();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Rec(100 + i)).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(Names(tmp.path()),
            (std::vector<std::string>{"100-1.seg", "102-2.seg", "current.open"}));
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.records[i].time_ms, 100 + i);
  EXPECT_EQ(ReadLog(tmp.path(), 103).value().records.size(), 2u);
}

TEST(PredictionLogTest, RotatesByAgeWithFakeClock) {
  TempDir tmp;
  FakeClock clock;
  SegmentLogOptions o;
  o.max_segment_age_ms = 1000;
  o.now_ms = clock.fn();
  auto log = SegmentLog::Open(tmp.path(), o).value();
  ASSERT_TRUE(log->Append(Rec(1)).ok());
  clock.now += 999;
  ASSERT_TRUE(log->Append(Rec(2)).ok());
  ASSERT_TRUE(log->RotateIfExpired().ok());
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"current.open"});
  clock.now += 1;
  ASSERT_TRUE(log->Append(Rec(3)).ok());  // rotates the old segment first
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"1-1.seg", "current.open"}));
  clock.now += 1000;
  ASSERT_TRUE(log->RotateIfExpired().ok());
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"1-1.seg", "3-2.seg"}));
}

TEST(PredictionLogTest, RetentionByBytes) {
  TempDir tmp;
  size_t framed = EncodeRecord(Rec(10)).value().size();
  SegmentLogOptions o;
  o.max_segment_bytes = kSegmentStartBytes + framed;  // one record per segment
  o.retention_bytes = 2 * (kSegmentStartBytes + framed);
  auto log = SegmentLog::Open(tmp.path(), o).value();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Rec(10 + i)).ok());
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"13-4.seg", "14-5.seg"}));
}

TEST(PredictionLogTest, RetentionByAge) {
  TempDir tmp;
  FakeClock clock;
  size_t framed = EncodeRecord(Rec(0)).value().size();
  SegmentLogOptions o;
  o.max_segment_bytes = kSegmentStartBytes + framed;
  o.retention_age_ms = 100;
  o.now_ms = clock.fn();
  auto log = SegmentLog::Open(tmp.path(), o).value();
  clock.now = 1000;
  ASSERT_TRUE(log->Append(Rec(1000)).ok());
  ASSERT_TRUE(log->Append(Rec(1050)).ok());
  clock.now = 1100;
  ASSERT_TRUE(log->Append(Rec(1100)).ok());
  // 1000-1 ended when 1050-2 started (1050 > cutoff 1000): kept.
  EXPECT_EQ(Names(tmp.path()),
            (std::vector<std::string>{"1000-1.seg", "1050-2.seg", "1100-3.seg"}));
  clock.now = 1160;
  ASSERT_TRUE(log->Append(Rec(1160)).ok());  // cutoff 1060: 1000-1 (next started 1050) goes
  EXPECT_EQ(Names(tmp.path()),
            (std::vector<std::string>{"1050-2.seg", "1100-3.seg", "1160-4.seg"}));
  clock.now = 1300;
  ASSERT_TRUE(log->Append(Rec(1300)).ok());  // cutoff 1200: 1160-4 ended at 1300, kept
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"1160-4.seg", "1300-5.seg"}));
  clock.now = 1500;
  ASSERT_TRUE(log->Append(Rec(1500)).ok());  // cutoff 1400: 1160-4 (ended 1300) goes
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"1300-5.seg", "1500-6.seg"}));
}

// Writes n records in one rotated segment and returns its path.
fs::path WriteSegment(const fs::path& dir, int n) {
  auto log = SegmentLog::Open(dir, {}).value();
  for (int i = 0; i < n; ++i) EXPECT_TRUE(log->Append(Rec(i, "key" + std::to_string(i))).ok());
  EXPECT_TRUE(log->Rotate().ok());
  return ListSegments(dir).value().back().path;
}

TEST(PredictionLogTest, TornTailAtEveryOffsetKeepsEarlierRecords) {
  TempDir tmp;
  fs::path seg = WriteSegment(tmp.path(), 3);
  std::string full = Slurp(seg);
  size_t last = EncodeRecord(Rec(2, "key2")).value().size();
  size_t start = full.size() - last;
  for (size_t cut = start; cut < full.size(); ++cut) {
    SegmentContents c = ParseSegment(std::string_view(full).substr(0, cut));
    ASSERT_EQ(c.records.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(c.records[0], Rec(0, "key0"));
    EXPECT_EQ(c.records[1], Rec(1, "key1"));
    EXPECT_EQ(c.skipped_bytes, cut - start);
    EXPECT_EQ(c.tail_error.empty(), cut == start);
  }
  EXPECT_EQ(ParseSegment(full).records.size(), 3u);
}

TEST(PredictionLogTest, FlippedByteStopsReadingThere) {
  TempDir tmp;
  fs::path seg = WriteSegment(tmp.path(), 5);
  std::string bytes = Slurp(seg);
  size_t framed = EncodeRecord(Rec(0, "key0")).value().size();
  size_t third = kSegmentStartBytes + 2 * framed;  // records all have the same size
  bytes[third + kRecordFrameBytes + 10] ^= 0x20;   // inside the third payload
  Spit(seg, bytes);
  SegmentContents c = ReadSegment(seg).value();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1], Rec(1, "key1"));
  EXPECT_EQ(c.skipped_bytes, bytes.size() - third);
  EXPECT_EQ(c.tail_error, "at byte " + std::to_string(third) + ": checksum mismatch");
}

TEST(PredictionLogTest, BadHeaderSkipsWholeFile) {
  SegmentContents c = ParseSegment(std::string_view("NOPE\x01\0\0\0 more", 13));
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.skipped_bytes, 13u);
  EXPECT_EQ(c.tail_error, "bad segment header");
}

TEST(PredictionLogTest, LeftoverOpenSegmentIsRotatedOnOpen) {
  TempDir tmp;
  {
    auto log = SegmentLog::Open(tmp.path(), {}).value();
    ASSERT_TRUE(log->Append(Rec(7)).ok());
    ASSERT_TRUE(log->Append(Rec(8)).ok());
    ASSERT_TRUE(log->Flush().ok());
  }  // no rotation: a crash leaves current.open behind
  fs::path open = tmp / "current.open";
  std::string bytes = Slurp(open);
  Spit(open, bytes.substr(0, bytes.size() - 5));  // torn tail
  ASSERT_EQ(Names(tmp.path()), std::vector<std::string>{"current.open"});
  auto log = SegmentLog::Open(tmp.path(), {}).value();
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"7-1.seg"});
  ASSERT_TRUE(log->Append(Rec(9)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"7-1.seg", "9-2.seg"}));
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].time_ms, 7);
  EXPECT_EQ(c.records[1].time_ms, 9);
  EXPECT_EQ(c.skipped_bytes,
            bytes.size() - 5 - kSegmentStartBytes - EncodeRecord(Rec(7)).value().size());
}

TEST(PredictionLogTest, NeverTruncatesAnExistingOpenSegment) {
  TempDir tmp;
  fs::path other = tmp / "other";
  {
    auto log = SegmentLog::Open(other, {}).value();
    ASSERT_TRUE(log->Append(Rec(5)).ok());
  }  // leaves other/current.open with one record
  auto log = SegmentLog::Open(tmp.path(), {}).value();
  fs::rename(other / "current.open", tmp / "current.open");  // appears while no segment is open
  ASSERT_TRUE(log->Append(Rec(6)).ok());
  ASSERT_TRUE(log->Rotate().ok());
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"5-1.seg", "6-2.seg"}));
  EXPECT_EQ(ReadLog(tmp.path()).value().records.size(), 2u);
}

TEST(PredictionLogTest, EmptyLeftoverIsRemoved) {
  TempDir tmp;
  Spit(tmp / "current.open", "FPL");
  auto log = SegmentLog::Open(tmp.path(), {}).value();
  EXPECT_TRUE(Names(tmp.path()).empty());
}

TEST(PredictionLogTest, ListIgnoresOtherFilesAndMissingFolder) {
  TempDir tmp;
  EXPECT_TRUE(ListSegments(tmp / "absent").value().empty());
  Spit(tmp / "notes.txt", "x");
  Spit(tmp / "12-x.seg", "x");
  Spit(tmp / "20-1.seg", "");
  Spit(tmp / "3-2.seg", "");
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"3-2.seg", "20-1.seg"}));
}

}  // namespace
}  // namespace ferry::monitor

namespace ferry::monitor {
namespace {

RowSchema Schema() {
  RowSchema s;
  s.model = "bc";
  s.version = 4;
  s.columns = {"mean radius", "tëxt\"col"};
  s.outputs = {"probability", "probabilities"};
  return s;
}

// A row frame of schema 0 at time `t`: inputs {t, -0.5}, scalar probability
// 0.25 and the array [0.75, 0.25].
std::string RowFrame(int64_t t, std::string_view key = "k") {
  static const float kProbs[] = {0.75f, 0.25f};
  static const float kProb[] = {0.25f};
  const float x[] = {static_cast<float>(t), -0.5f};
  const RowOutput outs[] = {{.index = 0, .scalar = true, .values = kProb},
                            {.index = 1, .scalar = false, .values = kProbs}};
  std::string frame;
  EXPECT_TRUE(AppendRowRecord(0, t, 77, key, x, outs, &frame));
  return frame;
}

std::string SchemaFrame() {
  std::string frame;
  AppendSchemaRecord(0, Schema(), &frame);
  return frame;
}

TEST(PredictionLogRowsTest, ReadBackAsJsonRecords) {
  TempDir tmp;
  {
    auto log = SegmentLog::Open(tmp.path(), {}).value();
    log->AddSchema(SchemaFrame());
    std::string frames = RowFrame(10, "a\"b") + RowFrame(11, "");
    ASSERT_TRUE(log->AppendFrames(frames, 10, 11).ok());
    ASSERT_TRUE(log->Append(Rec(12)).ok());  // JSON records mix with rows
    ASSERT_TRUE(log->Rotate().ok());
  }
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.skipped_bytes, 0u);
  const PredictionRecord& r = c.records[0];
  EXPECT_EQ(r.time_ms, 10);
  EXPECT_EQ(r.model, "bc");
  EXPECT_EQ(r.version, 4);
  EXPECT_EQ(r.key, "a\"b");
  EXPECT_EQ(r.latency_us, 77);
  EXPECT_EQ(r.inputs_json, R"({"mean radius":10,"tëxt\"col":-0.5})");
  EXPECT_EQ(r.outputs_json, R"({"probability":0.25,"probabilities":[0.75,0.25]})");
  EXPECT_EQ(c.records[1].key, "");
  EXPECT_EQ(c.records[1].inputs_json, R"({"mean radius":11,"tëxt\"col":-0.5})");
  EXPECT_EQ(c.records[2], Rec(12));
}

TEST(PredictionLogRowsTest, EverySegmentDefinesTheSchemasAgain) {
  TempDir tmp;
  const size_t row = RowFrame(1).size();
  SegmentLogOptions o;
  o.max_segment_bytes = kSegmentStartBytes + SchemaFrame().size() + row;  // one row each
  {
    auto log = SegmentLog::Open(tmp.path(), o).value();
    log->AddSchema(SchemaFrame());
    for (int t = 1; t <= 3; ++t) ASSERT_TRUE(log->AppendFrames(RowFrame(t), t, t).ok());
  }
  std::vector<std::string> names = Names(tmp.path());
  ASSERT_EQ(names, (std::vector<std::string>{"1-1.seg", "2-2.seg", "3-3.seg"}));
  for (const std::string& name : names) {
    // Each segment reads alone.
    SegmentContents c = ReadSegment(tmp.path() / name).value();
    ASSERT_EQ(c.records.size(), 1u) << name;
    EXPECT_EQ(c.records[0].model, "bc");
  }
}

TEST(PredictionLogRowsTest, ASchemaAddedToAnOpenSegmentIsWrittenThere) {
  TempDir tmp;
  auto log = SegmentLog::Open(tmp.path(), {}).value();
  ASSERT_TRUE(log->Append(Rec(1)).ok());  // the segment is open, without schemas
  log->AddSchema(SchemaFrame());
  ASSERT_TRUE(log->AppendFrames(RowFrame(2), 2, 2).ok());
  ASSERT_TRUE(log->Flush().ok());
  SegmentContents c = ReadSegment(tmp.path() / kOpenSegmentName).value();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].version, 4);
}

TEST(PredictionLogRowsTest, ARowWithoutItsSchemaIsDamage) {
  std::string bytes = std::string(kSegmentMagic) + std::string("\x02\0\0\0", 4);
  bytes += EncodeRecord(Rec(1)).value();
  const size_t good = bytes.size();
  bytes += RowFrame(2);
  SegmentContents c = ParseSegment(bytes);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.skipped_bytes, bytes.size() - good);
  EXPECT_EQ(c.tail_error,
            "at byte " + std::to_string(good) + ": bad record: row of undefined schema 0");
}

TEST(PredictionLogRowsTest, TornRowsAtEveryOffsetKeepEarlierRows) {
  std::string bytes = std::string(kSegmentMagic) + std::string("\x02\0\0\0", 4) + SchemaFrame();
  const size_t first = bytes.size();
  bytes += RowFrame(1) + RowFrame(2);
  for (size_t cut = first; cut <= bytes.size(); ++cut) {
    SegmentContents c = ParseSegment(std::string_view(bytes).substr(0, cut));
    const size_t whole = cut == bytes.size() ? 2 : cut >= first + RowFrame(1).size() ? 1 : 0;
    EXPECT_EQ(c.records.size(), whole) << cut;
  }
}

TEST(PredictionLogRowsTest, APartReadContinuesWithTheSchemasItLearnt) {
  std::string head = std::string(kSegmentMagic) + std::string("\x02\0\0\0", 4) + SchemaFrame();
  SegmentReadState state;
  EXPECT_TRUE(ParseSegmentPart(head, &state).records.empty());
  EXPECT_EQ(state.format, 2u);
  SegmentContents rest = ParseSegmentPart(RowFrame(5), &state);
  ASSERT_EQ(rest.records.size(), 1u);
  EXPECT_EQ(rest.records[0].time_ms, 5);
}

TEST(PredictionLogRowsTest, FormatOneSegmentsStillRead) {
  // A segment written before rows existed: header version 1, JSON records only.
  std::string bytes = std::string(kSegmentMagic) + std::string("\x01\0\0\0", 4) +
                      EncodeRecord(Rec(1)).value() + EncodeRecord(Rec(2)).value();
  SegmentContents c = ParseSegment(bytes);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1], Rec(2));
  EXPECT_EQ(c.skipped_bytes, 0u);
  // A row frame in a format-1 segment is not a JSON record.
  c = ParseSegment(std::string(kSegmentMagic) + std::string("\x01\0\0\0", 4) + SchemaFrame());
  EXPECT_EQ(c.tail_error, "at byte 8: bad record: payload is not a JSON object");
}

TEST(PredictionLogRowsTest, RefusesARowOverThePayloadLimit) {
  std::string frame;
  std::string key(kMaxPayloadBytes, 'k');
  const float x[] = {1};
  EXPECT_FALSE(AppendRowRecord(0, 1, 1, key, x, {}, &frame));
  EXPECT_TRUE(frame.empty());
}

}  // namespace
}  // namespace ferry::monitor
