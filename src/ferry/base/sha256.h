#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry {

// Incremental SHA-256 (libsodium). Not thread-safe; one hasher per thread.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes the hash; the hasher must not be updated afterwards.
  std::string HexDigest();

 private:
  alignas(16) std::array<unsigned char, 128> state_;  // crypto_hash_sha256_state
};

// Lower-case hex sha256 of a string.
std::string Sha256Hex(std::string_view data);
// Lower-case hex sha256 of a file's contents, read in chunks.
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace ferry
