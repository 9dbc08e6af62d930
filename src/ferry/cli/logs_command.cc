#include "ferry/cli/logs_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/base/wall_clock.h"
#include "ferry/bundle/manifest.h"
#include "ferry/cli/commands.h"
#include "ferry/monitor/live/monitor_options.h"
#include "ferry/monitor/log_cursor.h"
#include "ferry/monitor/log_export.h"
#include "ferry/registry/registry.h"

namespace ferry::cli {
namespace {

namespace fs = std::filesystem;
using monitor::ExportFormat;
using monitor::PredictionRecord;

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return kExitFailure;
}

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

// The model's log folder; it must exist. The root as `ferry serve` picks it:
// --log-dir, else the config's monitoring.log_dir, else $FERRY_HOME/logs.
Result<fs::path> ModelLogDir(const std::string& model, const std::string& log_dir,
                             const std::string& config) {
  if (!bundle::IsValidModelName(model)) {
    return InvalidArgument("--model " + Quoted(model) +
                           " is not a model name: expected [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  }
  fs::path root = log_dir;
  if (root.empty() && !config.empty()) {
    FERRY_ASSIGN_OR_RETURN(monitor::MonitorOptions options, monitor::LoadMonitorOptions(config));
    root = options.log_dir;
  }
  if (root.empty()) root = registry::RegistryOptionsFromEnv("").home / "logs";
  fs::path dir = root / model;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return NotFound("no prediction log for model " + Quoted(model) + ": folder " + dir.string() +
                    " does not exist (the log root is --log-dir, else --config's "
                    "monitoring.log_dir, else $FERRY_HOME/logs)");
  }
  if (!fs::is_directory(dir, ec)) return NotFound(dir.string() + " is not a folder");
  return dir;
}

Result<int64_t> TimeFlag(std::string_view flag, const std::string& value, int64_t fallback) {
  if (value.empty()) return fallback;
  Result<int64_t> t = monitor::ParseTimeArg(value, WallClockMs());
  if (!t.ok()) return t.status().WithContext(std::string(flag));
  return t;
}

// Stdout, or a temporary sibling of the target renamed onto it by Commit.
class Output {
 public:
  static Result<std::unique_ptr<Output>> Open(const std::string& path) {
    std::unique_ptr<Output> out(new Output());
    if (path.empty() || path == "-") {
      out->file_ = stdout;
      return out;
    }
    std::string tmpl = TempSiblingTemplate(fs::path(path));
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
      return InvalidArgument("cannot write --output " + path + ": " + std::strerror(errno));
    }
    ::fchmod(fd, 0644);
    out->file_ = ::fdopen(fd, "w");
    if (out->file_ == nullptr) {
      ::close(fd);
      ::unlink(tmpl.c_str());
      return Internal("cannot write --output " + path + ": " + std::strerror(errno));
    }
    out->path_ = path;
    out->tmp_path_ = tmpl;
    return out;
  }
  ~Output() {
    if (!tmp_path_.empty()) {
      if (file_ != nullptr) std::fclose(file_);
      if (!committed_) ::unlink(tmp_path_.c_str());
    }
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void Write(std::string_view text) {
    if (!text.empty() && std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
      failed_ = true;
    }
  }
  Status Commit() {
    const std::string name = tmp_path_.empty() ? "stdout" : path_;
    if (std::fflush(file_) != 0 || failed_ || std::ferror(file_)) {
      return Internal("cannot write " + name + ": " + std::strerror(errno));
    }
    if (tmp_path_.empty()) return Status::Ok();
    if (::fsync(::fileno(file_)) != 0) {
      return Internal("cannot fsync " + tmp_path_ + ": " + std::strerror(errno));
    }
    int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) return Internal("cannot write " + path_ + ": " + std::strerror(errno));
    if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
      return Internal("cannot rename " + tmp_path_ + " to " + path_ + ": " + std::strerror(errno));
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  Output() = default;
  FILE* file_ = nullptr;
  std::string path_;
  std::string tmp_path_;
  bool failed_ = false;
  bool committed_ = false;
};

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

int LogsExport(const LogsExportArgs& a) {
  Result<fs::path> dir = ModelLogDir(a.model, a.log_dir, a.config);
  if (!dir.ok()) return Fail(dir.status());
  Result<int64_t> since = TimeFlag("--since", a.since, std::numeric_limits<int64_t>::min());
  if (!since.ok()) return Fail(since.status());
  Result<int64_t> until = TimeFlag("--until", a.until, std::numeric_limits<int64_t>::max());
  if (!until.ok()) return Fail(until.status());
  if (*until < *since) {
    return Fail(
        InvalidArgument("--until " + Quoted(a.until) + " is before --since " + Quoted(a.since)));
  }
  ExportFormat format = ExportFormat::kJsonl;
  if (!a.format.empty()) {
    Result<ExportFormat> f = monitor::ParseExportFormat(a.format);
    if (!f.ok()) return Fail(f.status().WithContext("--format"));
    format = *f;
  } else if (!a.output.empty() && a.output != "-") {
    format = monitor::ExportFormatForPath(a.output);
  }
  Result<std::unique_ptr<Output>> out = Output::Open(a.output);
  if (!out.ok()) return Fail(out.status());

  monitor::LogCursor cursor(*dir, *since, *until);
  uint64_t count = 0;
  Status s;
  if (format == ExportFormat::kJsonl) {
    s = cursor.Poll([&](PredictionRecord&& r) {
      (*out)->Write(monitor::RecordToJsonLine(r));
      ++count;
    });
  } else {
    // The columns are the union over the records: hold them, then write.
    std::vector<std::pair<PredictionRecord, monitor::RecordCells>> rows;
    monitor::CsvLayout layout;
    s = cursor.Poll([&](PredictionRecord&& r) {
      monitor::RecordCells cells = monitor::SplitRecord(r);
      layout.Add(cells);
      rows.emplace_back(std::move(r), std::move(cells));
    });
    (*out)->Write(layout.Header());
    for (const auto& [record, cells] : rows) (*out)->Write(layout.Row(record, cells));
    count = rows.size();
  }
  if (!s.ok()) return Fail(s);
  if (Status c = (*out)->Commit(); !c.ok()) return Fail(c);
  std::string report = "exported " + Plural(count, "record", "records");
  if (!a.output.empty() && a.output != "-") report += " to " + a.output;
  uint64_t skipped = cursor.skipped_bytes() + cursor.pending_bytes();
  if (skipped > 0) {
    report += "; skipped " + Plural(skipped, "byte", "bytes") + " of a torn or corrupt tail (" +
              cursor.last_tail_error() + ")";
  }
  std::fprintf(stderr, "%s\n", report.c_str());
  return kExitOk;
}

int LogsTail(const LogsTailArgs& a) {
  Result<fs::path> dir = ModelLogDir(a.model, a.log_dir, a.config);
  if (!dir.ok()) return Fail(dir.status());
  if (a.lines < 0) return Fail(InvalidArgument("-n must not be negative"));
  Result<int64_t> since = TimeFlag("--since", a.since, std::numeric_limits<int64_t>::min());
  if (!since.ok()) return Fail(since.status());
  ExportFormat format = ExportFormat::kJsonl;
  if (!a.format.empty()) {
    Result<ExportFormat> f = monitor::ParseExportFormat(a.format);
    if (!f.ok()) return Fail(f.status().WithContext("--format"));
    format = *f;
  }
  // Signals are taken by sigtimedwait between polls.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (a.follow) pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  monitor::LogCursor cursor(*dir, *since);
  std::vector<PredictionRecord> last;
  Status s = cursor.PollLast(static_cast<uint64_t>(a.lines),
                             [&](PredictionRecord&& r) { last.push_back(std::move(r)); });
  if (!s.ok()) return Fail(s);

  monitor::CsvLayout layout;
  bool header_written = false;
  bool warned_columns = false;
  // Writes a batch; in CSV the first batch fixes the columns.
  auto print = [&](const std::vector<PredictionRecord>& batch, bool final_batch) {
    std::string text;
    if (format == ExportFormat::kJsonl) {
      for (const PredictionRecord& r : batch) text += monitor::RecordToJsonLine(r);
    } else {
      std::vector<monitor::RecordCells> cells;
      cells.reserve(batch.size());
      for (const PredictionRecord& r : batch) cells.push_back(monitor::SplitRecord(r));
      if (!header_written && (!batch.empty() || final_batch)) {
        for (const monitor::RecordCells& c : cells) layout.Add(c);
        text += layout.Header();
        header_written = true;
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!warned_columns && !layout.Covers(cells[i])) {
          warned_columns = true;
          std::fprintf(stderr,
                       "ferry logs tail: new records have columns the CSV header lacks; they are "
                       "left out (use --format jsonl to see every field)\n");
        }
        text += layout.Row(batch[i], cells[i]);
      }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  };
  print(last, !a.follow);
  if (!a.follow) return std::ferror(stdout) ? Fail(Internal("cannot write stdout")) : kExitOk;

  const timespec wait{a.poll_ms / 1000, static_cast<long>(a.poll_ms % 1000) * 1'000'000};
  while (true) {
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) return kExitOk;
    std::vector<PredictionRecord> batch;
    s = cursor.Poll([&](PredictionRecord&& r) { batch.push_back(std::move(r)); });
    if (!s.ok()) return Fail(s);
    if (!batch.empty()) print(batch, false);
    if (std::ferror(stdout)) return Fail(Internal("cannot write stdout"));
  }
}

}  // namespace ferry::cli
