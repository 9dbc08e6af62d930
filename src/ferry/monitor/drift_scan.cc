#include "ferry/monitor/drift_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <simdjson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>
#include <thread>

#include "ferry/monitor/decimal_binner.h"
#include "ferry/monitor/vector_binner.h"
#include "ferry/table/csv_reader.h"
#include "ferry/table/decimal_fields.h"
#include "ferry/table/decimal_scan.h"
#include "ferry/table/input_stream.h"
#include "ferry/table/number.h"
#include "ferry/table/separator_index.h"

namespace ferry::monitor {
namespace {

// The parallel path hands a file to the general reader when one line is longer than this
// (CsvReader refuses records past 64 MiB; this stays well below, so the error is always its own).
constexpr size_t kMaxFastRecordBytes = size_t{32} << 20;
// Each range is checked (UTF-8, quotes) and counted block by block, so the bytes are still in
// the cache when they are counted; a block ends after a line end.
constexpr size_t kBlockBytes = size_t{256} << 10;
constexpr int kMaxThreads = 256;

// Column of each baseline input feature in the file (-1: absent; the prediction is never read).
struct ColumnMap {
  std::vector<int64_t> column;
  std::vector<std::string> absent;
};

Result<ColumnMap> MapColumns(const DriftReference& ref, const table::CsvReader& reader,
                             const std::string& path) {
  ColumnMap map;
  map.column.assign(ref.features.size(), -1);
  bool any = false;
  for (size_t f = 0; f < ref.features.size(); ++f) {
    if (ref.features[f].is_prediction) continue;  // a data file has no predictions
    map.column[f] = reader.ColumnIndex(ref.features[f].name);
    if (map.column[f] < 0) {
      map.absent.push_back(ref.features[f].name);
    } else {
      any = true;
    }
  }
  if (!any) {
    return InvalidArgument(path + ": none of the baseline's features is a column of the file");
  }
  return map;
}

// One numeric cell that is not a plain decimal: missing, another spelling, or not a number.
inline void AddNumericCell(DriftCounts& counts, size_t f, std::string_view v, int64_t* invalid) {
  if (table::IsMissingValue(v)) {
    counts.AddMissing(f);
  } else if (Result<double> d = table::ParseNumber(v); d.ok()) {
    counts.AddNumber(f, *d);
  } else {
    ++*invalid;
    counts.AddMissing(f);
  }
}

// The general path: record after record through the CsvReader (already past the header).
Status ScanSequential(const DriftReference& ref, table::CsvReader& reader, const ColumnMap& map,
                      DriftScan* out) {
  std::vector<std::string_view> fields;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(bool more, reader.Next(&fields));
    if (!more) break;
    ++out->rows;
    for (size_t f = 0; f < map.column.size(); ++f) {
      if (map.column[f] < 0) continue;
      std::string_view v = fields[static_cast<size_t>(map.column[f])];
      if (ref.features[f].numeric) {
        AddNumericCell(out->counts, f, v, &out->invalid);
      } else {
        out->counts.AddCategory(f, v);
      }
    }
  }
  return Status::Ok();
}

// A regular file read with pread(2) (which several threads may do at once). Reading a page-cache
// file this way costs less than mapping it: the first touch of every mapped page is a fault.
class PlainFile {
 public:
  PlainFile() = default;
  PlainFile(const PlainFile&) = delete;
  PlainFile& operator=(const PlainFile&) = delete;
  ~PlainFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  // False when `path` is not a non-empty regular file (the caller then takes the general path,
  // which reports any real error).
  bool Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return false;
    struct stat st;
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return false;
    size_ = static_cast<size_t>(st.st_size);
    return true;
  }
  size_t size() const { return size_; }
  // Reads exactly n bytes at `offset` into buf; false on an error or a short file (it changed).
  bool ReadAt(size_t offset, size_t n, char* buf) const {
    while (n > 0) {
      ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      buf += got;
      offset += static_cast<size_t>(got);
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  // Offset just after the first '\n' at or after `offset`, or size() when there is none (or on
  // an error: the range then simply ends there, and reading it fails).
  size_t NextLineStart(size_t offset) const {
    char buf[4096];
    while (offset < size_) {
      size_t n = std::min(sizeof buf, size_ - offset);
      if (!ReadAt(offset, n, buf)) return size_;
      if (const void* nl = std::memchr(buf, '\n', n)) {
        return offset + static_cast<size_t>(static_cast<const char*>(nl) - buf) + 1;
      }
      offset += n;
    }
    return size_;
  }

 private:
  int fd_ = -1;
  size_t size_ = 0;
};

// Where the data section of a CSV starts: after a UTF-8 byte order mark, blank lines and the
// header line, as CsvReader reads them. `d` holds the first n bytes of the file (`whole`: all of
// it). False when the header holds a '"' (quoted names: the general path) or is not all in d.
bool FindDataStart(const char* d, size_t n, bool whole, size_t* start, int64_t* header_line) {
  size_t pos = n >= 3 && std::memcmp(d, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  int64_t line = 0;
  while (pos < n) {
    const char* nl = static_cast<const char*>(std::memchr(d + pos, '\n', n - pos));
    if (nl == nullptr && !whole) return false;
    const size_t line_end = nl != nullptr ? static_cast<size_t>(nl - d) : n;
    size_t content_end = line_end;
    if (content_end > pos && d[content_end - 1] == '\r') --content_end;
    ++line;
    if (content_end > pos) {
      if (std::memchr(d + pos, '"', line_end - pos) != nullptr) return false;
      *start = nl != nullptr ? line_end + 1 : n;
      *header_line = line;
      return true;
    }
    pos = nl != nullptr ? line_end + 1 : n;
  }
  return false;
}

enum class ColumnKind : uint8_t { kSkip, kNumeric, kCategorical };
struct ColumnPlan {
  ColumnKind kind = ColumnKind::kSkip;
  uint32_t feature = 0;
  const double* tables = nullptr;  // numeric: DecimalBinner::Tables(feature)
};

// How one range ended.
enum class RangeOutcome {
  kDone,        // every record counted
  kFieldCount,  // a record with the wrong number of fields (error_line, error_fields)
  kFallback,    // something only the general reader handles: the whole file goes there
  kStopped,     // given up because an earlier range failed or another range needs the fallback
};

struct RangeResult {
  explicit RangeResult(const DriftReference& ref) : counts(ref) {}
  RangeOutcome outcome = RangeOutcome::kDone;
  int64_t rows = 0;
  int64_t invalid = 0;
  int64_t lines = 0;  // line ends consumed: records and blank lines
  int64_t error_fields = 0;
  DriftCounts counts;
};

// What the ranges share to stop early.
struct ScanFlags {
  std::atomic<bool> fallback{false};
  std::atomic<size_t> first_error{std::numeric_limits<size_t>::max()};
};

// One thread's scratch for RangeScanner's indexed path: the separators of the block and the
// values of a record's numeric fields.
struct Spans {
  // Records whose values wait for VectorBinner::AddRows.
  static constexpr size_t kRows = 64;
  table::SeparatorIndex index;
  std::vector<double> values;  // [kRows][numeric fields]
  std::vector<uint64_t> left;  // [kRows][words]: bit i, numeric field i went the one-by-one way
  size_t rows = 0;             // records waiting
};

// Counts the records of one line-aligned byte range. With AVX-512, record by record from an index
// of the block's separators, the numeric fields converted together (FastRecord); otherwise, and
// for any record FastRecord does not take, in a single fused pass: each numeric field parsed
// where it stands (table::ScanSimpleDecimal, else the general rules) and binned at once.
class RangeScanner {
 public:
  RangeScanner(const DriftReference& ref, const std::vector<ColumnPlan>& plan)
      : plan_(plan), to_double_(table::Avx512DecimalFieldsToDouble()) {
    for (size_t c = 0; c < plan.size(); ++c) {
      if (plan[c].kind == ColumnKind::kCategorical) categorical_columns_.push_back(c);
      if (plan[c].kind == ColumnKind::kNumeric) numeric_features_.push_back(plan[c].feature);
    }
    runs_ = table::ColumnRuns(plan.size(),
                              [&](size_t c) { return plan[c].kind == ColumnKind::kNumeric; });
    binner_ = VectorBinner::Make(ref, numeric_features_);
  }

  // Counts the records of the file's bytes [begin, end), which start a line and end after a line
  // end or at the end of the file, block by block through a buffer of its own.
  void Scan(const PlainFile& file, size_t begin, size_t end, size_t index, ScanFlags& flags,
            RangeResult* r) const {
    std::vector<char> buf(kBlockBytes);
    Spans spans;
    spans.values.resize(Spans::kRows * numeric_features_.size());
    spans.left.resize(Spans::kRows * LeftWords());
    size_t pos = begin;
    size_t carry = 0;  // bytes of a line begun in the previous block, at the front of buf
    while (pos < end) {
      const size_t want = std::min(kBlockBytes, end - pos);
      if (buf.size() < carry + want) buf.resize(carry + want);
      if (!file.ReadAt(pos, want, buf.data() + carry)) return Fail(flags, r);
      pos += want;
      const size_t avail = carry + want;
      size_t cut = avail;
      if (pos < end) {  // up to the last line end; the rest waits for the next block
        const void* nl = ::memrchr(buf.data(), '\n', avail);
        if (nl == nullptr) {
          if (avail > kMaxFastRecordBytes) return Fail(flags, r);
          carry = avail;
          continue;
        }
        cut = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
      }
      const char* p = buf.data();
      const bool scanned = simdjson::validate_utf8(p, cut) && std::memchr(p, '"', cut) == nullptr &&
                           ScanBlock(p, p + cut, spans, r);
      if (binner_ != nullptr) Flush(spans, r->counts);
      if (!scanned) {
        if (r->outcome != RangeOutcome::kFieldCount) return Fail(flags, r);
        size_t expected = std::numeric_limits<size_t>::max();
        while (index < expected && !flags.first_error.compare_exchange_weak(expected, index)) {
        }
        return;
      }
      if (flags.fallback.load(std::memory_order_relaxed) ||
          flags.first_error.load(std::memory_order_relaxed) < index) {
        r->outcome = RangeOutcome::kStopped;
        return;
      }
      carry = avail - cut;
      std::memmove(buf.data(), buf.data() + cut, carry);
    }
  }

 private:
  static void Fail(ScanFlags& flags, RangeResult* r) {
    r->outcome = RangeOutcome::kFallback;
    flags.fallback.store(true, std::memory_order_relaxed);
  }

  // The end of the field at p: the next ',' or '\n', or end.
  static const char* FieldEnd(const char* p, const char* end) {
    while (p != end && *p != ',' && *p != '\n') ++p;
    return p;
  }
  // The field's content: a CR before the line end (or the end of the data) is not part of it.
  static const char* ContentEnd(const char* field, const char* stop, const char* end) {
    if ((stop == end || *stop == '\n') && stop > field && stop[-1] == '\r') return stop - 1;
    return stop;
  }

  // Counts the records of [p, end) (which ends after a line end, or at the end of the data).
  // False at a record it cannot take: outcome kFieldCount with r->lines at that record, or a
  // line too long (the caller falls back). p is left at the record that stopped it.
  bool ScanBlock(const char*& p, const char* end, Spans& spans, RangeResult* r) const {
    const size_t width = plan_.size();
    DriftCounts& counts = r->counts;
    const ColumnPlan* plan = plan_.data();
    const char* base = p;
    const bool indexed =
        to_double_ != nullptr && static_cast<size_t>(end - p) < table::SeparatorIndex::kLineEnd;
    if (indexed) spans.index.Build(p, static_cast<size_t>(end - p));
    size_t k = 0;  // indexed: the first separator at or after p
    while (p < end) {
      if (indexed) {
        const size_t pos = static_cast<size_t>(p - base);
        while (k < spans.index.size() && table::SeparatorIndex::Start(spans.index[k]) <= pos) {
          ++k;
        }
        if (const size_t next = FastRecord(base, end, pos, k, spans, r); next != 0) {
          p = base + next;
          k += width;
          ++r->rows;
          ++r->lines;
          continue;
        }
      }
      const char* record = p;
      if (*p == '\n') {  // blank line
        ++p;
        ++r->lines;
        continue;
      }
      if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {  // blank line with CRLF
        p += p + 1 == end ? 1 : 2;
        ++r->lines;
        continue;
      }
      for (size_t c = 0;; ++c) {
        const ColumnPlan col = plan[c];
        const char* stop;  // after the field: ',', '\n' or end
        if (col.kind == ColumnKind::kNumeric) {
          table::DecimalParts v;
          const char* q = table::ScanSimpleDecimalParts(p, end, &v);
          if (q != nullptr && q != end && (*q == ',' || *q == '\n')) {
            AddDecimal(col, v, counts);
            stop = q;
          } else if (q != nullptr && (q == end || (*q == '\r' && (q + 1 == end || q[1] == '\n')))) {
            AddDecimal(col, v, counts);
            stop = q == end ? q : q + 1;
          } else {
            stop = FieldEnd(p, end);
            AddNumericCell(counts, col.feature,
                           std::string_view(p, static_cast<size_t>(ContentEnd(p, stop, end) - p)),
                           &r->invalid);
          }
        } else {
          stop = FieldEnd(p, end);
          if (col.kind == ColumnKind::kCategorical) {
            counts.AddCategory(
                col.feature,
                std::string_view(p, static_cast<size_t>(ContentEnd(p, stop, end) - p)));
          }
        }
        if (stop == end || *stop == '\n') {
          if (c + 1 != width) return FieldCountError(static_cast<int64_t>(c + 1), r);
          p = stop == end ? end : stop + 1;
          break;
        }
        if (c + 1 == width) {
          const char* line_end = stop + 1;
          int64_t more = 1;
          while (line_end != end && *line_end != '\n') more += *line_end++ == ',' ? 1 : 0;
          return FieldCountError(static_cast<int64_t>(width) + more, r);
        }
        p = stop + 1;
      }
      ++r->rows;
      ++r->lines;
      if (static_cast<size_t>(p - record) > kMaxFastRecordBytes) {
        p = record;
        return false;
      }
    }
    return true;
  }

  // The record at base[pos] when its separators are spans.index's entries from k on and it ends
  // within kMaxFastRecordBytes: counted, and the offset after its line end returned. 0 (nothing
  // counted) for anything else. The numeric fields of each run of columns are converted together
  // (table::DecimalFieldsToDouble), then any it left alone one by one.
  size_t FastRecord(const char* base, const char* end, size_t pos, size_t k, Spans& spans,
                    RangeResult* r) const {
    using table::SeparatorIndex;
    const size_t width = plan_.size();
    if (spans.index.size() - k < width) return 0;
    if (base[pos] == '\n' || base[pos] == '\r') return 0;  // blank line, or a lone CR
    const uint32_t* e = spans.index.entries() + k;         // e[-1]: where the record starts
    if (!SeparatorIndex::IsRecord(e, width)) return 0;     // too few or too many fields
    const size_t next = SeparatorIndex::Start(e[width - 1]);
    if (next - pos > kMaxFastRecordBytes) return 0;
    DriftCounts& counts = r->counts;
    // With a binner, this record's values wait in row spans.rows of the buffers.
    const size_t row = binner_ != nullptr ? spans.rows : 0;
    double* values = spans.values.data() + row * numeric_features_.size();
    uint64_t* left = spans.left.data() + row * LeftWords();
    std::fill(left, left + LeftWords(), 0);
    size_t at = 0;  // numeric fields so far
    for (const table::ColumnRun& run : runs_) {
      for (size_t i0 = 0; i0 < run.count; i0 += table::kMaxDecimalFields) {
        const size_t n = std::min(table::kMaxDecimalFields, run.count - i0);
        const size_t c0 = run.first_column + i0;
        const uint64_t l = to_double_(base, e + c0, n, values + at);
        left[at / 64] |= l << (at % 64);
        if (at % 64 + n > 64) left[at / 64 + 1] |= l >> (64 - at % 64);
        for (uint64_t m = l; m != 0; m &= m - 1) {
          const size_t c = c0 + static_cast<size_t>(std::countr_zero(m));
          const char* field = base + SeparatorIndex::Start(e[c - 1]);
          const char* field_end = base + SeparatorIndex::ContentEnd(base, e + c);
          table::DecimalParts v;
          if (table::ScanSimpleDecimalParts(field, end, &v) == field_end) {
            AddDecimal(plan_[c], v, counts);
          } else {
            AddNumericCell(counts, plan_[c].feature,
                           std::string_view(field, static_cast<size_t>(field_end - field)),
                           &r->invalid);
          }
        }
        at += n;
      }
    }
    if (binner_ != nullptr) {
      if (++spans.rows == Spans::kRows) Flush(spans, counts);
    } else {
      for (size_t i = 0; i < at; ++i) {
        if (((left[i / 64] >> (i % 64)) & 1) == 0) {
          counts.AddNumber(numeric_features_[i], values[i]);
        }
      }
    }
    for (size_t c : categorical_columns_) {
      const size_t begin = SeparatorIndex::Start(e[c - 1]);
      counts.AddCategory(
          plan_[c].feature,
          std::string_view(base + begin, SeparatorIndex::ContentEnd(base, e + c) - begin));
    }
    return next;
  }

  size_t LeftWords() const { return (numeric_features_.size() + 63) / 64; }

  // Bins the records waiting in spans.
  void Flush(Spans& spans, DriftCounts& counts) const {
    if (spans.rows == 0) return;
    binner_->AddRows(spans.values.data(), spans.left.data(), spans.rows, counts);
    spans.rows = 0;
  }

  static void AddDecimal(const ColumnPlan& col, const table::DecimalParts& v, DriftCounts& counts) {
    if (col.tables == nullptr || !DecimalBinner::Bin(col.tables, col.feature, v, counts)) {
      counts.AddNumber(col.feature, table::DecimalValue(v));
    }
  }

  static bool FieldCountError(int64_t got, RangeResult* r) {
    r->outcome = RangeOutcome::kFieldCount;
    r->error_fields = got;
    return false;
  }

  const std::vector<ColumnPlan>& plan_;
  std::vector<table::ColumnRun> runs_;      // of numeric columns, each converted in one go
  std::vector<uint32_t> numeric_features_;  // the feature of each numeric column, in order
  std::unique_ptr<VectorBinner> binner_;    // nullptr: DriftCounts::AddNumber
  std::vector<size_t> categorical_columns_;
  table::DecimalFieldsToDouble to_double_;  // nullptr: every field through ScanBlock's own loop
};

// The parallel path. Sets *taken to false (and counts nothing) when the file must go to the
// general path; otherwise fills *out or returns the error the general path would give.
Status ScanParallel(const DriftReference& ref, const std::string& path, size_t width,
                    const ColumnMap& map, const DriftScanOptions& options, DriftScan* out,
                    bool* taken) {
  *taken = false;
  if (path == "-") return Status::Ok();
  PlainFile file;
  if (!file.Open(path)) return Status::Ok();
  {
    Result<std::unique_ptr<table::InputStream>> in = table::InputStream::Open(path);
    if (!in.ok() || (*in)->compressed()) return Status::Ok();
  }
  std::vector<ColumnPlan> plan(width);
  for (size_t f = 0; f < map.column.size(); ++f) {
    if (map.column[f] < 0) continue;
    ColumnPlan& col = plan[static_cast<size_t>(map.column[f])];
    if (col.kind != ColumnKind::kSkip) return Status::Ok();  // one column, two features
    col.kind = ref.features[f].numeric ? ColumnKind::kNumeric : ColumnKind::kCategorical;
    col.feature = static_cast<uint32_t>(f);
  }
  const size_t n = file.size();
  size_t start = 0;
  int64_t header_line = 0;
  for (size_t prefix = size_t{64} << 10;; prefix *= 2) {
    const bool whole = prefix >= n;
    std::string head(std::min(prefix, n), '\0');
    if (!file.ReadAt(0, head.size(), head.data())) return Status::Ok();
    if (FindDataStart(head.data(), head.size(), whole, &start, &header_line)) break;
    if (whole || prefix > kMaxFastRecordBytes) return Status::Ok();
  }

  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, kMaxThreads);
  const size_t per_thread = std::max<size_t>(options.min_bytes_per_thread, 1);
  threads = static_cast<int>(
      std::clamp<size_t>((n - start) / per_thread, 1, static_cast<size_t>(threads)));

  // Line-aligned ranges: each boundary moves forward to just after a line end.
  std::vector<size_t> bounds(static_cast<size_t>(threads) + 1, n);
  bounds[0] = start;
  for (size_t i = 1; i < static_cast<size_t>(threads); ++i) {
    size_t b = std::max(start + (n - start) / static_cast<size_t>(threads) * i, bounds[i - 1]);
    if (b > start && b < n) b = file.NextLineStart(b - 1);
    bounds[i] = b;
  }

  std::vector<RangeResult> results;
  results.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) results.emplace_back(ref);
  ScanFlags flags;
  DecimalBinner binner(ref);
  for (ColumnPlan& col : plan) {
    if (col.kind == ColumnKind::kNumeric) col.tables = binner.Tables(col.feature);
  }
  RangeScanner scanner(ref, plan);
  {
    std::vector<std::jthread> workers;
    for (size_t i = 1; i < static_cast<size_t>(threads); ++i) {
      workers.emplace_back(
          [&, i] { scanner.Scan(file, bounds[i], bounds[i + 1], i, flags, &results[i]); });
    }
    scanner.Scan(file, bounds[0], bounds[1], 0, flags, &results[0]);
  }  // joins

  for (const RangeResult& r : results) {
    if (r.outcome == RangeOutcome::kFallback) return Status::Ok();
  }
  int64_t line = header_line;
  for (const RangeResult& r : results) {
    if (r.outcome == RangeOutcome::kFieldCount) {
      *taken = true;
      return InvalidArgument(path + ":" + std::to_string(line + r.lines + 1) + ": expected " +
                             std::to_string(width) + " fields, got " +
                             std::to_string(r.error_fields));
    }
    // Only a range after a failed one stops early, and a fallback was handled above.
    if (r.outcome != RangeOutcome::kDone) return Status::Ok();
    line += r.lines;
  }
  for (const RangeResult& r : results) {
    out->rows += r.rows;
    out->invalid += r.invalid;
    out->counts.Merge(r.counts);
  }
  out->path = DriftScanPath::kParallel;
  out->threads_used = threads;
  *taken = true;
  return Status::Ok();
}

}  // namespace

Result<DriftScan> ScanCsvForDrift(const DriftReference& ref, const std::string& path,
                                  const DriftScanOptions& options) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<table::CsvReader> reader, table::CsvReader::Open(path));
  FERRY_ASSIGN_OR_RETURN(ColumnMap map, MapColumns(ref, *reader, path));
  DriftScan scan(ref);
  scan.absent = map.absent;
  if (!options.sequential) {
    bool taken = false;
    FERRY_RETURN_IF_ERROR(
        ScanParallel(ref, path, reader->header().size(), map, options, &scan, &taken));
    if (taken) return scan;
  }
  FERRY_RETURN_IF_ERROR(ScanSequential(ref, *reader, map, &scan));
  return scan;
}

}  // namespace ferry::monitor
