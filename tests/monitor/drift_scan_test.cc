#include "ferry/monitor/drift_scan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;

// x and y numeric, city categorical, z numeric (absent from most files).
bundle::Baseline MakeBaseline() {
  bundle::Baseline b;
  b.rows = 100;
  bundle::NumericProfile x;
  x.count = 100;
  x.cut_points = {-1, 0, 0.5, 1, 2};
  x.bin_counts = {20, 20, 20, 20, 20};
  b.features.push_back({"x", x});
  bundle::NumericProfile y;
  y.count = 100;
  y.cut_points = {10, 20, 30};
  y.bin_counts = {30, 30, 40};
  b.features.push_back({"y", y});
  bundle::CategoricalProfile city;
  city.count = 100;
  city.categories = {{"lyon", 60}, {"paris", 40}};
  b.features.push_back({"city", city});
  bundle::NumericProfile z;
  z.count = 100;
  z.cut_points = {1, 2};
  z.bin_counts = {50, 50};
  b.features.push_back({"z", z});
  return b;
}

// Every count of every feature, then rows and invalid.
std::vector<int64_t> Flatten(const DriftScan& s) {
  std::vector<int64_t> out = {s.rows, s.invalid};
  const DriftReference& ref = s.counts.reference();
  for (size_t f = 0; f < ref.features.size(); ++f) {
    const int64_t* c = s.counts.counts(f);
    out.insert(out.end(), c, c + ref.features[f].bins() + 1);
  }
  return out;
}

class DriftScanTest : public ::testing::Test {
 protected:
  DriftScanTest() : ref_(MakeDriftReference(MakeBaseline())) {}

  std::string Write(const std::string& content, const std::string& name = "data.csv") {
    WriteTextFile(dir_ / name, content);
    return (dir_ / name).string();
  }

  Result<DriftScan> Sequential(const std::string& path) {
    DriftScanOptions o;
    o.sequential = true;
    return ScanCsvForDrift(ref_, path, o);
  }
  Result<DriftScan> Parallel(const std::string& path, int threads) {
    DriftScanOptions o;
    o.threads = threads;
    o.min_bytes_per_thread = 1;  // split even a tiny file
    return ScanCsvForDrift(ref_, path, o);
  }

  // The parallel scan with 1..8 threads gives the sequential scan's counts (or error), through
  // `want` path.
  void ExpectSameAsSequential(const std::string& path, DriftScanPath want) {
    Result<DriftScan> seq = Sequential(path);
    for (int threads = 1; threads <= 8; ++threads) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      Result<DriftScan> par = Parallel(path, threads);
      ASSERT_EQ(par.ok(), seq.ok()) << (par.ok() ? seq.status() : par.status()).ToString();
      if (!seq.ok()) {
        EXPECT_EQ(par.status().code(), seq.status().code());
        EXPECT_EQ(par.status().message(), seq.status().message());
        continue;
      }
      EXPECT_EQ(Flatten(*par), Flatten(*seq));
      EXPECT_EQ(par->absent, seq->absent);
      EXPECT_EQ(par->path, want);
    }
  }

  TempDir dir_;
  DriftReference ref_;
};

TEST_F(DriftScanTest, CountsLikeTheSequentialReader) {
  // Columns in another order, an extra one, z absent.
  std::string path = Write(
      "y,city,extra,x\n"
      "15,paris,a,-2\n"
      "35,lyon,b,0.25\n"
      "25,rome,c,1e0\n"
      "5,,d,NA\n");
  Result<DriftScan> s = Parallel(path, 2);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->path, DriftScanPath::kParallel);
  EXPECT_EQ(s->rows, 4);
  EXPECT_EQ(s->invalid, 0);
  EXPECT_EQ(s->absent, std::vector<std::string>{"z"});
  const int64_t* x = s->counts.counts(0);  // bins (-inf,-1] (-1,0] (0,.5] (.5,1] (1,inf), missing
  EXPECT_EQ(std::vector<int64_t>(x, x + 6), (std::vector<int64_t>{1, 0, 1, 1, 0, 1}));
  const int64_t* y = s->counts.counts(1);
  EXPECT_EQ(std::vector<int64_t>(y, y + 4), (std::vector<int64_t>{1, 1, 2, 0}));  // 5 | 15 | 25 35
  const int64_t* city = s->counts.counts(2);  // lyon, paris, unseen, missing
  EXPECT_EQ(std::vector<int64_t>(city, city + 4), (std::vector<int64_t>{1, 1, 1, 1}));
  ExpectSameAsSequential(path, DriftScanPath::kParallel);
}

TEST_F(DriftScanTest, TrickyCellsAndLines) {
  std::string path = Write(
      "\xEF\xBB\xBF\n\r\nx,y,city,z\r\n"
      "1.5,20,lyon,1\r\n"
      "\r\n"
      "\n"
      "NA,,paris,nan\n"
      " 0.5 ,+12,5'10\" x,-0\n"  // a '"' inside an unquoted field is data, read sequentially
      "inf,-inf,lyon,NaN\n");
  ExpectSameAsSequential(path, DriftScanPath::kSequential);

  path = Write(
      "\xEF\xBB\xBF\n\r\nx,y,city,z\r\n"
      "1.5,20,lyon,1\r\n"
      "\r\n"
      "\n"
      "NA,,paris,nan\n"
      " 0.5 ,+12,  lyon ,-0\n"
      "inf,-inf,lyon,NaN\n"
      "abc,12abc,NA,1e400\n"
      "0.12345678901234567890123,1e-400,x\r,-1e-5\n"
      "1\r,2,3,4\n"
      "0x10,1e23,ok,.5\n"
      "-,1.,é,-.5\n"
      "1,2,3,4");  // no line end at the end
  ExpectSameAsSequential(path, DriftScanPath::kParallel);
  Result<DriftScan> s = Sequential(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->rows, 10);
  EXPECT_EQ(s->invalid, 5);  // abc, 12abc, "1\r", 0x10, "-" (1e400 is +inf: missing)
}

TEST_F(DriftScanTest, LongerFileAcrossBlocksAndThreads) {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.3, 1.2);
  std::uniform_int_distribution<int> pick(0, 99);
  std::string data = "z,x,city,y,other\n";
  char buf[64];
  for (int i = 0; i < 40000; ++i) {
    for (int c = 0; c < 5; ++c) {
      int k = pick(rng);
      if (c == 2) {
        data += k < 45 ? "lyon" : k < 90 ? "paris" : k < 95 ? "" : "nice";
      } else if (k == 0) {
        data += "NA";
      } else if (k == 1) {
        data += "oops";
      } else if (k == 2) {
        data += "";
      } else {
        std::snprintf(buf, sizeof buf, k < 50 ? "%.6g" : "%.17g", normal(rng) * (c + 1));
        data += buf;
      }
      data += c < 4 ? "," : i % 7 == 0 ? "\r\n" : "\n";
    }
    if (i % 1000 == 0) data += "\n";
  }
  ASSERT_GT(data.size(), size_t{1} << 20);  // several 256 KiB blocks per range
  std::string path = Write(data);
  ExpectSameAsSequential(path, DriftScanPath::kParallel);
  Result<DriftScan> s = Parallel(path, 3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rows, 40000);
  EXPECT_GT(s->invalid, 0);
}

TEST_F(DriftScanTest, ValuesAtAndAroundAwkwardCutsBinExactly) {
  // Cuts that are no short decimals, and decimals of every scale right at and around them: the
  // parallel scan bins plain decimals without dividing (thresholds per scale), which must agree
  // with comparing the parsed doubles.
  bundle::Baseline b;
  b.rows = 10;
  bundle::NumericProfile w;
  w.count = 10;
  w.cut_points = {-1.0 / 3, -0.1, 0.1, 0.1 + 0.2, 1.0 / 3, 2.5, 7, 1e6};
  w.bin_counts.assign(w.cut_points.size(), 1);
  b.features.push_back({"w", w});
  DriftReference ref = MakeDriftReference(b);
  std::string data = "w\n";
  char buf[64];
  for (double cut : w.cut_points) {
    for (int digits = 1; digits <= 17; ++digits) {
      for (double v : {cut, std::nextafter(cut, -1e9), std::nextafter(cut, 1e9), -cut}) {
        std::snprintf(buf, sizeof buf, "%.*g\n", digits, v);
        data += buf;
        std::snprintf(buf, sizeof buf, "%.*f\n", digits, v);
        data += buf;
      }
    }
  }
  data += "0\n-0\n0.0\n-0.00000000\n1e6\n1000000\n1000000.0000001\n0.30000000000000004\n";
  std::string path = Write(data);
  DriftScanOptions seq;
  seq.sequential = true;
  Result<DriftScan> want = ScanCsvForDrift(ref, path, seq);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  for (int threads : {1, 3}) {
    DriftScanOptions par;
    par.threads = threads;
    par.min_bytes_per_thread = 1;
    Result<DriftScan> got = ScanCsvForDrift(ref, path, par);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->path, DriftScanPath::kParallel);
    EXPECT_EQ(Flatten(*got), Flatten(*want));
  }
}

TEST_F(DriftScanTest, QuotedFieldFallsBackToTheGeneralReader) {
  std::string path = Write(
      "x,city,y\n"
      "1,lyon,2\n"
      "2,\"paris\",3\n"
      "3,\"a,\"\"b\"\"\nc\",4\n");
  ExpectSameAsSequential(path, DriftScanPath::kSequential);
  Result<DriftScan> s = Parallel(path, 4);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rows, 3);
  const int64_t* city = s->counts.counts(2);
  EXPECT_EQ(std::vector<int64_t>(city, city + 4), (std::vector<int64_t>{1, 1, 1, 0}));
}

TEST_F(DriftScanTest, WrongFieldCountNamesTheSameLine) {
  std::string rows;
  for (int i = 0; i < 300; ++i) rows += std::to_string(i) + ",1\n" + (i % 10 == 0 ? "\n" : "");
  const std::vector<std::pair<std::string, int>> bad_lines = {
      {"5\n", 1}, {"5,6,7,8\n", 4}, {"5,6,\r\n", 3}, {",,\n", 3}};
  for (const auto& [bad, got] : bad_lines) {
    SCOPED_TRACE(bad);
    std::string path = Write("x,y\n" + rows + bad + rows + "1,2,3\n");
    ExpectSameAsSequential(path, DriftScanPath::kParallel);
    Result<DriftScan> s = Parallel(path, 3);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().message(),
              path + ":332: expected 2 fields, got " + std::to_string(got));  // 1 + 300 + 30 + 1
  }
  // At the very end, without a line end.
  std::string path = Write("x,y\n" + rows + "1,2,3");
  ExpectSameAsSequential(path, DriftScanPath::kParallel);
}

TEST_F(DriftScanTest, InvalidUtf8IsTheGeneralReadersError) {
  std::string path = Write("x,city\n1,lyon\n2,\xC3\x28\n3,paris\n");
  ExpectSameAsSequential(path, DriftScanPath::kParallel);
  Result<DriftScan> s = Parallel(path, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), path + ":3: invalid UTF-8");
}

TEST_F(DriftScanTest, HeaderOnlyAndEmptyFiles) {
  for (const char* content : {"x,y\n", "x,y", "x,y\r\n\r\n\n"}) {
    std::string path = Write(content);
    Result<DriftScan> s = Parallel(path, 4);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->rows, 0);
    ExpectSameAsSequential(path, s->path);
  }
  std::string path = Write("");
  Result<DriftScan> s = Parallel(path, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), path + ": empty file, expected a header line");
}

TEST_F(DriftScanTest, NoBaselineFeatureIsAnError) {
  std::string path = Write("a,b\n1,2\n");
  Result<DriftScan> s = Parallel(path, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            path + ": none of the baseline's features is a column of the file");
  EXPECT_FALSE(ScanCsvForDrift(ref_, (dir_ / "missing.csv").string()).ok());
}

TEST_F(DriftScanTest, CompressedInputTakesTheGeneralPath) {
  std::string plain = Write("x,y,city\n1,2,lyon\n-3,40,paris\nNA,25,x\n", "plain.csv");
  std::string packed = (dir_ / "packed.csv.gz").string();
  std::string command = "gzip -c '" + plain + "' > '" + packed + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  Result<DriftScan> want = Parallel(plain, 2);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(want->path, DriftScanPath::kParallel);
  Result<DriftScan> got = Parallel(packed, 2);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->path, DriftScanPath::kSequential);
  EXPECT_EQ(Flatten(*got), Flatten(*want));
}

}  // namespace
}  // namespace ferry::monitor
