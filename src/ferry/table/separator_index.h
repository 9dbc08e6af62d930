#pragma once

// The field bounds of an unquoted CSV range, found 64 bytes at a time, so that a parser takes
// each field's bounds from the index instead of from the end of the previous field: the fields'
// parses then no longer wait on each other, and several can be converted at once
// (decimal_fields.h).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ferry::table {

// Entry i is for the i-th ',' or '\n' of the data, at offset o: o + 1 (where the next field
// starts), with kLineEnd set when the byte is '\n'. Entry -1 exists and is 0 (where the data
// starts), so the bounds of any field are two consecutive entries: the field of entry i is
// [Start(entry[i - 1]), Start(entry[i]) - 1). Quotes mean nothing here: callers use it on ranges
// without any.
class SeparatorIndex {
 public:
  static constexpr uint32_t kLineEnd = uint32_t{1} << 31;
  static uint32_t Start(uint32_t entry) { return entry & ~kLineEnd; }
  static bool IsLineEnd(uint32_t entry) { return (entry & kLineEnd) != 0; }

  // True when the `width` entries at e are those of one record: only the last is a line end.
  static bool IsRecord(const uint32_t* e, size_t width) {
    uint32_t before = 0;
    for (size_t c = 0; c + 1 < width; ++c) before |= e[c];
    return (before & kLineEnd) == 0 && IsLineEnd(e[width - 1]);
  }
  // Where the content of the field of entry e[0] ends in `data`: before its separator, and before
  // a CR that ends a line.
  static size_t ContentEnd(const char* data, const uint32_t* e) {
    size_t end = Start(e[0]) - 1;
    if (IsLineEnd(e[0]) && end > Start(e[-1]) && data[end - 1] == '\r') --end;
    return end;
  }

  // Replaces the index with that of data[0, n); n must be below 2^31. With AVX-512 when the CPU
  // has it, CsvSimdAllowed() and `allow_simd` (tests compare both ways); the same entries either
  // way.
  void Build(const char* data, size_t n, bool allow_simd = true);
  // Whether the data of the last Build holds a '"' (then the index means nothing to a CSV
  // parser: quoted fields may hold separators).
  bool saw_quote() const { return saw_quote_; }
  // Whether the data of the last Build holds a byte above 0x7F (else it is ASCII, so valid UTF-8).
  bool saw_non_ascii() const { return saw_non_ascii_; }

  size_t size() const { return size_; }
  // The entries; entries()[-1] is 0.
  const uint32_t* entries() const { return offsets_.data() + 1; }
  uint32_t operator[](size_t i) const { return offsets_[i + 1]; }

 private:
  std::vector<uint32_t> offsets_;  // 0, then size_ entries, then slack for whole-block writes
  size_t size_ = 0;
  bool saw_quote_ = false;
  bool saw_non_ascii_ = false;
};

// A run of consecutive columns of a record: converted in one call (decimal_fields.h) when they
// are all numeric, since their fields lie between consecutive index entries.
struct ColumnRun {
  size_t first_column = 0;
  size_t count = 0;
};

// The runs of consecutive columns c < width for which wanted(c) holds, in column order.
template <typename Wanted>
std::vector<ColumnRun> ColumnRuns(size_t width, Wanted wanted) {
  std::vector<ColumnRun> runs;
  for (size_t c = 0; c < width; ++c) {
    if (!wanted(c)) continue;
    if (runs.empty() || runs.back().first_column + runs.back().count != c) runs.push_back({c, 0});
    ++runs.back().count;
  }
  return runs;
}

}  // namespace ferry::table
