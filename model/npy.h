// NumPy .npy (format 1.0) for float32 arrays: what `trine logits` writes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trine::model {

void write_npy_f32(const std::string& path, const std::vector<float>& data, const std::vector<int64_t>& shape);
std::vector<float> read_npy_f32(const std::string& path, std::vector<int64_t>& shape);  // for tests and tools

}  // namespace trine::model
