// Cost of monitoring one served request in `ferry serve` (issue 7): the CPU
// of the whole process (the answering thread in
// VersionMonitor::ObserveSuccess and the log's writer thread) per one-row
// request of the breast-cancer model (30 features), with drift counting
// only, and with the prediction log and feedback keys too. The log is
// flushed every 256 requests inside the timed loop, so the writer's work is
// counted. The serving benchmark `serve_bench.py monitoring` measures the
// whole server.
//
//   build/release/bench/ferry_observer_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "ferry/bundle/create.h"
#include "ferry/monitor/live/model_monitor.h"

namespace {

namespace fs = std::filesystem;
using namespace ferry;

struct Fixture {
  fs::path dir;
  bundle::Bundle bundle;
  std::vector<float> row;
};

Fixture& Setup() {
  static Fixture f = [] {
    Fixture x;
    x.dir = fs::temp_directory_path() / ("ferry-observer-bench-" + std::to_string(getpid()));
    fs::remove_all(x.dir);
    fs::create_directories(x.dir);
    const fs::path source = FERRY_SOURCE_DIR;
    std::ifstream in(source / "examples/breast-cancer/data.csv");
    std::ofstream train(x.dir / "train.csv");
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      const std::string rest = line.substr(line.find(',') + 1);
      train << rest << "\n";
      if (!header && x.row.empty()) {
        size_t pos = 0;
        for (int c = 0; c < 30; ++c) {
          size_t next = rest.find(',', pos);
          x.row.push_back(std::stof(rest.substr(pos, next - pos)));
          pos = next + 1;
        }
      }
      header = false;
    }
    train.close();
    bundle::CreateOptions o;
    o.model_file = source / "examples/breast-cancer/model.json";
    o.output_dir = x.dir / "bundle";
    o.name = "bc";
    o.baseline_csv = x.dir / "train.csv";
    o.label_column = "target";
    auto b = bundle::CreateBundle(o);
    if (!b.ok()) {
      std::cerr << b.status().ToString() << "\n";
      std::abort();
    }
    x.bundle = *b;
    return x;
  }();
  return f;
}

void Observe(benchmark::State& state, bool log, bool keys) {
  Fixture& f = Setup();
  monitor::MonitorOptions options;
  options.prediction_log = log;
  options.feedback_keys = keys ? 100'000 : 0;
  options.log_queue = 1'000'000;
  const fs::path logs = f.dir / ("logs-" + std::to_string(log) + std::to_string(keys));
  fs::remove_all(logs);
  monitor::Monitor m(options, logs, nullptr);
  auto observer = m.ForVersion("bc", 1, f.bundle);
  if (!observer.ok()) std::abort();
  serving::InferRequest request;
  request.input = Tensor(DataType::kFp32, Shape{1, 30});
  std::copy(f.row.begin(), f.row.end(), request.input.MutableData<float>().begin());
  serving::InferResponse response;
  response.version = 1;
  Tensor p(DataType::kFp32, Shape{1});
  p.MutableData<float>()[0] = 0.93f;
  response.outputs.push_back({"probability", std::move(p)});
  int64_t i = 0;
  for (auto _ : state) {
    if (keys) response.key = "k" + std::to_string(i % 50'000);
    (*observer)->ObserveSuccess(request, response, 100);
    if (++i % 256 == 0) (void)m.FlushLogs();
  }
  (void)m.FlushLogs();
  state.SetItemsProcessed(state.iterations());
}

void BM_DriftOnly(benchmark::State& s) { Observe(s, false, false); }
void BM_DriftAndLog(benchmark::State& s) { Observe(s, true, false); }
void BM_DriftLogAndKeys(benchmark::State& s) { Observe(s, true, true); }
BENCHMARK(BM_DriftOnly)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_DriftAndLog)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_DriftLogAndKeys)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
