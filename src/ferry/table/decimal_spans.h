#pragma once

// Plain decimals whose bounds are already known (from a SeparatorIndex), converted eight at a
// time with AVX-512 on CPUs that have it: the per-field work of a numeric CSV without quotes.

#include <cstddef>
#include <cstdint>

namespace ferry::table {

// The most fields one call takes.
inline constexpr size_t kMaxDecimalSpans = 64;

// Converts the fields data[begin[i], end[i]) for i < n (n <= kMaxDecimalSpans) and returns a
// mask of the fields it left alone (bit i): every field that is not "-?D*(.D*)?" with 1 to 15
// digits D, at most 16 bytes in all, and any field with end[i] < 16 (the conversion reads the 16
// bytes before a field's end, which must be readable). The others get their correctly rounded
// value, exactly what ScanSimpleDecimal and std::from_chars give for the same characters: as a
// double in `out_double`, or rounded once more to float (as static_cast<float> of that double)
// in `out_float`. Slots of fields left alone hold garbage.
using DecimalSpansToFloat = uint64_t (*)(const char* data, const uint32_t* begin,
                                         const uint32_t* end, size_t n, float* out_float);
using DecimalSpansToDouble = uint64_t (*)(const char* data, const uint32_t* begin,
                                          const uint32_t* end, size_t n, double* out_double);

// The AVX-512 converters when this CPU has AVX-512 (F, BW, VL, DQ), else nullptr: callers then
// parse field by field (ScanSimpleDecimal).
DecimalSpansToFloat Avx512DecimalSpansToFloat();
DecimalSpansToDouble Avx512DecimalSpansToDouble();

}  // namespace ferry::table
