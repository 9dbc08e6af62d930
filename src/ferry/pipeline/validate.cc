#include "ferry/pipeline/validate.h"

#include <algorithm>
#include <map>
#include <set>

#include "ferry/pipeline/builtins.h"
#include "ferry/pipeline/condition.h"
#include "ferry/pipeline/cron.h"
#include "ferry/pipeline/dag.h"
#include "ferry/pipeline/expressions.h"

namespace ferry::pipeline {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Calls f(value) for every scalar inside v.
template <typename F>
void ForEachScalar(const Value& v, const F& f) {
  if (v.kind == Value::Kind::kScalar) {
    f(v);
    return;
  }
  for (const auto& [key, item] : v.entries) ForEachScalar(item, f);
}

class Checker {
 public:
  explicit Checker(const PipelineSpec& spec) : spec_(spec), dag_(Dag::Build(spec)) {
    for (const ParamSpec& p : spec.params) param_names_.push_back(p.name);
  }

  std::vector<Diagnostic> Run() {
    StepNames();
    Cycles();
    for (size_t i = 0; i < spec_.steps.size(); ++i) Step(static_cast<int>(i));
    if (!spec_.schedule.empty()) {
      Result<CronSchedule> cron = ParseCron(spec_.schedule);
      if (!cron.ok()) {
        Add(spec_.schedule_pos, "schedule '" + spec_.schedule + "': " + cron.status().message());
      }
    }
    return std::move(problems_);
  }

 private:
  void Add(SourcePos pos, std::string message) { problems_.push_back({pos, std::move(message)}); }

  int IndexOf(const std::string& name) const {
    for (size_t i = 0; i < spec_.steps.size(); ++i) {
      if (spec_.steps[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  void StepNames() {
    std::map<std::string, int> first;
    for (const StepSpec& s : spec_.steps) {
      if (s.name.empty()) continue;
      auto [it, fresh] = first.emplace(s.name, s.pos.line);
      if (!fresh) {
        Add(s.pos, "duplicate step name '" + s.name + "' (first defined at line " +
                       std::to_string(it->second) + ")");
      }
    }
    for (const StepSpec& s : spec_.steps) {
      for (const auto& [need, pos] : s.needs) {
        if (need == s.name) {
          Add(pos, "step '" + s.name + "' needs itself");
        } else if (IndexOf(need) < 0) {
          Add(pos, "step '" + s.name + "' needs unknown step '" + need + "'");
        }
      }
    }
  }

  void Cycles() {
    for (const std::vector<int>& cycle : dag_.Cycles()) {
      std::string path;
      for (int i : cycle) path += spec_.steps[i].name + " -> ";
      path += spec_.steps[cycle.front()].name;
      const StepSpec& first = spec_.steps[cycle.front()];
      const std::string& next = spec_.steps[cycle.size() > 1 ? cycle[1] : cycle[0]].name;
      SourcePos pos = first.pos;
      for (const auto& [need, p] : first.needs) {
        if (need == next) pos = p;
      }
      Add(pos, "cycle in needs: " + path);
    }
  }

  // The `with` keys of a built-in step: required ones present, no others.
  void BuiltinWith(const StepSpec& s, const BuiltinInfo& b) {
    auto listed = [](const std::vector<std::string_view>& keys, const std::string& k) {
      return std::find(keys.begin(), keys.end(), k) != keys.end();
    };
    for (const auto& [key, v] : s.with) {
      if (listed(b.required, key) || listed(b.optional, key)) continue;
      std::vector<std::string> known;
      for (auto k : b.required) known.emplace_back(k);
      for (auto k : b.optional) known.emplace_back(k);
      std::sort(known.begin(), known.end());
      Add(v.pos, "unknown key 'with." + key + "' for " + s.uses + "; it takes: " + Join(known));
    }
    for (auto k : b.required) {
      bool given = std::any_of(s.with.begin(), s.with.end(),
                               [&](const auto& entry) { return entry.first == k; });
      if (!given) {
        Add(s.body.pos, s.uses + " needs 'with." + std::string(k) + "'");
      }
    }
    if (s.outputs_declared) {
      Add(s.outputs_pos, "outputs: a built-in step has fixed outputs (" + s.uses + " writes: " +
                             Join(std::vector<std::string>(b.outputs.begin(), b.outputs.end())) +
                             ")");
    }
  }

  void Step(int i) {
    const StepSpec& s = spec_.steps[i];
    if (!s.uses.empty()) {
      if (s.uses.find("${{") != std::string::npos) {
        Add(s.body.pos, "uses: expressions are not allowed here, name a built-in step");
      } else if (const BuiltinInfo* b = FindBuiltin(s.uses)) {
        BuiltinWith(s, *b);
      } else {
        std::vector<std::string> known;
        for (auto name : KnownBuiltins()) known.emplace_back(name);
        Add(s.body.pos, "unknown built-in step '" + s.uses + "'; known: " + Join(known));
      }
    } else if (!s.run.empty()) {
      Text(i, s.body, "run");
    }
    for (const auto& entry : s.with) {
      const std::string field = "with." + entry.first;
      ForEachScalar(entry.second, [&](const Value& scalar) { Text(i, scalar, field); });
    }
    for (const auto& [key, v] : s.env) Text(i, v, "env." + key);
    if (s.when) {
      Result<Condition> c = Condition::Parse(s.when->scalar);
      if (!c.ok()) {
        Add(s.when->pos, c.status().message());
      } else {
        for (const Reference& ref : c->refs()) {
          if (ref.kind == RefKind::kOwnOutput) {
            Add(s.when->At(ref.offset), "when: ${{ " + ref.text +
                                            " }} is this step's own output, which does not "
                                            "exist before the step runs");
          } else {
            Ref(i, ref, s.when->At(ref.offset));
          }
        }
      }
    }
  }

  void Text(int i, const Value& v, const std::string& field) {
    (void)field;
    ExpressionScan scan = ScanExpressions(v.scalar);
    for (const ExpressionError& e : scan.errors) Add(v.At(e.offset), e.message);
    for (const Reference& ref : scan.refs) Ref(i, ref, v.At(ref.offset));
  }

  void Ref(int i, const Reference& ref, SourcePos pos) {
    const StepSpec& s = spec_.steps[i];
    std::string expr = "${{ " + ref.text + " }}";
    switch (ref.kind) {
      case RefKind::kParam:
        if (!spec_.FindParam(ref.name)) {
          Add(pos, "unknown param '" + ref.name + "' in " + expr +
                       (param_names_.empty() ? "; the pipeline has no params"
                                             : "; params: " + Join(param_names_)));
        }
        return;
      case RefKind::kOwnOutput:
        if (s.outputs_declared &&
            std::find(s.outputs.begin(), s.outputs.end(), ref.name) == s.outputs.end()) {
          Add(pos, "output '" + ref.name + "' in " + expr + " is not among step '" + s.name +
                       "''s declared outputs (" + Join(s.outputs) + ")");
        }
        return;
      case RefKind::kStepOutput:
        break;
    }
    int j = IndexOf(ref.step);
    if (j < 0) {
      Add(pos, "unknown step '" + ref.step + "' in " + expr);
      return;
    }
    if (j == i) {
      Add(pos, "step '" + s.name + "' refers to its own output with " + expr +
                   "; use ${{ outputs." + ref.name + " }}");
      return;
    }
    if (!dag_.TransitivelyNeeds(i, j)) {
      Add(pos, "step '" + s.name + "' uses " + expr + " but does not need '" + ref.step +
                   "' (add it to needs, directly or through another step)");
    }
    std::optional<std::vector<std::string>> outputs = OutputsOf(spec_.steps[j]);
    if (outputs && std::find(outputs->begin(), outputs->end(), ref.name) == outputs->end()) {
      Add(pos, "step '" + ref.step + "' has no output '" + ref.name + "' (" +
                   (outputs->empty() ? std::string("it has no outputs")
                                     : "its outputs: " + Join(*outputs)) +
                   ")");
    }
  }

  const PipelineSpec& spec_;
  Dag dag_;
  std::vector<std::string> param_names_;
  std::vector<Diagnostic> problems_;
};

}  // namespace

std::optional<std::vector<std::string>> OutputsOf(const StepSpec& step) {
  if (!step.uses.empty()) {
    const BuiltinInfo* b = FindBuiltin(step.uses);
    if (b == nullptr) return std::nullopt;
    return std::vector<std::string>(b->outputs.begin(), b->outputs.end());
  }
  if (step.outputs_declared) return step.outputs;
  std::vector<std::string> names;
  auto collect = [&](const Value& v) {
    for (const Reference& r : ScanExpressions(v.scalar).refs) {
      if (r.kind == RefKind::kOwnOutput &&
          std::find(names.begin(), names.end(), r.name) == names.end()) {
        names.push_back(r.name);
      }
    }
  };
  collect(step.body);
  for (const auto& [key, v] : step.with) ForEachScalar(v, collect);
  for (const auto& [key, v] : step.env) collect(v);
  return names;
}

std::vector<Diagnostic> CheckPipeline(const PipelineSpec& spec) { return Checker(spec).Run(); }

LoadedPipeline LoadPipelineText(std::string_view text) {
  ParsedPipeline parsed = ParsePipeline(text);
  LoadedPipeline out;
  out.problems = std::move(parsed.problems);
  bool syntax_error =
      !out.problems.empty() && out.problems.front().message.rfind("YAML syntax error", 0) == 0;
  if (!syntax_error) {
    std::vector<Diagnostic> more = CheckPipeline(parsed.spec);
    out.problems.insert(out.problems.end(), more.begin(), more.end());
  }
  std::stable_sort(
      out.problems.begin(), out.problems.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.column < b.pos.column;
      });
  out.spec = std::move(parsed.spec);
  return out;
}

std::string FormatProblems(std::string_view file, const std::vector<Diagnostic>& problems) {
  std::string out;
  for (const Diagnostic& d : problems) {
    out += (out.empty() ? "" : "\n") + FormatDiagnostic(file, d);
  }
  return out;
}

}  // namespace ferry::pipeline
