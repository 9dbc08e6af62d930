#pragma once

// Whether the AVX-512 paths for numeric CSV (the separator index, decimal_fields.h, the drift
// binner) may run. They run when the CPU has the instructions, unless the environment variable
// FERRY_CSV_SIMD is "off": for A/B runs, and to test the portable paths on such CPUs. Any other
// value than "off", "auto" or empty is warned about once on stderr and treated as "auto".

namespace ferry::table {

inline constexpr char kCsvSimdEnv[] = "FERRY_CSV_SIMD";

// Read once per process.
bool CsvSimdAllowed();

}  // namespace ferry::table
