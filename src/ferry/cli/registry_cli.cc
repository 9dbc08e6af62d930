// `ferry models …` and `ferry registry …`: CLI11 wiring only; the work is in
// registry_commands.cc.
#include <CLI/CLI.hpp>

#include "ferry/cli/command_groups.h"
#include "ferry/cli/registry_commands.h"

namespace ferry::cli {
namespace {

RegistryCommonArgs& Common() {
  static RegistryCommonArgs common;
  return common;
}

// Flags every registry command takes.
CLI::App* WithCommon(CLI::App* cmd, bool json, bool reason) {
  RegistryCommonArgs& c = Common();
  cmd->add_option("--registry", c.registry,
                  "Registry URI: sqlite:///path/registry.db or postgresql://… (default "
                  "$FERRY_REGISTRY, else sqlite:///$FERRY_HOME/registry.db)");
  if (reason) {
    cmd->add_option("--actor", c.actor,
                    "Who does this, for the audit log (default $FERRY_ACTOR, "
                    "else $USER)");
    cmd->add_option("--reason", c.reason, "Why, for the audit log (required with --force)");
  }
  if (json) cmd->add_flag("--json", c.json, "Print JSON");
  return cmd;
}

void AddModels(CLI::App& app, int& rc) {
  CLI::App* models = app.add_subcommand("models",
                                        "Registered models: versions, aliases, tags, "
                                        "history");
  models->require_subcommand(1);

  WithCommon(models->add_subcommand("list", "List registered models"), true, false)
      ->callback([&rc] { rc = ModelsList(Common()); });

  static std::string show_ref;
  CLI::App* show = WithCommon(
      models->add_subcommand("show", "Show a model (name) or one version (name:7, name@alias)"),
      true, false);
  show->add_option("ref", show_ref, "name, name:7 or name@alias")->required();
  show->callback([&rc] { rc = ModelsShow(Common(), show_ref); });

  static std::string create_name, create_description;
  CLI::App* create =
      WithCommon(models->add_subcommand("create", "Create an empty registered model"), false, true);
  create->add_option("name", create_name, "Model name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}")
      ->required();
  create->add_option("--description", create_description, "Free-text description");
  create->callback([&rc] { rc = ModelsCreate(Common(), create_name, create_description); });

  static ModelsRegisterArgs reg;
  CLI::App* r =
      WithCommon(models->add_subcommand("register",
                                        "Verify a bundle, store it and record a new version; "
                                        "prints the new reference (name:N)"),
                 true, true);
  r->add_option("bundle", reg.bundle, "Bundle folder or .tar.zst")->required();
  r->add_option("--name", reg.name, "Register under this model name (default: the manifest's)");
  r->add_option("--description", reg.description, "Version description (default: the manifest's)");
  r->callback([&rc] { rc = ModelsRegister(Common(), reg); });

  static ModelsAliasArgs alias;
  CLI::App* a = WithCommon(
      models->add_subcommand("alias", "Point an alias (name@alias) at a version, atomically"), true,
      true);
  a->add_option("alias", alias.alias_ref, "name@alias (latest and v<digits> are reserved)")
      ->required();
  a->add_option("version", alias.target, "Target version: 7 or name:7")->required();
  a->add_flag("--protect", alias.protect,
              "Protect the alias: it then moves only to versions with a passing evaluation");
  a->add_flag("--force", alias.force, "Move a protected alias anyway (needs --reason)");
  a->callback([&rc] { rc = ModelsAlias(Common(), alias); });

  static std::string unalias_ref;
  static bool unalias_force = false;
  CLI::App* u = WithCommon(models->add_subcommand("unalias", "Remove an alias"), false, true);
  u->add_option("alias", unalias_ref, "name@alias")->required();
  u->add_flag("--force", unalias_force, "Remove a protected alias (needs --reason)");
  u->callback([&rc] { rc = ModelsUnalias(Common(), unalias_ref, unalias_force); });

  static ModelsTagArgs tag;
  CLI::App* t = WithCommon(
      models->add_subcommand("tag", "Set or delete tags on a model (name) or version (name:7)"),
      false, true);
  t->add_option("ref", tag.ref, "name or name:7")->required();
  t->add_option("tags", tag.set, "key=value pairs to set");
  t->add_option("--delete", tag.remove, "Tag key to delete (repeatable)");
  t->callback([&rc] { rc = ModelsTag(Common(), tag); });

  static std::string delete_ref;
  CLI::App* d =
      WithCommon(models->add_subcommand("delete", "Delete a model (name) or one version (name:7)"),
                 false, true);
  d->add_option("ref", delete_ref, "name or name:7")->required();
  d->callback([&rc] { rc = ModelsDelete(Common(), delete_ref); });

  static std::string history_name;
  static int64_t history_limit = 0;
  CLI::App* h = WithCommon(
      models->add_subcommand("history", "The audit log of a model (all models if none given)"),
      true, false);
  h->add_option("name", history_name, "Model name");
  h->add_option("--limit", history_limit, "Only the newest N entries")
      ->check(CLI::NonNegativeNumber);
  h->callback([&rc] { rc = ModelsHistory(Common(), history_name, history_limit); });

  static std::string mat_ref;
  CLI::App* m =
      WithCommon(models->add_subcommand("materialize",
                                        "Unpack a version into the bundle cache (verified) "
                                        "and print its folder"),
                 false, false);
  m->add_option("ref", mat_ref, "name, name:7 or name@alias")->required();
  m->callback([&rc] { rc = ModelsMaterialize(Common(), mat_ref); });
}

void AddRegistry(CLI::App& app, int& rc) {
  CLI::App* reg = app.add_subcommand("registry", "Registry maintenance: gc, migrate, check");
  reg->require_subcommand(1);

  static int64_t grace_seconds = 3600;
  static bool dry_run = false;
  CLI::App* gc = WithCommon(
      reg->add_subcommand("gc", "Remove blobs no version references (after a grace period)"), true,
      false);
  gc->add_option("--grace-seconds", grace_seconds,
                 "Keep unreferenced blobs and temporary files younger than this (default 3600)")
      ->check(CLI::NonNegativeNumber);
  gc->add_flag("--dry-run", dry_run, "Only report what would be removed");
  gc->callback([&rc] { rc = RegistryGc(Common(), grace_seconds, dry_run); });

  WithCommon(reg->add_subcommand("migrate", "Bring the registry schema up to date"), false, false)
      ->callback([&rc] { rc = RegistryMigrate(Common()); });

  WithCommon(reg->add_subcommand("check",
                                 "Check that every version's blob exists and is intact, "
                                 "and that no half-written blob is visible"),
             true, false)
      ->callback([&rc] { rc = RegistryCheck(Common()); });
}

}  // namespace

void AddRegistryCommands(CLI::App& app, int& rc) {
  AddModels(app, rc);
  AddRegistry(app, rc);
}

}  // namespace ferry::cli
