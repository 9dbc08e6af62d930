#include "ferry/pipeline/launcher.h"

#include <sys/wait.h>

#include <algorithm>
#include <ctime>
#include <random>

#include "ferry/pipeline/process.h"
#include "ferry/pipeline/step_setup.h"

namespace ferry::pipeline {
namespace fs = std::filesystem;

std::string NewRunId() {
  std::time_t t = std::time(nullptr);
  std::tm tm = {};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rd() & 0xffffff));
  return std::string(stamp) + "-" + suffix;
}

bool IsValidRunId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

RunLauncher::RunLauncher(LaunchOptions options) : options_(std::move(options)) {
  if (options_.ferry_binary.empty()) options_.ferry_binary = SelfExecutable();
  std::error_code ec;
  if (options_.workdir.empty()) options_.workdir = fs::current_path(ec);
}

Result<std::string> RunLauncher::Start(const std::string& file,
                                       const std::map<std::string, std::string>& params,
                                       std::string run_id) {
  Reap();  // runs started earlier (the trigger has no scheduler to reap them)
  if (run_id.empty()) run_id = NewRunId();
  if (!IsValidRunId(run_id)) return InvalidArgument("invalid run id '" + run_id + "'");
  std::error_code ec;
  fs::create_directories(options_.log_dir, ec);
  if (ec) return Internal("cannot create " + options_.log_dir.string() + ": " + ec.message());
  std::string command = ShellQuote(options_.ferry_binary.string()) + " pipeline run " +
                        ShellQuote(file) + " --run-id " + ShellQuote(run_id);
  if (!options_.registry_uri.empty()) command += " --registry " + ShellQuote(options_.registry_uri);
  for (const auto& [name, value] : params) command += " --param " + ShellQuote(name + "=" + value);
  SpawnRequest req;
  req.command = "exec " + command;
  req.workdir = options_.workdir;
  req.stdout_path = options_.log_dir / (run_id + ".log");
  req.stderr_path = req.stdout_path;
  FERRY_ASSIGN_OR_RETURN(pid_t pid, SpawnInNewGroup(req));
  MutexLock lock(mu_);
  children_.push_back(pid);
  return run_id;
}

void RunLauncher::Reap() {
  MutexLock lock(mu_);
  std::erase_if(children_, [](pid_t pid) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
  });
}

}  // namespace ferry::pipeline
