#include "ferry/pipeline/executor.h"

#include <poll.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <fstream>
#include <map>
#include <system_error>

#include "ferry/base/duration.h"
#include "ferry/base/sha256.h"
#include "ferry/pipeline/cache_key.h"
#include "ferry/pipeline/condition.h"
#include "ferry/pipeline/dag.h"
#include "ferry/pipeline/process.h"
#include "ferry/pipeline/resolve.h"
#include "ferry/pipeline/signal_pipe.h"
#include "ferry/pipeline/step_setup.h"
#include "ferry/pipeline/validate.h"
#include "ferry/registry/sql_store.h"

namespace ferry::pipeline {
namespace fs = std::filesystem;

namespace {

class Steady final : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

constexpr int64_t kNever = INT64_MAX;

struct Slot {
  const StepSpec* spec = nullptr;
  int index = 0;
  StepRecord rec;
  bool prepared = false;  // when/cache/command resolved for this run
  std::string command;
  std::vector<std::pair<std::string, std::string>> env;
  pid_t pid = 0;  // > 0 while its process runs
  int64_t first_start_ms = -1;
  int64_t deadline_ms = kNever;
  int64_t kill_at_ms = kNever;
  int64_t ready_at_ms = 0;
  bool timed_out = false;
  bool cancelling = false;
};

// The text after "error: " on the last such line of a log (its last 64 KiB).
std::string LastErrorLine(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size <= 0) return "";
  std::streamoff start = std::max<std::streamoff>(0, size - 65536);
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  std::string found;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (text.compare(pos, 7, "error: ") == 0) found = text.substr(pos + 7, end - pos - 7);
    pos = end + 1;
  }
  return found;
}

class Executor {
 public:
  Executor(RunStore& store, RunRecord& run, const PipelineSpec& spec,
           const ExecutorOptions& options)
      : store_(store),
        run_(run),
        spec_(spec),
        options_(options),
        clock_(options.clock != nullptr ? *options.clock : SteadyClock()),
        dag_(Dag::Build(spec)) {
    ctx_.params = run.params;
    ctx_.folder = run.folder;
    ctx_.workdir = run.workdir;
    launch_.pipeline = run.pipeline;
    launch_.run_id = run.id;
    launch_.registry_uri = options.registry_uri;
    launch_.ferry_binary =
        options.ferry_binary.empty() ? SelfExecutable() : fs::path(options.ferry_binary);
  }

  Result<RunState> Run() {
    FERRY_ASSIGN_OR_RETURN(signals_, SignalPipe::Create(options_.cancel_on_signals));
    FERRY_RETURN_IF_ERROR(Begin());
    while (true) {
      bool progress = true;
      while (progress) {
        FERRY_ASSIGN_OR_RETURN(bool skipped, SkipBlocked());
        progress = skipped;
        if (!cancelled_) {
          FERRY_ASSIGN_OR_RETURN(bool started, StartReady());
          progress = progress || started;
        }
      }
      if (AllFinal()) break;
      if (running_ == 0 && NextReadyMs() == kNever && !cancelled_) {
        return Internal("pipeline run " + run_.id + " cannot make progress (scheduler bug)");
      }
      Wait();
      FERRY_RETURN_IF_ERROR(Reap());
      FERRY_RETURN_IF_ERROR(Timeouts());
    }
    return Finish();
  }

 private:
  void Notify() {
    if (options_.observer == nullptr) return;
    std::vector<StepRecord> recs;
    for (const Slot& s : slots_) recs.push_back(s.rec);
    options_.observer->OnChange(run_, recs);
  }
  void Tick() {
    if (options_.observer == nullptr) return;
    std::vector<StepRecord> recs;
    for (const Slot& s : slots_) recs.push_back(s.rec);
    options_.observer->OnTick(run_, recs);
  }

  // Moves a step to `to`, durably, then tells the observer.
  Status Move(Slot& slot, StepState to, std::string message) {
    if (!CanTransition(slot.rec.state, to)) {
      return Internal("step '" + slot.rec.name + "' cannot go from " +
                      std::string(StateName(slot.rec.state)) + " to " + std::string(StateName(to)));
    }
    slot.rec.state = to;
    slot.rec.message = std::move(message);
    if (IsFinal(to)) {
      slot.rec.finished_at = registry::NowRfc3339();
      if (slot.first_start_ms >= 0) slot.rec.duration_ms = clock_.NowMs() - slot.first_start_ms;
    }
    FERRY_RETURN_IF_ERROR(store_.UpdateStep(run_.id, slot.rec));
    Notify();
    return Status::Ok();
  }

  Status Begin() {
    FERRY_ASSIGN_OR_RETURN(std::vector<StepRecord> recs, store_.ListSteps(run_.id));
    if (recs.size() != spec_.steps.size()) {
      return DataLoss("pipeline run " + run_.id + ": its steps do not match its pipeline");
    }
    ProcessIdentity old_executor = run_.executor;
    for (size_t i = 0; i < recs.size(); ++i) {
      Slot slot;
      slot.spec = &spec_.steps[i];
      slot.index = static_cast<int>(i);
      slot.rec = std::move(recs[i]);
      if (slot.rec.name != slot.spec->name) {
        return DataLoss("pipeline run " + run_.id + ": step " + std::to_string(i) + " is '" +
                        slot.rec.name + "' in the database but '" + slot.spec->name +
                        "' in its pipeline");
      }
      slots_.push_back(std::move(slot));
    }
    if (!CanTransition(run_.state, RunState::kRunning)) {
      return FailedPrecondition("pipeline run " + run_.id + " is " +
                                std::string(StateName(run_.state)) + "; it cannot run again");
    }
    run_.state = RunState::kRunning;
    run_.executor = SelfIdentity();
    if (run_.started_at.empty()) run_.started_at = registry::NowRfc3339();
    FERRY_ASSIGN_OR_RETURN(bool claimed, store_.ClaimRun(run_, old_executor));
    if (!claimed) {
      return FailedPrecondition("pipeline run " + run_.id +
                                " was taken over by another executor; not running it");
    }
    // Steps left running by a dead executor: stop what is left of them, rerun.
    for (Slot& slot : slots_) {
      if (slot.rec.state != StepState::kRunning) continue;
      ProcessIdentity p = slot.rec.process;
      p.host = old_executor.host;
      p.boot_id = old_executor.boot_id;
      if (StillRunning(p)) SignalGroup(static_cast<pid_t>(p.pid), SIGKILL);
      FERRY_RETURN_IF_ERROR(
          Move(slot, StepState::kPending, "rerun: the executor running it had stopped"));
    }
    Notify();
    return Status::Ok();
  }

  bool AllFinal() const {
    for (const Slot& s : slots_) {
      if (!IsFinal(s.rec.state) || s.pid > 0) return false;
    }
    return true;
  }

  int64_t NextReadyMs() const {
    int64_t next = kNever;
    for (const Slot& s : slots_) {
      if (s.rec.state == StepState::kPending) next = std::min(next, s.ready_at_ms);
    }
    return next;
  }

  // Pending steps whose needs can no longer succeed become skipped.
  Result<bool> SkipBlocked() {
    bool any = false;
    bool changed = true;
    while (changed) {
      changed = false;
      for (Slot& slot : slots_) {
        if (slot.rec.state != StepState::kPending) continue;
        for (int need : dag_.needs(slot.index)) {
          const StepRecord& n = slots_[need].rec;
          if (!IsFinal(n.state) || IsDone(n.state)) continue;
          std::string why = n.state == StepState::kFailed    ? "failed"
                            : n.state == StepState::kSkipped ? "was skipped"
                                                             : "was cancelled";
          FERRY_RETURN_IF_ERROR(
              Move(slot, StepState::kSkipped, "not run: needed step '" + n.name + "' " + why));
          changed = any = true;
          break;
        }
      }
    }
    return any;
  }

  bool NeedsDone(const Slot& slot) const {
    for (int need : dag_.needs(slot.index)) {
      if (!IsDone(slots_[need].rec.state)) return false;
    }
    return true;
  }

  Result<bool> StartReady() {
    bool progress = false;
    int64_t now = clock_.NowMs();
    for (Slot& slot : slots_) {
      if (slot.rec.state != StepState::kPending || slot.pid > 0) continue;
      if (!NeedsDone(slot) || slot.ready_at_ms > now) continue;
      if (!slot.prepared) {
        FERRY_ASSIGN_OR_RETURN(bool finished, Prepare(slot));
        if (finished) {
          progress = true;
          continue;
        }
      }
      if (running_ >= options_.parallelism) continue;
      FERRY_RETURN_IF_ERROR(Spawn(slot));
      progress = true;
    }
    return progress;
  }

  // Evaluates `when`, refuses unavailable built-ins, resolves the command
  // and looks the step up in the cache. True when that already settled it.
  Result<bool> Prepare(Slot& slot) {
    const StepSpec& s = *slot.spec;
    auto resolver = [&](const Reference& r) { return ResolveRef(ctx_, s.name, r); };
    if (s.when) {
      Result<Condition> cond = Condition::Parse(s.when->scalar);
      Result<bool> yes = cond.ok() ? cond->Evaluate(resolver) : Result<bool>(cond.status());
      if (!yes.ok()) {
        FERRY_RETURN_IF_ERROR(Move(slot, StepState::kFailed, yes.status().message()));
        return true;
      }
      if (!*yes) {
        FERRY_RETURN_IF_ERROR(
            Move(slot, StepState::kSkipped, "when condition is false: " + s.when->scalar));
        return true;
      }
    }
    Result<PreparedStep> prepared = PrepareStep(ctx_, s, launch_);
    if (!prepared.ok()) {
      FERRY_RETURN_IF_ERROR(Move(slot, StepState::kFailed, prepared.status().message()));
      return true;
    }
    slot.command = std::move(prepared->command);
    slot.env = std::move(prepared->env);
    slot.prepared = true;
    // The key's components are recorded for every step, cached or not: they
    // are also the lineage of what the step consumed.
    std::vector<std::string> needs;
    for (int n : dag_.needs(slot.index)) needs.push_back(slots_[n].rec.name);
    Result<CacheKey> key = ComputeCacheKey(ctx_, s, needs);
    if (!key.ok()) {
      FERRY_RETURN_IF_ERROR(Move(slot, StepState::kFailed, key.status().message()));
      return true;
    }
    FERRY_RETURN_IF_ERROR(store_.SetCacheComponents(run_.id, s.name, key->components));
    slot.rec.cache_key = key->key;
    FERRY_RETURN_IF_ERROR(store_.UpdateStep(run_.id, slot.rec));
    if (!s.cache) return false;
    FERRY_ASSIGN_OR_RETURN(bool hit, TryCache(slot));
    return hit;
  }

  // Reuses the outputs of an earlier step with the same key whose files
  // still exist with their recorded digests.
  Result<bool> TryCache(Slot& slot) {
    FERRY_ASSIGN_OR_RETURN(auto candidates, store_.FindByCacheKey(slot.rec.cache_key, run_.id));
    for (const auto& [run_id, step] : candidates) {
      Result<RunRecord> other = store_.GetRun(run_id);
      if (!other.ok()) continue;
      FERRY_ASSIGN_OR_RETURN(std::vector<OutputRecord> outputs, store_.GetOutputs(run_id, step));
      bool intact = true;
      for (const OutputRecord& o : outputs) {
        Result<std::string> d = Sha256File(OutputPath(other->folder, step, o.name));
        intact = intact && d.ok() && *d == o.sha256;
      }
      if (!intact) continue;
      std::error_code ec;
      for (const OutputRecord& o : outputs) {
        fs::copy_file(OutputPath(other->folder, step, o.name),
                      OutputPath(ctx_.folder, slot.rec.name, o.name),
                      fs::copy_options::overwrite_existing, ec);
        if (ec) break;
      }
      if (ec) continue;
      FERRY_RETURN_IF_ERROR(store_.SetOutputs(run_.id, slot.rec.name, outputs));
      slot.rec.cached_from = run_id;
      FERRY_RETURN_IF_ERROR(Move(slot, StepState::kCached, "cache hit: outputs of run " + run_id));
      return true;
    }
    return false;
  }

  Status Spawn(Slot& slot) {
    slot.rec.attempts += 1;
    slot.rec.started_at = registry::NowRfc3339();
    slot.rec.exit_code.reset();
    slot.rec.process = ProcessIdentity{};
    int64_t now = clock_.NowMs();
    if (slot.first_start_ms < 0) slot.first_start_ms = now;
    FERRY_RETURN_IF_ERROR(Move(slot, StepState::kRunning, ""));
    fs::path dir = StepFolder(ctx_.folder, slot.rec.name);
    if (slot.rec.attempts > 1) {
      for (const char* log : {"stdout.log", "stderr.log"}) {
        std::ofstream(dir / log, std::ios::app)
            << "--- ferry: attempt " << slot.rec.attempts << " ---\n";
      }
    }
    SpawnRequest req;
    req.command = slot.command;
    req.workdir = ctx_.workdir;
    req.env = slot.env;
    req.stdout_path = dir / "stdout.log";
    req.stderr_path = dir / "stderr.log";
    Result<pid_t> pid = SpawnInNewGroup(req);
    if (!pid.ok()) return Move(slot, StepState::kFailed, pid.status().message());
    slot.pid = *pid;
    ++running_;
    slot.rec.process = IdentityOf(*pid);
    slot.deadline_ms = slot.spec->timeout_ms ? now + *slot.spec->timeout_ms : kNever;
    slot.kill_at_ms = kNever;
    slot.timed_out = false;
    return store_.UpdateStep(run_.id, slot.rec);
  }

  void Wait() {
    int64_t now = clock_.NowMs();
    int64_t next = now + options_.tick_ms;
    for (const Slot& s : slots_) {
      if (s.pid > 0) next = std::min({next, s.deadline_ms, s.kill_at_ms});
    }
    for (const Slot& s : slots_) {
      if (!cancelled_ && s.rec.state == StepState::kPending && s.pid == 0 && NeedsDone(s) &&
          s.ready_at_ms > now) {
        next = std::min(next, s.ready_at_ms);
      }
    }
    int64_t wait = std::clamp<int64_t>(next - now, 0, options_.tick_ms);
    struct pollfd p = {signals_->read_fd(), POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(wait));
    if (rc == 0) Tick();
    int interrupt = signals_->Drain();
    if (interrupt != 0) {
      Status s = cancelled_ ? KillNow() : Cancel();
      if (!s.ok()) store_error_ = s;
    }
  }

  // Marks every unfinished step cancelled, then stops the running groups.
  Status Cancel() {
    cancelled_ = true;
    int64_t now = clock_.NowMs();
    for (Slot& slot : slots_) {
      if (slot.rec.state == StepState::kPending) {
        FERRY_RETURN_IF_ERROR(Move(slot, StepState::kCancelled, "cancelled before it started"));
      } else if (slot.rec.state == StepState::kRunning) {
        FERRY_RETURN_IF_ERROR(Move(slot, StepState::kCancelled, "cancelled while running"));
        slot.cancelling = true;
        SignalGroup(slot.pid, SIGTERM);
        slot.kill_at_ms = now + options_.kill_grace_ms;
      }
    }
    return Status::Ok();
  }

  // A second interrupt: no more grace.
  Status KillNow() {
    for (Slot& slot : slots_) {
      if (slot.pid > 0) SignalGroup(slot.pid, SIGKILL);
    }
    return Status::Ok();
  }

  Status Reap() {
    if (!store_error_.ok()) return store_error_;
    for (Slot& slot : slots_) {
      if (slot.pid <= 0) continue;
      int status = 0;
      pid_t r = waitpid(slot.pid, &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) continue;
      FERRY_RETURN_IF_ERROR(Exited(slot, r < 0 ? -1 : status));
    }
    return Status::Ok();
  }

  Status Exited(Slot& slot, int status) {
    SignalGroup(slot.pid, SIGKILL);  // whatever the step left behind in its group
    slot.pid = 0;
    --running_;
    bool exited = status >= 0 && WIFEXITED(status);
    if (status < 0) {
      slot.rec.exit_code.reset();
    } else {
      slot.rec.exit_code = exited ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (slot.cancelling) {
      slot.rec.finished_at = registry::NowRfc3339();
      slot.rec.duration_ms = clock_.NowMs() - slot.first_start_ms;
      FERRY_RETURN_IF_ERROR(store_.UpdateStep(run_.id, slot.rec));
      Notify();
      return Status::Ok();
    }
    std::string failure;
    if (slot.timed_out) {
      failure = "timed out after " + FormatDurationMs(*slot.spec->timeout_ms);
    } else if (status < 0) {
      failure = "lost track of its process";
    } else if (!exited) {
      failure = "killed by signal " + std::to_string(WTERMSIG(status));
    } else if (WEXITSTATUS(status) != 0) {
      failure = "exit code " + std::to_string(WEXITSTATUS(status));
      // A built-in says why on its last "error: " line.
      if (!slot.spec->uses.empty()) {
        std::string why = LastErrorLine(StepFolder(ctx_.folder, slot.rec.name) / "stderr.log");
        if (!why.empty()) failure = why;
      }
    }
    if (failure.empty()) {
      Result<std::vector<OutputRecord>> outputs = CollectOutputs(slot);
      if (outputs.ok()) {
        FERRY_RETURN_IF_ERROR(store_.SetOutputs(run_.id, slot.rec.name, *outputs));
        return Move(slot, StepState::kSucceeded, "");
      }
      failure = outputs.status().message();
    }
    if (slot.rec.attempts <= slot.spec->retries) {
      int64_t delay = RetryDelayMs(static_cast<int>(slot.rec.attempts), options_.retry_backoff_ms,
                                   options_.retry_backoff_max_ms);
      slot.ready_at_ms = clock_.NowMs() + delay;
      return Move(slot, StepState::kPending,
                  "attempt " + std::to_string(slot.rec.attempts) + " failed (" + failure +
                      "); retrying in " + FormatDurationMs(delay));
    }
    return Move(slot, StepState::kFailed, failure);
  }

  // Digests of the step's output files; an error when a declared (or used)
  // output was not written.
  Result<std::vector<OutputRecord>> CollectOutputs(const Slot& slot) {
    fs::path dir = StepFolder(ctx_.folder, slot.rec.name) / "outputs";
    if (auto names = OutputsOf(*slot.spec)) {
      for (const std::string& o : *names) {
        std::error_code ec;
        if (!fs::is_regular_file(dir / o, ec)) {
          return FailedPrecondition("the step did not write its output '" + o + "' (" +
                                    (dir / o).string() + ")");
        }
      }
    }
    std::vector<OutputRecord> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      FERRY_ASSIGN_OR_RETURN(std::string digest, Sha256File(entry.path()));
      out.push_back(
          {entry.path().filename().string(), digest, static_cast<int64_t>(entry.file_size(ec))});
    }
    std::sort(out.begin(), out.end(),
              [](const OutputRecord& a, const OutputRecord& b) { return a.name < b.name; });
    return out;
  }

  Status Timeouts() {
    int64_t now = clock_.NowMs();
    for (Slot& slot : slots_) {
      if (slot.pid <= 0) continue;
      if (!slot.timed_out && !slot.cancelling && now >= slot.deadline_ms) {
        slot.timed_out = true;
        slot.rec.message = "timed out; stopping its process group";
        FERRY_RETURN_IF_ERROR(store_.UpdateStep(run_.id, slot.rec));
        SignalGroup(slot.pid, SIGTERM);
        slot.kill_at_ms = now + options_.kill_grace_ms;
      } else if (now >= slot.kill_at_ms) {
        SignalGroup(slot.pid, SIGKILL);
        slot.kill_at_ms = kNever;
      }
    }
    return Status::Ok();
  }

  Result<RunState> Finish() {
    RunState final_state = RunState::kSucceeded;
    for (const Slot& s : slots_) {
      if (s.rec.state == StepState::kFailed) final_state = RunState::kFailed;
    }
    if (cancelled_) final_state = RunState::kCancelled;
    run_.state = final_state;
    run_.finished_at = registry::NowRfc3339();
    FERRY_RETURN_IF_ERROR(store_.UpdateRun(run_));
    Notify();
    return final_state;
  }

  RunStore& store_;
  RunRecord& run_;
  const PipelineSpec& spec_;
  const ExecutorOptions& options_;
  Clock& clock_;
  Dag dag_;
  RunContext ctx_;
  StepLaunch launch_;
  std::vector<Slot> slots_;
  std::unique_ptr<SignalPipe> signals_;
  int running_ = 0;
  bool cancelled_ = false;
  Status store_error_;
};

}  // namespace

Clock& SteadyClock() {
  static Steady clock;
  return clock;
}

int64_t RetryDelayMs(int retry, int64_t base_ms, int64_t max_ms) {
  int64_t delay = base_ms;
  for (int i = 1; i < retry && delay < max_ms; ++i) delay *= 2;
  return std::min(delay, max_ms);
}

Result<RunState> ExecuteRun(RunStore& store, RunRecord& run, const PipelineSpec& spec,
                            const ExecutorOptions& options) {
  if (options.parallelism < 1) return InvalidArgument("parallelism must be at least 1");
  return Executor(store, run, spec, options).Run();
}

}  // namespace ferry::pipeline
