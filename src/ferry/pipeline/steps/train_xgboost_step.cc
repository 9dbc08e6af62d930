// ferry/train-xgboost: `with:` → train::TrainXgboostBundle → outputs `bundle`
// (packed) and `metrics`. `data` is the training CSV; `name` defaults to the
// pipeline's name.

#include <cstdint>
#include <system_error>

#include "ferry/base/files.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/manifest.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/steps/with_args.h"
#include "ferry/train/xgboost_trainer.h"

namespace fs = std::filesystem;

namespace ferry::pipeline {

namespace {

constexpr double kBig = 1e12;

Result<train::XgboostParams> ReadParams(const WithArgs& w) {
  train::XgboostParams p;
  FERRY_ASSIGN_OR_RETURN(p.objective, w.String("objective", p.objective));
  FERRY_ASSIGN_OR_RETURN(p.rounds, w.Int("rounds", p.rounds, 1, 100000));
  FERRY_ASSIGN_OR_RETURN(p.max_depth, w.Int("max_depth", p.max_depth, 0, 64));
  FERRY_ASSIGN_OR_RETURN(p.eta, w.Double("eta", p.eta, 0, 1));
  FERRY_ASSIGN_OR_RETURN(p.early_stopping_rounds, w.Int("early_stopping_rounds", 0, 1, 100000));
  FERRY_ASSIGN_OR_RETURN(p.seed, w.Int("seed", p.seed, 0, INT32_MAX));
  FERRY_ASSIGN_OR_RETURN(p.subsample, w.Double("subsample", p.subsample, 1e-6, 1));
  FERRY_ASSIGN_OR_RETURN(p.colsample_bytree,
                         w.Double("colsample_bytree", p.colsample_bytree, 1e-6, 1));
  FERRY_ASSIGN_OR_RETURN(p.min_child_weight,
                         w.Double("min_child_weight", p.min_child_weight, 0, kBig));
  FERRY_ASSIGN_OR_RETURN(p.lambda, w.Double("lambda", p.lambda, 0, kBig));
  FERRY_ASSIGN_OR_RETURN(p.alpha, w.Double("alpha", p.alpha, 0, kBig));
  FERRY_ASSIGN_OR_RETURN(p.threads, w.Int("threads", p.threads, 1, 256));
  if (p.early_stopping_rounds > 0 && !w.Has("validation")) {
    return InvalidArgument(
        "ferry/train-xgboost: with.early_stopping_rounds: needs with.validation");
  }
  return p;
}

}  // namespace

Status RunTrainXgboostStep(const BuiltinContext& ctx) {
  const WithArgs w(ctx.with, ctx.uses, ctx.workdir);
  train::TrainBundleOptions o;
  FERRY_ASSIGN_OR_RETURN(o.train_csv, w.Path("data"));
  FERRY_ASSIGN_OR_RETURN(o.validation_csv, w.OptionalPath("validation"));
  FERRY_ASSIGN_OR_RETURN(o.label, w.String("label"));
  FERRY_ASSIGN_OR_RETURN(o.name, w.String("name", ctx.pipeline));
  if (o.name.empty()) {
    return InvalidArgument(ctx.uses + ": with.name: is required (no pipeline name to default to)");
  }
  if (!bundle::IsValidModelName(o.name)) {
    return InvalidArgument(ctx.uses + ": with.name: '" + o.name +
                           "' is not a model name ([A-Za-z0-9][A-Za-z0-9._-]{0,127})");
  }
  FERRY_ASSIGN_OR_RETURN(o.features, w.StringList("features"));
  FERRY_ASSIGN_OR_RETURN(o.exclude, w.StringList("exclude"));
  if (!o.features.empty() && !o.exclude.empty()) {
    return InvalidArgument(ctx.uses + ": with.exclude: give either features or exclude, not both");
  }
  FERRY_ASSIGN_OR_RETURN(o.description, w.String("description", ""));
  FERRY_ASSIGN_OR_RETURN(o.params, ReadParams(w));
  o.lineage.pipeline = ctx.pipeline;
  o.lineage.run = ctx.run_id;

  const fs::path bundle_file = ctx.outputs / "bundle";
  FERRY_ASSIGN_OR_RETURN(fs::path tmp, MakeSiblingTempDir(bundle_file));
  o.output_dir = tmp / "bundle";
  Result<train::TrainBundleResult> trained = train::TrainXgboostBundle(o, ctx.log);
  Status s = trained.status();
  if (s.ok()) s = bundle::PackDirectory(trained->bundle_dir, bundle_file);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (!s.ok()) return s.WithContext(ctx.uses);
  FERRY_RETURN_IF_ERROR(WriteFileAtomic(ctx.outputs / "metrics", trained->metrics_json));
  if (ctx.log != nullptr) {
    *ctx.log << "model " << o.name << ": " << trained->best_iteration + 1 << " of "
             << trained->rounds << " rounds kept\n";
    *ctx.log << "metrics " << trained->metrics_json;
  }
  return Status::Ok();
}

}  // namespace ferry::pipeline
