// The estimated energy of one decoded token: an operation-count model, as the BitNet papers use.
// Count the additions and multiplications of one token's forward pass by precision, then price
// each with a per-operation energy table (7 nm figures by default). Counts follow what trine's
// engine computes (fp32 activations, bf16 or fp32 head widened to fp32), so they state what this
// implementation does, not what an ideal one could do.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/model_weights.h"

namespace trine::bench {

enum class OpKind { int8_add, int8_mul, fp16_add, fp16_mul, fp32_add, fp32_mul };
inline constexpr int kOpKinds = 6;
const char* op_kind_name(OpKind k);  // "int8_add", ...
const std::array<OpKind, kOpKinds>& all_op_kinds();

struct OpCounts {
  std::array<uint64_t, kOpKinds> n{};
  uint64_t& operator[](OpKind k) { return n[static_cast<int>(k)]; }
  uint64_t operator[](OpKind k) const { return n[static_cast<int>(k)]; }
  OpCounts& operator+=(const OpCounts& o);
  nlohmann::json to_json() const;  // {"int8_add": n, ...}, every kind present
};

struct ComponentCount {
  std::string name;  // "ternary matmuls", "attention", ...
  std::string rule;  // how it was counted, printed beside the numbers
  OpCounts ops;
};

struct DecodeOpCount {
  int position = 0;  // 0-based position of the token; it attends to position + 1 cached entries
  std::vector<ComponentCount> components;
  OpCounts total() const;
};

// One decode step's operations for a model of these dimensions. lm_head_int8: the engine's
// per-row int8 head (one extra multiply per row for its scale).
DecodeOpCount count_decode_ops(const ModelDims& d, int position, bool lm_head_int8);

// Picojoules per operation.
struct EnergyTable {
  std::string source;
  std::array<double, kOpKinds> pj{};
  double operator[](OpKind k) const { return pj[static_cast<int>(k)]; }
  nlohmann::json to_json() const;  // {"unit": "pJ", "source": ..., "values": {...}}
};

// 7 nm, as the BitNet b1.58 paper's table.
EnergyTable default_energy_table();
// A JSON object with every key of op_kind_name() (pJ, non-negative) and optionally "source".
// Throws Error naming the file and the missing, unknown or bad key.
EnergyTable load_energy_table(const std::string& path);

double energy_joules(const OpCounts& c, const EnergyTable& t);

// Model parameters as the checkpoint defines them (the tied embedding counted once).
struct ParamCounts {
  uint64_t total = 0, embedding = 0, ternary = 0;
  uint64_t non_embedding() const { return total - embedding; }
};
ParamCounts count_parameters(const ModelDims& d);

extern const char* const kEnergyFormula;
extern const char* const kOpCountMethod;

}  // namespace trine::bench
