#pragma once

#include "ferry/base/json_writer.h"
#include "ferry/monitor/drift.h"

namespace ferry::monitor {

// Writes one feature's drift as a JSON object: name, kind, count, missing,
// missing_rate, expected_missing_rate, psi, ks, js, chi_square (null when
// not defined), and unseen for categorical features. Shared by `ferry
// monitor drift` and ferry serve's drift API so both read the same.
void WriteFeatureDrift(JsonWriter& j, const FeatureDrift& d);

// A double, or null when it is NaN.
void WriteNumberOrNull(JsonWriter& j, double v);

}  // namespace ferry::monitor
