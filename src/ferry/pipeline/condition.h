#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/expressions.h"

namespace ferry::pipeline {

// A step's `when:` condition. Grammar (whitespace between tokens is free):
//   or      := and ('||' and)*
//   and     := unary ('&&' unary)*
//   unary   := '!' unary | compare
//   compare := operand (('==' | '!=') operand)?
//   operand := '${{ REF }}' | 'text' | "text" | true | false | NUMBER | '(' or ')'
// Values are strings; == and != compare them exactly. A value standing
// alone is true unless it is empty, "false" or "0".
class Condition {
 public:
  struct Node;

  // InvalidArgument naming the offset and the problem, e.g.
  // "when: unquoted word 'y' at offset 20; quote strings ('y') or use ${{ … }}".
  static Result<Condition> Parse(std::string_view text);

  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;
  ~Condition();

  // The ${{ … }} references it uses (offsets into the text).
  const std::vector<Reference>& refs() const { return refs_; }

  // Evaluates with each reference replaced by resolve(ref).
  Result<bool> Evaluate(const Resolver& resolve) const;

 private:
  Condition();
  std::unique_ptr<Node> root_;
  std::vector<Reference> refs_;
};

}  // namespace ferry::pipeline
