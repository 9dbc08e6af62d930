// The CSV chunk parser's fused fast path (chunks without quotes) must give exactly what its
// general path gives: same rows, values, echoed cells, errors and line counts.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ferry/batch/chunk_parser.h"
#include "ferry/batch/chunk_reader.h"

namespace ferry::batch {
namespace {

struct Parsed {
  ParsedChunk out;
  Chunk chunk;
};

void Parse(const InputBinding& b, const std::string& text, Parsed* p) {
  p->chunk.Reserve(text.size(), 0);
  std::memcpy(p->chunk.buffer.get(), text.data(), text.size());
  p->chunk.size = text.size();
  ASSERT_TRUE(NewCsvChunkParser(b)->Parse(p->chunk, &p->out).ok());
}

TEST(CsvFastPathTest, MatchesTheGeneralPathOnAwkwardInput) {
  predict::RowLayout layout;
  layout.features = {"a", "b"};
  layout.num_features = 2;
  layout.key_column = "id";
  layout.keep = {"note"};
  Result<InputBinding> b = BindCsv("in.csv", {"id", "a", "note", "b"}, layout);
  ASSERT_TRUE(b.ok()) << b.status().message();
  b->stop_at_first_error = false;
  const std::string text =
      "k1,1.5,hello,-2\n"
      "k2,,x,3e5\r\n"
      "k3,NA,y, 7 \n"
      "k4,+5,z,inf\n"
      "\n"
      "\r\n"
      "k5,1.5\r,w,2\n"
      ",1,w,2\n"
      "k6,1,w\n"
      "k7,1,w,2,extra\n"
      "k8,12345678901234567890123,w,1e400\n"
      "k9,0.1,mid\r,1\r\n"
      "k10,-0.000123456,end,4\r\n"
      "k11,1e5x,w,2\n"
      "k12,7,note,2.5e-3";
  Parsed fast, general;
  Parse(*b, text, &fast);
  // A leading quoted record sends the whole chunk down the general path.
  Parse(*b, "\"k0\",0,q,0\n" + text, &general);

  ASSERT_EQ(fast.out.rows + 1, general.out.rows);
  EXPECT_EQ(fast.out.rows, 8);
  const size_t nf = 2, cells = 2;
  EXPECT_EQ(std::memcmp(fast.out.features.data(), general.out.features.data() + nf,
                        fast.out.features.size() * sizeof(float)),
            0);
  EXPECT_EQ(fast.out.features.size(), static_cast<size_t>(fast.out.rows) * nf);
  for (size_t i = 0; i < fast.out.cells.size(); ++i) {
    EXPECT_EQ(fast.out.Text(fast.chunk, fast.out.cells[i]),
              general.out.Text(general.chunk, general.out.cells[i + cells]))
        << i;
  }
  ASSERT_EQ(fast.out.errors.size(), general.out.errors.size());
  EXPECT_EQ(fast.out.errors.size(), 5u);
  for (size_t i = 0; i < fast.out.errors.size(); ++i) {
    EXPECT_EQ(fast.out.errors[i].line + 1, general.out.errors[i].line);
    EXPECT_EQ(fast.out.errors[i].reason, general.out.errors[i].reason);
  }
  EXPECT_EQ(fast.out.line_breaks + 1, general.out.line_breaks);
  EXPECT_EQ(fast.out.Text(fast.chunk, fast.out.cells[1]), "hello");
  EXPECT_EQ(fast.out.Text(fast.chunk, fast.out.cells[13]), "end");
  EXPECT_EQ(fast.out.errors[0].reason, "column 'a': '1.5\r' is not a number");
}

}  // namespace
}  // namespace ferry::batch
