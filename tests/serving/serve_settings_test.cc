#include "ferry/serving/serve_settings.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace ferry::serving {
namespace {

TEST(ServeSettingsTest, ParsesDefaultsModelsAndPolicies) {
  ServerOptions o;
  Status s = ParseServeConfig(R"(
repository_poll_interval_ms: 500
warmup_rows: 4
version_policy: {latest: 2}
defaults:
  max_batch_size: 32
  max_queue_delay_us: 200
  instances: 2
models:
  bc:
    max_batch_size: 8
    preferred_batch_sizes: [4, 8]
    priority_levels: 3
    version_policy: all
  other:
    version_policy: {specific: [1, 3]}
)",
                              "ferry-serve.yaml", &o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(o.repository_poll_interval_ms, 500);
  EXPECT_EQ(o.warmup_rows, 4);
  EXPECT_EQ(o.defaults.max_batch_size, 32);
  EXPECT_EQ(o.defaults.max_queue_delay_us, 200);
  EXPECT_EQ(o.defaults.instances, 2);
  const ModelSettings& bc = o.SettingsFor("bc");
  EXPECT_EQ(bc.max_batch_size, 8);
  EXPECT_EQ(bc.max_queue_delay_us, 200);  // inherited from defaults
  EXPECT_EQ(bc.preferred_batch_sizes, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(bc.priority_levels, 3);
  EXPECT_EQ(o.PolicyFor("bc").ToString(), "all");
  EXPECT_EQ(o.PolicyFor("other").ToString(), "specific [1, 3]");
  EXPECT_EQ(o.PolicyFor("third").ToString(), "latest 2");
  EXPECT_EQ(o.SettingsFor("third").max_batch_size, 32);
}

struct BadCase {
  const char* yaml;
  const char* error;
};

TEST(ServeSettingsTest, BadFilesGetClearErrors) {
  const BadCase cases[] = {
      {"defaults: {max_batch_size: 0}", "f.yaml: defaults: max_batch_size must be at least 1"},
      {"defaults: {max_batch_sise: 4}",
       "f.yaml: defaults.max_batch_sise: unknown model setting (see ferry serve --help)"},
      {"defaults: {instances: two}", "f.yaml: defaults.instances: expected an integer, got 'two'"},
      {"max_batch_size: 4",
       "f.yaml: max_batch_size: unknown setting (a model setting: put it under defaults:)"},
      {"models: {bc: {preferred_batch_sizes: [128]}}",
       "f.yaml: models.bc: preferred_batch_sizes: 128 is outside [1, max_batch_size=64]"},
      {"version_policy: {newest: 1}",
       "f.yaml: version_policy: expected all, {latest: N} or {specific: [V, ...]}"},
      {"[1, 2", nullptr},  // invalid YAML: message from yaml-cpp, checked by prefix
  };
  for (const BadCase& c : cases) {
    ServerOptions o;
    Status s = ParseServeConfig(c.yaml, "f.yaml", &o);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.yaml;
    if (c.error != nullptr) {
      EXPECT_EQ(s.message(), c.error) << c.yaml;
    } else {
      EXPECT_EQ(s.message().rfind("f.yaml: not valid YAML: ", 0), 0u) << s.message();
    }
  }
}

TEST(ServeSettingsTest, MissingFileIsNotFound) {
  ServerOptions o;
  EXPECT_EQ(LoadServeConfig("/nonexistent/ferry-serve.yaml", &o).code(), StatusCode::kNotFound);
}

TEST(ServeSettingsTest, HelpAndDocsListEverySettingWithItsDefault) {
  const std::string help = ServeSettingsHelp();
  const std::string md = ServeSettingsMarkdown();
  const ModelSettings defaults;
  for (const SettingInfo& s : ServeSettings()) {
    EXPECT_NE(help.find(std::string(s.key)), std::string::npos) << s.key;
    EXPECT_NE(md.find("`" + std::string(s.key) + "`"), std::string::npos) << s.key;
  }
  // The documented defaults are the struct's defaults.
  auto documented = [](std::string_view key) {
    for (const SettingInfo& s : ServeSettings()) {
      if (s.key == key) return std::string(s.default_value);
    }
    return std::string("?");
  };
  EXPECT_EQ(documented("max_batch_size"), std::to_string(defaults.max_batch_size));
  EXPECT_EQ(documented("max_queue_delay_us"), std::to_string(defaults.max_queue_delay_us));
  EXPECT_EQ(documented("instances"), std::to_string(defaults.instances));
  EXPECT_EQ(documented("max_queue_size"), std::to_string(defaults.max_queue_size));
  EXPECT_EQ(documented("default_timeout_us"), std::to_string(defaults.default_timeout_us));
  EXPECT_EQ(documented("priority_levels"), std::to_string(defaults.priority_levels));
  const ServerOptions server;
  EXPECT_EQ(documented("warmup_rows"), std::to_string(server.warmup_rows));
  EXPECT_EQ(documented("shutdown_timeout_ms"), std::to_string(server.shutdown_timeout_ms));
  EXPECT_EQ(documented("repository_poll_interval_ms"),
            std::to_string(server.repository_poll_interval_ms));
  EXPECT_EQ(documented("registry_poll_interval_ms"),
            std::to_string(server.registry_poll_interval_ms));
}

TEST(ServeSettingsTest, ModelSourceParsing) {
  auto ok = ParseModelSource("bc=/tmp/b");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->name, "bc");
  EXPECT_EQ(ok->bundle_dir, "/tmp/b");
  EXPECT_EQ(ParseModelSource("bc").status().message(), "--model expects NAME=BUNDLE_DIR, got 'bc'");
  EXPECT_EQ(ParseModelSource("a/b=/x").status().message(),
            "--model: invalid model name 'a/b' (use letters, digits, '_', '.', '-')");
}

TEST(ServeSettingsTest, VersionPolicySelect) {
  VersionPolicy latest;
  latest.latest = 2;
  EXPECT_EQ(latest.Select({3, 1, 7, 5}), (std::vector<int64_t>{5, 7}));
  VersionPolicy all;
  all.kind = VersionPolicy::Kind::kAll;
  EXPECT_EQ(all.Select({3, 1}), (std::vector<int64_t>{1, 3}));
  VersionPolicy specific;
  specific.kind = VersionPolicy::Kind::kSpecific;
  specific.specific = {2, 3};
  EXPECT_EQ(specific.Select({1, 3, 4}), (std::vector<int64_t>{3}));
}

}  // namespace
}  // namespace ferry::serving
