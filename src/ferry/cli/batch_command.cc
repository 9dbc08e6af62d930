#include "ferry/cli/batch_command.h"

#include <unistd.h>

#include <cstdio>

#include "ferry/batch/batch_job.h"
#include "ferry/batch/progress.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/cli/commands.h"
#include "ferry/registry/registry.h"
#include "ferry/registry/resolve.h"

namespace ferry::cli {

namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return kExitFailure;
}

Result<batch::BatchOptions> ToOptions(const BatchArgs& a) {
  batch::BatchOptions o;
  o.input = a.input;
  o.output = a.output;
  o.key_column = a.key_column;
  o.keep = a.keep;
  o.threads = a.threads;
  o.resume = a.resume;
  o.memory_mb = a.memory_mb;
  o.chunk_bytes = static_cast<size_t>(a.chunk_kb) << 10;
  o.checkpoint_interval_ms = a.checkpoint_interval_ms;
  o.errors_path = a.errors;
  if (a.on_error != "fail" && a.on_error != "skip") {
    return InvalidArgument("--on-error: expected fail or skip, got '" + a.on_error + "'");
  }
  o.on_error = a.on_error == "skip" ? batch::OnError::kSkip : batch::OnError::kFail;
  if (!a.errors.empty() && o.on_error != batch::OnError::kSkip) {
    return InvalidArgument("--errors needs --on-error skip");
  }
  if (!a.format.empty()) {
    Result<predict::Format> f = predict::ParseFormat(a.format);
    if (!f.ok()) return f.status().WithContext("--format");
    o.output_format = *f;
  }
  if (!a.input_format.empty()) {
    Result<predict::Format> f = predict::ParseFormat(a.input_format);
    if (!f.ok()) return f.status().WithContext("--input-format");
    o.input_format = *f;
  }
  if (!a.shard.empty()) {
    FERRY_ASSIGN_OR_RETURN(o.shard, batch::ParseShard(a.shard));
  }
  FERRY_ASSIGN_OR_RETURN(o.shard.by, batch::ParseShardBy(a.shard_by));
  if (o.shard.by == batch::ShardBy::kKey && a.key_column.empty()) {
    return InvalidArgument("--shard-by key needs --key-column");
  }
  return o;
}

}  // namespace

int Batch(const BatchArgs& a) {
  Result<batch::BatchOptions> options = ToOptions(a);
  if (!options.ok()) return Fail(options.status());
  if (a.model.empty() == a.bundle.empty()) {
    return Fail(InvalidArgument("give exactly one of --model REF and --bundle DIR"));
  }
  std::unique_ptr<bundle::BundleSource> archive;  // keeps an unpacked --bundle archive alive
  std::filesystem::path dir;
  if (!a.model.empty()) {
    Result<std::unique_ptr<registry::Registry>> reg =
        registry::Registry::Open(registry::RegistryOptionsFromEnv(a.registry));
    if (!reg.ok()) return Fail(reg.status());
    Result<std::filesystem::path> resolved = registry::ResolveToBundleDir(**reg, a.model);
    if (!resolved.ok()) return Fail(resolved.status().WithContext("--model " + a.model));
    dir = *resolved;
  } else {
    Result<std::unique_ptr<bundle::BundleSource>> src = bundle::BundleSource::Open(a.bundle);
    if (!src.ok()) return Fail(src.status());
    archive = std::move(*src);
    dir = archive->dir();
  }
  Result<bundle::Bundle> b = bundle::OpenBundle(dir);
  if (!b.ok()) return Fail(b.status());

  batch::ProgressPrinter printer(stderr, ::isatty(STDERR_FILENO) != 0);
  std::function<void(const batch::BatchProgress&)> progress;
  if (!a.quiet) progress = [&](const batch::BatchProgress& p) { printer.Update(p); };
  Result<batch::BatchSummary> r = batch::RunBatch(*b, *options, progress);
  printer.Finish();
  if (!r.ok()) return Fail(r.status());
  if (r->already_complete) {
    std::fprintf(stderr, "nothing to resume: %s is complete (%lld rows scored, %lld skipped)\n",
                 a.output.c_str(), static_cast<long long>(r->rows_scored),
                 static_cast<long long>(r->rows_skipped));
    return kExitOk;
  }
  if (!a.quiet) std::fputs(batch::FormatSummary(*r).c_str(), stderr);
  return kExitOk;
}

}  // namespace ferry::cli
