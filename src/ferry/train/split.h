#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/train/data_table.h"

namespace ferry::train {

// Shares of a split. Each in [0, 1], summing to 1 within 1e-9.
struct SplitRatios {
  double train = 0.7;
  double validation = 0.15;
  double test = 0.15;
};

// InvalidArgument "ratios: <name> must be in [0, 1], got <x>" or
// "ratios: must sum to 1, got <sum>".
Status CheckSplitRatios(const SplitRatios& ratios);

enum class SplitPart { kTrain = 0, kValidation = 1, kTest = 2 };
inline constexpr std::array<std::string_view, 3> kSplitPartNames = {"train", "validation", "test"};

// Maps a key's text to a number in [0, 1) that depends only on the seed and
// the text: SipHash-2-4 (libsodium crypto_shorthash) keyed with
// BLAKE2b-128(seed) (crypto_generichash, 16-byte output, no key); the 64-bit
// result read little-endian, its top 53 bits times 2^-53. Thread-safe.
class SplitHasher {
 public:
  explicit SplitHasher(std::string_view seed);
  double Unit(std::string_view key) const;

 private:
  std::array<unsigned char, 16> key_{};
};

// The part that unit value `u` in [0, 1) falls in: with ratios normalized by
// their sum, [0, train) → train, [train, train + validation) → validation,
// the rest → test. A part with ratio 0 never receives a row.
SplitPart PartOf(double u, const SplitRatios& ratios);

struct SplitOptions {
  std::string key_column;
  SplitRatios ratios;
  std::string seed;
};

// Row indices of each part, in input order.
struct SplitRows {
  std::array<std::vector<int64_t>, 3> parts;  // indexed by SplitPart
};

// Assigns every row of `table` by the text of its key cell. Errors:
// InvalidArgument from CheckSplitRatios; NotFound "<file>: no column named
// '<k>' (columns: a, b, c)"; InvalidArgument "<file>:<line>: column '<k>' is
// empty" for an empty key cell.
Result<SplitRows> SplitTable(const DataTable& table, const SplitOptions& options);

}  // namespace ferry::train
