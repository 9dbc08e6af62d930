#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/backends/backend.h"
#include "ferry/base/result.h"
#include "ferry/bundle/manifest.h"

namespace ferry::bundle {

// Per-file checksums of a bundle, in `sha256sum` format, written at create
// time. It is not itself part of the digest.
inline constexpr std::string_view kChecksumsFile = "ferry.sha256";

// An opened bundle folder: the manifest has been parsed and every path it
// names resolved inside the folder and checked to be a regular file.
// Immutable value; safe to share between threads.
struct Bundle {
  std::filesystem::path root;  // absolute
  Manifest manifest;

  std::filesystem::path ArtifactPath() const { return root / manifest.artifact; }
  // Empty when the manifest names no baseline.
  std::filesystem::path BaselinePath() const;
};

// Opens the bundle in folder `dir`. NotFound when the folder or ferry.yaml is
// missing; InvalidArgument for a bad manifest or a named file that is
// missing, not a regular file, or (through symlinks) outside the folder.
Result<Bundle> OpenBundle(const std::filesystem::path& dir);

// One line of the checksum listing.
struct FileDigest {
  std::string path;    // relative, '/'-separated
  std::string sha256;  // hex
  uint64_t size = 0;
};

// Hashes every regular file under `dir` except ferry.sha256, sorted by
// relative path (bytewise). Refuses symlinks and special files.
Result<std::vector<FileDigest>> HashFiles(const std::filesystem::path& dir);

// "<sha256>  <path>\n" per file, the format of sha256sum.
std::string ChecksumsText(const std::vector<FileDigest>& files);

// The bundle digest: "sha256:" + sha256(ChecksumsText(HashFiles(dir))).
// Depends only on relative paths and contents, so it is the same on every
// machine and for the folder before packing and after unpacking.
Result<std::string> ComputeDigest(const std::filesystem::path& dir);

// Writes ferry.sha256 for the folder's current files (atomically).
Status WriteChecksums(const std::filesystem::path& dir);

// What `ferry bundle verify` found. ok() is true only when every check passed.
struct VerifyReport {
  std::string digest;                 // "sha256:…" of the files as they are now
  bool checksums_present = false;     // ferry.sha256 exists
  std::vector<std::string> problems;  // one human-readable line per failed check
  std::optional<Bundle> bundle;       // the opened bundle, when its manifest is valid
  bool ok() const { return problems.empty(); }
};

// Checks a bundle folder: the manifest (OpenBundle), the files against
// ferry.sha256 (modified, missing, unexpected files), the model loads in its
// backend and agrees with the signature (loaded with the framework's own
// predictor: whether serving compiles it into Ferry's evaluator is decided,
// with a fallback, when it is served), and the baseline parses. Returns an
// error Status only when the folder cannot be examined at all.
Result<VerifyReport> VerifyBundle(const std::filesystem::path& dir);

// Loads the bundle's model with its framework's backend.
Result<std::unique_ptr<backends::Model>> LoadModel(const Bundle& bundle,
                                                   const backends::LoadOptions& options = {});

}  // namespace ferry::bundle
