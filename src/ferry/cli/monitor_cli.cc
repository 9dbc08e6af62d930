// `ferry monitor drift`: a data file against a bundle's training baseline.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/cli/command_groups.h"
#include "ferry/cli/commands.h"
#include "ferry/monitor/drift.h"
#include "ferry/monitor/drift_json.h"
#include "ferry/monitor/drift_scan.h"

namespace ferry::cli {
namespace {

struct DriftArgs {
  std::string bundle;
  std::string data;
  std::string json;  // "" = none, "-" = stdout instead of the table
  int threads = 0;   // 0 = hardware concurrency
};

struct DriftReport {
  int64_t rows = 0;
  int64_t invalid = 0;              // non-numbers in numeric features (counted missing)
  std::vector<std::string> absent;  // baseline features the data lacks
  std::vector<monitor::FeatureDrift> features;
};

Result<DriftReport> Measure(const monitor::DriftReference& ref, const DriftArgs& a) {
  monitor::DriftScanOptions options;
  options.threads = a.threads;
  FERRY_ASSIGN_OR_RETURN(monitor::DriftScan scan, monitor::ScanCsvForDrift(ref, a.data, options));
  DriftReport report;
  report.rows = scan.rows;
  report.invalid = scan.invalid;
  report.absent = std::move(scan.absent);
  report.features = monitor::ComputeDrift(scan.counts);
  return report;
}

std::string ReportJson(const DriftReport& r, const std::string& data) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("format").String("ferry.drift/v1").Key("data").String(data);
  j.Key("rows").Int(r.rows).Key("invalid").Int(r.invalid).Key("absent").BeginArray();
  for (const std::string& a : r.absent) j.String(a);
  j.EndArray().Key("features").BeginArray();
  for (size_t f = 0; f < r.features.size(); ++f) {
    const monitor::FeatureDrift& d = r.features[f];
    bool absent = std::find(r.absent.begin(), r.absent.end(), d.name) != r.absent.end();
    if (absent || d.is_prediction) continue;
    monitor::WriteFeatureDrift(j, d);
  }
  j.EndArray().EndObject();
  return out;
}

int Drift(const DriftArgs& a) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return kExitFailure;
  };
  Result<std::unique_ptr<bundle::BundleSource>> src = bundle::BundleSource::Open(a.bundle);
  if (!src.ok()) return fail(src.status());
  Result<bundle::Bundle> b = bundle::OpenBundle((*src)->dir());
  if (!b.ok()) return fail(b.status());
  if (b->manifest.baseline.empty()) {
    return fail(FailedPrecondition(a.bundle + ": the bundle has no baseline (ferry bundle create "
                                              "--baseline TRAIN.csv adds one)"));
  }
  Result<std::string> text = ReadFile(b->root / b->manifest.baseline, size_t{256} << 20);
  if (!text.ok()) return fail(text.status());
  Result<bundle::Baseline> baseline = bundle::ParseBaselineJson(*text, b->manifest.baseline);
  if (!baseline.ok()) return fail(baseline.status());
  monitor::DriftReference ref = monitor::MakeDriftReference(*baseline);
  Result<DriftReport> r = Measure(ref, a);
  if (!r.ok()) return fail(r.status());
  std::string json = ReportJson(*r, a.data);
  if (a.json == "-") {
    std::printf("%s\n", json.c_str());
    return kExitOk;
  }
  auto fmt = [](double v) {
    char buf[32];
    if (std::isnan(v)) return std::string("-");
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return std::string(buf);
  };
  std::printf("%s: %lld rows against the baseline of %s (%lld rows)\n", a.data.c_str(),
              static_cast<long long>(r->rows), a.bundle.c_str(),
              static_cast<long long>(baseline->rows));
  std::printf("%-28s %-11s %9s %8s %8s %8s %8s %10s\n", "FEATURE", "KIND", "COUNT", "MISSING",
              "PSI", "KS", "JS", "CHI2");
  for (const monitor::FeatureDrift& d : r->features) {
    if (d.is_prediction ||
        std::find(r->absent.begin(), r->absent.end(), d.name) != r->absent.end()) {
      continue;
    }
    std::printf("%-28s %-11s %9lld %7.2f%% %8s %8s %8s %10s\n", d.name.c_str(),
                d.numeric ? "numeric" : "categorical", static_cast<long long>(d.count),
                100 * d.missing_rate, fmt(d.psi).c_str(), fmt(d.ks).c_str(), fmt(d.js).c_str(),
                fmt(d.chi_square).c_str());
  }
  for (const std::string& name : r->absent) {
    std::printf("%-28s absent from the data\n", name.c_str());
  }
  if (r->invalid > 0) {
    std::printf("%lld values that are not numbers in numeric features were counted as missing\n",
                static_cast<long long>(r->invalid));
  }
  if (!a.json.empty()) {
    Status s = WriteFileAtomic(a.json, json + "\n");
    if (!s.ok()) return fail(s);
  }
  return kExitOk;
}

}  // namespace

void AddMonitorCommands(CLI::App& app, int& rc) {
  CLI::App* m = app.add_subcommand("monitor", "Model monitoring: data drift (docs/monitoring.md)");
  m->require_subcommand(1);
  static DriftArgs args;
  CLI::App* d = m->add_subcommand(
      "drift",
      "Drift of a CSV file against a bundle's training baseline, feature by feature on the "
      "baseline's bins: PSI, binned Kolmogorov-Smirnov, Jensen-Shannon distance (numeric); PSI, "
      "chi-square, Jensen-Shannon, unseen categories (categorical); missing rate");
  d->add_option("--bundle", args.bundle, "Bundle folder or .tar.zst with a baseline")->required();
  d->add_option("--data", args.data, "CSV file (header row), optionally compressed; '-' = stdin")
      ->required();
  d->add_option("--json", args.json,
                "Also write the report as JSON to this file ('-': print only the JSON)");
  d->add_option("--threads", args.threads,
                "Threads counting a plain (uncompressed) file (default: all cores)")
      ->check(CLI::Range(1, 256));
  d->callback([&rc] { rc = Drift(args); });
}

}  // namespace ferry::cli
