#include <simdjson.h>

#include <cmath>
#include <limits>

#include "ferry/predict/row_source.h"
#include "ferry/table/line_reader.h"

namespace ferry::predict {

namespace {

// Rows are JSON objects, one per line: {"features": [..]} or one field per
// feature name. null stands for a missing value.
class JsonlRowSource : public RowSource {
 public:
  JsonlRowSource(std::string path, std::unique_ptr<table::LineReader> lines, RowLayout layout)
      : path_(std::move(path)), lines_(std::move(lines)), layout_(std::move(layout)) {}

  Result<bool> Next(std::span<float> features, Cell* key, std::vector<Cell>* kept) override {
    std::string_view line;
    while (true) {
      FERRY_ASSIGN_OR_RETURN(bool more, lines_->Next(&line));
      if (!more) return false;
      if (line.find_first_not_of(" \t") != std::string_view::npos) break;
    }
    padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(padded_.data(), line.data(), line.size());
    simdjson::dom::element doc;
    auto err = parser_.parse(padded_.data(), line.size(), false).get(doc);
    if (err) return RowError(std::string("invalid JSON: ") + simdjson::error_message(err));
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return RowError("expected a JSON object");

    simdjson::dom::element arr_el;
    if (obj["features"].get(arr_el) == simdjson::SUCCESS &&
        !(layout_.features.size() == 1 && layout_.features[0] == "features")) {
      simdjson::dom::array arr;
      if (arr_el.get_array().get(arr)) return RowError("'features' must be an array of numbers");
      if (static_cast<int64_t>(arr.size()) != layout_.num_features) {
        return RowError("'features' has " + std::to_string(arr.size()) + " values, expected " +
                        std::to_string(layout_.num_features));
      }
      size_t i = 0;
      for (simdjson::dom::element v : arr) {
        FERRY_RETURN_IF_ERROR(ToFloat(v, "features[" + std::to_string(i) + "]", &features[i]));
        ++i;
      }
    } else if (!layout_.features.empty()) {
      for (size_t i = 0; i < layout_.features.size(); ++i) {
        simdjson::dom::element v;
        if (obj[layout_.features[i]].get(v)) {
          return RowError("missing feature '" + layout_.features[i] +
                          "' (use null for a missing value, or give a 'features' array)");
        }
        FERRY_RETURN_IF_ERROR(ToFloat(v, "'" + layout_.features[i] + "'", &features[i]));
      }
    } else {
      return RowError("expected a 'features' array (the model has no feature names)");
    }
    if (!layout_.key_column.empty()) {
      simdjson::dom::element v;
      if (obj[layout_.key_column].get(v) || v.is_null()) {
        return RowError("missing key '" + layout_.key_column + "'");
      }
      ToCell(v, key);
      if (!key->is_json && key->text.empty())
        return RowError("empty key '" + layout_.key_column + "'");
    }
    kept->resize(layout_.keep.size());
    for (size_t i = 0; i < layout_.keep.size(); ++i) {
      simdjson::dom::element v;
      if (obj[layout_.keep[i]].get(v)) {
        (*kept)[i].text = "null";
        (*kept)[i].is_json = true;
      } else {
        ToCell(v, &(*kept)[i]);
      }
    }
    return true;
  }

  int64_t line_number() const override { return lines_->line_number(); }

 private:
  Status RowError(const std::string& what) const {
    return InvalidArgument(path_ + ":" + std::to_string(lines_->line_number()) + ": " + what);
  }

  Status ToFloat(simdjson::dom::element v, const std::string& what, float* out) const {
    if (v.is_null()) {
      *out = std::numeric_limits<float>::quiet_NaN();
      return Status::Ok();
    }
    double d;
    if (v.get_double().get(d)) {
      if (v.is_int64()) {
        d = static_cast<double>(v.get_int64().value_unsafe());
      } else if (v.is_uint64()) {
        d = static_cast<double>(v.get_uint64().value_unsafe());
      } else {
        return RowError(what + ": expected a number or null, got " + simdjson::to_string(v));
      }
    }
    *out = static_cast<float>(d);
    return Status::Ok();
  }

  static void ToCell(simdjson::dom::element v, Cell* cell) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      cell->text.assign(s);
      cell->is_json = false;
    } else {
      cell->text = simdjson::to_string(v);
      cell->is_json = true;
    }
  }

  std::string path_;
  std::unique_ptr<table::LineReader> lines_;
  RowLayout layout_;
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace

Result<std::unique_ptr<RowSource>> OpenJsonlRowSource(std::string_view path,
                                                      const RowLayout& layout) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<table::LineReader> lines, table::LineReader::Open(path));
  return std::unique_ptr<RowSource>(
      std::make_unique<JsonlRowSource>(std::string(path), std::move(lines), layout));
}

}  // namespace ferry::predict
