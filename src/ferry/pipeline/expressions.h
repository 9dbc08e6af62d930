#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::pipeline {

// The expressions a pipeline file may embed in strings, GitHub-Actions style:
//   ${{ params.NAME }}              a pipeline parameter's value
//   ${{ steps.STEP.outputs.NAME }}  the path of another step's output file
//   ${{ outputs.NAME }}             the path of this step's own output file
enum class RefKind { kParam, kStepOutput, kOwnOutput };

struct Reference {
  RefKind kind = RefKind::kParam;
  std::string step;   // kStepOutput only
  std::string name;   // param or output name
  std::string text;   // canonical inner text, e.g. "steps.train.outputs.bundle"
  size_t offset = 0;  // of "${{" in the scanned string
  size_t length = 0;  // up to and including "}}"
};

struct ExpressionError {
  size_t offset = 0;
  std::string message;
};

struct ExpressionScan {
  std::vector<Reference> refs;
  std::vector<ExpressionError> errors;
};

// Finds every ${{ … }} in `text`. Malformed ones become errors (the scan
// goes on after them), e.g. "malformed expression '${{ foo }}': expected
// params.NAME, steps.STEP.outputs.NAME or outputs.NAME".
ExpressionScan ScanExpressions(std::string_view text);

// Parses the inside of one ${{ … }} (without the braces), e.g. "params.x".
// InvalidArgument with the message above when it is not one of the forms.
Result<Reference> ParseReference(std::string_view inner);

// Replaces every ${{ … }} in `text` with resolve(ref). The first malformed
// expression or failed resolve() is returned as the error.
using Resolver = std::function<Result<std::string>(const Reference&)>;
Result<std::string> Substitute(std::string_view text, const Resolver& resolve);

}  // namespace ferry::pipeline
