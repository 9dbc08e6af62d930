#include "ferry/train/data_table.h"

#include <cmath>

#include "ferry/base/files.h"
#include "ferry/table/csv_reader.h"
#include "ferry/table/number.h"

namespace ferry::train {

int64_t DataTable::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == column) return static_cast<int64_t>(i);
  }
  return -1;
}

Result<DataTable> ReadDataTable(std::string_view path, int64_t max_rows) {
  table::CsvReaderOptions options;
  options.sha256 = true;
  FERRY_ASSIGN_OR_RETURN(auto reader, table::CsvReader::Open(path, options));
  DataTable t;
  t.name = reader->name();
  t.columns = reader->header();
  t.cells.resize(t.columns.size());
  std::vector<std::string_view> fields;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(bool more, reader->Next(&fields));
    if (!more) break;
    if (t.rows() >= max_rows) {
      return InvalidArgument(t.name + ": more than " + std::to_string(max_rows) + " rows");
    }
    for (size_t c = 0; c < fields.size(); ++c) t.cells[c].emplace_back(fields[c]);
    t.lines.push_back(reader->line_number());
  }
  FERRY_ASSIGN_OR_RETURN(t.source_sha256, reader->SourceSha256Hex());
  return t;
}

Result<std::vector<float>> NumericColumn(const DataTable& table, int64_t column) {
  const std::vector<std::string>& cells = table.cells.at(column);
  std::vector<float> out(cells.size());
  for (size_t r = 0; r < cells.size(); ++r) {
    if (table::IsMissingValue(cells[r])) {
      out[r] = std::nanf("");
      continue;
    }
    Result<double> d = table::ParseNumber(cells[r]);
    if (!d.ok()) {
      return InvalidArgument(table.name + ":" + std::to_string(table.lines[r]) + ": column '" +
                             table.columns[column] + "': '" + cells[r] + "' is not a number");
    }
    out[r] = static_cast<float>(*d);
  }
  return out;
}

namespace {

void AppendField(std::string* out, const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) {
    *out += field;
    return;
  }
  *out += '"';
  for (char c : field) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

}  // namespace

Status WriteDataTable(const DataTable& table, const std::vector<int64_t>& rows,
                      const std::string& path) {
  std::string out;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    if (c > 0) out += ',';
    AppendField(&out, table.columns[c]);
  }
  out += '\n';
  for (int64_t r : rows) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (c > 0) out += ',';
      AppendField(&out, table.cells[c].at(r));
    }
    out += '\n';
  }
  return WriteFileAtomic(path, out);
}

}  // namespace ferry::train
