#include "bench/report_render.h"

#include <functional>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "bench/energy_model.h"

namespace trine::bench {

namespace {

using nlohmann::json;

std::string num(const json& v, const char* spec, double scale = 1) {
  if (!v.is_number()) return "n/a";
  return fmt::format(fmt::runtime(spec), v.get<double>() * scale);
}

std::string pct(const json& v) { return v.is_number() ? fmt::format("{:.0f}%", 100 * v.get<double>()) : "n/a"; }

// Pipes inside a cell would split it.
std::string cell(std::string s) {
  for (std::size_t p = s.find('|'); p != std::string::npos; p = s.find('|', p + 2)) s.replace(p, 1, "\\|");
  return s;
}

struct MdTable {
  std::vector<std::string> header;
  std::vector<bool> right;  // numeric columns align right
  std::vector<std::vector<std::string>> rows;
  std::string str() const {
    auto line = [](const std::vector<std::string>& r) {
      std::string s = "|";
      for (const std::string& c : r) {
        s += ' ';
        s += cell(c);
        s += " |";
      }
      return s + "\n";
    };
    std::string out = line(header) + "|";
    for (std::size_t i = 0; i < header.size(); ++i) out += i < right.size() && right[i] ? "---:|" : "---|";
    out += "\n";
    for (const auto& r : rows) out += line(r);
    return out;
  }
};

struct ModelMetric {
  const char* label;
  std::function<std::string(const json&)> show;
};

const std::vector<ModelMetric>& model_metrics() {
  static const std::vector<ModelMetric> m{
      {"parameters (M)", [](const json& j) { return num(j["parameters"], "{:.1f}", 1e-6); }},
      {"non-embedding parameters (M)", [](const json& j) { return num(j["parameters_non_embedding"], "{:.1f}", 1e-6); }},
      {"bits per ternary weight (as packed)", [](const json& j) { return num(j["bits_per_ternary_weight"], "{:.2f}"); }},
      {"memory, non-embedding (MiB)", [](const json& j) { return num(j["memory_non_embedding_bytes"], "{:.1f}", 1.0 / (1 << 20)); }},
      {"memory, total as loaded (MiB)", [](const json& j) { return num(j["memory_bytes"], "{:.1f}", 1.0 / (1 << 20)); }},
      {"prefill (tokens/s)", [](const json& j) { return num(j["prefill_tok_s"], "{:.1f}"); }},
      {"decode latency (ms/token)", [](const json& j) { return num(j["decode_ms_per_token"], "{:.2f}"); }},
      {"bandwidth floor (ms/token)", [](const json& j) { return num(j["decode_floor_ms_per_token"], "{:.2f}"); }},
      {"floor reached", [](const json& j) { return pct(j["floor_fraction"]); }},
      {"energy/token, estimated (mJ)", [](const json& j) { return num(j["energy"]["estimated"]["j_per_token"], "{:.4g}", 1e3); }},
      {"energy/token, measured (mJ)",
       [](const json& j) {
         const json& m = j["energy"]["measured"];
         return m["available"].get<bool>() ? num(m["j_per_token"], "{:.4g}", 1e3) : std::string("not available");
       }},
  };
  return m;
}

std::string hosts_section(const json& hosts) {
  MdTable t{{"host", "cpu", "threads", "fingerprint", "trine", "compiler", "date"}, {false, false, true}, {}};
  std::string roof;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const json& h = hosts[i]["host"];
    const json& r = hosts[i]["roofline"];
    t.rows.push_back({host_label(i), h["cpu"].get<std::string>(), num(h["threads"], "{:.0f}"),
                      h["fingerprint"].get<std::string>(),
                      fmt::format("{} ({})", h.value("trine", "?"), h.value("generator", "?")), h.value("compiler", "?"),
                      h.value("date", "?")});
    roof += fmt::format("- {}: DRAM read {} GB/s (p20 {}, p80 {}), int8 peak {} GMAC/s ({}); {}\n", host_label(i),
                        num(r["read_gbps"], "{:.1f}"), num(r.value("read_gbps_p20", json()), "{:.1f}"),
                        num(r.value("read_gbps_p80", json()), "{:.1f}"), num(r["int8_peak_gmacs"], "{:.0f}"),
                        r.value("int8_peak_isa", "?"), r.value("how", ""));
  }
  return t.str() + "\nRoofline, measured on each host:\n\n" + roof;
}

std::string measured_note(const json& mea) {
  if (!mea["available"].get<bool>()) return "not available (" + mea["reason"].get<std::string>() + ")";
  return fmt::format("{} ({} J over {} tokens, {} W)", mea.value("source", ""), num(mea.value("joules", json()), "{:.3f}"),
                     num(mea.value("tokens", json()), "{:.0f}"), num(mea.value("watts", json()), "{:.1f}"));
}

// What the model column's figures were measured on, under the table.
std::string model_note(const json& m, const std::string& name) {
  return fmt::format("- {}: {}{}; prefill of {} tokens, {} decoded tokens x {} repetitions, {} threads; total memory "
                     "includes the KV cache for {} positions; DRAM read {} GB/s in the same run. Measured energy: {}\n",
                     name, m["path"].get<std::string>(), m["synthetic"].get<bool>() ? " (synthetic, random weights)" : "",
                     num(m.value("prompt_tokens", json()), "{:.0f}"), num(m.value("gen_tokens", json()), "{:.0f}"),
                     num(m.value("reps", json()), "{:.0f}"), num(m["threads"], "{:.0f}"),
                     num(m.value("context", json()), "{:.0f}"), num(m["read_gbps"], "{:.1f}"),
                     measured_note(m["energy"]["measured"]));
}

// Metrics down, one column per model and host, as the 2B4T report lays out its comparison.
std::string models_section(const json& hosts) {
  MdTable t{{""}, {false}, {}};
  std::vector<const json*> cols;
  std::string notes;
  for (std::size_t i = 0; i < hosts.size(); ++i)
    for (const json& m : hosts[i]["models"]) {
      const std::string name = m["name"].get<std::string>() + (hosts.size() > 1 ? " @ " + host_label(i) : "");
      t.header.push_back(name);
      t.right.push_back(true);
      cols.push_back(&m);
      notes += model_note(m, name);
    }
  if (cols.empty()) return "No models were measured.\n";
  for (const ModelMetric& mm : model_metrics()) {
    std::vector<std::string> row{mm.label};
    for (const json* m : cols) row.push_back(mm.show(*m));
    t.rows.push_back(std::move(row));
  }
  return t.str() + "\n" + notes;
}

std::string counts_formula(const json& counts, const json& table, double j) {
  std::string terms;
  for (OpKind k : all_op_kinds()) {
    const char* key = op_kind_name(k);
    if (counts[key].get<uint64_t>() == 0) continue;
    terms += fmt::format("{}{} x {} ({})", terms.empty() ? "" : " + ", counts[key].get<uint64_t>(),
                         num(table["values"][key], "{}"), key);
  }
  return fmt::format("E_token = {} pJ = {} uJ", terms.empty() ? "0" : terms, num(json(j), "{:.4g}", 1e6));
}

std::string energy_section(const json& host, const std::string& hl, bool many) {
  std::string out;
  const json& table = host["energy_table"];
  for (const json& m : host["models"]) {
    const json& e = m["energy"]["estimated"];
    out += fmt::format("### {}{}: one decoded token at position {} (attends to {} positions)\n\n",
                       m["name"].get<std::string>(), many ? " @ " + hl : "", num(e["position"], "{:.0f}"),
                       num(e.value("attended_positions", json()), "{:.0f}"));
    MdTable t{{"component"}, {false}, {}};
    for (OpKind k : all_op_kinds()) {
      t.header.push_back(op_kind_name(k));
      t.right.push_back(true);
    }
    t.header.push_back("energy (uJ)");
    t.right.push_back(true);
    auto add = [&](const std::string& name, const json& counts, const json& j) {
      std::vector<std::string> row{name};
      for (OpKind k : all_op_kinds()) row.push_back(std::to_string(counts[op_kind_name(k)].get<uint64_t>()));
      row.push_back(num(j, "{:.4g}", 1e6));
      t.rows.push_back(std::move(row));
    };
    for (const json& c : e["components"]) add(c["name"].get<std::string>(), c["counts"], c["j"]);
    add("total", e["counts"], e["j_per_token"]);
    out += t.str() + "\n" + counts_formula(e["counts"], table, e["j_per_token"].get<double>()) + "\n\n";
  }
  std::string vals;
  for (OpKind k : all_op_kinds())
    vals += fmt::format("{}{} {}", vals.empty() ? "" : ", ", op_kind_name(k), num(table["values"][op_kind_name(k)], "{}"));
  out += fmt::format("Energy table ({}{}, pJ per operation): {}.\n\nHow the operations are counted: {}.\n\n",
                     table.value("source", "?"), many ? ", " + hl : "", vals, host["method"]["energy_estimated"].get<std::string>());
  return out;
}

std::vector<std::string> kernel_key(const json& k) {
  const std::string label = k["label"].get<std::string>();
  return {label.empty() ? "-" : label, k["op"].get<std::string>(),
          fmt::format("{}x{}x{}", k["M"].get<int>(), k["K"].get<int>(), k["N"].get<int>()), k["family"].get<std::string>(),
          k["variant"].get<std::string>()};
}

std::string kernels_one_host(const json& host) {
  MdTable t{{"shape", "op", "MxKxN", "family", "kernel", "isa", "config", "median us", "GB/s", "% read BW", "GMAC/s",
             "% int8 peak", "roofline us"},
            {false, false, false, false, false, false, false, true, true, true, true, true, true},
            {}};
  for (const json& k : host["kernels"]) {
    std::vector<std::string> row = kernel_key(k);
    row.insert(row.end(), {k["isa"].get<std::string>(), k["config"].get<std::string>(), num(k["median_us"], "{:.1f}"),
                           num(k["gbps"], "{:.1f}"), pct(k["frac_read_bw"]), num(k["gmacs"], "{:.1f}"),
                           pct(k["frac_int8_peak"]), num(k["roofline_us"], "{:.1f}")});
    t.rows.push_back(std::move(row));
  }
  return t.str();
}

// Rows keyed by shape, op, family and variant; per host its time, rate and share of roofline.
std::string kernels_side_by_side(const json& hosts) {
  MdTable t{{"shape", "op", "MxKxN", "family", "kernel"}, {false, false, false, false, false}, {}};
  std::vector<std::vector<std::string>> keys;
  std::map<std::pair<std::vector<std::string>, std::size_t>, const json*> at;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    for (const char* c : {"us", "GB/s", "% roofline"}) {
      t.header.push_back(fmt::format("{} {}", host_label(i), c));
      t.right.push_back(true);
    }
    for (const json& k : hosts[i]["kernels"]) {
      const auto key = kernel_key(k);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
      at[{key, i}] = &k;
    }
  }
  for (const auto& key : keys) {
    std::vector<std::string> row = key;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      const auto it = at.find({key, i});
      if (it == at.end()) {
        row.insert(row.end(), {"-", "-", "-"});
        continue;
      }
      const json& k = *it->second;
      row.insert(row.end(), {num(k["median_us"], "{:.1f}"), num(k["gbps"], "{:.1f}"), pct(k["frac_roofline"])});
    }
    t.rows.push_back(std::move(row));
  }
  return t.str();
}

}  // namespace

std::string host_label(std::size_t index) { return fmt::format("H{}", index + 1); }

std::string render_markdown(const json& doc) {
  const json& hosts = doc["hosts"];
  const bool many = hosts.size() > 1;
  std::string out = "# trine report\n\n" + hosts_section(hosts) + "\n## Models\n\n" + models_section(hosts);
  out += "\n## Energy per token, estimated\n\n";
  for (std::size_t i = 0; i < hosts.size(); ++i) out += energy_section(hosts[i], host_label(i), many);
  out += "## Kernels\n\n";
  bool any = false;
  for (const json& h : hosts) any |= !h["kernels"].empty();
  if (!any) out += "No kernels were timed (--no-kernels).\n";
  else if (!many) out += kernels_one_host(hosts[0]);
  else out += kernels_side_by_side(hosts) + "\n% roofline = the time the roofline allows (bytes at the read "
                                             "bandwidth, or multiply-adds at the int8 peak, whichever is longer) over "
                                             "the median time.\n";
  out += "\n## Method\n\n";
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const json& m = hosts[i]["method"];
    out += fmt::format("- {}models: {}\n- {}kernels: {}\n- {}measured energy: {}\n", many ? host_label(i) + " " : "",
                       m["models"].get<std::string>(), many ? host_label(i) + " " : "", m["kernels"].get<std::string>(),
                       many ? host_label(i) + " " : "", m["energy_measured"].get<std::string>());
  }
  return out;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Strings as they are, numbers exactly as the JSON writes them, null as empty.
std::string csv_value(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// Units follow the JSON's naming: the key's suffix says what it holds.
std::string unit_of(const std::string& key) {
  auto ends = [&](const char* suffix) { return key.ends_with(suffix); };
  if (key.find("bytes") != std::string::npos) return "bytes";
  if (ends("tok_s")) return "tokens/s";
  if (ends("ms_per_token") || key.starts_with("decode_ms")) return "ms";
  if (ends("_us")) return "us";
  if (key.find("gbps") != std::string::npos) return "GB/s";
  if (key.find("gmacs") != std::string::npos) return "GMAC/s";
  if (key.starts_with("frac") || ends("_fraction")) return "fraction";
  if (ends("_s")) return "s";
  if (ends("j_per_token")) return "J";
  return "";
}

struct Csv {
  std::string out = "section,host,subject,metric,value,unit,note\n";
  void add(const std::string& section, const std::string& host, const std::string& subject, const std::string& metric,
           const json& value, const std::string& unit, const std::string& note = "") {
    const std::string fields[] = {section, host, subject, metric, csv_value(value), unit, note};
    for (const std::string& f : fields) out += csv_field(f) + (&f == &fields[6] ? "\n" : ",");
  }
};

}  // namespace

std::string render_csv(const json& doc) {
  Csv c;
  const json& hosts = doc["hosts"];
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string hl = host_label(i);
    const json& h = hosts[i];
    for (const auto& [k, v] : h["host"].items())
      if (!v.is_array()) c.add("host", hl, h["host"]["fingerprint"].get<std::string>(), k, v, "");
    for (const auto& [k, v] : h["roofline"].items())
      c.add("roofline", hl, "", k, v, unit_of(k));
    for (OpKind k : all_op_kinds())
      c.add("energy_table", hl, h["energy_table"]["source"].get<std::string>(), op_kind_name(k),
            h["energy_table"]["values"][op_kind_name(k)], "pJ");
    for (const json& m : h["models"]) {
      const std::string name = m["name"].get<std::string>();
      for (const auto& [k, v] : m.items())
        if (!v.is_object()) c.add("model", hl, name, k, v, unit_of(k));
      const json& e = m["energy"]["estimated"];
      c.add("model", hl, name, "energy_estimated_j_per_token", e["j_per_token"], "J", "estimated");
      const json& mea = m["energy"]["measured"];
      c.add("model", hl, name, "energy_measured_j_per_token", mea["j_per_token"], "J",
            mea["available"].get<bool>() ? "measured: " + mea["source"].get<std::string>()
                                         : "measured: not available (" + mea["reason"].get<std::string>() + ")");
      for (const json& comp : e["components"])
        for (OpKind k : all_op_kinds())
          c.add("energy_ops", hl, name + ": " + comp["name"].get<std::string>(), op_kind_name(k), comp["counts"][op_kind_name(k)], "ops");
      for (OpKind k : all_op_kinds()) c.add("energy_ops", hl, name + ": total", op_kind_name(k), e["counts"][op_kind_name(k)], "ops");
    }
    for (const json& k : h["kernels"]) {
      const auto key = kernel_key(k);
      const std::string subject = fmt::format("{} {} {} {} {}", key[0], key[1], key[2], key[3], key[4]);
      for (const auto& [name, v] : k.items()) c.add("kernel", hl, subject, name, v, unit_of(name));
    }
  }
  return c.out;
}

}  // namespace trine::bench
