#pragma once

#include <cstdint>
#include <string>

// `ferry logs export|tail`: a model's prediction log as JSONL or CSV
// (docs/monitoring.md). The log folder is <log root>/<model>/, the log root
// --log-dir, else the monitoring.log_dir of the serve config given with
// --config, else $FERRY_HOME/logs (FERRY_HOME defaults to ./ferry-data).
// Each returns the exit code and prints errors as "error: <message>".
namespace ferry::cli {

struct LogsExportArgs {
  std::string model;
  std::string since;   // --since: see monitor::ParseTimeArg; "" = from the start
  std::string until;   // --until: same forms; "" = to the end
  std::string format;  // csv | jsonl; "" = from --output's extension, else jsonl
  std::string output;  // "" or "-" = stdout; else written to a temporary file and renamed
  std::string log_dir;
  std::string config;  // a ferry-serve.yaml whose monitoring.log_dir is the log root
};
// Every record in time (segment) order; reports the count and any skipped
// torn or corrupt bytes on stderr.
int LogsExport(const LogsExportArgs& args);

struct LogsTailArgs {
  std::string model;
  int64_t lines = 10;  // -n: the last N records (0: none, with --follow only new ones)
  std::string since;
  std::string format;  // jsonl (default) | csv
  bool follow = false;
  std::string log_dir;
  std::string config;
  int poll_ms = 250;
};
// The last N records; with follow, then every new record until SIGINT or
// SIGTERM (exit 0).
int LogsTail(const LogsTailArgs& args);

}  // namespace ferry::cli
