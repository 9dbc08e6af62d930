#include "ferry/batch/checkpoint.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/base/sha256.h"

namespace ferry::batch {

Result<InputIdentity> IdentifyInput(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound(path.string() + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Unavailable(path.string() + ": cannot stat: " + std::strerror(errno));
  }
  InputIdentity id;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  std::vector<char> head(size_t{1} << 20);
  size_t got = 0;
  while (got < head.size()) {
    ssize_t r = ::read(fd, head.data() + got, head.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  id.head_sha256 = Sha256Hex(std::string_view(head.data(), got));
  return id;
}

std::filesystem::path CheckpointPath(const std::filesystem::path& output) {
  return output.string() + ".ferry-checkpoint";
}

std::filesystem::path PartialPath(const std::filesystem::path& output) {
  return output.string() + ".partial";
}

Status WriteCheckpoint(const std::filesystem::path& path, const Checkpoint& cp) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("format").String("ferry-batch-checkpoint/1");
  j.Key("job").String(cp.job);
  j.Key("input").BeginObject();
  j.Key("size").Uint(cp.input.size);
  j.Key("mtime_ns").Int(cp.input.mtime_ns);
  j.Key("head_sha256").String(cp.input.head_sha256);
  j.EndObject();
  j.Key("next_offset").Uint(cp.next_offset);
  j.Key("lines_done").Int(cp.lines_done);
  j.Key("output_bytes").Uint(cp.output_bytes);
  j.Key("errors_bytes").Uint(cp.errors_bytes);
  j.Key("rows_scored").Int(cp.rows_scored);
  j.Key("rows_skipped").Int(cp.rows_skipped);
  j.Key("stats").Raw(cp.stats_json.empty() ? "null" : cp.stats_json);
  j.EndObject();
  out.push_back('\n');
  return WriteFileAtomic(path, out);
}

Result<Checkpoint> ReadCheckpoint(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path.string() + ": no checkpoint");
  FERRY_ASSIGN_OR_RETURN(std::string text, ReadFile(path, size_t{16} << 20));
  auto bad = [&](std::string_view why) {
    return InvalidArgument(path.string() + ": not a Ferry checkpoint: " + std::string(why));
  };
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc)) return bad("invalid JSON");
  std::string_view format, job, sha;
  Checkpoint cp;
  simdjson::dom::element stats;
  if (doc["format"].get_string().get(format) || format != "ferry-batch-checkpoint/1") {
    return bad("unknown format");
  }
  if (doc["job"].get_string().get(job) || doc["input"]["size"].get_uint64().get(cp.input.size) ||
      doc["input"]["mtime_ns"].get_int64().get(cp.input.mtime_ns) ||
      doc["input"]["head_sha256"].get_string().get(sha) ||
      doc["next_offset"].get_uint64().get(cp.next_offset) ||
      doc["lines_done"].get_int64().get(cp.lines_done) ||
      doc["output_bytes"].get_uint64().get(cp.output_bytes) ||
      doc["errors_bytes"].get_uint64().get(cp.errors_bytes) ||
      doc["rows_scored"].get_int64().get(cp.rows_scored) ||
      doc["rows_skipped"].get_int64().get(cp.rows_skipped) || doc["stats"].get(stats)) {
    return bad("missing or mistyped field");
  }
  cp.job = std::string(job);
  cp.input.head_sha256 = std::string(sha);
  if (!stats.is_null()) cp.stats_json = simdjson::to_string(stats);
  return cp;
}

}  // namespace ferry::batch
