#include "ferry/predict/prediction_writer.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/predict/row_encoding.h"

namespace ferry::predict {

PredictionWriter::~PredictionWriter() {
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  if (!committed_ && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Result<std::unique_ptr<PredictionWriter>> PredictionWriter::Open(std::string_view path,
                                                                 Format format,
                                                                 OutputLayout layout) {
  std::unique_ptr<PredictionWriter> w(new PredictionWriter(format, std::move(layout)));
  if (path == "-") {
    w->file_ = stdout;
  } else {
    std::filesystem::path p(path);
    std::string tmpl = TempSiblingTemplate(p);
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
      return InvalidArgument("cannot write output " + std::string(path) + ": " +
                             std::strerror(errno));
    }
    w->file_ = ::fdopen(fd, "w");
    w->path_ = std::string(path);
    w->tmp_path_ = tmpl;
  }
  FERRY_RETURN_IF_ERROR(w->WriteHeader());
  return w;
}

Status PredictionWriter::WriteHeader() {
  if (format_ != Format::kCsv) return Status::Ok();
  bool first = true;
  auto col = [&](std::string_view name) {
    if (!first) buf_.push_back(',');
    first = false;
    AppendCsvField(&buf_, name);
  };
  if (!layout_.key_column.empty()) col(layout_.key_column);
  for (const auto& k : layout_.keep) col(k);
  if (layout_.output_is_vector) {
    for (int64_t i = 0; i < layout_.output_width; ++i)
      col(layout_.output_name + "_" + std::to_string(i));
  } else {
    col(layout_.output_name);
  }
  buf_.push_back('\n');
  return Status::Ok();
}

Status PredictionWriter::Write(const Cell& key, std::span<const Cell> kept,
                               std::span<const float> values) {
  if (format_ == Format::kCsv) {
    bool first = true;
    auto sep = [&] {
      if (!first) buf_.push_back(',');
      first = false;
    };
    if (!layout_.key_column.empty()) {
      sep();
      AppendCsvField(&buf_, key.text);
    }
    for (const auto& c : kept) {
      sep();
      AppendCsvField(&buf_, c.text);
    }
    for (float v : values) {
      sep();
      AppendCsvFloat(&buf_, v);
    }
    buf_.push_back('\n');
  } else {
    JsonWriter j(&buf_);
    j.BeginObject();
    auto cell = [&](const Cell& c) {
      if (c.is_json) {
        j.Raw(c.text);
      } else {
        j.String(c.text);
      }
    };
    if (!layout_.key_column.empty()) {
      j.Key(layout_.key_column);
      cell(key);
    }
    for (size_t i = 0; i < kept.size(); ++i) {
      j.Key(layout_.keep[i]);
      cell(kept[i]);
    }
    j.Key(layout_.output_name);
    if (layout_.output_is_vector) {
      j.BeginArray();
      for (float v : values) j.Float(v);
      j.EndArray();
    } else {
      j.Float(values[0]);
    }
    j.EndObject();
    buf_.push_back('\n');
  }
  if (buf_.size() >= (1 << 16)) return Flush();
  return Status::Ok();
}

Status PredictionWriter::Flush() {
  if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
    return Internal("cannot write output " + (path_.empty() ? std::string("stdout") : path_) +
                    ": " + std::strerror(errno));
  }
  buf_.clear();
  return Status::Ok();
}

Status PredictionWriter::Commit() {
  FERRY_RETURN_IF_ERROR(Flush());
  if (std::fflush(file_) != 0)
    return Internal(std::string("flush failed: ") + std::strerror(errno));
  if (file_ == stdout) {
    committed_ = true;
    return Status::Ok();
  }
  if (::fsync(::fileno(file_)) != 0 || std::fclose(file_) != 0) {
    file_ = nullptr;
    return Internal("cannot sync output " + path_ + ": " + std::strerror(errno));
  }
  file_ = nullptr;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return Internal("cannot rename output into " + path_ + ": " + std::strerror(errno));
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace ferry::predict
