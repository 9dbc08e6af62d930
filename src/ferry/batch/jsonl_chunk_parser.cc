#include <simdjson.h>

#include <cstring>

#include "ferry/batch/chunk_parser.h"
#include "ferry/predict/jsonl_row.h"

namespace ferry::batch {

InputBinding BindJsonl(const std::string& name, const predict::RowLayout& layout) {
  InputBinding b;
  b.format = predict::Format::kJsonl;
  b.name = name;
  b.num_features = layout.num_features;
  b.has_key = !layout.key_column.empty();
  b.num_kept = layout.keep.size();
  b.layout = layout;
  return b;
}

namespace {

// One JSON object per line (predict::JsonlRowParser); blank lines are skipped.
class JsonlChunkParser : public ChunkParser {
 public:
  explicit JsonlChunkParser(const InputBinding& b) : b_(b), row_(b.layout) {}

  Status Parse(const Chunk& chunk, ParsedChunk* out) override {
    out->Clear();
    const char* data = chunk.data();
    const size_t n = chunk.size;
    const size_t nf = static_cast<size_t>(b_.num_features);
    const size_t cells_per_row = b_.cells_per_row();
    const bool by_key = b_.shard.count > 1 && b_.shard.by == ShardBy::kKey;
    int64_t line = 0;
    size_t pos = 0;
    while (pos < n) {
      const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', n - pos));
      size_t end = nl == nullptr ? n : static_cast<size_t>(nl - data);
      size_t next = nl == nullptr ? n : end + 1;
      std::string_view text(data + pos, end - pos);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      const int64_t record_line = line;
      pos = next;
      if (nl != nullptr) ++line;
      if (text.find_first_not_of(" \t") == std::string_view::npos) continue;

      const size_t row = static_cast<size_t>(out->rows);
      out->features.resize((row + 1) * nf);
      // The line is followed by at least kChunkPadding readable bytes of the chunk.
      Status s = row_.Parse(text, /*padded=*/true,
                            std::span<float>(out->features.data() + row * nf, nf), &key_, &kept_);
      int64_t owner = 0;
      if (by_key && !key_.text.empty()) owner = KeyShard(key_.text, b_.shard.count);
      if (by_key && s.ok() && owner != b_.shard.index) {
        out->features.resize(row * nf);
        continue;
      }
      if (!s.ok()) {
        out->features.resize(row * nf);
        if (by_key) {
          // The key is read after the features: find it again for ownership.
          owner = OwnerOfBadRow(text);
          if (owner != b_.shard.index) continue;
        }
        out->errors.push_back({record_line, s.message()});
        if (b_.stop_at_first_error) break;
        continue;
      }
      if (cells_per_row > 0) {
        if (b_.has_key) out->cells.push_back(Ref(key_, out));
        for (const predict::Cell& c : kept_) out->cells.push_back(Ref(c, out));
      }
      ++out->rows;
    }
    out->line_breaks = line;
    return Status::Ok();
  }

 private:
  static CellRef Ref(const predict::Cell& cell, ParsedChunk* out) {
    CellRef r;
    r.begin = out->arena.size();
    r.size = static_cast<uint32_t>(cell.text.size());
    r.in_arena = true;
    r.is_json = cell.is_json;
    out->arena.append(cell.text);
    return r;
  }

  // The shard of a row that failed to parse: by its key when the line is an object with a
  // non-empty string key, else 0.
  int64_t OwnerOfBadRow(std::string_view text) {
    padded_.assign(text);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::dom::element doc;
    std::string_view key;
    if (parser_.parse(padded_.data(), text.size(), false).get(doc) ||
        doc[b_.layout.key_column].get_string().get(key) || key.empty()) {
      return 0;
    }
    return KeyShard(key, b_.shard.count);
  }

  const InputBinding& b_;
  predict::JsonlRowParser row_;
  predict::Cell key_;
  std::vector<predict::Cell> kept_;
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace

std::unique_ptr<ChunkParser> NewJsonlChunkParser(const InputBinding& binding) {
  return std::make_unique<JsonlChunkParser>(binding);
}

}  // namespace ferry::batch
