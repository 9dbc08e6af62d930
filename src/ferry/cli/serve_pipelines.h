#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/protocol/router.h"

// The pipelines part of `ferry serve`: --pipeline FILE mounts the trigger API
// (GET /api/v1/pipelines, POST /api/v1/pipelines/{name}/runs) and
// --scheduler starts scheduled runs from a background thread.
namespace ferry::cli {

struct ServePipelineArgs {
  std::vector<std::string> files;  // --pipeline
  bool scheduler = false;          // --scheduler
  int64_t starting_deadline_s = 3600;
  std::string registry;  // --registry (runs live in the registry database)
};

class ServePipelines {
 public:
  // Loads and validates the files; InvalidArgument for --scheduler without
  // any pipeline. Mounts the routes on `router` (before the registry's).
  static Result<std::unique_ptr<ServePipelines>> Create(const ServePipelineArgs& args,
                                                        protocol::Router& router);
  ~ServePipelines();  // stops the scheduler thread

  // Starts the scheduler thread (when --scheduler).
  Status Start();
  // True when a --pipeline file defines pipeline `name`.
  bool Has(const std::string& name) const;
  // Starts a run of pipeline `name` (alert actions); see PipelineRoutes::Trigger.
  Result<std::string> Trigger(const std::string& name,
                              const std::map<std::string, std::string>& params);
  void Stop();

  class Impl;

 private:
  explicit ServePipelines(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::cli
