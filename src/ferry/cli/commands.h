#pragma once

#include <optional>
#include <string>
#include <vector>

// The `ferry` subcommands as plain functions. main.cc maps command-line
// flags onto these option structs (CLI11 stays in that one file). Each
// returns the process exit code and prints errors to stderr.
namespace ferry::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (bad input, check failed)
inline constexpr int kExitUsage = 2;    // bad flags (CLI11's own errors use their codes)

struct BundleCreateArgs {
  std::string model;
  std::string output;
  std::string name;
  std::string framework;
  std::string task;
  std::vector<std::string> features;
  std::string baseline;
  std::string label;
  std::string description;
};
int BundleCreate(const BundleCreateArgs& args);

struct BundleInspectArgs {
  std::string path;  // folder or .tar.zst
  bool json = false;
};
int BundleInspect(const BundleInspectArgs& args);

struct BundlePackArgs {
  std::string dir;
  std::string output;  // default: <dir>.tar.zst
};
int BundlePack(const BundlePackArgs& args);

struct BundleUnpackArgs {
  std::string archive;
  std::string output;
};
int BundleUnpack(const BundleUnpackArgs& args);

struct BundleVerifyArgs {
  std::string path;    // folder or .tar.zst
  std::string digest;  // expected "sha256:…", optional
  bool json = false;
};
int BundleVerify(const BundleVerifyArgs& args);

struct PredictArgs {
  std::string bundle;  // folder or .tar.zst
  std::string input;
  std::string output = "-";
  std::string key_column;
  std::vector<std::string> keep;
  std::string format;        // output format
  std::string input_format;  // input format
  std::string on_error = "fail";
  int threads = 1;
  int batch_rows = 1024;
};
int Predict(const PredictArgs& args);

}  // namespace ferry::cli
