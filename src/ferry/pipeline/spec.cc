#include "ferry/pipeline/spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "ferry/base/duration.h"

namespace ferry::pipeline {

std::string FormatDiagnostic(std::string_view file, const Diagnostic& d) {
  std::string out(file);
  if (d.pos.line > 0) {
    out += ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column);
  }
  return out + ": " + d.message;
}

SourcePos Value::At(size_t offset) const {
  if (content_column == 0) return pos;
  return SourcePos{pos.line, content_column + static_cast<int>(offset)};
}

const StepSpec* PipelineSpec::FindStep(std::string_view step) const {
  for (const StepSpec& s : steps) {
    if (s.name == step) return &s;
  }
  return nullptr;
}

const ParamSpec* PipelineSpec::FindParam(std::string_view param) const {
  for (const ParamSpec& p : params) {
    if (p.name == param) return &p;
  }
  return nullptr;
}

namespace {

bool NameChar(char c, bool dot) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (dot && c == '.');
}

// [A-Za-z0-9_][A-Za-z0-9_-]* (dots too when `dot`), at most `max` characters.
bool ValidName(std::string_view s, size_t max, bool dot = false) {
  if (s.empty() || s.size() > max || s[0] == '-' || s[0] == '.') return false;
  for (char c : s) {
    if (!NameChar(c, dot)) return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      lines_.push_back(text.substr(start, nl == text.npos ? text.npos : nl - start));
      if (nl == text.npos) break;
      start = nl + 1;
    }
  }

  ParsedPipeline Run() {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text_));
    } catch (const YAML::Exception& e) {
      out_.problems.push_back(
          {SourcePos{e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg});
      return std::move(out_);
    }
    if (!root.IsMap()) {
      Add(root, "a pipeline file must be a mapping with apiVersion, kind, name and steps");
      return std::move(out_);
    }
    try {
      Top(root);
    } catch (const YAML::Exception& e) {
      // Not expected after a successful Load; reported rather than thrown.
      out_.problems.push_back({SourcePos{e.mark.line + 1, e.mark.column + 1}, e.msg});
    }
    return std::move(out_);
  }

 private:
  static SourcePos PosOf(const YAML::Node& n) {
    if (!n.IsDefined() || n.Mark().line < 0) return {};
    return SourcePos{n.Mark().line + 1, n.Mark().column + 1};
  }
  void Add(SourcePos pos, std::string message) {
    out_.problems.push_back({pos, std::move(message)});
  }
  void Add(const YAML::Node& n, std::string message) { Add(PosOf(n), std::move(message)); }

  static std::string Describe(const YAML::Node& n) {
    if (n.IsNull()) return "nothing";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "'" + n.Scalar() + "'";
  }

  // The entries of a mapping, first occurrence of each key; reports
  // duplicate keys and keys outside `allowed` (where = " in step 'x'").
  std::map<std::string, std::pair<YAML::Node, YAML::Node>> Entries(
      const YAML::Node& map, const std::set<std::string>& allowed, const std::string& where) {
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> out;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        Add(it->first, "keys must be strings" + where);
        continue;
      }
      std::string key = it->first.Scalar();
      if (out.count(key)) {
        Add(it->first, "duplicate key '" + key + "'" + where);
        continue;
      }
      if (!allowed.empty() && !allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Add(it->first, "unknown key '" + key + "'" + where + "; expected one of: " + list);
        continue;
      }
      out.emplace(key, std::make_pair(it->first, it->second));
    }
    return out;
  }

  // A scalar's text, or a problem when it is not a scalar.
  std::optional<std::string> Scalar(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      Add(n, what + ": expected a string, got " + Describe(n));
      return std::nullopt;
    }
    return n.Scalar();
  }

  Value ToValue(const YAML::Node& n) {
    Value v;
    v.pos = PosOf(n);
    if (n.IsSequence()) {
      v.kind = Value::Kind::kList;
      for (const auto& item : n) v.entries.push_back({"", ToValue(item)});
    } else if (n.IsMap()) {
      v.kind = Value::Kind::kMap;
      for (auto it = n.begin(); it != n.end(); ++it) {
        v.entries.push_back({it->first.Scalar(), ToValue(it->second)});
      }
    } else {
      v.scalar = n.IsNull() ? "" : n.Scalar();
      v.content_column = ContentColumn(n, v.scalar);
    }
    return v;
  }

  // See Value::content_column.
  int ContentColumn(const YAML::Node& n, const std::string& scalar) const {
    if (n.Mark().line < 0 || static_cast<size_t>(n.Mark().line) >= lines_.size()) return 0;
    if (scalar.find('\n') != std::string::npos) return 0;
    std::string_view line = lines_[n.Mark().line];
    size_t col = n.Mark().column;
    if (col >= line.size()) return 0;
    if (line[col] == '"' || line[col] == '\'') ++col;
    if (line.substr(col, scalar.size()) != scalar) return 0;
    return static_cast<int>(col) + 1;
  }

  void Top(const YAML::Node& root) {
    auto e = Entries(root, {"apiVersion", "kind", "name", "params", "schedule", "steps"}, "");
    auto require = [&](const char* key) -> const YAML::Node* {
      auto it = e.find(key);
      if (it == e.end()) {
        Add(root, std::string("missing required key '") + key + "'");
        return nullptr;
      }
      return &it->second.second;
    };
    if (const YAML::Node* n = require("apiVersion")) {
      auto v = Scalar(*n, "apiVersion");
      if (v && *v != "ferry/v1") Add(*n, "apiVersion must be 'ferry/v1', got '" + *v + "'");
    }
    if (const YAML::Node* n = require("kind")) {
      auto v = Scalar(*n, "kind");
      if (v && *v != "Pipeline") Add(*n, "kind must be 'Pipeline', got '" + *v + "'");
    }
    if (const YAML::Node* n = require("name")) {
      auto v = Scalar(*n, "name");
      if (v && !ValidName(*v, 128, true)) {
        Add(*n, "name '" + *v + "' is not valid: expected [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
      } else if (v) {
        out_.spec.name = *v;
      }
    }
    if (auto it = e.find("params"); it != e.end()) Params(it->second.second);
    if (auto it = e.find("schedule"); it != e.end()) {
      auto v = Scalar(it->second.second, "schedule");
      if (v) {
        out_.spec.schedule = *v;
        out_.spec.schedule_pos = PosOf(it->second.second);
      }
    }
    if (const YAML::Node* n = require("steps")) {
      if (!n->IsSequence() || n->size() == 0) {
        Add(*n, "steps: expected a non-empty list of steps, got " + Describe(*n));
      } else {
        for (const auto& step : *n) Step(step);
      }
    }
  }

  void Params(const YAML::Node& n) {
    if (n.IsNull()) return;
    if (!n.IsMap()) {
      Add(n, "params: expected a mapping of name: default, got " + Describe(n));
      return;
    }
    for (auto& [key, kv] : Entries(n, {}, " in params")) {
      ParamSpec p;
      p.name = key;
      p.pos = PosOf(kv.first);
      if (!ValidName(key, 64)) {
        Add(kv.first, "param name '" + key + "' is not valid: expected [A-Za-z0-9_][A-Za-z0-9_-]*");
        continue;
      }
      if (kv.second.IsScalar()) {
        p.default_value = kv.second.Scalar();
      } else if (!kv.second.IsNull()) {
        Add(kv.second,
            "param '" + key + "': the default must be a string, got " + Describe(kv.second));
      }
      out_.spec.params.push_back(std::move(p));
    }
    std::sort(out_.spec.params.begin(), out_.spec.params.end(),
              [](const ParamSpec& a, const ParamSpec& b) {
                return a.pos.line != b.pos.line ? a.pos.line < b.pos.line
                                                : a.pos.column < b.pos.column;
              });
  }

  void Step(const YAML::Node& n) {
    if (!n.IsMap()) {
      Add(n, "each step must be a mapping with a name, got " + Describe(n));
      return;
    }
    StepSpec s;
    s.pos = PosOf(n);
    std::string where = " in step #" + std::to_string(out_.spec.steps.size() + 1);
    if (YAML::Node name = n["name"]; name.IsDefined() && name.IsScalar()) {
      where = " in step '" + name.Scalar() + "'";
    }
    auto e = Entries(n,
                     {"name", "uses", "run", "with", "needs", "when", "retries", "timeout", "env",
                      "cache", "outputs", "image"},
                     where);
    if (auto it = e.find("name"); it == e.end()) {
      Add(n, "missing required key 'name'" + where);
    } else if (auto v = Scalar(it->second.second, "name")) {
      if (!ValidName(*v, 64)) {
        Add(it->second.second,
            "step name '" + *v + "' is not valid: expected [A-Za-z0-9_][A-Za-z0-9_-]{0,63}");
      }
      s.name = *v;
    }
    auto uses = e.find("uses");
    auto run = e.find("run");
    if (uses != e.end() && run != e.end()) {
      Add(uses->second.first, "step has both 'uses' and 'run'" + where + "; give exactly one");
    } else if (uses == e.end() && run == e.end()) {
      Add(n, "step has neither 'uses' nor 'run'" + where + "; give exactly one");
    } else if (uses != e.end()) {
      if (auto v = Scalar(uses->second.second, "uses")) {
        s.uses = *v;
        s.body = ToValue(uses->second.second);
      }
    } else if (auto v = Scalar(run->second.second, "run")) {
      s.run = *v;
      s.body = ToValue(run->second.second);
      if (v->empty()) Add(run->second.second, "run: the command is empty" + where);
    }
    if (auto it = e.find("with"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      if (!w.IsMap()) {
        Add(w, "with: expected a mapping, got " + Describe(w));
      } else {
        for (auto& [key, kv] : Entries(w, {}, " in with" + where)) {
          s.with.emplace_back(key, ToValue(kv.second));
        }
      }
    }
    if (auto it = e.find("env"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      if (!w.IsMap()) {
        Add(w, "env: expected a mapping of NAME: value, got " + Describe(w));
      } else {
        for (auto& [key, kv] : Entries(w, {}, " in env" + where)) {
          bool ok_name = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
          for (char c : key) ok_name = ok_name && (NameChar(c, false) && c != '-');
          if (!ok_name) {
            Add(kv.first, "env name '" + key + "' is not valid: expected [A-Za-z_][A-Za-z0-9_]*");
          } else if (!kv.second.IsScalar() && !kv.second.IsNull()) {
            Add(kv.second, "env " + key + ": expected a string, got " + Describe(kv.second));
          } else {
            s.env.emplace_back(key, ToValue(kv.second));
          }
        }
      }
    }
    if (auto it = e.find("needs"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      if (w.IsScalar()) {
        s.needs.emplace_back(w.Scalar(), PosOf(w));
      } else if (w.IsSequence()) {
        for (const auto& item : w) {
          if (auto v = Scalar(item, "needs")) s.needs.emplace_back(*v, PosOf(item));
        }
      } else {
        Add(w, "needs: expected a step name or a list of step names, got " + Describe(w));
      }
    }
    if (auto it = e.find("when"); it != e.end()) {
      if (Scalar(it->second.second, "when")) s.when = ToValue(it->second.second);
    }
    if (auto it = e.find("retries"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      std::string v = w.IsScalar() ? w.Scalar() : "";
      bool digits = !v.empty() && v.size() <= 3;
      for (char c : v) digits = digits && c >= '0' && c <= '9';
      if (!digits || std::stoi(v) > 100) {
        Add(w, "retries: expected an integer from 0 to 100, got " + Describe(w));
      } else {
        s.retries = std::stoi(v);
      }
    }
    if (auto it = e.find("timeout"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      Result<int64_t> ms = w.IsScalar()
                               ? ParseDurationMs(w.Scalar())
                               : Result<int64_t>(InvalidArgument(
                                     "expected a duration like 30s, 5m or 1h, got " + Describe(w)));
      if (ms.ok()) {
        s.timeout_ms = *ms;
      } else {
        Add(w, "timeout: " + ms.status().message());
      }
    }
    if (auto it = e.find("image"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      if (w.IsScalar() && !w.Scalar().empty() && w.Scalar().find("${{") == std::string::npos) {
        s.image = w.Scalar();
      } else {
        Add(w, "image: expected a container image name (no expressions), got " + Describe(w));
      }
    }
    if (auto it = e.find("cache"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      std::string v = w.IsScalar() ? w.Scalar() : "";
      if (v == "true" || v == "false") {
        s.cache = v == "true";
      } else {
        Add(w, "cache: expected true or false, got " + Describe(w));
      }
    }
    if (auto it = e.find("outputs"); it != e.end()) {
      const YAML::Node& w = it->second.second;
      s.outputs_declared = true;
      s.outputs_pos = PosOf(w);
      if (!w.IsSequence()) {
        Add(w, "outputs: expected a list of output names, got " + Describe(w));
      } else {
        std::set<std::string> seen;
        for (const auto& item : w) {
          auto v = Scalar(item, "outputs");
          if (!v) continue;
          if (!ValidName(*v, 64)) {
            Add(item, "output name '" + *v + "' is not valid: expected [A-Za-z0-9_][A-Za-z0-9_-]*");
          } else if (!seen.insert(*v).second) {
            Add(item, "duplicate output '" + *v + "'" + where);
          } else {
            s.outputs.push_back(*v);
          }
        }
      }
    }
    out_.spec.steps.push_back(std::move(s));
  }

  std::string_view text_;
  std::vector<std::string_view> lines_;
  ParsedPipeline out_;
};

}  // namespace

ParsedPipeline ParsePipeline(std::string_view text) { return Parser(text).Run(); }

}  // namespace ferry::pipeline
