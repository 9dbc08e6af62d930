#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "ferry/batch/chunk_parser.h"
#include "ferry/batch/csv_record.h"
#include "ferry/table/decimal_fields.h"
#include "ferry/table/decimal_scan.h"
#include "ferry/table/number.h"
#include "ferry/table/separator_index.h"

namespace ferry::batch {

void ParsedChunk::Clear() {
  rows = 0;
  features.clear();
  cells.clear();
  arena.clear();
  errors.clear();
  line_breaks = 0;
  quoted_line_break = false;
}

Result<InputBinding> BindCsv(const std::string& name, const std::vector<std::string>& header,
                             const predict::RowLayout& layout) {
  InputBinding b;
  b.format = predict::Format::kCsv;
  b.name = name;
  b.num_features = layout.num_features;
  b.columns = header;
  b.column_role.assign(header.size(), kRoleIgnore);
  auto index_of = [&](const std::string& col, std::string_view what) -> Result<size_t> {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == col) return i;
    }
    return InvalidArgument(name + ": no column '" + col + "' (" + std::string(what) +
                           ") in the header");
  };
  std::set<size_t> echoed;
  if (!layout.key_column.empty()) {
    FERRY_ASSIGN_OR_RETURN(size_t k, index_of(layout.key_column, "the key column"));
    b.has_key = true;
    b.key_column = static_cast<int32_t>(k);
    echoed.insert(k);
  }
  b.num_kept = layout.keep.size();
  std::vector<size_t> keep_index;
  for (size_t k = 0; k < layout.keep.size(); ++k) {
    FERRY_ASSIGN_OR_RETURN(size_t i, index_of(layout.keep[k], "a kept column"));
    keep_index.push_back(i);
    echoed.insert(i);
  }
  std::vector<size_t> feature_index;
  if (!layout.features.empty()) {
    for (const auto& f : layout.features) {
      FERRY_ASSIGN_OR_RETURN(size_t i, index_of(f, "a model feature"));
      feature_index.push_back(i);
    }
  } else {
    for (size_t i = 0; i < header.size(); ++i) {
      if (!echoed.count(i)) feature_index.push_back(i);
    }
    if (static_cast<int64_t>(feature_index.size()) != layout.num_features) {
      return InvalidArgument(
          name + ": the model has no feature names, so columns are taken in order, but " +
          std::to_string(feature_index.size()) +
          " columns remain besides the key and kept ones and the model expects " +
          std::to_string(layout.num_features));
    }
  }
  for (size_t f = 0; f < feature_index.size(); ++f) {
    b.column_role[feature_index[f]] = static_cast<int32_t>(f);
  }
  if (b.has_key) b.echo_columns.push_back(b.key_column);
  for (size_t i : keep_index) b.echo_columns.push_back(static_cast<int32_t>(i));
  return b;
}

namespace {

// The whole of [p, end) as a plain decimal (table::ScanSimpleDecimal).
inline bool ParseSimpleDecimal(const char* p, const char* end, double* out) {
  return table::ScanSimpleDecimal(p, end, out) == end;
}

// Parses one numeric cell: plain decimals by ParseSimpleDecimal, then std::from_chars, then
// table::ParseNumber (spaces, '+', NA, inf, overflow), which also words the error.
inline bool ParseCell(std::string_view text, float* out, std::string* error) {
  if (text.empty()) {
    *out = std::numeric_limits<float>::quiet_NaN();
    return true;
  }
  double v;
  const char* last = text.data() + text.size();
  if (ParseSimpleDecimal(text.data(), last, &v)) {
    *out = static_cast<float>(v);
    return true;
  }
  auto [ptr, ec] = std::from_chars(text.data(), last, v);
  if (ec == std::errc() && ptr == last) {
    *out = std::isnan(v) ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(v);
    return true;
  }
  Result<double> slow = table::ParseNumber(text);
  if (!slow.ok()) {
    *error = slow.status().message();
    return false;
  }
  *out = static_cast<float>(*slow);
  return true;
}

// Two ways through a record, with the same result: a fused single pass (FastRecord) for the
// common case of a chunk without quotes, valid UTF-8 and no key sharding, which parses each
// number where it stands and hands any record it is not sure about (a blank line, a field count
// or cell it cannot take, an empty key) to the general path (SlowRecord: CsvRecordSplitter, then
// the cells), which words every error.
class CsvChunkParser : public ChunkParser {
 public:
  explicit CsvChunkParser(const InputBinding& b)
      : b_(b), to_float_(table::Avx512DecimalFieldsToFloat()) {
    for (const table::ColumnRun& run :
         table::ColumnRuns(b.column_role.size(), [&](size_t c) { return b.column_role[c] >= 0; })) {
      NumericRun r{.columns = run, .first_role = b.column_role[run.first_column], .direct = true};
      for (size_t i = 0; i < run.count; ++i) {
        r.direct = r.direct &&
                   b.column_role[run.first_column + i] == r.first_role + static_cast<int32_t>(i);
      }
      runs_.push_back(r);
    }
  }

  Status Parse(const Chunk& chunk, ParsedChunk* out) override {
    out->Clear();
    const char* data = chunk.data();
    const size_t n = chunk.size;
    const bool by_key = b_.shard.count > 1 && b_.shard.by == ShardBy::kKey;
    // The fast path needs valid UTF-8 and no quote in the chunk; building its index tells whether
    // the chunk is ASCII and has a quote.
    bool fast = !by_key && n < table::SeparatorIndex::kLineEnd;
    if (fast) index_.Build(data, n);
    const bool utf8_ok = (fast && !index_.saw_non_ascii()) || simdjson::validate_utf8(data, n);
    const bool quotes = fast ? index_.saw_quote() : std::memchr(data, '"', n) != nullptr;
    fast = fast && utf8_ok && !quotes;
    out->features.reserve(n / 8);
    int64_t line = 0;
    size_t pos = 0;
    size_t k = 0;  // fast: the first separator at or after pos
    while (pos < n) {
      if (fast) {
        while (k < index_.size() && table::SeparatorIndex::Start(index_[k]) <= pos) ++k;
        size_t next;
        if (FastRecord(chunk, pos, k, &next, out)) {
          k += b_.column_role.size();
          line += data[next - 1] == '\n' ? 1 : 0;
          pos = next;
          continue;
        }
      }
      size_t next;
      int64_t breaks;
      FERRY_RETURN_IF_ERROR(
          SlowRecord(chunk, pos, line, utf8_ok, quotes, by_key, &next, &breaks, out));
      pos = next;
      line += breaks;
      if (!out->errors.empty() && b_.stop_at_first_error) break;
    }
    out->features.resize(static_cast<size_t>(out->rows) * static_cast<size_t>(b_.num_features));
    out->cells.resize(static_cast<size_t>(out->rows) * b_.cells_per_row());
    out->line_breaks = line;
    return Status::Ok();
  }

 private:
  // Room for row `row` in out->features and out->cells (which may run ahead of out->rows; Parse
  // trims them at the end).
  void MakeRoom(ParsedChunk* out, size_t row) const {
    const size_t nf = static_cast<size_t>(b_.num_features);
    if (out->features.size() < (row + 1) * nf) {
      out->features.resize(std::max((row + 1) * nf, 2 * out->features.size()));
    }
    const size_t cpr = b_.cells_per_row();
    if (out->cells.size() < (row + 1) * cpr) {
      out->cells.resize(std::max((row + 1) * cpr, 2 * out->cells.size()));
    }
  }

  // The record at data[pos], whose separators are index_'s entries from k on: true when it was a
  // good row, now appended, with *next past its line end. False (nothing appended) for anything
  // else, and for a last record without a line end. The numeric fields of each run of columns
  // are converted together (table::DecimalFieldsToFloat with AVX-512), then any it left alone one
  // by one.
  bool FastRecord(const Chunk& chunk, size_t pos, size_t k, size_t* next, ParsedChunk* out) {
    using table::SeparatorIndex;
    const char* data = chunk.data();
    const size_t width = b_.column_role.size();
    if (index_.size() - k < width) return false;
    if (data[pos] == '\n' || data[pos] == '\r') return false;  // blank line, or a lone CR
    const uint32_t* e = index_.entries() + k;                  // e[-1]: where the record starts
    if (!SeparatorIndex::IsRecord(e, width)) return false;     // too few or too many fields
    const size_t row = static_cast<size_t>(out->rows);
    MakeRoom(out, row);
    CellRef* cells = out->cells.data() + row * b_.cells_per_row();
    for (size_t i = 0; i < b_.echo_columns.size(); ++i) {
      const size_t c = static_cast<size_t>(b_.echo_columns[i]);
      const size_t begin = SeparatorIndex::Start(e[c - 1]);
      const size_t end = SeparatorIndex::ContentEnd(data, e + c);
      if (i == 0 && b_.has_key && end == begin) return false;
      cells[i] = CellRef{.begin = begin, .size = static_cast<uint32_t>(end - begin)};
    }
    float* feat = out->features.data() + row * static_cast<size_t>(b_.num_features);
    const char* chunk_end = data + chunk.size;
    for (const NumericRun& run : runs_) {
      for (size_t i0 = 0; i0 < run.columns.count; i0 += table::kMaxDecimalFields) {
        const size_t n = std::min(table::kMaxDecimalFields, run.columns.count - i0);
        const size_t c0 = run.columns.first_column + i0;
        float* values = run.direct ? feat + run.first_role + i0 : values_.data();
        uint64_t left = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
        if (to_float_ != nullptr) left = to_float_(data, e + c0, n, values);
        if (!run.direct) {
          for (size_t i = 0; i < n; ++i) feat[b_.column_role[c0 + i]] = values_[i];
        }
        for (; left != 0; left &= left - 1) {
          const size_t c = c0 + static_cast<size_t>(std::countr_zero(left));
          const char* field = data + SeparatorIndex::Start(e[c - 1]);
          const char* field_end = data + SeparatorIndex::ContentEnd(data, e + c);
          float* slot = &feat[b_.column_role[c]];
          double v = 0;
          if (table::ScanSimpleDecimal(field, chunk_end, &v) == field_end) {
            *slot = static_cast<float>(v);
          } else if (!ParseCell({field, static_cast<size_t>(field_end - field)}, slot, &reason_)) {
            return false;
          }
        }
      }
    }
    *next = SeparatorIndex::Start(e[width - 1]);
    ++out->rows;
    return true;
  }

  // The general path for the record at data[pos] (chunk-relative line `line`): a good row is
  // appended, a bad one becomes a RowError; an unterminated quote or junk after a closing quote
  // is the returned error (with fatal_line_ set).
  Status SlowRecord(const Chunk& chunk, size_t pos, int64_t line, bool utf8_ok, bool quotes,
                    bool by_key, size_t* next, int64_t* breaks, ParsedChunk* out) {
    const char* data = chunk.data();
    const size_t n = chunk.size;
    const size_t width = b_.column_role.size();
    const size_t cells_per_row = b_.cells_per_row();
    const size_t nf = static_cast<size_t>(b_.num_features);
    auto outcome = splitter_.Split(data, n, pos, next, breaks, quotes);
    if (outcome == CsvRecordSplitter::Outcome::kUnterminatedQuote) {
      fatal_line_ = line;
      return InvalidArgument("unterminated quoted field");
    }
    if (outcome == CsvRecordSplitter::Outcome::kJunkAfterQuote) {
      fatal_line_ = line;
      return InvalidArgument("unexpected character after closing quote");
    }
    if (outcome == CsvRecordSplitter::Outcome::kBlank) return Status::Ok();
    if (splitter_.quoted_line_break()) out->quoted_line_break = true;
    const auto& fields = splitter_.fields();

    // Which shard owns the row (only with --shard-by key).
    if (by_key) {
      int64_t owner = 0;
      if (b_.key_column >= 0 && static_cast<size_t>(b_.key_column) < fields.size() &&
          !fields[static_cast<size_t>(b_.key_column)].empty()) {
        owner = KeyShard(fields[static_cast<size_t>(b_.key_column)], b_.shard.count);
      }
      if (owner != b_.shard.index) return Status::Ok();
    }
    auto bad = [&](std::string why) { out->errors.push_back({line, std::move(why)}); };
    if (!utf8_ok && !simdjson::validate_utf8(data + pos, *next - pos)) {
      bad("invalid UTF-8");
      return Status::Ok();
    }
    if (fields.size() != width) {
      bad("expected " + std::to_string(width) + " fields, got " + std::to_string(fields.size()));
      return Status::Ok();
    }
    const size_t row = static_cast<size_t>(out->rows);
    MakeRoom(out, row);
    float* feat = out->features.data() + row * nf;
    CellRef* cells = out->cells.data() + row * cells_per_row;
    for (size_t c = 0; c < width; ++c) {
      const int32_t role = b_.column_role[c];
      if (role >= 0 && !ParseCell(fields[c], &feat[role], &reason_)) {
        bad("column '" + b_.columns[c] + "': " + reason_);
        return Status::Ok();
      }
    }
    for (size_t i = 0; i < cells_per_row; ++i) {
      const size_t c = static_cast<size_t>(b_.echo_columns[i]);
      if (i == 0 && b_.has_key && fields[c].empty()) {
        bad("empty key in column '" + b_.columns[c] + "'");
        return Status::Ok();
      }
      cells[i] = Ref(chunk, fields[c], out);
    }
    ++out->rows;
    return Status::Ok();
  }

  // A cell's text is in the chunk unless the splitter had to unescape it.
  static CellRef Ref(const Chunk& chunk, std::string_view text, ParsedChunk* out) {
    CellRef r;
    r.size = static_cast<uint32_t>(text.size());
    if (text.data() >= chunk.data() && text.data() <= chunk.data() + chunk.size) {
      r.begin = static_cast<uint64_t>(text.data() - chunk.data());
    } else {
      r.begin = out->arena.size();
      r.in_arena = true;
      out->arena.append(text);
    }
    return r;
  }

  const InputBinding& b_;
  CsvRecordSplitter splitter_;
  table::SeparatorIndex index_;  // of the chunk, on the fast path
  // The runs of consecutive numeric columns (FastRecord converts each in one go); `direct` when
  // they feed consecutive feature slots, so values go straight into the row.
  struct NumericRun {
    table::ColumnRun columns;
    int32_t first_role = 0;
    bool direct = true;
  };
  std::vector<NumericRun> runs_;
  std::array<float, table::kMaxDecimalFields> values_{};
  table::DecimalFieldsToFloat to_float_;  // nullptr: field by field
  std::string reason_;
};

}  // namespace

std::unique_ptr<ChunkParser> NewCsvChunkParser(const InputBinding& binding) {
  return std::make_unique<CsvChunkParser>(binding);
}

}  // namespace ferry::batch
