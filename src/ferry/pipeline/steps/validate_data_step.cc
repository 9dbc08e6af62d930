#include <memory>
#include <optional>
#include <string>

#include "ferry/base/files.h"
#include "ferry/bundle/baseline.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/steps/with_args.h"
#include "ferry/train/data_table.h"
#include "ferry/train/validate_data.h"
#include "ferry/train/validate_drift.h"
#include "ferry/train/validate_schema.h"

namespace ferry::pipeline {

namespace {

namespace fs = std::filesystem;

Result<train::ValidateDataOptions> ReadOptions(const WithArgs& args, const std::string& uses) {
  train::ValidateDataOptions options;
  if (args.Has("fail_on")) {
    FERRY_ASSIGN_OR_RETURN(std::vector<std::string> names, args.StringList("fail_on"));
    options.fail_on.clear();
    for (const std::string& name : names) {
      Result<train::Severity> s = train::ParseSeverity(name);
      if (!s.ok()) return s.status().WithContext(uses + ": with.fail_on");
      options.fail_on.push_back(*s);
    }
  }
  FERRY_ASSIGN_OR_RETURN(options.psi_threshold, args.Double("psi_threshold", 0.2, 0.0, 1e6));
  FERRY_ASSIGN_OR_RETURN(options.missing_rate_jump,
                         args.Double("missing_rate_jump", 0.1, 0.0, 1.0));
  FERRY_ASSIGN_OR_RETURN(options.label, args.String("label", ""));
  FERRY_ASSIGN_OR_RETURN(options.exclude, args.StringList("exclude"));
  return options;
}

Result<bundle::Baseline> Profile(const fs::path& csv, const std::string& context) {
  bundle::BaselineOptions options;
  options.max_categories = train::kSchemaMaxCategories;
  Result<bundle::Baseline> profile = bundle::ProfileCsv(csv.string(), options);
  if (!profile.ok()) return profile.status().WithContext(context);
  return profile;
}

}  // namespace

Status RunValidateDataStep(const BuiltinContext& ctx) {
  const std::string& uses = ctx.uses;
  WithArgs args(ctx.with, uses, ctx.workdir);
  FERRY_ASSIGN_OR_RETURN(fs::path data_path, args.Path("data"));
  FERRY_ASSIGN_OR_RETURN(std::optional<fs::path> reference_path, args.OptionalPath("reference"));
  FERRY_ASSIGN_OR_RETURN(std::optional<fs::path> schema_path, args.OptionalPath("schema"));
  FERRY_ASSIGN_OR_RETURN(std::optional<fs::path> baseline_path, args.OptionalPath("baseline"));
  FERRY_ASSIGN_OR_RETURN(train::ValidateDataOptions options, ReadOptions(args, uses));
  std::ostream* log = ctx.log;

  Result<train::DataTable> data = train::ReadDataTable(data_path.string());
  if (!data.ok()) return data.status().WithContext(uses + ": with.data");
  FERRY_ASSIGN_OR_RETURN(bundle::Baseline data_profile, Profile(data_path, uses + ": with.data"));
  if (log) {
    *log << "data " << data_path.string() << ": " << data->rows() << " rows, "
         << data->columns.size() << " columns\n";
  }

  // The schema: from the reference, else the given file, else the data.
  std::optional<bundle::Baseline> reference_profile;
  train::DataSchema schema;
  bool compare = true;
  if (reference_path.has_value()) {
    FERRY_ASSIGN_OR_RETURN(reference_profile, Profile(*reference_path, uses + ": with.reference"));
    schema = train::SchemaFromProfile(*reference_profile);
    if (log) {
      *log << "schema: inferred from " << reference_path->string()
           << (schema_path.has_value() ? " (with.schema is ignored when a reference is given)" : "")
           << "\n";
    }
  } else if (schema_path.has_value()) {
    Result<std::string> json = ReadFile(*schema_path, size_t{256} << 20);
    if (!json.ok()) return json.status().WithContext(uses + ": with.schema");
    Result<train::DataSchema> parsed = train::ParseSchemaJson(*json, schema_path->string());
    if (!parsed.ok()) return parsed.status().WithContext(uses + ": with.schema");
    schema = std::move(*parsed);
    if (log) *log << "schema: read from " << schema_path->string() << "\n";
  } else {
    schema = train::SchemaFromProfile(data_profile);
    compare = false;
    if (log) *log << "schema: inferred from the data (no reference or schema to compare with)\n";
  }

  // The drift baseline: the given one, else the reference's profile.
  std::optional<bundle::Baseline> baseline;
  if (baseline_path.has_value()) {
    Result<bundle::Baseline> loaded = train::LoadBaseline(*baseline_path);
    if (!loaded.ok()) return loaded.status().WithContext(uses + ": with.baseline");
    baseline = std::move(*loaded);
    if (log) *log << "baseline: " << baseline_path->string() << "\n";
  } else if (reference_profile.has_value()) {
    baseline = reference_profile;
    if (log) *log << "baseline: the reference's profile\n";
  } else if (log) {
    *log << "baseline: none (no drift check)\n";
  }

  train::ValidationInputs inputs;
  inputs.data = &*data;
  inputs.data_profile = &data_profile;
  inputs.schema = compare ? &schema : nullptr;
  inputs.baseline = baseline.has_value() ? &*baseline : nullptr;
  train::ValidationReport report = train::ValidateData(inputs, options);

  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"report", train::ValidationReportToJson(report)},
        std::pair<std::string, std::string>{"schema", train::SchemaToJson(schema)}}) {
    fs::path out = ctx.outputs / name;
    Status written = WriteFileAtomic(out, bytes);
    if (!written.ok()) return written.WithContext(uses + ": writing " + out.string());
  }

  if (log) {
    *log << "anomalies: " << report.errors << " error(s), " << report.warnings << " warning(s)\n";
    for (const train::Anomaly& a : report.anomalies) {
      *log << "  " << train::SeverityName(a.severity) << " " << a.kind << ": " << a.message << "\n";
    }
    *log << (report.passed ? "passed\n" : "failed\n");
  }
  std::string failure = train::FailureSummary(report, options);
  if (!failure.empty()) return FailedPrecondition(uses + ": " + failure);
  return Status::Ok();
}

}  // namespace ferry::pipeline
