#include <cstdio>

#include "ferry/bundle/bundle_source.h"
#include "ferry/cli/commands.h"
#include "ferry/predict/predict_job.h"

namespace ferry::cli {

int Predict(const PredictArgs& a) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return kExitFailure;
  };
  predict::PredictOptions o;
  o.input = a.input;
  o.output = a.output;
  o.key_column = a.key_column;
  o.keep = a.keep;
  o.threads = a.threads;
  o.batch_rows = a.batch_rows;
  if (a.on_error != "fail" && a.on_error != "skip") {
    return fail(InvalidArgument("--on-error: expected fail or skip, got '" + a.on_error + "'"));
  }
  o.skip_bad_rows = a.on_error == "skip";
  if (!a.format.empty()) {
    Result<predict::Format> f = predict::ParseFormat(a.format);
    if (!f.ok()) return fail(f.status().WithContext("--format"));
    o.output_format = *f;
  }
  if (!a.input_format.empty()) {
    Result<predict::Format> f = predict::ParseFormat(a.input_format);
    if (!f.ok()) return fail(f.status().WithContext("--input-format"));
    o.input_format = *f;
  }
  Result<std::unique_ptr<bundle::BundleSource>> src = bundle::BundleSource::Open(a.bundle);
  if (!src.ok()) return fail(src.status());
  Result<bundle::Bundle> b = bundle::OpenBundle((*src)->dir());
  if (!b.ok()) return fail(b.status());
  Result<predict::PredictSummary> r = predict::RunPredict(*b, o, [](const Status& bad) {
    std::fprintf(stderr, "skipped: %s\n", bad.message().c_str());
  });
  if (!r.ok()) return fail(r.status());
  std::fprintf(stderr, "scored %lld rows, skipped %lld\n", static_cast<long long>(r->rows_scored),
               static_cast<long long>(r->rows_skipped));
  return kExitOk;
}

}  // namespace ferry::cli
