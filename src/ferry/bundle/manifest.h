#pragma once

#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/tensor/signature.h"
#include "ferry/tensor/task.h"

namespace ferry::bundle {

inline constexpr std::string_view kManifestFile = "ferry.yaml";
inline constexpr std::string_view kApiVersion = "ferry/v1";
inline constexpr std::string_view kBundleKind = "ModelBundle";

// Where a bundle came from. All fields optional, free text.
struct Lineage {
  std::string pipeline;
  std::string run;
  std::string data;     // e.g. "sha256:…" of the training data
  std::string created;  // RFC 3339 time
  std::string parent;   // model reference of the version this one was derived from
};

// The parsed and validated content of a bundle's ferry.yaml.
struct Manifest {
  std::string api_version{kApiVersion};
  std::string kind{kBundleKind};
  std::string name;       // [A-Za-z0-9][A-Za-z0-9._-]{0,127}
  std::string framework;  // a registered backend, e.g. "xgboost"
  std::string artifact;   // relative path inside the bundle
  Task task = Task::kRegression;
  Signature signature;
  std::string baseline;  // optional relative path, usually "baseline.json"
  std::string metrics;   // optional relative path, usually "metrics.json"
  std::string description;
  Lineage lineage;
};

// Parses and validates a manifest. `file` names the source in errors, which
// read "<file>:<line>:<column>: <field>: expected …, got …". Refuses unknown
// keys, an unknown apiVersion, kind or framework (checked against the backend
// registry), a bad name, an artifact/baseline/metrics path that is absolute
// or escapes the bundle, an unknown task and an inconsistent signature.
// Does not look at the file system.
Result<Manifest> ParseManifest(std::string_view yaml, std::string_view file);

// Serializes a manifest as YAML that ParseManifest reads back equal.
std::string ManifestToYaml(const Manifest& manifest);

// True when `name` is a valid model name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}.
bool IsValidModelName(std::string_view name);

}  // namespace ferry::bundle
