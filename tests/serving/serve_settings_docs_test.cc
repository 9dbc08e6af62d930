#include <gtest/gtest.h>

#include <cstdlib>

#include "ferry/base/files.h"
#include "ferry/serving/serve_settings.h"
#include "testing/test_util.h"

// docs/serving.md holds the settings table generated from the one settings
// table in code. FERRY_UPDATE_DOCS=1 rewrites it; otherwise the test fails
// when the two differ.
namespace ferry::serving {
namespace {

constexpr std::string_view kBegin = "<!-- settings:begin -->\n";
constexpr std::string_view kEnd = "<!-- settings:end -->";

TEST(ServeSettingsDocsTest, DocsTableMatchesTheCode) {
  const auto path = ferry::testing::SourceDir() / "docs/serving.md";
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const size_t begin = text->find(kBegin);
  const size_t end = text->find(kEnd);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const size_t from = begin + kBegin.size();
  const std::string current = text->substr(from, end - from);
  const std::string wanted = ServeSettingsMarkdown();
  if (current != wanted && std::getenv("FERRY_UPDATE_DOCS") != nullptr) {
    std::string updated = text->substr(0, from) + wanted + text->substr(end);
    ASSERT_TRUE(WriteFileAtomic(path, updated).ok());
    return;
  }
  EXPECT_EQ(current, wanted) << "run with FERRY_UPDATE_DOCS=1 to regenerate docs/serving.md";
}

}  // namespace
}  // namespace ferry::serving
