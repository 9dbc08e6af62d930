#include "ferry/batch/score_stats.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "ferry/base/json_writer.h"

namespace ferry::batch {

uint64_t ScoreStats::NextRandom() {  // splitmix64
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void ScoreStats::Add(float score) {
  ++count_;
  if (std::isnan(score)) {
    ++nan_count_;
    return;
  }
  const double v = score;
  if (finite_seen_ == 0) {
    min_ = max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  sum_ += v;
  ++finite_seen_;
  if (reservoir_.size() < kReservoirSize) {
    reservoir_.push_back(score);
  } else {
    uint64_t j = NextRandom() % static_cast<uint64_t>(finite_seen_);
    if (j < kReservoirSize) reservoir_[j] = score;
  }
}

double ScoreStats::Quantile(double q) const {
  if (reservoir_.empty()) return 0;
  std::vector<float> s = reservoir_;
  std::sort(s.begin(), s.end());
  double pos = q * static_cast<double>(s.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, s.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return s[lo] + (s[hi] - s[lo]) * frac;
}

std::string ScoreStats::ToJson() const {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("count").Int(count_);
  j.Key("nan_count").Int(nan_count_);
  j.Key("finite_seen").Int(finite_seen_);
  j.Key("sum").Double(sum_);
  j.Key("min").Double(min_);
  j.Key("max").Double(max_);
  j.Key("rng").Uint(rng_);
  j.Key("reservoir").BeginArray();
  for (float v : reservoir_) j.Float(v);
  j.EndArray();
  j.EndObject();
  return out;
}

Result<ScoreStats> ScoreStats::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) {
    return InvalidArgument("score statistics: invalid JSON");
  }
  ScoreStats s;
  simdjson::dom::array arr;
  if (doc["count"].get_int64().get(s.count_) || doc["nan_count"].get_int64().get(s.nan_count_) ||
      doc["finite_seen"].get_int64().get(s.finite_seen_) || doc["sum"].get_double().get(s.sum_) ||
      doc["min"].get_double().get(s.min_) || doc["max"].get_double().get(s.max_) ||
      doc["rng"].get_uint64().get(s.rng_) || doc["reservoir"].get_array().get(arr)) {
    return InvalidArgument("score statistics: missing or mistyped field");
  }
  for (simdjson::dom::element v : arr) {
    double d;
    if (v.get_double().get(d)) return InvalidArgument("score statistics: bad reservoir value");
    s.reservoir_.push_back(static_cast<float>(d));
  }
  return s;
}

}  // namespace ferry::batch
