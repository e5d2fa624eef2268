// `trine cache`: inspect, ship and reset the tuning database.
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "model/json_file.h"
#include "runtime/error.h"

namespace trine::cli {

namespace {

void list(const std::string& db_path) {
  auto db = open_db(db_path);
  const std::vector<Winner> ws = db->winners();
  fmt::print("{}: {} winners, {} trials\n", db->path(), ws.size(), db->trial_count());
  if (ws.empty()) return;
  Table t({"host", "generator", "op", "MxKxN", "threads", "isa", "family", "config", "median us", "GB/s", "GMAC/s"});
  for (const Winner& w : ws) {
    t.add({w.key.host, w.key.generator, w.key.op, fmt::format("{}x{}x{}", w.key.M, w.key.K, w.key.N), std::to_string(w.key.threads),
           w.key.isa, w.family, w.config, us(w.stats.median_s), fmt::format("{:.1f}", w.gbps),
           fmt::format("{:.1f}", w.gmacs)});
  }
  fmt::print("{}", t.str());
}

void export_to(const std::string& db_path, const std::string& file) {
  auto db = open_db(db_path);
  const nlohmann::json doc = db->export_json();
  const std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw Error(fmt::format("cannot write {}", file));
    out << doc.dump(2) << "\n";
    if (!out.flush()) throw Error(fmt::format("cannot write {}", file));
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) throw Error(fmt::format("cannot write {}", file));
  fmt::print("exported {} winners to {}\n", doc["winners"].size(), file);
}

void import_from(const std::string& db_path, const std::string& file) {
  const nlohmann::json doc = model::read_json_file(file);
  auto db = open_db(db_path);
  try {
    const int n = db->import_json(doc);
    fmt::print("imported {} winners from {} into {}\n", n, file, db->path());
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", file, e.what()));
  }
}

}  // namespace

void add_cache_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("cache", "List, export, import or clear the tuning database");
  cmd->require_subcommand(1);
  auto db = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Tuning database (default $XDG_CACHE_HOME/trine/tuning.db)");
  // `trine cache list --db X` reads naturally: let the children's unknown options reach --db.
  cmd->fallthrough();

  cmd->add_subcommand("list", "List stored winners")->callback([db] { list(*db); });

  auto file = std::make_shared<std::string>();
  auto* ex = cmd->add_subcommand("export", "Write the winners as JSON");
  ex->add_option("FILE", *file, "Output JSON file")->required();
  ex->callback([db, file] { export_to(*db, *file); });

  auto* im = cmd->add_subcommand("import", "Add winners from a JSON export");
  im->add_option("FILE", *file, "JSON file written by `trine cache export`")->required();
  im->callback([db, file] { import_from(*db, *file); });

  for (CLI::App* sub : {cmd->get_subcommand("list"), ex, im}) sub->fallthrough();
  auto* clear = cmd->add_subcommand("clear", "Delete every winner and trial");
  clear->fallthrough();
  clear->callback([db] {
    auto d = open_db(*db);
    d->clear();
    fmt::print("cleared {}\n", d->path());
  });
}

}  // namespace trine::cli
