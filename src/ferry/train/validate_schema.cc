#include "ferry/train/validate_schema.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "ferry/base/json_writer.h"

namespace ferry::train {

const ColumnSchema* DataSchema::Find(std::string_view name) const {
  for (const ColumnSchema& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

DataSchema SchemaFromProfile(const bundle::Baseline& profile) {
  DataSchema schema;
  schema.rows = profile.rows;
  schema.source_sha256 = profile.source_digest;
  for (const bundle::FeatureProfile& f : profile.features) {
    ColumnSchema c;
    c.name = f.name;
    c.kind = f.kind();
    int64_t missing = 0;
    if (const auto* n = std::get_if<bundle::NumericProfile>(&f.stats)) {
      missing = n->missing;
      c.min = n->count > 0 ? n->min : std::numeric_limits<double>::quiet_NaN();
      c.max = n->count > 0 ? n->max : std::numeric_limits<double>::quiet_NaN();
    } else {
      const auto& cat = std::get<bundle::CategoricalProfile>(f.stats);
      missing = cat.missing;
      for (const auto& [value, count] : cat.categories) {
        if (value == bundle::kOtherCategory) {
          c.categories_complete = false;
        } else {
          c.categories.push_back(value);
        }
      }
      if (c.categories.size() > kSchemaMaxCategories) {
        c.categories.resize(kSchemaMaxCategories);
        c.categories_complete = false;
      }
    }
    c.missing_rate =
        profile.rows > 0 ? static_cast<double>(missing) / static_cast<double>(profile.rows) : 0.0;
    schema.columns.push_back(std::move(c));
  }
  return schema;
}

std::string SchemaToJson(const DataSchema& schema) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("format").String("ferry.schema/v1");
  w.Key("rows").Int(schema.rows);
  w.Key("source").BeginObject().Key("sha256").String(schema.source_sha256).EndObject();
  w.Key("columns").BeginArray();
  for (const ColumnSchema& c : schema.columns) {
    w.BeginObject();
    w.Key("name").String(c.name);
    bool numeric = c.kind == bundle::FeatureKind::kNumeric;
    w.Key("kind").String(numeric ? "numeric" : "categorical");
    w.Key("missing_rate").Double(c.missing_rate);
    if (numeric) {
      w.Key("min").Double(c.min);
      w.Key("max").Double(c.max);
    } else {
      w.Key("categories").BeginArray();
      for (const std::string& v : c.categories) w.String(v);
      w.EndArray();
      w.Key("categories_complete").Bool(c.categories_complete);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out += '\n';
  return out;
}

namespace {

namespace dom = simdjson::dom;

// Reads the fields of a schema document; every error names the file and field.
class SchemaParser {
 public:
  explicit SchemaParser(std::string_view file) : file_(file) {}

  Status Fail(const std::string& field, std::string_view problem) const {
    return InvalidArgument(file_ + ": " + field + ": " + std::string(problem));
  }

  Result<dom::element> Field(dom::object object, std::string_view key,
                             const std::string& path) const {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return Fail(path, "missing");
    return value;
  }

  Result<std::string_view> String(dom::object object, std::string_view key,
                                  const std::string& path) const {
    FERRY_ASSIGN_OR_RETURN(dom::element value, Field(object, key, path));
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) return Fail(path, "expected a string");
    return s;
  }

  // A number, or NaN for null.
  Result<double> NumberOrNull(dom::object object, std::string_view key,
                              const std::string& path) const {
    FERRY_ASSIGN_OR_RETURN(dom::element value, Field(object, key, path));
    if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    double x = 0;
    if (value.get_double().get(x) != simdjson::SUCCESS) return Fail(path, "expected a number");
    return x;
  }

  Result<ColumnSchema> Column(dom::element value, const std::string& path) const {
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
      return Fail(path, "expected an object");
    }
    ColumnSchema c;
    FERRY_ASSIGN_OR_RETURN(std::string_view name, String(object, "name", path + ".name"));
    if (name.empty()) return Fail(path + ".name", "empty");
    c.name = name;
    FERRY_ASSIGN_OR_RETURN(std::string_view kind, String(object, "kind", path + ".kind"));
    FERRY_ASSIGN_OR_RETURN(c.missing_rate,
                           NumberOrNull(object, "missing_rate", path + ".missing_rate"));
    if (!(c.missing_rate >= 0 && c.missing_rate <= 1)) {
      return Fail(path + ".missing_rate", "expected a number in [0, 1]");
    }
    if (kind == "numeric") {
      c.kind = bundle::FeatureKind::kNumeric;
      FERRY_ASSIGN_OR_RETURN(c.min, NumberOrNull(object, "min", path + ".min"));
      FERRY_ASSIGN_OR_RETURN(c.max, NumberOrNull(object, "max", path + ".max"));
      if (std::isnan(c.min) != std::isnan(c.max)) {
        return Fail(path, "min and max must both be numbers or both null");
      }
      if (!std::isnan(c.min) && !(c.min <= c.max)) return Fail(path + ".min", "greater than max");
    } else if (kind == "categorical") {
      c.kind = bundle::FeatureKind::kCategorical;
      const std::string cats_path = path + ".categories";
      FERRY_ASSIGN_OR_RETURN(dom::element cats_value, Field(object, "categories", cats_path));
      dom::array cats;
      if (cats_value.get_array().get(cats) != simdjson::SUCCESS) {
        return Fail(cats_path, "expected an array");
      }
      std::set<std::string> seen;
      size_t i = 0;
      for (dom::element cat : cats) {
        std::string_view s;
        if (cat.get_string().get(s) != simdjson::SUCCESS) {
          return Fail(cats_path + "[" + std::to_string(i) + "]", "expected a string");
        }
        seen.emplace(s);
        ++i;
      }
      if (seen.size() > kSchemaMaxCategories) {
        return Fail(cats_path, std::to_string(seen.size()) + " categories, at most " +
                                   std::to_string(kSchemaMaxCategories) + " allowed");
      }
      c.categories.assign(seen.begin(), seen.end());
      const std::string complete_path = path + ".categories_complete";
      FERRY_ASSIGN_OR_RETURN(dom::element complete,
                             Field(object, "categories_complete", complete_path));
      if (complete.get_bool().get(c.categories_complete) != simdjson::SUCCESS) {
        return Fail(complete_path, "expected true or false");
      }
    } else {
      return Fail(path + ".kind",
                  "expected \"numeric\" or \"categorical\", got \"" + std::string(kind) + "\"");
    }
    return c;
  }

  Result<DataSchema> Document(dom::element root) const {
    dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
      return Fail("(document)", "expected a JSON object");
    }
    FERRY_ASSIGN_OR_RETURN(std::string_view format, String(object, "format", "format"));
    if (format != "ferry.schema/v1") {
      return Fail("format", "expected \"ferry.schema/v1\", got \"" + std::string(format) + "\"");
    }
    DataSchema schema;
    FERRY_ASSIGN_OR_RETURN(dom::element rows, Field(object, "rows", "rows"));
    if (rows.get_int64().get(schema.rows) != simdjson::SUCCESS || schema.rows < 0) {
      return Fail("rows", "expected a non-negative integer");
    }
    FERRY_ASSIGN_OR_RETURN(dom::element source, Field(object, "source", "source"));
    dom::object source_object;
    if (source.get_object().get(source_object) != simdjson::SUCCESS) {
      return Fail("source", "expected an object");
    }
    FERRY_ASSIGN_OR_RETURN(std::string_view sha, String(source_object, "sha256", "source.sha256"));
    schema.source_sha256 = sha;
    FERRY_ASSIGN_OR_RETURN(dom::element columns_value, Field(object, "columns", "columns"));
    dom::array columns;
    if (columns_value.get_array().get(columns) != simdjson::SUCCESS) {
      return Fail("columns", "expected an array");
    }
    std::set<std::string> names;
    for (dom::element column : columns) {
      std::string path = "columns[" + std::to_string(schema.columns.size()) + "]";
      FERRY_ASSIGN_OR_RETURN(ColumnSchema c, Column(column, path));
      if (!names.insert(c.name).second) {
        return Fail(path + ".name", "column '" + c.name + "' listed twice");
      }
      schema.columns.push_back(std::move(c));
    }
    return schema;
  }

 private:
  std::string file_;
};

}  // namespace

Result<DataSchema> ParseSchemaJson(std::string_view json, std::string_view file) {
  SchemaParser p(file);
  dom::parser parser;
  simdjson::padded_string padded(json);
  dom::element root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return InvalidArgument(std::string(file) +
                           ": not valid JSON: " + simdjson::error_message(error));
  }
  return p.Document(root);
}

}  // namespace ferry::train
