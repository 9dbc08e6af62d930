#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/table/input_stream.h"

namespace ferry::table {

struct CsvReaderOptions {
  // Initial size of the read buffer; it doubles when one record does not fit.
  size_t buffer_bytes = size_t{1} << 20;
  // A record (with its line ends) longer than this is an OutOfRange error.
  size_t max_record_bytes = size_t{64} << 20;
  // Hash the raw input bytes, for SourceSha256Hex().
  bool sha256 = false;
};

// A streaming RFC 4180 reader: comma separator; fields optionally in double quotes, with "" for a
// quote and with commas and line breaks allowed inside; LF or CRLF line ends; a UTF-8 byte order
// mark at the start is skipped; the input may be compressed (see InputStream).
//
// Leniencies: blank lines (empty or "\r") are skipped anywhere; the last record may lack its line
// end; a '"' inside an unquoted field is plain data (5'10" stays as is); a CR not followed by LF is
// data. Strictness: after a closing quote only ',', a line end or the end of data may follow.
//
// The first record is the header. Every later record must have as many fields as the header.
// Input must be UTF-8 (checked with simdjson::validate_utf8 over whole blocks of records, record by
// record only to locate an error).
//
// Error messages start with "<name>:<line>: " where <line> is 1-based. Errors that concern one
// record (wrong field count, invalid UTF-8) leave the reader after that record: Next can be called
// again to go on with the next record. Other errors (unterminated quote, junk after a closing
// quote, record too long, I/O, corrupt compressed data) are repeated by every later call.
//
// Not thread-safe.
class CsvReader {
 public:
  // Opens `path` ("-" is stdin) and reads the header. Errors: those of InputStream::Open;
  // InvalidArgument "<path>: empty file, expected a header line" when there is no record at all;
  // InvalidArgument "<path>:<line>: empty column name (column <i>)" or
  // "<path>:<line>: duplicate column name '<name>'" (i is 1-based); errors of Next.
  static Result<std::unique_ptr<CsvReader>> Open(std::string_view path,
                                                 const CsvReaderOptions& options = {});
  // Same over an already-open stream (e.g. InputStream::FromMemory).
  static Result<std::unique_ptr<CsvReader>> Open(std::unique_ptr<InputStream> input,
                                                 const CsvReaderOptions& options = {});

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  const std::vector<std::string>& header() const { return header_; }
  // Index of the column named `name` in header(), or -1.
  int64_t ColumnIndex(std::string_view name) const;

  // Reads the next record into *fields (one view per header column): true, or false at the end
  // of the data. The views stay valid until the next call to Next (they point into the reader's
  // buffer, or into its arena for quoted fields that held ""). Errors:
  //  InvalidArgument "<name>:<line>: expected N fields, got M"
  //  InvalidArgument "<name>:<line>: invalid UTF-8"
  //  InvalidArgument "<name>:<line>: unterminated quoted field" (<line>: where the quote opened)
  //  InvalidArgument "<name>:<line>: unexpected character after closing quote"
  //  OutOfRange "<name>:<line>: record longer than <max_record_bytes> bytes"
  //  and the errors of InputStream::Read.
  Result<bool> Next(std::vector<std::string_view>* fields);

  // The 1-based physical line where the last record read (or failed) started; the header's line
  // after Open. A quoted line break makes the next record start one line further.
  int64_t line_number() const { return line_number_; }

  // The input's name ("<stdin>" for "-") as used in messages.
  const std::string& name() const { return input_->name(); }
  // Raw input bytes consumed so far, for progress.
  uint64_t bytes_read() const { return input_->bytes_read(); }
  // SHA-256 of the raw input bytes (see InputStream::RawSha256Hex). Needs options.sha256 and the
  // end of the data (Next returned false).
  Result<std::string> SourceSha256Hex() { return input_->RawSha256Hex(); }

 private:
  // Where one field lies in buffer_: [begin, begin + size). `escaped` fields (quoted ones holding
  // "") are copied into arena_ with the doubled quotes collapsed.
  struct FieldSpan {
    size_t begin;
    size_t size;
    bool escaped;
  };
  enum class Parse { kRecord, kBlank, kNeedMore, kError };

  CsvReader(std::unique_ptr<InputStream> input, const CsvReaderOptions& options);
  Status ReadHeader();
  // Reads the next non-blank record into spans_. False at the end of the data.
  Result<bool> NextRecord();
  // Parses the record starting at pos_; on kRecord/kBlank sets *record_end and *line_breaks (line
  // ends inside quoted fields). kNeedMore: the buffer ends before the record does.
  Parse ParseRecord(size_t* record_end, int64_t* line_breaks);
  Parse ParseQuotedRecord(size_t* record_end, int64_t* line_breaks);
  // Moves unread bytes to the front, grows the buffer if full, reads more input.
  Status Fill();
  // Checks that bytes up to record_end are UTF-8.
  bool CheckUtf8(size_t record_end);
  Status Error(int64_t line, std::string_view what) const;
  void Materialize(std::vector<std::string_view>* fields);

  std::unique_ptr<InputStream> input_;
  CsvReaderOptions options_;
  std::vector<char> buffer_;
  size_t pos_ = 0;        // start of the unread data in buffer_
  size_t end_ = 0;        // end of the data in buffer_
  size_t validated_ = 0;  // buffer_[pos_, validated_) is known to be UTF-8
  // Up to here a block failed validation: check record by record to find the bad one(s).
  size_t per_record_until_ = 0;
  bool eof_ = false;       // input_ has no more bytes
  int64_t next_line_ = 1;  // physical line at pos_
  int64_t line_number_ = 0;
  Status sticky_error_;
  std::vector<FieldSpan> spans_;
  std::string arena_;
  std::vector<std::string> header_;
  std::map<std::string, int64_t, std::less<>> column_index_;
};

}  // namespace ferry::table
