#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry {

// Incremental SHA-256 (OpenSSL's libcrypto, which uses the CPU's SHA
// instructions where it has them). Not thread-safe; one hasher per thread.
// Move-only.
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes the hash; the hasher must not be updated afterwards.
  std::string HexDigest();

 private:
  struct Context;  // owns an EVP_MD_CTX
  std::unique_ptr<Context> context_;
};

// Lower-case hex sha256 of a string.
std::string Sha256Hex(std::string_view data);
// Lower-case hex sha256 of a file's contents, read in chunks.
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace ferry
