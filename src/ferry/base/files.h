#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry {

// Reads a whole file. NotFound if it cannot be opened; OutOfRange if it is
// larger than max_bytes.
Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes = size_t{1} << 32);

// Writes `data` to `path` atomically: a temporary file in the same folder,
// fsync, rename, fsync of the folder. Readers see the old or the new file,
// never a mix. An existing path that is neither a regular file nor a folder
// (/dev/null, /dev/stdout, a FIFO) is written to directly, never replaced.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data);

// Checks that `rel` is a safe path inside some root: relative, non-empty,
// no "..", no empty or "." components that hide tricks, no NUL. Returns the
// normalized relative path. `what` names the value in the error message.
Result<std::filesystem::path> SafeRelativePath(std::string_view rel, std::string_view what);

// True when `path` (after resolving symlinks that exist) lies inside `root`.
bool IsWithin(const std::filesystem::path& root, const std::filesystem::path& path);

// "<dir of target>/.<name of target>.tmp-XXXXXX": a mkstemp/mkdtemp template
// for a temporary sibling of `target` (same file system, hidden).
std::string TempSiblingTemplate(const std::filesystem::path& target);

// A fresh, empty, uniquely named folder next to `target` (same file system,
// so it can be renamed onto `target`).
Result<std::filesystem::path> MakeSiblingTempDir(const std::filesystem::path& target);

}  // namespace ferry
