#pragma once

#include <string_view>

#include "ferry/base/result.h"

namespace ferry::table {

// True for the spellings of a missing value in a CSV cell: after trimming spaces and tabs, the
// empty string, "NA", "nan", "NaN" or "NAN". The same rule is used for numeric and categorical
// columns.
bool IsMissingValue(std::string_view text);

// Parses a CSV cell as a double (std::from_chars, so independent of the C locale).
//  - Surrounding spaces and tabs are ignored; one leading '+' is accepted.
//  - Missing values (IsMissingValue) and "-nan" give a quiet NaN.
//  - "inf", "-inf", "infinity" (any case) give +-infinity.
//  - A finite spelling too large for a double gives +-infinity; one too small gives +-0 or a
//    subnormal (like strtod).
// Anything else (including hexadecimal, "1,5", "12abc") is InvalidArgument
// "'<text>' is not a number" (text cut to 64 bytes). Thread-safe.
Result<double> ParseNumber(std::string_view text);

}  // namespace ferry::table
