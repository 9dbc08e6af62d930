#pragma once

namespace CLI {
class App;
}

// Each group of subcommands adds itself to the app. `rc` receives the exit
// code of the command that ran. Groups live in their own files
// (src/ferry/cli/<group>_cli.cc), which are the only files that include CLI11.
namespace ferry::cli {

void AddBundleCommands(CLI::App& app, int& rc);    // main.cc
void AddPredictCommand(CLI::App& app, int& rc);    // main.cc
void AddServeCommands(CLI::App& app, int& rc);     // serve_cli.cc
void AddBatchCommands(CLI::App& app, int& rc);     // batch_cli.cc
void AddRegistryCommands(CLI::App& app, int& rc);  // registry_cli.cc: models, registry
void AddPipelineCommands(CLI::App& app, int& rc);  // pipeline_cli.cc
void AddMonitorCommands(CLI::App& app, int& rc);   // monitor_cli.cc
void AddLogsCommands(CLI::App& app, int& rc);      // logs_cli.cc

}  // namespace ferry::cli
