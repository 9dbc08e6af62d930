#include "ferry/bundle/create.h"

#include <memory>
#include <set>

#include "ferry/base/files.h"
#include "ferry/bundle/baseline.h"
#include "ferry/bundle/prediction_profile.h"
#include "ferry/table/csv_reader.h"

namespace fs = std::filesystem;

namespace ferry::bundle {

namespace {

Result<const backends::Backend*> PickBackend(const CreateOptions& o) {
  if (!o.framework.empty()) {
    const backends::Backend* b = backends::FindBackend(o.framework);
    if (b == nullptr) return InvalidArgument("unknown framework '" + o.framework + "'");
    return b;
  }
  std::string ext = o.model_file.extension().string();
  for (const auto& name : backends::BackendNames()) {
    const backends::Backend* b = backends::FindBackend(name);
    for (const auto& e : b->artifact_extensions()) {
      if (e == ext) return b;
    }
  }
  return InvalidArgument("cannot tell the framework of " + o.model_file.string() +
                         " from its extension; pass --framework");
}

// Feature names: the flag, else the model's own, else the CSV header
// without the label column (only if the count matches the model).
Result<std::vector<std::string>> PickFeatures(const CreateOptions& o,
                                              const backends::ModelInfo& info) {
  std::vector<std::string> names = o.features;
  if (names.empty()) names = info.feature_names;
  if (names.empty() && !o.baseline_csv.empty()) {
    FERRY_ASSIGN_OR_RETURN(auto csv, table::CsvReader::Open(o.baseline_csv.string()));
    for (const auto& h : csv->header()) {
      if (h != o.label_column) names.push_back(h);
    }
    if (static_cast<int64_t>(names.size()) != info.num_features) {
      return InvalidArgument(o.baseline_csv.string() + " has " + std::to_string(names.size()) +
                             " columns besides the label" +
                             (o.label_column.empty() ? std::string(" (no --label given)")
                                                     : " '" + o.label_column + "'") +
                             " but the model expects " + std::to_string(info.num_features) +
                             " features; pass --features or --label");
    }
  }
  if (!names.empty() && static_cast<int64_t>(names.size()) != info.num_features) {
    return InvalidArgument(std::to_string(names.size()) + " feature names given but " +
                           o.model_file.string() + " expects " + std::to_string(info.num_features));
  }
  return names;
}

TensorSpec OutputFor(Task task, int64_t num_classes) {
  switch (task) {
    case Task::kBinaryClassification:
      return {"probability", DataType::kFp32, Shape{-1}, {}};
    case Task::kMulticlassClassification:
      return {"probabilities", DataType::kFp32, Shape{-1, num_classes}, {}};
    case Task::kRegression:
      break;
  }
  return {"prediction", DataType::kFp32, Shape{-1}, {}};
}

Status Populate(const CreateOptions& o, const backends::Backend& backend, const fs::path& dir) {
  FERRY_ASSIGN_OR_RETURN(backends::ModelInfo info, backend.Inspect(o.model_file));
  Manifest m;
  m.name = o.name;
  m.framework = std::string(backend.framework());
  m.description = o.description;
  m.lineage = o.lineage;
  if (o.task) {
    if (info.task && *info.task != *o.task) {
      return InvalidArgument("--task " + std::string(TaskName(*o.task)) + " disagrees with " +
                             o.model_file.filename().string() + " (objective '" + info.objective +
                             "' is " + std::string(TaskName(*info.task)) + ")");
    }
    m.task = *o.task;
  } else if (info.task) {
    m.task = *info.task;
  } else {
    return InvalidArgument("cannot tell the task of " + o.model_file.string() + "; pass --task");
  }
  m.artifact = "model" + o.model_file.extension().string();
  FERRY_ASSIGN_OR_RETURN(std::vector<std::string> features, PickFeatures(o, info));
  m.signature.inputs.push_back(
      {"features", DataType::kFp32, Shape{-1, info.num_features}, features});
  m.signature.outputs.push_back(OutputFor(m.task, info.num_classes));

  if (!o.baseline_csv.empty()) m.baseline = "baseline.json";
  if (!o.metrics_json.empty()) m.metrics = "metrics.json";

  std::error_code ec;
  fs::copy_file(o.model_file, dir / m.artifact, ec);
  if (ec) return Internal("cannot copy " + o.model_file.string() + ": " + ec.message());
  std::string yaml = ManifestToYaml(m);
  // Round-trip through the parser: what we write must be what we accept, and the model must load
  // as the written manifest describes it.
  FERRY_ASSIGN_OR_RETURN(Manifest parsed, ParseManifest(yaml, kManifestFile));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Model> model,
                         LoadModel(Bundle{dir, std::move(parsed)}));
  if (!o.baseline_csv.empty()) {
    BaselineOptions bo;
    if (!features.empty()) {
      bo.columns = features;
      if (!o.label_column.empty()) bo.columns.push_back(o.label_column);
    }
    FERRY_ASSIGN_OR_RETURN(Baseline baseline, ProfileCsv(o.baseline_csv.string(), bo));
    FERRY_ASSIGN_OR_RETURN(baseline.prediction,
                           ProfilePredictions(*model, o.baseline_csv.string()));
    if (baseline.prediction &&
        baseline.prediction->stats.count + baseline.prediction->stats.missing != baseline.rows) {
      return FailedPrecondition(o.baseline_csv.string() + " changed while it was read");
    }
    FERRY_RETURN_IF_ERROR(WriteFileAtomic(dir / m.baseline, BaselineToJson(baseline)));
  }
  if (!o.metrics_json.empty()) {
    FERRY_RETURN_IF_ERROR(WriteFileAtomic(dir / m.metrics, o.metrics_json));
  }
  FERRY_RETURN_IF_ERROR(WriteFileAtomic(dir / kManifestFile, yaml));
  FERRY_RETURN_IF_ERROR(OpenBundle(dir).status());
  return WriteChecksums(dir);
}

}  // namespace

Result<Bundle> CreateBundle(const CreateOptions& o) {
  if (o.model_file.empty()) return InvalidArgument("a model file is required (--model)");
  if (o.output_dir.empty()) return InvalidArgument("an output folder is required (--output)");
  if (!IsValidModelName(o.name)) {
    return InvalidArgument("model name '" + o.name +
                           "' is invalid: expected [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  }
  if (o.baseline_csv == "-") {
    return InvalidArgument("the baseline CSV must be a file, not stdin (it is read twice)");
  }
  std::error_code ec;
  if (!fs::is_regular_file(o.model_file, ec)) {
    return NotFound("model file " + o.model_file.string() + " does not exist");
  }
  if (fs::exists(o.output_dir, ec)) {
    return AlreadyExists(o.output_dir.string() + " already exists; choose a new folder");
  }
  FERRY_ASSIGN_OR_RETURN(const backends::Backend* backend, PickBackend(o));
  fs::path out = fs::absolute(o.output_dir).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  fs::create_directories(out.parent_path(), ec);
  FERRY_ASSIGN_OR_RETURN(fs::path tmp, MakeSiblingTempDir(out));
  Status s = Populate(o, *backend, tmp);
  if (s.ok()) {
    fs::rename(tmp, out, ec);
    if (ec)
      s = Internal("cannot rename " + tmp.string() + " to " + out.string() + ": " + ec.message());
  }
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  return OpenBundle(out);
}

}  // namespace ferry::bundle
