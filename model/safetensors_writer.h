// Writes a safetensors file: header, then tensor data in the order added. The file appears only
// when complete (written beside it, then renamed).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace trine::model {

class SafetensorsWriter {
 public:
  void add(const std::string& name, DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes);
  void write(const std::string& path) const;  // throws Error naming the path

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::vector<Entry> entries_;
};

// bf16 of a float, rounded to nearest even (the way torch converts).
uint16_t to_bf16(float f);

}  // namespace trine::model
