#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ferry/backends/backend.h"
#include "ferry/batch/blocking_queue.h"
#include "ferry/batch/chunk_parser.h"
#include "ferry/batch/chunk_reader.h"
#include "ferry/batch/output_encoder.h"

namespace ferry::batch {

// What became of one chunk: its encoded predictions and its bad rows.
struct ChunkResult {
  Status status;           // not OK: the job stops here (reason only; see fatal_line)
  int64_t fatal_line = 0;  // chunk-relative line of a fatal parse error
  uint64_t begin = 0;      // decoded input offsets of the chunk
  uint64_t end = 0;
  int64_t line_breaks = 0;
  bool quoted_line_break = false;
  int64_t rows = 0;
  std::vector<RowError> errors;
  std::string output;         // encoded prediction rows
  std::vector<float> scores;  // first output value of each row
};

struct PipelineConfig {
  const InputBinding* binding = nullptr;   // outlives the pipeline
  const backends::Model* model = nullptr;  // outlives the pipeline
  const OutputEncoder* encoder = nullptr;  // outlives the pipeline
  int threads = 1;                         // workers (each parses and scores whole chunks)
  size_t inflight_chunks = 4;              // chunks read but not yet handed out by Next
};

// Reads chunks on one thread, parses, scores and encodes them on `threads` workers (one model
// Session each), and hands the results back in input order. Memory is bounded by
// inflight_chunks. Next and Stop are called from one thread (the writer).
class ScoringPipeline {
 public:
  ScoringPipeline(const PipelineConfig& config, std::unique_ptr<ChunkReader> reader,
                  const ByteSource* source);
  ~ScoringPipeline();  // Stop()

  // The next chunk's result in input order; nullopt after the last one.
  std::optional<ChunkResult> Next();
  // Stops the threads and waits for them; results not yet taken are dropped.
  void Stop();
  // Hands a result's buffers back for reuse (optional; saves page faults on big inputs).
  void Recycle(ChunkResult&& result) EXCLUDES(pool_mu_);
  // Raw input bytes the reader has consumed (for progress).
  uint64_t raw_position() const { return raw_position_.load(std::memory_order_relaxed); }

 private:
  struct WorkItem {
    Chunk chunk;
    std::promise<ChunkResult> promise;
  };
  void ReadLoop();
  void WorkLoop();
  ChunkResult Process(const Chunk& chunk, ChunkParser& parser, backends::Session& session,
                      ParsedChunk& parsed);

  // Spare chunk buffers and output strings, so that steady state allocates nothing big.
  Mutex pool_mu_;
  std::vector<Chunk> spare_chunks_ GUARDED_BY(pool_mu_);
  std::vector<std::string> spare_outputs_ GUARDED_BY(pool_mu_);

  PipelineConfig config_;
  std::unique_ptr<ChunkReader> reader_;
  const ByteSource* source_;
  BlockingQueue<std::future<ChunkResult>> order_;
  BlockingQueue<WorkItem> work_;
  std::atomic<uint64_t> raw_position_{0};
  std::vector<std::jthread> threads_;
};

}  // namespace ferry::batch
