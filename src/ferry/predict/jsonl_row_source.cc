#include "ferry/predict/jsonl_row.h"
#include "ferry/predict/row_source.h"
#include "ferry/table/line_reader.h"

namespace ferry::predict {

namespace {

// Rows are JSON objects, one per line (see JsonlRowParser). Blank lines are skipped.
class JsonlRowSource : public RowSource {
 public:
  JsonlRowSource(std::string path, std::unique_ptr<table::LineReader> lines, RowLayout layout)
      : path_(std::move(path)), lines_(std::move(lines)), parser_(std::move(layout)) {}

  Result<bool> Next(std::span<float> features, Cell* key, std::vector<Cell>* kept) override {
    std::string_view line;
    while (true) {
      FERRY_ASSIGN_OR_RETURN(bool more, lines_->Next(&line));
      if (!more) return false;
      if (line.find_first_not_of(" \t") != std::string_view::npos) break;
    }
    Status s = parser_.Parse(line, /*padded=*/false, features, key, kept);
    if (!s.ok()) {
      return InvalidArgument(path_ + ":" + std::to_string(lines_->line_number()) + ": " +
                             s.message());
    }
    return true;
  }

  int64_t line_number() const override { return lines_->line_number(); }

 private:
  std::string path_;
  std::unique_ptr<table::LineReader> lines_;
  JsonlRowParser parser_;
};

}  // namespace

Result<std::unique_ptr<RowSource>> OpenJsonlRowSource(std::string_view path,
                                                      const RowLayout& layout) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<table::LineReader> lines, table::LineReader::Open(path));
  return std::unique_ptr<RowSource>(
      std::make_unique<JsonlRowSource>(std::string(path), std::move(lines), layout));
}

}  // namespace ferry::predict
