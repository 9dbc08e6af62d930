#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/base/sha256.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/baseline.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/bundle/create.h"
#include "ferry/cli/commands.h"
#include "ferry/registry/signature_json.h"

namespace fs = std::filesystem;

namespace ferry::cli {

namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return kExitFailure;
}

std::string HumanSize(uint64_t bytes) {
  if (bytes < 10 * 1024) return fmt::format("{} B", bytes);
  if (bytes < 10 * 1024 * 1024) return fmt::format("{} KiB", bytes / 1024);
  return fmt::format("{} MiB", bytes / (1024 * 1024));
}

std::string SpecLine(const TensorSpec& s) {
  std::string line =
      fmt::format("  {:<16} {:<6} {}", s.name, DataTypeName(s.datatype), s.shape.ToString());
  if (!s.features.empty()) {
    std::string names;
    for (size_t i = 0; i < s.features.size() && i < 4; ++i)
      names += (i ? ", " : "") + s.features[i];
    if (s.features.size() > 4) names += ", …";
    line += fmt::format("  features: {}", names);
  }
  return line;
}

}  // namespace

int BundleCreate(const BundleCreateArgs& a) {
  bundle::CreateOptions o;
  o.model_file = a.model;
  o.output_dir = a.output;
  o.name = a.name;
  o.framework = a.framework;
  if (!a.task.empty()) {
    o.task = ParseTask(a.task);
    if (!o.task) {
      return Fail(
          InvalidArgument("--task: expected regression, binary_classification or "
                          "multiclass_classification, got '" +
                          a.task + "'"));
    }
  }
  o.features = a.features;
  o.baseline_csv = a.baseline;
  o.label_column = a.label;
  o.description = a.description;
  Result<bundle::Bundle> b = bundle::CreateBundle(o);
  if (!b.ok()) return Fail(b.status());
  Result<std::string> digest = bundle::ComputeDigest(b->root);
  if (!digest.ok()) return Fail(digest.status());
  std::printf("created bundle %s (%s, %s)\ndigest %s\n", b->root.c_str(), b->manifest.name.c_str(),
              std::string(TaskName(b->manifest.task)).c_str(), digest->c_str());
  return kExitOk;
}

int BundleInspect(const BundleInspectArgs& a) {
  Result<std::unique_ptr<bundle::BundleSource>> src = bundle::BundleSource::Open(a.path);
  if (!src.ok()) return Fail(src.status());
  Result<bundle::Bundle> b = bundle::OpenBundle((*src)->dir());
  if (!b.ok()) return Fail(b.status());
  Result<std::vector<bundle::FileDigest>> files = bundle::HashFiles(b->root);
  if (!files.ok()) return Fail(files.status());
  std::string digest = "sha256:" + Sha256Hex(bundle::ChecksumsText(*files));
  std::optional<bundle::Baseline> baseline;
  if (!b->manifest.baseline.empty()) {
    Result<std::string> text = ReadFile(b->BaselinePath(), 256 << 20);
    if (!text.ok()) return Fail(text.status());
    Result<bundle::Baseline> parsed = bundle::ParseBaselineJson(*text, b->BaselinePath().string());
    if (!parsed.ok()) return Fail(parsed.status());
    baseline = std::move(*parsed);
  }
  const bundle::Manifest& m = b->manifest;
  if (a.json) {
    std::string out;
    JsonWriter j(&out);
    j.BeginObject();
    j.Key("path").String(a.path);
    j.Key("apiVersion").String(m.api_version);
    j.Key("name").String(m.name);
    j.Key("framework").String(m.framework);
    j.Key("artifact").String(m.artifact);
    j.Key("task").String(TaskName(m.task));
    j.Key("digest").String(digest);
    j.Key("description").String(m.description);
    j.Key("signature").Raw(registry::SignatureJson(m.signature));
    j.Key("baseline");
    if (baseline) {
      j.BeginObject();
      j.Key("path").String(m.baseline);
      j.Key("rows").Int(baseline->rows);
      j.Key("features").Uint(baseline->features.size());
      j.EndObject();
    } else {
      j.Null();
    }
    j.Key("metrics");
    if (m.metrics.empty())
      j.Null();
    else
      j.String(m.metrics);
    j.Key("lineage").BeginObject();
    j.Key("pipeline").String(m.lineage.pipeline);
    j.Key("run").String(m.lineage.run);
    j.Key("data").String(m.lineage.data);
    j.Key("created").String(m.lineage.created);
    j.Key("parent").String(m.lineage.parent);
    j.EndObject();
    j.Key("files").BeginArray();
    for (const auto& f : *files) {
      j.BeginObject().Key("path").String(f.path).Key("size").Uint(f.size).Key("sha256").String(
          f.sha256);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  std::printf("%-12s %s\n", "Bundle", a.path.c_str());
  std::printf("%-12s %s\n", "Name", m.name.c_str());
  if (!m.description.empty()) std::printf("%-12s %s\n", "Description", m.description.c_str());
  std::printf("%-12s %s\n", "Framework", m.framework.c_str());
  std::printf("%-12s %s\n", "Task", std::string(TaskName(m.task)).c_str());
  std::printf("%-12s %s\n", "Artifact", m.artifact.c_str());
  std::printf("%-12s %s\n", "Digest", digest.c_str());
  std::printf("Inputs\n");
  for (const auto& s : m.signature.inputs) std::printf("%s\n", SpecLine(s).c_str());
  std::printf("Outputs\n");
  for (const auto& s : m.signature.outputs) std::printf("%s\n", SpecLine(s).c_str());
  if (baseline) {
    std::printf("%-12s %s (%lld rows, %zu columns profiled)\n", "Baseline", m.baseline.c_str(),
                static_cast<long long>(baseline->rows), baseline->features.size());
  } else {
    std::printf("%-12s none\n", "Baseline");
  }
  if (!m.lineage.pipeline.empty() || !m.lineage.run.empty() || !m.lineage.data.empty()) {
    std::printf("%-12s pipeline=%s run=%s data=%s created=%s\n", "Lineage",
                m.lineage.pipeline.c_str(), m.lineage.run.c_str(), m.lineage.data.c_str(),
                m.lineage.created.c_str());
  }
  std::printf("Files\n");
  for (const auto& f : *files) {
    std::printf("  %-24s %10s  %.12s…\n", f.path.c_str(), HumanSize(f.size).c_str(),
                f.sha256.c_str());
  }
  return kExitOk;
}

int BundlePack(const BundlePackArgs& a) {
  Result<bundle::Bundle> b = bundle::OpenBundle(a.dir);
  if (!b.ok()) return Fail(b.status());
  std::string out = a.output;
  if (out.empty()) out = b->root.string() + ".tar.zst";
  std::error_code ec;
  if (fs::exists(out, ec)) return Fail(AlreadyExists(out + " already exists"));
  Result<std::string> digest = bundle::ComputeDigest(b->root);
  if (!digest.ok()) return Fail(digest.status());
  Status s = bundle::PackDirectory(b->root, out);
  if (!s.ok()) return Fail(s);
  std::printf("packed %s -> %s\ndigest %s\n", b->root.c_str(), out.c_str(), digest->c_str());
  return kExitOk;
}

int BundleUnpack(const BundleUnpackArgs& a) {
  Status s = bundle::UnpackArchive(a.archive, a.output, {}, [](const fs::path& tmp) {
    return bundle::OpenBundle(tmp).status();
  });
  if (!s.ok()) return Fail(s.WithContext(a.archive));
  Result<std::string> digest = bundle::ComputeDigest(a.output);
  if (!digest.ok()) return Fail(digest.status());
  std::printf("unpacked %s -> %s\ndigest %s\n", a.archive.c_str(), a.output.c_str(),
              digest->c_str());
  return kExitOk;
}

int BundleVerify(const BundleVerifyArgs& a) {
  Result<std::unique_ptr<bundle::BundleSource>> src = bundle::BundleSource::Open(a.path);
  if (!src.ok()) return Fail(src.status());
  Result<bundle::VerifyReport> r = bundle::VerifyBundle((*src)->dir());
  if (!r.ok()) return Fail(r.status());
  if (!a.digest.empty() && a.digest != r->digest) {
    r->problems.push_back("digest " + r->digest + " does not match the expected " + a.digest);
  }
  if (a.json) {
    std::string out;
    JsonWriter j(&out);
    j.BeginObject();
    j.Key("path").String(a.path);
    j.Key("ok").Bool(r->ok());
    j.Key("digest").String(r->digest);
    j.Key("checksums").Bool(r->checksums_present);
    j.Key("problems").BeginArray();
    for (const auto& p : r->problems) j.String(p);
    j.EndArray();
    j.EndObject();
    std::printf("%s\n", out.c_str());
  } else {
    for (const auto& p : r->problems) std::fprintf(stderr, "problem: %s\n", p.c_str());
    if (r->ok()) {
      std::printf("ok %s\ndigest %s\n", a.path.c_str(), r->digest.c_str());
      if (!r->checksums_present) {
        std::printf(
            "note: no %s in the bundle, so file contents were checked only against the digest\n",
            std::string(bundle::kChecksumsFile).c_str());
      }
    } else {
      std::fprintf(stderr, "error: bundle %s failed verification (%zu problem%s)\n", a.path.c_str(),
                   r->problems.size(), r->problems.size() == 1 ? "" : "s");
    }
  }
  return r->ok() ? kExitOk : kExitFailure;
}

}  // namespace ferry::cli
