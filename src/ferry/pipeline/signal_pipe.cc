#include "ferry/pipeline/signal_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ferry::pipeline {
namespace {

volatile sig_atomic_t g_write_fd = -1;

void OnSignal(int sig) {
  int saved = errno;
  char c = sig == SIGCHLD ? 'c' : (sig == SIGINT ? 'i' : 't');
  if (g_write_fd >= 0) {
    ssize_t ignored = write(g_write_fd, &c, 1);
    (void)ignored;
  }
  errno = saved;
}

}  // namespace

Result<std::unique_ptr<SignalPipe>> SignalPipe::Create(bool interrupts) {
  std::unique_ptr<SignalPipe> p(new SignalPipe());
  if (pipe2(p->fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Internal("cannot create a pipe: " + std::string(std::strerror(errno)));
  }
  g_write_fd = p->fds_[1];
  p->interrupts_ = interrupts;
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, &p->old_chld_);
  if (interrupts) {
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &p->old_int_);
    sigaction(SIGTERM, &sa, &p->old_term_);
  }
  return p;
}

SignalPipe::~SignalPipe() {
  sigaction(SIGCHLD, &old_chld_, nullptr);
  if (interrupts_) {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  g_write_fd = -1;
  close(fds_[0]);
  close(fds_[1]);
}

int SignalPipe::Drain() {
  int interrupt = 0;
  char buf[64];
  while (true) {
    ssize_t n = read(fds_[0], buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == 'i') interrupt = SIGINT;
      if (buf[i] == 't') interrupt = SIGTERM;
    }
  }
  return interrupt;
}

}  // namespace ferry::pipeline
