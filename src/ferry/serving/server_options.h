#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ferry/base/result.h"

// What `ferry serve` serves and how. Every setting here is described once in
// the settings table (serve_settings.h), from which `ferry serve --help`,
// the config-file keys and docs/serving.md are derived.
namespace ferry::serving {

// Per-model scheduling settings (config file: `defaults:` and
// `models: {NAME: {...}}`).
struct ModelSettings {
  // Most rows one batch (one backend call) holds; 1 turns batching off. A
  // single request with more rows still runs, alone.
  int64_t max_batch_size = 64;
  // How long the batcher may hold the oldest queued request to let a batch
  // fill up. 0: dispatch at once whatever is queued (requests still merge
  // while all instances are busy).
  int64_t max_queue_delay_us = 0;
  // Batch sizes (rows) the batcher dispatches at once when it can form them
  // exactly; each in [1, max_batch_size]. Empty: none.
  std::vector<int64_t> preferred_batch_sizes;
  // Parallel executions (worker threads, one backend Session each).
  int instances = 1;
  // With max_queue_delay_us 0: a request read by the HTTP server is batched
  // and run on the I/O thread that read it, after the other requests read in
  // the same round (no thread handoff); false: always on the workers.
  bool run_on_io_threads = true;
  // Most requests waiting in the queue; a request past it is refused at once
  // (RESOURCE_EXHAUSTED → HTTP 429 with Retry-After).
  int64_t max_queue_size = 1024;
  // Deadline for requests that give no parameters.timeout_us; 0 = none.
  int64_t default_timeout_us = 0;
  // Number of priority levels; requests use 0 (highest) .. levels-1.
  int priority_levels = 1;

  // Checks ranges; the error names the setting.
  Status Validate() const;
};

// Which versions of a repository model to serve (Triton's version_policy).
struct VersionPolicy {
  enum class Kind { kLatest, kSpecific, kAll };
  Kind kind = Kind::kLatest;
  int64_t latest = 1;             // kLatest: the N highest versions
  std::vector<int64_t> specific;  // kSpecific: exactly these versions

  // The versions to serve out of `available` (any order). Ascending.
  std::vector<int64_t> Select(const std::vector<int64_t>& available) const;
  // "latest 1", "specific [1, 3]", "all".
  std::string ToString() const;
};

// `--model NAME=BUNDLE_DIR`: one model, served as version 1. A registry
// reference (`--model NAME@ALIAS`) is resolved by the caller into the same
// thing: the materialized bundle folder, served as the registry's version
// number, with the reference in `parameters`.
struct ModelSource {
  ModelSource() = default;
  ModelSource(std::string model_name, std::filesystem::path dir, int64_t served_as = 1,
              std::map<std::string, std::string> params = {})
      : name(std::move(model_name)),
        bundle_dir(std::move(dir)),
        version(served_as),
        parameters(std::move(params)) {}

  std::string name;
  std::filesystem::path bundle_dir;
  int64_t version = 1;  // the version number it is served as (>= 1)
  // Shown as `parameters` in the version's metadata; empty for bundle folders.
  std::map<std::string, std::string> parameters;
};

// Parses "NAME=BUNDLE_DIR" (name: [A-Za-z0-9_.-]+, not "." or "..").
Result<ModelSource> ParseModelSource(std::string_view text);

struct ServerOptions {
  // Models given one by one (`--model`).
  std::vector<ModelSource> models;
  // A model repository (`--repository DIR`): DIR/NAME/VERSION/ bundle
  // folders, VERSION a positive integer. Empty: none. Every model found at
  // start is loaded with its version policy.
  std::filesystem::path repository;
  // Rescan the repository this often and load versions that appeared (and
  // unload ones that went away); 0 = only on start and explicit load.
  int64_t repository_poll_interval_ms = 0;
  // How often `ferry serve` re-resolves registry references given with
  // --model (NAME@ALIAS, NAME) and swaps to the version they point to now;
  // 0 = only at start. Not used by the core itself (the follower in
  // registry/serving is); described here so that it sits in the one settings table.
  int64_t registry_poll_interval_ms = 1000;

  // Settings for every model, and per-model overrides (whole struct).
  ModelSettings defaults;
  std::map<std::string, ModelSettings> model_settings;
  // Version policy for repository models: default and per-model.
  VersionPolicy default_version_policy;
  std::map<std::string, VersionPolicy> version_policies;

  // Rows run through a new version before it takes traffic (0 = no warm-up).
  int64_t warmup_rows = 1;
  // How long Shutdown waits for queued and running requests by default.
  int64_t shutdown_timeout_ms = 10000;

  const ModelSettings& SettingsFor(const std::string& model) const;
  const VersionPolicy& PolicyFor(const std::string& model) const;

  // A server with no model at all (one that only serves pipeline triggers
  // or the registry API). Not a setting of the config file.
  bool allow_no_models = false;

  // Checks settings and that at least one model source is given (unless
  // allow_no_models); model names must be unique across --model (a
  // repository model of the same name is an error too, checked at start).
  Status Validate() const;
};

}  // namespace ferry::serving
