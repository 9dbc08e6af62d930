#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ferry/batch/checkpoint.h"
#include "ferry/batch/chunk_parser.h"
#include "ferry/batch/chunk_reader.h"

namespace ferry::batch {
namespace {

std::filesystem::path WriteTemp(const std::string& name, const std::string& text) {
  std::filesystem::path p = std::filesystem::temp_directory_path() /
                            ("ferry-batch-test-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

TEST(ChunkReaderTest, ChunksEndAtRecordStartsAndCoverTheData) {
  std::string body;
  for (int i = 0; i < 500; ++i) {
    body += "k" + std::to_string(i) + ",\"multi\nline " + std::to_string(i) + "\"," +
            std::to_string(i) + "\n";
  }
  auto path = WriteTemp("chunks.csv", "\xEF\xBB\xBFid,note,x\n" + body);
  Result<std::unique_ptr<ByteSource>> src = ByteSource::Open(path.string());
  ASSERT_TRUE(src.ok());
  Result<CsvHeader> h = ReadCsvHeader(**src, 1 << 20);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->columns, (std::vector<std::string>{"id", "note", "x"}));
  EXPECT_EQ(h->data_begin, 3u + 10u);
  ChunkReaderOptions o;
  o.chunk_bytes = 100;  // far smaller than the data: many chunks
  ChunkReader reader(**src, o, h->carry);
  std::string joined;
  Chunk c;
  uint64_t expect_seq = 0;
  while (true) {
    Result<bool> more = reader.Next(&c);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    EXPECT_EQ(c.seq, expect_seq++);
    EXPECT_EQ(c.begin, h->data_begin + joined.size());
    std::string_view text(c.data(), c.size);
    EXPECT_EQ(text.substr(0, 1), "k");  // starts at a record
    EXPECT_EQ(text.back(), '\n');
    joined += text;
  }
  EXPECT_EQ(joined, body);
  std::filesystem::remove(path);
}

TEST(ChunkReaderTest, AlignsOffsetsToLineStarts) {
  auto path = WriteTemp("align.csv", "h\naaa\nbb\nc\n");
  Result<std::unique_ptr<ByteSource>> src = ByteSource::Open(path.string());
  ASSERT_TRUE(src.ok());
  auto align = [&](uint64_t at) { return *AlignToLineStart(**src, at, 2); };
  EXPECT_EQ(align(0), 2u);
  EXPECT_EQ(align(3), 6u);
  EXPECT_EQ(align(6), 6u);
  EXPECT_EQ(align(11), 11u);
  EXPECT_EQ(*CountLineBreaks(**src, 0, 6), 2);
  std::filesystem::remove(path);
}

TEST(CsvChunkParserTest, ParsesRowsAndReportsBadOnes) {
  predict::RowLayout layout;
  layout.features = {"a", "b"};
  layout.num_features = 2;
  layout.key_column = "id";
  Result<InputBinding> b = BindCsv("in.csv", {"b", "id", "a"}, layout);
  ASSERT_TRUE(b.ok()) << b.status().message();
  b->stop_at_first_error = false;
  std::string text =
      "2.5,x,1e-3\n"
      ",y, NA \n"
      "1,z\n"
      "abc,w,1\n"
      "3,,1\n"
      "\"4\",\"q\"\"\",-0.5\n";
  Chunk c;
  c.Reserve(text.size(), 0);
  std::memcpy(c.buffer.get(), text.data(), text.size());
  c.size = text.size();
  auto parser = NewCsvChunkParser(*b);
  ParsedChunk out;
  ASSERT_TRUE(parser->Parse(c, &out).ok());
  ASSERT_EQ(out.rows, 3);
  EXPECT_FLOAT_EQ(out.features[0], 1e-3f);
  EXPECT_FLOAT_EQ(out.features[1], 2.5f);
  EXPECT_TRUE(std::isnan(out.features[2]) && std::isnan(out.features[3]));
  EXPECT_FLOAT_EQ(out.features[4], -0.5f);
  EXPECT_FLOAT_EQ(out.features[5], 4.0f);
  EXPECT_EQ(out.Text(c, out.cells[0]), "x");
  EXPECT_EQ(out.Text(c, out.cells[2]), "q\"");
  ASSERT_EQ(out.errors.size(), 3u);
  EXPECT_EQ(out.errors[0].line, 2);
  EXPECT_EQ(out.errors[0].reason, "expected 3 fields, got 2");
  EXPECT_EQ(out.errors[1].line, 3);
  EXPECT_EQ(out.errors[1].reason, "column 'b': 'abc' is not a number");
  EXPECT_EQ(out.errors[2].reason, "empty key in column 'id'");
  EXPECT_EQ(out.line_breaks, 6);
}

TEST(CsvChunkParserTest, FastDecimalsMatchFromChars) {
  predict::RowLayout layout;
  layout.num_features = 1;
  Result<InputBinding> b = BindCsv("in.csv", {"v"}, layout);
  ASSERT_TRUE(b.ok());
  std::vector<std::string> values = {
      "0.1",         "-0",    "123456789012345678", "1.17549435e-38", "3.4e38", "9.999999e22",
      "0.000001234", "1e-22", "7.00000001",         "16777217",       ".5",     "2."};
  std::string text;
  for (const auto& v : values) text += v + "\n";
  Chunk c;
  c.Reserve(text.size(), 0);
  std::memcpy(c.buffer.get(), text.data(), text.size());
  c.size = text.size();
  ParsedChunk out;
  ASSERT_TRUE(NewCsvChunkParser(*b)->Parse(c, &out).ok());
  ASSERT_EQ(out.rows, static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(out.features[i], static_cast<float>(std::stod(values[i]))) << values[i];
  }
}

TEST(CheckpointTest, RoundTrips) {
  auto path = WriteTemp("cp.json", "");
  Checkpoint cp;
  cp.job = "{\"bundle\":\"sha256:x\"}";
  cp.input = {123, 456, "abc"};
  cp.next_offset = 789;
  cp.lines_done = 10;
  cp.output_bytes = 11;
  cp.errors_bytes = 12;
  cp.rows_scored = 13;
  cp.rows_skipped = 14;
  ASSERT_TRUE(WriteCheckpoint(path, cp).ok());
  Result<Checkpoint> back = ReadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->job, cp.job);
  EXPECT_EQ(back->input, cp.input);
  EXPECT_EQ(back->next_offset, 789u);
  EXPECT_EQ(back->rows_skipped, 14);
  std::ofstream(path) << "{\"format\":\"other\"}";
  EXPECT_NE(ReadCheckpoint(path).status().message().find("not a Ferry checkpoint"),
            std::string::npos);
  std::filesystem::remove(path);
  EXPECT_EQ(ReadCheckpoint(path).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry::batch
