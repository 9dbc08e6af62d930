#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/batch/chunk_reader.h"
#include "ferry/batch/shard.h"
#include "ferry/predict/format.h"
#include "ferry/predict/row_source.h"

namespace ferry::batch {

// How the fields of an input row map onto the model's features and the echoed cells.
struct InputBinding {
  predict::Format format = predict::Format::kCsv;
  std::string name;  // the input's name, for messages
  int64_t num_features = 0;
  bool has_key = false;
  size_t num_kept = 0;
  // CSV only: per header column, the feature slot it feeds or kRoleIgnore; the columns echoed
  // into the output (key first, then kept ones); the header itself.
  std::vector<int32_t> column_role;
  std::vector<int32_t> echo_columns;
  std::vector<std::string> columns;
  int32_t key_column = -1;  // CSV column of the key, -1 when none
  // JSONL only.
  predict::RowLayout layout;
  // With by == kKey and count > 1, rows whose key belongs to another shard are left out; bad
  // rows whose key cannot be read belong to shard 0.
  ShardSpec shard;
  // Stop at the first bad row (the job fails there anyway).
  bool stop_at_first_error = true;

  size_t cells_per_row() const { return (has_key ? 1 : 0) + num_kept; }
};
inline constexpr int32_t kRoleIgnore = -1;

// Binds a CSV header to the model, with the rules and messages of `ferry predict`: named features
// by name (any order), else every column besides the key and kept ones, in order.
Result<InputBinding> BindCsv(const std::string& name, const std::vector<std::string>& header,
                             const predict::RowLayout& layout);
InputBinding BindJsonl(const std::string& name, const predict::RowLayout& layout);

// A cell echoed into the output: a byte range of the chunk or of ParsedChunk::arena.
struct CellRef {
  uint64_t begin = 0;
  uint32_t size = 0;
  bool in_arena = false;
  bool is_json = false;  // JSON text (from JSONL), not a plain string
};

// A row that could not be scored.
struct RowError {
  int64_t line = 0;  // physical line where the row starts, counted from the chunk's start (0 =)
  std::string reason;
};

// The rows of one chunk, parsed.
struct ParsedChunk {
  int64_t rows = 0;             // good rows (of this shard)
  std::vector<float> features;  // rows × num_features, missing values NaN
  std::vector<CellRef> cells;   // rows × cells_per_row: key first, then kept columns
  std::string arena;
  std::vector<RowError> errors;    // bad rows (of this shard), in input order
  int64_t line_breaks = 0;         // '\n' bytes in the chunk
  bool quoted_line_break = false;  // some record holds a line break inside quotes

  std::string_view Text(const Chunk& chunk, const CellRef& c) const {
    return {(c.in_arena ? arena.data() : chunk.data()) + c.begin, c.size};
  }
  void Clear();
};

// Parses chunks into rows. One per thread (not thread-safe); the binding is shared.
class ChunkParser {
 public:
  virtual ~ChunkParser() = default;
  // Fills *out (cleared first). Row problems become RowErrors; the Status is an error only for
  // what stops the job, with the reason alone (InvalidArgument "unterminated quoted field" or
  // "unexpected character after closing quote"); fatal_line() then tells the chunk-relative line.
  virtual Status Parse(const Chunk& chunk, ParsedChunk* out) = 0;
  // For a fatal error of the last Parse: the chunk-relative line it concerns.
  int64_t fatal_line() const { return fatal_line_; }

 protected:
  int64_t fatal_line_ = 0;
};

std::unique_ptr<ChunkParser> NewCsvChunkParser(const InputBinding& binding);
std::unique_ptr<ChunkParser> NewJsonlChunkParser(const InputBinding& binding);

}  // namespace ferry::batch
