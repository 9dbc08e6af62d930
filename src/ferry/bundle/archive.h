#pragma once

// Packing a bundle folder into one compressed tar file, and unpacking such a file safely.
//
// Pure archive semantics: these functions know nothing about manifests or model formats. A bundle
// archive holds only regular files and folders. Both functions are reentrant (no shared state); two
// calls must not target the same output path at the same time.

#include <cstdint>
#include <filesystem>
#include <functional>

#include "ferry/base/status.h"

namespace ferry::bundle {

// Limits applied while unpacking an untrusted archive. Sizes are of the unpacked data.
struct UnpackOptions {
  uint64_t max_entry_bytes = 4ull << 30;   // any single file
  uint64_t max_total_bytes = 16ull << 30;  // sum of all files
  uint64_t max_entries = 10000;            // files and folders, counted as headers are read
};

// Packs every regular file and folder under `dir` (recursively) into a zstd-compressed pax tar at
// `archive_path`, written atomically (temporary file in the same folder, fsync, rename): readers
// see the old file or the complete new one.
//
// Reproducible: paths in the archive are relative to `dir` and sorted; every entry has mtime 0,
// uid/gid 0, no owner names, mode 0644 (files) or 0755 (folders). The same folder gives the same
// bytes on any machine.
//
// Errors: NotFound if `dir` does not exist; InvalidArgument if it is not a folder, if
// `archive_path` lies inside `dir`, or if `dir` holds a symlink, device, FIFO or socket (the
// message names its path relative to `dir`); FailedPrecondition if a file changes size while being
// packed; Internal for I/O failures. On error no file is left at `archive_path` (an older file
// there is untouched).
Status PackDirectory(const std::filesystem::path& dir, const std::filesystem::path& archive_path);

// Writes the same archive bytes as PackDirectory to `fd` (an open file the caller owns, from its
// current offset), with no fsync and no rename: for callers that make the file durable
// themselves. Same errors as PackDirectory; on error the file holds a partial archive.
Status WriteDirectoryArchive(const std::filesystem::path& dir, int fd);

// Unpacks `archive_path` (a tar/pax/ustar/GNU tar file, compressed with anything libarchive
// detects) into the folder `dest`, which must not exist. Entries are written into a fresh sibling
// temporary folder; `validate(tmp_dir)` (if given) is then called on the complete tree, and only if
// everything succeeds is the temporary folder renamed to `dest` (never replacing anything created
// there meanwhile). On any failure the temporary folder is removed and `dest` does not exist: never
// a half-written bundle. Unpacked files get mode 0644 and folders 0755, whatever the archive says.
//
// Errors:
//   AlreadyExists   `dest` exists (its contents are not touched).
//   NotFound        `archive_path` cannot be opened, or the folder that should hold `dest` is
//   missing. InvalidArgument an entry is unsafe; the message names it: an absolute path, a ".."
//   component,
//                   a symlink (any target), a hard link, a device/FIFO/socket, a duplicate path, or
//                   a path under something that is not a folder.
//   OutOfRange      an entry declares more than max_entry_bytes (checked from the header, before
//   any
//                   data is read), the declared sizes add up past max_total_bytes, an entry yields
//                   more bytes than it declared, or there are more than max_entries entries.
//   DataLoss        the archive is corrupt, truncated or not a tar (libarchive's message included).
//   any code        returned by `validate`, unchanged.
//   Internal        local I/O failures (disk full, permissions).
Status UnpackArchive(const std::filesystem::path& archive_path, const std::filesystem::path& dest,
                     const UnpackOptions& options = {},
                     const std::function<Status(const std::filesystem::path&)>& validate = nullptr);

}  // namespace ferry::bundle
