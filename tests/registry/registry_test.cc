// Registry service behaviour (real bundles, real blobs) against both stores.
#include "ferry/registry/registry.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ferry/bundle/bundle.h"
#include "ferry/registry/resolve.h"
#include "registry/registry_test_util.h"

namespace ferry::registry {
namespace {

namespace fs = std::filesystem;
using testing::FreshStore;
using testing::MakeBundle;

class RegistryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_URI(fresh_);
    Result<std::unique_ptr<Registry>> r = Registry::Open({fresh_.home(), fresh_.uri(), {}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    reg_ = std::move(*r);
  }
  VersionRecord Register(const std::string& name, const std::string& description) {
    fs::path dir = MakeBundle(bundles_ / (name + "-" + description), name, description);
    Result<VersionRecord> v = reg_->Register({dir, "", "", {}}, actor_);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : VersionRecord{};
  }
  FreshStore fresh_{GetParam()};
  ferry::testing::TempDir bundles_;
  std::unique_ptr<Registry> reg_;
  Actor actor_{"ci", ""};
};

TEST_P(RegistryTest, RegistersVerifiedBundlesAsContentAddressedBlobs) {
  VersionRecord v1 = Register("bc", "first");
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.framework, "xgboost");
  EXPECT_EQ(v1.lineage.run, "run-first");
  EXPECT_EQ(v1.bundle_digest, *bundle::ComputeDigest(bundles_ / "bc-first"));
  EXPECT_TRUE(reg_->artifacts().VerifiedPath(v1.blob_sha256).ok());
  EXPECT_NE(v1.signature_json.find("\"inputs\""), std::string::npos);
  // The same bundle again: a new version, the same blob (deduplicated).
  Result<VersionRecord> again = reg_->Register({bundles_ / "bc-first", "", "", {}}, actor_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 2);
  EXPECT_EQ(again->blob_sha256, v1.blob_sha256);
  EXPECT_EQ(reg_->artifacts().List()->blobs.size(), 1u);
  VersionRecord v3 = Register("bc", "third");
  EXPECT_NE(v3.blob_sha256, v1.blob_sha256);
  EXPECT_EQ(reg_->artifacts().List()->blobs.size(), 2u);
}

TEST_P(RegistryTest, TheFirstBlobCreatesEveryShardFolder) {
  const fs::path shards = fresh_.home() / "artifacts" / "sha256";
  VersionRecord v1 = Register("bc", "first");
  ASSERT_FALSE(v1.blob_sha256.empty());
  int folders = 0;
  for (const auto& entry : fs::directory_iterator(shards)) {
    EXPECT_TRUE(entry.is_directory()) << entry.path();
    EXPECT_EQ(entry.path().filename().string().size(), 2u) << entry.path();
    ++folders;
  }
  EXPECT_EQ(folders, 256);
  EXPECT_TRUE(fs::is_directory(shards / "00"));
  EXPECT_TRUE(fs::is_directory(shards / "ff"));
  // A shard removed by hand is made again when a blob needs it.
  VersionRecord v2 = Register("bc", "second");
  const fs::path shard = shards / v2.blob_sha256.substr(0, 2);
  ASSERT_TRUE(reg_->Delete(ParseReference("bc:2").value(), actor_).ok());
  fs::remove_all(shard);
  Result<VersionRecord> again = reg_->Register({bundles_ / "bc-second", "", "", {}}, actor_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(reg_->artifacts().VerifiedPath(again->blob_sha256).ok());
  // Listing skips empty shard folders: only the blobs (one if both shared the removed shard).
  const bool shared = v1.blob_sha256.substr(0, 2) == v2.blob_sha256.substr(0, 2);
  EXPECT_EQ(reg_->artifacts().List()->blobs.size(), shared ? 1u : 2u);
}

TEST_P(RegistryTest, RefusesABundleThatFailsVerification) {
  fs::path dir = MakeBundle(bundles_ / "bad", "bc", "bad");
  std::ofstream(dir / "model.json", std::ios::app) << " ";
  Result<VersionRecord> v = reg_->Register({dir, "", "", {}}, actor_);
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("failed verification"), std::string::npos);
  EXPECT_EQ(reg_->store().GetModel("bc").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reg_->Register({dir, "../x", "", {}}, actor_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(RegistryTest, AFailedRegistrationStoresNoBlobAndKeepsSharedOnes) {
  // The files pass (checksums rewritten) but the model does not load: refused,
  // nothing stored.
  fs::path broken = MakeBundle(bundles_ / "broken", "bc", "broken");
  std::ofstream(broken / "model.json", std::ios::trunc) << "{\"learner\": 1}";
  ASSERT_TRUE(bundle::WriteChecksums(broken).ok());
  Result<VersionRecord> v = reg_->Register({broken, "", "", {}}, actor_);
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("failed verification"), std::string::npos);
  EXPECT_TRUE(reg_->artifacts().List()->blobs.empty());
  EXPECT_TRUE(reg_->artifacts().List()->temps.empty());
  // A blob a version references stays when a registration of the same bytes fails.
  fs::path dir = MakeBundle(bundles_ / "good", "bc", "good");
  Result<VersionRecord> good = reg_->Register({dir, "", "", {}}, actor_);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(reg_->Register({dir, "../x", "", {}}, actor_).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_EQ(reg_->artifacts().List()->blobs.size(), 1u);
  EXPECT_TRUE(reg_->artifacts().VerifiedPath(good->blob_sha256).ok());
  EXPECT_EQ(reg_->store().ListVersions("bc")->size(), 1u);
}

TEST_P(RegistryTest, ResolvesReferences) {
  Register("bc", "one");
  Register("bc", "two");
  EXPECT_EQ(reg_->Resolve("bc")->version, 2);  // no champion: latest
  EXPECT_EQ(reg_->Resolve("bc@latest")->version, 2);
  EXPECT_EQ(reg_->Resolve("bc:1")->version, 1);
  EXPECT_EQ(reg_->Resolve("bc@v1")->version, 1);
  ASSERT_TRUE(reg_->SetAlias("bc", "champion", 1, {}, actor_).ok());
  EXPECT_EQ(reg_->Resolve("bc")->version, 1);
  EXPECT_EQ(reg_->Resolve("bc@champion")->version, 1);
  EXPECT_EQ(reg_->Resolve("bc@challenger").status().message(), "alias 'bc@challenger' is not set");
  EXPECT_EQ(reg_->Resolve("nope@champion").status().message(), "model 'nope' not found");
  EXPECT_EQ(reg_->Resolve("bc:9").status().code(), StatusCode::kNotFound);
}

TEST_P(RegistryTest, ReservedAliasesAndForceWithoutReasonAreRefused) {
  Register("bc", "one");
  EXPECT_EQ(reg_->SetAlias("bc", "latest", 1, {}, actor_).status().message(),
            "alias 'latest' is reserved (latest and v<digits> cannot be set)");
  EXPECT_EQ(reg_->SetAlias("bc", "v2", 1, {}, actor_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(reg_->SetAlias("bc", "champion", 1, {false, true}, actor_).status().message(),
            "--force needs a --reason");
  EXPECT_EQ(reg_->CreateModel("a/b", "", actor_).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(RegistryTest, MaterializesVerifiedBundleFolders) {
  VersionRecord v = Register("bc", "one");
  Result<fs::path> dir = ResolveToBundleDir(*reg_, "bc:1");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*bundle::ComputeDigest(*dir), v.bundle_digest);
  EXPECT_TRUE(bundle::OpenBundle(*dir).ok());
  // Cached: the same folder; an altered cache is rebuilt.
  std::ofstream(*dir / "model.json", std::ios::app) << " ";
  Result<fs::path> again = ResolveToBundleDir(*reg_, "bc");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *dir);
  EXPECT_EQ(*bundle::ComputeDigest(*again), v.bundle_digest);
}

TEST_P(RegistryTest, CorruptBlobIsDetectedReportedAndNeverServed) {
  VersionRecord v = Register("bc", "one");
  fs::path blob = *reg_->artifacts().VerifiedPath(v.blob_sha256);
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  Result<fs::path> dir = ResolveToBundleDir(*reg_, "bc:1");
  EXPECT_EQ(dir.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(dir.status().message().rfind("blob " + v.blob_sha256 + " is corrupt", 0), 0u)
      << dir.status().message();
  EXPECT_FALSE(fs::exists(fresh_.home() / "cache" / "bundles" /
                          v.bundle_digest.substr(std::string("sha256:").size())));
  Result<CheckReport> check = reg_->Check();
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->problems.size(), 1u);
  EXPECT_NE(check->problems[0].find("version bc:1: blob " + v.blob_sha256 + " is corrupt"),
            std::string::npos);
}

TEST_P(RegistryTest, CheckFindsMissingBlobsAndStrayFiles) {
  VersionRecord v = Register("bc", "one");
  EXPECT_TRUE(reg_->Check()->ok());
  fs::path blob = *reg_->artifacts().VerifiedPath(v.blob_sha256);
  fs::rename(blob, fresh_.home() / "moved");
  std::ofstream(blob.parent_path() / "partial") << "x";
  Result<CheckReport> check = reg_->Check();
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->problems.size(), 2u);
  EXPECT_EQ(check->problems[0], "version bc:1: blob " + v.blob_sha256 + " is missing");
  EXPECT_NE(check->problems[1].find("stray file in the blob tree"), std::string::npos);
}

TEST_P(RegistryTest, GcRemovesOnlyUnreferencedBlobsPastTheGracePeriod) {
  VersionRecord keep = Register("bc", "keep");
  VersionRecord drop = Register("bc", "drop");
  ASSERT_TRUE(reg_->Delete(*ParseReference("bc:2"), actor_).ok());
  Result<GcReport> young = reg_->Gc({3600, false});
  ASSERT_TRUE(young.ok());
  EXPECT_TRUE(young->removed_blobs.empty());
  EXPECT_EQ(young->kept_young, 1);
  Result<GcReport> dry = reg_->Gc({0, true});
  EXPECT_EQ(dry->removed_blobs, std::vector<std::string>{drop.blob_sha256});
  EXPECT_TRUE(reg_->artifacts().Contains(drop.blob_sha256));
  Result<GcReport> gc = reg_->Gc({0, false});
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->removed_blobs, std::vector<std::string>{drop.blob_sha256});
  EXPECT_FALSE(reg_->artifacts().Contains(drop.blob_sha256));
  EXPECT_TRUE(reg_->artifacts().VerifiedPath(keep.blob_sha256).ok());
  EXPECT_TRUE(reg_->Check()->ok());
}

TEST_P(RegistryTest, CheckListsInterruptedRegistrationsAndGcFailsThem) {
  VersionRecord v1 = Register("bc", "first");
  EXPECT_EQ(v1.status, VersionStatus::kReady);
  // A registration whose process died after reserving its number.
  NewVersion nv;
  nv.record = v1;
  Result<VersionRecord> left = reg_->store().BeginVersion(nv, actor_);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(left->version, 2);
  Result<CheckReport> check = reg_->Check();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok());  // listed, not a problem
  ASSERT_EQ(check->registering.size(), 1u);
  EXPECT_EQ(check->registering[0].rfind("bc:2 (since ", 0), 0u) << check->registering[0];
  EXPECT_FALSE(ResolveToBundleDir(*reg_, "bc:2").ok());
  EXPECT_EQ(reg_->Resolve("bc")->version, 1);  // latest ready
  // Inside the grace period gc leaves it alone: it may still be running.
  Result<GcReport> young = reg_->Gc({3600, false});
  ASSERT_TRUE(young.ok());
  EXPECT_TRUE(young->failed_registrations.empty());
  EXPECT_EQ(reg_->store().GetVersion("bc", 2)->status, VersionStatus::kRegistering);
  Result<GcReport> old = reg_->Gc({0, false});
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->failed_registrations, std::vector<std::string>{"bc:2"});
  EXPECT_EQ(reg_->store().GetVersion("bc", 2)->status, VersionStatus::kFailed);
  EXPECT_TRUE(reg_->Check()->registering.empty());
  EXPECT_TRUE(reg_->artifacts().VerifiedPath(v1.blob_sha256).ok());  // still referenced
  EXPECT_EQ(Register("bc", "third").version, 3);
}

INSTANTIATE_TEST_SUITE_P(Stores, RegistryTest, ::testing::Values("sqlite", "postgres"),
                         testing::StoreKindName);

}  // namespace
}  // namespace ferry::registry
