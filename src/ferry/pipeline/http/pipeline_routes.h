#pragma once

#include <map>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/launcher.h"
#include "ferry/pipeline/scheduler.h"
#include "ferry/protocol/http_message.h"

// The pipeline trigger API that `ferry serve --pipeline FILE` mounts
// (transport-neutral, like the registry's routes):
//
//   GET  /api/v1/pipelines                    the pipelines this server can start
//   POST /api/v1/pipelines/{name}/runs        start a run; body (optional):
//                                             {"params": {"k": "v" | number | bool}}
//                                             → 201 {"run_id": …, "pipeline": …, "params": {…}}
//
// POST is a management call: the router checks the bearer token. Errors:
// 404 unknown pipeline, 400 bad body or params (unknown name, missing
// value), 500 when the run cannot be started. Thread-safe.
namespace ferry::pipeline {

class PipelineRoutes {
 public:
  // `launcher` must outlive this object.
  PipelineRoutes(std::vector<PipelineFile> pipelines, RunLauncher& launcher);

  // Answers one request whose path starts with /api/v1/pipelines.
  void Handle(protocol::HttpRequest& request, const protocol::Responder& done);

  // Starts a run of pipeline `name` with `params` overriding its defaults.
  // NotFound / InvalidArgument as above. (The hook monitoring alerts use.)
  struct Triggered {
    std::string run_id;
    std::map<std::string, std::string> params;  // every param's value
  };
  Result<Triggered> Trigger(const std::string& name,
                            const std::map<std::string, std::string>& params);

 private:
  Result<std::string> Dispatch(protocol::HttpRequest& request, int* http_status);
  const PipelineFile* Find(const std::string& name) const;

  std::vector<PipelineFile> pipelines_;
  RunLauncher& launcher_;
};

}  // namespace ferry::pipeline
