#include "ferry/table/csv_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ferry/base/sha256.h"
#include "ferry/table/number.h"
#include "testing/test_util.h"

namespace ferry::table {
namespace {

using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;
using Rows = std::vector<std::vector<std::string>>;

struct Parsed {
  std::vector<std::string> header;
  Rows rows;
  std::vector<int64_t> lines;  // line_number() of each row
};

// Reads every record of `reader`; stops at the first error.
Result<Parsed> ReadRest(CsvReader& reader) {
  Parsed out;
  out.header = reader.header();
  std::vector<std::string_view> fields;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(bool more, reader.Next(&fields));
    if (!more) return out;
    out.rows.emplace_back(fields.begin(), fields.end());
    out.lines.push_back(reader.line_number());
  }
}

// Parses `content` from memory with the given buffer size.
Result<Parsed> ParseText(const std::string& content, size_t buffer_bytes = 1 << 20) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in,
                         InputStream::FromMemory(content, "t.csv"));
  CsvReaderOptions options;
  options.buffer_bytes = buffer_bytes;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader,
                         CsvReader::Open(std::move(in), options));
  return ReadRest(*reader);
}

// Buffer sizes that put the buffer end at many different places in small inputs.
const size_t kSmallBuffers[] = {16, 17, 19, 23, 31, 64, 1 << 20};

// Parses `content` with every buffer size and checks that all agree; returns the result.
Parsed ParseEverywhere(const std::string& content) {
  Result<Parsed> reference = ParseText(content);
  EXPECT_TRUE(reference.ok()) << reference.status().ToString();
  if (!reference.ok()) return {};
  for (size_t buffer : kSmallBuffers) {
    Result<Parsed> got = ParseText(content, buffer);
    EXPECT_TRUE(got.ok()) << "buffer " << buffer << ": " << got.status().ToString();
    if (!got.ok()) continue;
    EXPECT_EQ(got->header, reference->header) << "buffer " << buffer;
    EXPECT_EQ(got->rows, reference->rows) << "buffer " << buffer;
    EXPECT_EQ(got->lines, reference->lines) << "buffer " << buffer;
  }
  return *reference;
}

// The error of parsing `content` (with every buffer size: they must agree).
Status ParseError(const std::string& content) {
  Status first = ParseText(content).status();
  for (size_t buffer : kSmallBuffers) {
    Status s = ParseText(content, buffer).status();
    EXPECT_EQ(s.ToString(), first.ToString()) << "buffer " << buffer;
  }
  return first;
}

TEST(CsvReaderTest, ReadsHeaderAndRecords) {
  Parsed p = ParseEverywhere("a,b,c\n1,2,3\nx,y,z\n");
  EXPECT_EQ(p.header, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "2", "3"}, {"x", "y", "z"}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{2, 3}));
}

TEST(CsvReaderTest, QuotedFieldsWithCommasAndEscapedQuotes) {
  Parsed p = ParseEverywhere(
      "name,text\n"
      "\"Smith, J\",\"he said \"\"hi\"\"\"\n"
      "\"\"\"\",\"a,b,\"\"c\"\"\"\n"
      "plain,\"\"\n");
  EXPECT_EQ(p.rows, (Rows{{"Smith, J", "he said \"hi\""}, {"\"", "a,b,\"c\""}, {"plain", ""}}));
}

TEST(CsvReaderTest, EmbeddedNewlinesAdvanceLineNumbers) {
  Parsed p = ParseEverywhere(
      "a,b,c\n"
      "1,\"line1\nline2\",3\n"
      "4,5,6\n"
      "\"x\n\ny\",\"\n\",z\n"
      "7,8,9\n");
  EXPECT_EQ(
      p.rows,
      (Rows{{"1", "line1\nline2", "3"}, {"4", "5", "6"}, {"x\n\ny", "\n", "z"}, {"7", "8", "9"}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{2, 4, 5, 9}));
}

TEST(CsvReaderTest, CrlfLineEnds) {
  Parsed p = ParseEverywhere("a,b\r\n1,2\r\n\"x\r\ny\",\"q\"\r\n3,\r\n");
  EXPECT_EQ(p.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}, {"x\r\ny", "q"}, {"3", ""}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{2, 3, 5}));
}

TEST(CsvReaderTest, SkipsByteOrderMark) {
  Parsed p = ParseEverywhere(
      "\xEF\xBB\xBF"
      "a,b\n1,2\n");
  EXPECT_EQ(p.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}}));
  // Only at the very start.
  Parsed q = ParseEverywhere(
      "a\n\xEF\xBB\xBF"
      "x\n");
  EXPECT_EQ(q.rows, (Rows{{"\xEF\xBB\xBF"
                           "x"}}));
}

TEST(CsvReaderTest, SkipsBlankLines) {
  Parsed p = ParseEverywhere("\na,b\n\n1,2\n\r\n\n3,4\n\n");
  EXPECT_EQ(p.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{4, 7}));
}

TEST(CsvReaderTest, EmptyFields) {
  Parsed p = ParseEverywhere("a,b,c\n,,\n1,,3\n\"\",x,\n");
  EXPECT_EQ(p.rows, (Rows{{"", "", ""}, {"1", "", "3"}, {"", "x", ""}}));
}

TEST(CsvReaderTest, LastRecordWithoutLineEnd) {
  EXPECT_EQ(ParseEverywhere("a,b\n1,2").rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(ParseEverywhere("a,b\n1,\"2\"").rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(ParseEverywhere("a,b\n1,\"2\"\r").rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(ParseEverywhere("a,b\r\n1,").rows, (Rows{{"1", ""}}));
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsData) {
  Parsed p = ParseEverywhere("h,w\n5'10\",x\"y\"\n");
  EXPECT_EQ(p.rows, (Rows{{"5'10\"", "x\"y\""}}));
}

TEST(CsvReaderTest, AcceptsMultiByteUtf8) {
  Parsed p = ParseEverywhere("ville,mot\nZürich,\"日本語\"\nłódź,😀\n");
  EXPECT_EQ(p.rows, (Rows{{"Zürich", "日本語"}, {"łódź", "😀"}}));
}

TEST(CsvReaderTest, WrongFieldCountNamesTheLineAndCanContinue) {
  auto in = InputStream::FromMemory("a,b\n1,2\n\"x\ny\",2,3\n4\n5,6\n", "t.csv");
  ASSERT_TRUE(in.ok());
  auto reader = CsvReader::Open(std::move(*in));
  ASSERT_TRUE(reader.ok());
  std::vector<std::string_view> fields;
  ASSERT_TRUE(*(*reader)->Next(&fields));
  Result<bool> bad = (*reader)->Next(&fields);
  EXPECT_EQ(bad.status().ToString(), "INVALID_ARGUMENT: t.csv:3: expected 2 fields, got 3");
  EXPECT_EQ((*reader)->line_number(), 3);
  bad = (*reader)->Next(&fields);
  EXPECT_EQ(bad.status().ToString(), "INVALID_ARGUMENT: t.csv:5: expected 2 fields, got 1");
  ASSERT_TRUE(*(*reader)->Next(&fields));
  EXPECT_EQ(fields, (std::vector<std::string_view>{"5", "6"}));
  EXPECT_EQ((*reader)->line_number(), 6);
  EXPECT_FALSE(*(*reader)->Next(&fields));
}

TEST(CsvReaderTest, UnterminatedQuoteAtEndIsAnErrorWithItsLine) {
  EXPECT_EQ(ParseError("a,b\n1,2\n3,\"abc\ndef\n").ToString(),
            "INVALID_ARGUMENT: t.csv:3: unterminated quoted field");
  EXPECT_EQ(ParseError("a,b\n\"x\ny\",\"abc").ToString(),
            "INVALID_ARGUMENT: t.csv:3: unterminated quoted field");
}

TEST(CsvReaderTest, ErrorsOtherThanRecordShapeAreSticky) {
  auto in = InputStream::FromMemory("a\n\"x\n", "t.csv");
  auto reader = CsvReader::Open(std::move(*in));
  ASSERT_TRUE(reader.ok());
  std::vector<std::string_view> fields;
  EXPECT_EQ((*reader)->Next(&fields).status().message(), "t.csv:2: unterminated quoted field");
  EXPECT_EQ((*reader)->Next(&fields).status().message(), "t.csv:2: unterminated quoted field");
}

TEST(CsvReaderTest, JunkAfterClosingQuote) {
  EXPECT_EQ(ParseError("a,b\n1,2\n\"x\"y,2\n").ToString(),
            "INVALID_ARGUMENT: t.csv:3: unexpected character after closing quote");
}

TEST(CsvReaderTest, InvalidUtf8NamesTheLine) {
  EXPECT_EQ(ParseError("a,b\n1,2\n3,\xff\n5,6\n").ToString(),
            "INVALID_ARGUMENT: t.csv:3: invalid UTF-8");
  // A truncated multi-byte character at the very end.
  EXPECT_EQ(ParseError("a,b\n1,2\n3,\xc3").ToString(), "INVALID_ARGUMENT: t.csv:3: invalid UTF-8");
  // In the header; in a quoted field after an embedded newline.
  EXPECT_EQ(ParseError("a,\xc0\xaf\n1,2\n").ToString(), "INVALID_ARGUMENT: t.csv:1: invalid UTF-8");
  EXPECT_EQ(ParseError("a,b\n1,2\n\"x\ny\xed\xa0\x80\",2\n").ToString(),
            "INVALID_ARGUMENT: t.csv:3: invalid UTF-8");
}

TEST(CsvReaderTest, InvalidUtf8RecordsCanBeSkipped) {
  // Many good records around two bad ones, in one buffer: both bad ones are reported.
  std::string text = "a,b\n";
  for (int i = 0; i < 1000; ++i) {
    if (i == 10 || i == 500) {
      text += "bad,\x80\n";
    } else {
      text += std::to_string(i) + ",é\n";
    }
  }
  auto in = InputStream::FromMemory(text, "t.csv");
  auto reader = CsvReader::Open(std::move(*in));
  ASSERT_TRUE(reader.ok());
  std::vector<std::string_view> fields;
  std::vector<std::string> errors;
  int good = 0;
  while (true) {
    Result<bool> more = (*reader)->Next(&fields);
    if (!more.ok()) {
      errors.push_back(more.status().message());
      continue;
    }
    if (!*more) break;
    ++good;
  }
  EXPECT_EQ(good, 998);
  EXPECT_EQ(errors,
            (std::vector<std::string>{"t.csv:12: invalid UTF-8", "t.csv:502: invalid UTF-8"}));
}

TEST(CsvReaderTest, EmptyFileNeedsAHeader) {
  TempDir dir;
  WriteTextFile(dir / "empty.csv", "");
  std::string path = (dir / "empty.csv").string();
  auto reader = CsvReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().ToString(),
            "INVALID_ARGUMENT: " + path + ": empty file, expected a header line");
  EXPECT_EQ(ParseError("\n\r\n\n").message(), "t.csv: empty file, expected a header line");
}

TEST(CsvReaderTest, HeaderOnly) {
  Parsed p = ParseEverywhere("a,b\n");
  EXPECT_EQ(p.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(p.rows.empty());
  EXPECT_EQ(ParseEverywhere("a,b").header, (std::vector<std::string>{"a", "b"}));
}

TEST(CsvReaderTest, BadHeaders) {
  EXPECT_EQ(ParseError("a,b,a\n1,2,3\n").ToString(),
            "INVALID_ARGUMENT: t.csv:1: duplicate column name 'a'");
  EXPECT_EQ(ParseError("\n\"x\ny\",\"x\ny\"\n").ToString(),
            "INVALID_ARGUMENT: t.csv:2: duplicate column name 'x\ny'");
  EXPECT_EQ(ParseError("a,,b\n").ToString(),
            "INVALID_ARGUMENT: t.csv:1: empty column name (column 2)");
  EXPECT_EQ(ParseError("a,b,\"\"\n").ToString(),
            "INVALID_ARGUMENT: t.csv:1: empty column name (column 3)");
}

TEST(CsvReaderTest, ColumnIndex) {
  auto in = InputStream::FromMemory("id,\"a,b\",z\n", "t.csv");
  auto reader = CsvReader::Open(std::move(*in));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->ColumnIndex("id"), 0);
  EXPECT_EQ((*reader)->ColumnIndex("a,b"), 1);
  EXPECT_EQ((*reader)->ColumnIndex("z"), 2);
  EXPECT_EQ((*reader)->ColumnIndex("Z"), -1);
  EXPECT_EQ((*reader)->ColumnIndex(""), -1);
  EXPECT_EQ((*reader)->line_number(), 1);
}

TEST(CsvReaderTest, MissingFileIsNotFound) {
  TempDir dir;
  auto reader = CsvReader::Open((dir / "nope.csv").string());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find("nope.csv"), std::string::npos);
}

TEST(CsvReaderTest, RecordLongerThanTheLimit) {
  auto in = InputStream::FromMemory("a,b\n1,2\n3," + std::string(300, 'x') + "\n", "t.csv");
  CsvReaderOptions options;
  options.buffer_bytes = 32;
  options.max_record_bytes = 128;
  auto reader = CsvReader::Open(std::move(*in), options);
  ASSERT_TRUE(reader.ok());
  std::vector<std::string_view> fields;
  ASSERT_TRUE(*(*reader)->Next(&fields));
  EXPECT_EQ((*reader)->Next(&fields).status().ToString(),
            "OUT_OF_RANGE: t.csv:3: record longer than 128 bytes");
}

// Writes `fields` as one CSV record the way a careful writer would, with a few random choices
// (quoting when not needed, CRLF) to exercise the parser.
std::string FormatRecord(const std::vector<std::string>& fields, std::mt19937& rng) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& f = fields[i];
    bool needs_quotes = f.find_first_of(",\"\r\n") != std::string::npos || f.empty();
    if (needs_quotes || rng() % 4 == 0) {
      out += '"';
      for (char c : f) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    } else {
      out += f;
    }
  }
  out += rng() % 3 == 0 ? "\r\n" : "\n";
  return out;
}

// A random field: short or long, with quotes, commas, line breaks and multi-byte characters.
std::string RandomField(std::mt19937& rng, size_t max_len) {
  static const std::string kPieces[] = {"a",    "bc", "1.5", ",", "\"",     "\n",
                                        "\r\n", "é",  "日",  " ", "x\"\"y", "NA"};
  std::string f;
  size_t len = rng() % 5 == 0 ? rng() % max_len : rng() % 12;
  while (f.size() < len) f += kPieces[rng() % std::size(kPieces)];
  return f;
}

// Builds a CSV of `rows` random records; returns the expected rows and line numbers.
std::string RandomCsv(std::mt19937& rng, int rows, size_t max_field, Parsed* expected) {
  expected->header = {"c0", "c1", "c2", "c3"};
  std::string text = "c0,c1,c2,c3\n";
  int64_t line = 2;
  for (int r = 0; r < rows; ++r) {
    std::vector<std::string> fields;
    for (int c = 0; c < 4; ++c) fields.push_back(RandomField(rng, max_field));
    std::string record = FormatRecord(fields, rng);
    if (rng() % 10 == 0) {  // sprinkle blank lines
      text += "\n";
      ++line;
    }
    expected->rows.push_back(fields);
    expected->lines.push_back(line);
    line += static_cast<int64_t>(std::count(record.begin(), record.end(), '\n'));
    text += record;
  }
  return text;
}

TEST(CsvReaderTest, RandomRecordsAtManyBufferSizes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    Parsed expected;
    std::string text = RandomCsv(rng, 60, 80, &expected);
    for (size_t buffer : kSmallBuffers) {
      Result<Parsed> got = ParseText(text, buffer);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->header, expected.header);
      ASSERT_EQ(got->rows, expected.rows) << "round " << round << " buffer " << buffer;
      ASSERT_EQ(got->lines, expected.lines) << "round " << round << " buffer " << buffer;
    }
  }
}

TEST(CsvReaderTest, RecordsCrossTheDefaultBufferBoundary) {
  // ~5 MB with fields up to 120 KB: records straddle the 1 MiB buffer end many times, and some
  // records are larger than the buffer's free space.
  std::mt19937 rng(11);
  Parsed expected;
  std::string text = RandomCsv(rng, 120, 120000, &expected);
  ASSERT_GT(text.size(), size_t{3} << 20);
  TempDir dir;
  WriteTextFile(dir / "big.csv", text);
  auto reader = CsvReader::Open((dir / "big.csv").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Result<Parsed> got = ReadRest(**reader);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->rows.size(), expected.rows.size());
  EXPECT_TRUE(got->rows == expected.rows);
  EXPECT_EQ(got->lines, expected.lines);
  EXPECT_EQ((*reader)->bytes_read(), text.size());
}

TEST(CsvReaderTest, CompressedFilesGiveTheSameRecords) {
  std::mt19937 rng(3);
  Parsed expected;
  std::string text = "\xEF\xBB\xBF" + RandomCsv(rng, 3000, 200, &expected);
  TempDir dir;
  WriteTextFile(dir / "data.csv", text);
  for (std::string command : {"gzip", "zstd -q"}) {
    std::filesystem::path packed = dir / ("data.csv." + command.substr(0, 4));
    std::string line =
        command + " -c '" + (dir / "data.csv").string() + "' > '" + packed.string() + "'";
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
    CsvReaderOptions options;
    options.sha256 = true;
    auto reader = CsvReader::Open(packed.string(), options);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    Result<Parsed> got = ReadRest(**reader);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->header, expected.header) << command;
    EXPECT_TRUE(got->rows == expected.rows) << command;
    EXPECT_EQ(got->lines, expected.lines) << command;
    EXPECT_EQ(*(*reader)->SourceSha256Hex(), *Sha256File(packed));
  }
}

TEST(ParseNumberTest, Numbers) {
  EXPECT_EQ(*ParseNumber("0"), 0.0);
  EXPECT_EQ(*ParseNumber("42"), 42.0);
  EXPECT_EQ(*ParseNumber("-3.25"), -3.25);
  EXPECT_EQ(*ParseNumber("+3.25"), 3.25);
  EXPECT_EQ(*ParseNumber("  7.5 "), 7.5);
  EXPECT_EQ(*ParseNumber("\t1e3"), 1000.0);
  EXPECT_EQ(*ParseNumber("1E-2"), 0.01);
  EXPECT_EQ(*ParseNumber(".5"), 0.5);
  EXPECT_EQ(*ParseNumber("5."), 5.0);
  EXPECT_EQ(*ParseNumber("0.1"), 0.1);
  EXPECT_EQ(*ParseNumber("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseNumber("-1e400"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseNumber("1e-400"), 0.0);
}

TEST(ParseNumberTest, InfinityAndMissing) {
  EXPECT_EQ(*ParseNumber("inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseNumber("-inf"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseNumber("+inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseNumber("Infinity"), std::numeric_limits<double>::infinity());
  for (const char* missing : {"", "   ", "nan", "NaN", "NAN", "NA", " NA ", "-nan"}) {
    Result<double> v = ParseNumber(missing);
    ASSERT_TRUE(v.ok()) << missing;
    EXPECT_TRUE(std::isnan(*v)) << missing;
  }
  EXPECT_TRUE(IsMissingValue(""));
  EXPECT_TRUE(IsMissingValue(" NaN"));
  EXPECT_TRUE(IsMissingValue("NA"));
  EXPECT_FALSE(IsMissingValue("na"));
  EXPECT_FALSE(IsMissingValue("0"));
  EXPECT_FALSE(IsMissingValue("-nan"));
}

TEST(ParseNumberTest, NotNumbers) {
  for (const char* bad : {"abc", "1,5", "12abc", "1 2", "0x10", "++1", "+-1", "+", "-", "e5", "1e",
                          "--1", "na", "N/A", "1.2.3"}) {
    Result<double> v = ParseNumber(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().ToString(),
              std::string("INVALID_ARGUMENT: '") + bad + "' is not a number");
  }
  EXPECT_EQ(ParseNumber(std::string(100, '9') + "x").status().message(),
            "'" + std::string(64, '9') + "...' is not a number");
}

}  // namespace
}  // namespace ferry::table
