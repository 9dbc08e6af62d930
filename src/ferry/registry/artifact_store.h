#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::registry {

// A stored blob, named by the hex sha256 of its bytes.
struct BlobInfo {
  std::string sha256;  // 64 lower-case hex digits
  int64_t bytes = 0;
};

struct BlobListing {
  struct Entry {
    std::string sha256;
    std::filesystem::path path;
    int64_t bytes = 0;
    int64_t age_seconds = 0;  // since the last write or reuse
  };
  std::vector<Entry> blobs;
  // Files under the blob tree whose name is not a blob name: never created by
  // Ferry (blobs appear only by rename of a complete, fsynced file).
  std::vector<std::filesystem::path> strays;
  // Temporary files of writes in progress or of killed writers, with their age.
  std::vector<std::pair<std::filesystem::path, int64_t>> temps;
};

// Content-addressed blobs under a root folder:
//   <root>/sha256/<first 2 hex>/<64 hex>   complete, verified-on-read blobs
//   <root>/tmp/                             writes in progress
// A blob is written to tmp/, fsynced, and renamed into place, and its folder
// is fsynced: a crash leaves at most a temporary file, never a half-written
// blob, and a returned blob survives a crash (two syncs per new blob). Identical
// content is stored once. Paths are built only from validated hex digests,
// never from user input. Thread-safe and multi-process-safe (no state beyond
// the file system; every operation is atomic there).
class ArtifactStore {
 public:
  explicit ArtifactStore(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }

  // Packs a bundle folder (bundle::PackDirectory, deterministic bytes) and
  // stores the archive as a blob. Reusing an existing blob refreshes its
  // modification time so that gc's grace period protects it until the
  // caller has recorded its reference.
  Result<BlobInfo> PutBundleDir(const std::filesystem::path& bundle_dir);
  // Stores a copy of a file's bytes as a blob.
  Result<BlobInfo> PutFile(const std::filesystem::path& file);

  // The blob's path after checking its bytes hash to `sha256`.
  // InvalidArgument for a malformed digest; NotFound when absent; DataLoss
  // ("blob … is corrupt: …") when the contents do not match.
  Result<std::filesystem::path> VerifiedPath(const std::string& sha256) const;
  // True when the blob file exists (contents not checked).
  bool Contains(const std::string& sha256) const;

  // Everything under the root (see BlobListing).
  Result<BlobListing> List() const;
  // Removes a blob or a temporary file (path from List()).
  Status Remove(const std::filesystem::path& path) const;

  // True for 64 lower-case hex digits.
  static bool IsValidSha256(const std::string& sha256);

 private:
  class TempFile;  // an open file under tmp/, removed unless adopted

  std::filesystem::path BlobPath(const std::string& sha256) const;
  Result<TempFile> NewTemp() const;
  // Makes the complete temporary file durable and moves it into place as
  // blob `sha256` (or drops it when that blob exists already).
  Result<BlobInfo> Adopt(TempFile& tmp, const std::string& sha256) const;
  // Creates the blob's shard folder if needed, durably; the first blob of a
  // store creates all 256 shard folders under one sync.
  Status MakeShardDir(const std::filesystem::path& shard) const;

  std::filesystem::path root_;
};

}  // namespace ferry::registry
