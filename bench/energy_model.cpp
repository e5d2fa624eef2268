#include "bench/energy_model.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine::bench {

const char* const kEnergyFormula =
    "E_token = sum over op kinds p of n_p * e_p, where n_p counts the operations of kind p in one decoded token's "
    "forward pass and e_p is the energy table's pJ per operation";

const char* const kOpCountMethod =
    "one decode step at a stated position. Ternary matmul MxK: M*K int8 additions (weights in {-1,0,+1} make every "
    "product an add or subtract; all M*K counted, as the kernels compute them) plus one fp32 multiply per output "
    "(the scale) and one per matmul (wscale/s). Everything else runs in fp32 as the engine does it: a fused "
    "multiply-add counts as one multiply and one addition; max, |x| and comparisons count as additions; division, "
    "square root, exp, sin and cos count as one multiply each; rounding, clamping and data movement are not counted";

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::int8_add: return "int8_add";
    case OpKind::int8_mul: return "int8_mul";
    case OpKind::fp16_add: return "fp16_add";
    case OpKind::fp16_mul: return "fp16_mul";
    case OpKind::fp32_add: return "fp32_add";
    case OpKind::fp32_mul: return "fp32_mul";
  }
  return "?";
}

const std::array<OpKind, kOpKinds>& all_op_kinds() {
  static const std::array<OpKind, kOpKinds> k{OpKind::int8_add, OpKind::int8_mul, OpKind::fp16_add,
                                              OpKind::fp16_mul, OpKind::fp32_add, OpKind::fp32_mul};
  return k;
}

OpCounts& OpCounts::operator+=(const OpCounts& o) {
  for (int i = 0; i < kOpKinds; ++i) n[i] += o.n[i];
  return *this;
}

nlohmann::json OpCounts::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (OpKind k : all_op_kinds()) j[op_kind_name(k)] = (*this)[k];
  return j;
}

OpCounts DecodeOpCount::total() const {
  OpCounts t;
  for (const ComponentCount& c : components) t += c.ops;
  return t;
}

namespace {

using u64 = uint64_t;

OpCounts fp32(u64 add, u64 mul) {
  OpCounts c;
  c[OpKind::fp32_add] = add;
  c[OpKind::fp32_mul] = mul;
  return c;
}

// x^2 and its sum (n FMAs), /n, +eps, 1/sqrt (3 scalar ops), then w * (x * r): 2n multiplies.
OpCounts rmsnorm(u64 n) { return fp32(n + 1, 3 * n + 2); }
// |x| max over n (n adds), 127/amax (1 multiply), x * s (n multiplies).
OpCounts quantize(u64 n) { return fp32(n, n + 1); }

}  // namespace

DecodeOpCount count_decode_ops(const ModelDims& d, int position, bool lm_head_int8) {
  if (position < 0) throw Error(fmt::format("energy position {}: must be non-negative", position));
  const u64 L = d.layers, H = d.hidden, I = d.inter, V = d.vocab, hd = d.head_dim, half = hd / 2;
  const u64 nh = d.heads, nkv = d.kv_heads, qd = nh * hd, kvd = nkv * hd, T = static_cast<u64>(position) + 1;
  DecodeOpCount out;
  out.position = position;

  // q, k, v, o, gate, up, down: (M, K) per layer.
  const u64 shapes[7][2] = {{qd, H}, {kvd, H}, {kvd, H}, {H, qd}, {I, H}, {I, H}, {H, I}};
  OpCounts mm;
  for (const auto& s : shapes) {
    mm[OpKind::int8_add] += L * s[0] * s[1];
    mm[OpKind::fp32_mul] += L * (s[0] + 1);
  }
  out.components.push_back({"ternary matmuls", "M*K int8 adds per MxK, + M + 1 fp32 multiplies (scales)", mm});

  OpCounts q;
  for (u64 n : {H, qd, H, I}) q += quantize(n);  // q/k/v share one, gate/up share one
  for (u64& v : q.n) v *= L;
  out.components.push_back({"activation quantization", "per K-vector: K adds (abs max), K + 1 multiplies", q});

  OpCounts norms;
  for (u64 n : {H, qd, H, I}) norms += rmsnorm(n);
  for (u64& v : norms.n) v *= L;
  norms += rmsnorm(H);  // the final norm
  out.components.push_back({"rmsnorm", "per n-vector: n + 1 adds, 3n + 2 multiplies", norms});

  // Per call (q, then k): pos * inv_freq, sin and cos for each of hd/2 frequencies; per rotated
  // pair 4 multiplies and 2 adds.
  const u64 pairs = half * (nh + nkv);
  out.components.push_back({"rope", "2 x 3 per frequency; 4 mul + 2 add per rotated pair",
                            fp32(L * 2 * pairs, L * (2 * 3 * half + 4 * pairs))});

  // Per head over T positions: q.k (T*hd FMAs), *scale, max, -max, exp, sum, /sum, then the
  // weighted sum of V (T*hd FMAs).
  const u64 att = L * nh * (2 * T * hd + 3 * T);
  out.components.push_back({"attention", fmt::format("per head: 2*T*hd + 3*T adds and multiplies, T = {}", T),
                            fp32(att, att)});

  out.components.push_back({"relu2(gate) * up", "per element: 1 add (max), 2 multiplies", fp32(L * I, L * 2 * I)});
  out.components.push_back({"residual adds", "2 x hidden per layer", fp32(L * 2 * H, 0)});

  // The tied head: one FMA per weight, in fp32 whether stored as bf16, fp32 or int8 (widened).
  out.components.push_back({"lm_head", lm_head_int8 ? "V*d FMAs + V row scales (int8 widened to fp32)"
                                                    : "V*d FMAs (bf16/fp32 widened to fp32)",
                            fp32(V * H, V * H + (lm_head_int8 ? V : 0))});
  return out;
}

nlohmann::json EnergyTable::to_json() const {
  nlohmann::json v = nlohmann::json::object();
  for (OpKind k : all_op_kinds()) v[op_kind_name(k)] = (*this)[k];
  return {{"unit", "pJ"}, {"source", source}, {"values", v}};
}

EnergyTable default_energy_table() {
  EnergyTable t;
  t.source = "7 nm per-operation energies, as the BitNet b1.58 papers use";
  t.pj = {0.007, 0.07, 0.16, 0.34, 0.38, 1.31};  // in all_op_kinds() order
  return t;
}

EnergyTable load_energy_table(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("--energy-table {}: cannot read: cannot open ({})", path, std::strerror(errno)));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("--energy-table {}: not valid JSON: {}", path, e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("--energy-table {}: expected a JSON object of pJ per operation", path));
  EnergyTable t;
  t.source = path;
  for (OpKind k : all_op_kinds()) {
    const char* key = op_kind_name(k);
    if (!j.contains(key)) throw Error(fmt::format("--energy-table {}: missing entry \"{}\" (pJ per operation)", path, key));
    const auto& v = j[key];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      throw Error(fmt::format("--energy-table {}: \"{}\" must be a non-negative number of pJ", path, key));
    t.pj[static_cast<int>(k)] = v.get<double>();
  }
  for (const auto& [key, v] : j.items()) {
    if (key == "source") {
      if (!v.is_string()) throw Error(fmt::format("--energy-table {}: \"source\" must be a string", path));
      t.source = v.get<std::string>();
      continue;
    }
    bool known = false;
    for (OpKind k : all_op_kinds()) known |= key == op_kind_name(k);
    if (!known) throw Error(fmt::format("--energy-table {}: unknown entry \"{}\"", path, key));
  }
  return t;
}

double energy_joules(const OpCounts& c, const EnergyTable& t) {
  double pj = 0;
  for (OpKind k : all_op_kinds()) pj += static_cast<double>(c[k]) * t[k];
  return pj * 1e-12;
}

ParamCounts count_parameters(const ModelDims& d) {
  const uint64_t L = d.layers, H = d.hidden, I = d.inter, qd = uint64_t(d.heads) * d.head_dim,
                 kvd = uint64_t(d.kv_heads) * d.head_dim;
  ParamCounts p;
  p.embedding = uint64_t(d.vocab) * H;
  p.ternary = L * (2 * qd * H + 2 * kvd * H + 3 * I * H);
  const uint64_t norms = L * (2 * H + qd + I) + H;
  p.total = p.embedding + p.ternary + norms;
  return p;
}

}  // namespace trine::bench
