#include "ferry/pipeline/cache_key.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "ferry/base/sha256.h"
#include "ferry/pipeline/validate.h"

namespace ferry::pipeline {
namespace fs = std::filesystem;

namespace {

class KeyBuilder {
 public:
  KeyBuilder(const RunContext& ctx, const StepSpec& step) : ctx_(ctx), step_(step) {}

  // The path `value` names when it is an existing regular file (relative to
  // the workdir unless absolute), else empty.
  fs::path ExistingFile(const std::string& value) const {
    if (value.empty() || value.size() > 4096 || value.find('\n') != std::string::npos) return {};
    fs::path p(value);
    if (p.is_relative()) p = ctx_.workdir / p;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return {};
    return p;
  }

  Status AddFile(const std::string& component, const fs::path& path) {
    if (components_.count(component)) return Status::Ok();
    auto it = digests_.find(path.string());
    if (it == digests_.end()) {
      Result<std::string> d = Sha256File(path);
      if (!d.ok()) return d.status().WithContext("cache key input " + path.string());
      it = digests_.emplace(path.string(), *d).first;
    }
    components_[component] = {component, it->second, path.string()};
    return Status::Ok();
  }

  // The canonical text of a scalar (see cache_key.h); records its inputs.
  Result<std::string> Canonical(const std::string& text, const std::string& field) {
    ExpressionScan scan = ScanExpressions(text);
    if (!scan.errors.empty()) return InvalidArgument(scan.errors.front().message);
    std::string out;
    size_t last = 0;
    for (const Reference& ref : scan.refs) {
      out.append(text, last, ref.offset - last);
      last = ref.offset + ref.length;
      std::string written = "${{ " + ref.text + " }}";
      if (ref.kind == RefKind::kOwnOutput) {
        out += written;
        continue;
      }
      FERRY_ASSIGN_OR_RETURN(std::string value, ResolveRef(ctx_, step_.name, ref));
      fs::path file = ExistingFile(value);
      if (!file.empty()) {
        FERRY_RETURN_IF_ERROR(AddFile("input:" + ref.text, file));
        out += written;
      } else {
        out += value;
      }
    }
    out.append(text, last);
    if (scan.refs.empty() && field != "run" && field != "uses") {
      fs::path file = ExistingFile(text);
      if (!file.empty()) FERRY_RETURN_IF_ERROR(AddFile("input:" + field, file));
    }
    return out;
  }

  Result<std::string> CanonicalValue(const Value& v, const std::string& field) {
    if (v.kind == Value::Kind::kScalar) return Canonical(v.scalar, field);
    std::string out = v.kind == Value::Kind::kMap ? "{" : "[";
    for (size_t i = 0; i < v.entries.size(); ++i) {
      const auto& [key, item] = v.entries[i];
      std::string sub =
          v.kind == Value::Kind::kMap ? field + "." + key : field + "[" + std::to_string(i) + "]";
      FERRY_ASSIGN_OR_RETURN(std::string c, CanonicalValue(item, sub));
      out += (i ? "," : "") + (v.kind == Value::Kind::kMap ? key + "=" : std::string()) +
             std::to_string(c.size()) + ":" + c;
    }
    return out + (v.kind == Value::Kind::kMap ? "}" : "]");
  }

  void Definition(const std::string& component, const std::string& canonical) {
    components_[component] = {component, Sha256Hex(canonical), ""};
  }

  // Literal words of a `run` command that name existing files.
  Status RunFiles(const std::string& text) {
    // Expressions are inputs of their own: blank them out first.
    std::string run = text;
    for (const Reference& ref : ScanExpressions(text).refs) {
      run.replace(ref.offset, ref.length, ref.length, ' ');
    }
    std::string token;
    int count = 0;
    auto flush = [&]() -> Status {
      if (!token.empty() && token.find("${{") == std::string::npos && ++count <= 256) {
        fs::path file = ExistingFile(token);
        if (!file.empty()) FERRY_RETURN_IF_ERROR(AddFile("file:" + token, file));
      }
      token.clear();
      return Status::Ok();
    };
    for (char c : run) {
      if (std::string_view(" \t\n'\";|&<>()=`").find(c) != std::string_view::npos) {
        FERRY_RETURN_IF_ERROR(flush());
      } else {
        token += c;
      }
    }
    return flush();
  }

  Status Needs(const std::vector<std::string>& needs) {
    for (const std::string& need : needs) {
      fs::path dir = StepFolder(ctx_.folder, need) / "outputs";
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) continue;
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) {
        FERRY_RETURN_IF_ERROR(AddFile("needs:" + need + "/" + f.filename().string(), f));
      }
    }
    return Status::Ok();
  }

  Result<CacheKey> Build(const std::vector<std::string>& needs) {
    if (!step_.uses.empty()) {
      Definition("uses", step_.uses);
    } else {
      FERRY_ASSIGN_OR_RETURN(std::string run, Canonical(step_.run, "run"));
      Definition("run", run);
      FERRY_RETURN_IF_ERROR(RunFiles(step_.run));
    }
    for (const auto& [key, v] : step_.with) {
      FERRY_ASSIGN_OR_RETURN(std::string c, CanonicalValue(v, "with." + key));
      Definition("with." + key, c);
    }
    for (const auto& [key, v] : step_.env) {
      FERRY_ASSIGN_OR_RETURN(std::string c, CanonicalValue(v, "env." + key));
      Definition("env." + key, c);
    }
    if (!step_.image.empty()) Definition("image", step_.image);
    std::optional<std::vector<std::string>> outputs = OutputsOf(step_);
    if (outputs) {
      std::vector<std::string> sorted = *outputs;
      std::sort(sorted.begin(), sorted.end());
      std::string joined;
      for (const auto& o : sorted) joined += o + "\n";
      Definition("outputs", joined);
    }
    // A command may read any file of the steps it needs; a built-in reads
    // only what its `with` names (already inputs above).
    if (step_.uses.empty()) FERRY_RETURN_IF_ERROR(Needs(needs));
    CacheKey key;
    for (auto& [name, c] : components_) key.components.push_back(c);
    key.key = KeyOfComponents(key.components);
    return key;
  }

 private:
  const RunContext& ctx_;
  const StepSpec& step_;
  std::map<std::string, CacheComponent> components_;
  std::map<std::string, std::string> digests_;  // path → sha256
};

bool IsInput(const std::string& component) {
  return component.rfind("input:", 0) == 0 || component.rfind("file:", 0) == 0 ||
         component.rfind("needs:", 0) == 0;
}

std::string Short(const std::string& digest) { return digest.substr(0, 12) + "…"; }

}  // namespace

Result<CacheKey> ComputeCacheKey(const RunContext& ctx, const StepSpec& step,
                                 const std::vector<std::string>& needs) {
  return KeyBuilder(ctx, step).Build(needs);
}

std::string KeyOfComponents(const std::vector<CacheComponent>& components) {
  std::vector<const CacheComponent*> sorted;
  for (const auto& c : components) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](const CacheComponent* a, const CacheComponent* b) {
    return a->component < b->component;
  });
  Sha256 h;
  h.Update("ferry.cache/v1\n");
  for (const CacheComponent* c : sorted) {
    h.Update(c->component);
    h.Update("\t");
    h.Update(c->digest);
    h.Update("\n");
  }
  return h.HexDigest();
}

std::vector<std::string> DescribeCacheDifference(const std::vector<CacheComponent>& before,
                                                 const std::vector<CacheComponent>& now) {
  std::map<std::string, const CacheComponent*> a, b;
  for (const auto& c : before) a[c.component] = &c;
  for (const auto& c : now) b[c.component] = &c;
  std::vector<std::string> lines;
  auto what = [](const std::string& name) {
    if (name.rfind("input:", 0) == 0) return "input " + name.substr(6);
    return IsInput(name) ? "input " + name : "definition field '" + name + "'";
  };
  for (const auto& [name, c] : b) {
    auto it = a.find(name);
    if (it == a.end()) {
      lines.push_back(what(name) + " added" + (c->detail.empty() ? "" : " (" + c->detail + ")"));
    } else if (it->second->digest != c->digest) {
      std::string line = what(name) + " changed";
      if (IsInput(name)) {
        line += ": sha256 " + Short(it->second->digest) + " -> " + Short(c->digest) + " (" +
                c->detail + ")";
      }
      lines.push_back(line);
    }
  }
  for (const auto& [name, c] : a) {
    if (!b.count(name)) lines.push_back(what(name) + " removed");
  }
  return lines;
}

}  // namespace ferry::pipeline
