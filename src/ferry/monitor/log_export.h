#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/monitor/prediction_log.h"

// Prediction records as text for `ferry logs tail|export`: JSONL and CSV lines,
// ISO 8601 times, and the values of --since/--until (docs/monitoring.md).
namespace ferry::monitor {

enum class ExportFormat { kJsonl, kCsv };

// "csv" | "jsonl" (case-sensitive). InvalidArgument otherwise.
Result<ExportFormat> ParseExportFormat(std::string_view name);
// The format a file name asks for: ".csv" → csv, anything else → jsonl.
ExportFormat ExportFormatForPath(const std::filesystem::path& path);

// "2026-11-27T10:00:00.123Z" (UTC, always milliseconds).
std::string FormatIsoMillis(int64_t time_ms);

// A --since/--until value as epoch milliseconds:
//   - an RFC 3339 / ISO 8601 time with a zone: "2026-11-27T10:00:00Z",
//     "2026-11-27T10:00:00.5+02:00", "2026-11-27 10:00:00Z" (fractions past
//     milliseconds are truncated), or a date "2026-11-27" (midnight UTC);
//   - a duration back from now_ms: "<n>s", "<n>m", "<n>h", "<n>d" (also "ms");
//   - integer epoch milliseconds: "1795600000000".
// InvalidArgument naming the text and the accepted forms otherwise (also for a
// time without a zone, impossible dates, and overflow).
Result<int64_t> ParseTimeArg(std::string_view text, int64_t now_ms);

// One JSONL line (with '\n'):
// {"time":"<ISO>","time_ms":..,"model":..,"version":..,"key":..,"latency_us":..,
//  "inputs":<inputs_json>,"outputs":<outputs_json>}
std::string RecordToJsonLine(const PredictionRecord& record);

// One CSV field, quoted (RFC 4180) when it holds ',', '"', CR or LF.
void AppendCsvField(std::string* out, std::string_view field);

// The cells of one record: (column name, cell text) for inputs and outputs.
// Object members become columns; a member that is an array of outputs becomes
// "name[0]", "name[1]", ...; numbers keep their shortest text, strings their
// value, null an empty cell, nested values their compact JSON. An inputs or
// outputs text that is not a JSON object becomes one column named "inputs" or
// "outputs" holding that JSON.
struct RecordCells {
  std::vector<std::pair<std::string, std::string>> inputs;
  std::vector<std::pair<std::string, std::string>> outputs;
};
RecordCells SplitRecord(const PredictionRecord& record);

// CSV columns: time,time_ms,model,version,key,latency_us, then the input
// columns, then the output columns, each in first-seen order over the records
// added. Not thread-safe.
class CsvLayout {
 public:
  // Adds the columns of `cells` not seen yet.
  void Add(const RecordCells& cells);
  // True when every column of `cells` is in the layout.
  bool Covers(const RecordCells& cells) const;
  // The header line (with '\n').
  std::string Header() const;
  // One line (with '\n'); empty cells for columns the record lacks. Cells of
  // columns not in the layout are left out.
  std::string Row(const PredictionRecord& record, const RecordCells& cells) const;

  size_t input_columns() const { return inputs_.size(); }
  size_t output_columns() const { return outputs_.size(); }

 private:
  std::vector<std::string> inputs_;
  std::vector<std::string> outputs_;
  std::unordered_map<std::string, size_t> input_index_;
  std::unordered_map<std::string, size_t> output_index_;
};

}  // namespace ferry::monitor
