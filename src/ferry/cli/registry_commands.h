#pragma once

#include <cstdint>
#include <string>
#include <vector>

// `ferry models …` and `ferry registry …` as plain functions. Each returns the
// process exit code (commands.h) and prints errors to stderr as
// "error: <message>". Every command reads FERRY_HOME and takes the store URI
// from --registry, else FERRY_REGISTRY, else sqlite:///$FERRY_HOME/registry.db.
namespace ferry::cli {

struct RegistryCommonArgs {
  std::string registry;  // --registry URI
  std::string actor;     // --actor; default FERRY_ACTOR, else USER, else "unknown"
  std::string reason;    // --reason (recorded in the audit log)
  bool json = false;
};

int ModelsList(const RegistryCommonArgs& common);
int ModelsShow(const RegistryCommonArgs& common, const std::string& ref);
int ModelsCreate(const RegistryCommonArgs& common, const std::string& name,
                 const std::string& description);

struct ModelsRegisterArgs {
  std::string bundle;  // folder or .tar.zst
  std::string name;    // default: the manifest's name
  std::string description;
};
int ModelsRegister(const RegistryCommonArgs& common, const ModelsRegisterArgs& args);

struct ModelsAliasArgs {
  std::string alias_ref;  // name@alias
  std::string target;     // 7 or name:7
  bool protect = false;
  bool force = false;
};
int ModelsAlias(const RegistryCommonArgs& common, const ModelsAliasArgs& args);
int ModelsUnalias(const RegistryCommonArgs& common, const std::string& alias_ref, bool force);

struct ModelsTagArgs {
  std::string ref;                  // name or name:7
  std::vector<std::string> set;     // key=value
  std::vector<std::string> remove;  // keys
};
int ModelsTag(const RegistryCommonArgs& common, const ModelsTagArgs& args);
int ModelsDelete(const RegistryCommonArgs& common, const std::string& ref);
int ModelsHistory(const RegistryCommonArgs& common, const std::string& name, int64_t limit);
int ModelsMaterialize(const RegistryCommonArgs& common, const std::string& ref);

int RegistryGc(const RegistryCommonArgs& common, int64_t grace_seconds, bool dry_run);
int RegistryMigrate(const RegistryCommonArgs& common);
int RegistryCheck(const RegistryCommonArgs& common);

}  // namespace ferry::cli
