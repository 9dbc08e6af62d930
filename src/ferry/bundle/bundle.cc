#include "ferry/bundle/bundle.h"

#include <algorithm>
#include <map>

#include "ferry/base/files.h"
#include "ferry/base/sha256.h"
#include "ferry/bundle/baseline.h"

namespace fs = std::filesystem;

namespace ferry::bundle {

namespace {

// Resolves a manifest path inside the bundle and checks it is a regular
// file that stays inside the folder even through symlinks.
Status CheckBundleFile(const fs::path& root, const std::string& rel, std::string_view field) {
  fs::path p = root / rel;
  std::error_code ec;
  fs::file_status st = fs::symlink_status(p, ec);
  std::string where = (root / kManifestFile).string() + ": field '" + std::string(field) + "'";
  if (ec || !fs::exists(st))
    return InvalidArgument(where + ": file '" + rel + "' does not exist in the bundle");
  if (fs::is_symlink(st))
    return InvalidArgument(where + ": '" + rel + "' is a symlink; bundles hold regular files only");
  if (!fs::is_regular_file(st))
    return InvalidArgument(where + ": '" + rel + "' is not a regular file");
  if (!IsWithin(root, p))
    return InvalidArgument(where + ": '" + rel + "' resolves outside the bundle");
  return Status::Ok();
}

}  // namespace

fs::path Bundle::BaselinePath() const {
  return manifest.baseline.empty() ? fs::path() : root / manifest.baseline;
}

Result<Bundle> OpenBundle(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("bundle folder " + dir.string() + " does not exist or is not a folder");
  }
  Bundle b;
  b.root = fs::absolute(dir).lexically_normal();
  if (b.root.has_filename() == false) b.root = b.root.parent_path();
  fs::path manifest_path = b.root / kManifestFile;
  if (!fs::exists(manifest_path, ec)) {
    return NotFound(manifest_path.string() +
                    ": missing; a bundle folder needs a ferry.yaml manifest");
  }
  FERRY_ASSIGN_OR_RETURN(std::string yaml, ReadFile(manifest_path, 1 << 20));
  FERRY_ASSIGN_OR_RETURN(b.manifest, ParseManifest(yaml, manifest_path.string()));
  FERRY_RETURN_IF_ERROR(CheckBundleFile(b.root, b.manifest.artifact, "artifact"));
  if (!b.manifest.baseline.empty()) {
    FERRY_RETURN_IF_ERROR(CheckBundleFile(b.root, b.manifest.baseline, "baseline"));
  }
  if (!b.manifest.metrics.empty()) {
    FERRY_RETURN_IF_ERROR(CheckBundleFile(b.root, b.manifest.metrics, "metrics"));
  }
  return b;
}

Result<std::vector<FileDigest>> HashFiles(const fs::path& dir) {
  std::vector<FileDigest> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return NotFound("cannot read folder " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Internal("cannot read folder " + dir.string() + ": " + ec.message());
    fs::file_status st = it->symlink_status();
    std::string rel = it->path().lexically_relative(dir).generic_string();
    if (fs::is_symlink(st)) {
      return InvalidArgument(rel + " is a symlink; bundles hold regular files and folders only");
    }
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st)) {
      return InvalidArgument(rel +
                             " is a special file; bundles hold regular files and folders only");
    }
    if (rel == kChecksumsFile) continue;
    FERRY_ASSIGN_OR_RETURN(std::string hex, Sha256File(it->path()));
    files.push_back({rel, std::move(hex), static_cast<uint64_t>(it->file_size())});
  }
  std::sort(files.begin(), files.end(),
            [](const FileDigest& a, const FileDigest& b) { return a.path < b.path; });
  return files;
}

std::string ChecksumsText(const std::vector<FileDigest>& files) {
  std::string out;
  for (const auto& f : files) out += f.sha256 + "  " + f.path + "\n";
  return out;
}

Result<std::string> ComputeDigest(const fs::path& dir) {
  FERRY_ASSIGN_OR_RETURN(std::vector<FileDigest> files, HashFiles(dir));
  return "sha256:" + Sha256Hex(ChecksumsText(files));
}

Status WriteChecksums(const fs::path& dir) {
  FERRY_ASSIGN_OR_RETURN(std::vector<FileDigest> files, HashFiles(dir));
  return WriteFileAtomic(dir / kChecksumsFile, ChecksumsText(files));
}

Result<VerifyReport> VerifyBundle(const fs::path& dir) {
  VerifyReport report;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("bundle folder " + dir.string() + " does not exist or is not a folder");
  }
  Result<std::vector<FileDigest>> files = HashFiles(dir);
  if (!files.ok()) {
    report.problems.push_back(files.status().message());
  } else {
    report.digest = "sha256:" + Sha256Hex(ChecksumsText(*files));
    fs::path sums = dir / kChecksumsFile;
    if (fs::exists(sums, ec)) {
      report.checksums_present = true;
      Result<std::string> text = ReadFile(sums, 16 << 20);
      if (!text.ok()) {
        report.problems.push_back(text.status().message());
      } else {
        std::map<std::string, std::string> expected;
        size_t pos = 0;
        while (pos < text->size()) {
          size_t nl = text->find('\n', pos);
          if (nl == std::string::npos) nl = text->size();
          std::string line = text->substr(pos, nl - pos);
          pos = nl + 1;
          if (line.empty()) continue;
          if (line.size() < 67 || line.compare(64, 2, "  ") != 0) {
            report.problems.push_back(std::string(kChecksumsFile) + ": malformed line '" + line +
                                      "'");
            continue;
          }
          expected[line.substr(66)] = line.substr(0, 64);
        }
        for (const auto& f : *files) {
          auto it = expected.find(f.path);
          if (it == expected.end()) {
            report.problems.push_back(f.path + ": not listed in " + std::string(kChecksumsFile) +
                                      " (file added after the bundle was made)");
          } else {
            if (it->second != f.sha256) {
              report.problems.push_back(f.path + ": content changed (sha256 " + f.sha256 +
                                        ", expected " + it->second + ")");
            }
            expected.erase(it);
          }
        }
        for (const auto& [path, sum] : expected) {
          report.problems.push_back(path + ": listed in " + std::string(kChecksumsFile) +
                                    " but missing");
        }
      }
    }
  }
  Result<Bundle> bundle = OpenBundle(dir);
  if (!bundle.ok()) {
    report.problems.push_back(bundle.status().message());
    return report;
  }
  backends::LoadOptions load;
  load.tree_predictor = backends::LoadOptions::TreePredictor::kFramework;
  load.load_threads = 1;
  Result<std::unique_ptr<backends::Model>> model = LoadModel(*bundle, load);
  if (!model.ok()) report.problems.push_back(model.status().message());
  if (!bundle->manifest.baseline.empty()) {
    Result<std::string> json = ReadFile(bundle->BaselinePath(), 256 << 20);
    if (!json.ok()) {
      report.problems.push_back(json.status().message());
    } else {
      Result<Baseline> baseline = ParseBaselineJson(*json, bundle->BaselinePath().string());
      if (!baseline.ok()) report.problems.push_back(baseline.status().message());
    }
  }
  report.bundle = std::move(*bundle);
  return report;
}

Result<std::unique_ptr<backends::Model>> LoadModel(const Bundle& bundle,
                                                   const backends::LoadOptions& options) {
  const backends::Backend* backend = backends::FindBackend(bundle.manifest.framework);
  if (backend == nullptr) {
    return FailedPrecondition("no backend for framework '" + bundle.manifest.framework + "'");
  }
  backends::ModelSpec spec;
  spec.artifact = bundle.ArtifactPath();
  spec.task = bundle.manifest.task;
  spec.signature = bundle.manifest.signature;
  return backend->Load(spec, options);
}

}  // namespace ferry::bundle
