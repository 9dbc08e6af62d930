#include "ferry/monitor/feedback_store.h"

#include <simdjson.h>

#include <system_error>
#include <unordered_set>

#include "ferry/monitor/prediction_log.h"

namespace ferry::monitor {

FeedbackStore::FeedbackStore(size_t max_entries) : max_entries_(max_entries) {}

FeedbackStore::~FeedbackStore() = default;

void FeedbackStore::Unlink(Node* node) {
  Entry& e = node->second;
  if (e.older != nullptr) {
    e.older->second.newer = e.newer;
  } else {
    oldest_ = e.newer;
  }
  if (e.newer != nullptr) {
    e.newer->second.older = e.older;
  } else {
    newest_ = e.older;
  }
  e.older = nullptr;
  e.newer = nullptr;
}

void FeedbackStore::LinkNewest(Node* node) {
  node->second.older = newest_;
  node->second.newer = nullptr;
  if (newest_ != nullptr) {
    newest_->second.newer = node;
  } else {
    oldest_ = node;
  }
  newest_ = node;
}

void FeedbackStore::Remember(std::string_view key, LoggedPrediction prediction) {
  if (key.empty() || max_entries_ == 0) return;
  std::string owned(key);  // built before locking
  // Whatever is dropped is destroyed after the lock is released.
  LoggedPrediction replaced;
  Map::node_type dropped;
  {
    MutexLock lock(mu_);
    auto [it, inserted] = map_.try_emplace(std::move(owned));
    Node* node = &*it;
    if (!inserted) {
      replaced = std::move(node->second.prediction);
      Unlink(node);
    }
    node->second.prediction = std::move(prediction);
    LinkNewest(node);
    if (map_.size() > max_entries_) {
      Node* old = oldest_;
      Unlink(old);
      dropped = map_.extract(map_.find(old->first));
      ++evicted_;
    }
  }
}

std::optional<LoggedPrediction> FeedbackStore::Find(std::string_view key) const {
  MutexLock lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second.prediction;
}

size_t FeedbackStore::size() const {
  MutexLock lock(mu_);
  return map_.size();
}

uint64_t FeedbackStore::evicted() const {
  MutexLock lock(mu_);
  return evicted_;
}

namespace {

Result<std::vector<double>> ScoresOf(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgument("outputs are not a JSON object");
  }
  simdjson::dom::element value;
  std::string_view name;
  for (std::string_view candidate : {"probabilities", "probability", "prediction"}) {
    if (object.at_key(candidate).get(value) == simdjson::SUCCESS) {
      name = candidate;
      break;
    }
  }
  if (name.empty()) {
    return InvalidArgument(
        "outputs have none of \"probabilities\", \"probability\", \"prediction\"");
  }
  std::vector<double> scores;
  double v = 0;
  if (value.get_double().get(v) == simdjson::SUCCESS) {
    scores.push_back(v);
    return scores;
  }
  simdjson::dom::array array;
  if (value.get_array().get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : array) {
      if (item.get_double().get(v) != simdjson::SUCCESS) {
        return InvalidArgument("output \"" + std::string(name) +
                               "\" holds a value that is not a number");
      }
      scores.push_back(v);
    }
    if (!scores.empty()) return scores;
  }
  return InvalidArgument("output \"" + std::string(name) +
                         "\" is not a number or a non-empty array of numbers");
}

}  // namespace

Result<std::vector<double>> ScoresFromOutputs(std::string_view outputs_json) {
  simdjson::dom::parser parser;
  return ScoresOf(parser, outputs_json);
}

Result<LogLookup> LookUpInLog(const std::filesystem::path& dir,
                              const std::vector<std::string>& keys, int64_t since_ms) {
  LogLookup out;
  std::unordered_set<std::string_view> wanted;
  for (const std::string& k : keys) {
    if (!k.empty()) wanted.insert(k);
  }
  if (wanted.empty()) return out;
  simdjson::dom::parser parser;
  // A segment may be rotated (renamed) or deleted by retention between listing
  // and reading; then the folder is listed again and the new names are read.
  std::unordered_set<std::string> read;
  for (int pass = 0; pass < 2; ++pass) {
    FERRY_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(dir));
    bool vanished = false;
    for (const SegmentInfo& segment : segments) {
      if (read.contains(segment.path.string())) continue;
      Result<SegmentContents> contents = ReadSegment(segment.path, since_ms);
      if (!contents.ok()) {
        std::error_code ec;
        if (!std::filesystem::exists(segment.path, ec)) {
          vanished = true;
          continue;
        }
        return contents.status();
      }
      if (!segment.open) read.insert(segment.path.string());
      out.skipped_bytes += contents->skipped_bytes;
      out.records_read += contents->records.size();
      for (PredictionRecord& record : contents->records) {
        if (!wanted.contains(record.key)) continue;
        auto it = out.found.find(record.key);
        if (it != out.found.end() && it->second.time_ms > record.time_ms) continue;
        Result<std::vector<double>> scores = ScoresOf(parser, record.outputs_json);
        if (!scores.ok()) {
          ++out.unreadable_outputs;
          continue;
        }
        LoggedPrediction p{record.version, record.time_ms, std::move(scores).value()};
        if (it != out.found.end()) {
          it->second = std::move(p);
        } else {
          out.found.emplace(std::move(record.key), std::move(p));
        }
      }
    }
    if (!vanished) break;
  }
  return out;
}

}  // namespace ferry::monitor
