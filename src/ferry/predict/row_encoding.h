#pragma once

#include <string>
#include <string_view>

namespace ferry::predict {

// The text encodings shared by every writer of prediction rows (ferry predict and ferry batch),
// so that both commands produce byte-identical files. Thread-safe (pure functions).

// Appends `s` as one CSV field: as is, or in double quotes (with "" for a quote) when it holds a
// comma, a quote or a line break.
void AppendCsvField(std::string* out, std::string_view s);

// Appends the shortest text that reads back as the same float; NaN is written "nan".
void AppendCsvFloat(std::string* out, float v);

// Appends the shortest text that reads back as the same float; non-finite values are written
// "null" (JSON has no NaN), as JsonWriter::Float does.
void AppendJsonFloat(std::string* out, float v);

}  // namespace ferry::predict
