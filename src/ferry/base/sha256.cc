#include "ferry/base/sha256.h"

#include <sodium.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace ferry {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "state buffer too small");

namespace {
crypto_hash_sha256_state* StateOf(std::array<unsigned char, 128>& buf) {
  return reinterpret_cast<crypto_hash_sha256_state*>(buf.data());
}
}  // namespace

Sha256::Sha256() { crypto_hash_sha256_init(StateOf(state_)); }

void Sha256::Update(const void* data, size_t size) {
  crypto_hash_sha256_update(StateOf(state_), static_cast<const unsigned char*>(data), size);
}

std::string Sha256::HexDigest() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(StateOf(state_), out);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), out, sizeof(out));
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

Result<std::string> Sha256File(const std::filesystem::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFound("cannot open " + path.string());
  Sha256 h;
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) h.Update(buf.data(), n);
  if (std::ferror(f.get())) return DataLoss("read error on " + path.string());
  return h.HexDigest();
}

}  // namespace ferry
