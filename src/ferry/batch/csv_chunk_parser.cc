#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "ferry/batch/chunk_parser.h"
#include "ferry/batch/csv_record.h"
#include "ferry/table/number.h"

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

// Plain decimal spellings ("-12.5", "3e-4", at most 19 digits, exponent within +-22) by
// Clinger's fast path: the mantissa and the power of ten are exact doubles, so one IEEE
// multiplication or division rounds correctly and the result equals std::from_chars'. False
// for anything else.
inline bool ParseSimpleDecimal(const char* p, const char* end, double* out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  uint64_t m = 0;
  int digits = 0;
  int exponent = 0;
  while (p != end && static_cast<unsigned>(*p - '0') < 10) {
    m = m * 10 + static_cast<unsigned>(*p++ - '0');
    ++digits;
  }
  if (p != end && *p == '.') {
    ++p;
    while (p != end && static_cast<unsigned>(*p - '0') < 10) {
      m = m * 10 + static_cast<unsigned>(*p++ - '0');
      ++digits;
      --exponent;
    }
  }
  if (digits == 0 || digits > 19) return false;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool exp_negative = p != end && *p == '-';
    if (p != end && (*p == '-' || *p == '+')) ++p;
    int e = 0, n = 0;
    while (p != end && static_cast<unsigned>(*p - '0') < 10 && n < 4) {
      e = e * 10 + (*p++ - '0');
      ++n;
    }
    if (n == 0) return false;
    exponent += exp_negative ? -e : e;
  }
  if (p != end || m > (uint64_t{1} << 53) || exponent < -22 || exponent > 22) return false;
  double v = static_cast<double>(m);
  v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  *out = negative ? -v : v;
  return true;
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

class CsvChunkParser : public ChunkParser {
 public:
  explicit CsvChunkParser(const InputBinding& b) : b_(b) {}

  Status Parse(const Chunk& chunk, ParsedChunk* out) override {
    out->Clear();
    const char* data = chunk.data();
    const size_t n = chunk.size;
    const bool utf8_ok = simdjson::validate_utf8(data, n);
    const bool quotes = std::memchr(data, '"', n) != nullptr;
    const size_t width = b_.column_role.size();
    const size_t cells_per_row = b_.cells_per_row();
    const size_t nf = static_cast<size_t>(b_.num_features);
    const bool by_key = b_.shard.count > 1 && b_.shard.by == ShardBy::kKey;
    out->features.reserve(n / 8);
    int64_t line = 0;
    size_t pos = 0;
    std::string reason;
    while (pos < n) {
      size_t next;
      int64_t breaks;
      auto outcome = splitter_.Split(data, n, pos, &next, &breaks, quotes);
      if (outcome == CsvRecordSplitter::Outcome::kUnterminatedQuote) {
        fatal_line_ = line;
        return InvalidArgument("unterminated quoted field");
      }
      if (outcome == CsvRecordSplitter::Outcome::kJunkAfterQuote) {
        fatal_line_ = line;
        return InvalidArgument("unexpected character after closing quote");
      }
      const size_t record_begin = pos;
      const int64_t record_line = line;
      pos = next;
      line += breaks;
      if (outcome == CsvRecordSplitter::Outcome::kBlank) continue;
      if (splitter_.quoted_line_break()) out->quoted_line_break = true;
      const auto& fields = splitter_.fields();

      // Which shard owns the row (only with --shard-by key).
      if (by_key) {
        int64_t owner = 0;
        if (b_.key_column >= 0 && static_cast<size_t>(b_.key_column) < fields.size() &&
            !fields[static_cast<size_t>(b_.key_column)].empty()) {
          owner = KeyShard(fields[static_cast<size_t>(b_.key_column)], b_.shard.count);
        }
        if (owner != b_.shard.index) continue;
      }
      auto bad = [&](std::string why) { out->errors.push_back({record_line, std::move(why)}); };
      if (!utf8_ok && !simdjson::validate_utf8(data + record_begin, next - record_begin)) {
        bad("invalid UTF-8");
      } else if (fields.size() != width) {
        bad("expected " + std::to_string(width) + " fields, got " + std::to_string(fields.size()));
      } else {
        const size_t row = static_cast<size_t>(out->rows);
        out->features.resize((row + 1) * nf);
        out->cells.resize((row + 1) * cells_per_row);
        float* feat = out->features.data() + row * nf;
        CellRef* cells = out->cells.data() + row * cells_per_row;
        bool ok = true;
        for (size_t c = 0; c < width && ok; ++c) {
          const int32_t role = b_.column_role[c];
          if (role >= 0 && !ParseCell(fields[c], &feat[role], &reason)) {
            bad("column '" + b_.columns[c] + "': " + reason);
            ok = false;
          }
        }
        for (size_t i = 0; i < cells_per_row && ok; ++i) {
          const size_t c = static_cast<size_t>(b_.echo_columns[i]);
          if (i == 0 && b_.has_key && fields[c].empty()) {
            bad("empty key in column '" + b_.columns[c] + "'");
            ok = false;
            break;
          }
          cells[i] = Ref(chunk, fields[c], out);
        }
        if (ok) {
          ++out->rows;
        } else {
          out->features.resize(row * nf);
          out->cells.resize(row * cells_per_row);
        }
      }
      if (!out->errors.empty() && b_.stop_at_first_error) break;
    }
    out->line_breaks = line;
    return Status::Ok();
  }

 private:
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
};

}  // namespace

std::unique_ptr<ChunkParser> NewCsvChunkParser(const InputBinding& binding) {
  return std::make_unique<CsvChunkParser>(binding);
}

}  // namespace ferry::batch
