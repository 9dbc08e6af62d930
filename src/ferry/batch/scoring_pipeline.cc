#include "ferry/batch/scoring_pipeline.h"

namespace ferry::batch {

ScoringPipeline::ScoringPipeline(const PipelineConfig& config, std::unique_ptr<ChunkReader> reader,
                                 const ByteSource* source)
    : config_(config),
      reader_(std::move(reader)),
      source_(source),
      order_(config.inflight_chunks),
      work_(config.inflight_chunks) {
  threads_.emplace_back([this] { ReadLoop(); });
  for (int i = 0; i < config_.threads; ++i) threads_.emplace_back([this] { WorkLoop(); });
}

ScoringPipeline::~ScoringPipeline() { Stop(); }

void ScoringPipeline::Stop() {
  order_.Cancel();
  work_.Cancel();
  threads_.clear();  // joins
}

std::optional<ChunkResult> ScoringPipeline::Next() {
  std::optional<std::future<ChunkResult>> f = order_.Pop();
  if (!f) return std::nullopt;
  return f->get();
}

void ScoringPipeline::Recycle(ChunkResult&& result) {
  MutexLock lock(pool_mu_);
  if (spare_outputs_.size() < config_.inflight_chunks) {
    result.output.clear();
    spare_outputs_.push_back(std::move(result.output));
  }
}

void ScoringPipeline::ReadLoop() {
  while (true) {
    Chunk chunk;
    {
      MutexLock lock(pool_mu_);
      if (!spare_chunks_.empty()) {
        chunk = std::move(spare_chunks_.back());
        spare_chunks_.pop_back();
      }
    }
    Result<bool> more = reader_->Next(&chunk);
    raw_position_.store(source_->raw_position(), std::memory_order_relaxed);
    if (!more.ok()) {
      std::promise<ChunkResult> p;
      ChunkResult r;
      r.status = more.status();
      p.set_value(std::move(r));
      order_.Push(p.get_future());
      break;
    }
    if (!*more) break;
    std::promise<ChunkResult> p;
    if (!order_.Push(p.get_future())) break;
    if (!work_.Push(WorkItem{std::move(chunk), std::move(p)})) break;
  }
  order_.Close();
  work_.Close();
}

void ScoringPipeline::WorkLoop() {
  std::unique_ptr<ChunkParser> parser = config_.binding->format == predict::Format::kCsv
                                            ? NewCsvChunkParser(*config_.binding)
                                            : NewJsonlChunkParser(*config_.binding);
  Result<std::unique_ptr<backends::Session>> session = config_.model->NewSession();
  ParsedChunk parsed;
  while (std::optional<WorkItem> item = work_.Pop()) {
    if (!session.ok()) {
      ChunkResult r;
      r.status = session.status();
      item->promise.set_value(std::move(r));
      continue;
    }
    item->promise.set_value(Process(item->chunk, *parser, **session, parsed));
    // At most inflight_chunks queued, one per worker and one being read are alive at once: keep
    // that many, so that steady state never maps (and faults in) a new buffer.
    MutexLock lock(pool_mu_);
    if (spare_chunks_.size() < config_.inflight_chunks + static_cast<size_t>(config_.threads) + 1) {
      spare_chunks_.push_back(std::move(item->chunk));
    }
  }
}

ChunkResult ScoringPipeline::Process(const Chunk& chunk, ChunkParser& parser,
                                     backends::Session& session, ParsedChunk& parsed) {
  ChunkResult r;
  r.begin = chunk.begin;
  r.end = chunk.end();
  Status s = parser.Parse(chunk, &parsed);
  if (!s.ok()) {
    r.status = s;
    r.fatal_line = parser.fatal_line();
    return r;
  }
  r.line_breaks = parsed.line_breaks;
  r.quoted_line_break = parsed.quoted_line_break;
  r.rows = parsed.rows;
  r.errors = std::move(parsed.errors);
  if (parsed.rows == 0) return r;
  const int64_t nf = config_.binding->num_features;
  TensorView view(DataType::kFp32, Shape{parsed.rows, nf}, parsed.features.data());
  Result<std::span<const Tensor>> out = session.Run({&view, 1});
  if (!out.ok()) {
    r.status = out.status();
    return r;
  }
  std::span<const float> values = (*out)[0].Data<float>();
  const size_t width = values.size() / static_cast<size_t>(parsed.rows);
  r.scores.resize(static_cast<size_t>(parsed.rows));
  for (size_t i = 0; i < r.scores.size(); ++i) r.scores[i] = values[i * width];
  {
    MutexLock lock(pool_mu_);
    if (!spare_outputs_.empty()) {
      r.output = std::move(spare_outputs_.back());
      spare_outputs_.pop_back();
    }
  }
  r.output.reserve(static_cast<size_t>(parsed.rows) * (16 + 12 * width));
  config_.encoder->AppendRows(chunk, parsed, values, &r.output);
  return r;
}

}  // namespace ferry::batch
