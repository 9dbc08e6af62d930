#include "ferry/train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "ferry/base/json_writer.h"
#include "ferry/table/number.h"

namespace ferry::train {

namespace {

constexpr int64_t kBatchRows = 4096;

std::string Num(double v) {
  std::string s;
  JsonWriter(&s).Double(v);
  return s;
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

int64_t NumClasses(const bundle::Bundle& b) {
  if (b.manifest.task != Task::kMulticlassClassification) return 0;
  const Shape& shape = b.manifest.signature.outputs.at(0).shape;
  return shape.rank() == 2 ? shape.dims()[1] : 0;
}

Status CheckKey(const DataTable& table, const std::string& key,
                const std::vector<std::string>& features) {
  const int64_t col = table.ColumnIndex(key);
  if (col < 0) return NotFound(table.name + ": no column '" + key + "' (the key)");
  if (std::find(features.begin(), features.end(), key) != features.end()) {
    return InvalidArgument("key column '" + key + "' is one of the model's features");
  }
  std::set<std::string_view> seen;
  for (int64_t r = 0; r < table.rows(); ++r) {
    const std::string& v = table.cells[col][r];
    if (table::IsMissingValue(v)) {
      return InvalidArgument(table.name + ":" + std::to_string(table.lines[r]) + ": key column '" +
                             key + "' is missing a value");
    }
    if (!seen.insert(v).second) {
      return InvalidArgument(table.name + ":" + std::to_string(table.lines[r]) + ": key '" + v +
                             "' repeats (column '" + key + "')");
    }
  }
  return Status::Ok();
}

Result<std::string> InferLabel(const DataTable& table, const bundle::Bundle& candidate,
                               const std::string& key) {
  const std::vector<std::string>& features = candidate.manifest.signature.inputs.at(0).features;
  std::vector<std::string> rest;
  for (const std::string& c : table.columns) {
    if (c == key || std::find(features.begin(), features.end(), c) != features.end()) continue;
    rest.push_back(c);
  }
  if (rest.size() == 1) return rest[0];
  std::string list;
  for (const std::string& c : rest) list += (list.empty() ? "" : ", ") + c;
  return InvalidArgument("no label column given and " + table.name + " has " +
                         std::to_string(rest.size()) + " columns besides the model's features" +
                         (key.empty() ? "" : " and the key") +
                         (rest.empty() ? std::string() : " (" + list + ")") + "; give with.label");
}

std::string DescribeFailure(const GateCheck& c) {
  if (c.rule == "min") {
    return c.metric + " " + Num(c.value) + (HigherIsBetter(c.metric) ? " < min " : " > max ") +
           Num(c.limit);
  }
  return c.metric + " " + (c.rule == "max_drop" ? "dropped by " : "dropped by a fraction of ") +
         Num(c.value) + " > " + c.rule + " " + Num(c.limit);
}

void WriteModel(JsonWriter& w, const EvaluatedModel& m, bool with_reference) {
  w.BeginObject();
  if (with_reference) w.Key("reference").String(m.reference);
  w.Key("digest").String(m.digest);
  w.Key("metrics").Raw(MetricsToJson(m.metrics));
  w.EndObject();
}

}  // namespace

Result<std::vector<double>> LabelColumn(const DataTable& table, const std::string& column) {
  const int64_t col = table.ColumnIndex(column);
  if (col < 0) return NotFound(table.name + ": no label column '" + column + "'");
  std::vector<double> out(table.rows());
  for (int64_t r = 0; r < table.rows(); ++r) {
    const std::string& cell = table.cells[col][r];
    const std::string where =
        table.name + ":" + std::to_string(table.lines[r]) + ": label column '" + column + "'";
    if (table::IsMissingValue(cell)) return InvalidArgument(where + " is missing a value");
    Result<double> d = table::ParseNumber(cell);
    if (!d.ok() || !std::isfinite(*d)) {
      return InvalidArgument(where + ": '" + cell + "' is not a finite number");
    }
    out[r] = *d;
  }
  return out;
}

Result<Scores> ScoreTable(const bundle::Bundle& b, const DataTable& table) {
  const Signature& sig = b.manifest.signature;
  if (sig.inputs.size() != 1 || sig.outputs.empty()) {
    return FailedPrecondition("bundle " + b.manifest.name +
                              ": expected one input tensor of features and an output");
  }
  const std::vector<std::string>& names = sig.inputs[0].features;
  if (names.empty()) {
    return FailedPrecondition("bundle " + b.manifest.name +
                              ": its signature names no features, so table columns cannot be "
                              "matched to the model's inputs");
  }
  const size_t nf = names.size();
  std::vector<std::vector<float>> columns;
  columns.reserve(nf);
  for (const std::string& name : names) {
    const int64_t col = table.ColumnIndex(name);
    if (col < 0) {
      return NotFound(table.name + ": no column '" + name + "' (a feature of model " +
                      b.manifest.name + ")");
    }
    FERRY_ASSIGN_OR_RETURN(std::vector<float> values, NumericColumn(table, col));
    columns.push_back(std::move(values));
  }
  Scores out;
  out.task = b.manifest.task;
  out.num_classes = NumClasses(b);
  const int64_t per_row = out.task == Task::kMulticlassClassification ? out.num_classes : 1;
  if (per_row < 1) return FailedPrecondition("bundle " + b.manifest.name + ": unknown class count");
  out.values.reserve(static_cast<size_t>(table.rows() * per_row));

  backends::LoadOptions load;
  load.threads_per_session = 1;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Model> model, bundle::LoadModel(b, load));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Session> session, model->NewSession());
  std::vector<float> batch;
  for (int64_t begin = 0; begin < table.rows(); begin += kBatchRows) {
    const int64_t n = std::min(kBatchRows, table.rows() - begin);
    batch.resize(static_cast<size_t>(n) * nf);
    for (int64_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < nf; ++c) batch[r * nf + c] = columns[c][begin + r];
    }
    TensorView view(DataType::kFp32, Shape{n, static_cast<int64_t>(nf)}, batch.data());
    FERRY_ASSIGN_OR_RETURN(std::span<const Tensor> outputs,
                           session->Run(std::span<const TensorView>(&view, 1)));
    const Tensor& t = outputs[0];
    if (t.type() != DataType::kFp32 || t.NumElements() != n * per_row) {
      return Internal("bundle " + b.manifest.name + ": the model returned " +
                      std::to_string(t.NumElements()) + " values for " + std::to_string(n) +
                      " rows");
    }
    for (float v : t.Data<float>()) out.values.push_back(v);
  }
  return out;
}

Result<std::vector<GateCheck>> ApplyGate(const GateRules& rules, Task task,
                                         const MetricValues& candidate,
                                         const MetricValues* baseline) {
  const std::vector<std::string_view>& known = MetricNames(task);
  auto check_names = [&](const std::map<std::string, double>& m, const char* rule) -> Status {
    for (const auto& [name, limit] : m) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return InvalidArgument(std::string(rule) + ": unknown metric '" + name + "' for " +
                               std::string(TaskName(task)) + "; available: " + JoinNames(known));
      }
      if (!std::isfinite(limit)) {
        return InvalidArgument(std::string(rule) + "." + name +
                               ": the limit must be a finite number");
      }
    }
    return Status::Ok();
  };
  FERRY_RETURN_IF_ERROR(check_names(rules.min, "min"));
  FERRY_RETURN_IF_ERROR(check_names(rules.max_drop, "max_drop"));
  FERRY_RETURN_IF_ERROR(check_names(rules.max_relative_drop, "max_relative_drop"));

  // A metric absent from a map counts as undefined (NaN): its checks fail.
  auto get = [](const MetricValues& m, const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
  };
  std::vector<GateCheck> checks;
  for (const auto& [name, limit] : rules.min) {
    GateCheck c{name, "min", get(candidate, name), limit, false};
    c.passed = HigherIsBetter(name) ? c.value >= limit : c.value <= limit;
    checks.push_back(c);
  }
  if (baseline == nullptr) return checks;
  auto drop_of = [&](const std::string& name) {
    const double cand = get(candidate, name), base = get(*baseline, name);
    return HigherIsBetter(name) ? base - cand : cand - base;
  };
  for (const auto& [name, limit] : rules.max_drop) {
    GateCheck c{name, "max_drop", drop_of(name), limit, false};
    c.passed = c.value <= limit;  // false for NaN
    checks.push_back(c);
  }
  for (const auto& [name, limit] : rules.max_relative_drop) {
    const double drop = drop_of(name);
    const double base = std::fabs(get(*baseline, name));
    double relative = drop / base;
    if (base == 0 && !std::isnan(drop)) {
      relative = drop > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }
    GateCheck c{name, "max_relative_drop", relative, limit, false};
    c.passed = c.value <= limit;
    checks.push_back(c);
  }
  return checks;
}

Result<Evaluation> Evaluate(const bundle::Bundle& candidate, const bundle::Bundle* baseline,
                            const DataTable& table, const EvaluateOptions& options) {
  if (table.rows() == 0) return InvalidArgument(table.name + ": no data rows to evaluate on");
  Evaluation e;
  e.task = candidate.manifest.task;
  e.data_sha256 = table.source_sha256;
  e.rows = table.rows();
  e.key = options.key;
  if (baseline != nullptr) {
    if (baseline->manifest.task != e.task) {
      return InvalidArgument("baseline " + options.baseline_reference + " is a " +
                             std::string(TaskName(baseline->manifest.task)) +
                             " model but the candidate is a " + std::string(TaskName(e.task)) +
                             " model");
    }
    if (NumClasses(*baseline) != NumClasses(candidate)) {
      return InvalidArgument("baseline " + options.baseline_reference + " predicts " +
                             std::to_string(NumClasses(*baseline)) +
                             " classes but the candidate predicts " +
                             std::to_string(NumClasses(candidate)));
    }
  }
  if (!options.key.empty()) {
    FERRY_RETURN_IF_ERROR(
        CheckKey(table, options.key, candidate.manifest.signature.inputs.at(0).features));
  }
  e.label = options.label;
  if (e.label.empty()) {
    FERRY_ASSIGN_OR_RETURN(e.label, InferLabel(table, candidate, options.key));
  }
  FERRY_ASSIGN_OR_RETURN(std::vector<double> labels, LabelColumn(table, e.label));

  auto measure = [&](const bundle::Bundle& b, EvaluatedModel* out) -> Status {
    FERRY_ASSIGN_OR_RETURN(Scores scores, ScoreTable(b, table));
    MetricInput in;
    in.task = scores.task;
    in.num_classes = scores.num_classes;
    in.labels = labels;
    in.scores = std::move(scores.values);
    in.threshold = options.threshold;
    Result<MetricValues> metrics = ComputeMetrics(in);
    if (!metrics.ok()) return metrics.status().WithContext(table.name);
    out->metrics = std::move(*metrics);
    FERRY_ASSIGN_OR_RETURN(out->digest, bundle::ComputeDigest(b.root));
    return Status::Ok();
  };
  FERRY_RETURN_IF_ERROR(measure(candidate, &e.candidate).WithContext("candidate"));
  if (baseline != nullptr) {
    EvaluatedModel base;
    base.reference = options.baseline_reference;
    FERRY_RETURN_IF_ERROR(measure(*baseline, &base).WithContext("baseline " + base.reference));
    e.baseline = std::move(base);
  }
  FERRY_ASSIGN_OR_RETURN(e.checks, ApplyGate(options.rules, e.task, e.candidate.metrics,
                                             e.baseline ? &e.baseline->metrics : nullptr));
  e.blessed =
      std::all_of(e.checks.begin(), e.checks.end(), [](const GateCheck& c) { return c.passed; });

  std::string failed;
  for (const GateCheck& c : e.checks) {
    if (!c.passed) failed += (failed.empty() ? "" : "; ") + DescribeFailure(c);
  }
  if (e.checks.empty()) {
    e.note = "blessed: no checks configured";
  } else if (e.blessed) {
    e.note = "blessed: all " + std::to_string(e.checks.size()) + " checks passed";
  } else {
    e.note = "not blessed: " + failed;
  }
  if (baseline == nullptr) {
    const bool skipped =
        !options.rules.max_drop.empty() || !options.rules.max_relative_drop.empty();
    std::string why = options.no_baseline_note.empty() ? "no baseline" : options.no_baseline_note;
    e.note += "; " + why + (skipped ? " (max_drop and max_relative_drop checks skipped)" : "");
  }
  return e;
}

std::string EvaluationToJson(const Evaluation& e) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("format").String("ferry.evaluation/v1");
  w.Key("blessed").Bool(e.blessed);
  w.Key("task").String(TaskName(e.task));
  w.Key("data").BeginObject();
  w.Key("sha256").String(e.data_sha256);
  w.Key("rows").Int(e.rows);
  w.Key("label").String(e.label);
  if (!e.key.empty()) w.Key("key").String(e.key);
  w.EndObject();
  w.Key("candidate");
  WriteModel(w, e.candidate, false);
  w.Key("baseline");
  if (e.baseline) {
    WriteModel(w, *e.baseline, true);
  } else {
    w.Null();
  }
  w.Key("checks").BeginArray();
  for (const GateCheck& c : e.checks) {
    w.BeginObject();
    w.Key("metric").String(c.metric);
    w.Key("rule").String(c.rule);
    w.Key("value").Double(c.value);
    w.Key("limit").Double(c.limit);
    w.Key("passed").Bool(c.passed);
    w.EndObject();
  }
  w.EndArray();
  w.Key("note").String(e.note);
  w.EndObject();
  out += '\n';
  return out;
}

}  // namespace ferry::train
