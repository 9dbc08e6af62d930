#include "ferry/monitor/prediction_log.h"

#include <simdjson.h>
#include <sodium.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <system_error>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;

static_assert(crypto_shorthash_BYTES == 8);
static_assert(crypto_shorthash_KEYBYTES == 16);

uint64_t Checksum(std::string_view payload) {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                   reinterpret_cast<const unsigned char*>(kChecksumKey.data()));
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | out[i];
  return v;
}

static_assert(std::endian::native == std::endian::little,
              "segments are little-endian; the codecs copy numbers as they are in memory");

template <typename T>
void Put(char*& p, T v) {
  std::memcpy(p, &v, sizeof v);
  p += sizeof v;
}
void PutBytes(char*& p, const void* data, size_t n) {
  if (n == 0) return;  // data may be null
  std::memcpy(p, data, n);
  p += n;
}
void PutString(char*& p, std::string_view s) {
  Put(p, static_cast<uint32_t>(s.size()));
  PutBytes(p, s.data(), s.size());
}

// Fills in the frame of the payload that follows out[start + kRecordFrameBytes].
void Frame(std::string* out, size_t start) {
  const size_t len = out->size() - start - kRecordFrameBytes;
  char* p = out->data() + start;
  Put(p, static_cast<uint32_t>(len));
  Put(p, Checksum(std::string_view(*out).substr(start + kRecordFrameBytes)));
}

enum RecordKind : uint8_t { kSchemaRecord = 0x01, kRowRecord = 0x02, kStartRecord = 0x03 };

// Reads the numbers and strings of a binary payload; any read past its end
// leaves ok() false (and returns zeros and empty strings).
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view b) : b_(b) {}
  template <typename T>
  T Get() {
    T v{};
    if (!ok_ || b_.size() - pos_ < sizeof v) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, b_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string_view String() { return Bytes(Get<uint32_t>()); }
  // `n` floats as raw bytes (4 n).
  std::string_view Floats(uint64_t n) {
    if (!ok_ || n > (b_.size() - pos_) / 4) {
      ok_ = false;
      return {};
    }
    return Bytes(n * 4);
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  std::string_view Bytes(uint64_t n) {
    if (!ok_ || b_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string JsonKey(std::string_view name) {
  std::string key;
  AppendJsonString(&key, name);
  key += ':';
  return key;
}

// Appends "v" for the float stored at `raw`.
void AppendRawFloat(std::string* out, const char* raw) {
  float v;
  std::memcpy(&v, raw, sizeof v);
  AppendJsonFloat(out, v);
}

uint64_t GetLE(std::string_view b, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[pos + i]);
  return v;
}

std::string SegmentHeader() {
  std::string h(kSegmentMagic);
  h.resize(kSegmentHeaderBytes);
  char* p = h.data() + kSegmentMagic.size();
  Put(p, kSegmentFormatVersion);
  return h;
}

bool IsValidJson(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  return parser.parse(simdjson::padded_string(text)).get(e) == simdjson::SUCCESS;
}

// "<first_time_ms>-<seq>.seg" → (time, seq).
bool ParseSegmentName(const std::string& name, int64_t* time_ms, uint64_t* seq) {
  if (name.size() < 7 || !name.ends_with(".seg")) return false;
  std::string_view stem(name.data(), name.size() - 4);
  size_t dash = stem.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  std::string_view t = stem.substr(0, dash), s = stem.substr(dash + 1);
  auto r1 = std::from_chars(t.data(), t.data() + t.size(), *time_ms);
  if (r1.ec != std::errc() || r1.ptr != t.data() + t.size()) return false;
  auto r2 = std::from_chars(s.data(), s.data() + s.size(), *seq);
  return r2.ec == std::errc() && r2.ptr == s.data() + s.size() && !s.empty();
}

// Skips one JSON value starting at `pos` (already validated JSON).
size_t SkipValue(std::string_view t, size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (; pos < t.size(); ++pos) {
    char c = t[pos];
    if (in_string) {
      if (c == '\\') {
        ++pos;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return pos + 1;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return pos;
      if (--depth == 0) return pos + 1;
    } else if (c == ',' && depth == 0) {
      return pos;
    }
  }
  return pos;
}

size_t SkipSpace(std::string_view t, size_t pos) {
  while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r'))
    ++pos;
  return pos;
}

// Key → exact value text of a validated top-level JSON object whose keys need
// no unescaping. False if the text is not shaped so.
bool TopLevelSpans(std::string_view t, std::map<std::string, std::string_view, std::less<>>* out) {
  size_t pos = SkipSpace(t, 0);
  if (pos >= t.size() || t[pos] != '{') return false;
  ++pos;
  while (true) {
    pos = SkipSpace(t, pos);
    if (pos < t.size() && t[pos] == '}') return true;
    if (pos >= t.size() || t[pos] != '"') return false;
    size_t end = t.find('"', pos + 1);
    if (end == std::string_view::npos) return false;
    std::string key(t.substr(pos + 1, end - pos - 1));
    pos = SkipSpace(t, end + 1);
    if (pos >= t.size() || t[pos] != ':') return false;
    pos = SkipSpace(t, pos + 1);
    size_t value_end = SkipValue(t, pos);
    std::string_view value = t.substr(pos, value_end - pos);
    while (!value.empty() && SkipSpace(value, value.size() - 1) == value.size()) {
      value.remove_suffix(1);
    }
    (*out)[key] = value;
    pos = SkipSpace(t, value_end);
    if (pos < t.size() && t[pos] == ',') {
      ++pos;
      continue;
    }
    return pos < t.size() && t[pos] == '}';
  }
}

}  // namespace

Status AppendRecord(const PredictionRecord& r, bool validate_json, std::string* out) {
  if (validate_json && !IsValidJson(r.inputs_json)) {
    return InvalidArgument("prediction record: inputs are not valid JSON");
  }
  if (validate_json && !IsValidJson(r.outputs_json)) {
    return InvalidArgument("prediction record: outputs are not valid JSON");
  }
  // The frame's place first; the payload is written after it, then the
  // frame is filled in.
  const size_t start = out->size();
  out->append(kRecordFrameBytes, '\0');
  JsonWriter w(out);
  w.BeginObject()
      .Key("time_ms")
      .Int(r.time_ms)
      .Key("model")
      .String(r.model)
      .Key("version")
      .Int(r.version)
      .Key("key")
      .String(r.key)
      .Key("inputs")
      .Raw(r.inputs_json)
      .Key("outputs")
      .Raw(r.outputs_json)
      .Key("latency_us")
      .Int(r.latency_us)
      .EndObject();
  const size_t payload_size = out->size() - start - kRecordFrameBytes;
  if (payload_size > kMaxPayloadBytes) {
    out->resize(start);
    return InvalidArgument("prediction record: " + std::to_string(payload_size) +
                           " bytes exceeds the limit of " + std::to_string(kMaxPayloadBytes));
  }
  Frame(out, start);
  return Status::Ok();
}

void AppendSchemaRecord(uint32_t id, const RowSchema& schema, std::string* out) {
  size_t payload = 1 + 4 + 4 + schema.model.size() + 8 + 4 + 4;
  for (const std::string& c : schema.columns) payload += 4 + c.size();
  for (const std::string& o : schema.outputs) payload += 4 + o.size();
  const size_t start = out->size();
  out->resize(start + kRecordFrameBytes + payload);
  char* p = out->data() + start + kRecordFrameBytes;
  Put(p, static_cast<uint8_t>(kSchemaRecord));
  Put(p, id);
  PutString(p, schema.model);
  Put(p, schema.version);
  Put(p, static_cast<uint32_t>(schema.columns.size()));
  for (const std::string& c : schema.columns) PutString(p, c);
  Put(p, static_cast<uint32_t>(schema.outputs.size()));
  for (const std::string& o : schema.outputs) PutString(p, o);
  Frame(out, start);
}

bool AppendRowRecord(uint32_t schema, int64_t time_ms, int64_t latency_us, std::string_view key,
                     std::span<const float> inputs, std::span<const RowOutput> outputs,
                     std::string* out) {
  if (outputs.size() > 255) return false;
  uint64_t payload = 1 + 4 + 8 + 8 + 4 + uint64_t{key.size()} + 4 + 4 * uint64_t{inputs.size()} + 1;
  for (const RowOutput& o : outputs) payload += 2 + 1 + 4 + 4 * uint64_t{o.values.size()};
  if (payload > kMaxPayloadBytes) return false;
  const size_t start = out->size();
  out->resize(start + kRecordFrameBytes + payload);
  char* p = out->data() + start + kRecordFrameBytes;
  Put(p, static_cast<uint8_t>(kRowRecord));
  Put(p, schema);
  Put(p, time_ms);
  Put(p, latency_us);
  PutString(p, key);
  Put(p, static_cast<uint32_t>(inputs.size()));
  PutBytes(p, inputs.data(), inputs.size_bytes());
  Put(p, static_cast<uint8_t>(outputs.size()));
  for (const RowOutput& o : outputs) {
    Put(p, o.index);
    Put(p, static_cast<uint8_t>(o.scalar ? 0 : 1));
    Put(p, static_cast<uint32_t>(o.values.size()));
    PutBytes(p, o.values.data(), o.values.size_bytes());
  }
  Frame(out, start);
  return true;
}

Result<std::string> EncodeRecord(const PredictionRecord& r) {
  std::string framed;
  FERRY_RETURN_IF_ERROR(AppendRecord(r, /*validate_json=*/true, &framed));
  return framed;
}

Result<PredictionRecord> DecodePayload(std::string_view payload) {
  simdjson::dom::parser dom;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (dom.parse(simdjson::padded_string(payload)).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgument("payload is not a JSON object");
  }
  if (object.size() != 7) return InvalidArgument("payload does not have the 7 record fields");
  PredictionRecord r;
  std::string_view s;
  if (object["time_ms"].get_int64().get(r.time_ms) != simdjson::SUCCESS) {
    return InvalidArgument("bad time_ms");
  }
  if (object["model"].get_string().get(s) != simdjson::SUCCESS) return InvalidArgument("bad model");
  r.model = s;
  if (object["version"].get_int64().get(r.version) != simdjson::SUCCESS) {
    return InvalidArgument("bad version");
  }
  if (object["key"].get_string().get(s) != simdjson::SUCCESS) return InvalidArgument("bad key");
  r.key = s;
  if (object["latency_us"].get_int64().get(r.latency_us) != simdjson::SUCCESS) {
    return InvalidArgument("bad latency_us");
  }
  // The texts of inputs/outputs, byte for byte (the payload is valid JSON here).
  std::map<std::string, std::string_view, std::less<>> spans;
  if (!TopLevelSpans(payload, &spans) || !spans.contains("inputs") || !spans.contains("outputs")) {
    return InvalidArgument("bad inputs or outputs");
  }
  r.inputs_json = spans["inputs"];
  r.outputs_json = spans["outputs"];
  return r;
}

namespace {

// A schema payload into `state`; false when it is malformed.
bool DecodeSchema(std::string_view payload, SegmentReadState* state) {
  PayloadReader in(payload);
  in.Get<uint8_t>();
  const uint32_t id = in.Get<uint32_t>();
  SegmentReadState::Schema schema;
  schema.model = in.String();
  schema.version = in.Get<int64_t>();
  const uint32_t columns = in.Get<uint32_t>();
  for (uint32_t c = 0; c < columns && in.ok(); ++c)
    schema.column_keys.push_back(JsonKey(in.String()));
  const uint32_t outputs = in.Get<uint32_t>();
  for (uint32_t o = 0; o < outputs && in.ok(); ++o)
    schema.output_keys.push_back(JsonKey(in.String()));
  if (!in.ok() || !in.at_end()) return false;
  state->schemas[id] = std::move(schema);
  return true;
}

// A row payload as a record, its inputs and outputs spelled as JSON.
Result<PredictionRecord> DecodeRow(std::string_view payload, const SegmentReadState& state) {
  PayloadReader in(payload);
  in.Get<uint8_t>();
  const uint32_t id = in.Get<uint32_t>();
  auto schema = state.schemas.find(id);
  if (in.ok() && schema == state.schemas.end()) {
    return InvalidArgument("row of undefined schema " + std::to_string(id));
  }
  PredictionRecord r;
  r.time_ms = in.Get<int64_t>();
  r.latency_us = in.Get<int64_t>();
  r.key = in.String();
  const uint32_t columns = in.Get<uint32_t>();
  std::string_view x = in.Floats(columns);
  if (!in.ok()) return InvalidArgument("truncated row");
  const SegmentReadState::Schema& s = schema->second;
  if (columns != s.column_keys.size()) {
    return InvalidArgument("row of " + std::to_string(columns) + " inputs, its schema has " +
                           std::to_string(s.column_keys.size()));
  }
  r.model = s.model;
  r.version = s.version;
  std::string& json = r.inputs_json;
  json.reserve(columns * 16 + 2);
  json += '{';
  for (uint32_t c = 0; c < columns; ++c) {
    if (c > 0) json += ',';
    json += s.column_keys[c];
    AppendRawFloat(&json, x.data() + 4 * c);
  }
  json += '}';
  std::string& out = r.outputs_json;
  out += '{';
  const uint8_t outputs = in.Get<uint8_t>();
  for (uint8_t o = 0; o < outputs && in.ok(); ++o) {
    const uint16_t index = in.Get<uint16_t>();
    const uint8_t array = in.Get<uint8_t>();
    const uint32_t width = in.Get<uint32_t>();
    std::string_view v = in.Floats(width);
    if (!in.ok()) break;
    if (index >= s.output_keys.size() || array > 1 || (array == 0 && width != 1)) {
      return InvalidArgument("bad output in row");
    }
    if (o > 0) out += ',';
    out += s.output_keys[index];
    if (array == 0) {
      AppendRawFloat(&out, v.data());
      continue;
    }
    out += '[';
    for (uint32_t k = 0; k < width; ++k) {
      if (k > 0) out += ',';
      AppendRawFloat(&out, v.data() + 4 * k);
    }
    out += ']';
  }
  out += '}';
  if (!in.ok() || !in.at_end()) return InvalidArgument("truncated row");
  return r;
}

}  // namespace

SegmentContents ParseSegmentPart(std::string_view bytes, SegmentReadState* state,
                                 int64_t since_ms) {
  SegmentContents out;
  size_t pos = 0;
  if (state->format == 0) {
    const uint64_t format = bytes.size() >= kSegmentHeaderBytes ? GetLE(bytes, 4, 4) : 0;
    if (bytes.size() < kSegmentHeaderBytes || bytes.substr(0, 4) != kSegmentMagic || format < 1 ||
        format > kSegmentFormatVersion) {
      out.skipped_bytes = bytes.size();
      if (!bytes.empty()) out.tail_error = "bad segment header";
      return out;
    }
    state->format = static_cast<uint32_t>(format);
    pos = kSegmentHeaderBytes;
  }
  while (pos < bytes.size()) {
    std::string error;
    if (bytes.size() - pos < kRecordFrameBytes) {
      error = "torn record frame";
    } else {
      uint64_t len = GetLE(bytes, pos, 4);
      uint64_t sum = GetLE(bytes, pos + 4, 8);
      if (len > kMaxPayloadBytes) {
        error = "record length " + std::to_string(len) + " exceeds the limit";
      } else if (len > bytes.size() - pos - kRecordFrameBytes) {
        error = "record length past the end of the file";
      } else {
        std::string_view payload = bytes.substr(pos + kRecordFrameBytes, len);
        const char kind = payload.empty() ? '\0' : payload.front();
        Result<PredictionRecord> r = InvalidArgument("unknown record kind");
        bool is_record = true;
        if (Checksum(payload) != sum) {
          error = "checksum mismatch";
        } else if (kind == '{' || state->format == 1) {
          r = DecodePayload(payload);
        } else if (kind == kRowRecord) {
          r = DecodeRow(payload, *state);
        } else if (kind == kSchemaRecord) {
          is_record = false;
          if (!DecodeSchema(payload, state)) error = "bad schema record";
        } else if (kind == kStartRecord) {
          is_record = false;
          if (payload.size() != kSegmentStartBytes - kSegmentHeaderBytes - kRecordFrameBytes) {
            error = "bad segment start record";
          }
        }
        if (error.empty() && is_record && !r.ok()) error = "bad record: " + r.status().message();
        if (error.empty()) {
          if (is_record && r->time_ms >= since_ms) out.records.push_back(std::move(r).value());
          pos += kRecordFrameBytes + len;
          continue;
        }
      }
    }
    out.skipped_bytes = bytes.size() - pos;
    out.tail_error = "at byte " + std::to_string(pos) + ": " + error;
    break;
  }
  return out;
}

SegmentContents ParseSegment(std::string_view bytes, int64_t since_ms) {
  SegmentReadState state;
  return ParseSegmentPart(bytes, &state, since_ms);
}

Result<SegmentContents> ReadSegment(const fs::path& path, int64_t since_ms) {
  FERRY_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParseSegment(bytes, since_ms);
}

Result<std::vector<SegmentInfo>> ListSegments(const fs::path& dir) {
  std::error_code ec;
  std::vector<SegmentInfo> out;
  if (!fs::exists(dir, ec)) return out;
  if (!fs::is_directory(dir, ec)) return NotFound("not a folder: " + dir.string());
  std::optional<SegmentInfo> open;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;  // an entry may vanish meanwhile (rotation, retention)
    if (!it->is_regular_file(entry_ec)) continue;
    std::string name = it->path().filename().string();
    SegmentInfo info;
    info.path = it->path();
    info.size_bytes = it->file_size(entry_ec);
    if (entry_ec) continue;
    if (name == kOpenSegmentName) {
      info.open = true;
      open = info;
    } else if (ParseSegmentName(name, &info.first_time_ms, &info.seq)) {
      out.push_back(info);
    }
  }
  if (ec) return Internal("cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const SegmentInfo& a, const SegmentInfo& b) {
    return a.first_time_ms != b.first_time_ms ? a.first_time_ms < b.first_time_ms : a.seq < b.seq;
  });
  if (open) out.push_back(*open);
  return out;
}

Result<LogContents> ReadLog(const fs::path& dir, int64_t since_ms) {
  FERRY_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(dir));
  LogContents out;
  for (const SegmentInfo& s : segments) {
    Result<SegmentContents> c = ReadSegment(s.path, since_ms);
    if (!c.ok()) {
      // Rotated or deleted by retention since the listing.
      if (c.status().code() == StatusCode::kNotFound) continue;
      return c.status();
    }
    out.skipped_bytes += c->skipped_bytes;
    for (PredictionRecord& r : c->records) out.records.push_back(std::move(r));
  }
  return out;
}

std::string SegmentStart(int64_t opened_ms, uint64_t nonce) {
  std::string out = SegmentHeader();
  out.resize(kSegmentStartBytes);
  char* p = out.data() + kSegmentHeaderBytes + kRecordFrameBytes;
  Put(p, static_cast<uint8_t>(kStartRecord));
  Put(p, opened_ms);
  Put(p, nonce);
  Frame(&out, kSegmentHeaderBytes);
  return out;
}

}  // namespace ferry::monitor
