// Hugging Face safetensors, memory-mapped: one file, or a sharded checkpoint through
// model.safetensors.index.json. Every header field is checked against the file before use, and
// errors name the file and the tensor.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/mapped_file.h"

namespace trine::model {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };
const char* dtype_name(DType d);
std::size_t dtype_size(DType d);

struct TensorView {
  std::string name, file;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  std::size_t bytes = 0;
  int64_t numel() const;
  std::string describe() const;  // "name [640, 2560] U8 in file"
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // throws Error naming the path
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  const std::string& path() const { return path_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }

 private:
  std::string path_;
  MappedFile file_;
  std::size_t size_ = 0;
  std::map<std::string, TensorView> tensors_;
};

// A checkpoint directory (model.safetensors, or the shards an index names) or a single file.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& path);
  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;
  const TensorView& get(const std::string& name) const;  // throws Error naming the tensor and path
  std::vector<std::string> names() const;

 private:
  std::string path_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
};

// F32, F16 or BF16 data widened to float (exact for all three); anything else throws.
std::vector<float> to_f32(const TensorView& t);

}  // namespace trine::model
