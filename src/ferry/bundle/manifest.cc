#include "ferry/bundle/manifest.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "ferry/backends/backend.h"
#include "ferry/base/files.h"

namespace ferry::bundle {

namespace {

// Builds error messages that name the file, the position and the field.
class Errors {
 public:
  explicit Errors(std::string_view file) : file_(file) {}

  Status At(const YAML::Node& node, std::string_view field, std::string_view what) const {
    std::string msg = file_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      msg +=
          ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }
    msg += ": field '" + std::string(field) + "': " + std::string(what);
    return InvalidArgument(std::move(msg));
  }

  Status Missing(const YAML::Node& parent, std::string_view field) const {
    return At(parent, field, "is required but missing");
  }

 private:
  std::string file_;
};

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    default:
      return "nothing";
  }
}

Result<std::string> RequireString(const Errors& e, const YAML::Node& parent, const char* key,
                                  std::string_view field) {
  YAML::Node n = parent[key];
  if (!n.IsDefined() || n.IsNull()) return e.Missing(parent, field);
  if (!n.IsScalar()) return e.At(n, field, "expected a string, got " + Describe(n));
  return n.Scalar();
}

Result<std::string> OptionalString(const Errors& e, const YAML::Node& parent, const char* key,
                                   std::string_view field) {
  YAML::Node n = parent[key];
  if (!n.IsDefined() || n.IsNull()) return std::string();
  if (!n.IsScalar()) return e.At(n, field, "expected a string, got " + Describe(n));
  return n.Scalar();
}

Status CheckKeys(const Errors& e, const YAML::Node& map, std::string_view field,
                 const std::set<std::string>& allowed) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.Scalar();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      std::string where = field.empty() ? key : std::string(field) + "." + key;
      return e.At(it->first, where, "unknown field; expected one of: " + list);
    }
  }
  return Status::Ok();
}

Status CheckRelativePath(const Errors& e, const YAML::Node& node, std::string_view field,
                         const std::string& value) {
  Result<std::filesystem::path> p = SafeRelativePath(value, "path");
  if (!p.ok()) {
    return e.At(node, field,
                "expected a relative path inside the bundle, got '" + value + "' (" +
                    p.status().message() + ")");
  }
  return Status::Ok();
}

Result<TensorSpec> ParseSpec(const Errors& e, const YAML::Node& n, const std::string& field) {
  if (!n.IsMap()) return e.At(n, field, "expected a mapping, got " + Describe(n));
  FERRY_RETURN_IF_ERROR(CheckKeys(e, n, field, {"name", "datatype", "shape", "features"}));
  TensorSpec spec;
  FERRY_ASSIGN_OR_RETURN(spec.name, RequireString(e, n, "name", field + ".name"));
  FERRY_ASSIGN_OR_RETURN(std::string dt, RequireString(e, n, "datatype", field + ".datatype"));
  std::optional<DataType> type = ParseDataType(dt);
  if (!type) {
    return e.At(n["datatype"], field + ".datatype",
                "expected a v2 datatype (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, "
                "BYTES), got '" +
                    dt + "'");
  }
  spec.datatype = *type;
  YAML::Node shape = n["shape"];
  if (!shape.IsDefined()) return e.Missing(n, field + ".shape");
  if (!shape.IsSequence() || shape.size() == 0) {
    return e.At(shape, field + ".shape",
                "expected a non-empty list of integers, got " + Describe(shape));
  }
  std::vector<int64_t> dims;
  for (const auto& d : shape) {
    try {
      int64_t v = d.as<int64_t>();
      if (v == 0 || v < -1) throw YAML::Exception(d.Mark(), "bad");
      dims.push_back(v);
    } catch (const YAML::Exception&) {
      return e.At(d, field + ".shape", "expected positive integers or -1, got " + Describe(d));
    }
  }
  spec.shape = Shape(std::move(dims));
  YAML::Node feats = n["features"];
  if (feats.IsDefined() && !feats.IsNull()) {
    if (!feats.IsSequence()) {
      return e.At(feats, field + ".features", "expected a list of names, got " + Describe(feats));
    }
    for (const auto& f : feats) {
      if (!f.IsScalar()) return e.At(f, field + ".features", "expected a name, got " + Describe(f));
      spec.features.push_back(f.Scalar());
    }
  }
  return spec;
}

Result<std::vector<TensorSpec>> ParseSpecs(const Errors& e, const YAML::Node& sig,
                                           const char* key) {
  std::string field = std::string("signature.") + key;
  YAML::Node list = sig[key];
  if (!list.IsDefined() || list.IsNull()) return e.Missing(sig, field);
  if (!list.IsSequence() || list.size() == 0) {
    return e.At(list, field, "expected a non-empty list, got " + Describe(list));
  }
  std::vector<TensorSpec> specs;
  for (size_t i = 0; i < list.size(); ++i) {
    FERRY_ASSIGN_OR_RETURN(TensorSpec s,
                           ParseSpec(e, list[i], field + "[" + std::to_string(i) + "]"));
    specs.push_back(std::move(s));
  }
  return specs;
}

Result<Manifest> ParseNode(const Errors& e, const YAML::Node& root) {
  if (!root.IsMap()) return e.At(root, "(top level)", "expected a mapping, got " + Describe(root));
  FERRY_RETURN_IF_ERROR(CheckKeys(e, root, "",
                                  {"apiVersion", "kind", "name", "framework", "artifact", "task",
                                   "signature", "baseline", "metrics", "description", "lineage"}));
  Manifest m;
  FERRY_ASSIGN_OR_RETURN(m.api_version, RequireString(e, root, "apiVersion", "apiVersion"));
  if (m.api_version != kApiVersion) {
    return e.At(root["apiVersion"], "apiVersion",
                "expected '" + std::string(kApiVersion) + "', got '" + m.api_version + "'");
  }
  FERRY_ASSIGN_OR_RETURN(m.kind, RequireString(e, root, "kind", "kind"));
  if (m.kind != kBundleKind) {
    return e.At(root["kind"], "kind",
                "expected '" + std::string(kBundleKind) + "', got '" + m.kind + "'");
  }
  FERRY_ASSIGN_OR_RETURN(m.name, RequireString(e, root, "name", "name"));
  if (!IsValidModelName(m.name)) {
    return e.At(root["name"], "name",
                "expected a name matching [A-Za-z0-9][A-Za-z0-9._-]{0,127}, got '" + m.name + "'");
  }
  FERRY_ASSIGN_OR_RETURN(m.framework, RequireString(e, root, "framework", "framework"));
  const backends::Backend* backend = backends::FindBackend(m.framework);
  if (backend == nullptr) {
    std::string names;
    for (const auto& n : backends::BackendNames()) names += (names.empty() ? "" : ", ") + n;
    return e.At(root["framework"], "framework",
                "expected one of: " + names + "; got unknown framework '" + m.framework + "'");
  }
  FERRY_ASSIGN_OR_RETURN(m.artifact, RequireString(e, root, "artifact", "artifact"));
  FERRY_RETURN_IF_ERROR(CheckRelativePath(e, root["artifact"], "artifact", m.artifact));
  bool ext_ok = false;
  std::string exts;
  for (const auto& ext : backend->artifact_extensions()) {
    exts += (exts.empty() ? "" : ", ") + ext;
    if (m.artifact.size() > ext.size() && m.artifact.ends_with(ext)) ext_ok = true;
  }
  if (!ext_ok) {
    return e.At(
        root["artifact"], "artifact",
        "expected a " + m.framework + " model file (" + exts + "), got '" + m.artifact + "'");
  }
  FERRY_ASSIGN_OR_RETURN(std::string task, RequireString(e, root, "task", "task"));
  std::optional<Task> t = ParseTask(task);
  if (!t) {
    return e.At(root["task"], "task",
                "expected regression, binary_classification or multiclass_classification, got '" +
                    task + "'");
  }
  m.task = *t;
  YAML::Node sig = root["signature"];
  if (!sig.IsDefined() || sig.IsNull()) return e.Missing(root, "signature");
  if (!sig.IsMap()) return e.At(sig, "signature", "expected a mapping, got " + Describe(sig));
  FERRY_RETURN_IF_ERROR(CheckKeys(e, sig, "signature", {"inputs", "outputs"}));
  FERRY_ASSIGN_OR_RETURN(m.signature.inputs, ParseSpecs(e, sig, "inputs"));
  FERRY_ASSIGN_OR_RETURN(m.signature.outputs, ParseSpecs(e, sig, "outputs"));
  Status sig_status = m.signature.Validate();
  if (!sig_status.ok()) return e.At(sig, "signature", sig_status.message());

  FERRY_ASSIGN_OR_RETURN(m.baseline, OptionalString(e, root, "baseline", "baseline"));
  if (!m.baseline.empty()) {
    FERRY_RETURN_IF_ERROR(CheckRelativePath(e, root["baseline"], "baseline", m.baseline));
  }
  FERRY_ASSIGN_OR_RETURN(m.metrics, OptionalString(e, root, "metrics", "metrics"));
  if (!m.metrics.empty()) {
    FERRY_RETURN_IF_ERROR(CheckRelativePath(e, root["metrics"], "metrics", m.metrics));
  }
  FERRY_ASSIGN_OR_RETURN(m.description, OptionalString(e, root, "description", "description"));
  YAML::Node lin = root["lineage"];
  if (lin.IsDefined() && !lin.IsNull()) {
    if (!lin.IsMap()) return e.At(lin, "lineage", "expected a mapping, got " + Describe(lin));
    FERRY_RETURN_IF_ERROR(
        CheckKeys(e, lin, "lineage", {"pipeline", "run", "data", "created", "parent"}));
    FERRY_ASSIGN_OR_RETURN(m.lineage.pipeline,
                           OptionalString(e, lin, "pipeline", "lineage.pipeline"));
    FERRY_ASSIGN_OR_RETURN(m.lineage.run, OptionalString(e, lin, "run", "lineage.run"));
    FERRY_ASSIGN_OR_RETURN(m.lineage.data, OptionalString(e, lin, "data", "lineage.data"));
    FERRY_ASSIGN_OR_RETURN(m.lineage.created, OptionalString(e, lin, "created", "lineage.created"));
    FERRY_ASSIGN_OR_RETURN(m.lineage.parent, OptionalString(e, lin, "parent", "lineage.parent"));
  }
  return m;
}

void EmitSpec(YAML::Emitter& out, const TensorSpec& s) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << s.name;
  out << YAML::Key << "datatype" << YAML::Value << std::string(DataTypeName(s.datatype));
  out << YAML::Key << "shape" << YAML::Value << YAML::Flow << s.shape.dims();
  if (!s.features.empty()) {
    out << YAML::Key << "features" << YAML::Value << YAML::Flow << s.features;
  }
  out << YAML::EndMap;
}

}  // namespace

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

Result<Manifest> ParseManifest(std::string_view yaml, std::string_view file) {
  Errors e(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& ex) {
    return InvalidArgument(std::string(file) + ":" + std::to_string(ex.mark.line + 1) + ":" +
                           std::to_string(ex.mark.column + 1) + ": not valid YAML: " + ex.msg);
  }
  try {
    return ParseNode(e, root);
  } catch (const YAML::Exception& ex) {
    return InvalidArgument(std::string(file) + ": " + ex.what());
  }
}

std::string ManifestToYaml(const Manifest& m) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << m.api_version;
  out << YAML::Key << "kind" << YAML::Value << m.kind;
  out << YAML::Key << "name" << YAML::Value << m.name;
  if (!m.description.empty()) out << YAML::Key << "description" << YAML::Value << m.description;
  out << YAML::Key << "framework" << YAML::Value << m.framework;
  out << YAML::Key << "artifact" << YAML::Value << m.artifact;
  out << YAML::Key << "task" << YAML::Value << std::string(TaskName(m.task));
  out << YAML::Key << "signature" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "inputs" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : m.signature.inputs) EmitSpec(out, s);
  out << YAML::EndSeq;
  out << YAML::Key << "outputs" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : m.signature.outputs) EmitSpec(out, s);
  out << YAML::EndSeq << YAML::EndMap;
  if (!m.baseline.empty()) out << YAML::Key << "baseline" << YAML::Value << m.baseline;
  if (!m.metrics.empty()) out << YAML::Key << "metrics" << YAML::Value << m.metrics;
  const Lineage& l = m.lineage;
  if (!l.pipeline.empty() || !l.run.empty() || !l.data.empty() || !l.created.empty() ||
      !l.parent.empty()) {
    out << YAML::Key << "lineage" << YAML::Value << YAML::BeginMap;
    if (!l.pipeline.empty()) out << YAML::Key << "pipeline" << YAML::Value << l.pipeline;
    if (!l.run.empty()) out << YAML::Key << "run" << YAML::Value << l.run;
    if (!l.data.empty()) out << YAML::Key << "data" << YAML::Value << l.data;
    if (!l.created.empty()) out << YAML::Key << "created" << YAML::Value << l.created;
    if (!l.parent.empty()) out << YAML::Key << "parent" << YAML::Value << l.parent;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace ferry::bundle
