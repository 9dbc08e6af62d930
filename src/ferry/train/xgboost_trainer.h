#pragma once

// Training gradient-boosted trees with XGBoost's C API, and writing the result
// as a complete Ferry bundle (`ferry/train-xgboost`).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/manifest.h"
#include "ferry/tensor/task.h"
#include "ferry/train/data_table.h"
#include "ferry/train/metrics.h"

namespace ferry::train {

// XGBoost's training parameters (names as XGBoost's). Defaults are
// XGBoost's, except threads (1: results do not depend on the machine).
struct XgboostParams {
  std::string objective = "binary:logistic";
  int64_t rounds = 100;
  int64_t max_depth = 6;
  double eta = 0.3;
  int64_t early_stopping_rounds = 0;  // 0: off; needs a validation set
  int64_t seed = 0;
  double subsample = 1;
  double colsample_bytree = 1;
  double min_child_weight = 1;
  double lambda = 1;
  double alpha = 0;
  int64_t threads = 1;
};

// The objectives the trainer accepts: binary:logistic, multi:softprob,
// reg:squarederror, reg:absoluteerror, reg:pseudohubererror.
const std::vector<std::string>& SupportedObjectives();
// The task an accepted objective trains for; nullopt for any other.
std::optional<Task> TaskOfObjective(const std::string& objective);

// Rows of features (row-major float, NaN = missing) with their labels.
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // rows * cols
  std::vector<float> labels;  // rows
};

// The feature columns of a training table: `features` when given (checked to
// exist), else every column except `label` and `exclude`, in file order.
// NotFound for an unknown column; InvalidArgument when no feature is left,
// the label is listed as a feature, or a name repeats.
Result<std::vector<std::string>> PickFeatureColumns(const DataTable& table,
                                                    const std::string& label,
                                                    const std::vector<std::string>& features,
                                                    const std::vector<std::string>& exclude);

// The matrix of `features` and `label` of `table`. Labels are checked for
// the task: never missing; binary: 0 or 1; multiclass: integers >= 0.
// Errors name the file and line (NumericColumn's messages for features).
Result<Matrix> BuildMatrix(const DataTable& table, const std::vector<std::string>& features,
                           const std::string& label, Task task);

struct TrainedBooster {
  std::string model_json;      // XGBoosterSaveModelToBuffer, JSON, trees up to best_iteration
  int64_t rounds = 0;          // boosting rounds run (fewer than asked when stopped early)
  int64_t best_iteration = 0;  // 0-based; the last round when early stopping is off
  int64_t num_classes = 0;     // multiclass: num_class given to XGBoost
};

// Trains. With `validation`, its metric (XGBoost's default for the
// objective) is evaluated every round and logged; with early stopping,
// training stops after early_stopping_rounds rounds without a strict
// improvement and the model keeps the trees up to the best round (as
// xgboost.train(..., early_stopping_rounds=N) and then slicing
// [0, best_iteration + 1)). Deterministic for the same inputs. Every XGBoost
// handle is freed on every path. InvalidArgument for bad parameters (an
// unsupported objective, early stopping without validation, XGBoost's
// refusal), Internal for other XGBoost failures.
Result<TrainedBooster> TrainBooster(const Matrix& train, const Matrix* validation,
                                    const XgboostParams& params, std::ostream* log);

struct TrainBundleOptions {
  std::filesystem::path train_csv;  // required
  std::optional<std::filesystem::path> validation_csv;
  std::string label;                  // required
  std::vector<std::string> features;  // empty: all but label and exclude
  std::vector<std::string> exclude;
  XgboostParams params;
  std::string name;  // the bundle's model name
  std::string description;
  bundle::Lineage lineage;  // `data` is set to "sha256:<train file digest>"; created left as given
  std::filesystem::path output_dir;  // the bundle folder to create; must not exist
};

struct TrainBundleResult {
  std::filesystem::path bundle_dir;
  std::string metrics_json;  // also the bundle's metrics.json
  MetricValues train_metrics;
  std::optional<MetricValues> validation_metrics;
  int64_t rounds = 0;
  int64_t best_iteration = 0;
};

// Reads the CSVs, trains, and creates the bundle with bundle::CreateBundle:
// model.json, the signature from the feature columns, baseline.json profiled
// from the training CSV (label as label column), lineage, and metrics.json
//   {"train":{…},"validation":{…}|null,"best_iteration":n,"rounds":n}
// holding the metrics `ferry/evaluate` computes for the task (the model
// scored through its backend). Byte-identical folders for identical inputs.
Result<TrainBundleResult> TrainXgboostBundle(const TrainBundleOptions& options, std::ostream* log);

}  // namespace ferry::train
