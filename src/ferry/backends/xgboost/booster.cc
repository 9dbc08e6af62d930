#include "ferry/backends/xgboost/booster.h"

#include <omp.h>

#include <utility>

#include "ferry/backends/xgboost/model_bytes_check.h"
#include "ferry/base/files.h"

namespace ferry::backends::xgboost {

namespace {

// Longest XGBoost error text Ferry passes on.
constexpr size_t kMaxErrorText = 600;

std::string Label(const std::filesystem::path& artifact) { return artifact.filename().string(); }

// Caps the OpenMP threads of parallel regions the calling thread starts, for
// its lifetime. XGBoost sizes its loader's team from omp_get_max_threads()
// because a booster's own nthread is not applied until it is configured,
// which happens after loading.
class OmpThreadCap {
 public:
  explicit OmpThreadCap(int threads) : saved_(omp_get_max_threads()), active_(threads > 0) {
    if (active_) omp_set_num_threads(threads);
  }
  ~OmpThreadCap() {
    if (active_) omp_set_num_threads(saved_);
  }
  OmpThreadCap(const OmpThreadCap&) = delete;
  OmpThreadCap& operator=(const OmpThreadCap&) = delete;

 private:
  const int saved_;
  const bool active_;
};

}  // namespace

std::string LastXgboostError() {
  std::string_view text = XGBGetLastError();
  // "[12:18:01] /build/xgboost/src/common/json.cc:123: message"
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("] ");
    size_t colon = close == std::string_view::npos ? close : text.find(": ", close + 2);
    if (colon != std::string_view::npos) text.remove_prefix(colon + 2);
  }
  // Only the first line: XGBoost follows it with an excerpt of the input
  // and a stack trace.
  if (size_t eol = text.find('\n'); eol != std::string_view::npos) text = text.substr(0, eol);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.size() > kMaxErrorText) return std::string(text.substr(0, kMaxErrorText)) + "...";
  return std::string(text);
}

Result<Booster> Booster::LoadFile(const std::filesystem::path& artifact, int load_threads) {
  const std::string label = Label(artifact);
  const std::string extension = artifact.extension().string();
  if (extension != ".json" && extension != ".ubj") {
    return InvalidArgument("model file '" + label + "' has extension '" + extension +
                           "'; the xgboost backend reads .json or .ubj");
  }
  FERRY_ASSIGN_OR_RETURN(std::string bytes, ReadFile(artifact));
  Status checked = extension == ".ubj" ? CheckUbjModel(bytes) : CheckJsonModel(bytes);
  if (!checked.ok()) {
    return DataLoss(label + " is corrupt or truncated: " + checked.message());
  }
  BoosterHandle raw = nullptr;
  if (XGBoosterCreate(nullptr, 0, &raw) != 0) {
    return Internal("XGBoosterCreate failed: " + LastXgboostError());
  }
  Booster booster(raw);
  OmpThreadCap cap(load_threads);
  if (XGBoosterLoadModelFromBuffer(raw, bytes.data(), bytes.size()) != 0) {
    return DataLoss("XGBoost cannot load " + label + ": " + LastXgboostError());
  }
  return booster;
}

Booster::Booster(Booster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

Booster& Booster::operator=(Booster&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) XGBoosterFree(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Booster::~Booster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

Status Booster::SetParam(const char* name, const std::string& value) {
  if (XGBoosterSetParam(handle_, name, value.c_str()) != 0) {
    return InvalidArgument(std::string("XGBoost refused parameter ") + name + "=" + value + ": " +
                           LastXgboostError());
  }
  return Status::Ok();
}

Result<int64_t> Booster::NumFeatures() const {
  bst_ulong n = 0;
  if (XGBoosterGetNumFeature(handle_, &n) != 0) {
    return Internal("XGBoosterGetNumFeature failed: " + LastXgboostError());
  }
  return static_cast<int64_t>(n);
}

Result<LearnerFacts> Booster::Facts() const {
  bst_ulong length = 0;
  const char* json = nullptr;
  if (XGBoosterSaveJsonConfig(handle_, &length, &json) != 0) {
    return Internal("XGBoosterSaveJsonConfig failed: " + LastXgboostError());
  }
  return ParseLearnerConfig(std::string_view(json, length));
}

Result<std::vector<std::string>> Booster::FeatureNames() const {
  bst_ulong count = 0;
  const char** names = nullptr;
  if (XGBoosterGetStrFeatureInfo(handle_, "feature_name", &count, &names) != 0) {
    return Internal("XGBoosterGetStrFeatureInfo failed: " + LastXgboostError());
  }
  return std::vector<std::string>(names, names + count);
}

Result<std::string> Booster::ModelJson() const {
  bst_ulong length = 0;
  const char* bytes = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, "{\"format\":\"json\"}", &length, &bytes) != 0) {
    return Internal("XGBoosterSaveModelToBuffer failed: " + LastXgboostError());
  }
  return std::string(bytes, length);
}

Result<ProxyDMatrix> ProxyDMatrix::Create() {
  DMatrixHandle raw = nullptr;
  if (XGProxyDMatrixCreate(&raw) != 0) {
    return Internal("XGProxyDMatrixCreate failed: " + LastXgboostError());
  }
  return ProxyDMatrix(raw);
}

ProxyDMatrix::ProxyDMatrix(ProxyDMatrix&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {}

ProxyDMatrix& ProxyDMatrix::operator=(ProxyDMatrix&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

ProxyDMatrix::~ProxyDMatrix() {
  if (handle_ != nullptr) XGDMatrixFree(handle_);
}

}  // namespace ferry::backends::xgboost
