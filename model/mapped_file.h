// A whole file memory-mapped read-only: how weight files are read, so loading touches only the
// pages a tensor needs and the kernel can share them between processes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace trine::model {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error naming the path
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return static_cast<const uint8_t*>(map_); }  // null when empty
  std::size_t size() const { return size_; }

 private:
  void* map_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace trine::model
