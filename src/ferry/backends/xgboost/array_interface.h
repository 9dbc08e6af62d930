#pragma once

#include <cstdint>
#include <span>
#include <string_view>

// The __array_interface__ JSON that XGBoost's in-place prediction reads,
// formatted without heap allocation. Pure function; thread-safe.
namespace ferry::backends::xgboost {

// Writes
//   {"data":[<address>,true],"shape":[<rows>,<cols>],"typestr":"<typestr>","version":3}
// into `out`, NUL-terminated, and returns the text (without the NUL); an
// empty view if it does not fit. `typestr` is "<f4" or "<f8". Formats with
// std::to_chars: on a 100-tree model at one row per call, snprintf alone
// cost about 1.5% of the prediction.
std::string_view FormatArrayInterface(std::span<char> out, const void* data, int64_t rows,
                                      int64_t cols, std::string_view typestr);

}  // namespace ferry::backends::xgboost
