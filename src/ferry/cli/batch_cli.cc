// CLI11 wiring of `ferry batch` (the work is in batch_command.cc).
#include <CLI/CLI.hpp>

#include "ferry/cli/batch_command.h"
#include "ferry/cli/command_groups.h"

namespace ferry::cli {

void AddBatchCommands(CLI::App& app, int& rc) {
  static BatchArgs args;
  CLI::App* b = app.add_subcommand(
      "batch",
      "Score a large CSV or JSONL file: streamed in bounded memory, on all cores, keyed, "
      "sharded and resumable.\n"
      "Memory: the data in flight stays within --memory-mb (default 256 MiB) whatever the "
      "input's size; peak memory is that plus the model and the runtime.");
  b->add_option("--model", args.model, "Registry reference: name, name:7 or name@alias");
  b->add_option("--registry", args.registry,
                "Registry URI for --model: sqlite:///path/registry.db or postgresql://… (default "
                "$FERRY_REGISTRY, else sqlite:///$FERRY_HOME/registry.db)");
  b->add_option("--bundle", args.bundle, "Bundle folder or .tar.zst");
  b->add_option("--input", args.input,
                "CSV (header row, any column order) or JSONL, optionally .gz/.zst; '-' for stdin")
      ->required();
  b->add_option("--output", args.output, "Output file (.csv or .jsonl, or --format); '-' = stdout")
      ->required();
  b->add_option("--format", args.format,
                "Output format: csv | jsonl (default: from --output, else the input's)");
  b->add_option("--input-format", args.input_format,
                "Input format: csv | jsonl (default: from --input)");
  b->add_option("--key-column", args.key_column,
                "Column echoed first so results can be joined back; rows without it are bad rows");
  b->add_option("--keep", args.keep, "Columns copied into the output, comma-separated")
      ->delimiter(',');
  b->add_option("--shard", args.shard,
                "i/N: score shard i of N (0-based); N processes with i = 0..N-1 score every row "
                "exactly once");
  b->add_option("--shard-by", args.shard_by,
                "bytes (default: records starting in the i-th 1/N of the file; uncompressed files "
                "without line breaks inside quotes) | key (hash of --key-column; any input)");
  b->add_option("--threads", args.threads, "Parse-and-score workers (default: one per core)")
      ->check(CLI::Range(1, 1024));
  b->add_option("--on-error", args.on_error,
                "Bad rows: fail (stop with the line number, exit 1) | skip (count them and list "
                "them in --errors)");
  b->add_option("--errors", args.errors,
                "With --on-error skip: JSONL file of bad rows {line, reason} (default "
                "<output>.errors.jsonl; stderr when the output is stdout)");
  b->add_flag("--resume", args.resume,
              "Continue an interrupted job from <output>.ferry-checkpoint (a fresh start when "
              "there is none)");
  b->add_option("--memory-mb", args.memory_mb,
                "Budget for the data in flight, in MiB (default 256)")
      ->check(CLI::Range(16, 1 << 20));
  b->add_option("--chunk-kb", args.chunk_kb,
                "Bytes per chunk, in KiB (default: from --memory-mb and --threads, at most 1024)")
      ->check(CLI::Range(16, 1 << 20));
  b->add_option("--checkpoint-interval-ms", args.checkpoint_interval_ms,
                "How often progress is synced and checkpointed (default 1000; 0 = every chunk)")
      ->check(CLI::Range(0, 1 << 30));
  b->add_flag("-q,--quiet", args.quiet, "No progress and no summary");
  b->callback([&rc] { rc = Batch(args); });
}

}  // namespace ferry::cli
