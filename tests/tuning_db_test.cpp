#include "runtime/tuning_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/error.h"

namespace trine {

// Field-by-field equality with readable failures; local to the test, the API has no operator==.
bool operator==(const TimingStats& a, const TimingStats& b) {
  return a.median_s == b.median_s && a.p20_s == b.p20_s && a.p80_s == b.p80_s &&
         a.min_s == b.min_s && a.n == b.n;
}
bool operator==(const Winner& a, const Winner& b) {
  return a.key == b.key && a.family == b.family && a.config == b.config && a.stats == b.stats &&
         a.gbps == b.gbps && a.gmacs == b.gmacs && a.created_at == b.created_at;
}
void PrintTo(const Winner& w, std::ostream* os) {
  *os << "{" << w.key.host << " " << w.key.op << " " << w.key.M << "x" << w.key.K << "x" << w.key.N
      << " t" << w.key.threads << " " << w.key.isa << " " << w.family << " " << w.config << " "
      << w.stats.median_s << "}";
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TuningDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "trine-db-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name = "tuning.db") const { return (dir_ / name).string(); }

  fs::path dir_;
};

TuneKey key(std::string isa = "avx512vnni", int threads = 2) {
  return {"0123456789abcdef", "clang-14.0.6", "mad-1", "gemv", 2560, 2560, 1, threads,
          std::move(isa)};
}

Winner winner_for(TuneKey k, double median, std::string config = R"({"rows":4})") {
  Winner w;
  w.key = std::move(k);
  w.family = "mad";
  w.config = std::move(config);
  w.stats = {median, median * 0.9, median * 1.1, median * 0.8, 31};
  w.gbps = 123.5;
  w.gmacs = 456.25;
  w.created_at = 1700000000;
  return w;
}

Trial trial_for(TuneKey k, std::string config, std::string status, double median, std::string msg) {
  Trial t;
  t.key = std::move(k);
  t.family = "mad";
  t.config = std::move(config);
  t.status = std::move(status);
  t.stats = {median, median / 2, median * 2, median / 4, 7};
  t.message = std::move(msg);
  return t;
}

void exec_sql(const std::string& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

std::vector<fs::path> corrupt_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".corrupt-") != std::string::npos)
      out.push_back(e.path());
  return out;
}

TEST_F(TuningDbTest, PutAndGetWinnerExactly) {
  TuningDb db(path());
  EXPECT_TRUE(db.warnings().empty());
  EXPECT_EQ(db.path(), path());
  const Winner w = winner_for(key(), 1.25e-5);
  db.put_winner(w);
  ASSERT_EQ(db.winner(key()), w);
  EXPECT_EQ(db.winner(key("avx2")), std::nullopt);
  TuneKey other = key();
  other.compiler = "clang-15";
  EXPECT_EQ(db.winner(other), std::nullopt);

  // Same key again: replaced, not duplicated.
  const Winner w2 = winner_for(key(), 1.0e-5, R"({"rows":8})");
  db.put_winner(w2);
  EXPECT_EQ(db.winner(key()), w2);
  EXPECT_EQ(db.winners(), std::vector<Winner>{w2});
}

TEST_F(TuningDbTest, CreatedAtZeroMeansNow) {
  TuningDb db(path());
  Winner w = winner_for(key(), 1e-5);
  w.created_at = 0;
  const int64_t before = time(nullptr);
  db.put_winner(w);
  const int64_t stored = db.winner(key())->created_at;
  EXPECT_GE(stored, before);
  EXPECT_LE(stored, time(nullptr));
}

TEST_F(TuningDbTest, BestWinnerIsTheFastestAmongAllowedIsas) {
  TuningDb db(path());
  const Winner a2 = winner_for(key("avx2"), 3e-5);
  const Winner vnni = winner_for(key("avxvnni"), 2e-5);
  const Winner a512 = winner_for(key("avx512vnni"), 1e-5);
  for (const auto& w : {a2, vnni, a512}) db.put_winner(w);
  db.put_winner(winner_for(key("avx512vnni", 4), 0.5e-5));  // other thread count: never chosen

  const TuneKey any = key("ignored");
  EXPECT_EQ(db.best_winner(any, {"avx512vnni", "avxvnni", "avx2"}), a512);
  EXPECT_EQ(db.best_winner(any, {"avxvnni", "avx2"}), vnni);
  EXPECT_EQ(db.best_winner(any, {"avx2"}), a2);
  EXPECT_EQ(db.best_winner(any, {}), std::nullopt);
  EXPECT_EQ(db.best_winner(any, {"sm_80"}), std::nullopt);
  TuneKey other_shape = any;
  other_shape.M = 6912;
  EXPECT_EQ(db.best_winner(other_shape, {"avx2"}), std::nullopt);
}

TEST_F(TuningDbTest, BestWinnerTieGoesToTheIsaListedFirst) {
  TuningDb db(path());
  const Winner a2 = winner_for(key("avx2"), 2e-5);
  const Winner a512 = winner_for(key("avx512vnni"), 2e-5);
  db.put_winner(a2);
  db.put_winner(a512);
  EXPECT_EQ(db.best_winner(key(), {"avx512vnni", "avx2"}), a512);
  EXPECT_EQ(db.best_winner(key(), {"avx2", "avx512vnni"}), a2);
}

TEST_F(TuningDbTest, TrialsAreStoredInOrder) {
  TuningDb db(path());
  const std::vector<Trial> trials = {
      trial_for(key(), "c1", "ok", 2e-5, ""),
      trial_for(key("avx2"), "c2", "ok", 4e-5, ""),
      trial_for(key(), "c3", "verify_failed", 0, "y[3][17]: 12.5 != 12.25"),
      trial_for(key(), "c4", "compile_failed", 0, "error: expected ';'"),
  };
  db.add_trials(trials);
  EXPECT_EQ(db.trial_count(), 4);
  const auto got = db.trials(key());
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Trial& want = trials[i == 0 ? 0 : i + 1];
    EXPECT_EQ(got[i].key, want.key);
    EXPECT_EQ(got[i].family, want.family);
    EXPECT_EQ(got[i].config, want.config);
    EXPECT_EQ(got[i].status, want.status);
    EXPECT_EQ(got[i].stats, want.stats);
    EXPECT_EQ(got[i].message, want.message);
  }
  EXPECT_EQ(db.trials(key("avx2")).size(), 1u);
  EXPECT_EQ(db.trials(key("avxvnni")).size(), 0u);
  db.add_trials({});
  EXPECT_EQ(db.trial_count(), 4);
}

TEST_F(TuningDbTest, DataSurvivesReopening) {
  const Winner w = winner_for(key(), 1.5e-5);
  {
    TuningDb db(path());
    db.put_winner(w);
    db.add_trials({trial_for(key(), "c1", "ok", 1.5e-5, "")});
  }
  TuningDb db(path());
  EXPECT_TRUE(db.warnings().empty());
  EXPECT_EQ(db.winners(), std::vector<Winner>{w});
  EXPECT_EQ(db.trial_count(), 1);
  EXPECT_TRUE(corrupt_files(dir_).empty());
}

TEST_F(TuningDbTest, WinnersAreOrdered) {
  TuningDb db(path());
  Winner big = winner_for(key("avx2"), 1e-5);
  big.key.M = 6912;
  Winner gemm = winner_for(key("avx2"), 1e-5);
  gemm.key.op = "gemm";
  gemm.key.N = 128;
  const Winner small_512 = winner_for(key("avx512vnni"), 1e-5);
  const Winner small_2 = winner_for(key("avx2"), 1e-5);
  for (const auto& w : {big, gemm, small_512, small_2}) db.put_winner(w);
  EXPECT_EQ(db.winners(), (std::vector<Winner>{gemm, small_2, small_512, big}));
}

json sample_export(const std::string& file) {
  TuningDb db(file);
  db.record_host("0123456789abcdef", {{"vendor", "AuthenticAMD"}, {"logical_cpus", 2}});
  db.record_host("fedcba9876543210", {{"vendor", "GenuineIntel"}});
  db.put_winner(winner_for(key("avx2"), 3.0000000000000001e-5));
  db.put_winner(winner_for(key("avx512vnni"), 1.2345678901234567e-5));
  Winner gemm = winner_for(key("avx512vnni", 1), 4e-4, R"({"rows":2,"kblock":256})");
  gemm.key.op = "gemm";
  gemm.key.N = 128;
  db.put_winner(gemm);
  return db.export_json();
}

TEST_F(TuningDbTest, ExportHasTheDocumentedShape) {
  const json doc = sample_export(path());
  EXPECT_EQ(doc.at("format"), "trine-tuning");
  EXPECT_EQ(doc.at("version"), 1);
  ASSERT_EQ(doc.at("hosts").size(), 2u);
  EXPECT_EQ(doc["hosts"][0],
            (json{{"fingerprint", "0123456789abcdef"},
                  {"description", {{"vendor", "AuthenticAMD"}, {"logical_cpus", 2}}}}));
  ASSERT_EQ(doc.at("winners").size(), 3u);
  const json& w = doc["winners"][0];  // gemm sorts first
  EXPECT_EQ(w, (json{{"host", "0123456789abcdef"},
                     {"compiler", "clang-14.0.6"},
                     {"generator", "mad-1"},
                     {"op", "gemm"},
                     {"M", 2560},
                     {"K", 2560},
                     {"N", 128},
                     {"threads", 1},
                     {"isa", "avx512vnni"},
                     {"family", "mad"},
                     {"config", R"({"rows":2,"kblock":256})"},
                     {"median_s", 4e-4},
                     {"p20_s", 4e-4 * 0.9},
                     {"p80_s", 4e-4 * 1.1},
                     {"min_s", 4e-4 * 0.8},
                     {"n", 31},
                     {"gbps", 123.5},
                     {"gmacs", 456.25},
                     {"created_at", 1700000000}}));
}

TEST_F(TuningDbTest, ExportImportRoundTrip) {
  const json doc = sample_export(path("a.db"));
  // Through text, as a deployment ships it: doubles must survive exactly.
  const json shipped = json::parse(doc.dump(2));
  TuningDb fresh(path("b.db"));
  EXPECT_EQ(fresh.import_json(shipped), 3);
  EXPECT_EQ(fresh.export_json(), doc);
  TuningDb original(path("a.db"));
  EXPECT_EQ(fresh.winners(), original.winners());
}

TEST_F(TuningDbTest, ImportReplacesWinnersWithTheSameKey) {
  TuningDb db(path());
  db.put_winner(winner_for(key(), 9e-5, "old"));
  db.put_winner(winner_for(key("avx2"), 8e-5, "kept"));
  TuningDb src(path("src.db"));
  src.put_winner(winner_for(key(), 1e-5, "new"));
  EXPECT_EQ(db.import_json(src.export_json()), 1);
  EXPECT_EQ(db.winners(), (std::vector<Winner>{winner_for(key("avx2"), 8e-5, "kept"),
                                               winner_for(key(), 1e-5, "new")}));
}

TEST_F(TuningDbTest, BadImportNamesTheFieldAndChangesNothing) {
  TuningDb db(path());
  db.put_winner(winner_for(key(), 5e-5));
  db.record_host("0123456789abcdef", {{"vendor", "x"}});
  const json before = db.export_json();
  const json good = sample_export(path("src.db"));

  struct Case {
    const char* what;
    json doc;
    std::string message;
  };
  auto with = [&](auto edit) {
    json d = good;
    edit(d);
    return d;
  };
  const std::vector<Case> cases = {
      {"not an object", json::array(), "tuning import: document: expected an object"},
      {"format", with([](json& d) { d["format"] = "csv"; }),
       R"(tuning import: format: expected "trine-tuning")"},
      {"version", with([](json& d) { d["version"] = 2; }), "tuning import: version: expected 1"},
      {"no winners", with([](json& d) { d.erase("winners"); }), "tuning import: winners: missing"},
      {"winners type", with([](json& d) { d["winners"] = json::object(); }),
       "tuning import: winners: expected an array"},
      {"missing isa", with([](json& d) { d["winners"][2].erase("isa"); }),
       "tuning import: winners[2].isa: missing"},
      {"negative M", with([](json& d) { d["winners"][1]["M"] = -4; }),
       "tuning import: winners[1].M: expected an integer in [1, 2147483647], got -4"},
      {"zero threads", with([](json& d) { d["winners"][0]["threads"] = 0; }),
       "tuning import: winners[0].threads: expected an integer in [1, 2147483647], got 0"},
      {"fractional N", with([](json& d) { d["winners"][1]["N"] = 2.5; }),
       "tuning import: winners[1].N: expected an integer in [1, 2147483647], got 2.5"},
      {"huge K", with([](json& d) { d["winners"][1]["K"] = 4294967296ull; }),
       "tuning import: winners[1].K: expected an integer in [1, 2147483647], got 4294967296"},
      {"bad op", with([](json& d) { d["winners"][2]["op"] = "conv"; }),
       R"(tuning import: winners[2].op: expected "gemv" or "gemm", got "conv")"},
      {"median type", with([](json& d) { d["winners"][1]["median_s"] = "fast"; }),
       R"(tuning import: winners[1].median_s: expected a non-negative number, got "fast")"},
      {"entry type", with([](json& d) { d["winners"][1] = 7; }),
       "tuning import: winners[1]: expected an object"},
      {"host description", with([](json& d) { d["hosts"][1]["description"] = "amd"; }),
       "tuning import: hosts[1].description: expected an object"},
  };
  for (const auto& c : cases) {
    try {
      db.import_json(c.doc);
      ADD_FAILURE() << c.what << ": no exception";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), c.message) << c.what;
    }
    EXPECT_EQ(db.export_json(), before) << c.what;
  }
}

TEST_F(TuningDbTest, GarbageFileIsMovedAsideWithAWarning) {
  const std::string garbage =
      "this is not a database, just some bytes\n" + std::string(5000, '\x7f');
  std::ofstream(path(), std::ios::binary) << garbage;
  TuningDb db(path());
  ASSERT_EQ(db.warnings().size(), 1u);
  const auto moved = corrupt_files(dir_);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(db.warnings()[0], "tuning database " + path() +
                                  " was unreadable (file is not a database); moved it to " +
                                  moved[0].string() + " and started a fresh one");
  EXPECT_EQ(moved[0].string().rfind(path() + ".corrupt-", 0), 0u);
  std::ifstream in(moved[0], std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);  // nothing lost
  // And the fresh database works.
  db.put_winner(winner_for(key(), 1e-5));
  EXPECT_EQ(db.winners().size(), 1u);
  TuningDb again(path());
  EXPECT_TRUE(again.warnings().empty());
  EXPECT_EQ(again.winners().size(), 1u);
}

TEST_F(TuningDbTest, TinyGarbageFileIsMovedAside) {
  std::ofstream(path(), std::ios::binary) << "x";
  TuningDb db(path());
  EXPECT_EQ(db.warnings().size(), 1u);
  EXPECT_EQ(corrupt_files(dir_).size(), 1u);
  db.put_winner(winner_for(key(), 1e-5));
  EXPECT_EQ(db.winners().size(), 1u);
}

TEST_F(TuningDbTest, AnotherProgramsDatabaseIsMovedAside) {
  exec_sql(path(), "CREATE TABLE songs(title TEXT); INSERT INTO songs VALUES ('x');");
  TuningDb db(path());
  ASSERT_EQ(db.warnings().size(), 1u);
  EXPECT_NE(db.warnings()[0].find("(no trine meta table; another program's database?)"),
            std::string::npos)
      << db.warnings()[0];
  EXPECT_EQ(corrupt_files(dir_).size(), 1u);
  EXPECT_TRUE(db.winners().empty());
}

TEST_F(TuningDbTest, OtherSchemaVersionIsMovedAside) {
  { TuningDb db(path()); }
  exec_sql(path(), "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  TuningDb db(path());
  ASSERT_EQ(db.warnings().size(), 1u);
  EXPECT_NE(db.warnings()[0].find("(schema version '99', expected 1)"), std::string::npos)
      << db.warnings()[0];
}

TEST_F(TuningDbTest, TruncatedDatabaseIsMovedAside) {
  {
    TuningDb db(path());
    std::vector<Trial> many;
    for (int i = 0; i < 2000; ++i)
      many.push_back(trial_for(key(), std::string(100, 'c'), "ok", 1e-5, ""));
    db.add_trials(many);
  }
  ASSERT_GT(fs::file_size(path()), 64u * 1024);
  fs::resize_file(path(), 8192);
  TuningDb db(path());
  EXPECT_EQ(db.warnings().size(), 1u);
  EXPECT_EQ(db.trial_count(), 0);
  db.put_winner(winner_for(key(), 1e-5));
  EXPECT_EQ(db.winners().size(), 1u);
}

TEST_F(TuningDbTest, EmptyFileBecomesADatabaseWithoutWarning) {
  std::ofstream(path()).close();
  TuningDb db(path());
  EXPECT_TRUE(db.warnings().empty());
  db.put_winner(winner_for(key(), 1e-5));
  EXPECT_EQ(db.winners().size(), 1u);
}

TEST_F(TuningDbTest, CreatesMissingDirectories) {
  const std::string deep = path("a/b/c/tuning.db");
  TuningDb db(deep);
  EXPECT_TRUE(fs::exists(deep));
}

TEST_F(TuningDbTest, UnwritablePathThrowsNamingIt) {
  try {
    TuningDb db("/proc/trine/x.db");
    FAIL() << "expected trine::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("tuning database /proc/trine/x.db: ", 0), 0u) << e.what();
  }
  // A directory where the file should be: an error, and the directory is left alone.
  fs::create_directory(path("dir.db"));
  EXPECT_THROW(TuningDb db(path("dir.db")), Error);
  EXPECT_TRUE(fs::is_directory(path("dir.db")));
  EXPECT_TRUE(corrupt_files(dir_).empty());
}

TEST_F(TuningDbTest, ReadOnlyFileThrows) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write a read-only file";
  { TuningDb db(path()); }
  fs::permissions(path(), fs::perms::owner_read);
  EXPECT_THROW(TuningDb db(path()), Error);
}

TEST_F(TuningDbTest, ClearDeletesEverything) {
  TuningDb db(path());
  db.record_host("0123456789abcdef", {{"vendor", "x"}});
  db.put_winner(winner_for(key(), 1e-5));
  db.add_trials({trial_for(key(), "c", "ok", 1e-5, "")});
  db.clear();
  EXPECT_EQ(db.trial_count(), 0);
  EXPECT_TRUE(db.winners().empty());
  EXPECT_EQ(db.export_json(), (json{{"format", "trine-tuning"},
                                    {"version", 1},
                                    {"hosts", json::array()},
                                    {"winners", json::array()}}));
  db.put_winner(winner_for(key(), 2e-5));  // still usable
  EXPECT_EQ(db.winners().size(), 1u);
}

// Sets environment variables for one test and restores them.
class EnvGuard {
 public:
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~EnvGuard() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(TuningDbTest, DefaultPathFollowsXdgThenHome) {
  EnvGuard env;
  env.set("XDG_CACHE_HOME", path("xdg").c_str());
  EXPECT_EQ(TuningDb::default_path(), path("xdg") + "/trine/tuning.db");
  EXPECT_TRUE(fs::is_directory(path("xdg") + "/trine"));
  env.set("XDG_CACHE_HOME", nullptr);
  env.set("HOME", path("home").c_str());
  EXPECT_EQ(TuningDb::default_path(), path("home") + "/.cache/trine/tuning.db");
  EXPECT_TRUE(fs::is_directory(path("home") + "/.cache/trine"));
  env.set("XDG_CACHE_HOME", "relative/cache");  // not absolute: ignored, as the XDG spec says
  EXPECT_EQ(TuningDb::default_path(), path("home") + "/.cache/trine/tuning.db");
}

}  // namespace
}  // namespace trine
