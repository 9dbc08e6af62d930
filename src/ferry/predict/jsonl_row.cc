#include "ferry/predict/jsonl_row.h"

#include <cstring>
#include <limits>

namespace ferry::predict {

namespace {

Status ToFloat(simdjson::dom::element v, const std::string& what, float* out) {
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
      return InvalidArgument(what + ": expected a number or null, got " + simdjson::to_string(v));
    }
  }
  *out = static_cast<float>(d);
  return Status::Ok();
}

void ToCell(simdjson::dom::element v, Cell* cell) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    cell->text.assign(s);
    cell->is_json = false;
  } else {
    cell->text = simdjson::to_string(v);
    cell->is_json = true;
  }
}

}  // namespace

Status JsonlRowParser::Parse(std::string_view line, bool padded, std::span<float> features,
                             Cell* key, std::vector<Cell>* kept) {
  const char* data = line.data();
  if (!padded) {
    padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(padded_.data(), line.data(), line.size());
    data = padded_.data();
  }
  simdjson::dom::element doc;
  auto err = parser_.parse(data, line.size(), false).get(doc);
  if (err) return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return InvalidArgument("expected a JSON object");

  simdjson::dom::element arr_el;
  if (obj["features"].get(arr_el) == simdjson::SUCCESS &&
      !(layout_.features.size() == 1 && layout_.features[0] == "features")) {
    simdjson::dom::array arr;
    if (arr_el.get_array().get(arr)) {
      return InvalidArgument("'features' must be an array of numbers");
    }
    if (static_cast<int64_t>(arr.size()) != layout_.num_features) {
      return InvalidArgument("'features' has " + std::to_string(arr.size()) + " values, expected " +
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
        return InvalidArgument("missing feature '" + layout_.features[i] +
                               "' (use null for a missing value, or give a 'features' array)");
      }
      FERRY_RETURN_IF_ERROR(ToFloat(v, "'" + layout_.features[i] + "'", &features[i]));
    }
  } else {
    return InvalidArgument("expected a 'features' array (the model has no feature names)");
  }
  if (!layout_.key_column.empty()) {
    simdjson::dom::element v;
    if (obj[layout_.key_column].get(v) || v.is_null()) {
      return InvalidArgument("missing key '" + layout_.key_column + "'");
    }
    ToCell(v, key);
    if (!key->is_json && key->text.empty()) {
      return InvalidArgument("empty key '" + layout_.key_column + "'");
    }
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
  return Status::Ok();
}

}  // namespace ferry::predict
