#include "ferry/monitor/log_export.h"

#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>

#include "ferry/base/json_writer.h"

namespace ferry::monitor {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

Status NotATime(std::string_view text) {
  return InvalidArgument(Quoted(text) +
                         " is not a time: use an RFC 3339 time (2026-11-27T10:00:00Z), a "
                         "duration back from now (90s, 15m, 2h, 7d) or epoch milliseconds");
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Reads exactly n digits at s[*pos].
std::optional<int> Digits(std::string_view s, size_t* pos, size_t n) {
  if (s.size() < *pos + n) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  return v;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// "<n><unit>" back from now; nullopt when the text is not shaped so.
std::optional<Result<int64_t>> ParseRelative(std::string_view text, int64_t now_ms) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits == text.size()) return std::nullopt;
  std::string_view unit = text.substr(digits);
  int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit == "d") {
    factor = kMsPerDay;
  } else {
    return std::nullopt;
  }
  int64_t n = 0;
  auto r = std::from_chars(text.data(), text.data() + digits, n);
  int64_t back = 0, at = 0;
  if (r.ec != std::errc() || __builtin_mul_overflow(n, factor, &back) ||
      __builtin_sub_overflow(now_ms, back, &at)) {
    return Result<int64_t>(InvalidArgument(Quoted(text) + " is too long a duration"));
  }
  return Result<int64_t>(at);
}

Result<int64_t> ParseIso(std::string_view text) {
  namespace chr = std::chrono;
  size_t pos = 0;
  std::optional<int> y = Digits(text, &pos, 4);
  if (!y || !Expect(text, &pos, '-')) return NotATime(text);
  std::optional<int> mo = Digits(text, &pos, 2);
  if (!mo || !Expect(text, &pos, '-')) return NotATime(text);
  std::optional<int> d = Digits(text, &pos, 2);
  if (!d) return NotATime(text);
  chr::year_month_day ymd{chr::year{*y}, chr::month{static_cast<unsigned>(*mo)},
                          chr::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return InvalidArgument(Quoted(text) + " is not a valid date");
  int64_t ms = static_cast<int64_t>(chr::sys_days(ymd).time_since_epoch().count()) * kMsPerDay;
  if (pos == text.size()) return ms;  // a date alone: midnight UTC
  char sep = text[pos];
  if (sep != 'T' && sep != 't' && sep != ' ') return NotATime(text);
  ++pos;
  std::optional<int> h = Digits(text, &pos, 2);
  if (!h || !Expect(text, &pos, ':')) return NotATime(text);
  std::optional<int> mi = Digits(text, &pos, 2);
  if (!mi) return NotATime(text);
  int sec = 0, frac_ms = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    std::optional<int> s = Digits(text, &pos, 2);
    if (!s) return NotATime(text);
    sec = *s;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      size_t start = pos;
      int scale = 100;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        frac_ms += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return NotATime(text);
    }
  }
  if (*h > 23 || *mi > 59 || sec > 59) {
    return InvalidArgument(Quoted(text) + " is not a valid time of day");
  }
  ms += ((*h * 60 + *mi) * 60 + sec) * int64_t{1000} + frac_ms;
  if (pos == text.size()) {
    return InvalidArgument(Quoted(text) +
                           " has no time zone: add Z for UTC (2026-11-27T10:00:00Z) or an "
                           "offset (+02:00)");
  }
  char zone = text[pos++];
  if (zone == 'Z' || zone == 'z') {
    if (pos != text.size()) return NotATime(text);
    return ms;
  }
  if (zone != '+' && zone != '-') return NotATime(text);
  std::optional<int> oh = Digits(text, &pos, 2);
  if (!oh || !Expect(text, &pos, ':')) return NotATime(text);
  std::optional<int> om = Digits(text, &pos, 2);
  if (!om || pos != text.size() || *oh > 23 || *om > 59) return NotATime(text);
  int64_t offset_ms = (*oh * 60 + *om) * int64_t{60'000};
  return zone == '+' ? ms - offset_ms : ms + offset_ms;
}

std::string NumberText(const simdjson::dom::element& e) {
  switch (e.type()) {
    case simdjson::dom::element_type::INT64:
      return std::to_string(int64_t(e));
    case simdjson::dom::element_type::UINT64:
      return std::to_string(uint64_t(e));
    case simdjson::dom::element_type::DOUBLE: {
      std::string out;
      JsonWriter(&out).Double(double(e));
      return out;
    }
    default:
      return {};
  }
}

// The text of a scalar cell; nested values as compact JSON.
std::string CellText(const simdjson::dom::element& e) {
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return {};
    case simdjson::dom::element_type::STRING:
      return std::string(std::string_view(e));
    case simdjson::dom::element_type::BOOL:
      return bool(e) ? "true" : "false";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return NumberText(e);
    default:
      return simdjson::to_string(e);
  }
}

// Object members → cells; arrays expanded as name[i] when `expand_arrays`.
void Split(std::string_view json, std::string_view whole_name, bool expand_arrays,
           simdjson::dom::parser& parser, std::vector<std::pair<std::string, std::string>>* out) {
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS) {
    out->emplace_back(std::string(whole_name), std::string(json));
    return;
  }
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    out->emplace_back(std::string(whole_name), simdjson::to_string(root));
    return;
  }
  for (simdjson::dom::key_value_pair member : object) {
    std::string name(member.key);
    simdjson::dom::array array;
    if (expand_arrays && member.value.get_array().get(array) == simdjson::SUCCESS) {
      size_t i = 0;
      for (simdjson::dom::element item : array) {
        out->emplace_back(name + "[" + std::to_string(i++) + "]", CellText(item));
      }
    } else {
      out->emplace_back(std::move(name), CellText(member.value));
    }
  }
}

void AddColumns(const std::vector<std::pair<std::string, std::string>>& cells,
                std::vector<std::string>* names, std::unordered_map<std::string, size_t>* index) {
  for (const auto& [name, cell] : cells) {
    if (index->emplace(name, names->size()).second) names->push_back(name);
  }
}

bool CoversAll(const std::vector<std::pair<std::string, std::string>>& cells,
               const std::unordered_map<std::string, size_t>& index) {
  for (const auto& [name, cell] : cells) {
    if (!index.contains(name)) return false;
  }
  return true;
}

void AppendCells(const std::vector<std::pair<std::string, std::string>>& cells,
                 const std::unordered_map<std::string, size_t>& index, size_t columns,
                 std::string* line) {
  std::vector<const std::string*> row(columns, nullptr);
  for (const auto& [name, cell] : cells) {
    auto it = index.find(name);
    if (it != index.end() && row[it->second] == nullptr) row[it->second] = &cell;
  }
  for (const std::string* cell : row) {
    line->push_back(',');
    if (cell != nullptr) AppendCsvField(line, *cell);
  }
}

}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "jsonl") return ExportFormat::kJsonl;
  return InvalidArgument("unknown format " + Quoted(name) + ": use csv or jsonl");
}

ExportFormat ExportFormatForPath(const std::filesystem::path& path) {
  return path.extension() == ".csv" ? ExportFormat::kCsv : ExportFormat::kJsonl;
}

std::string FormatIsoMillis(int64_t time_ms) {
  int64_t days = time_ms / kMsPerDay;
  int64_t rem = time_ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm), in int64
  // so that no time_ms overflows.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(rem / 3'600'000),
                static_cast<long long>(rem / 60'000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

Result<int64_t> ParseTimeArg(std::string_view text, int64_t now_ms) {
  if (text.empty()) return NotATime(text);
  if (AllDigits(text)) {
    int64_t ms = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (r.ec != std::errc()) {
      return InvalidArgument(Quoted(text) + " is too large for epoch milliseconds");
    }
    return ms;
  }
  if (std::optional<Result<int64_t>> rel = ParseRelative(text, now_ms)) return *std::move(rel);
  return ParseIso(text);
}

std::string RecordToJsonLine(const PredictionRecord& r) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("time")
      .String(FormatIsoMillis(r.time_ms))
      .Key("time_ms")
      .Int(r.time_ms)
      .Key("model")
      .String(r.model)
      .Key("version")
      .Int(r.version)
      .Key("key")
      .String(r.key)
      .Key("latency_us")
      .Int(r.latency_us)
      .Key("inputs")
      .Raw(r.inputs_json.empty() ? std::string_view("null") : std::string_view(r.inputs_json))
      .Key("outputs")
      .Raw(r.outputs_json.empty() ? std::string_view("null") : std::string_view(r.outputs_json))
      .EndObject();
  out.push_back('\n');
  return out;
}

void AppendCsvField(std::string* out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

RecordCells SplitRecord(const PredictionRecord& record) {
  thread_local simdjson::dom::parser parser;
  RecordCells cells;
  Split(record.inputs_json, "inputs", /*expand_arrays=*/false, parser, &cells.inputs);
  Split(record.outputs_json, "outputs", /*expand_arrays=*/true, parser, &cells.outputs);
  return cells;
}

void CsvLayout::Add(const RecordCells& cells) {
  AddColumns(cells.inputs, &inputs_, &input_index_);
  AddColumns(cells.outputs, &outputs_, &output_index_);
}

bool CsvLayout::Covers(const RecordCells& cells) const {
  return CoversAll(cells.inputs, input_index_) && CoversAll(cells.outputs, output_index_);
}

std::string CsvLayout::Header() const {
  std::string line = "time,time_ms,model,version,key,latency_us";
  for (const std::string& name : inputs_) {
    line.push_back(',');
    AppendCsvField(&line, name);
  }
  for (const std::string& name : outputs_) {
    line.push_back(',');
    AppendCsvField(&line, name);
  }
  line.push_back('\n');
  return line;
}

std::string CsvLayout::Row(const PredictionRecord& r, const RecordCells& cells) const {
  std::string line = FormatIsoMillis(r.time_ms);
  line += ',' + std::to_string(r.time_ms) + ',';
  AppendCsvField(&line, r.model);
  line += ',' + std::to_string(r.version) + ',';
  AppendCsvField(&line, r.key);
  line += ',' + std::to_string(r.latency_us);
  AppendCells(cells.inputs, input_index_, inputs_.size(), &line);
  AppendCells(cells.outputs, output_index_, outputs_.size(), &line);
  line.push_back('\n');
  return line;
}

}  // namespace ferry::monitor
