#include "model/safetensors.h"


#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "model/json_file.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

namespace fs = std::filesystem;

const std::map<std::string, DType>& dtype_table() {
  static const std::map<std::string, DType> t{{"F64", DType::F64}, {"F32", DType::F32}, {"F16", DType::F16},
                                              {"BF16", DType::BF16}, {"I64", DType::I64}, {"I32", DType::I32},
                                              {"I16", DType::I16}, {"I8", DType::I8},   {"U8", DType::U8},
                                              {"BOOL", DType::BOOL}};
  return t;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      uint32_t m = man;
      do {
        ++e;
        m <<= 1;
      } while (!(m & 0x400));
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (m & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

const char* dtype_name(DType d) {
  for (const auto& [name, v] : dtype_table())
    if (v == d) return name.c_str();
  return "?";
}

std::size_t dtype_size(DType d) {
  switch (d) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    default: return 1;
  }
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorView::describe() const {
  return fmt::format("{} [{}] {} in {}", name, fmt::join(shape, ", "), dtype_name(dtype), file);
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path), file_(path) {
  size_ = file_.size();
  if (size_ < 8)
    throw Error(fmt::format("{}: truncated safetensors file ({} bytes, the header length alone is 8)", path, size_));
  const uint8_t* base = file_.data();
  uint64_t hlen = 0;
  std::memcpy(&hlen, base, 8);
  if (hlen > size_ - 8) throw Error(fmt::format("{}: header length {} runs past the end of the file ({} bytes)", path, hlen, size_));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(base + 8, base + 8 + hlen);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed safetensors header: {}", path, e.what()));
  }
  if (!header.is_object()) throw Error(fmt::format("{}: safetensors header is not a JSON object", path));
  const uint8_t* data = base + 8 + hlen;
  const std::size_t data_size = size_ - 8 - hlen;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    auto bad = [&](const std::string& why) { return Error(fmt::format("{}: tensor {}: {}", path, name, why)); };
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw bad("needs dtype, shape and data_offsets");
    const auto dt = dtype_table().find(info["dtype"].is_string() ? info["dtype"].get<std::string>() : "");
    if (dt == dtype_table().end()) throw bad(fmt::format("unsupported dtype {}", info["dtype"].dump()));
    TensorView t;
    t.name = name;
    t.file = path;
    t.dtype = dt->second;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) throw bad("shape must hold non-negative integers");
      t.shape.push_back(d.get<int64_t>());
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw bad("data_offsets must be two non-negative integers");
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (b > e || e > data_size)
      throw bad(fmt::format("data [{}, {}) lies outside the {} data bytes (truncated file?)", b, e, data_size));
    t.bytes = static_cast<std::size_t>(e - b);
    if (t.bytes != static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype))
      throw bad(fmt::format("{} bytes of data for shape [{}] of {}", t.bytes, fmt::join(t.shape, ", "), dtype_name(t.dtype)));
    t.data = data + b;
    tensors_.emplace(name, std::move(t));
  }
}

Checkpoint::Checkpoint(const std::string& path) : path_(path) {
  std::vector<std::string> shards;
  if (fs::is_directory(path)) {
    const fs::path index = fs::path(path) / "model.safetensors.index.json";
    const fs::path single = fs::path(path) / "model.safetensors";
    if (fs::exists(index)) {
      const nlohmann::json j = read_json_file(index.string());
      if (!j.contains("weight_map") || !j["weight_map"].is_object())
        throw Error(fmt::format("{}: no weight_map object", index.string()));
      for (const auto& [tensor, file] : j["weight_map"].items()) {
        if (!file.is_string()) throw Error(fmt::format("{}: weight_map[{}] is not a file name", index.string(), tensor));
        const std::string f = (fs::path(path) / file.get<std::string>()).string();
        if (std::find(shards.begin(), shards.end(), f) == shards.end()) shards.push_back(f);
      }
    } else if (fs::exists(single)) {
      shards.push_back(single.string());
    } else {
      throw Error(fmt::format("{}: no model.safetensors or model.safetensors.index.json", path));
    }
  } else {
    shards.push_back(path);
  }
  for (const std::string& s : shards) {
    files_.push_back(std::make_unique<SafetensorsFile>(s));
    for (const auto& [name, t] : files_.back()->tensors()) {
      if (!index_.emplace(name, &t).second)
        throw Error(fmt::format("{}: tensor {} appears in more than one shard", path, name));
    }
  }
}

bool Checkpoint::has(const std::string& name) const { return index_.count(name) > 0; }

const TensorView& Checkpoint::get(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw Error(fmt::format("{}: tensor {} not found", path_, name));
  return *it->second;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : index_) out.push_back(n);
  return out;
}

std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype) {
      case DType::F32: std::memcpy(&out[i], t.data + 4 * i, 4); break;
      case DType::F16: {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        out[i] = half_to_float(h);
        break;
      }
      case DType::BF16: {  // bf16 is the top half of an f32: widening is a shift
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
        break;
      }
      default: throw Error(fmt::format("{}: expected F32, F16 or BF16 data", t.describe()));
    }
  }
  return out;
}

}  // namespace trine::model
