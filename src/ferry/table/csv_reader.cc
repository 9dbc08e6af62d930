#include "ferry/table/csv_reader.h"

#include <simdjson.h>
#include <string.h>

#include <algorithm>
#include <cstring>

namespace ferry::table {
namespace {

constexpr size_t kMinBufferBytes = 16;

const char* FindByte(const char* begin, const char* end, char c) {
  return static_cast<const char*>(std::memchr(begin, c, static_cast<size_t>(end - begin)));
}

// Appends `raw` (the inside of a quoted field) to *out with each "" collapsed to ".
void AppendUnescaped(std::string_view raw, std::string* out) {
  while (!raw.empty()) {
    size_t quote = raw.find('"');
    if (quote == std::string_view::npos) {
      out->append(raw);
      return;
    }
    out->append(raw.substr(0, quote + 1));  // keeps one quote of the pair
    raw.remove_prefix(std::min(raw.size(), quote + 2));
  }
}

}  // namespace

CsvReader::CsvReader(std::unique_ptr<InputStream> input, const CsvReaderOptions& options)
    : input_(std::move(input)), options_(options) {
  buffer_.resize(std::max(options_.buffer_bytes, kMinBufferBytes));
}

Result<std::unique_ptr<CsvReader>> CsvReader::Open(std::string_view path,
                                                   const CsvReaderOptions& options) {
  InputStreamOptions input_options;
  input_options.sha256 = options.sha256;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> input,
                         InputStream::Open(path, input_options));
  return Open(std::move(input), options);
}

Result<std::unique_ptr<CsvReader>> CsvReader::Open(std::unique_ptr<InputStream> input,
                                                   const CsvReaderOptions& options) {
  std::unique_ptr<CsvReader> reader(new CsvReader(std::move(input), options));
  FERRY_RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

Status CsvReader::ReadHeader() {
  while (end_ < 3 && !eof_) FERRY_RETURN_IF_ERROR(Fill());
  if (end_ >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;

  FERRY_ASSIGN_OR_RETURN(bool got, NextRecord());
  if (!got) return InvalidArgument(name() + ": empty file, expected a header line");
  std::vector<std::string_view> names;
  Materialize(&names);
  header_.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return Error(line_number_, "empty column name (column " + std::to_string(i + 1) + ")");
    }
    auto [it, inserted] = column_index_.emplace(names[i], static_cast<int64_t>(i));
    if (!inserted) return Error(line_number_, "duplicate column name '" + it->first + "'");
    header_.emplace_back(names[i]);
  }
  return Status::Ok();
}

int64_t CsvReader::ColumnIndex(std::string_view name) const {
  auto it = column_index_.find(name);
  return it == column_index_.end() ? -1 : it->second;
}

Result<bool> CsvReader::Next(std::vector<std::string_view>* fields) {
  FERRY_ASSIGN_OR_RETURN(bool got, NextRecord());
  if (!got) return false;
  if (spans_.size() != header_.size()) {
    return Error(line_number_, "expected " + std::to_string(header_.size()) + " fields, got " +
                                   std::to_string(spans_.size()));
  }
  Materialize(fields);
  return true;
}

Result<bool> CsvReader::NextRecord() {
  if (!sticky_error_.ok()) return sticky_error_;
  while (true) {
    line_number_ = next_line_;
    if (pos_ == end_) {
      if (eof_) return false;
      Status filled = Fill();
      if (!filled.ok()) {
        sticky_error_ = filled;
        return filled;
      }
      continue;
    }
    size_t record_end = 0;
    int64_t line_breaks = 0;
    switch (ParseRecord(&record_end, &line_breaks)) {
      case Parse::kNeedMore: {
        Status filled = Fill();
        if (!filled.ok()) {
          sticky_error_ = filled;
          return filled;
        }
        break;
      }
      case Parse::kError:
        return sticky_error_;
      case Parse::kBlank:
        pos_ = record_end;
        ++next_line_;
        break;
      case Parse::kRecord: {
        next_line_ += 1 + line_breaks;
        bool utf8 = CheckUtf8(record_end);
        pos_ = record_end;
        if (!utf8) return Error(line_number_, "invalid UTF-8");
        return true;
      }
    }
  }
}

CsvReader::Parse CsvReader::ParseRecord(size_t* record_end, int64_t* line_breaks) {
  // Fast path: a line without quotes is split at its commas.
  const char* base = buffer_.data();
  const char* p = base + pos_;
  const char* end = base + end_;
  const char* newline = FindByte(p, end, '\n');
  if (newline == nullptr && !eof_) return Parse::kNeedMore;
  const char* line_end = newline != nullptr ? newline : end;
  const char* content_end = line_end;
  if (content_end > p && content_end[-1] == '\r') --content_end;
  if (FindByte(p, content_end, '"') != nullptr) return ParseQuotedRecord(record_end, line_breaks);

  *record_end = static_cast<size_t>((newline != nullptr ? newline + 1 : end) - base);
  *line_breaks = 0;
  if (content_end == p) return Parse::kBlank;
  spans_.clear();
  const char* field = p;
  while (true) {
    const char* comma = FindByte(field, content_end, ',');
    if (comma == nullptr) break;
    spans_.push_back(
        {static_cast<size_t>(field - base), static_cast<size_t>(comma - field), false});
    field = comma + 1;
  }
  spans_.push_back(
      {static_cast<size_t>(field - base), static_cast<size_t>(content_end - field), false});
  return Parse::kRecord;
}

CsvReader::Parse CsvReader::ParseQuotedRecord(size_t* record_end, int64_t* line_breaks) {
  const char* base = buffer_.data();
  const char* end = base + end_;
  const char* field = base + pos_;
  int64_t breaks = 0;
  spans_.clear();
  auto offset = [base](const char* q) { return static_cast<size_t>(q - base); };
  auto finish = [&](const char* after) {
    *record_end = offset(after);
    *line_breaks = breaks;
    return Parse::kRecord;
  };
  while (true) {
    if (field < end && *field == '"') {
      const char* inside = field + 1;
      const char* scan = inside;
      bool escaped = false;
      const char* close = nullptr;
      while (close == nullptr) {
        const char* quote = FindByte(scan, end, '"');
        if (quote == nullptr || (quote + 1 == end && !eof_)) {
          if (!eof_) return Parse::kNeedMore;
          sticky_error_ = Error(next_line_ + breaks, "unterminated quoted field");
          return Parse::kError;
        }
        if (quote + 1 < end && quote[1] == '"') {
          escaped = true;
          scan = quote + 2;
        } else {
          close = quote;
        }
      }
      breaks += std::count(inside, close, '\n');
      spans_.push_back({offset(inside), static_cast<size_t>(close - inside), escaped});
      const char* after = close + 1;
      if (after == end) return finish(end);  // only reached at the end of the data
      if (*after == ',') {
        field = after + 1;
        continue;
      }
      if (*after == '\n') return finish(after + 1);
      if (*after == '\r') {
        if (after + 1 == end) return eof_ ? finish(end) : Parse::kNeedMore;
        if (after[1] == '\n') return finish(after + 2);
      }
      sticky_error_ = Error(next_line_ + breaks, "unexpected character after closing quote");
      return Parse::kError;
    }
    // Unquoted field: up to the next comma or line end.
    const char* stop = field;
    while (stop < end && *stop != ',' && *stop != '\n') ++stop;
    if (stop < end && *stop == ',') {
      spans_.push_back({offset(field), static_cast<size_t>(stop - field), false});
      field = stop + 1;
      continue;
    }
    if (stop == end && !eof_) return Parse::kNeedMore;
    const char* content_end = stop;
    if (content_end > field && content_end[-1] == '\r') --content_end;
    spans_.push_back({offset(field), static_cast<size_t>(content_end - field), false});
    return finish(stop == end ? end : stop + 1);
  }
}

bool CsvReader::CheckUtf8(size_t record_end) {
  if (record_end <= validated_) return true;
  const char* base = buffer_.data();
  size_t start = std::max(validated_, pos_);
  if (record_end > per_record_until_) {
    // Validate every complete line in the buffer at once (a line end never splits a character).
    size_t limit = end_;
    if (!eof_) {
      const void* last_newline = ::memrchr(base + start, '\n', end_ - start);
      limit = last_newline != nullptr
                  ? static_cast<size_t>(static_cast<const char*>(last_newline) - base) + 1
                  : record_end;
      limit = std::max(limit, record_end);
    }
    if (simdjson::validate_utf8(base + start, limit - start)) {
      validated_ = limit;
      return true;
    }
    per_record_until_ = limit;
  }
  validated_ = record_end;
  return simdjson::validate_utf8(base + start, record_end - start);
}

Status CsvReader::Fill() {
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    validated_ = validated_ > pos_ ? validated_ - pos_ : 0;
    per_record_until_ = per_record_until_ > pos_ ? per_record_until_ - pos_ : 0;
    pos_ = 0;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() >= options_.max_record_bytes) {
      return OutOfRange(name() + ":" + std::to_string(next_line_) + ": record longer than " +
                        std::to_string(options_.max_record_bytes) + " bytes");
    }
    buffer_.resize(std::min(buffer_.size() * 2, std::max(options_.max_record_bytes, end_ + 1)));
  }
  FERRY_ASSIGN_OR_RETURN(size_t n, input_->Read(buffer_.data() + end_, buffer_.size() - end_));
  if (n == 0) eof_ = true;
  end_ += n;
  return Status::Ok();
}

void CsvReader::Materialize(std::vector<std::string_view>* fields) {
  const char* base = buffer_.data();
  size_t arena_bytes = 0;
  for (const FieldSpan& span : spans_) {
    if (span.escaped) arena_bytes += span.size;
  }
  arena_.clear();
  arena_.reserve(arena_bytes);  // no reallocation below: views into arena_ stay valid
  fields->resize(spans_.size());
  for (size_t i = 0; i < spans_.size(); ++i) {
    const FieldSpan& span = spans_[i];
    std::string_view raw(base + span.begin, span.size);
    if (!span.escaped) {
      (*fields)[i] = raw;
      continue;
    }
    size_t start = arena_.size();
    AppendUnescaped(raw, &arena_);
    (*fields)[i] = std::string_view(arena_.data() + start, arena_.size() - start);
  }
}

Status CsvReader::Error(int64_t line, std::string_view what) const {
  return InvalidArgument(name() + ":" + std::to_string(line) + ": " + std::string(what));
}

}  // namespace ferry::table
