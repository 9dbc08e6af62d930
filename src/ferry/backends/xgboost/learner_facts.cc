#include "ferry/backends/xgboost/learner_facts.h"

#include <simdjson.h>

#include <charconv>

namespace ferry::backends::xgboost {

namespace {

Result<std::string_view> StringAt(const simdjson::dom::element& doc, const char* pointer) {
  std::string_view value;
  if (doc.at_pointer(pointer).get(value) != simdjson::SUCCESS) {
    return InvalidArgument(std::string("XGBoost config has no string at ") + pointer);
  }
  return value;
}

Result<int64_t> IntegerStringAt(const simdjson::dom::element& doc, const char* pointer) {
  FERRY_ASSIGN_OR_RETURN(std::string_view text, StringAt(doc, pointer));
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(std::string("XGBoost config value at ") + pointer + " is '" +
                           std::string(text) + "', expected an integer");
  }
  return value;
}

}  // namespace

Result<LearnerFacts> ParseLearnerConfig(std::string_view config_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(config_json);
  if (auto error = parser.parse(padded).get(doc); error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("XGBoost config is not valid JSON: ") +
                           simdjson::error_message(error));
  }
  LearnerFacts facts;
  FERRY_ASSIGN_OR_RETURN(std::string_view objective, StringAt(doc, "/learner/objective/name"));
  facts.objective = std::string(objective);
  FERRY_ASSIGN_OR_RETURN(facts.num_class,
                         IntegerStringAt(doc, "/learner/learner_model_param/num_class"));
  // num_target appeared in XGBoost 1.6; older configs mean one target.
  if (doc.at_pointer("/learner/learner_model_param/num_target").error() == simdjson::SUCCESS) {
    FERRY_ASSIGN_OR_RETURN(facts.num_target,
                           IntegerStringAt(doc, "/learner/learner_model_param/num_target"));
  }
  if (doc.at_pointer("/learner/generic_param/nthread").error() == simdjson::SUCCESS) {
    FERRY_ASSIGN_OR_RETURN(facts.nthread, IntegerStringAt(doc, "/learner/generic_param/nthread"));
  }
  return facts;
}

std::optional<Task> TaskOfObjective(std::string_view objective) {
  if (objective == "binary:logistic" || objective == "binary:logitraw" ||
      objective == "binary:hinge") {
    return Task::kBinaryClassification;
  }
  if (objective == "multi:softprob") return Task::kMulticlassClassification;
  if (IsClassIndexObjective(objective)) return std::nullopt;
  return Task::kRegression;
}

bool IsClassIndexObjective(std::string_view objective) { return objective == "multi:softmax"; }

}  // namespace ferry::backends::xgboost
