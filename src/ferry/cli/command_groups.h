#pragma once

namespace CLI {
class App;
}

// Each group of subcommands adds itself to the app. `rc` receives the exit
// code of the command that ran. Groups live in their own files
// (src/ferry/cli/<group>_cli.cc), which are the only files that include CLI11.
namespace ferry::cli {

void AddBundleCommands(CLI::App& app, int& rc);  // main.cc
void AddPredictCommand(CLI::App& app, int& rc);  // main.cc

}  // namespace ferry::cli
