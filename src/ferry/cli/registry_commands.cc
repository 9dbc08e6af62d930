#include "ferry/cli/registry_commands.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ferry/bundle/bundle_source.h"
#include "ferry/cli/commands.h"
#include "ferry/registry/migrations.h"
#include "ferry/registry/registry.h"
#include "ferry/registry/registry_json.h"
#include "ferry/registry/resolve.h"

namespace ferry::cli {
namespace {

using registry::Registry;

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return kExitFailure;
}

registry::Actor ActorOf(const RegistryCommonArgs& c) {
  registry::Actor a;
  a.reason = c.reason;
  a.name = c.actor;
  for (const char* env : {"FERRY_ACTOR", "USER"}) {
    if (!a.name.empty()) break;
    const char* v = std::getenv(env);
    if (v != nullptr) a.name = v;
  }
  if (a.name.empty()) a.name = "unknown";
  return a;
}

Result<std::unique_ptr<Registry>> OpenRegistry(const RegistryCommonArgs& c) {
  return Registry::Open(registry::RegistryOptionsFromEnv(c.registry));
}

void PrintLine(const std::string& s) { std::printf("%s\n", s.c_str()); }

}  // namespace

int ModelsList(const RegistryCommonArgs& common) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto models = reg.store().ListModels();
  if (!models.ok()) return Fail(models.status());
  if (common.json) {
    std::string out = "{\"models\":[";
    for (size_t i = 0; i < models->size(); ++i) {
      const auto& m = (*models)[i];
      auto aliases = reg.store().ListAliases(m.name);
      auto tags = reg.store().ListTags(m.name, 0);
      if (!aliases.ok()) return Fail(aliases.status());
      if (!tags.ok()) return Fail(tags.status());
      out += (i ? "," : "") + registry::ModelJson(m, *aliases, *tags);
    }
    PrintLine(out + "]}");
    return kExitOk;
  }
  std::printf("%-32s %-8s %s\n", "NAME", "LATEST", "ALIASES");
  for (const auto& m : *models) {
    auto aliases = reg.store().ListAliases(m.name);
    if (!aliases.ok()) return Fail(aliases.status());
    std::string names;
    for (const auto& a : *aliases) {
      names += (names.empty() ? "" : " ") + a.alias + "=" + std::to_string(a.version);
    }
    std::printf("%-32s %-8lld %s\n", m.name.c_str(), static_cast<long long>(m.latest_version),
                names.c_str());
  }
  return kExitOk;
}

int ModelsShow(const RegistryCommonArgs& common, const std::string& text) {
  auto ref = registry::ParseReference(text);
  if (!ref.ok()) return Fail(ref.status());
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  if (ref->is_plain()) {
    auto m = reg.store().GetModel(ref->name);
    auto aliases = reg.store().ListAliases(ref->name);
    auto tags = reg.store().ListTags(ref->name, 0);
    auto versions = reg.store().ListVersions(ref->name);
    if (!m.ok()) return Fail(m.status());
    if (!aliases.ok()) return Fail(aliases.status());
    if (!tags.ok()) return Fail(tags.status());
    if (!versions.ok()) return Fail(versions.status());
    if (common.json) {
      std::string model = registry::ModelJson(*m, *aliases, *tags);
      std::string vs = registry::VersionsJson(*versions);
      // {"model":{…},"versions":[…]}
      PrintLine("{\"model\":" + model + "," + vs.substr(1));
      return kExitOk;
    }
    std::printf("name:        %s\ndescription: %s\ncreated:     %s by %s\n", m->name.c_str(),
                m->description.c_str(), m->created_at.c_str(), m->created_by.c_str());
    for (const auto& a : *aliases) {
      std::printf("alias:       %s -> %lld%s\n", a.alias.c_str(), static_cast<long long>(a.version),
                  a.is_protected ? " (protected)" : "");
    }
    for (const auto& t : *tags) std::printf("tag:         %s=%s\n", t.key.c_str(), t.value.c_str());
    std::printf("%-8s %-8s %-24s %s\n", "VERSION", "STATUS", "CREATED", "DIGEST");
    for (const auto& v : *versions) {
      std::printf("%-8lld %-8s %-24s %s\n", static_cast<long long>(v.version),
                  std::string(registry::VersionStatusName(v.status)).c_str(), v.created_at.c_str(),
                  v.bundle_digest.c_str());
    }
    return kExitOk;
  }
  auto v = reg.Resolve(*ref);
  if (!v.ok()) return Fail(v.status());
  auto tags = reg.store().ListTags(v->model, v->version);
  if (!tags.ok()) return Fail(tags.status());
  PrintLine(registry::VersionJson(*v, *tags));
  return kExitOk;
}

int ModelsCreate(const RegistryCommonArgs& common, const std::string& name,
                 const std::string& description) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto m = reg.CreateModel(name, description, ActorOf(common));
  if (!m.ok()) return Fail(m.status());
  PrintLine(m->name);
  return kExitOk;
}

int ModelsRegister(const RegistryCommonArgs& common, const ModelsRegisterArgs& args) {
  std::error_code ec;
  if (!std::filesystem::exists(args.bundle, ec)) {
    return Fail(NotFound(args.bundle + " does not exist"));
  }
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  registry::RegisterRequest req{args.bundle, args.name, args.description, {}};
  auto v = bundle::LooksLikeArchive(args.bundle)
               ? reg.RegisterArchive(args.bundle, req, ActorOf(common))
               : reg.Register(req, ActorOf(common));
  if (!v.ok()) return Fail(v.status());
  if (common.json) {
    PrintLine(registry::VersionJson(*v, {}));
  } else {
    PrintLine(registry::VersionRef(v->model, v->version));
  }
  return kExitOk;
}

int ModelsAlias(const RegistryCommonArgs& common, const ModelsAliasArgs& args) {
  auto ref = registry::ParseReference(args.alias_ref);
  if (!ref.ok()) return Fail(ref.status());
  if (ref->alias.empty())
    return Fail(InvalidArgument("expected name@alias, got '" + args.alias_ref + "'"));
  std::string target = args.target;
  if (target.find(':') == std::string::npos) target = ref->name + ":" + target;
  auto t = registry::ParseReference(target);
  if (!t.ok()) return Fail(t.status());
  if (t->name != ref->name || !t->version) {
    return Fail(InvalidArgument("alias target must be a version of " + ref->name + " (7 or " +
                                ref->name + ":7), got '" + args.target + "'"));
  }
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto a =
      reg.SetAlias(ref->name, ref->alias, *t->version, {args.protect, args.force}, ActorOf(common));
  if (!a.ok()) return Fail(a.status());
  if (common.json) {
    PrintLine(registry::AliasJson(*a));
  } else {
    PrintLine(ref->name + "@" + ref->alias + " -> " + registry::VersionRef(ref->name, a->version));
  }
  return kExitOk;
}

int ModelsUnalias(const RegistryCommonArgs& common, const std::string& alias_ref, bool force) {
  auto ref = registry::ParseReference(alias_ref);
  if (!ref.ok()) return Fail(ref.status());
  if (ref->alias.empty())
    return Fail(InvalidArgument("expected name@alias, got '" + alias_ref + "'"));
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  Status s = reg.DeleteAlias(ref->name, ref->alias, force, ActorOf(common));
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

int ModelsTag(const RegistryCommonArgs& common, const ModelsTagArgs& args) {
  auto ref = registry::ParseReference(args.ref);
  if (!ref.ok()) return Fail(ref.status());
  if (args.set.empty() && args.remove.empty()) {
    return Fail(InvalidArgument("give key=value pairs to set and/or --delete KEY"));
  }
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  registry::Actor actor = ActorOf(common);
  for (const auto& kv : args.set) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos)
      return Fail(InvalidArgument("expected key=value, got '" + kv + "'"));
    Status s = reg.SetTag(*ref, kv.substr(0, eq), kv.substr(eq + 1), actor);
    if (!s.ok()) return Fail(s);
  }
  for (const auto& key : args.remove) {
    Status s = reg.DeleteTag(*ref, key, actor);
    if (!s.ok()) return Fail(s);
  }
  return kExitOk;
}

int ModelsDelete(const RegistryCommonArgs& common, const std::string& text) {
  auto ref = registry::ParseReference(text);
  if (!ref.ok()) return Fail(ref.status());
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  Status s = reg.Delete(*ref, ActorOf(common));
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

int ModelsHistory(const RegistryCommonArgs& common, const std::string& name, int64_t limit) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto entries = reg.store().History(name, limit);
  if (!entries.ok()) return Fail(entries.status());
  if (entries->empty() && !name.empty()) {
    Status s = reg.store().GetModel(name).status();
    if (!s.ok()) return Fail(s);
  }
  if (common.json) {
    PrintLine(registry::AuditJson(*entries));
    return kExitOk;
  }
  for (const auto& e : *entries) {
    std::string what = e.model;
    if (e.version != 0) what = registry::VersionRef(e.model, e.version);
    if (!e.alias.empty()) what += " @" + e.alias;
    std::printf("%s  %-12s %-15s %s  %s%s\n", e.at.c_str(), e.actor.c_str(), e.action.c_str(),
                what.c_str(), e.detail.c_str(),
                e.reason.empty() ? "" : ("  reason: " + e.reason).c_str());
  }
  return kExitOk;
}

int ModelsMaterialize(const RegistryCommonArgs& common, const std::string& ref) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto dir = registry::ResolveToBundleDir(reg, ref);
  if (!dir.ok()) return Fail(dir.status());
  PrintLine(dir->string());
  return kExitOk;
}

int RegistryGc(const RegistryCommonArgs& common, int64_t grace_seconds, bool dry_run) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto report = reg.Gc({grace_seconds, dry_run});
  if (!report.ok()) return Fail(report.status());
  if (common.json) {
    PrintLine(registry::GcJson(*report));
  } else {
    std::printf(
        "%s %zu blob(s), %lld bytes; %lld temporary file(s); %lld unreferenced blob(s) "
        "kept (grace period)\n",
        dry_run ? "would remove" : "removed", report->removed_blobs.size(),
        static_cast<long long>(report->removed_bytes),
        static_cast<long long>(report->removed_temps), static_cast<long long>(report->kept_young));
    for (const auto& v : report->failed_registrations) {
      std::printf("%s interrupted registration %s: now failed\n", dry_run ? "would mark" : "marked",
                  v.c_str());
    }
  }
  return kExitOk;
}

int RegistryMigrate(const RegistryCommonArgs& common) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto v = reg.store().SchemaVersion();
  if (!v.ok()) return Fail(v.status());
  std::printf("registry %s schema at version %d (latest %d)\n",
              std::string(reg.store().kind()).c_str(), *v, registry::LatestSchemaVersion());
  return kExitOk;
}

int RegistryCheck(const RegistryCommonArgs& common) {
  auto opened = OpenRegistry(common);
  if (!opened.ok()) return Fail(opened.status());
  Registry& reg = **opened;
  auto report = reg.Check();
  if (!report.ok()) return Fail(report.status());
  if (common.json) {
    PrintLine(registry::CheckJson(*report));
  } else {
    std::printf(
        "%lld model(s), %lld version(s), %lld blob(s) (%lld unreferenced), %lld "
        "temporary file(s)\n",
        static_cast<long long>(report->models), static_cast<long long>(report->versions),
        static_cast<long long>(report->blobs), static_cast<long long>(report->unreferenced_blobs),
        static_cast<long long>(report->temp_files));
    for (const auto& v : report->registering) {
      std::printf(
          "registering: %s (in progress, or interrupted: gc marks it failed after the "
          "grace period)\n",
          v.c_str());
    }
    for (const auto& p : report->problems) std::fprintf(stderr, "problem: %s\n", p.c_str());
    std::printf("%s\n", report->ok() ? "ok" : "problems found");
  }
  return report->ok() ? kExitOk : kExitFailure;
}

}  // namespace ferry::cli
