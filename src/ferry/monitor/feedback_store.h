#pragma once

// Joining ground truth with predictions: the prediction made for a key is
// kept in memory (FeedbackStore, recent ones) and looked up in the
// prediction log (LookUpInLog, older ones) when a label for the key arrives.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"

namespace ferry::monitor {

// The prediction made for one key, in the shape the metrics need:
// binary classification {P(class 1)}, multiclass one probability per class,
// regression {value}.
struct LoggedPrediction {
  int64_t version = 0;
  int64_t time_ms = 0;
  std::vector<double> scores;

  bool operator==(const LoggedPrediction&) const = default;
};

// A bounded map key → latest prediction for that key. Thread-safe; every call
// takes one mutex briefly. When full, the entry remembered longest ago goes
// first (a replaced entry counts as remembered at its replacement).
// Memory: about 120 bytes per entry plus the key (beyond 15 bytes) and the
// scores, so the default bound is roughly 150 MB for binary models.
class FeedbackStore {
 public:
  static constexpr size_t kDefaultMaxEntries = 1'000'000;

  // max_entries 0 keeps nothing (Remember is a no-op).
  explicit FeedbackStore(size_t max_entries = kDefaultMaxEntries);
  ~FeedbackStore();
  FeedbackStore(const FeedbackStore&) = delete;
  FeedbackStore& operator=(const FeedbackStore&) = delete;

  // Stores `prediction` for `key`, replacing an earlier one for the same key,
  // and evicts the oldest entry when the store is over max_entries. An empty
  // key cannot be joined and is ignored. Allocates only the entry (and not
  // even that when replacing a key already present).
  void Remember(std::string_view key, LoggedPrediction prediction) EXCLUDES(mu_);

  // The prediction remembered for `key`, if it is still in memory.
  std::optional<LoggedPrediction> Find(std::string_view key) const EXCLUDES(mu_);

  size_t size() const EXCLUDES(mu_);
  size_t max_entries() const { return max_entries_; }
  uint64_t evicted() const EXCLUDES(mu_);  // entries dropped to stay within max_entries

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry;
  // A map element. Entries form a doubly linked list in remember order through
  // pointers to the map's elements (stable across rehashing).
  using Node = std::pair<const std::string, Entry>;
  struct Entry {
    LoggedPrediction prediction;
    Node* older = nullptr;
    Node* newer = nullptr;
  };
  using Map = std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>>;

  void Unlink(Node* node) REQUIRES(mu_);
  void LinkNewest(Node* node) REQUIRES(mu_);

  const size_t max_entries_;
  mutable Mutex mu_;
  Map map_ GUARDED_BY(mu_);
  Node* oldest_ GUARDED_BY(mu_) = nullptr;
  Node* newest_ GUARDED_BY(mu_) = nullptr;
  uint64_t evicted_ GUARDED_BY(mu_) = 0;
};

// The scores of a logged prediction from a PredictionRecord's outputs_json:
// "probabilities" (multiclass: an array), else "probability" (binary), else
// "prediction" (regression); a number, or an array of numbers, taken as it is.
// InvalidArgument when the text is not a JSON object, has none of those
// names, or the value is not a number or a non-empty array of numbers.
Result<std::vector<double>> ScoresFromOutputs(std::string_view outputs_json);

struct LogLookup {
  // The latest record (largest time_ms; on equal times the later one in log
  // order) per key that was found.
  std::unordered_map<std::string, LoggedPrediction> found;
  // Records with time_ms >= since_ms (a segment rotated during the look-up is
  // read again under its new name, and its records counted twice).
  uint64_t records_read = 0;
  uint64_t unreadable_outputs = 0;  // records of a wanted key whose outputs did not parse
  uint64_t skipped_bytes = 0;       // torn/corrupt segment tails (see ReadSegment)
};

// Looks `keys` up in the prediction log folder `dir` (one model's folder), in
// records with time_ms >= since_ms. Reads one segment at a time (memory: one
// segment plus the results). Empty keys are never found. An absent folder
// finds nothing; NotFound if `dir` is not a folder or a segment cannot be read.
Result<LogLookup> LookUpInLog(const std::filesystem::path& dir,
                              const std::vector<std::string>& keys,
                              int64_t since_ms = std::numeric_limits<int64_t>::min());

}  // namespace ferry::monitor
