#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry::batch {

// The files a batch job writes: the predictions (to "<output>.partial", renamed to the output at
// Commit; or stdout) and the list of bad rows (a file, stderr, or none). Byte counts let a
// checkpoint record how much is durable. Not thread-safe.
class OutputSink {
 public:
  ~OutputSink();
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  // Starts afresh: truncates (creates) "<output>.partial" and the errors file. `output` "-" is
  // stdout; `errors_path` "" = no errors file, "-" = stderr.
  static Result<std::unique_ptr<OutputSink>> Create(const std::string& output,
                                                    const std::string& errors_path);
  // Continues: reopens "<output>.partial" and the errors file and cuts them back to the bytes a
  // checkpoint recorded. InvalidArgument when a file is missing or shorter than that.
  static Result<std::unique_ptr<OutputSink>> Reopen(const std::string& output,
                                                    const std::string& errors_path,
                                                    uint64_t output_bytes, uint64_t errors_bytes);

  Status WriteOutput(std::string_view bytes) { return WriteAll(out_fd_, bytes, &output_bytes_); }
  Status WriteErrors(std::string_view bytes);
  uint64_t output_bytes() const { return output_bytes_; }
  uint64_t errors_bytes() const { return errors_bytes_; }

  // Makes everything written so far durable (fdatasync).
  Status Sync();
  // Syncs, closes, renames the partial file onto the output (and syncs the folder); removes an
  // empty errors file.
  Status Commit();
  // Removes the partial file (the job failed on its input).
  void Abandon();

 private:
  OutputSink() = default;
  Status WriteAll(int fd, std::string_view bytes, uint64_t* counter);

  std::string output_;  // "" for stdout
  std::string partial_;
  std::string errors_path_;  // "" none, "-" stderr
  int out_fd_ = -1;
  int err_fd_ = -1;
  uint64_t output_bytes_ = 0;
  uint64_t errors_bytes_ = 0;
};

}  // namespace ferry::batch
