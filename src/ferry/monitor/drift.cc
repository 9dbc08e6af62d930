#include "ferry/monitor/drift.h"

#include <algorithm>
#include <limits>

#include "ferry/table/number.h"

namespace ferry::monitor {

double Psi(const std::vector<double>& expected, const std::vector<double>& actual) {
  double psi = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    double e = expected[i] > 0 ? expected[i] : kPsiEpsilon;
    double a = actual[i] > 0 ? actual[i] : kPsiEpsilon;
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

double BinnedKs(const std::vector<double>& expected, const std::vector<double>& actual) {
  double ce = 0, ca = 0, ks = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    ce += expected[i];
    ca += actual[i];
    ks = std::max(ks, std::fabs(ca - ce));
  }
  return ks;
}

double JensenShannon(const std::vector<double>& expected, const std::vector<double>& actual) {
  double sum = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    double m = (expected[i] + actual[i]) / 2;
    if (expected[i] > 0) sum += expected[i] * std::log(expected[i] / m);
    if (actual[i] > 0) sum += actual[i] * std::log(actual[i] / m);
  }
  return std::sqrt(std::max(0.0, sum / 2));
}

double ChiSquare(const std::vector<double>& expected, const std::vector<int64_t>& observed) {
  double n = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] > 0) n += static_cast<double>(observed[i]);
  }
  double chi = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] <= 0) continue;
    double e = n * expected[i];
    double d = static_cast<double>(observed[i]) - e;
    chi += d * d / e;
  }
  return chi;
}

int64_t DriftReference::Find(std::string_view name) const {
  for (size_t i = 0; i < features.size(); ++i) {
    if (features[i].name == name) return static_cast<int64_t>(i);
  }
  return -1;
}

namespace {

std::vector<double> Proportions(const std::vector<int64_t>& counts) {
  double total = 0;
  for (int64_t c : counts) total += static_cast<double>(c);
  std::vector<double> p(counts.size(), 0.0);
  if (total <= 0) return p;
  for (size_t i = 0; i < counts.size(); ++i) p[i] = static_cast<double>(counts[i]) / total;
  return p;
}

double MissingRate(int64_t count, int64_t missing) {
  return count + missing > 0 ? static_cast<double>(missing) / static_cast<double>(count + missing)
                             : 0.0;
}

void SetNumericBins(const bundle::NumericProfile& n, FeatureBins& b) {
  b.numeric = true;
  b.cut_points = n.cut_points;
  std::vector<int64_t> counts = n.bin_counts;
  if (b.cut_points.empty()) {  // no value in the baseline: one bin, nothing expected
    b.cut_points = {std::numeric_limits<double>::infinity()};
    counts = {0};
  }
  b.expected = Proportions(counts);
  b.expected_missing_rate = MissingRate(n.count, n.missing);
}

}  // namespace

DriftReference MakeDriftReference(const bundle::Baseline& baseline) {
  DriftReference ref;
  for (const bundle::FeatureProfile& f : baseline.features) {
    FeatureBins b;
    b.name = f.name;
    if (const auto* n = std::get_if<bundle::NumericProfile>(&f.stats)) {
      SetNumericBins(*n, b);
    } else {
      const auto& c = std::get<bundle::CategoricalProfile>(f.stats);
      b.numeric = false;
      std::vector<int64_t> counts;
      for (const auto& [value, k] : c.categories) {
        b.category_index.emplace(value, static_cast<int32_t>(b.categories.size()));
        b.categories.push_back(value);
        counts.push_back(k);
      }
      auto other = b.category_index.find(bundle::kOtherCategory);
      if (other != b.category_index.end()) {
        b.unseen_bin = other->second;
      } else {
        b.unseen_bin = static_cast<int32_t>(counts.size());
        counts.push_back(0);
      }
      b.expected = Proportions(counts);
      b.expected_missing_rate = MissingRate(c.count, c.missing);
    }
    ref.features.push_back(std::move(b));
  }
  if (baseline.prediction) {
    FeatureBins b;
    b.name = "prediction";
    b.is_prediction = true;
    SetNumericBins(baseline.prediction->stats, b);
    ref.prediction_index = static_cast<int64_t>(ref.features.size());
    ref.features.push_back(std::move(b));
  }
  return ref;
}

DriftCounts::DriftCounts(const DriftReference& reference) : reference_(&reference) {
  size_t total = 0;
  padded_cuts_.assign(reference.features.size() * kPaddedCuts,
                      std::numeric_limits<double>::infinity());
  for (size_t f = 0; f < reference.features.size(); ++f) {
    const FeatureBins& b = reference.features[f];
    Slot slot;
    slot.offset = total;
    slot.missing = b.bins();
    const size_t compared = b.cut_points.empty() ? 0 : b.cut_points.size() - 1;
    if (b.numeric && !b.cut_points.empty() && compared <= kPaddedCuts) {
      slot.padded = true;
      std::copy(b.cut_points.begin(), b.cut_points.begin() + static_cast<ptrdiff_t>(compared),
                padded_cuts_.begin() + static_cast<ptrdiff_t>(f * kPaddedCuts));
    }
    slots_.push_back(slot);
    total += b.bins() + 1;
  }
  counts_.assign(total, 0);
}

void DriftCounts::AddCategory(size_t f, std::string_view v) {
  if (table::IsMissingValue(v)) {
    AddMissing(f);
    return;
  }
  const FeatureBins& b = reference_->features[f];
  auto it = b.category_index.find(v);
  ++counts_[slots_[f].offset + (it != b.category_index.end() ? it->second : b.unseen_bin)];
}

void DriftCounts::Merge(const DriftCounts& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

void DriftCounts::Clear() { std::fill(counts_.begin(), counts_.end(), 0); }

std::vector<FeatureDrift> ComputeDrift(const DriftCounts& counts) {
  std::vector<FeatureDrift> out;
  const DriftReference& ref = counts.reference();
  for (size_t f = 0; f < ref.features.size(); ++f) {
    const FeatureBins& b = ref.features[f];
    const int64_t* c = counts.counts(f);
    FeatureDrift d;
    d.name = b.name;
    d.numeric = b.numeric;
    d.is_prediction = b.is_prediction;
    std::vector<int64_t> observed(c, c + b.bins());
    for (int64_t k : observed) d.count += k;
    d.missing = c[b.bins()];
    d.missing_rate = d.count + d.missing > 0
                         ? static_cast<double>(d.missing) / static_cast<double>(d.count + d.missing)
                         : 0.0;
    d.expected_missing_rate = b.expected_missing_rate;
    if (!b.numeric) {
      d.unseen = b.categories.size() < b.bins() ? observed[b.unseen_bin] : 0;
    }
    bool has_expected =
        std::any_of(b.expected.begin(), b.expected.end(), [](double e) { return e > 0; });
    if (d.count > 0 && has_expected) {
      std::vector<double> actual = Proportions(observed);
      d.psi = Psi(b.expected, actual);
      d.js = JensenShannon(b.expected, actual);
      if (b.numeric) {
        d.ks = BinnedKs(b.expected, actual);
      } else {
        d.chi_square = ChiSquare(b.expected, observed);
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace ferry::monitor
