#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::pipeline {

// Who a process is, robustly against pid reuse and reboots: host name,
// kernel boot id, pid and the process's start time (clock ticks since boot,
// /proc/PID/stat field 22).
struct ProcessIdentity {
  std::string host;
  std::string boot_id;
  int64_t pid = 0;
  int64_t start_ticks = 0;
};

ProcessIdentity SelfIdentity();
// The identity of process `pid` on this machine (start_ticks 0 if gone).
ProcessIdentity IdentityOf(pid_t pid);
// True when the process still runs on this host since the same boot with
// the same start time. A different host cannot be checked: reported true.
bool StillRunning(const ProcessIdentity& p);

struct SpawnRequest {
  std::string command;  // run with /bin/sh -c
  std::filesystem::path workdir;
  std::vector<std::pair<std::string, std::string>> env;  // added to / overriding ours
  std::filesystem::path stdout_path;                     // appended to
  std::filesystem::path stderr_path;                     // appended to
};

// Starts the command as the leader of a new process group (stdin from
// /dev/null, signals at their defaults). Returns its pid (= its group id).
Result<pid_t> SpawnInNewGroup(const SpawnRequest& request);

// Sends `sig` to the whole process group `pgid`; a group that is gone is not
// an error.
void SignalGroup(pid_t pgid, int sig);

}  // namespace ferry::pipeline
