#include "model/npy.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace trine::model {

void write_npy_f32(const std::string& path, const std::vector<float>& data, const std::vector<int64_t>& shape) {
  std::string dims = fmt::format("{}", fmt::join(shape, ", "));
  if (shape.size() == 1) dims += ",";
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
  header.resize((10 + header.size() + 1 + 63) / 64 * 64 - 10 - 1, ' ');
  header += '\n';
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(fmt::format("--out {}: cannot write", path));
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t n = static_cast<uint16_t>(header.size());
    out.write(reinterpret_cast<const char*>(&n), 2);
    out << header;
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("--out {}: cannot write", path));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(fmt::format("--out {}: cannot write", path));
}

std::vector<float> read_npy_f32(const std::string& path, std::vector<int64_t>& shape) {
  std::ifstream in(path, std::ios::binary);
  char magic[10];
  if (!in.read(magic, 10) || std::string(magic, 6) != "\x93NUMPY") throw Error(fmt::format("{}: not a .npy file", path));
  const uint16_t n = static_cast<uint8_t>(magic[8]) | static_cast<uint16_t>(static_cast<uint8_t>(magic[9])) << 8;
  std::string header(n, ' ');
  in.read(header.data(), n);
  if (header.find("'<f4'") == std::string::npos) throw Error(fmt::format("{}: not float32", path));
  const std::size_t open = header.find("'shape': (");
  const std::size_t close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) throw Error(fmt::format("{}: no shape", path));
  shape.clear();
  int64_t total = 1, cur = -1;
  for (std::size_t i = open + 10; i <= close; ++i) {
    const char c = header[i];
    if (c >= '0' && c <= '9') {
      cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
    } else if (cur >= 0) {
      shape.push_back(cur);
      total *= cur;
      cur = -1;
    }
  }
  std::vector<float> data(static_cast<std::size_t>(total));
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * 4)))
    throw Error(fmt::format("{}: truncated", path));
  return data;
}

}  // namespace trine::model
