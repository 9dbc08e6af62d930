#include "ferry/monitor/drift_json.h"

#include <cmath>

namespace ferry::monitor {

void WriteNumberOrNull(JsonWriter& j, double v) {
  if (std::isnan(v)) {
    j.Null();
  } else {
    j.Double(v);
  }
}

void WriteFeatureDrift(JsonWriter& j, const FeatureDrift& d) {
  j.BeginObject().Key("name").String(d.name);
  j.Key("kind").String(d.numeric ? "numeric" : "categorical");
  j.Key("count").Int(d.count).Key("missing").Int(d.missing);
  j.Key("missing_rate").Double(d.missing_rate);
  j.Key("expected_missing_rate").Double(d.expected_missing_rate);
  j.Key("psi");
  WriteNumberOrNull(j, d.psi);
  j.Key("ks");
  WriteNumberOrNull(j, d.ks);
  j.Key("js");
  WriteNumberOrNull(j, d.js);
  j.Key("chi_square");
  WriteNumberOrNull(j, d.chi_square);
  if (!d.numeric) j.Key("unseen").Int(d.unseen);
  j.EndObject();
}

}  // namespace ferry::monitor
