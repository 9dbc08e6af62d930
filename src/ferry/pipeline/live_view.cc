#include "ferry/pipeline/live_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "ferry/base/duration.h"

namespace ferry::pipeline {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Mark(StepState s) {
  switch (s) {
    case StepState::kPending:
      return " ";
    case StepState::kRunning:
      return ">";
    case StepState::kSucceeded:
      return "+";
    case StepState::kCached:
      return "=";
    case StepState::kFailed:
      return "x";
    case StepState::kSkipped:
      return "-";
    case StepState::kCancelled:
      return "!";
  }
  return "?";
}

class PlainView final : public RunObserver {
 public:
  explicit PlainView(std::FILE* out) : out_(out) {}

  void OnChange(const RunRecord&, const std::vector<StepRecord>& steps) override {
    for (const StepRecord& s : steps) {
      auto key = std::make_pair(s.state, s.attempts);
      auto it = seen_.find(s.name);
      if (it != seen_.end() && it->second == key) continue;
      bool first = it == seen_.end();
      seen_[s.name] = key;
      if (first && s.state == StepState::kPending) continue;
      std::string line = "step " + s.name + ": " + std::string(StateName(s.state));
      if (s.state == StepState::kRunning) {
        line += " (attempt " + std::to_string(s.attempts) + ")";
      } else if (s.state == StepState::kSucceeded || s.state == StepState::kFailed) {
        line += " in " + FormatDurationMs(s.duration_ms);
      }
      if (!s.message.empty()) line += ": " + s.message;
      std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fflush(out_);
  }
  void OnTick(const RunRecord&, const std::vector<StepRecord>&) override {}

 private:
  std::FILE* out_;
  std::map<std::string, std::pair<StepState, int64_t>> seen_;
};

class TerminalView final : public RunObserver {
 public:
  explicit TerminalView(std::FILE* out) : out_(out), start_ms_(NowMs()) {
    struct winsize ws = {};
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) columns_ = ws.ws_col;
  }

  void OnChange(const RunRecord& run, const std::vector<StepRecord>& steps) override {
    Draw(run, steps);
  }
  void OnTick(const RunRecord& run, const std::vector<StepRecord>& steps) override {
    Draw(run, steps);
  }

 private:
  void Draw(const RunRecord& run, const std::vector<StepRecord>& steps) {
    int64_t now = NowMs();
    std::string block;
    if (lines_ > 0) block += "\x1b[" + std::to_string(lines_) + "A";
    size_t width = 4;
    for (const StepRecord& s : steps) width = std::max(width, s.name.size());
    block += "\x1b[2Krun " + run.id + " (" + run.pipeline +
             "): " + std::string(StateName(run.state)) + "  " + FormatDurationMs(now - start_ms_) +
             "\n";
    for (const StepRecord& s : steps) {
      if (s.state == StepState::kRunning && !running_since_.count(s.name)) {
        running_since_[s.name] = now;
      }
      std::string duration;
      if (s.state == StepState::kRunning) {
        duration = FormatDurationMs(now - running_since_[s.name]);
      } else if (s.state == StepState::kSucceeded || s.state == StepState::kFailed) {
        duration = FormatDurationMs(s.duration_ms);
      }
      std::string name = s.name + std::string(width - s.name.size(), ' ');
      std::string line = "  " + Mark(s.state) + " " + name + "  " + std::string(StateName(s.state));
      line += std::string(line.size() < width + 16 ? width + 16 - line.size() : 1, ' ');
      line += duration;
      if (s.attempts > 1) line += "  attempt " + std::to_string(s.attempts);
      if (s.state == StepState::kCached) line += "  (cached from " + s.cached_from + ")";
      if (!s.message.empty() && s.state != StepState::kCached) line += "  " + s.message;
      // One screen row per step, or redrawing in place would drift.
      if (line.size() >= columns_) line.resize(columns_ - 1);
      block += "\x1b[2K" + line + "\n";
    }
    lines_ = static_cast<int>(steps.size()) + 1;
    std::fputs(block.c_str(), out_);
    std::fflush(out_);
  }

  std::FILE* out_;
  int64_t start_ms_;
  int lines_ = 0;
  size_t columns_ = 80;
  std::map<std::string, int64_t> running_since_;
};

}  // namespace

std::unique_ptr<RunObserver> MakeLiveView(std::FILE* out, bool terminal) {
  if (terminal) return std::make_unique<TerminalView>(out);
  return std::make_unique<PlainView>(out);
}

}  // namespace ferry::pipeline
