// `ferry logs export|tail`: flags → logs_command.h.
#include <CLI/CLI.hpp>

#include "ferry/cli/command_groups.h"
#include "ferry/cli/logs_command.h"

namespace ferry::cli {

namespace {

constexpr const char* kTimeHelp =
    "RFC 3339 time (2026-11-27T10:00:00Z), duration back from now (90s, 15m, 2h, 7d) or epoch "
    "milliseconds";
constexpr const char* kLogDirHelp =
    "Log root holding one folder per model (default: --config's monitoring.log_dir, else "
    "$FERRY_HOME/logs)";
constexpr const char* kConfigHelp =
    "The ferry-serve.yaml the model is served with: its monitoring.log_dir is the log root";

}  // namespace

void AddLogsCommands(CLI::App& app, int& rc) {
  CLI::App* logs =
      app.add_subcommand("logs", "A served model's prediction log (docs/monitoring.md)");
  logs->require_subcommand(1);

  static LogsExportArgs exp;
  CLI::App* e = logs->add_subcommand("export", "Every logged prediction of a model, in time order");
  e->add_option("--model", exp.model, "Model name")->required();
  e->add_option("--since", exp.since, std::string("From this time: ") + kTimeHelp);
  e->add_option("--until", exp.until, std::string("Up to this time (inclusive): ") + kTimeHelp);
  e->add_option("--format", exp.format,
                "csv | jsonl (default: from --output's extension, .csv → csv, else jsonl)");
  e->add_option("-o,--output", exp.output, "File to write (atomically); default stdout");
  e->add_option("--log-dir", exp.log_dir, kLogDirHelp);
  e->add_option("--config", exp.config, kConfigHelp);
  e->callback([&rc] { rc = LogsExport(exp); });

  static LogsTailArgs tail;
  CLI::App* t = logs->add_subcommand("tail", "The last logged predictions of a model");
  t->add_option("--model", tail.model, "Model name")->required();
  t->add_option("-n,--lines", tail.lines, "How many records (default 10)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  t->add_option("--since", tail.since, std::string("Only records from this time: ") + kTimeHelp);
  t->add_option("--format", tail.format, "jsonl (default) | csv");
  t->add_flag("-f,--follow", tail.follow,
              "Keep printing new records as they are written (until Ctrl-C / SIGTERM)");
  t->add_option("--log-dir", tail.log_dir, kLogDirHelp);
  t->add_option("--config", tail.config, kConfigHelp);
  t->callback([&rc] { rc = LogsTail(tail); });
}

}  // namespace ferry::cli
