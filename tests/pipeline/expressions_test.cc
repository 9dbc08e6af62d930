#include "ferry/pipeline/expressions.h"

#include <gtest/gtest.h>

#include "ferry/base/duration.h"
#include "ferry/pipeline/condition.h"

namespace ferry::pipeline {
namespace {

TEST(ExpressionsTest, FindsTheThreeForms) {
  ExpressionScan scan = ScanExpressions(
      "a ${{ params.data }} b ${{steps.train.outputs.bundle}} ${{ outputs.table }}");
  ASSERT_TRUE(scan.errors.empty());
  ASSERT_EQ(scan.refs.size(), 3u);
  EXPECT_EQ(scan.refs[0].kind, RefKind::kParam);
  EXPECT_EQ(scan.refs[0].name, "data");
  EXPECT_EQ(scan.refs[0].offset, 2u);
  EXPECT_EQ(scan.refs[0].length, 18u);
  EXPECT_EQ(scan.refs[1].kind, RefKind::kStepOutput);
  EXPECT_EQ(scan.refs[1].step, "train");
  EXPECT_EQ(scan.refs[1].name, "bundle");
  EXPECT_EQ(scan.refs[1].text, "steps.train.outputs.bundle");
  EXPECT_EQ(scan.refs[2].kind, RefKind::kOwnOutput);
  EXPECT_EQ(scan.refs[2].name, "table");
}

TEST(ExpressionsTest, ReportsMalformedAndUnterminatedOnes) {
  ExpressionScan scan = ScanExpressions("x ${{ foo }} y ${{ steps.a.bundle }} z ${{ params.x");
  ASSERT_EQ(scan.errors.size(), 3u);
  EXPECT_EQ(scan.errors[0].offset, 2u);
  EXPECT_EQ(scan.errors[0].message,
            "malformed expression '${{ foo }}': expected params.NAME, steps.STEP.outputs.NAME "
            "or outputs.NAME");
  EXPECT_EQ(scan.errors[1].message,
            "malformed expression '${{ steps.a.bundle }}': expected params.NAME, "
            "steps.STEP.outputs.NAME or outputs.NAME");
  EXPECT_EQ(scan.errors[2].message, "unterminated expression: '${{' without a closing '}}'");
}

TEST(ExpressionsTest, SubstitutesWithTheResolver) {
  Result<std::string> out =
      Substitute("cp ${{ params.in }} ${{ outputs.o }}",
                 [](const Reference& r) -> Result<std::string> { return "<" + r.text + ">"; });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "cp <params.in> <outputs.o>");
  Result<std::string> failed = Substitute(
      "${{ params.in }}", [](const Reference&) -> Result<std::string> { return NotFound("no"); });
  EXPECT_EQ(failed.status().message(), "no");
}

Result<bool> Eval(const std::string& text, const std::string& x) {
  Result<Condition> c = Condition::Parse(text);
  if (!c.ok()) return c.status();
  return c->Evaluate([&](const Reference&) -> Result<std::string> { return x; });
}

TEST(ConditionTest, ComparesAndCombines) {
  EXPECT_TRUE(*Eval("${{ params.x }} == 'y'", "y"));
  EXPECT_FALSE(*Eval("${{ params.x }} == 'y'", "z"));
  EXPECT_TRUE(*Eval("${{ params.x }} != \"y\"", "z"));
  EXPECT_TRUE(*Eval("${{ params.x }}", "yes"));
  EXPECT_FALSE(*Eval("${{ params.x }}", "false"));
  EXPECT_FALSE(*Eval("${{ params.x }}", "0"));
  EXPECT_FALSE(*Eval("${{ params.x }}", ""));
  EXPECT_TRUE(*Eval("!${{ params.x }}", ""));
  EXPECT_TRUE(*Eval("${{ params.x }} == 'a' || (${{ params.x }} == 'b' && true)", "b"));
  EXPECT_FALSE(*Eval("${{ params.x }} == 'a' && ${{ params.x }} == 'b'", "a"));
  EXPECT_TRUE(*Eval("${{ params.x }} == 3", "3"));
}

TEST(ConditionTest, ReportsWhereItIsWrong) {
  EXPECT_EQ(Condition::Parse("${{ params.x }} == y").status().message(),
            "when: unquoted word 'y'; quote strings ('y') or use ${{ … }} at offset 19");
  EXPECT_EQ(Condition::Parse("${{ params.x }} ==").status().message(),
            "when: expected a value at offset 18");
  EXPECT_EQ(Condition::Parse("'a' == 'b' 'c'").status().message(),
            "when: unexpected ''c'' at offset 11");
  EXPECT_EQ(Condition::Parse("('a'").status().message(), "when: expected ')' at offset 4");
  EXPECT_EQ(Condition::Parse("'abc").status().message(), "when: unterminated string at offset 0");
}

TEST(DurationTest, ParsesUnitsAndRefusesTheRest) {
  EXPECT_EQ(*ParseDurationMs("30s"), 30000);
  EXPECT_EQ(*ParseDurationMs("5m"), 300000);
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  // Past a year (and never an overflow, however many parts).
  for (const char* bad : {"", "30", "s", "0s", "3x", "1.5s", "-1s", "8785h",
                          "999999999h999999999h999999999h999999999h"}) {
    EXPECT_EQ(ParseDurationMs(bad).status().message(),
              std::string("expected a duration like 30s, 5m or 1h, got '") + bad + "'")
        << bad;
  }
  EXPECT_EQ(FormatDurationMs(350), "350ms");
  EXPECT_EQ(FormatDurationMs(1250), "1.2s");
  EXPECT_EQ(FormatDurationMs(125000), "2m05s");
}

}  // namespace
}  // namespace ferry::pipeline
