// Registry benchmark (docs/BENCHMARKS.md, "Registry"): register N versions,
// resolve name@alias (p50/p99), list a model's versions, on one store URI.
// Each Ferry figure is measured next to a reference in the same run: the
// same lookup as one bare SQL statement through the driver, and the same
// insert as one bare transaction. Not a test; prints a table.
//
//   ferry_registry_bench --uri sqlite:///tmp/b/registry.db --home /tmp/b --versions 10000
//       [--small-model small.json --small-registers 1000 --clients 1]
//
// Inputs (bundle folders, blob files) are written and synced before a timer starts. The
// small-bundle registrations are compared with their durable I/O alone (the "sync floor").
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ferry/bundle/create.h"
#include "ferry/registry/postgres/postgres_database.h"
#include "ferry/registry/registry.h"
#include "ferry/registry/sqlite/sqlite_database.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace ferry;
using namespace ferry::registry;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

struct Pct {
  double p50, p99;
};
Pct Percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]};
}

[[noreturn]] void Die(const Status& s) {
  std::fprintf(stderr, "bench failed: %s\n", s.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string uri, home, source = ".", small_model;
  int versions = 10000, full_registers = 100, lookups = 20000, small_registers = 1000, clients = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--uri") uri = v;
    if (k == "--home") home = v;
    if (k == "--source") source = v;
    if (k == "--versions") versions = std::stoi(v);
    if (k == "--full-registers") full_registers = std::stoi(v);
    if (k == "--lookups") lookups = std::stoi(v);
    if (k == "--small-model") small_model = v;
    if (k == "--small-registers") small_registers = std::stoi(v);
    if (k == "--clients") clients = std::max(1, std::stoi(v));
  }
  if (uri.empty() || home.empty()) {
    std::fprintf(stderr,
                 "usage: %s --uri URI --home DIR [--source SRC] [--versions N] "
                 "[--small-model FILE [--small-registers N] [--clients K]]\n",
                 argv[0]);
    return 2;
  }
  auto reg_or = Registry::Open({home, uri, {}});
  if (!reg_or.ok()) Die(reg_or.status());
  Registry& reg = **reg_or;
  Actor actor{"bench", ""};

  // 1. Full registration (verify bundle + pack + blob + metadata) of a real bundle.
  bundle::CreateOptions co;
  co.model_file = std::filesystem::path(source) / "examples/breast-cancer/model.json";
  co.output_dir = std::filesystem::path(home) / "bundle";
  co.name = "full";
  auto b = bundle::CreateBundle(co);
  if (!b.ok()) Die(b.status());
  auto t0 = Clock::now();
  for (int i = 0; i < full_registers; ++i) {
    auto v = reg.Register({co.output_dir, "", "", {}}, actor);
    if (!v.ok()) Die(v.status());
  }
  double full_s = Us(Clock::now() - t0) / 1e6;

  // 1b. The same full registration (Registry::Register) of small bundles: a 10-tree model,
  // a distinct bundle each (descriptions differ), made before the timer starts.
  double small_full_s = 0;
  if (!small_model.empty()) {
    std::vector<std::filesystem::path> dirs;
    for (int i = 0; i < small_registers; ++i) {
      bundle::CreateOptions so;
      so.model_file = small_model;
      so.output_dir = std::filesystem::path(home) / "small-bundles" / std::to_string(i);
      so.name = "small";
      so.description = "small bundle " + std::to_string(i);
      std::filesystem::create_directories(so.output_dir.parent_path());
      auto sb = bundle::CreateBundle(so);
      if (!sb.ok()) Die(sb.status());
      dirs.push_back(so.output_dir);
    }
    ::sync();
    // `clients` threads share the Registry (as the REST server's handlers do), each
    // registering every clients-th bundle.
    auto ts = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (size_t i = static_cast<size_t>(c); i < dirs.size();
             i += static_cast<size_t>(clients)) {
          auto v = reg.Register({dirs[i], "", "", {}}, actor);
          if (!v.ok()) Die(v.status());
        }
      });
    }
    for (auto& t : threads) t.join();
    small_full_s = Us(Clock::now() - ts) / 1e6;
  }

  // 2. Registration of small bundles, in Registry::Register's steps: reserve the number
  // (`registering`), store the blob (a distinct 2 KiB file each), mark the version ready.
  std::filesystem::path inputs = std::filesystem::path(home) / "small-blobs";
  std::filesystem::create_directories(inputs);
  for (int i = 0; i < versions; ++i) {
    std::string bytes(2048, 'x');
    std::snprintf(bytes.data(), bytes.size(), "small bundle %d", i);
    std::ofstream(inputs / std::to_string(i), std::ios::binary) << bytes;
  }
  ::sync();
  auto t1 = Clock::now();
  for (int i = 0; i < versions; ++i) {
    NewVersion nv;
    nv.record.model = "bench";
    nv.record.bundle_digest = "sha256:small-" + std::to_string(i);
    nv.record.framework = "xgboost";
    nv.record.task = "regression";
    nv.record.signature_json = "{}";
    nv.record.metrics_json = "{}";
    auto reserved = reg.store().BeginVersion(nv, actor);
    if (!reserved.ok()) Die(reserved.status());
    auto blob = reg.artifacts().PutFile(inputs / std::to_string(i));
    if (!blob.ok()) Die(blob.status());
    auto v =
        reg.store().FinishVersion("bench", reserved->version, blob->sha256, blob->bytes, actor);
    if (!v.ok()) Die(v.status());
  }
  double small_s = Us(Clock::now() - t1) / 1e6;

  // Reference for registration: the bare version INSERT in its own transaction.
  auto raw_or = uri.rfind("sqlite://", 0) == 0 ? OpenSqliteDatabase(uri.substr(9), {})
                                               : OpenPostgresDatabase(uri);
  if (!raw_or.ok()) Die(raw_or.status());
  SqlDatabase& raw = **raw_or;
  if (Status s = raw.ExecScript("CREATE TABLE IF NOT EXISTS bench_ref (model TEXT, version "
                                "BIGINT, blob TEXT, PRIMARY KEY (model, version))");
      !s.ok())
    Die(s);
  auto t2 = Clock::now();
  for (int i = 0; i < versions; ++i) {
    if (Status s = raw.BeginWrite(); !s.ok()) Die(s);
    auto q = raw.Query("INSERT INTO bench_ref VALUES ($1, $2, $3)",
                       {std::string("bench"), int64_t{i}, std::string(64, 'a')});
    if (!q.ok()) Die(q.status());
    if (Status s = raw.Commit(); !s.ok()) Die(s);
  }
  double raw_insert_s = Us(Clock::now() - t2) / 1e6;

  // Reference for the full registration of small bundles: its durable I/O alone, one
  // after another: write a 4 KiB file, fdatasync it, rename it into a folder, fsync the
  // folder, then a one-row transaction (SQLite: the WAL sync). No verification, packing
  // or hashing: the fastest a single client can register with the same durability.
  double floor_s = 0;
  if (!small_model.empty()) {
    const std::filesystem::path in = std::filesystem::path(home) / "sync-floor" / "in";
    const std::filesystem::path out = std::filesystem::path(home) / "sync-floor" / "out";
    std::filesystem::create_directories(in);
    std::filesystem::create_directories(out);
    const std::string page(4096, 'f');
    auto tf = Clock::now();
    for (int i = 0; i < small_registers; ++i) {
      const std::string name = std::to_string(i);
      int fd = ::open((in / name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0 || ::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size()) ||
          ::fdatasync(fd) != 0 || ::close(fd) != 0 ||
          ::rename((in / name).c_str(), (out / name).c_str()) != 0) {
        Die(Internal("sync floor: file I/O failed"));
      }
      int dir = ::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0 || ::fsync(dir) != 0 || ::close(dir) != 0) Die(Internal("sync floor: fsync"));
      if (Status s = raw.BeginWrite(); !s.ok()) Die(s);
      auto q = raw.Query("INSERT INTO bench_ref VALUES ($1, $2, $3)",
                         {std::string("floor"), int64_t{i}, std::string(64, 'f')});
      if (!q.ok()) Die(q.status());
      if (Status s = raw.Commit(); !s.ok()) Die(s);
    }
    floor_s = Us(Clock::now() - tf) / 1e6;
  }

  // 3. Resolve name@alias.
  if (auto a = reg.SetAlias("bench", "champion", versions / 2, {}, actor); !a.ok()) Die(a.status());
  std::vector<double> resolve_us, raw_us;
  for (int i = 0; i < lookups; ++i) {
    auto t = Clock::now();
    auto v = reg.Resolve("bench@champion");
    resolve_us.push_back(Us(Clock::now() - t));
    if (!v.ok() || v->version != versions / 2) Die(v.ok() ? Internal("wrong version") : v.status());
    t = Clock::now();
    auto r = raw.Query("SELECT version FROM aliases WHERE model = $1 AND alias = $2",
                       {std::string("bench"), std::string("champion")});
    raw_us.push_back(Us(Clock::now() - t));
    if (!r.ok()) Die(r.status());
  }
  Pct res = Percentiles(resolve_us), rawp = Percentiles(raw_us);

  // 4. List the model's versions.
  std::vector<double> list_ms, raw_list_ms;
  for (int i = 0; i < 20; ++i) {
    auto t = Clock::now();
    auto l = reg.store().ListVersions("bench");
    list_ms.push_back(Us(Clock::now() - t) / 1000);
    if (!l.ok() || l->size() != static_cast<size_t>(versions)) Die(Internal("list"));
    t = Clock::now();
    auto r = raw.Query("SELECT * FROM versions WHERE model = $1 ORDER BY version",
                       {std::string("bench")});
    raw_list_ms.push_back(Us(Clock::now() - t) / 1000);
    if (!r.ok()) Die(r.status());
  }
  Pct lst = Percentiles(list_ms), rawl = Percentiles(raw_list_ms);

  std::printf("store: %s, versions: %d\n", std::string(reg.store().kind()).c_str(), versions);
  std::printf("| metric | Ferry | reference | ratio |\n|---|---|---|---|\n");
  std::printf("| full register (verify+pack+blob+record), versions/s | %.1f | - | - |\n",
              full_registers / full_s);
  if (!small_model.empty()) {
    std::printf(
        "| full register of small bundles (10 trees), %d client(s), versions/s | %.1f | %.1f "
        "(its syncs alone, 1 client) | %.2f |\n",
        clients, small_registers / small_full_s, small_registers / floor_s, floor_s / small_full_s);
  }
  std::printf(
      "| small-bundle register (2 KiB blob + record), versions/s | %.0f | %.0f (bare "
      "INSERT txn) | %.2f |\n",
      versions / small_s, versions / raw_insert_s, raw_insert_s / small_s);
  std::printf(
      "| resolve name@alias p50 / p99, us | %.1f / %.1f | %.1f / %.1f (bare SELECT) | "
      "%.2f / %.2f |\n",
      res.p50, res.p99, rawp.p50, rawp.p99, res.p50 / rawp.p50, res.p99 / rawp.p99);
  std::printf("| list %d versions p50, ms | %.1f | %.1f (bare SELECT) | %.2f |\n", versions,
              lst.p50, rawl.p50, lst.p50 / rawl.p50);
  return 0;
}
