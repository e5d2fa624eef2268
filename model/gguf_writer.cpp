// GGUF writing: the header is built in memory, tensor data is streamed from producers, and the
// file only appears under its name once it is complete and synced.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/gguf.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

template <class T>
void put(std::vector<uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// A hand-built GgufValue may hold an alternative its type tag does not match; say which key.
template <class T>
const T& alt(const GgufValue& v, const std::string& key) {
  if (const T* p = std::get_if<T>(&v.v)) return *p;
  throw Error(fmt::format("GGUF metadata key {}: a {} value holds the wrong kind of data", key, gguf_type_name(v.type)));
}

template <class Narrow, class Wide>
Narrow narrow(Wide x, const GgufValue& v, const std::string& key) {
  if (static_cast<Wide>(static_cast<Narrow>(x)) != x)
    throw Error(fmt::format("GGUF metadata key {}: {} does not fit {}", key, x, gguf_type_name(v.type)));
  return static_cast<Narrow>(x);
}

void put_value(std::vector<uint8_t>& out, const GgufValue& v, const std::string& key) {
  switch (v.type) {
    case GgufType::U8: put(out, narrow<uint8_t>(alt<uint64_t>(v, key), v, key)); return;
    case GgufType::U16: put(out, narrow<uint16_t>(alt<uint64_t>(v, key), v, key)); return;
    case GgufType::U32: put(out, narrow<uint32_t>(alt<uint64_t>(v, key), v, key)); return;
    case GgufType::U64: put(out, alt<uint64_t>(v, key)); return;
    case GgufType::I8: put(out, narrow<int8_t>(alt<int64_t>(v, key), v, key)); return;
    case GgufType::I16: put(out, narrow<int16_t>(alt<int64_t>(v, key), v, key)); return;
    case GgufType::I32: put(out, narrow<int32_t>(alt<int64_t>(v, key), v, key)); return;
    case GgufType::I64: put(out, alt<int64_t>(v, key)); return;
    case GgufType::F32: put(out, static_cast<float>(alt<double>(v, key))); return;
    case GgufType::F64: put(out, alt<double>(v, key)); return;
    case GgufType::BOOL: put<uint8_t>(out, alt<bool>(v, key) ? 1 : 0); return;
    case GgufType::STRING: put_string(out, alt<std::string>(v, key)); return;
    case GgufType::ARRAY: {
      const auto& items = alt<std::vector<GgufValue>>(v, key);
      put(out, static_cast<uint32_t>(v.elem));
      put<uint64_t>(out, items.size());
      for (const GgufValue& it : items) {
        if (it.type != v.elem)
          throw Error(fmt::format("GGUF metadata key {}: array of {} holds a {}", key, gguf_type_name(v.elem),
                                  gguf_type_name(it.type)));
        put_value(out, it, key);
      }
      return;
    }
  }
  throw Error(fmt::format("GGUF metadata key {}: unknown value type {}", key, static_cast<uint32_t>(v.type)));
}

// A file beside the target that is renamed over it on commit and removed otherwise.
class TempFile {
 public:
  explicit TempFile(const std::string& path) : path_(path) {
    static std::atomic<unsigned> counter{0};
    tmp_ = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) throw Error(fmt::format("{}: cannot create {}: {}", path_, tmp_, std::strerror(errno)));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const uint8_t* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  void pad_to(uint64_t written, uint64_t alignment) {
    static const uint8_t zeros[64] = {};
    for (uint64_t n = align_up(written, alignment) - written; n > 0;) {
      const std::size_t chunk = static_cast<std::size_t>(std::min<uint64_t>(n, sizeof zeros));
      write(zeros, chunk);
      n -= chunk;
    }
  }
  void commit() {
    if (::fsync(fd_) != 0) throw Error(fmt::format("{}: fsync failed: {}", path_, std::strerror(errno)));
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw Error(fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw Error(fmt::format("{}: cannot rename {} into place: {}", path_, tmp_, std::strerror(errno)));
    committed_ = true;
  }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    throw Error(fmt::format("GGUF alignment {} is not a power of two", alignment));
  if (alignment != 32) kv_.emplace_back("general.alignment", GgufValue::u32(alignment));
}

void GgufWriter::set(const std::string& key, GgufValue v) {
  for (auto& [k, old] : kv_) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  kv_.emplace_back(key, std::move(v));
}

void GgufWriter::add_tensor(const std::string& name, std::vector<uint64_t> ne, GgmlType type, Producer bytes) {
  if (ne.empty() || ne.size() > 4) throw Error(fmt::format("GGUF tensor {}: {} dimensions (1 to 4)", name, ne.size()));
  for (const Pending& p : tensors_)
    if (p.name == name) throw Error(fmt::format("GGUF tensor {} added twice", name));
  uint64_t n = 1;
  for (uint64_t d : ne) n *= d;
  const uint64_t nbytes = ggml_nbytes(type, n, "GGUF tensor " + name);
  tensors_.push_back(Pending{name, std::move(ne), type, nbytes, std::move(bytes)});
}

void GgufWriter::write(const std::string& path) const {
  std::vector<uint8_t> head;
  head.reserve(1 << 16);
  for (char ch : {'G', 'G', 'U', 'F'}) head.push_back(static_cast<uint8_t>(ch));
  put<uint32_t>(head, 3);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, kv_.size());
  for (const auto& [key, v] : kv_) {
    put_string(head, key);
    put(head, static_cast<uint32_t>(v.type));
    put_value(head, v, key);
  }
  uint64_t offset = 0;
  for (const Pending& t : tensors_) {
    put_string(head, t.name);
    put<uint32_t>(head, static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne) put(head, d);
    put(head, static_cast<uint32_t>(t.type));
    put(head, offset);
    offset = align_up(offset + t.bytes, alignment_);
  }

  TempFile out(path);
  out.write(head.data(), head.size());
  out.pad_to(head.size(), alignment_);
  for (const Pending& t : tensors_) {
    const std::vector<uint8_t> data = t.produce();
    if (data.size() != t.bytes)
      throw Error(fmt::format("{}: tensor {}: {} bytes of data for {} expected", path, t.name, data.size(), t.bytes));
    out.write(data.data(), data.size());
    out.pad_to(data.size(), alignment_);
  }
  out.commit();
}

}  // namespace trine::model
