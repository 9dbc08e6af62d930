#include "ferry/pipeline/live_view.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace ferry::pipeline {
namespace {

std::string Contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

StepRecord Step(const std::string& name, StepState state, int64_t attempts = 0,
                const std::string& message = "", int64_t duration_ms = 0) {
  StepRecord s;
  s.name = name;
  s.state = state;
  s.attempts = attempts;
  s.message = message;
  s.duration_ms = duration_ms;
  return s;
}

TEST(LiveViewTest, PlainLinesOnlyForChanges) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  auto view = MakeLiveView(f, false);
  RunRecord run;
  run.id = "r1";
  view->OnChange(run, {Step("a", StepState::kPending), Step("b", StepState::kPending)});
  view->OnChange(run, {Step("a", StepState::kRunning, 1), Step("b", StepState::kPending)});
  view->OnTick(run, {Step("a", StepState::kRunning, 1), Step("b", StepState::kPending)});
  view->OnChange(run, {Step("a", StepState::kSucceeded, 1, "", 1250),
                       Step("b", StepState::kSkipped, 0, "when condition is false: x")});
  EXPECT_EQ(Contents(f),
            "step a: running (attempt 1)\n"
            "step a: succeeded in 1.2s\n"
            "step b: skipped: when condition is false: x\n");
  std::fclose(f);
}

TEST(LiveViewTest, TerminalRedrawsTheBlockInPlace) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  auto view = MakeLiveView(f, true);
  RunRecord run;
  run.id = "r1";
  run.pipeline = "p";
  StepRecord cached = Step("b", StepState::kCached);
  cached.cached_from = "r0";
  view->OnChange(run, {Step("a", StepState::kRunning, 1), cached});
  view->OnTick(run, {Step("a", StepState::kRunning, 1), cached});
  std::string out = Contents(f);
  EXPECT_EQ(out.find("\x1b[3A"), out.rfind("\x1b[3A"));  // one redraw, three lines up
  EXPECT_NE(out.find("\x1b[3A"), std::string::npos);
  EXPECT_NE(out.find("  > a     running"), std::string::npos) << out;
  EXPECT_NE(out.find("  = b     cached"), std::string::npos) << out;
  EXPECT_NE(out.find("(cached from r0)"), std::string::npos) << out;
  std::fclose(f);
}

}  // namespace
}  // namespace ferry::pipeline
