// The same behaviour tests against both metadata stores (SQLite, PostgreSQL).
#include "ferry/registry/store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "ferry/registry/migrations.h"
#include "ferry/registry/postgres/postgres_database.h"
#include "ferry/registry/sqlite/sqlite_database.h"
#include "registry/registry_test_util.h"

namespace ferry::registry {
namespace {

using testing::FreshStore;

NewVersion SomeVersion(const std::string& model, const std::string& blob = std::string(64, 'a')) {
  NewVersion nv;
  nv.record.model = model;
  nv.record.bundle_digest = "sha256:" + blob;
  nv.record.blob_sha256 = blob;
  nv.record.blob_bytes = 10;
  nv.record.framework = "xgboost";
  nv.record.task = "binary_classification";
  nv.record.signature_json = "{\"inputs\":[],\"outputs\":[]}";
  nv.record.metrics_json = "{\"auc\":0.9}";
  nv.record.lineage.run = "run-1";
  return nv;
}

AliasMove Move(const std::string& alias, int64_t version, bool protect = false,
               bool force = false) {
  return AliasMove{"churn", alias, version, protect, force};
}

EvaluationRecord Evaluation(int64_t version, bool passed, const std::string& details) {
  EvaluationRecord e;
  e.model = "churn";
  e.version = version;
  e.passed = passed;
  e.details_json = details;
  return e;
}

Result<std::unique_ptr<SqlDatabase>> OpenRaw(const std::string& kind, const std::string& uri) {
  if (kind == "sqlite") return OpenSqliteDatabase(uri.substr(9), {});
  return OpenPostgresDatabase(uri);
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_URI(fresh_);
    Result<std::unique_ptr<Store>> s = OpenStore(fresh_.uri());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  FreshStore fresh_{GetParam()};
  std::unique_ptr<Store> store_;
  Actor alice_{"alice", ""};
};

TEST_P(StoreTest, MigratesOnOpenAndAgainIsANoOp) {
  EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
  Result<std::unique_ptr<Store>> again = OpenStore(fresh_.uri());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*(*again)->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(store_->kind(), GetParam() == "sqlite" ? "sqlite" : "postgresql");
}

TEST_P(StoreTest, CreatesModelsOnceAndListsThem) {
  ASSERT_TRUE(store_->CreateModel("churn", "predicts churn", alice_).ok());
  Result<ModelRecord> dup = store_->CreateModel("churn", "", alice_);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "model 'churn' already exists");
  ASSERT_TRUE(store_->CreateModel("alpha", "", alice_).ok());
  Result<std::vector<ModelRecord>> models = store_->ListModels();
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].name, "alpha");
  EXPECT_EQ((*models)[1].description, "predicts churn");
  EXPECT_EQ((*models)[1].created_by, "alice");
  EXPECT_EQ(store_->GetModel("nope").status().message(), "model 'nope' not found");
}

TEST_P(StoreTest, NumbersVersionsPerModelAndNeverReusesANumber) {
  for (int i = 1; i <= 3; ++i) {
    Result<VersionRecord> v = store_->AddVersion(SomeVersion("churn"), alice_);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->version, i);
    EXPECT_EQ(v->status, VersionStatus::kReady);
  }
  EXPECT_EQ(store_->AddVersion(SomeVersion("other"), alice_)->version, 1);
  ASSERT_TRUE(store_->DeleteVersion("churn", 3, alice_).ok());
  EXPECT_EQ(store_->AddVersion(SomeVersion("churn"), alice_)->version, 4);
  Result<std::vector<VersionRecord>> list = store_->ListVersions("churn");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[2].version, 4);
  EXPECT_EQ((*list)[0].metrics_json, "{\"auc\":0.9}");
  EXPECT_EQ((*list)[0].lineage.run, "run-1");
  EXPECT_EQ(store_->LatestReadyVersion("churn")->version, 4);
  EXPECT_EQ(store_->GetVersion("churn", 3).status().message(), "model version 'churn:3' not found");
  EXPECT_EQ(store_->ListVersions("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, ConcurrentWritersGetUniqueNumbers) {
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::vector<std::vector<int64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<Store>> s = OpenStore(fresh_.uri());
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      for (int i = 0; i < kEach; ++i) {
        Result<VersionRecord> v = (*s)->AddVersion(SomeVersion("race"), alice_);
        ASSERT_TRUE(v.ok()) << v.status().ToString();
        got[t].push_back(v->version);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), size_t{kThreads * kEach});
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kEach);
}

TEST_P(StoreTest, AliasesMoveAtomicallyAndAreAudited) {
  ASSERT_TRUE(store_->AddVersion(SomeVersion("churn"), alice_).ok());
  ASSERT_TRUE(store_->AddVersion(SomeVersion("churn"), alice_).ok());
  ASSERT_TRUE(store_->SetAlias(Move("champion", 1), alice_).ok());
  Result<AliasRecord> moved = store_->SetAlias(Move("champion", 2), {"bob", "better auc"});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(store_->GetAlias("churn", "champion")->version, 2);
  EXPECT_EQ(store_->GetAlias("churn", "champion")->updated_by, "bob");
  EXPECT_EQ(store_->SetAlias(Move("champion", 9), alice_).status().message(),
            "model version 'churn:9' not found");
  EXPECT_EQ(store_->GetAlias("churn", "nope").status().message(), "alias 'churn@nope' is not set");
  Result<std::vector<AuditEntry>> h = store_->History("churn", 0);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 5u);  // create, register ×2, alias ×2
  EXPECT_EQ((*h)[0].action, "create_model");
  EXPECT_EQ((*h)[4].action, "alias_set");
  EXPECT_EQ((*h)[4].actor, "bob");
  EXPECT_EQ((*h)[4].reason, "better auc");
  EXPECT_EQ((*h)[4].detail, "from 1");
  EXPECT_EQ(store_->History("churn", 2)->size(), 2u);
  EXPECT_EQ(store_->History("churn", 2)->back().id, (*h)[4].id);
}

TEST_P(StoreTest, ProtectedAliasNeedsPassingEvaluationOrForce) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->AddVersion(SomeVersion("churn"), alice_).ok());
  ASSERT_TRUE(store_->AddEvaluation(Evaluation(1, true, "{\"auc\":0.93}"), alice_).ok());
  ASSERT_TRUE(store_->AddEvaluation(Evaluation(2, false, "{}"), alice_).ok());
  // Protecting on first set needs the evaluation too.
  AliasMove to3 = Move("champion", 3, /*protect=*/true);
  EXPECT_EQ(store_->SetAlias(to3, alice_).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->SetAlias(Move("champion", 1, true), alice_).ok());
  EXPECT_TRUE(store_->GetAlias("churn", "champion")->is_protected);
  Status refused = store_->SetAlias(Move("champion", 2), alice_).status();
  EXPECT_EQ(refused.message(),
            "alias 'churn@champion' is protected and version churn:2 has no passing evaluation "
            "record; move it with --force --reason to override");
  EXPECT_EQ(store_->GetAlias("churn", "champion")->version, 1);
  Result<AliasRecord> forced =
      store_->SetAlias(Move("champion", 2, false, /*force=*/true), {"carol", "hotfix"});
  ASSERT_TRUE(forced.ok());
  EXPECT_TRUE(forced->is_protected);  // stays protected
  EXPECT_EQ(store_->DeleteAlias("churn", "champion", false, alice_).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->DeleteAlias("churn", "champion", true, {"carol", "retire"}).ok());
  EXPECT_EQ(store_->GetAlias("churn", "champion").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListEvaluations("churn", 1)->size(), 1u);
  EXPECT_TRUE(store_->ListEvaluations("churn", 1)->front().passed);
}

TEST_P(StoreTest, TagsOnModelsAndVersions) {
  ASSERT_TRUE(store_->AddVersion(SomeVersion("churn"), alice_).ok());
  ASSERT_TRUE(store_->SetTag("churn", 0, "team", "growth", alice_).ok());
  ASSERT_TRUE(store_->SetTag("churn", 1, "stage", "qa", alice_).ok());
  ASSERT_TRUE(store_->SetTag("churn", 1, "stage", "prod", alice_).ok());
  EXPECT_EQ(store_->ListTags("churn", 1)->size(), 1u);
  EXPECT_EQ(store_->ListTags("churn", 1)->front().value, "prod");
  EXPECT_EQ(store_->ListTags("churn", 0)->front().key, "team");
  EXPECT_EQ(store_->SetTag("churn", 5, "k", "v", alice_).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteTag("churn", 1, "nope", alice_).message(),
            "tag 'nope' is not set on churn:1");
  ASSERT_TRUE(store_->DeleteTag("churn", 1, "stage", alice_).ok());
  EXPECT_TRUE(store_->ListTags("churn", 1)->empty());
}

TEST_P(StoreTest, DeletesRespectAliasesAndKeepTheAuditLog) {
  ASSERT_TRUE(store_->AddVersion(SomeVersion("churn", std::string(64, 'b')), alice_).ok());
  ASSERT_TRUE(store_->AddVersion(SomeVersion("churn", std::string(64, 'c')), alice_).ok());
  ASSERT_TRUE(store_->SetAlias(Move("champion", 1), alice_).ok());
  EXPECT_EQ(store_->DeleteVersion("churn", 1, alice_).message(),
            "version churn:1 is still the target of alias(es) champion; move or remove them first");
  EXPECT_EQ(store_->ReferencedBlobs()->size(), 2u);
  ASSERT_TRUE(store_->DeleteModel("churn", {"alice", "cleanup"}).ok());
  EXPECT_EQ(store_->GetModel("churn").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ReferencedBlobs()->empty());
  Result<std::vector<AuditEntry>> h = store_->History("churn", 0);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->back().action, "delete_model");
  EXPECT_EQ(h->back().reason, "cleanup");
  EXPECT_EQ(h->size(), 5u);
}

TEST_P(StoreTest, AuditLogIsAppendOnly) {
  ASSERT_TRUE(store_->CreateModel("churn", "", alice_).ok());
  Result<std::unique_ptr<SqlDatabase>> raw = OpenRaw(GetParam(), fresh_.uri());
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  Status update = (*raw)->Query("UPDATE audit SET actor = 'mallory'").status();
  EXPECT_EQ(update.code(), StatusCode::kFailedPrecondition) << update.ToString();
  EXPECT_NE(update.message().find("the audit log is append-only"), std::string::npos);
  EXPECT_FALSE((*raw)->Query("DELETE FROM audit").status().ok());
  EXPECT_EQ(store_->History("churn", 0)->front().actor, "alice");
}

TEST_P(StoreTest, FailedMigrationIsRolledBackAndRefused) {
  FreshStore other(GetParam());
  FERRY_REQUIRE_URI(other);
  {
    Result<std::unique_ptr<SqlDatabase>> raw = OpenRaw(GetParam(), other.uri());
    ASSERT_TRUE(raw.ok());
    // A foreign table in the way makes migration 1 fail half-way.
    ASSERT_TRUE((*raw)->ExecScript("CREATE TABLE aliases (x INTEGER)").ok());
  }
  Result<std::unique_ptr<Store>> s = OpenStore(other.uri());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("registry schema migration 1 ("), std::string::npos);
  EXPECT_NE(s.status().message().find("the database stays at schema version 0"), std::string::npos)
      << s.status().message();
  // Nothing of the migration is left: the tables created before the failure are gone.
  Result<std::unique_ptr<SqlDatabase>> raw = OpenRaw(GetParam(), other.uri());
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE((*raw)->Query("SELECT COUNT(*) FROM models").ok());
  EXPECT_EQ(*(*(*raw)->Query("SELECT COUNT(*) FROM schema_version"))[0][0], "0");
}

TEST_P(StoreTest, RefusesADatabaseFromANewerFerry) {
  Result<std::unique_ptr<SqlDatabase>> raw = OpenRaw(GetParam(), fresh_.uri());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->ExecScript("INSERT INTO schema_version (version) VALUES (999)").ok());
  Result<std::unique_ptr<Store>> s = OpenStore(fresh_.uri());
  EXPECT_EQ(s.status().message(),
            "the registry database is at schema version 999, newer than this ferry knows (" +
                std::to_string(LatestSchemaVersion()) + "); upgrade ferry");
}

TEST_P(StoreTest, TwoStepRegistrationReservesThenFinishesOrFails) {
  Result<VersionRecord> r1 = store_->BeginVersion(SomeVersion("churn"), alice_);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->version, 1);
  EXPECT_EQ(r1->status, VersionStatus::kRegistering);
  EXPECT_EQ(r1->blob_sha256, "");  // no blob yet
  EXPECT_EQ(store_->GetVersion("churn", 1)->status, VersionStatus::kRegistering);
  // Neither resolvable as latest nor aliasable while registering.
  EXPECT_EQ(store_->LatestReadyVersion("churn").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetAlias(Move("champion", 1), alice_).status().message(),
            "version churn:1 is registering, not ready");
  // A second registration meanwhile gets the next number.
  Result<VersionRecord> r2 = store_->BeginVersion(SomeVersion("churn"), alice_);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->version, 2);

  Result<VersionRecord> done = store_->FinishVersion("churn", 1, std::string(64, 'b'), 42, alice_);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, VersionStatus::kReady);
  EXPECT_EQ(done->blob_sha256, std::string(64, 'b'));
  EXPECT_EQ(done->blob_bytes, 42);
  EXPECT_EQ(store_->LatestReadyVersion("churn")->version, 1);
  EXPECT_TRUE(store_->SetAlias(Move("champion", 1), alice_).ok());
  EXPECT_EQ(store_->ReferencedBlobs()->count(std::string(64, 'b')), 1u);

  ASSERT_TRUE(store_->FailVersion("churn", 2, "disk full", alice_).ok());
  EXPECT_EQ(store_->GetVersion("churn", 2)->status, VersionStatus::kFailed);
  // Only a registering version moves; a ready or failed one never changes again.
  EXPECT_EQ(store_->FinishVersion("churn", 2, std::string(64, 'c'), 1, alice_).status().message(),
            "version churn:2 is failed, not registering");
  EXPECT_EQ(store_->FailVersion("churn", 1, "late", alice_).message(),
            "version churn:1 is ready, not registering");
  EXPECT_EQ(store_->FailVersion("churn", 9, "x", alice_).code(), StatusCode::kNotFound);

  // Audited when each registration ends: create, register (v1), register_failed (v2), alias.
  Result<std::vector<AuditEntry>> h = store_->History("churn", 0);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ((*h)[1].action, "register");
  EXPECT_EQ((*h)[1].version, 1);
  EXPECT_EQ((*h)[3].action, "register_failed");
  EXPECT_EQ((*h)[3].version, 2);
  EXPECT_EQ((*h)[3].detail, "disk full");
}

// Finishes that queue behind a commit are committed together; each caller
// still gets its own result, and one failing finish undoes none of the others.
TEST_P(StoreTest, FinishesQueuedBehindACommitGetTheirOwnResults) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->BeginVersion(SomeVersion("churn"), alice_).ok());
  ASSERT_TRUE(store_->FinishVersion("churn", 2, std::string(64, '2'), 2, alice_).ok());
  // Another connection holds the write lock, so the first finish waits inside
  // its commit while the next two queue up behind it.
  Result<std::unique_ptr<SqlDatabase>> holder = OpenRaw(GetParam(), fresh_.uri());
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  ASSERT_TRUE((*holder)->BeginWrite().ok());
  if (GetParam() == "postgres") {
    ASSERT_TRUE((*holder)->Query("LOCK TABLE versions IN EXCLUSIVE MODE").ok());
  }
  Result<VersionRecord> first = Internal("unset"), again = Internal("unset"),
                        third = Internal("unset");
  std::thread a(
      [&] { first = store_->FinishVersion("churn", 1, std::string(64, '1'), 1, alice_); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread b(
      [&] { again = store_->FinishVersion("churn", 2, std::string(64, 'x'), 9, alice_); });
  std::thread c(
      [&] { third = store_->FinishVersion("churn", 3, std::string(64, '3'), 3, alice_); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*holder)->Rollback();
  a.join();
  b.join();
  c.join();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, VersionStatus::kReady);
  EXPECT_EQ(first->blob_sha256, std::string(64, '1'));
  EXPECT_EQ(again.status().message(), "version churn:2 is ready, not registering");
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->blob_bytes, 3);
  EXPECT_EQ(store_->GetVersion("churn", 2)->blob_sha256, std::string(64, '2'));
  EXPECT_EQ(store_->GetVersion("churn", 3)->status, VersionStatus::kReady);
  // create_model, then one register entry per finished version; none for the refused one.
  Result<std::vector<AuditEntry>> h = store_->History("churn", 0);
  ASSERT_TRUE(h.ok());
  std::multiset<int64_t> registered;
  for (const auto& e : *h) {
    if (e.action == "register") registered.insert(e.version);
  }
  EXPECT_EQ(registered, (std::multiset<int64_t>{1, 2, 3}));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("sqlite", "postgres"),
                         testing::StoreKindName);

TEST(StoreOpenTest, RefusesUnknownSchemesAndUnreachableServers) {
  EXPECT_EQ(OpenStore("mysql://x").status().message(),
            "registry URI 'mysql://x': expected sqlite:///path/registry.db or postgresql://…");
  Result<std::unique_ptr<Store>> pg = OpenStore("postgresql://nobody@127.0.0.1:1/none");
  EXPECT_EQ(pg.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(pg.status().message().find("cannot connect to PostgreSQL"), std::string::npos);
}

TEST(SqliteStoreTest, LockedDatabaseGivesClearErrorAndLosesNothing) {
  FreshStore fresh("sqlite");
  Result<std::unique_ptr<Store>> store = OpenStore(fresh.uri(), {.busy_timeout_ms = 100});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->AddVersion(SomeVersion("churn"), {"a", ""}).ok());
  Result<std::unique_ptr<SqlDatabase>> holder = OpenSqliteDatabase(fresh.uri().substr(9), {});
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE((*holder)->BeginWrite().ok());  // holds the write lock
  Result<VersionRecord> blocked = (*store)->AddVersion(SomeVersion("churn"), {"a", ""});
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(blocked.status().message().rfind("registry database is locked", 0), 0u)
      << blocked.status().message();
  (*holder)->Rollback();
  EXPECT_EQ((*store)->ListVersions("churn")->size(), 1u);
  EXPECT_EQ((*store)->AddVersion(SomeVersion("churn"), {"a", ""})->version, 2);
}

}  // namespace
}  // namespace ferry::registry
