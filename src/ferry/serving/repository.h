#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "ferry/base/result.h"

// Reads a Triton-layout model repository: DIR/NAME/VERSION/ where VERSION
// is a positive integer and each version folder is a Ferry bundle. Entries
// that do not fit (files, hidden folders, non-numeric versions) are skipped.
namespace ferry::serving {

// name → (version → folder). A model folder with no version folders is
// listed with an empty map. NotFound when DIR is not a folder.
using RepositoryListing = std::map<std::string, std::map<int64_t, std::filesystem::path>>;
Result<RepositoryListing> ScanRepository(const std::filesystem::path& dir);

}  // namespace ferry::serving
