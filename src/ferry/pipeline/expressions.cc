#include "ferry/pipeline/expressions.h"

namespace ferry::pipeline {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

constexpr std::string_view kOpen = "${{";
constexpr std::string_view kClose = "}}";

}  // namespace

Result<Reference> ParseReference(std::string_view inner) {
  std::string_view body = Trim(inner);
  std::vector<std::string_view> p = SplitDots(body);
  Reference ref;
  if (p.size() == 2 && p[0] == "params" && IsName(p[1])) {
    ref.kind = RefKind::kParam;
    ref.name = p[1];
  } else if (p.size() == 4 && p[0] == "steps" && IsName(p[1]) && p[2] == "outputs" &&
             IsName(p[3])) {
    ref.kind = RefKind::kStepOutput;
    ref.step = p[1];
    ref.name = p[3];
  } else if (p.size() == 2 && p[0] == "outputs" && IsName(p[1])) {
    ref.kind = RefKind::kOwnOutput;
    ref.name = p[1];
  } else {
    return InvalidArgument("malformed expression '${{ " + std::string(body) +
                           " }}': expected params.NAME, steps.STEP.outputs.NAME or outputs.NAME");
  }
  ref.text = std::string(body);
  return ref;
}

ExpressionScan ScanExpressions(std::string_view text) {
  ExpressionScan scan;
  size_t pos = 0;
  while ((pos = text.find(kOpen, pos)) != std::string_view::npos) {
    size_t close = text.find(kClose, pos + kOpen.size());
    if (close == std::string_view::npos) {
      scan.errors.push_back({pos, "unterminated expression: '${{' without a closing '}}'"});
      return scan;
    }
    Result<Reference> ref = ParseReference(text.substr(pos + kOpen.size(), close - pos - 3));
    if (ref.ok()) {
      ref->offset = pos;
      ref->length = close + kClose.size() - pos;
      scan.refs.push_back(std::move(*ref));
    } else {
      scan.errors.push_back({pos, ref.status().message()});
    }
    pos = close + kClose.size();
  }
  return scan;
}

Result<std::string> Substitute(std::string_view text, const Resolver& resolve) {
  ExpressionScan scan = ScanExpressions(text);
  if (!scan.errors.empty()) return InvalidArgument(scan.errors.front().message);
  std::string out;
  size_t last = 0;
  for (const Reference& ref : scan.refs) {
    out.append(text.substr(last, ref.offset - last));
    FERRY_ASSIGN_OR_RETURN(std::string value, resolve(ref));
    out += value;
    last = ref.offset + ref.length;
  }
  out.append(text.substr(last));
  return out;
}

}  // namespace ferry::pipeline
