#include <cstdio>
#include <string>

#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/steps/with_args.h"
#include "ferry/train/data_table.h"
#include "ferry/train/split.h"

namespace ferry::pipeline {

namespace {

Result<train::SplitRatios> ReadRatios(const WithArgs& args, const std::string& uses) {
  train::SplitRatios ratios;
  if (!args.Has("ratios")) return ratios;
  FERRY_ASSIGN_OR_RETURN(auto given, args.NumberMap("ratios"));
  ratios = {0.0, 0.0, 0.0};
  for (const auto& [name, value] : given) {
    if (name == "train") {
      ratios.train = value;
    } else if (name == "validation") {
      ratios.validation = value;
    } else if (name == "test") {
      ratios.test = value;
    } else {
      return InvalidArgument(uses + ": with.ratios: unknown part '" + name +
                             "' (expected train, validation, test)");
    }
  }
  Status ok = train::CheckSplitRatios(ratios);
  if (!ok.ok()) return InvalidArgument(uses + ": with." + ok.message());
  return ratios;
}

}  // namespace

Status RunSplitStep(const BuiltinContext& ctx) {
  WithArgs args(ctx.with, ctx.uses, ctx.workdir);
  FERRY_ASSIGN_OR_RETURN(std::filesystem::path data_path, args.Path("data"));
  FERRY_ASSIGN_OR_RETURN(std::string key, args.String("key"));
  FERRY_ASSIGN_OR_RETURN(std::string seed, args.String("seed", ""));
  FERRY_ASSIGN_OR_RETURN(train::SplitRatios ratios, ReadRatios(args, ctx.uses));

  Result<train::DataTable> table = train::ReadDataTable(data_path.string());
  if (!table.ok()) return table.status().WithContext(ctx.uses + ": with.data");
  train::SplitOptions options{key, ratios, seed};
  Result<train::SplitRows> rows = train::SplitTable(*table, options);
  if (!rows.ok()) return rows.status().WithContext(ctx.uses + ": with.key");

  for (size_t p = 0; p < train::kSplitPartNames.size(); ++p) {
    std::filesystem::path out = ctx.outputs / train::kSplitPartNames[p];
    Status written = train::WriteDataTable(*table, rows->parts[p], out.string());
    if (!written.ok()) return written.WithContext(ctx.uses + ": writing " + out.string());
  }
  if (ctx.log != nullptr) {
    *ctx.log << "split " << data_path.string() << ": " << table->rows() << " rows by '" << key
             << "' (seed '" << seed << "')\n";
    for (size_t p = 0; p < train::kSplitPartNames.size(); ++p) {
      size_t n = rows->parts[p].size();
      char share[32];
      std::snprintf(share, sizeof(share), "%.1f%%",
                    table->rows() == 0 ? 0.0 : 100.0 * static_cast<double>(n) / table->rows());
      *ctx.log << "  " << train::kSplitPartNames[p] << ": " << n << " rows (" << share << ")\n";
    }
  }
  return Status::Ok();
}

}  // namespace ferry::pipeline
