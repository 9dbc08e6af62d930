#pragma once

// Where the fields of an unquoted CSV range end, found 64 bytes at a time, so that a parser can
// take each field's start from an index instead of from the end of the previous field: the
// fields' parses then no longer wait on each other.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ferry::table {

// The offsets, in increasing order, of every ',' and '\n' byte of data[0, n), relative to data.
// n must be below 2^32. Quotes mean nothing here: callers use it on ranges without any.
class SeparatorIndex {
 public:
  // Replaces the index with that of data[0, n).
  void Build(const char* data, size_t n);

  size_t size() const { return size_; }
  const uint32_t* begin() const { return offsets_.data(); }
  const uint32_t* end() const { return offsets_.data() + size_; }
  uint32_t operator[](size_t i) const { return offsets_[i]; }

 private:
  std::vector<uint32_t> offsets_;  // size_ entries, then slack for whole-block writes
  size_t size_ = 0;
};

}  // namespace ferry::table
