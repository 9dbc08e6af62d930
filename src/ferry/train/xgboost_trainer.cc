#include "ferry/train/xgboost_trainer.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "ferry/base/json_writer.h"

namespace ferry::train {

namespace {

// XGBoost's last error on this thread, first line, without its "[time] file:line: " prefix.
std::string XgbError() {
  std::string_view text = XGBGetLastError();
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("] ");
    size_t colon = close == std::string_view::npos ? close : text.find(": ", close + 2);
    if (colon != std::string_view::npos) text.remove_prefix(colon + 2);
  }
  if (size_t eol = text.find('\n'); eol != std::string_view::npos) text = text.substr(0, eol);
  return std::string(text.substr(0, 600));
}

// Owners of the C API's handles: freed on every path.
class DMatrix {
 public:
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrixHandle* out() { return &handle_; }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

class BoosterOwner {
 public:
  BoosterOwner() = default;
  BoosterOwner(const BoosterOwner&) = delete;
  BoosterOwner& operator=(const BoosterOwner&) = delete;
  ~BoosterOwner() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
  }
  BoosterHandle* out() { return &handle_; }
  BoosterHandle get() const { return handle_; }

 private:
  BoosterHandle handle_ = nullptr;
};

Status MakeDMatrix(const Matrix& m, const char* what, DMatrix* out) {
  if (XGDMatrixCreateFromMat(m.values.data(), static_cast<bst_ulong>(m.rows),
                             static_cast<bst_ulong>(m.cols),
                             std::numeric_limits<float>::quiet_NaN(), out->out()) != 0) {
    return Internal(std::string("XGBoost cannot build the ") + what + " matrix: " + XgbError());
  }
  if (XGDMatrixSetFloatInfo(out->get(), "label", m.labels.data(),
                            static_cast<bst_ulong>(m.labels.size())) != 0) {
    return Internal(std::string("XGBoost cannot set the ") + what + " labels: " + XgbError());
  }
  return Status::Ok();
}

std::string Text(double v) {
  std::string s;
  JsonWriter(&s).Double(v);
  return s;
}

// The value after the last ':' of XGBoost's eval line
// "[3]\ttrain-logloss:0.1\tvalidation-logloss:0.2".
Result<double> LastEvalValue(std::string_view line) {
  const size_t colon = line.rfind(':');
  if (colon == std::string_view::npos)
    return Internal("unexpected XGBoost eval line: " + std::string(line));
  const std::string tail(line.substr(colon + 1));
  char* end = nullptr;
  const double v = std::strtod(tail.c_str(), &end);
  if (end == tail.c_str()) return Internal("unexpected XGBoost eval line: " + std::string(line));
  return v;
}

}  // namespace

const std::vector<std::string>& SupportedObjectives() {
  static const std::vector<std::string> kObjectives = {"binary:logistic", "multi:softprob",
                                                       "reg:squarederror", "reg:absoluteerror",
                                                       "reg:pseudohubererror"};
  return kObjectives;
}

std::optional<Task> TaskOfObjective(const std::string& objective) {
  if (objective == "binary:logistic") return Task::kBinaryClassification;
  if (objective == "multi:softprob") return Task::kMulticlassClassification;
  if (objective == "reg:squarederror" || objective == "reg:absoluteerror" ||
      objective == "reg:pseudohubererror") {
    return Task::kRegression;
  }
  return std::nullopt;
}

Result<std::vector<std::string>> PickFeatureColumns(const DataTable& table,
                                                    const std::string& label,
                                                    const std::vector<std::string>& features,
                                                    const std::vector<std::string>& exclude) {
  if (table.ColumnIndex(label) < 0) {
    return NotFound(table.name + ": no label column '" + label + "'");
  }
  for (const std::string& c : exclude) {
    if (table.ColumnIndex(c) < 0) return NotFound(table.name + ": no column '" + c + "' (exclude)");
  }
  std::vector<std::string> out;
  if (!features.empty()) {
    std::set<std::string> seen;
    for (const std::string& c : features) {
      if (table.ColumnIndex(c) < 0) {
        return NotFound(table.name + ": no column '" + c + "' (features)");
      }
      if (c == label)
        return InvalidArgument("the label column '" + label + "' is listed as a feature");
      if (!seen.insert(c).second) return InvalidArgument("feature '" + c + "' is listed twice");
      out.push_back(c);
    }
    return out;
  }
  for (const std::string& c : table.columns) {
    if (c == label || std::find(exclude.begin(), exclude.end(), c) != exclude.end()) continue;
    out.push_back(c);
  }
  if (out.empty()) {
    return InvalidArgument(table.name + ": no feature columns left besides the label '" + label +
                           "'");
  }
  return out;
}

Result<Matrix> BuildMatrix(const DataTable& table, const std::vector<std::string>& features,
                           const std::string& label, Task task) {
  Matrix m;
  m.rows = table.rows();
  m.cols = static_cast<int64_t>(features.size());
  if (m.rows == 0) return InvalidArgument(table.name + ": no data rows");
  m.values.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t c = 0; c < m.cols; ++c) {
    const int64_t col = table.ColumnIndex(features[c]);
    if (col < 0) return NotFound(table.name + ": no column '" + features[c] + "'");
    FERRY_ASSIGN_OR_RETURN(std::vector<float> values, NumericColumn(table, col));
    for (int64_t r = 0; r < m.rows; ++r) m.values[r * m.cols + c] = values[r];
  }
  const int64_t lc = table.ColumnIndex(label);
  if (lc < 0) return NotFound(table.name + ": no label column '" + label + "'");
  FERRY_ASSIGN_OR_RETURN(m.labels, NumericColumn(table, lc));
  for (int64_t r = 0; r < m.rows; ++r) {
    const float y = m.labels[r];
    const std::string where =
        table.name + ":" + std::to_string(table.lines[r]) + ": label column '" + label + "'";
    if (std::isnan(y)) return InvalidArgument(where + " is missing a value");
    if (!std::isfinite(y)) return InvalidArgument(where + ": " + Text(y) + " is not finite");
    if (task == Task::kBinaryClassification && y != 0.0f && y != 1.0f) {
      return InvalidArgument(where + ": " + table.cells[lc][r] +
                             " is not 0 or 1 (binary:logistic needs 0/1 labels)");
    }
    if (task == Task::kMulticlassClassification && (y < 0 || y != std::floor(y) || y > 1e6f)) {
      return InvalidArgument(where + ": " + table.cells[lc][r] +
                             " is not a class index (multi:softprob needs labels 0, 1, …, K-1)");
    }
  }
  return m;
}

Result<TrainedBooster> TrainBooster(const Matrix& train, const Matrix* validation,
                                    const XgboostParams& p, std::ostream* log) {
  const std::optional<Task> task = TaskOfObjective(p.objective);
  if (!task) {
    std::string list;
    for (const std::string& o : SupportedObjectives()) list += (list.empty() ? "" : ", ") + o;
    return InvalidArgument("objective '" + p.objective + "' is not supported; use one of " + list);
  }
  if (p.early_stopping_rounds > 0 && validation == nullptr) {
    return InvalidArgument("early_stopping_rounds needs a validation set");
  }
  if (validation != nullptr && validation->cols != train.cols) {
    return InvalidArgument("the validation set has " + std::to_string(validation->cols) +
                           " features but the training set has " + std::to_string(train.cols));
  }
  TrainedBooster out;
  if (*task == Task::kMulticlassClassification) {
    float max_label = 0;
    for (float y : train.labels) max_label = std::max(max_label, y);
    out.num_classes = static_cast<int64_t>(max_label) + 1;
    if (out.num_classes < 2) {
      return InvalidArgument("multi:softprob needs at least 2 classes in the training labels");
    }
    if (validation != nullptr) {
      for (float y : validation->labels) {
        if (y >= static_cast<float>(out.num_classes)) {
          return InvalidArgument("validation label " + Text(y) +
                                 " is a class the training set does not have (classes 0.." +
                                 std::to_string(out.num_classes - 1) + ")");
        }
      }
    }
  }

  DMatrix dtrain, dvalid;
  FERRY_RETURN_IF_ERROR(MakeDMatrix(train, "training", &dtrain));
  std::vector<DMatrixHandle> cache = {dtrain.get()};
  std::vector<const char*> names = {"train"};
  if (validation != nullptr) {
    FERRY_RETURN_IF_ERROR(MakeDMatrix(*validation, "validation", &dvalid));
    cache.push_back(dvalid.get());
    names.push_back("validation");
  }
  BoosterOwner booster;
  if (XGBoosterCreate(cache.data(), cache.size(), booster.out()) != 0) {
    return Internal("XGBoosterCreate failed: " + XgbError());
  }
  std::vector<std::pair<std::string, std::string>> params = {
      {"objective", p.objective},
      {"max_depth", std::to_string(p.max_depth)},
      {"eta", Text(p.eta)},
      {"seed", std::to_string(p.seed)},
      {"subsample", Text(p.subsample)},
      {"colsample_bytree", Text(p.colsample_bytree)},
      {"min_child_weight", Text(p.min_child_weight)},
      {"lambda", Text(p.lambda)},
      {"alpha", Text(p.alpha)},
      {"nthread", std::to_string(p.threads)},
  };
  if (out.num_classes > 0) params.emplace_back("num_class", std::to_string(out.num_classes));
  for (const auto& [key, value] : params) {
    if (XGBoosterSetParam(booster.get(), key.c_str(), value.c_str()) != 0) {
      return InvalidArgument("XGBoost refused " + key + "=" + value + ": " + XgbError());
    }
  }

  double best_score = std::numeric_limits<double>::infinity();
  int64_t since_best = 0;
  for (int64_t iter = 0; iter < p.rounds; ++iter) {
    if (XGBoosterUpdateOneIter(booster.get(), static_cast<int>(iter), dtrain.get()) != 0) {
      return InvalidArgument("XGBoost training failed in round " + std::to_string(iter) + ": " +
                             XgbError());
    }
    out.rounds = iter + 1;
    out.best_iteration = iter;
    if (validation == nullptr) continue;
    const char* line = nullptr;
    if (XGBoosterEvalOneIter(booster.get(), static_cast<int>(iter), cache.data(), names.data(),
                             cache.size(), &line) != 0) {
      return Internal("XGBoost evaluation failed in round " + std::to_string(iter) + ": " +
                      XgbError());
    }
    const std::string eval_line(line);
    const bool last = iter + 1 == p.rounds;
    if (log != nullptr && (iter % 10 == 0 || last)) *log << eval_line << "\n";
    if (p.early_stopping_rounds == 0) continue;
    FERRY_ASSIGN_OR_RETURN(double score, LastEvalValue(eval_line));
    // Every default metric of the supported objectives is a loss: lower is better.
    if (iter == 0 || score < best_score) {
      best_score = score;
      since_best = 0;
    } else {
      ++since_best;
    }
    out.best_iteration = iter - since_best;
    if (since_best >= p.early_stopping_rounds) {
      if (log != nullptr && !last) {
        *log << eval_line << "\nstopped early after round " << iter << "; best round "
             << out.best_iteration << " (validation " << Text(best_score) << ")\n";
      }
      break;
    }
  }

  BoosterOwner sliced;
  BoosterHandle keep = booster.get();
  if (out.best_iteration + 1 < out.rounds) {
    if (XGBoosterSlice(booster.get(), 0, static_cast<int>(out.best_iteration + 1), 1,
                       sliced.out()) != 0) {
      return Internal("XGBoosterSlice failed: " + XgbError());
    }
    keep = sliced.get();
  }
  bst_ulong len = 0;
  const char* bytes = nullptr;
  if (XGBoosterSaveModelToBuffer(keep, R"({"format":"json"})", &len, &bytes) != 0) {
    return Internal("XGBoost cannot save the model: " + XgbError());
  }
  out.model_json.assign(bytes, len);
  return out;
}

}  // namespace ferry::train
