#include "ferry/monitor/log_export.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace ferry::monitor {
namespace {

constexpr int64_t kNov27At10 = 1'795'773'600'000;  // 2026-11-27T10:00:00Z
constexpr int64_t kNow = 1'800'000'000'000;

PredictionRecord Rec(int64_t t, std::string key, std::string inputs, std::string outputs) {
  PredictionRecord r;
  r.time_ms = t;
  r.model = "bc";
  r.version = 4;
  r.key = std::move(key);
  r.inputs_json = std::move(inputs);
  r.outputs_json = std::move(outputs);
  r.latency_us = 87;
  return r;
}

TEST(LogExportTest, FormatsIsoMillisInUtc) {
  EXPECT_EQ(FormatIsoMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMillis(kNov27At10 + 42), "2026-11-27T10:00:00.042Z");
  EXPECT_EQ(FormatIsoMillis(1'709'251'199'999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatIsoMillis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoMillis(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMillis(-62'135'596'800'000), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMillis(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  // Out of the usual range: still a text, no overflow.
  EXPECT_FALSE(FormatIsoMillis(std::numeric_limits<int64_t>::max()).empty());
  EXPECT_FALSE(FormatIsoMillis(std::numeric_limits<int64_t>::min()).empty());
}

TEST(LogExportTest, ParsesRfc3339Times) {
  EXPECT_EQ(ParseTimeArg("2026-11-27T10:00:00Z", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("2026-11-27t10:00:00z", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("2026-11-27 10:00:00Z", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("2026-11-27T10:00Z", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("2026-11-27T10:00:00.5Z", kNow).value(), kNov27At10 + 500);
  EXPECT_EQ(ParseTimeArg("2026-11-27T10:00:00.123456789Z", kNow).value(), kNov27At10 + 123);
  EXPECT_EQ(ParseTimeArg("2026-11-27T12:30:00+02:30", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("2026-11-27T08:00:00-02:00", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("2026-11-27", kNow).value(), kNov27At10 - 10 * 3'600'000);
  EXPECT_EQ(ParseTimeArg("2024-02-29T23:59:59Z", kNow).value(), 1'709'251'199'000);
  // Round trip with the formatter.
  EXPECT_EQ(ParseTimeArg(FormatIsoMillis(kNow + 7), kNow).value(), kNow + 7);
}

TEST(LogExportTest, ParsesDurationsBackFromNow) {
  EXPECT_EQ(ParseTimeArg("90s", kNow).value(), kNow - 90'000);
  EXPECT_EQ(ParseTimeArg("15m", kNow).value(), kNow - 15 * 60'000);
  EXPECT_EQ(ParseTimeArg("2h", kNow).value(), kNow - 2 * 3'600'000);
  EXPECT_EQ(ParseTimeArg("7d", kNow).value(), kNow - 7 * 86'400'000LL);
  EXPECT_EQ(ParseTimeArg("250ms", kNow).value(), kNow - 250);
  EXPECT_EQ(ParseTimeArg("0s", kNow).value(), kNow);
}

TEST(LogExportTest, ParsesEpochMilliseconds) {
  EXPECT_EQ(ParseTimeArg("1795773600000", kNow).value(), kNov27At10);
  EXPECT_EQ(ParseTimeArg("0", kNow).value(), 0);
}

TEST(LogExportTest, RefusesBadTimesWithClearMessages) {
  const std::string forms =
      "is not a time: use an RFC 3339 time (2026-11-27T10:00:00Z), a duration back from now "
      "(90s, 15m, 2h, 7d) or epoch milliseconds";
  for (const char* bad : {"", "yesterday", "10x", "-5s", "1.5h", "2026-11-27T10", "2026-1-27",
                          "2026-11-27T10:00:00Zjunk", "2026-11-27T10:00:00.Z",
                          "2026-11-27T10:00:00+2:00", "2026/11/27"}) {
    Result<int64_t> r = ParseTimeArg(bad, kNow);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "\"" + std::string(bad) + "\" " + forms);
  }
  EXPECT_EQ(ParseTimeArg("2026-11-27T10:00:00", kNow).status().message(),
            "\"2026-11-27T10:00:00\" has no time zone: add Z for UTC (2026-11-27T10:00:00Z) or "
            "an offset (+02:00)");
  EXPECT_EQ(ParseTimeArg("2026-02-29T10:00:00Z", kNow).status().message(),
            "\"2026-02-29T10:00:00Z\" is not a valid date");
  EXPECT_EQ(ParseTimeArg("2026-13-01", kNow).status().message(),
            "\"2026-13-01\" is not a valid date");
  EXPECT_EQ(ParseTimeArg("2026-11-27T24:00:00Z", kNow).status().message(),
            "\"2026-11-27T24:00:00Z\" is not a valid time of day");
  EXPECT_EQ(ParseTimeArg("99999999999999999999", kNow).status().message(),
            "\"99999999999999999999\" is too large for epoch milliseconds");
  EXPECT_EQ(ParseTimeArg("999999999999999d", kNow).status().message(),
            "\"999999999999999d\" is too long a duration");
}

TEST(LogExportTest, ParsesFormats) {
  EXPECT_EQ(ParseExportFormat("csv").value(), ExportFormat::kCsv);
  EXPECT_EQ(ParseExportFormat("jsonl").value(), ExportFormat::kJsonl);
  EXPECT_EQ(ParseExportFormat("xml").status().message(),
            "unknown format \"xml\": use csv or jsonl");
  EXPECT_EQ(ExportFormatForPath("out/x.csv"), ExportFormat::kCsv);
  EXPECT_EQ(ExportFormatForPath("x.jsonl"), ExportFormat::kJsonl);
  EXPECT_EQ(ExportFormatForPath("x"), ExportFormat::kJsonl);
}

TEST(LogExportTest, WritesJsonLines) {
  PredictionRecord r =
      Rec(kNov27At10 + 5, "k\"1", R"({"a":1.5,"b":null})", R"({"probability":0.25})");
  EXPECT_EQ(RecordToJsonLine(r),
            "{\"time\":\"2026-11-27T10:00:00.005Z\",\"time_ms\":1795773600005,\"model\":\"bc\","
            "\"version\":4,\"key\":\"k\\\"1\",\"latency_us\":87,\"inputs\":{\"a\":1.5,\"b\":null},"
            "\"outputs\":{\"probability\":0.25}}\n");
}

TEST(LogExportTest, QuotesCsvFields) {
  auto q = [](std::string_view s) {
    std::string out;
    AppendCsvField(&out, s);
    return out;
  };
  EXPECT_EQ(q("plain"), "plain");
  EXPECT_EQ(q(""), "");
  EXPECT_EQ(q("a,b"), "\"a,b\"");
  EXPECT_EQ(q("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(q("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(q("cr\r"), "\"cr\r\"");
  EXPECT_EQ(q("ünï"), "ünï");
}

TEST(LogExportTest, SplitsRecordsIntoCells) {
  RecordCells c = SplitRecord(Rec(1, "k", R"({"a":1.5,"b":null,"c":"x,y","d":true,"e":[1,2]})",
                                  R"({"probabilities":[0.1,0.9],"n":3})"));
  using Cells = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.inputs,
            (Cells{{"a", "1.5"}, {"b", ""}, {"c", "x,y"}, {"d", "true"}, {"e", "[1,2]"}}));
  EXPECT_EQ(c.outputs,
            (Cells{{"probabilities[0]", "0.1"}, {"probabilities[1]", "0.9"}, {"n", "3"}}));
  // Not an object: one column holding the JSON.
  RecordCells w = SplitRecord(Rec(1, "k", "[1, 2]", "0.5"));
  EXPECT_EQ(w.inputs, (Cells{{"inputs", "[1,2]"}}));
  EXPECT_EQ(w.outputs, (Cells{{"outputs", "0.5"}}));
}

TEST(LogExportTest, CsvColumnsAreTheUnionInFirstSeenOrder) {
  std::vector<PredictionRecord> records = {
      Rec(kNov27At10, "a,1", R"({"x":1,"y":2})", R"({"probability":0.5})"),
      Rec(kNov27At10 + 1, "b\"2", R"({"z":3,"x":null})", R"({"probability":0.75,"extra":[7,8]})"),
      Rec(kNov27At10 + 2, "", R"({"y":-0.5})", R"({})"),
  };
  CsvLayout layout;
  std::vector<RecordCells> cells;
  for (const PredictionRecord& r : records) {
    cells.push_back(SplitRecord(r));
    layout.Add(cells.back());
  }
  EXPECT_EQ(layout.input_columns(), 3u);
  EXPECT_EQ(layout.output_columns(), 3u);
  EXPECT_EQ(layout.Header(),
            "time,time_ms,model,version,key,latency_us,x,y,z,probability,extra[0],extra[1]\n");
  EXPECT_EQ(layout.Row(records[0], cells[0]),
            "2026-11-27T10:00:00.000Z,1795773600000,bc,4,\"a,1\",87,1,2,,0.5,,\n");
  EXPECT_EQ(layout.Row(records[1], cells[1]),
            "2026-11-27T10:00:00.001Z,1795773600001,bc,4,\"b\"\"2\",87,,,3,0.75,7,8\n");
  EXPECT_EQ(layout.Row(records[2], cells[2]),
            "2026-11-27T10:00:00.002Z,1795773600002,bc,4,,87,,-0.5,,,,\n");
}

TEST(LogExportTest, CsvLayoutLeavesOutUnknownColumns) {
  CsvLayout layout;
  PredictionRecord first = Rec(0, "k", R"({"x":1})", R"({"prediction":2})");
  layout.Add(SplitRecord(first));
  PredictionRecord later = Rec(1, "k", R"({"x":3,"new":4})", R"({"prediction":5})");
  RecordCells cells = SplitRecord(later);
  EXPECT_TRUE(layout.Covers(SplitRecord(first)));
  EXPECT_FALSE(layout.Covers(cells));
  EXPECT_EQ(layout.Row(later, cells), "1970-01-01T00:00:00.001Z,1,bc,4,k,87,3,5\n");
  // Quoted column names in the header.
  CsvLayout odd;
  odd.Add(SplitRecord(Rec(0, "k", R"({"a,b":1,"q\"":2})", "{}")));
  EXPECT_EQ(odd.Header(), "time,time_ms,model,version,key,latency_us,\"a,b\",\"q\"\"\"\n");
}

}  // namespace
}  // namespace ferry::monitor
