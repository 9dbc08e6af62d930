#include "ferry/pipeline/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

using ferry::testing::TempDir;

constexpr int64_t kT0 = 1795795200;  // 2026-11-27T16:00:00Z

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string file = (dir_ / "p.yaml").string();
    ASSERT_TRUE(WriteFileAtomic(file,
                                "apiVersion: ferry/v1\nkind: Pipeline\nname: nightly\n"
                                "params: {day: monday}\nschedule: \"*/5 * * * *\"\n"
                                "steps:\n  - {name: a, run: \"true\"}\n")
                    .ok());
    Result<std::vector<PipelineFile>> files = LoadPipelineFiles({file});
    ASSERT_TRUE(files.ok()) << files.status().message();
    files_ = *files;
    LaunchOptions launch;
    // The launched command is printed instead of run: what is checked here
    // is when and how often runs start, not the runs.
    launch.ferry_binary = "/bin/echo";
    launch.registry_uri = uri_;
    launch.log_dir = dir_ / "logs";
    launcher_ = std::make_unique<RunLauncher>(launch);
  }

  std::unique_ptr<RunStore> Store() {
    Result<std::unique_ptr<RunStore>> s = RunStore::Open(uri_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(*s);
  }

  std::vector<std::string> Tick(Scheduler& s, int64_t now) {
    Result<std::vector<std::string>> started = s.Tick(now);
    EXPECT_TRUE(started.ok()) << started.status().message();
    return started.ok() ? *started : std::vector<std::string>{};
  }

  std::string LogOf(const std::string& run_id) {
    for (int i = 0; i < 500; ++i) {
      Result<std::string> text = ReadFile(dir_ / "logs" / (run_id + ".log"));
      if (text.ok() && !text->empty()) return *text;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }

  TempDir dir_;
  std::string uri_ = "sqlite://" + (dir_ / "registry.db").string();
  std::vector<PipelineFile> files_;
  std::unique_ptr<RunLauncher> launcher_;
};

TEST_F(SchedulerTest, EachSlotStartsOnceAcrossSchedulersAndRestarts) {
  auto store_a = Store();
  auto store_b = Store();
  Scheduler a(*store_a, *launcher_, files_, {});
  Scheduler b(*store_b, *launcher_, files_, {});
  EXPECT_TRUE(Tick(a, kT0 + 30).empty()) << "a new schedule does not fire for the past";
  EXPECT_TRUE(Tick(b, kT0 + 30).empty());
  EXPECT_EQ(a.SecondsUntilNext(kT0 + 30), 270);

  std::vector<std::string> started = Tick(a, kT0 + 301);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_TRUE(Tick(b, kT0 + 302).empty()) << "the other scheduler sees the slot taken";
  {
    auto store_c = Store();
    Scheduler restarted(*store_c, *launcher_, files_, {});
    EXPECT_TRUE(Tick(restarted, kT0 + 310).empty()) << "a restart does not start it again";
  }
  EXPECT_EQ(LogOf(started[0]), "pipeline run " + files_[0].path + " --run-id " + started[0] +
                                   " --registry " + uri_ + " --param day=monday\n");
  EXPECT_EQ(Tick(b, kT0 + 601).size(), 1u) << "the next slot starts on whichever comes first";
  EXPECT_TRUE(Tick(a, kT0 + 602).empty());
}

TEST_F(SchedulerTest, MissedSlotsRunOnceWithinTheStartingDeadline) {
  auto store = Store();
  std::vector<std::string> lines;
  SchedulerOptions options;
  options.starting_deadline_s = 120;
  options.log = [&](const std::string& l) { lines.push_back(l); };
  Scheduler s(*store, *launcher_, files_, options);
  Tick(s, kT0);
  EXPECT_EQ(Tick(s, kT0 + 3600 + 60).size(), 1u);  // 17:00 is 60 s old: runs
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[lines.size() - 2],
            "pipeline nightly: 11 scheduled time(s) missed before 2026-11-27T17:00:00Z (not run)");
  EXPECT_TRUE(Tick(s, kT0 + 7200 + 180).empty());  // 18:00 is 180 s old: missed
  EXPECT_EQ(lines.back(),
            "pipeline nightly: 12 scheduled time(s) missed before 2026-11-27T18:00:00Z (not run)");
}

TEST(LoadPipelineFilesTest, RefusesInvalidFilesAndDuplicateNames) {
  TempDir dir;
  std::string a = (dir / "a.yaml").string(), b = (dir / "b.yaml").string();
  std::string text =
      "apiVersion: ferry/v1\nkind: Pipeline\nname: same\nsteps:\n  - {name: x, run: \"true\"}\n";
  ASSERT_TRUE(WriteFileAtomic(a, text).ok());
  ASSERT_TRUE(WriteFileAtomic(b, text).ok());
  EXPECT_EQ(LoadPipelineFiles({a, b}).status().message(),
            "pipeline name 'same' is used by both " + a + " and " + b);
  ASSERT_TRUE(
      WriteFileAtomic(b, "apiVersion: ferry/v1\nkind: Pipeline\nname: b\nsteps: []\nfoo: 1\n")
          .ok());
  EXPECT_FALSE(LoadPipelineFiles({b}).ok());
  EXPECT_EQ(LoadPipelineFiles({(dir / "none.yaml").string()}).status().message(),
            "cannot read pipeline file " + (dir / "none.yaml").string());
}

}  // namespace
}  // namespace ferry::pipeline
