#include "runtime/tuning_db.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "runtime/error.h"

namespace trine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSchemaVersion = "1";
constexpr const char* kCreatedBy = "trine";
constexpr const char* kFormat = "trine-tuning";
constexpr int kFormatVersion = 1;

constexpr const char* kKeyCols = "host, compiler, generator, op, M, K, N, threads, isa";
constexpr const char* kKeyNoIsaWhere =
    "host = ? AND compiler = ? AND generator = ? AND op = ? AND M = ? AND K = ? AND N = ? AND "
    "threads = ?";
// SQLite names are case-insensitive, so the sample count can't be "n" next to the shape's N.
constexpr const char* kStatsCols = "median_s, p20_s, p80_s, min_s, n_samples";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1'), ('created_by', 'trine');
CREATE TABLE IF NOT EXISTS hosts(
  fingerprint TEXT PRIMARY KEY,
  description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host TEXT NOT NULL, compiler TEXT NOT NULL, generator TEXT NOT NULL, op TEXT NOT NULL,
  M INTEGER NOT NULL, K INTEGER NOT NULL, N INTEGER NOT NULL, threads INTEGER NOT NULL,
  isa TEXT NOT NULL,
  family TEXT NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL,
  median_s REAL, p20_s REAL, p80_s REAL, min_s REAL, n_samples INTEGER,
  message TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS trials_by_key
  ON trials(host, compiler, generator, op, M, K, N, threads, isa);
CREATE TABLE IF NOT EXISTS winners(
  host TEXT NOT NULL, compiler TEXT NOT NULL, generator TEXT NOT NULL, op TEXT NOT NULL,
  M INTEGER NOT NULL, K INTEGER NOT NULL, N INTEGER NOT NULL, threads INTEGER NOT NULL,
  isa TEXT NOT NULL,
  family TEXT NOT NULL, config TEXT NOT NULL,
  median_s REAL NOT NULL, p20_s REAL NOT NULL, p80_s REAL NOT NULL, min_s REAL NOT NULL,
  n_samples INTEGER NOT NULL, gbps REAL NOT NULL, gmacs REAL NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(host, compiler, generator, op, M, K, N, threads, isa));
)sql";

const std::vector<std::string> kTables = {"meta", "hosts", "trials", "winners"};

int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

Error db_error(const std::string& path, const std::string& reason) {
  return Error(fmt::format("tuning database {}: {}", path, reason));
}

// Primary result codes that mean "these bytes are not a usable database", as opposed to a lock,
// a permission or an I/O problem, where moving the file aside could lose someone's data.
bool is_corruption(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

// An SQLite failure; rc and the bare SQLite message let opening tell corruption from the rest.
struct SqliteError : Error {
  SqliteError(const std::string& path, int rc, std::string msg)
      : Error(fmt::format("tuning database {}: {}", path, msg)), rc(rc), reason(std::move(msg)) {}
  int rc;
  std::string reason;
};

// Thrown by validation only, for a file that SQLite reads but that is not our database.
struct Unreadable {
  std::string reason;
};

// A prepared statement whose bind() calls fill the parameters left to right.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& path, const std::string& sql) : db_(db), path_(path) {
    check(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr));
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(const std::string& v) {
    check(
        sqlite3_bind_text(stmt_, ++next_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind(int64_t v) {
    check(sqlite3_bind_int64(stmt_, ++next_, v));
    return *this;
  }
  Stmt& bind(int v) { return bind(int64_t{v}); }
  Stmt& bind(double v) {
    check(sqlite3_bind_double(stmt_, ++next_, v));
    return *this;
  }

  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(rc);
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    next_ = 0;
  }

  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, sqlite3_column_bytes(stmt_, col)) : std::string();
  }
  int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int i32(int col) const { return sqlite3_column_int(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw SqliteError(path_, rc, sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 0;
};

void exec(sqlite3* db, const std::string& path, const char* sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return;
  std::string reason = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  throw SqliteError(path, rc, reason);
}

// BEGIN IMMEDIATE takes the write lock up front, so two tuners never deadlock upgrading a read.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
    exec(db_, path_, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, path_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool done_ = false;
};

void bind_key(Stmt& s, const TuneKey& k) {
  s.bind(k.host).bind(k.compiler).bind(k.generator).bind(k.op);
  s.bind(k.M).bind(k.K).bind(k.N).bind(k.threads).bind(k.isa);
}

void bind_key_without_isa(Stmt& s, const TuneKey& k) {
  s.bind(k.host).bind(k.compiler).bind(k.generator).bind(k.op);
  s.bind(k.M).bind(k.K).bind(k.N).bind(k.threads);
}

void bind_stats(Stmt& s, const TimingStats& t) {
  s.bind(t.median_s).bind(t.p20_s).bind(t.p80_s).bind(t.min_s).bind(t.n);
}

// Columns in kKeyCols order from col.
TuneKey read_key(const Stmt& s, int col) {
  TuneKey k;
  k.host = s.text(col);
  k.compiler = s.text(col + 1);
  k.generator = s.text(col + 2);
  k.op = s.text(col + 3);
  k.M = s.i32(col + 4);
  k.K = s.i32(col + 5);
  k.N = s.i32(col + 6);
  k.threads = s.i32(col + 7);
  k.isa = s.text(col + 8);
  return k;
}

// Columns in kStatsCols order from col.
TimingStats read_stats(const Stmt& s, int col) {
  return {s.real(col), s.real(col + 1), s.real(col + 2), s.real(col + 3), s.i32(col + 4)};
}

std::string winner_select() {
  return fmt::format("SELECT {}, family, config, {}, gbps, gmacs, created_at FROM winners",
                     kKeyCols, kStatsCols);
}

Winner read_winner(const Stmt& s) {
  Winner w;
  w.key = read_key(s, 0);
  w.family = s.text(9);
  w.config = s.text(10);
  w.stats = read_stats(s, 11);
  w.gbps = s.real(16);
  w.gmacs = s.real(17);
  w.created_at = s.i64(18);
  return w;
}

std::string winner_insert() {
  return fmt::format(
      "INSERT OR REPLACE INTO winners({}, family, config, {}, gbps, gmacs, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      kKeyCols, kStatsCols);
}

void insert_winner(Stmt& s, const Winner& w) {
  s.reset();
  bind_key(s, w.key);
  s.bind(w.family).bind(w.config);
  bind_stats(s, w.stats);
  s.bind(w.gbps).bind(w.gmacs).bind(w.created_at ? w.created_at : unix_now());
  s.run();
}

// --- opening -------------------------------------------------------------------------------------

std::string sqlite_reason(sqlite3* db, int rc) {
  return db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

sqlite3* open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = sqlite_reason(db, rc);
    sqlite3_close_v2(db);
    throw db_error(path, reason);
  }
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close_v2(db);
    throw db_error(path, "not writable");
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

void create_parent_dir(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec)
    throw db_error(path,
                   fmt::format("cannot create directory {}: {}", parent.string(), ec.message()));
}

std::vector<std::string> table_names(sqlite3* db, const std::string& path) {
  Stmt s(db, path, "SELECT name FROM sqlite_master WHERE type = 'table'");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.text(0));
  return names;
}

void check_integrity(sqlite3* db, const std::string& path) {
  Stmt s(db, path, "PRAGMA integrity_check");
  if (!s.step()) throw Unreadable{"integrity check returned nothing"};
  if (const std::string first = s.text(0); first != "ok")
    throw Unreadable{"integrity check: " + first};
}

void check_meta(sqlite3* db, const std::string& path) {
  Stmt s(db, path, "SELECT key, value FROM meta WHERE key IN ('schema_version', 'created_by')");
  std::string version, creator;
  while (s.step()) (s.text(0) == "schema_version" ? version : creator) = s.text(1);
  if (creator != kCreatedBy) throw Unreadable{fmt::format("created by '{}', not trine", creator)};
  if (version != kSchemaVersion)
    throw Unreadable{fmt::format("schema version '{}', expected {}", version, kSchemaVersion)};
}

// Throws Unreadable for a file that is not our database. A database with no tables at all (an
// empty file, or one whose creator died before writing the schema) is fine: it needs the schema,
// and the return value says so.
bool validate(sqlite3* db, const std::string& path) {
  const std::vector<std::string> names = table_names(db, path);
  if (names.empty()) return true;
  if (std::find(names.begin(), names.end(), "meta") == names.end())
    throw Unreadable{"no trine meta table; another program's database?"};
  check_integrity(db, path);
  check_meta(db, path);
  for (const auto& t : kTables)
    if (std::find(names.begin(), names.end(), t) == names.end())
      throw Unreadable{"missing table " + t};
  return false;
}

// SQLite takes a file shorter than its 100-byte header for an empty database and would write over
// it, so a short text file never reaches SQLite's own "not a database" check. An empty file is
// fine.
std::optional<std::string> header_problem(const std::string& path) {
  static constexpr char kMagic[16] = "SQLite format 3";  // with its NUL: 16 bytes
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;  // let SQLite report why it can't be opened
  char head[16] = {};
  in.read(head, sizeof head);
  if (in.gcount() == 0) return std::nullopt;
  if (in.gcount() == sizeof head && std::memcmp(head, kMagic, sizeof head) == 0)
    return std::nullopt;
  return "file is not a database";
}

std::string free_corrupt_name(const std::string& path) {
  const std::string base = fmt::format("{}.corrupt-{}", path, unix_now());
  std::string name = base;
  for (int i = 1; fs::exists(name); ++i) name = fmt::format("{}-{}", base, i);
  return name;
}

// A stale journal next to a fresh database would be replayed into it, so it goes along.
std::string move_aside(const std::string& path) {
  const std::string target = free_corrupt_name(path);
  std::error_code ec;
  fs::rename(path, target, ec);
  if (ec)
    throw db_error(path, fmt::format("unreadable, and cannot move it aside: {}", ec.message()));
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    if (fs::exists(path + suffix, ec)) fs::rename(path + suffix, target + suffix, ec);
  }
  return target;
}

// --- JSON import validation ----------------------------------------------------------------------

class Checker {
 public:
  Checker(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  const json& field(const char* name) const {
    if (!obj_.is_object()) fail("", "expected an object");
    auto it = obj_.find(name);
    if (it == obj_.end()) fail(name, "missing");
    return *it;
  }
  std::string string(const char* name, bool non_empty) const {
    const json& v = field(name);
    if (!v.is_string()) fail(name, "expected a string, got " + short_dump(v));
    std::string s = v.get<std::string>();
    if (non_empty && s.empty()) fail(name, "must not be empty");
    return s;
  }
  int64_t integer(const char* name, int64_t lo, int64_t hi) const {
    const json& v = field(name);
    bool ok = false;
    int64_t x = 0;
    if (v.is_number_unsigned()) {
      ok = v.get<uint64_t>() <= static_cast<uint64_t>(hi);
      x = ok ? static_cast<int64_t>(v.get<uint64_t>()) : 0;
    } else if (v.is_number_integer()) {
      x = v.get<int64_t>();
      ok = true;
    }
    if (!ok || x < lo || x > hi)
      fail(name, fmt::format("expected an integer in [{}, {}], got {}", lo, hi, short_dump(v)));
    return x;
  }
  double number(const char* name) const {
    const json& v = field(name);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      fail(name, "expected a non-negative number, got " + short_dump(v));
    return v.get<double>();
  }
  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    std::string at = name.empty() ? where_ : where_.empty() ? name : where_ + "." + name;
    if (at.empty()) at = "document";
    throw Error(fmt::format("tuning import: {}: {}", at, what));
  }

 private:
  static std::string short_dump(const json& v) {
    std::string s = v.dump();
    return s.size() > 40 ? s.substr(0, 40) + "..." : s;
  }
  const json& obj_;
  std::string where_;
};

Winner parse_winner(const json& j, std::size_t index) {
  const Checker c(j, fmt::format("winners[{}]", index));
  Winner w;
  w.key.host = c.string("host", true);
  w.key.compiler = c.string("compiler", false);
  w.key.generator = c.string("generator", false);
  w.key.op = c.string("op", true);
  if (w.key.op != "gemv" && w.key.op != "gemm")
    c.fail("op", "expected \"gemv\" or \"gemm\", got \"" + w.key.op + "\"");
  w.key.M = static_cast<int>(c.integer("M", 1, INT_MAX));
  w.key.K = static_cast<int>(c.integer("K", 1, INT_MAX));
  w.key.N = static_cast<int>(c.integer("N", 1, INT_MAX));
  w.key.threads = static_cast<int>(c.integer("threads", 1, INT_MAX));
  w.key.isa = c.string("isa", true);
  w.family = c.string("family", true);
  w.config = c.string("config", false);
  w.stats.median_s = c.number("median_s");
  w.stats.p20_s = c.number("p20_s");
  w.stats.p80_s = c.number("p80_s");
  w.stats.min_s = c.number("min_s");
  w.stats.n = static_cast<int>(c.integer("n", 0, INT_MAX));
  w.gbps = c.number("gbps");
  w.gmacs = c.number("gmacs");
  w.created_at = c.integer("created_at", 0, INT64_MAX);
  return w;
}

std::pair<std::string, json> parse_host(const json& j, std::size_t index) {
  const Checker c(j, fmt::format("hosts[{}]", index));
  std::string fingerprint = c.string("fingerprint", true);
  const json& description = c.field("description");
  if (!description.is_object()) c.fail("description", "expected an object");
  return {fingerprint, description};
}

const json& array_field(const Checker& top, const char* name) {
  const json& v = top.field(name);
  if (!v.is_array()) top.fail(name, "expected an array");
  return v;
}

void check_header(const Checker& top) {
  const json& format = top.field("format");
  if (format != kFormat) top.fail("format", fmt::format("expected \"{}\"", kFormat));
  const json& version = top.field("version");
  if (!version.is_number_integer() || version != kFormatVersion)
    top.fail("version", fmt::format("expected {}", kFormatVersion));
}

}  // namespace

// --- TuningDb ------------------------------------------------------------------------------------

std::string TuningDb::default_path() {
  fs::path dir;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') {  // the XDG spec says to ignore a relative value
    dir = fs::path(xdg) / "trine";
  } else {
    const char* home = std::getenv("HOME");
    if (!home || !*home) {
      const passwd* pw = getpwuid(getuid());
      home = pw ? pw->pw_dir : ".";
    }
    dir = fs::path(home) / ".cache" / "trine";
  }
  // Best effort: the constructor reports a directory that cannot be created, naming the path.
  std::error_code ec;
  fs::create_directories(dir, ec);
  return (dir / "tuning.db").string();
}

TuningDb::TuningDb(const std::string& path) : path_(path) {
  try {
    open_or_rebuild();
  } catch (...) {
    sqlite3_close_v2(db_);  // the destructor does not run for a throwing constructor
    throw;
  }
}

TuningDb::~TuningDb() { sqlite3_close_v2(db_); }

void TuningDb::open_or_rebuild() {
  create_parent_dir(path_);
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    std::optional<std::string> problem = header_problem(path_);
    if (!problem) {
      db_ = open_db(path_, SQLITE_OPEN_READWRITE);
      problem = check_existing();
      if (!problem) return;
      sqlite3_close_v2(db_);
      db_ = nullptr;
    }
    const std::string moved = move_aside(path_);
    warnings_.push_back(fmt::format(
        "tuning database {} was unreadable ({}); moved it to {} and started a fresh one", path_,
        *problem, moved));
  }
  db_ = open_db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  create_schema();
}

// Why the open file is not our database, or nullopt once it is ready for use. Errors that are not
// about the file's contents (a lock held too long, I/O, permissions) throw: moving a database
// aside because of them could lose someone's results.
std::optional<std::string> TuningDb::check_existing() {
  try {
    // A complete database is only read here, so opening never waits on a tuner's write lock.
    if (validate(db_, path_)) create_schema();
    return std::nullopt;
  } catch (const Unreadable& u) {
    return u.reason;
  } catch (const SqliteError& e) {
    if (is_corruption(e.rc)) return e.reason;
    throw;
  }
}

void TuningDb::create_schema() {
  // WAL lets a reader (trine run) look up winners while a tuner writes; not every filesystem
  // supports it, and SQLite then keeps the rollback journal, which is fine too.
  sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  Transaction tx(db_, path_);
  exec(db_, path_, kSchema);
  tx.commit();
}

void TuningDb::record_host(const std::string& fingerprint, const json& description) {
  Stmt s(db_, path_, "INSERT OR REPLACE INTO hosts(fingerprint, description) VALUES (?, ?)");
  s.bind(fingerprint).bind(description.dump());
  s.run();
}

void TuningDb::add_trials(const std::vector<Trial>& trials) {
  Transaction tx(db_, path_);
  Stmt s(db_, path_,
         fmt::format("INSERT INTO trials({}, family, config, status, {}, message, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     kKeyCols, kStatsCols));
  const int64_t now = unix_now();
  for (const Trial& t : trials) {
    s.reset();
    bind_key(s, t.key);
    s.bind(t.family).bind(t.config).bind(t.status);
    bind_stats(s, t.stats);
    s.bind(t.message).bind(now);
    s.run();
  }
  tx.commit();
}

void TuningDb::put_winner(const Winner& w) {
  Stmt s(db_, path_, winner_insert());
  insert_winner(s, w);
}

std::optional<Winner> TuningDb::winner(const TuneKey& key) const {
  Stmt s(db_, path_, winner_select() + " WHERE " + kKeyNoIsaWhere + " AND isa = ?");
  bind_key(s, key);
  if (!s.step()) return std::nullopt;
  return read_winner(s);
}

std::optional<Winner> TuningDb::best_winner(const TuneKey& key,
                                            const std::vector<std::string>& isas) const {
  std::optional<Winner> best;
  std::size_t best_rank = 0;
  Stmt s(db_, path_, winner_select() + " WHERE " + kKeyNoIsaWhere);
  bind_key_without_isa(s, key);
  while (s.step()) {
    Winner w = read_winner(s);
    const auto it = std::find(isas.begin(), isas.end(), w.key.isa);
    if (it == isas.end()) continue;
    // On a tie the ISA listed first wins, so the order is the caller's preference.
    const auto rank = static_cast<std::size_t>(it - isas.begin());
    if (!best || w.stats.median_s < best->stats.median_s ||
        (w.stats.median_s == best->stats.median_s && rank < best_rank)) {
      best = std::move(w);
      best_rank = rank;
    }
  }
  return best;
}

std::vector<Winner> TuningDb::winners() const {
  Stmt s(db_, path_,
         winner_select() + " ORDER BY host, op, M, K, N, threads, isa, compiler, generator");
  std::vector<Winner> out;
  while (s.step()) out.push_back(read_winner(s));
  return out;
}

std::vector<Trial> TuningDb::trials(const TuneKey& key) const {
  Stmt s(db_, path_,
         fmt::format("SELECT {}, family, config, status, {}, message FROM trials WHERE {} AND "
                     "isa = ? ORDER BY id",
                     kKeyCols, kStatsCols, kKeyNoIsaWhere));
  bind_key(s, key);
  std::vector<Trial> out;
  while (s.step()) {
    Trial t;
    t.key = read_key(s, 0);
    t.family = s.text(9);
    t.config = s.text(10);
    t.status = s.text(11);
    t.stats = read_stats(s, 12);
    t.message = s.text(17);
    out.push_back(std::move(t));
  }
  return out;
}

int64_t TuningDb::trial_count() const {
  Stmt s(db_, path_, "SELECT COUNT(*) FROM trials");
  s.step();
  return s.i64(0);
}

json TuningDb::export_json() const {
  json hosts = json::array();
  Stmt s(db_, path_, "SELECT fingerprint, description FROM hosts ORDER BY fingerprint");
  while (s.step()) {
    // Stored by record_host as JSON; if someone edited it by hand, keep the text rather than fail.
    json description = json::parse(s.text(1), nullptr, false);
    if (description.is_discarded()) description = s.text(1);
    hosts.push_back({{"fingerprint", s.text(0)}, {"description", std::move(description)}});
  }
  json winners_json = json::array();
  for (const Winner& w : winners()) {
    winners_json.push_back({
        {"host", w.key.host},
        {"compiler", w.key.compiler},
        {"generator", w.key.generator},
        {"op", w.key.op},
        {"M", w.key.M},
        {"K", w.key.K},
        {"N", w.key.N},
        {"threads", w.key.threads},
        {"isa", w.key.isa},
        {"family", w.family},
        {"config", w.config},
        {"median_s", w.stats.median_s},
        {"p20_s", w.stats.p20_s},
        {"p80_s", w.stats.p80_s},
        {"min_s", w.stats.min_s},
        {"n", w.stats.n},
        {"gbps", w.gbps},
        {"gmacs", w.gmacs},
        {"created_at", w.created_at},
    });
  }
  return {{"format", kFormat},
          {"version", kFormatVersion},
          {"hosts", std::move(hosts)},
          {"winners", std::move(winners_json)}};
}

int TuningDb::import_json(const json& doc) {
  // Parse everything before touching the database, so a bad entry imports nothing.
  const Checker top(doc, "");
  check_header(top);
  std::vector<std::pair<std::string, json>> hosts;
  if (doc.contains("hosts")) {
    const json& arr = array_field(top, "hosts");
    for (std::size_t i = 0; i < arr.size(); ++i) hosts.push_back(parse_host(arr[i], i));
  }
  std::vector<Winner> parsed;
  const json& arr = array_field(top, "winners");
  for (std::size_t i = 0; i < arr.size(); ++i) parsed.push_back(parse_winner(arr[i], i));

  Transaction tx(db_, path_);
  Stmt host_stmt(db_, path_,
                 "INSERT OR REPLACE INTO hosts(fingerprint, description) VALUES (?, ?)");
  for (const auto& [fingerprint, description] : hosts) {
    host_stmt.reset();
    host_stmt.bind(fingerprint).bind(description.dump());
    host_stmt.run();
  }
  Stmt winner_stmt(db_, path_, winner_insert());
  for (const Winner& w : parsed) insert_winner(winner_stmt, w);
  tx.commit();
  return static_cast<int>(parsed.size());
}

void TuningDb::clear() {
  Transaction tx(db_, path_);
  exec(db_, path_, "DELETE FROM trials; DELETE FROM winners; DELETE FROM hosts;");
  tx.commit();
}

}  // namespace trine
