#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

// What `ferry serve` monitors and how: the `monitoring:` section of
// ferry-serve.yaml (docs/monitoring.md lists every key).
//
//   monitoring:
//     prediction_log: true        # record served predictions
//     log_dir: /var/lib/ferry/logs  # default $FERRY_HOME/logs (or --log-dir)
//     sample_rate: 1.0            # share of predictions recorded, per model below
//     window: 5m                  # drift / performance window
//     windows_kept: 288           # closed windows kept per version
//     segment_max_bytes: 67108864
//     segment_max_age: 1h
//     retention_bytes: 0          # 0 = keep all
//     retention: 0s               # delete segments older than this; 0s = keep
//     log_queue: 10000            # records buffered before new ones are dropped
//     feedback_lookback: 24h      # how far back feedback looks in the log
//     feedback_keys: 100000       # keyed predictions kept in memory per model
//     models:
//       breast-cancer: {sample_rate: 0.1}
namespace ferry::monitor {

struct MonitorOptions {
  bool prediction_log = true;
  std::filesystem::path log_dir;  // empty: the caller's default
  double sample_rate = 1.0;
  std::map<std::string, double> model_sample_rates;
  int64_t window_ms = 300'000;
  int64_t windows_kept = 288;
  uint64_t segment_max_bytes = 64u << 20;
  int64_t segment_max_age_ms = 3'600'000;
  uint64_t retention_bytes = 0;
  int64_t retention_ms = 0;
  uint64_t log_queue = 10'000;
  int64_t feedback_lookback_ms = 86'400'000;
  uint64_t feedback_keys = 100'000;  // keyed predictions kept in memory per model

  double SampleRateFor(const std::string& model) const;
};

// Reads the `monitoring:` section of a serve config text (absent: the
// defaults). InvalidArgument naming `origin` and the key for unknown keys,
// wrong types and out-of-range values.
Result<MonitorOptions> ParseMonitorOptions(std::string_view yaml, std::string_view origin);
Result<MonitorOptions> LoadMonitorOptions(const std::filesystem::path& config);

}  // namespace ferry::monitor
