#pragma once

#include <csignal>
#include <memory>

#include "ferry/base/result.h"

namespace ferry::pipeline {

// Turns SIGCHLD (and, when asked, SIGINT/SIGTERM) into bytes on a
// non-blocking pipe that a poll() loop can wait on; restores the previous
// handlers when destroyed. One instance per process at a time.
class SignalPipe {
 public:
  static Result<std::unique_ptr<SignalPipe>> Create(bool interrupts);
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int read_fd() const { return fds_[0]; }
  // Reads what arrived; returns the last interrupting signal seen (SIGINT or
  // SIGTERM), or 0.
  int Drain();

 private:
  SignalPipe() = default;
  int fds_[2] = {-1, -1};
  bool interrupts_ = false;
  struct sigaction old_chld_ = {}, old_int_ = {}, old_term_ = {};
};

}  // namespace ferry::pipeline
