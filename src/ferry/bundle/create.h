#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/bundle.h"

namespace ferry::bundle {

// What `ferry bundle create` needs; anything left empty is read from the
// model file (backend Inspect) or from the baseline CSV's header.
struct CreateOptions {
  std::filesystem::path model_file;    // required
  std::filesystem::path output_dir;    // required; must not exist
  std::string name;                    // required
  std::string framework;               // empty: chosen by the model file's extension
  std::optional<Task> task;            // empty: from the model's objective
  std::vector<std::string> features;   // empty: from the model, else the baseline CSV header
  std::filesystem::path baseline_csv;  // optional: profile written to baseline.json (a file)
  std::string label_column;            // baseline CSV column that is not a feature
  std::string description;
  Lineage lineage;
  // Optional: written as metrics.json (named in the manifest's `metrics`);
  // must be a JSON object (the caller's responsibility; the registry checks).
  std::string metrics_json;
};

// Creates a complete bundle folder: the model copied in as model.<ext>, a
// ferry.yaml with a signature derived from the model, baseline.json when a
// baseline CSV is given, and ferry.sha256. baseline.json profiles the CSV's
// feature and label columns and, unless the model is multiclass, the model's
// own predictions on its rows (ProfilePredictions: the "prediction" key of
// baseline.h); the CSV is read more than once, so it cannot be stdin
// (InvalidArgument). Same inputs, same bytes. The folder is built under a
// temporary name and renamed into place only after the model has loaded
// through its backend, so a failure leaves nothing behind.
Result<Bundle> CreateBundle(const CreateOptions& options);

}  // namespace ferry::bundle
