#include "ferry/backends/xgboost/model_bytes_check.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace ferry::backends::xgboost {

namespace {

std::string At(size_t pos) { return " at byte " + std::to_string(pos); }

std::string DescribeByte(unsigned char c) {
  char buf[16];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof(buf), "'%c'", c);
  } else {
    std::snprintf(buf, sizeof(buf), "0x%02x", c);
  }
  return buf;
}

// Walks a UBJ document with the grammar of XGBoost 1.7's UBJReader, but
// checks every read against the end of the buffer.
class UbjWalker {
 public:
  explicit UbjWalker(std::string_view bytes) : bytes_(bytes) {}

  Status Document() {
    if (bytes_.empty()) return DataLoss("the file is empty");
    if (bytes_[0] != '{') return DataLoss("expected '{'" + At(0) + ", got " + Describe(0));
    pos_ = 1;
    return Object(1);
  }

 private:
  size_t Left() const { return bytes_.size() - pos_; }
  std::string Describe(size_t pos) const {
    return DescribeByte(static_cast<unsigned char>(bytes_[pos]));
  }
  Status Truncated() const { return DataLoss("UBJ data ends early" + At(bytes_.size())); }

  Status Skip(size_t n) {
    if (Left() < n) return Truncated();
    pos_ += n;
    return Status::Ok();
  }

  Status Expect(char marker) {
    if (Left() == 0) return Truncated();
    if (bytes_[pos_] != marker) {
      return DataLoss(std::string("expected '") + marker + "'" + At(pos_) + ", got " +
                      Describe(pos_));
    }
    ++pos_;
    return Status::Ok();
  }

  // A big-endian int64 count of items of `item_size` bytes each, which must
  // be >= 0 and fit in the bytes after it.
  Status Count(size_t item_size, int64_t* out) {
    size_t at = pos_;
    if (Left() < 8) return Truncated();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    pos_ += 8;
    int64_t n = static_cast<int64_t>(v);
    if (n < 0 || static_cast<uint64_t>(n) > Left() / item_size) {
      return DataLoss("length " + std::to_string(n) + At(at) + " does not fit in the " +
                      std::to_string(Left()) + " bytes left");
    }
    *out = n;
    return Status::Ok();
  }

  // 'L' <int64 length> <bytes>: a key, or the body of an 'S' value.
  Status String() {
    FERRY_RETURN_IF_ERROR(Expect('L'));
    int64_t n = 0;
    FERRY_RETURN_IF_ERROR(Count(1, &n));
    return Skip(static_cast<size_t>(n));
  }

  Status Value(int depth) {
    if (Left() == 0) return Truncated();
    size_t at = pos_;
    char marker = bytes_[pos_++];
    switch (marker) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case 'Z':
      case 'T':
      case 'F':
        return Status::Ok();
      case 'i':
      case 'U':
      case 'C':
        return Skip(1);
      case 'I':
        return Skip(2);
      case 'l':
      case 'd':
        return Skip(4);
      case 'L':
        return Skip(8);
      case 'S':
        return String();
      default:
        return DataLoss("unexpected UBJ marker " + Describe(at) + At(at));
    }
  }

  Status CheckDepth(int depth) const {
    if (depth > kMaxModelNesting) {
      return DataLoss("nesting deeper than " + std::to_string(kMaxModelNesting) + At(pos_ - 1));
    }
    return Status::Ok();
  }

  Status Object(int depth) {
    FERRY_RETURN_IF_ERROR(CheckDepth(depth));
    while (true) {
      if (Left() == 0) return Truncated();
      if (bytes_[pos_] == '}') {
        ++pos_;
        return Status::Ok();
      }
      FERRY_RETURN_IF_ERROR(String());
      FERRY_RETURN_IF_ERROR(Value(depth));
    }
  }

  Status Array(int depth) {
    FERRY_RETURN_IF_ERROR(CheckDepth(depth));
    if (Left() == 0) return Truncated();
    if (bytes_[pos_] == '$') return TypedArray();
    if (bytes_[pos_] == '#') {
      ++pos_;
      FERRY_RETURN_IF_ERROR(Expect('L'));
      int64_t n = 0;
      FERRY_RETURN_IF_ERROR(Count(1, &n));  // every value takes at least one byte
      for (int64_t i = 0; i < n; ++i) FERRY_RETURN_IF_ERROR(Value(depth));
      return Status::Ok();
    }
    while (true) {
      if (Left() == 0) return Truncated();
      if (bytes_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      FERRY_RETURN_IF_ERROR(Value(depth));
    }
  }

  // '$' <type> '#' 'L' <int64 count> <count elements>, no closing ']'.
  Status TypedArray() {
    ++pos_;  // '$'
    if (Left() == 0) return Truncated();
    size_t at = pos_;
    char type = bytes_[pos_++];
    size_t size = 0;
    switch (type) {
      case 'U':
        size = 1;
        break;
      case 'd':
      case 'l':
        size = 4;
        break;
      case 'L':
        size = 8;
        break;
      default:
        return DataLoss("unsupported typed-array element type " + Describe(at) + At(at));
    }
    FERRY_RETURN_IF_ERROR(Expect('#'));
    FERRY_RETURN_IF_ERROR(Expect('L'));
    int64_t n = 0;
    FERRY_RETURN_IF_ERROR(Count(size, &n));
    return Skip(static_cast<size_t>(n) * size);
  }

  std::string_view bytes_;
  size_t pos_ = 0;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

Status CheckUbjModel(std::string_view bytes) { return UbjWalker(bytes).Document(); }

Status CheckJsonModel(std::string_view bytes) {
  if (bytes.empty()) return DataLoss("the file is empty");
  if (bytes[0] != '{') {
    return DataLoss("expected '{' at byte 0, got " +
                    DescribeByte(static_cast<unsigned char>(bytes[0])));
  }
  size_t i = 1;
  while (i < bytes.size() && IsSpace(bytes[i])) ++i;
  if (i == bytes.size()) return DataLoss("JSON data ends early" + At(i));
  if (bytes[i] != '"') {
    return DataLoss("expected '\"'" + At(i) + ", got " +
                    DescribeByte(static_cast<unsigned char>(bytes[i])) +
                    " (not a JSON model; UBJ models need the .ubj extension)");
  }
  int depth = 0;
  bool in_string = false;
  for (size_t p = 0; p < bytes.size(); ++p) {
    char c = bytes[p];
    if (in_string) {
      if (c == '\\') {
        ++p;  // skip the escaped character
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxModelNesting) {
        return DataLoss("nesting deeper than " + std::to_string(kMaxModelNesting) + At(p));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return Status::Ok();
}

}  // namespace ferry::backends::xgboost
