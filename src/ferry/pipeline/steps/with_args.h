#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// Typed access to a built-in step's resolved `with:` map. Every error is
// InvalidArgument naming the step kind and the key, e.g.
// "ferry/train-xgboost: with.rounds: expected an integer in [1, 100000], got 'ten'".
class WithArgs {
 public:
  WithArgs(const Value& with, std::string_view uses, std::filesystem::path workdir);

  bool Has(std::string_view key) const;

  // A scalar. Required: InvalidArgument when absent or empty.
  Result<std::string> String(std::string_view key) const;
  // A scalar, or `fallback` when absent.
  Result<std::string> String(std::string_view key, std::string fallback) const;
  // A path (a scalar): relative ones are taken from the working folder.
  Result<std::filesystem::path> Path(std::string_view key) const;
  Result<std::optional<std::filesystem::path>> OptionalPath(std::string_view key) const;
  Result<int64_t> Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  Result<double> Double(std::string_view key, double fallback, double min, double max) const;
  // true/false, yes/no, 1/0.
  Result<bool> Bool(std::string_view key, bool fallback) const;
  // A list of scalars, or one scalar with comma-separated items; empty when absent.
  Result<std::vector<std::string>> StringList(std::string_view key) const;
  // A map of name → number (e.g. min: {auc: 0.95}); empty when absent.
  Result<std::map<std::string, double>> NumberMap(std::string_view key) const;
  // A map of name → scalar; empty when absent.
  Result<std::map<std::string, std::string>> StringMap(std::string_view key) const;

 private:
  const Value* Find(std::string_view key) const;
  Status Bad(std::string_view key, const std::string& problem) const;

  const Value& with_;
  std::string uses_;
  std::filesystem::path workdir_;
};

}  // namespace ferry::pipeline
