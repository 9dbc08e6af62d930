#pragma once

#include <string>
#include <vector>

namespace ferry::cli {

// `ferry batch`: flags as given on the command line (batch_cli.cc maps CLI11 onto this).
struct BatchArgs {
  std::string model;     // registry reference (name, name:7, name@alias)
  std::string registry;  // registry URI for --model (default FERRY_REGISTRY, else under FERRY_HOME)
  std::string bundle;    // folder or .tar.zst
  std::string input;
  std::string output;
  std::string format;        // output format
  std::string input_format;  // input format
  std::string key_column;
  std::vector<std::string> keep;
  std::string shard;  // "i/N"
  std::string shard_by = "bytes";
  int threads = 0;
  std::string on_error = "fail";
  std::string errors;
  bool resume = false;
  int memory_mb = 256;
  int chunk_kb = 0;  // 0 = derived from memory_mb
  int checkpoint_interval_ms = 1000;
  bool quiet = false;
};

// Runs the job; prints progress and the summary on stderr. Returns the exit code.
int Batch(const BatchArgs& args);

}  // namespace ferry::cli
