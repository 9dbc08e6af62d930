#include <cmath>
#include <set>

#include "ferry/predict/row_source.h"
#include "ferry/table/csv_reader.h"
#include "ferry/table/number.h"

namespace ferry::predict {

namespace {

class CsvRowSource : public RowSource {
 public:
  CsvRowSource(std::string path, std::unique_ptr<table::CsvReader> csv)
      : path_(std::move(path)), csv_(std::move(csv)) {}

  Status Bind(const RowLayout& layout) {
    const auto& header = csv_->header();
    auto index_of = [&](const std::string& name, std::string_view what) -> Result<size_t> {
      int64_t i = csv_->ColumnIndex(name);
      if (i < 0) {
        return InvalidArgument(path_ + ": no column '" + name + "' (" + std::string(what) +
                               ") in the header");
      }
      return static_cast<size_t>(i);
    };
    if (!layout.key_column.empty()) {
      FERRY_ASSIGN_OR_RETURN(size_t k, index_of(layout.key_column, "the key column"));
      key_index_ = static_cast<int64_t>(k);
    }
    for (const auto& k : layout.keep) {
      FERRY_ASSIGN_OR_RETURN(size_t i, index_of(k, "a kept column"));
      keep_index_.push_back(i);
    }
    if (!layout.features.empty()) {
      for (const auto& f : layout.features) {
        FERRY_ASSIGN_OR_RETURN(size_t i, index_of(f, "a model feature"));
        feature_index_.push_back(i);
      }
    } else {
      std::set<size_t> skip(keep_index_.begin(), keep_index_.end());
      if (key_index_ >= 0) skip.insert(static_cast<size_t>(key_index_));
      for (size_t i = 0; i < header.size(); ++i) {
        if (!skip.count(i)) feature_index_.push_back(i);
      }
      if (static_cast<int64_t>(feature_index_.size()) != layout.num_features) {
        return InvalidArgument(
            path_ + ": the model has no feature names, so columns are taken in order, but " +
            std::to_string(feature_index_.size()) +
            " columns remain besides the key and kept ones and the model expects " +
            std::to_string(layout.num_features));
      }
    }
    return Status::Ok();
  }

  Result<bool> Next(std::span<float> features, Cell* key, std::vector<Cell>* kept) override {
    Result<bool> more = csv_->Next(&fields_);
    if (!more.ok() || !*more) return more;
    const auto& header = csv_->header();
    for (size_t f = 0; f < feature_index_.size(); ++f) {
      std::string_view text = fields_[feature_index_[f]];
      Result<double> v = table::ParseNumber(text);
      if (!v.ok()) {
        return InvalidArgument(path_ + ":" + std::to_string(csv_->line_number()) + ": column '" +
                               header[feature_index_[f]] + "': " + v.status().message());
      }
      features[f] = static_cast<float>(*v);
    }
    if (key_index_ >= 0) {
      std::string_view k = fields_[static_cast<size_t>(key_index_)];
      if (k.empty()) {
        return InvalidArgument(path_ + ":" + std::to_string(csv_->line_number()) +
                               ": empty key in column '" + header[static_cast<size_t>(key_index_)] +
                               "'");
      }
      key->text.assign(k);
      key->is_json = false;
    }
    kept->resize(keep_index_.size());
    for (size_t i = 0; i < keep_index_.size(); ++i) {
      (*kept)[i].text.assign(fields_[keep_index_[i]]);
      (*kept)[i].is_json = false;
    }
    return true;
  }

  int64_t line_number() const override { return csv_->line_number(); }

 private:
  std::string path_;
  std::unique_ptr<table::CsvReader> csv_;
  std::vector<std::string_view> fields_;
  std::vector<size_t> feature_index_;
  std::vector<size_t> keep_index_;
  int64_t key_index_ = -1;
};

}  // namespace

Result<std::unique_ptr<RowSource>> OpenCsvRowSource(std::string_view path,
                                                    const RowLayout& layout) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<table::CsvReader> csv, table::CsvReader::Open(path));
  auto src = std::make_unique<CsvRowSource>(std::string(path), std::move(csv));
  FERRY_RETURN_IF_ERROR(src->Bind(layout));
  return std::unique_ptr<RowSource>(std::move(src));
}

}  // namespace ferry::predict
