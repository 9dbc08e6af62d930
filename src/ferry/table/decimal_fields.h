#pragma once

// Plain decimals whose bounds come from a SeparatorIndex, converted eight at a time with AVX-512
// on CPUs that have it: the per-field work of a numeric CSV without quotes.

#include <cstddef>
#include <cstdint>

namespace ferry::table {

// The most fields one call takes.
inline constexpr size_t kMaxDecimalFields = 64;

// Converts the fields between consecutive SeparatorIndex entries: field i (i < n <=
// kMaxDecimalFields) is data[Start(bounds[i - 1]), Start(bounds[i]) - 1), so bounds[-1] must be
// readable, and so must data[0, 16). Returns a mask of the fields it left alone (bit i): every
// field that is not "-?D*(.D*)?" with 1 to 15 digits D, at most 16 bytes in all, and any field
// ending before byte 16 (the conversion reads the 16 bytes before a field's end). The others get
// their correctly rounded value, exactly what ScanSimpleDecimal and std::from_chars give for the
// same characters: as a double, or rounded once more to float (as static_cast<float> of that
// double). Slots of fields left alone hold garbage.
using DecimalFieldsToFloat = uint64_t (*)(const char* data, const uint32_t* bounds, size_t n,
                                          float* out);
using DecimalFieldsToDouble = uint64_t (*)(const char* data, const uint32_t* bounds, size_t n,
                                           double* out);

// The AVX-512 converters when this CPU has AVX-512 (F, BW, VL, DQ) and CsvSimdAllowed()
// (csv_simd.h), else nullptr: callers then parse field by field (ScanSimpleDecimal).
DecimalFieldsToFloat Avx512DecimalFieldsToFloat();
DecimalFieldsToDouble Avx512DecimalFieldsToDouble();

}  // namespace ferry::table
