// TrainXgboostBundle (xgboost_trainer.h): CSVs in, a complete bundle out.

#include <system_error>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/bundle/create.h"
#include "ferry/train/evaluate.h"
#include "ferry/train/xgboost_trainer.h"

namespace fs = std::filesystem;

namespace ferry::train {

namespace {

// Removes a temporary folder when it goes out of scope.
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Result<MetricValues> MetricsOn(const bundle::Bundle& b, const DataTable& table,
                               const std::string& label) {
  FERRY_ASSIGN_OR_RETURN(Scores scores, ScoreTable(b, table));
  MetricInput in;
  in.task = scores.task;
  in.num_classes = scores.num_classes;
  FERRY_ASSIGN_OR_RETURN(in.labels, LabelColumn(table, label));
  in.scores = std::move(scores.values);
  Result<MetricValues> m = ComputeMetrics(in);
  if (!m.ok()) return m.status().WithContext(table.name);
  return m;
}

}  // namespace

Result<TrainBundleResult> TrainXgboostBundle(const TrainBundleOptions& o, std::ostream* log) {
  const std::optional<Task> task = TaskOfObjective(o.params.objective);
  if (!task) {
    std::string list;
    for (const std::string& s : SupportedObjectives()) list += (list.empty() ? "" : ", ") + s;
    return InvalidArgument("objective '" + o.params.objective + "' is not supported; use one of " +
                           list);
  }
  if (o.output_dir.empty()) return InvalidArgument("an output folder is required");
  FERRY_ASSIGN_OR_RETURN(DataTable train, ReadDataTable(o.train_csv.string()));
  std::optional<DataTable> validation;
  if (o.validation_csv) {
    FERRY_ASSIGN_OR_RETURN(validation, ReadDataTable(o.validation_csv->string()));
  }
  FERRY_ASSIGN_OR_RETURN(std::vector<std::string> features,
                         PickFeatureColumns(train, o.label, o.features, o.exclude));
  FERRY_ASSIGN_OR_RETURN(Matrix train_m, BuildMatrix(train, features, o.label, *task));
  std::optional<Matrix> valid_m;
  if (validation) {
    FERRY_ASSIGN_OR_RETURN(valid_m, BuildMatrix(*validation, features, o.label, *task));
  }
  if (log != nullptr) {
    *log << "training " << o.params.objective << " on " << train.rows() << " rows x "
         << features.size() << " features of " << o.train_csv.filename().string();
    if (validation) *log << " (validation: " << validation->rows() << " rows)";
    *log << "\n";
  }
  FERRY_ASSIGN_OR_RETURN(TrainedBooster trained,
                         TrainBooster(train_m, valid_m ? &*valid_m : nullptr, o.params, log));

  fs::path out = fs::absolute(o.output_dir).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  FERRY_ASSIGN_OR_RETURN(fs::path tmp_path, MakeSiblingTempDir(out));
  TempDir tmp(tmp_path);
  const fs::path model_file = tmp.path() / "model.json";
  FERRY_RETURN_IF_ERROR(WriteFileAtomic(model_file, trained.model_json));

  bundle::CreateOptions co;
  co.model_file = model_file;
  co.name = o.name;
  co.framework = "xgboost";
  co.task = *task;
  co.features = features;
  co.label_column = o.label;
  co.description = o.description;
  co.lineage = o.lineage;
  co.lineage.data = "sha256:" + train.source_sha256;

  // A staging bundle (no baseline) scores the data through the backend, as
  // ferry/evaluate will, for the metrics that go into the final bundle.
  bundle::CreateOptions stage_options = co;
  stage_options.output_dir = tmp.path() / "stage";
  FERRY_ASSIGN_OR_RETURN(bundle::Bundle stage, bundle::CreateBundle(stage_options));
  TrainBundleResult result;
  result.rounds = trained.rounds;
  result.best_iteration = trained.best_iteration;
  FERRY_ASSIGN_OR_RETURN(result.train_metrics, MetricsOn(stage, train, o.label));
  if (validation) {
    FERRY_ASSIGN_OR_RETURN(MetricValues v, MetricsOn(stage, *validation, o.label));
    result.validation_metrics = std::move(v);
  }
  JsonWriter w(&result.metrics_json);
  w.BeginObject();
  w.Key("train").Raw(MetricsToJson(result.train_metrics));
  w.Key("validation");
  if (result.validation_metrics) {
    w.Raw(MetricsToJson(*result.validation_metrics));
  } else {
    w.Null();
  }
  w.Key("best_iteration").Int(result.best_iteration);
  w.Key("rounds").Int(result.rounds);
  w.EndObject();
  result.metrics_json += '\n';

  co.output_dir = out;
  co.baseline_csv = o.train_csv;
  co.metrics_json = result.metrics_json;
  FERRY_ASSIGN_OR_RETURN(bundle::Bundle created, bundle::CreateBundle(co));
  result.bundle_dir = created.root;
  return result;
}

}  // namespace ferry::train
