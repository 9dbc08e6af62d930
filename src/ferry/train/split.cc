#include "ferry/train/split.h"

#include <sodium.h>

#include <cmath>
#include <cstdio>

namespace ferry::train {

namespace {

std::string FormatNumber(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", x);
  return buf;
}

}  // namespace

Status CheckSplitRatios(const SplitRatios& ratios) {
  const std::array<double, 3> values = {ratios.train, ratios.validation, ratios.test};
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= 0.0 && values[i] <= 1.0)) {
      return InvalidArgument("ratios: " + std::string(kSplitPartNames[i]) +
                             " must be in [0, 1], got " + FormatNumber(values[i]));
    }
  }
  double sum = values[0] + values[1] + values[2];
  if (std::fabs(sum - 1.0) > 1e-9) {
    return InvalidArgument("ratios: must sum to 1, got " + FormatNumber(sum));
  }
  return Status::Ok();
}

SplitHasher::SplitHasher(std::string_view seed) {
  static_assert(crypto_shorthash_KEYBYTES == 16);
  static_assert(crypto_generichash_BYTES_MIN <= 16);
  // The hash functions need no sodium_init(): they pick no CPU-specific code
  // and use no randomness.
  crypto_generichash(key_.data(), key_.size(), reinterpret_cast<const unsigned char*>(seed.data()),
                     seed.size(), nullptr, 0);
}

double SplitHasher::Unit(std::string_view key) const {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   key_.data());
  uint64_t h = 0;
  for (int i = 7; i >= 0; --i) h = (h << 8) | out[i];
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

SplitPart PartOf(double u, const SplitRatios& ratios) {
  double sum = ratios.train + ratios.validation + ratios.test;
  // x / x == 1 exactly, so when test is 0 the validation bound is 1 and no
  // row can reach test (likewise for the other parts).
  double train_end = ratios.train / sum;
  double validation_end = (ratios.train + ratios.validation) / sum;
  if (u < train_end) return SplitPart::kTrain;
  if (u < validation_end) return SplitPart::kValidation;
  return SplitPart::kTest;
}

Result<SplitRows> SplitTable(const DataTable& table, const SplitOptions& options) {
  FERRY_RETURN_IF_ERROR(CheckSplitRatios(options.ratios));
  int64_t column = table.ColumnIndex(options.key_column);
  if (column < 0) {
    std::string names;
    for (const std::string& c : table.columns) names += (names.empty() ? "" : ", ") + c;
    return NotFound(table.name + ": no column named '" + options.key_column +
                    "' (columns: " + names + ")");
  }
  SplitHasher hasher(options.seed);
  SplitRows rows;
  const std::vector<std::string>& keys = table.cells[column];
  for (int64_t r = 0; r < table.rows(); ++r) {
    if (keys[r].empty()) {
      return InvalidArgument(table.name + ":" + std::to_string(table.lines[r]) + ": column '" +
                             options.key_column + "' is empty");
    }
    SplitPart part = PartOf(hasher.Unit(keys[r]), options.ratios);
    rows.parts[static_cast<size_t>(part)].push_back(r);
  }
  return rows;
}

}  // namespace ferry::train
