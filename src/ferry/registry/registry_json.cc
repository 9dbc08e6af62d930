#include "ferry/registry/registry_json.h"

#include "ferry/base/json_writer.h"
#include "ferry/registry/reference.h"

namespace ferry::registry {
namespace {

void WriteTags(JsonWriter& j, const std::vector<TagRecord>& tags) {
  j.Key("tags").BeginObject();
  for (const auto& t : tags) j.Key(t.key).String(t.value);
  j.EndObject();
}

void WriteAlias(JsonWriter& j, const AliasRecord& a) {
  j.BeginObject();
  j.Key("alias").String(a.alias);
  j.Key("version").Int(a.version);
  j.Key("reference").String(VersionRef(a.model, a.version));
  j.Key("protected").Bool(a.is_protected);
  j.Key("updated_at").String(a.updated_at);
  j.Key("updated_by").String(a.updated_by);
  j.EndObject();
}

void WriteVersion(JsonWriter& j, const VersionRecord& v) {
  j.Key("model").String(v.model);
  j.Key("version").Int(v.version);
  j.Key("reference").String(VersionRef(v.model, v.version));
  j.Key("status").String(VersionStatusName(v.status));
  j.Key("digest").String(v.bundle_digest);
  j.Key("blob_sha256").String(v.blob_sha256);
  j.Key("blob_bytes").Int(v.blob_bytes);
  j.Key("framework").String(v.framework);
  j.Key("task").String(v.task);
  j.Key("description").String(v.description);
  j.Key("signature").Raw(v.signature_json.empty() ? "{}" : v.signature_json);
  j.Key("metrics").Raw(v.metrics_json.empty() ? "{}" : v.metrics_json);
  j.Key("lineage").BeginObject();
  j.Key("pipeline").String(v.lineage.pipeline);
  j.Key("run").String(v.lineage.run);
  j.Key("data").String(v.lineage.data);
  j.Key("parent").String(v.lineage.parent);
  j.EndObject();
  j.Key("created_at").String(v.created_at);
  j.Key("created_by").String(v.created_by);
}

}  // namespace

std::string ModelJson(const ModelRecord& m, const std::vector<AliasRecord>& aliases,
                      const std::vector<TagRecord>& tags) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("name").String(m.name);
  j.Key("description").String(m.description);
  j.Key("created_at").String(m.created_at);
  j.Key("created_by").String(m.created_by);
  j.Key("latest_version").Int(m.latest_version);
  j.Key("aliases").BeginArray();
  for (const auto& a : aliases) WriteAlias(j, a);
  j.EndArray();
  WriteTags(j, tags);
  j.EndObject();
  return out;
}

std::string VersionJson(const VersionRecord& v, const std::vector<TagRecord>& tags) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  WriteVersion(j, v);
  WriteTags(j, tags);
  j.EndObject();
  return out;
}

std::string VersionsJson(const std::vector<VersionRecord>& versions) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("versions").BeginArray();
  for (const auto& v : versions) {
    j.BeginObject();
    WriteVersion(j, v);
    j.EndObject();
  }
  j.EndArray().EndObject();
  return out;
}

std::string AliasJson(const AliasRecord& alias) {
  std::string out;
  JsonWriter j(&out);
  WriteAlias(j, alias);
  return out;
}

std::string AuditJson(const std::vector<AuditEntry>& entries) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("history").BeginArray();
  for (const auto& e : entries) {
    j.BeginObject();
    j.Key("id").Int(e.id);
    j.Key("at").String(e.at);
    j.Key("actor").String(e.actor);
    j.Key("action").String(e.action);
    j.Key("model").String(e.model);
    j.Key("version").Int(e.version);
    j.Key("alias").String(e.alias);
    j.Key("detail").String(e.detail);
    j.Key("reason").String(e.reason);
    j.EndObject();
  }
  j.EndArray().EndObject();
  return out;
}

std::string CheckJson(const CheckReport& r) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("ok").Bool(r.ok());
  j.Key("models").Int(r.models);
  j.Key("versions").Int(r.versions);
  j.Key("blobs").Int(r.blobs);
  j.Key("unreferenced_blobs").Int(r.unreferenced_blobs);
  j.Key("temp_files").Int(r.temp_files);
  j.Key("problems").BeginArray();
  for (const auto& p : r.problems) j.String(p);
  j.EndArray();
  j.Key("registering").BeginArray();
  for (const auto& v : r.registering) j.String(v);
  j.EndArray();
  j.EndObject();
  return out;
}

std::string GcJson(const GcReport& r) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("removed_blobs").BeginArray();
  for (const auto& b : r.removed_blobs) j.String(b);
  j.EndArray();
  j.Key("removed_bytes").Int(r.removed_bytes);
  j.Key("removed_temp_files").Int(r.removed_temps);
  j.Key("kept_in_grace_period").Int(r.kept_young);
  j.Key("failed_registrations").BeginArray();
  for (const auto& v : r.failed_registrations) j.String(v);
  j.EndArray();
  j.EndObject();
  return out;
}

}  // namespace ferry::registry
