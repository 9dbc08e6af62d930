#include "ferry/batch/csv_record.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::batch {
namespace {

TEST(LastRecordEndTest, FindsLastLineEndWithoutQuotes) {
  std::string s = "a,b\n1,2\n3,";
  EXPECT_EQ(LastRecordEnd(s.data(), s.size()), 8u);
  EXPECT_EQ(LastRecordEnd(s.data(), 3), 0u);
}

TEST(LastRecordEndTest, SkipsLineBreaksInsideQuotes) {
  std::string s = "1,\"x\ny\"\n2,\"a\n";
  EXPECT_EQ(LastRecordEnd(s.data(), s.size()), 8u);
  EXPECT_EQ(FirstRecordEnd(s.data(), s.size()), 8u);
  // A quote inside an unquoted field is data and does not open a quoted section.
  std::string t = "5'10\",x\n6,y\n";
  EXPECT_EQ(FirstRecordEnd(t.data(), t.size()), 8u);
  EXPECT_EQ(LastRecordEnd(t.data(), t.size()), t.size());
  // "" inside a quoted field is an escaped quote.
  std::string u = "\"a\"\"\nb\",1\n";
  EXPECT_EQ(FirstRecordEnd(u.data(), u.size()), u.size());
}

TEST(CsvRecordSplitterTest, SplitsPlainAndQuotedFields) {
  CsvRecordSplitter sp;
  std::string s = "1,,3\r\n\"a,b\",\"c\"\"d\",\"e\nf\"\n\r\nlast";
  size_t next = 0;
  int64_t breaks = 0;
  ASSERT_EQ(sp.Split(s.data(), s.size(), 0, &next, &breaks), CsvRecordSplitter::Outcome::kRecord);
  EXPECT_EQ(sp.fields(), (std::vector<std::string_view>{"1", "", "3"}));
  EXPECT_EQ(breaks, 1);
  ASSERT_EQ(sp.Split(s.data(), s.size(), next, &next, &breaks),
            CsvRecordSplitter::Outcome::kRecord);
  EXPECT_EQ(sp.fields(), (std::vector<std::string_view>{"a,b", "c\"d", "e\nf"}));
  EXPECT_EQ(breaks, 2);
  EXPECT_TRUE(sp.quoted_line_break());
  EXPECT_EQ(sp.Split(s.data(), s.size(), next, &next, &breaks), CsvRecordSplitter::Outcome::kBlank);
  ASSERT_EQ(sp.Split(s.data(), s.size(), next, &next, &breaks),
            CsvRecordSplitter::Outcome::kRecord);
  EXPECT_EQ(sp.fields(), (std::vector<std::string_view>{"last"}));
  EXPECT_EQ(next, s.size());
  EXPECT_EQ(breaks, 0);
}

TEST(CsvRecordSplitterTest, ReportsBrokenQuotes) {
  CsvRecordSplitter sp;
  size_t next = 0;
  int64_t breaks = 0;
  std::string open = "1,\"abc\n";
  EXPECT_EQ(sp.Split(open.data(), open.size(), 0, &next, &breaks),
            CsvRecordSplitter::Outcome::kUnterminatedQuote);
  std::string junk = "\"a\"b,1\n";
  EXPECT_EQ(sp.Split(junk.data(), junk.size(), 0, &next, &breaks),
            CsvRecordSplitter::Outcome::kJunkAfterQuote);
}

}  // namespace
}  // namespace ferry::batch
