#include "ferry/bundle/baseline.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <unordered_map>

#include "ferry/base/json_writer.h"
#include "ferry/table/csv_reader.h"
#include "ferry/table/number.h"

namespace ferry::bundle {
namespace {

constexpr std::string_view kFormat = "ferry.baseline/v1";
constexpr int kQuantiles = 10;              // cut points at 0.1, 0.2, ..., 1.0
constexpr size_t kTrackedPerCategory = 10;  // distinct values counted exactly per kept category

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// What one pass over the CSV learns about one column.
class ColumnState {
 public:
  ColumnState(size_t csv_index, size_t tracked_limit)
      : csv_index_(csv_index), tracked_limit_(tracked_limit) {}

  size_t csv_index() const { return csv_index_; }
  bool numeric() const { return numeric_; }
  int64_t missing_spellings() const { return missing_spellings_; }
  std::vector<double>& finite() { return finite_; }

  void Add(std::string_view cell) {
    if (table::IsMissingValue(cell)) {
      ++missing_spellings_;
      return;
    }
    if (numeric_) {
      Result<double> number = table::ParseNumber(cell);
      if (number.ok()) {
        if (std::isfinite(*number)) {
          finite_.push_back(*number);
        } else {
          ++non_finite_;
        }
        // Spellings are counted too (a later non-number makes the column categorical), until
        // there are too many of them for a plausible categorical column.
        if (!spellings_dropped_ && !Count(cell, /*may_drop=*/true)) {
          spellings_dropped_ = true;
          Counts().swap(counts_);
          untracked_ = 0;
        }
        return;
      }
      BecomeCategorical();
    }
    Count(cell, /*may_drop=*/false);
  }

  // Value -> occurrences (bounded), and the occurrences left out.
  const auto& counts() const { return counts_; }
  int64_t untracked() const { return untracked_; }

 private:
  using Counts = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

  // Counts one occurrence of `value`. When `counts_` is full and `value` is new: returns false
  // if may_drop, else counts it in untracked_.
  bool Count(std::string_view value, bool may_drop) {
    auto it = counts_.find(value);
    if (it != counts_.end()) {
      ++it->second;
    } else if (counts_.size() < tracked_limit_) {
      counts_.emplace(std::string(value), 1);
    } else if (may_drop) {
      return false;
    } else {
      ++untracked_;
    }
    return true;
  }

  void BecomeCategorical() {
    numeric_ = false;
    if (spellings_dropped_) {
      // Rebuild the counts of the numbers seen so far from their values, in their order, under
      // the shortest spelling that reads back the same ("1.50" counts as "1.5"). The non-finite
      // ones are not kept and go to untracked.
      for (double x : finite_) {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
        Count(std::string_view(buf, static_cast<size_t>(end - buf)), /*may_drop=*/false);
      }
      untracked_ += non_finite_;
    }
    std::vector<double>().swap(finite_);
  }

  size_t csv_index_;
  size_t tracked_limit_;
  bool numeric_ = true;  // every non-missing value so far parsed as a number
  int64_t missing_spellings_ = 0;
  std::vector<double> finite_;  // finite values, while numeric
  int64_t non_finite_ = 0;      // +-inf and "-nan" values, while numeric
  bool spellings_dropped_ = false;
  Counts counts_;
  int64_t untracked_ = 0;
};

// Sum with Neumaier's compensation (close to numpy's pairwise summation on large inputs).
class CompensatedSum {
 public:
  void Add(double x) {
    double t = sum_ + x;
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

// numpy.quantile(sorted, q) with method="linear" (numpy >= 1.22 arithmetic, including its
// choice of lerp formula by the fraction).
double LinearQuantile(const std::vector<double>& sorted, double q) {
  const size_t n = sorted.size();
  const double h = static_cast<double>(n - 1) * q;
  const double below = std::floor(h);
  const size_t i = std::min(static_cast<size_t>(below), n - 1);
  const size_t j = std::min(i + 1, n - 1);
  const double t = h - below;
  const double a = sorted[i];
  const double b = sorted[j];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// The profile of `rows` values of which `v` holds the finite ones (sorted here).
NumericProfile FinishNumeric(std::vector<double>& v, int64_t rows) {
  NumericProfile p;
  p.count = static_cast<int64_t>(v.size());
  p.missing = rows - p.count;
  if (v.empty()) {
    p.min = p.max = p.mean = p.std = std::numeric_limits<double>::quiet_NaN();
    return p;
  }
  std::sort(v.begin(), v.end());
  p.min = v.front();
  p.max = v.back();
  CompensatedSum sum;
  for (double x : v) sum.Add(x);
  p.mean = sum.value() / static_cast<double>(v.size());
  CompensatedSum squares;
  for (double x : v) squares.Add((x - p.mean) * (x - p.mean));
  p.std = std::sqrt(squares.value() / static_cast<double>(v.size()));

  for (int k = 1; k <= kQuantiles; ++k) {
    double cut = LinearQuantile(v, k / static_cast<double>(kQuantiles));
    if (p.cut_points.empty() || cut != p.cut_points.back()) p.cut_points.push_back(cut);
  }
  p.bin_counts.assign(p.cut_points.size(), 0);
  size_t bin = 0;
  for (double x : v) {  // ascending, so the bin only moves up
    while (bin + 1 < p.cut_points.size() && x > p.cut_points[bin]) ++bin;
    ++p.bin_counts[bin];
  }
  return p;
}

CategoricalProfile FinishCategorical(const ColumnState& col, int64_t rows, size_t max_categories) {
  CategoricalProfile p;
  p.missing = col.missing_spellings();
  p.count = rows - p.missing;
  std::vector<std::pair<std::string_view, int64_t>> ranked(col.counts().begin(),
                                                           col.counts().end());
  auto more_frequent = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t kept = std::min(max_categories, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(kept), ranked.end(),
                    more_frequent);
  int64_t other = col.untracked();
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (i < kept) {
      p.categories[std::string(ranked[i].first)] += ranked[i].second;
    } else {
      other += ranked[i].second;
    }
  }
  if (other > 0) p.categories[std::string(kOtherCategory)] += other;
  return p;
}

}  // namespace

Result<Baseline> ProfileCsv(std::string_view csv_path, const BaselineOptions& options) {
  if (options.max_categories == 0) return InvalidArgument("max_categories must be at least 1");
  table::CsvReaderOptions reader_options;
  reader_options.sha256 = true;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<table::CsvReader> reader,
                         table::CsvReader::Open(csv_path, reader_options));

  std::vector<std::string> names = options.columns;
  if (names.empty()) names = reader->header();
  const size_t tracked_limit =
      options.max_categories > std::numeric_limits<size_t>::max() / kTrackedPerCategory
          ? std::numeric_limits<size_t>::max()
          : options.max_categories * kTrackedPerCategory;
  std::vector<ColumnState> columns;
  columns.reserve(names.size());
  std::set<std::string_view> seen;
  for (const std::string& name : names) {
    int64_t index = reader->ColumnIndex(name);
    if (index < 0) return NotFound(reader->name() + ": no column named '" + name + "'");
    if (!seen.insert(name).second) return InvalidArgument("column '" + name + "' listed twice");
    columns.emplace_back(static_cast<size_t>(index), tracked_limit);
  }

  int64_t rows = 0;
  std::vector<std::string_view> fields;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(bool more, reader->Next(&fields));
    if (!more) break;
    ++rows;
    for (ColumnState& col : columns) col.Add(fields[col.csv_index()]);
  }

  Baseline baseline;
  baseline.rows = rows;
  FERRY_ASSIGN_OR_RETURN(baseline.source_digest, reader->SourceSha256Hex());
  baseline.features.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    FeatureProfile feature;
    feature.name = names[i];
    if (columns[i].numeric()) {
      feature.stats = FinishNumeric(columns[i].finite(), rows);
    } else {
      feature.stats = FinishCategorical(columns[i], rows, options.max_categories);
    }
    baseline.features.push_back(std::move(feature));
  }
  return baseline;
}

NumericProfile ProfileNumbers(std::vector<double> values) {
  const auto rows = static_cast<int64_t>(values.size());
  std::erase_if(values, [](double x) { return !std::isfinite(x); });
  return FinishNumeric(values, rows);
}

namespace {

// The figures of a numeric profile, after its "name"/"kind" or "output".
void WriteNumeric(JsonWriter& w, const NumericProfile& n) {
  w.Key("count").Int(n.count);
  w.Key("missing").Int(n.missing);
  w.Key("min").Double(n.min);
  w.Key("max").Double(n.max);
  w.Key("mean").Double(n.mean);
  w.Key("std").Double(n.std);
  w.Key("cut_points").BeginArray();
  for (double c : n.cut_points) w.Double(c);
  w.EndArray();
  w.Key("bin_counts").BeginArray();
  for (int64_t c : n.bin_counts) w.Int(c);
  w.EndArray();
}

}  // namespace

std::string BaselineToJson(const Baseline& baseline) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("format").String(kFormat);
  w.Key("rows").Int(baseline.rows);
  w.Key("source").BeginObject().Key("sha256").String(baseline.source_digest).EndObject();
  w.Key("features").BeginArray();
  for (const FeatureProfile& f : baseline.features) {
    w.BeginObject();
    w.Key("name").String(f.name);
    if (const auto* n = std::get_if<NumericProfile>(&f.stats)) {
      w.Key("kind").String("numeric");
      WriteNumeric(w, *n);
    } else {
      const auto& c = std::get<CategoricalProfile>(f.stats);
      w.Key("kind").String("categorical");
      w.Key("count").Int(c.count);
      w.Key("missing").Int(c.missing);
      w.Key("categories").BeginObject();
      for (const auto& [value, count] : c.categories) w.Key(value).Int(count);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  if (baseline.prediction) {
    w.Key("prediction").BeginObject();
    w.Key("output").String(baseline.prediction->output);
    WriteNumeric(w, baseline.prediction->stats);
    w.EndObject();
  }
  w.EndObject();
  return out;
}

namespace {

namespace dom = simdjson::dom;

// Reads the fields of a baseline document; every error names the file and the field.
class BaselineParser {
 public:
  explicit BaselineParser(std::string_view file) : file_(file) {}

  Status Fail(std::string_view field, std::string_view problem) const {
    return InvalidArgument(file_ + ": " + std::string(field) + ": " + std::string(problem));
  }

  Result<dom::element> Field(dom::object object, std::string_view key,
                             const std::string& path) const {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return Fail(path, "missing");
    return value;
  }

  Result<dom::object> Object(dom::element value, const std::string& path) const {
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
      return Fail(path, "expected an object");
    }
    return object;
  }

  Result<dom::array> Array(dom::element value, const std::string& path) const {
    dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) return Fail(path, "expected an array");
    return array;
  }

  Result<std::string_view> String(dom::element value, const std::string& path) const {
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) return Fail(path, "expected a string");
    return s;
  }

  Result<int64_t> Count(dom::element value, const std::string& path) const {
    int64_t n = 0;
    if (value.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
      return Fail(path, "expected a non-negative integer");
    }
    return n;
  }

  // A number; null gives NaN when allow_null.
  Result<double> Number(dom::element value, const std::string& path, bool allow_null) const {
    if (allow_null && value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    double x = 0;
    if (value.get_double().get(x) != simdjson::SUCCESS) return Fail(path, "expected a number");
    return x;
  }

  Result<NumericProfile> Numeric(dom::object object, const std::string& path, int64_t count) const {
    NumericProfile p;
    p.count = count;
    const bool allow_null = count == 0;
    double* stats[] = {&p.min, &p.max, &p.mean, &p.std};
    const char* keys[] = {"min", "max", "mean", "std"};
    for (size_t i = 0; i < 4; ++i) {
      std::string field = path + "." + keys[i];
      FERRY_ASSIGN_OR_RETURN(dom::element value, Field(object, keys[i], field));
      FERRY_ASSIGN_OR_RETURN(*stats[i], Number(value, field, allow_null));
    }
    if (count > 0 && !(p.min <= p.max)) return Fail(path + ".min", "greater than max");
    if (count > 0 && p.std < 0) return Fail(path + ".std", "negative");

    const std::string cuts_path = path + ".cut_points";
    FERRY_ASSIGN_OR_RETURN(dom::element cuts_value, Field(object, "cut_points", cuts_path));
    FERRY_ASSIGN_OR_RETURN(dom::array cuts, Array(cuts_value, cuts_path));
    for (dom::element cut : cuts) {
      std::string field = cuts_path + "[" + std::to_string(p.cut_points.size()) + "]";
      FERRY_ASSIGN_OR_RETURN(double x, Number(cut, field, false));
      if (!p.cut_points.empty() && !(x > p.cut_points.back())) {
        return Fail(field, "cut points must be strictly increasing");
      }
      p.cut_points.push_back(x);
    }
    if (p.cut_points.size() > static_cast<size_t>(kQuantiles)) {
      return Fail(cuts_path, std::to_string(p.cut_points.size()) + " entries, at most " +
                                 std::to_string(kQuantiles) + " allowed");
    }

    const std::string bins_path = path + ".bin_counts";
    FERRY_ASSIGN_OR_RETURN(dom::element bins_value, Field(object, "bin_counts", bins_path));
    FERRY_ASSIGN_OR_RETURN(dom::array bins, Array(bins_value, bins_path));
    int64_t total = 0;
    for (dom::element bin : bins) {
      std::string field = bins_path + "[" + std::to_string(p.bin_counts.size()) + "]";
      FERRY_ASSIGN_OR_RETURN(int64_t n, Count(bin, field));
      if (n > std::numeric_limits<int64_t>::max() - total) return Fail(field, "too large");
      total += n;
      p.bin_counts.push_back(n);
    }
    if (p.bin_counts.size() != p.cut_points.size()) {
      return Fail(bins_path, std::to_string(p.bin_counts.size()) + " entries, expected " +
                                 std::to_string(p.cut_points.size()) + " (one per cut point)");
    }
    if (total != count) {
      return Fail(bins_path,
                  "sum to " + std::to_string(total) + ", expected count " + std::to_string(count));
    }
    return p;
  }

  Result<CategoricalProfile> Categorical(dom::object object, const std::string& path,
                                         int64_t count) const {
    CategoricalProfile p;
    p.count = count;
    const std::string cats_path = path + ".categories";
    FERRY_ASSIGN_OR_RETURN(dom::element cats_value, Field(object, "categories", cats_path));
    FERRY_ASSIGN_OR_RETURN(dom::object cats, Object(cats_value, cats_path));
    int64_t total = 0;
    for (dom::key_value_pair entry : cats) {
      std::string field = cats_path + "[\"" + std::string(entry.key) + "\"]";
      FERRY_ASSIGN_OR_RETURN(int64_t n, Count(entry.value, field));
      if (n > std::numeric_limits<int64_t>::max() - total) return Fail(field, "too large");
      total += n;
      if (!p.categories.emplace(entry.key, n).second) return Fail(field, "duplicate category");
    }
    if (total != count) {
      return Fail(cats_path,
                  "sum to " + std::to_string(total) + ", expected count " + std::to_string(count));
    }
    return p;
  }

  // The "count" and "missing" of a profile; they must add up to `rows`.
  Result<std::pair<int64_t, int64_t>> CountAndMissing(dom::object object, const std::string& path,
                                                      int64_t rows) const {
    FERRY_ASSIGN_OR_RETURN(dom::element count_value, Field(object, "count", path + ".count"));
    FERRY_ASSIGN_OR_RETURN(int64_t count, Count(count_value, path + ".count"));
    FERRY_ASSIGN_OR_RETURN(dom::element missing_value, Field(object, "missing", path + ".missing"));
    FERRY_ASSIGN_OR_RETURN(int64_t missing, Count(missing_value, path + ".missing"));
    if (count > rows || missing != rows - count) {
      return Fail(path, "count (" + std::to_string(count) + ") + missing (" +
                            std::to_string(missing) + ") != rows (" + std::to_string(rows) + ")");
    }
    return std::pair{count, missing};
  }

  Result<PredictionProfile> Prediction(dom::element value, int64_t rows) const {
    const std::string path = "prediction";
    FERRY_ASSIGN_OR_RETURN(dom::object object, Object(value, path));
    PredictionProfile p;
    FERRY_ASSIGN_OR_RETURN(dom::element output, Field(object, "output", path + ".output"));
    FERRY_ASSIGN_OR_RETURN(std::string_view output_text, String(output, path + ".output"));
    if (output_text.empty()) return Fail(path + ".output", "empty");
    p.output = output_text;
    FERRY_ASSIGN_OR_RETURN(auto count_missing, CountAndMissing(object, path, rows));
    FERRY_ASSIGN_OR_RETURN(p.stats, Numeric(object, path, count_missing.first));
    p.stats.missing = count_missing.second;
    return p;
  }

  Result<FeatureProfile> Feature(dom::element value, const std::string& path, int64_t rows) const {
    FERRY_ASSIGN_OR_RETURN(dom::object object, Object(value, path));
    FeatureProfile f;
    FERRY_ASSIGN_OR_RETURN(dom::element name, Field(object, "name", path + ".name"));
    FERRY_ASSIGN_OR_RETURN(std::string_view name_text, String(name, path + ".name"));
    if (name_text.empty()) return Fail(path + ".name", "empty");
    f.name = name_text;
    FERRY_ASSIGN_OR_RETURN(dom::element kind, Field(object, "kind", path + ".kind"));
    FERRY_ASSIGN_OR_RETURN(std::string_view kind_text, String(kind, path + ".kind"));
    FERRY_ASSIGN_OR_RETURN(auto count_missing, CountAndMissing(object, path, rows));
    const auto [count, missing] = count_missing;
    if (kind_text == "numeric") {
      FERRY_ASSIGN_OR_RETURN(NumericProfile numeric, Numeric(object, path, count));
      numeric.missing = missing;
      f.stats = std::move(numeric);
    } else if (kind_text == "categorical") {
      FERRY_ASSIGN_OR_RETURN(CategoricalProfile categorical, Categorical(object, path, count));
      categorical.missing = missing;
      f.stats = std::move(categorical);
    } else {
      return Fail(path + ".kind", "expected \"numeric\" or \"categorical\", got \"" +
                                      std::string(kind_text) + "\"");
    }
    return f;
  }

  Result<Baseline> Document(std::string_view json) const {
    dom::parser parser;
    simdjson::padded_string padded(json);
    dom::element root;
    if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
      return InvalidArgument(file_ + ": not valid JSON: " + simdjson::error_message(error));
    }
    FERRY_ASSIGN_OR_RETURN(dom::object top, Object(root, "(top level)"));
    Baseline b;
    FERRY_ASSIGN_OR_RETURN(dom::element format, Field(top, "format", "format"));
    FERRY_ASSIGN_OR_RETURN(std::string_view format_text, String(format, "format"));
    if (format_text != kFormat) {
      return Fail("format", "expected \"" + std::string(kFormat) + "\", got \"" +
                                std::string(format_text) + "\"");
    }
    FERRY_ASSIGN_OR_RETURN(dom::element rows, Field(top, "rows", "rows"));
    FERRY_ASSIGN_OR_RETURN(b.rows, Count(rows, "rows"));
    FERRY_ASSIGN_OR_RETURN(dom::element source_value, Field(top, "source", "source"));
    FERRY_ASSIGN_OR_RETURN(dom::object source, Object(source_value, "source"));
    FERRY_ASSIGN_OR_RETURN(dom::element sha, Field(source, "sha256", "source.sha256"));
    FERRY_ASSIGN_OR_RETURN(std::string_view sha_text, String(sha, "source.sha256"));
    bool hex = sha_text.size() == 64 && std::all_of(sha_text.begin(), sha_text.end(), [](char c) {
                 return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
               });
    if (!hex) return Fail("source.sha256", "expected 64 lower-case hex digits");
    b.source_digest = sha_text;

    FERRY_ASSIGN_OR_RETURN(dom::element features_value, Field(top, "features", "features"));
    FERRY_ASSIGN_OR_RETURN(dom::array features, Array(features_value, "features"));
    std::set<std::string> names;
    for (dom::element feature : features) {
      std::string path = "features[" + std::to_string(b.features.size()) + "]";
      FERRY_ASSIGN_OR_RETURN(FeatureProfile f, Feature(feature, path, b.rows));
      if (!names.insert(f.name).second) {
        return Fail(path + ".name", "duplicate feature '" + f.name + "'");
      }
      b.features.push_back(std::move(f));
    }
    dom::element prediction;
    if (top.at_key("prediction").get(prediction) == simdjson::SUCCESS) {
      FERRY_ASSIGN_OR_RETURN(b.prediction, Prediction(prediction, b.rows));
    }
    return b;
  }

 private:
  std::string file_;
};

}  // namespace

Result<Baseline> ParseBaselineJson(std::string_view json, std::string_view file_name_for_errors) {
  return BaselineParser(file_name_for_errors).Document(json);
}

}  // namespace ferry::bundle
