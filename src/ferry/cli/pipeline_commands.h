#pragma once

#include <cstdint>
#include <string>
#include <vector>

// `ferry pipeline …` as plain functions. Each returns the process exit code
// (commands.h; a cancelled run exits 130) and prints errors to stderr as
// "error: <message>". Commands that touch runs take the registry database
// like `ferry models`: --registry, else FERRY_REGISTRY, else
// sqlite:///$FERRY_HOME/registry.db; run folders live in $FERRY_HOME/runs/.
namespace ferry::cli {

inline constexpr int kExitCancelled = 130;

struct PipelineCommonArgs {
  std::string registry;
  bool json = false;
};

int PipelineValidate(const std::string& file);

struct PipelineRunArgs {
  std::string file;
  std::vector<std::string> params;  // k=v
  int parallelism = 4;
  int64_t retry_backoff_ms = 1000;
};
int PipelineRun(const PipelineCommonArgs& common, const PipelineRunArgs& args);
int PipelineResume(const PipelineCommonArgs& common, const std::string& run_id,
                   int64_t retry_backoff_ms);
int PipelineRuns(const PipelineCommonArgs& common, int64_t limit);
int PipelineShow(const PipelineCommonArgs& common, const std::string& run_id);
int PipelineExplain(const PipelineCommonArgs& common, const std::string& run_id,
                    const std::string& step);

}  // namespace ferry::cli
