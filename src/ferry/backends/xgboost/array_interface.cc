#include "ferry/backends/xgboost/array_interface.h"

#include <charconv>
#include <cstring>

namespace ferry::backends::xgboost {

namespace {

// Appends to a fixed buffer; remembers whether everything fitted.
class FixedWriter {
 public:
  explicit FixedWriter(std::span<char> out) : begin_(out.data()), pos_(out.data()) {
    // Keep one byte for the NUL.
    end_ = out.empty() ? out.data() : out.data() + out.size() - 1;
    ok_ = !out.empty();
  }

  void Text(std::string_view text) {
    if (!ok_ || static_cast<size_t>(end_ - pos_) < text.size()) {
      ok_ = false;
      return;
    }
    std::memcpy(pos_, text.data(), text.size());
    pos_ += text.size();
  }

  template <typename Int>
  void Number(Int value) {
    if (!ok_) return;
    auto [ptr, ec] = std::to_chars(pos_, end_, value);
    if (ec != std::errc()) {
      ok_ = false;
      return;
    }
    pos_ = ptr;
  }

  std::string_view Finish() {
    if (!ok_) return {};
    *pos_ = '\0';
    return std::string_view(begin_, static_cast<size_t>(pos_ - begin_));
  }

 private:
  char* begin_;
  char* pos_;
  char* end_;
  bool ok_;
};

}  // namespace

std::string_view FormatArrayInterface(std::span<char> out, const void* data, int64_t rows,
                                      int64_t cols, std::string_view typestr) {
  FixedWriter w(out);
  w.Text("{\"data\":[");
  w.Number(reinterpret_cast<uintptr_t>(data));
  w.Text(",true],\"shape\":[");
  w.Number(rows);
  w.Text(",");
  w.Number(cols);
  w.Text("],\"typestr\":\"");
  w.Text(typestr);
  w.Text("\",\"version\":3}");
  return w.Finish();
}

}  // namespace ferry::backends::xgboost
