#include "ferry/backends/xgboost/forest_from_json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace ferry::backends::xgboost {

namespace {

namespace od = simdjson::ondemand;

// What the model says besides its trees.
struct ModelFacts {
  std::string booster;  // gradient_booster.name
  std::string objective;
  float base_score = 0.5f;
  int64_t num_class = 0;
  int64_t num_feature = 0;
  int64_t num_target = 1;
  int64_t size_leaf_vector = 0;
  std::vector<int64_t> tree_info;
  std::vector<int64_t> tree_ids;
};

Status Malformed(std::string_view where, simdjson::error_code error) {
  return InvalidArgument("native predictor: model JSON at " + std::string(where) + ": " +
                         simdjson::error_message(error));
}

Status Malformed(std::string_view where, std::string_view what) {
  return InvalidArgument("native predictor: model JSON at " + std::string(where) + ": " +
                         std::string(what));
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// A float from its JSON text, rounded once (as XGBoost's own reader does).
Status ParseFloat(std::string_view text, std::string_view where, float* out) {
  text = TrimRight(text);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Malformed(where, "'" + std::string(text.substr(0, 40)) + "' is not a float");
  }
  return Status::Ok();
}

template <typename Int>
Status ParseInteger(std::string_view text, std::string_view where, Int* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Malformed(where, "'" + std::string(text.substr(0, 40)) + "' is not an integer");
  }
  return Status::Ok();
}

// XGBoost keeps its parameters as strings: "num_class":"3".
Status ReadIntegerString(od::value value, std::string_view where, int64_t* out) {
  std::string_view text;
  if (auto e = value.get_string().get(text); e) return Malformed(where, e);
  return ParseInteger(text, where, out);
}

Status ReadFloats(od::value value, std::string_view where, std::vector<float>* out) {
  od::array array;
  if (auto e = value.get_array().get(array); e) return Malformed(where, e);
  out->clear();
  for (auto element : array) {
    od::value v;
    if (auto e = element.get(v); e) return Malformed(where, e);
    float f = 0;
    FERRY_RETURN_IF_ERROR(ParseFloat(v.raw_json_token(), where, &f));
    out->push_back(f);
  }
  return Status::Ok();
}

// Integers within [lo, hi]; booleans read as 0/1 (default_left may be either).
template <typename Int>
Status ReadIntegers(od::value value, std::string_view where, int64_t lo, int64_t hi,
                    std::vector<Int>* out) {
  od::array array;
  if (auto e = value.get_array().get(array); e) return Malformed(where, e);
  out->clear();
  for (auto element : array) {
    od::value v;
    if (auto e = element.get(v); e) return Malformed(where, e);
    od::json_type type;
    if (auto e = v.type().get(type); e) return Malformed(where, e);
    int64_t i = 0;
    if (type == od::json_type::boolean) {
      bool b = false;
      if (auto e = v.get_bool().get(b); e) return Malformed(where, e);
      i = b ? 1 : 0;
    } else if (auto e = v.get_int64().get(i); e) {
      return Malformed(where, e);
    }
    if (i < lo || i > hi) return Malformed(where, std::to_string(i) + " is out of range");
    out->push_back(static_cast<Int>(i));
  }
  return Status::Ok();
}

Status ReadTree(od::value value, size_t index, TreeNodes* tree, int64_t* id,
                int64_t* size_leaf_vector) {
  const std::string where = "trees[" + std::to_string(index) + "]";
  od::object object;
  if (auto e = value.get_object().get(object); e) return Malformed(where, e);
  std::vector<uint8_t> split_type;
  for (auto field_result : object) {
    od::field field;
    if (auto e = std::move(field_result).get(field); e) return Malformed(where, e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key); e) return Malformed(where, e);
    const std::string at = where + "." + std::string(key);
    constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
    if (key == "left_children") {
      FERRY_RETURN_IF_ERROR(ReadIntegers(field.value(), at, -1, kIntMax, &tree->left));
    } else if (key == "right_children") {
      FERRY_RETURN_IF_ERROR(ReadIntegers(field.value(), at, -1, kIntMax, &tree->right));
    } else if (key == "split_indices") {
      FERRY_RETURN_IF_ERROR(
          ReadIntegers(field.value(), at, 0, std::numeric_limits<uint32_t>::max(), &tree->feature));
    } else if (key == "split_conditions") {
      FERRY_RETURN_IF_ERROR(ReadFloats(field.value(), at, &tree->condition));
    } else if (key == "default_left") {
      FERRY_RETURN_IF_ERROR(ReadIntegers(field.value(), at, 0, 1, &tree->default_left));
    } else if (key == "split_type") {
      FERRY_RETURN_IF_ERROR(ReadIntegers(field.value(), at, 0, 255, &split_type));
    } else if (key == "id") {
      if (auto e = field.value().get_int64().get(*id); e) return Malformed(at, e);
    } else if (key == "tree_param") {
      od::object param;
      if (auto e = field.value().get_object().get(param); e) return Malformed(at, e);
      for (auto p : param) {
        od::field f;
        if (auto e = std::move(p).get(f); e) return Malformed(at, e);
        std::string_view name;
        if (auto e = f.unescaped_key().get(name); e) return Malformed(at, e);
        if (name == "size_leaf_vector") {
          FERRY_RETURN_IF_ERROR(ReadIntegerString(f.value(), at, size_leaf_vector));
        }
      }
    }
  }
  for (uint8_t t : split_type) {
    if (t != 0) {
      return Unimplemented("native predictor: tree " + std::to_string(index) +
                           " has categorical splits");
    }
  }
  return Status::Ok();
}

Status ReadGbtreeModel(od::value value, ModelFacts* facts, std::vector<TreeNodes>* trees) {
  od::object model;
  if (auto e = value.get_object().get(model); e) return Malformed("gradient_booster.model", e);
  for (auto field_result : model) {
    od::field field;
    if (auto e = std::move(field_result).get(field); e)
      return Malformed("gradient_booster.model", e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key); e) return Malformed("gradient_booster.model", e);
    if (key == "tree_info") {
      FERRY_RETURN_IF_ERROR(ReadIntegers(field.value(), "tree_info", 0,
                                         std::numeric_limits<int32_t>::max(), &facts->tree_info));
    } else if (key == "trees") {
      od::array array;
      if (auto e = field.value().get_array().get(array); e) return Malformed("trees", e);
      for (auto element : array) {
        od::value tree;
        if (auto e = element.get(tree); e) return Malformed("trees", e);
        int64_t id = -1;
        trees->emplace_back();
        FERRY_RETURN_IF_ERROR(
            ReadTree(tree, trees->size() - 1, &trees->back(), &id, &facts->size_leaf_vector));
        facts->tree_ids.push_back(id);
      }
    }
  }
  return Status::Ok();
}

Status ReadLearner(od::object learner, ModelFacts* facts, std::vector<TreeNodes>* trees) {
  for (auto field_result : learner) {
    od::field field;
    if (auto e = std::move(field_result).get(field); e) return Malformed("learner", e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key); e) return Malformed("learner", e);
    if (key == "gradient_booster") {
      od::object booster;
      if (auto e = field.value().get_object().get(booster); e) {
        return Malformed("gradient_booster", e);
      }
      for (auto b : booster) {
        od::field f;
        if (auto e = std::move(b).get(f); e) return Malformed("gradient_booster", e);
        std::string_view name;
        if (auto e = f.unescaped_key().get(name); e) return Malformed("gradient_booster", e);
        if (name == "model") {
          FERRY_RETURN_IF_ERROR(ReadGbtreeModel(f.value(), facts, trees));
        } else if (name == "name") {
          std::string_view booster_name;
          if (auto e = f.value().get_string().get(booster_name); e) {
            return Malformed("gradient_booster.name", e);
          }
          facts->booster = std::string(booster_name);
        }
      }
    } else if (key == "learner_model_param") {
      od::object param;
      if (auto e = field.value().get_object().get(param); e) {
        return Malformed("learner_model_param", e);
      }
      for (auto p : param) {
        od::field f;
        if (auto e = std::move(p).get(f); e) return Malformed("learner_model_param", e);
        std::string_view name;
        if (auto e = f.unescaped_key().get(name); e) return Malformed("learner_model_param", e);
        if (name == "base_score") {
          std::string_view text;
          if (auto e = f.value().get_string().get(text); e) return Malformed("base_score", e);
          FERRY_RETURN_IF_ERROR(ParseFloat(text, "base_score", &facts->base_score));
        } else if (name == "num_class") {
          FERRY_RETURN_IF_ERROR(ReadIntegerString(f.value(), "num_class", &facts->num_class));
        } else if (name == "num_feature") {
          FERRY_RETURN_IF_ERROR(ReadIntegerString(f.value(), "num_feature", &facts->num_feature));
        } else if (name == "num_target") {
          FERRY_RETURN_IF_ERROR(ReadIntegerString(f.value(), "num_target", &facts->num_target));
        }
      }
    } else if (key == "objective") {
      od::object objective;
      if (auto e = field.value().get_object().get(objective); e) {
        return Malformed("objective", e);
      }
      std::string_view name;
      if (auto e = objective["name"].get_string().get(name); e) {
        return Malformed("objective.name", e);
      }
      facts->objective = std::string(name);
    }
  }
  return Status::Ok();
}

// The objective's PredTransform and ProbToMargin(base_score), as XGBoost 1.7.4 computes them.
Status ApplyObjective(const ModelFacts& facts, ForestParams* params) {
  const std::string& o = facts.objective;
  const float b = facts.base_score;
  if (std::isnan(b) || std::isinf(b)) {
    return Unimplemented("native predictor: base_score is not finite");
  }
  if (o == "binary:logistic" || o == "reg:logistic") {
    if (!(b > 0.0f && b < 1.0f)) {
      return Unimplemented("native predictor: base_score outside (0, 1) for " + o);
    }
    params->transform = OutputTransform::kSigmoid;
    params->base_margin = -std::log(1.0f / b - 1.0f);
  } else if (o == "reg:squarederror" || o == "reg:linear" || o == "reg:squaredlogerror" ||
             o == "reg:pseudohubererror" || o == "reg:absoluteerror" || o == "binary:logitraw") {
    params->transform = OutputTransform::kIdentity;
    params->base_margin = b;
  } else if (o == "count:poisson" || o == "reg:gamma" || o == "reg:tweedie" ||
             o == "survival:cox") {
    params->transform = OutputTransform::kExp;
    params->base_margin = std::log(b);
  } else if (o == "binary:hinge") {
    params->transform = OutputTransform::kHinge;
    params->base_margin = b;
  } else if (o == "multi:softprob") {
    params->transform = OutputTransform::kSoftmax;
    params->base_margin = b;
  } else {
    return Unimplemented("native predictor: objective '" + o + "' is not supported");
  }
  if (o == "multi:softprob") {
    params->num_groups = facts.num_class;
  } else if (facts.num_class > 1) {
    return Unimplemented("native predictor: num_class " + std::to_string(facts.num_class) +
                         " with objective " + o);
  }
  return Status::Ok();
}

}  // namespace

Result<Forest> ForestFromModelJson(std::string_view model_json) {
  od::parser parser;
  simdjson::padded_string padded(model_json);
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc); e) return Malformed("the top", e);
  od::object learner;
  if (auto e = doc["learner"].get_object().get(learner); e) return Malformed("learner", e);
  ModelFacts facts;
  std::vector<TreeNodes> trees;
  FERRY_RETURN_IF_ERROR(ReadLearner(learner, &facts, &trees));

  if (facts.booster != "gbtree") {
    return Unimplemented("native predictor: booster '" + facts.booster + "' is not supported");
  }
  if (facts.num_target != 1) {
    return Unimplemented("native predictor: " + std::to_string(facts.num_target) + " targets");
  }
  if (facts.size_leaf_vector != 0) {
    return Unimplemented("native predictor: trees with leaf vectors");
  }
  if (facts.tree_info.size() != trees.size()) {
    return Malformed("tree_info", std::to_string(facts.tree_info.size()) + " entries for " +
                                      std::to_string(trees.size()) + " trees");
  }
  for (size_t t = 0; t < trees.size(); ++t) {
    if (facts.tree_ids[t] != static_cast<int64_t>(t)) {
      return Unimplemented("native predictor: trees[" + std::to_string(t) + "] has id " +
                           std::to_string(facts.tree_ids[t]));
    }
    trees[t].group = static_cast<int32_t>(facts.tree_info[t]);
  }
  ForestParams params;
  params.num_features = facts.num_feature;
  FERRY_RETURN_IF_ERROR(ApplyObjective(facts, &params));
  return Forest::Create(params, trees);
}

}  // namespace ferry::backends::xgboost
