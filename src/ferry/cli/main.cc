// The `ferry` command line. CLI11 is a heavy header: only main.cc and the
// <group>_cli.cc files include it; each subcommand's work is a plain function
// (commands.h and the groups' own headers).
#include <CLI/CLI.hpp>

#include "ferry/cli/command_groups.h"
#include "ferry/cli/commands.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "dev"
#endif

namespace ferry::cli {

void AddBundleCommands(CLI::App& app, int& rc) {
  CLI::App* bundle =
      app.add_subcommand("bundle", "Create, inspect, pack, unpack and verify model bundles");
  bundle->require_subcommand(1);

  static ferry::cli::BundleCreateArgs create;
  CLI::App* c = bundle->add_subcommand("create", "Make a bundle folder from a trained model file");
  c->add_option("--model", create.model, "Model file (XGBoost .json or .ubj)")->required();
  c->add_option("--name", create.name, "Model name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}")->required();
  c->add_option("-o,--output", create.output, "Folder to create (must not exist)")->required();
  c->add_option(
      "--task", create.task,
      "regression | binary_classification | multiclass_classification (default: from the model)");
  c->add_option("--framework", create.framework,
                "Backend framework (default: from the file extension)");
  c->add_option("--features", create.features,
                "Feature names in model order, comma-separated (default: from the model, else the "
                "baseline CSV header)")
      ->delimiter(',');
  c->add_option("--baseline", create.baseline, "Training data CSV to profile into baseline.json");
  c->add_option("--label", create.label, "Label column of the baseline CSV (not a feature)");
  c->add_option("--description", create.description, "Free-text description");
  c->callback([&rc] { rc = ferry::cli::BundleCreate(create); });

  static ferry::cli::BundleInspectArgs inspect;
  CLI::App* i =
      bundle->add_subcommand("inspect", "Show a bundle's manifest, signature, files and digest");
  i->add_option("bundle", inspect.path, "Bundle folder or .tar.zst")->required();
  i->add_flag("--json", inspect.json, "Print JSON instead of a table");
  i->callback([&rc] { rc = ferry::cli::BundleInspect(inspect); });

  static ferry::cli::BundlePackArgs pack;
  CLI::App* p = bundle->add_subcommand("pack", "Pack a bundle folder into one .tar.zst file");
  p->add_option("bundle", pack.dir, "Bundle folder")->required();
  p->add_option("-o,--output", pack.output, "Archive to write (default: <folder>.tar.zst)");
  p->callback([&rc] { rc = ferry::cli::BundlePack(pack); });

  static ferry::cli::BundleUnpackArgs unpack;
  CLI::App* u =
      bundle->add_subcommand("unpack", "Unpack a .tar.zst bundle safely into a new folder");
  u->add_option("archive", unpack.archive, "Bundle archive")->required();
  u->add_option("-o,--output", unpack.output, "Folder to create (must not exist)")->required();
  u->callback([&rc] { rc = ferry::cli::BundleUnpack(unpack); });

  static ferry::cli::BundleVerifyArgs verify;
  CLI::App* v = bundle->add_subcommand(
      "verify", "Check a bundle: manifest, file checksums, model loads, baseline parses");
  v->add_option("bundle", verify.path, "Bundle folder or .tar.zst")->required();
  v->add_option("--digest", verify.digest, "Expected digest (sha256:…)");
  v->add_flag("--json", verify.json, "Print JSON");
  v->callback([&rc] { rc = ferry::cli::BundleVerify(verify); });
}

void AddPredictCommand(CLI::App& app, int& rc) {
  static ferry::cli::PredictArgs args;
  CLI::App* p = app.add_subcommand("predict", "Score a CSV or JSONL file with a bundle");
  p->add_option("--bundle", args.bundle, "Bundle folder or .tar.zst")->required();
  p->add_option("--input", args.input,
                "CSV (header row) or JSONL file, optionally .gz/.zst; '-' for stdin")
      ->required();
  p->add_option("-o,--output", args.output, "Output file (.csv or .jsonl); default '-' (stdout)");
  p->add_option("--key-column", args.key_column, "Column echoed as the row key");
  p->add_option("--keep", args.keep, "Columns copied into the output, comma-separated")
      ->delimiter(',');
  p->add_option("--format", args.format,
                "Output format: csv | jsonl (default: from --output, else the input's)");
  p->add_option("--input-format", args.input_format,
                "Input format: csv | jsonl (default: from --input)");
  p->add_option("--on-error", args.on_error,
                "Bad rows: fail (stop, exit 1) | skip (report and leave out)");
  p->add_option("--threads", args.threads, "Threads for each model call")
      ->check(CLI::Range(1, 256));
  p->add_option("--batch-rows", args.batch_rows, "Rows per model call")
      ->check(CLI::Range(1, 1 << 20));
  p->callback([&rc] { rc = ferry::cli::Predict(args); });
}

}  // namespace ferry::cli

int main(int argc, char** argv) {
  CLI::App app{"Ferry: take a trained model to production and keep it healthy there"};
  app.set_version_flag("--version", std::string("ferry ") + FERRY_VERSION);
  app.require_subcommand(1);
  int rc = ferry::cli::kExitOk;
  ferry::cli::AddBundleCommands(app, rc);
  ferry::cli::AddPredictCommand(app, rc);
  ferry::cli::AddServeCommands(app, rc);
  ferry::cli::AddBatchCommands(app, rc);
  ferry::cli::AddRegistryCommands(app, rc);
  ferry::cli::AddPipelineCommands(app, rc);
  ferry::cli::AddMonitorCommands(app, rc);
  ferry::cli::AddLogsCommands(app, rc);
  CLI11_PARSE(app, argc, argv);
  return rc;
}
