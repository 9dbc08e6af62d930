// CreateBundle's prediction profile (baseline.json "prediction"), on the breast-cancer example.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/bundle/baseline.h"
#include "ferry/bundle/create.h"
#include "ferry/bundle/prediction_profile.h"
#include "ferry/table/csv_reader.h"
#include "ferry/table/number.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::SourceDir;
using ::ferry::testing::TempDir;

fs::path ExampleDir() { return SourceDir() / "examples/breast-cancer"; }

CreateOptions ExampleOptions(const fs::path& out, const fs::path& csv) {
  CreateOptions o;
  o.model_file = ExampleDir() / "model.json";
  o.output_dir = out;
  o.name = "breast-cancer";
  o.baseline_csv = csv;
  o.label_column = "target";
  return o;
}

Baseline ReadBaseline(const Bundle& b) {
  Result<std::string> text = ReadFile(b.BaselinePath(), size_t{1} << 26);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  Result<Baseline> parsed = ParseBaselineJson(text.ok() ? *text : "", "baseline.json");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : Baseline{};
}

// The model's probabilities for every row of `csv`, one Run per row (no blocks), with the
// features taken by name and anything that is not a finite number as NaN.
std::vector<double> RowByRowPredictions(const Bundle& b, const fs::path& csv) {
  auto model = LoadModel(b);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  auto session = (*model)->NewSession();
  EXPECT_TRUE(session.ok());
  auto reader = table::CsvReader::Open(csv.string());
  EXPECT_TRUE(reader.ok());
  std::vector<int64_t> columns;
  for (const std::string& name : b.manifest.signature.inputs[0].features) {
    columns.push_back((*reader)->ColumnIndex(name));
  }
  std::vector<double> out;
  std::vector<std::string_view> fields;
  std::vector<float> row(columns.size());
  while (true) {
    auto more = (*reader)->Next(&fields);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    for (size_t i = 0; i < columns.size(); ++i) {
      Result<double> x = table::ParseNumber(fields[static_cast<size_t>(columns[i])]);
      row[i] = x.ok() && std::isfinite(*x) ? static_cast<float>(*x) : std::nanf("");
    }
    TensorView input(DataType::kFp32, Shape{1, static_cast<int64_t>(row.size())}, row.data());
    auto result = (*session)->Run(std::span<const TensorView>(&input, 1));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) break;
    out.push_back((*result)[0].Data<float>()[0]);
  }
  return out;
}

TEST(CreatePredictionProfileTest, ProfilesTheModelsProbabilities) {
  TempDir dir;
  const fs::path csv = ExampleDir() / "data.csv";
  auto b = CreateBundle(ExampleOptions(dir / "b", csv));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Baseline baseline = ReadBaseline(*b);
  EXPECT_EQ(baseline.rows, 569);
  ASSERT_TRUE(baseline.prediction.has_value());
  EXPECT_EQ(baseline.prediction->output, "probability");
  const NumericProfile& p = baseline.prediction->stats;
  EXPECT_EQ(p.count, baseline.rows);
  EXPECT_EQ(p.missing, 0);
  EXPECT_GE(p.min, 0);
  EXPECT_LE(p.max, 1);
  EXPECT_EQ(p.cut_points.size(), 10u);

  // The same numbers as scoring one row at a time and profiling the values.
  NumericProfile expected = ProfileNumbers(RowByRowPredictions(*b, csv));
  EXPECT_EQ(p.count, expected.count);
  EXPECT_EQ(p.min, expected.min);
  EXPECT_EQ(p.max, expected.max);
  EXPECT_EQ(p.mean, expected.mean);
  EXPECT_EQ(p.std, expected.std);
  EXPECT_EQ(p.cut_points, expected.cut_points);
  EXPECT_EQ(p.bin_counts, expected.bin_counts);
  // The label column is profiled as a feature; the prediction is not among the features.
  for (const FeatureProfile& f : baseline.features) EXPECT_NE(f.name, "probability");
}

TEST(CreatePredictionProfileTest, MissingAndNonNumericCellsAreMissingFeatures) {
  TempDir dir;
  // The example's first rows with holes: an empty cell, "NA", a word and "inf" in features.
  Result<std::string> text = ReadFile(ExampleDir() / "data.csv", size_t{1} << 26);
  ASSERT_TRUE(text.ok());
  std::vector<std::string> lines;
  size_t start = 0;
  while (lines.size() < 40 && start < text->size()) {
    size_t end = text->find('\n', start);
    lines.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  auto blank_field = [](std::string& line, size_t field, const std::string& with) {
    size_t at = 0;
    for (size_t i = 0; i < field; ++i) at = line.find(',', at) + 1;
    size_t end = line.find(',', at);
    line.replace(at, end - at, with);
  };
  blank_field(lines[1], 1, "");
  blank_field(lines[2], 5, "NA");
  blank_field(lines[3], 7, "abc");
  blank_field(lines[4], 30, "inf");
  std::string csv_text;
  for (const std::string& l : lines) csv_text += l + "\n";
  const fs::path csv = dir / "holes.csv";
  ::ferry::testing::WriteTextFile(csv, csv_text);

  auto b = CreateBundle(ExampleOptions(dir / "b", csv));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Baseline baseline = ReadBaseline(*b);
  ASSERT_TRUE(baseline.prediction.has_value());
  EXPECT_EQ(baseline.prediction->stats.count, 39);
  NumericProfile expected = ProfileNumbers(RowByRowPredictions(*b, csv));
  EXPECT_EQ(baseline.prediction->stats.cut_points, expected.cut_points);
  EXPECT_EQ(baseline.prediction->stats.bin_counts, expected.bin_counts);
  EXPECT_EQ(baseline.prediction->stats.mean, expected.mean);
}

TEST(CreatePredictionProfileTest, SameInputsGiveTheSameBytes) {
  TempDir dir;
  const fs::path csv = ExampleDir() / "data.csv";
  auto a = CreateBundle(ExampleOptions(dir / "a", csv));
  auto b = CreateBundle(ExampleOptions(dir / "b", csv));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*ReadFile(a->BaselinePath(), size_t{1} << 26),
            *ReadFile(b->BaselinePath(), size_t{1} << 26));
  EXPECT_EQ(*ComputeDigest(a->root), *ComputeDigest(b->root));
}

TEST(CreatePredictionProfileTest, WithoutABaselineThereIsNone) {
  TempDir dir;
  CreateOptions o = ExampleOptions(dir / "b", "");
  o.label_column.clear();
  auto b = CreateBundle(o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->manifest.baseline.empty());
  EXPECT_FALSE(fs::exists(b->root / "baseline.json"));
}

TEST(CreatePredictionProfileTest, Errors) {
  TempDir dir;
  auto stdin_csv = CreateBundle(ExampleOptions(dir / "b", "-"));
  ASSERT_FALSE(stdin_csv.ok());
  EXPECT_EQ(stdin_csv.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stdin_csv.status().message(),
            "the baseline CSV must be a file, not stdin (it is read twice)");
  EXPECT_FALSE(fs::exists(dir / "b"));

  // ProfilePredictions on a file without the model's columns.
  auto good = CreateBundle(ExampleOptions(dir / "good", ExampleDir() / "data.csv"));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  auto model = LoadModel(*good);
  ASSERT_TRUE(model.ok());
  ::ferry::testing::WriteTextFile(dir / "other.csv", "a,b\n1,2\n");
  auto missing = ProfilePredictions(**model, (dir / "other.csv").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no column named 'mean_radius'"), std::string::npos)
      << missing.status().message();
}

}  // namespace
}  // namespace ferry::bundle
