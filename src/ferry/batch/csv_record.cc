#include "ferry/batch/csv_record.h"

#include <cstring>

namespace ferry::batch {

namespace {

enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };

// Runs the quote state machine over data[0, n) from a record start; returns the offset past the
// first (stop_at_first) or last record end, 0 if none.
size_t ScanRecordEnds(const char* data, size_t n, bool stop_at_first) {
  State s = State::kFieldStart;
  size_t last = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = data[i];
    switch (s) {
      case State::kFieldStart:
        if (c == '"') {
          s = State::kQuoted;
          break;
        }
        [[fallthrough]];
      case State::kUnquoted:
      case State::kAfterQuote:
        if (s == State::kAfterQuote && c == '"') {
          s = State::kQuoted;
        } else if (c == ',') {
          s = State::kFieldStart;
        } else if (c == '\n') {
          last = i + 1;
          if (stop_at_first) return last;
          s = State::kFieldStart;
        } else {
          s = State::kUnquoted;
        }
        break;
      case State::kQuoted:
        if (c == '"') s = State::kAfterQuote;
        break;
    }
  }
  return last;
}

}  // namespace

size_t LastRecordEnd(const char* data, size_t n) {
  if (std::memchr(data, '"', n) == nullptr) {
    const void* nl = ::memrchr(data, '\n', n);
    return nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
  }
  return ScanRecordEnds(data, n, false);
}

size_t FirstRecordEnd(const char* data, size_t n) { return ScanRecordEnds(data, n, true); }

CsvRecordSplitter::Outcome CsvRecordSplitter::Split(const char* data, size_t n, size_t pos,
                                                    size_t* next, int64_t* line_breaks,
                                                    bool may_have_quotes) {
  quoted_line_break_ = false;
  const char* begin = data + pos;
  const char* nl = static_cast<const char*>(std::memchr(begin, '\n', n - pos));
  const char* end = nl == nullptr ? data + n : nl;
  if (may_have_quotes && std::memchr(begin, '"', static_cast<size_t>(end - begin)) != nullptr) {
    return SplitQuoted(data, n, pos, next, line_breaks);
  }
  *next = nl == nullptr ? n : static_cast<size_t>(nl - data) + 1;
  *line_breaks = nl == nullptr ? 0 : 1;
  if (end > begin && end[-1] == '\r') --end;
  if (end == begin) return Outcome::kBlank;
  fields_.clear();
  const char* f = begin;
  for (const char* p = begin;; ++p) {
    if (p == end || *p == ',') {
      fields_.emplace_back(f, static_cast<size_t>(p - f));
      if (p == end) break;
      f = p + 1;
    }
  }
  return Outcome::kRecord;
}

CsvRecordSplitter::Outcome CsvRecordSplitter::SplitQuoted(const char* data, size_t n, size_t pos,
                                                          size_t* next, int64_t* line_breaks) {
  spans_.clear();
  scratch_.clear();
  int64_t breaks = 0;
  size_t p = pos;
  while (true) {
    if (p < n && data[p] == '"') {
      size_t start = ++p;
      bool escaped = false;
      size_t close;
      while (true) {
        const void* q = std::memchr(data + p, '"', n - p);
        if (q == nullptr) return Outcome::kUnterminatedQuote;
        close = static_cast<size_t>(static_cast<const char*>(q) - data);
        if (close + 1 < n && data[close + 1] == '"') {
          escaped = true;
          p = close + 2;
          continue;
        }
        break;
      }
      for (size_t i = start; i < close; ++i) {
        if (data[i] == '\n') {
          ++breaks;
          quoted_line_break_ = true;
        }
      }
      if (escaped) {
        size_t at = scratch_.size();
        for (size_t i = start; i < close; ++i) {
          scratch_.push_back(data[i]);
          if (data[i] == '"') ++i;  // "" → "
        }
        spans_.push_back({at, scratch_.size() - at, true});
      } else {
        spans_.push_back({start, close - start, false});
      }
      p = close + 1;
      if (p == n) break;
      if (data[p] == ',') {
        ++p;
        continue;
      }
      if (data[p] == '\n' || (data[p] == '\r' && (p + 1 == n || data[p + 1] == '\n'))) {
        p += data[p] == '\r' ? 1 : 0;
        break;
      }
      return Outcome::kJunkAfterQuote;
    }
    size_t start = p;
    while (p < n && data[p] != ',' && data[p] != '\n') ++p;
    size_t stop = p;
    if (p < n && data[p] == '\n' && stop > start && data[stop - 1] == '\r') --stop;
    if (p == n && stop > start && data[stop - 1] == '\r') --stop;
    spans_.push_back({start, stop - start, false});
    if (p < n && data[p] == ',') {
      ++p;
      continue;
    }
    break;
  }
  // p is at the line end ('\n') or at n.
  if (p < n) {
    ++breaks;
    ++p;
  }
  *next = p;
  *line_breaks = breaks;
  fields_.clear();
  for (const Span& s : spans_) {
    fields_.emplace_back(s.in_scratch ? scratch_.data() + s.begin : data + s.begin, s.size);
  }
  return Outcome::kRecord;
}

}  // namespace ferry::batch
