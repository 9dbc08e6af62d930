#pragma once

#include <span>
#include <string>
#include <string_view>

#include "ferry/batch/chunk_parser.h"
#include "ferry/predict/format.h"
#include "ferry/predict/prediction_writer.h"

namespace ferry::batch {

// Encodes prediction rows exactly as predict::PredictionWriter does (same header, same number
// spelling), so that `ferry batch` and `ferry predict` outputs are interchangeable. Thread-safe
// (immutable).
class OutputEncoder {
 public:
  OutputEncoder(predict::Format format, predict::OutputLayout layout)
      : format_(format), layout_(std::move(layout)) {}

  // The CSV header line (with its '\n'); empty for JSONL.
  std::string Header() const;
  // Appends the parsed chunk's rows with their outputs (`values`: rows × output_width).
  void AppendRows(const Chunk& chunk, const ParsedChunk& rows, std::span<const float> values,
                  std::string* out) const;

  const predict::OutputLayout& layout() const { return layout_; }

 private:
  predict::Format format_;
  predict::OutputLayout layout_;
};

}  // namespace ferry::batch
