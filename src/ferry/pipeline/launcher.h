#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"

namespace ferry::pipeline {

// A new run id: YYYYMMDD-HHMMSS-xxxxxx (UTC time, 24 random bits).
std::string NewRunId();
// True for a string NewRunId could have made, or any [A-Za-z0-9._-]{1,64}
// not starting with '.' (ids given with `ferry pipeline run --run-id`).
bool IsValidRunId(const std::string& id);

struct LaunchOptions {
  std::filesystem::path ferry_binary;  // "" = this process's executable
  std::string registry_uri;            // the runs' database (passed as --registry)
  std::filesystem::path log_dir;       // <log_dir>/<run-id>.log gets the run's output
  std::filesystem::path workdir;       // where the runs execute ("" = current folder)
};

// Starts pipeline runs in the background, each as
// `ferry pipeline run FILE --run-id ID --registry URI --param k=v…` in its
// own process group, so that a run outlives a restart of whoever started it.
// Thread-safe.
class RunLauncher {
 public:
  explicit RunLauncher(LaunchOptions options);

  // Starts the run and returns once the process exists (the run row appears
  // as soon as it has validated the file). `run_id` "" = a new one.
  Result<std::string> Start(const std::string& file,
                            const std::map<std::string, std::string>& params,
                            std::string run_id = "");
  // Collects the exit status of finished runs (never blocks); Start does it too.
  void Reap() EXCLUDES(mu_);

 private:
  LaunchOptions options_;
  Mutex mu_;
  std::vector<pid_t> children_ GUARDED_BY(mu_);
};

}  // namespace ferry::pipeline
