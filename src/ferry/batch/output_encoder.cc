#include "ferry/batch/output_encoder.h"

#include "ferry/base/json_writer.h"
#include "ferry/predict/row_encoding.h"

namespace ferry::batch {

std::string OutputEncoder::Header() const {
  if (format_ != predict::Format::kCsv) return {};
  std::string h;
  bool first = true;
  auto col = [&](std::string_view name) {
    if (!first) h.push_back(',');
    first = false;
    predict::AppendCsvField(&h, name);
  };
  if (!layout_.key_column.empty()) col(layout_.key_column);
  for (const auto& k : layout_.keep) col(k);
  if (layout_.output_is_vector) {
    for (int64_t i = 0; i < layout_.output_width; ++i) {
      col(layout_.output_name + "_" + std::to_string(i));
    }
  } else {
    col(layout_.output_name);
  }
  h.push_back('\n');
  return h;
}

void OutputEncoder::AppendRows(const Chunk& chunk, const ParsedChunk& rows,
                               std::span<const float> values, std::string* out) const {
  const size_t width = static_cast<size_t>(layout_.output_width);
  const size_t cells_per_row = (layout_.key_column.empty() ? 0 : 1) + layout_.keep.size();
  // JSONL: the object keys, encoded once per chunk.
  std::vector<std::string> keys;
  if (format_ == predict::Format::kJsonl) {
    if (!layout_.key_column.empty()) keys.push_back(layout_.key_column);
    for (const auto& k : layout_.keep) keys.push_back(k);
    keys.push_back(layout_.output_name);
    for (auto& k : keys) {
      std::string quoted;
      AppendJsonString(&quoted, k);
      k = quoted + ":";
    }
  }
  for (int64_t r = 0; r < rows.rows; ++r) {
    const CellRef* cells = rows.cells.data() + static_cast<size_t>(r) * cells_per_row;
    const float* v = values.data() + static_cast<size_t>(r) * width;
    if (format_ == predict::Format::kCsv) {
      for (size_t c = 0; c < cells_per_row; ++c) {
        predict::AppendCsvField(out, rows.Text(chunk, cells[c]));
        out->push_back(',');
      }
      for (size_t i = 0; i < width; ++i) {
        if (i > 0) out->push_back(',');
        predict::AppendCsvFloat(out, v[i]);
      }
    } else {
      out->push_back('{');
      for (size_t c = 0; c < cells_per_row; ++c) {
        out->append(keys[c]);
        if (cells[c].is_json) {
          out->append(rows.Text(chunk, cells[c]));
        } else {
          AppendJsonString(out, rows.Text(chunk, cells[c]));
        }
        out->push_back(',');
      }
      out->append(keys.back());
      if (layout_.output_is_vector) {
        out->push_back('[');
        for (size_t i = 0; i < width; ++i) {
          if (i > 0) out->push_back(',');
          predict::AppendJsonFloat(out, v[i]);
        }
        out->push_back(']');
      } else {
        predict::AppendJsonFloat(out, v[0]);
      }
      out->push_back('}');
    }
    out->push_back('\n');
  }
}

}  // namespace ferry::batch
