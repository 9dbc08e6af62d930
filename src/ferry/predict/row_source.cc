#include "ferry/predict/row_source.h"

namespace ferry::predict {

// Defined in csv_row_source.cc and jsonl_row_source.cc.
Result<std::unique_ptr<RowSource>> OpenCsvRowSource(std::string_view path, const RowLayout& layout);
Result<std::unique_ptr<RowSource>> OpenJsonlRowSource(std::string_view path,
                                                      const RowLayout& layout);

Result<std::unique_ptr<RowSource>> OpenRowSource(std::string_view path, Format format,
                                                 const RowLayout& layout) {
  if (format == Format::kCsv) return OpenCsvRowSource(path, layout);
  return OpenJsonlRowSource(path, layout);
}

}  // namespace ferry::predict
