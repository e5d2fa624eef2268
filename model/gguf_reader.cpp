// GGUF reading: the header, metadata and tensor infos are parsed once at open with every length
// checked against the mapped file, so later accesses can trust offsets and sizes.

#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/gguf.h"
#include "model/safetensors.h"
#include "runtime/error.h"

namespace trine::model {

namespace {

constexpr uint32_t kMaxArrayDepth = 16;  // nested arrays deeper than this are hostile, not data
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS

// Reads little-endian fields with every read bounds-checked; `what` says which key or tensor
// the bytes belong to, so a truncated file names where it broke.
class Cursor {
 public:
  Cursor(const uint8_t* base, std::size_t size, const std::string& path) : base_(base), size_(size), path_(path) {}
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) const {
    if (n > left())
      throw Error(fmt::format("{}: truncated GGUF file: {} needs {} bytes at offset {} but the file ends at {}", path_,
                              what, n, pos_, size_));
  }
  template <class T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& what) {
    const uint64_t n = read<uint64_t>(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(base_ + pos_), static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }

 private:
  const uint8_t* base_;
  std::size_t size_, pos_ = 0;
  const std::string& path_;
};

// Smallest encoding of one element, to refuse an array count the remaining bytes cannot hold
// before allocating for it.
uint64_t min_value_bytes(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::STRING: case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::ARRAY: return 12;
  }
  return 1;
}

GgufType read_type(Cursor& c, const std::string& path, const std::string& what) {
  const uint32_t id = c.read<uint32_t>(what);
  if (id > static_cast<uint32_t>(GgufType::F64))
    throw Error(fmt::format("{}: {}: unknown metadata value type {}", path, what, id));
  return static_cast<GgufType>(id);
}

GgufValue read_value(Cursor& c, GgufType t, uint32_t depth, const std::string& path, const std::string& what);

GgufValue read_array(Cursor& c, uint32_t depth, const std::string& path, const std::string& what) {
  if (depth >= kMaxArrayDepth)
    throw Error(fmt::format("{}: {}: arrays nested more than {} deep", path, what, kMaxArrayDepth));
  const GgufType elem = read_type(c, path, what);
  const uint64_t count = c.read<uint64_t>(what);
  if (count > c.left() / min_value_bytes(elem))
    throw Error(fmt::format("{}: truncated GGUF file: {}: an array of {} {} values cannot fit in the {} bytes left",
                            path, what, count, gguf_type_name(elem), c.left()));
  std::vector<GgufValue> items;
  items.reserve(static_cast<std::size_t>(count));
  for (uint64_t i = 0; i < count; ++i) items.push_back(read_value(c, elem, depth + 1, path, what));
  return GgufValue::array(elem, std::move(items));
}

GgufValue read_value(Cursor& c, GgufType t, uint32_t depth, const std::string& path, const std::string& what) {
  switch (t) {
    case GgufType::U8: return GgufValue::u8(c.read<uint8_t>(what));
    case GgufType::I8: return GgufValue::i8(c.read<int8_t>(what));
    case GgufType::U16: return GgufValue::u16(c.read<uint16_t>(what));
    case GgufType::I16: return GgufValue::i16(c.read<int16_t>(what));
    case GgufType::U32: return GgufValue::u32(c.read<uint32_t>(what));
    case GgufType::I32: return GgufValue::i32(c.read<int32_t>(what));
    case GgufType::U64: return GgufValue::u64(c.read<uint64_t>(what));
    case GgufType::I64: return GgufValue::i64(c.read<int64_t>(what));
    case GgufType::F32: return GgufValue::f32(c.read<float>(what));
    case GgufType::F64: return GgufValue::f64(c.read<double>(what));
    case GgufType::STRING: return GgufValue::str(c.read_string(what));
    case GgufType::ARRAY: return read_array(c, depth, path, what);
    case GgufType::BOOL: {
      const uint8_t b = c.read<uint8_t>(what);
      if (b > 1) throw Error(fmt::format("{}: {}: bool byte {} is neither 0 nor 1", path, what, b));
      return GgufValue::boolean(b != 0);
    }
  }
  throw Error(fmt::format("{}: {}: unknown metadata value type {}", path, what, static_cast<uint32_t>(t)));
}

std::string value_type_name(const GgufValue& v) {
  if (v.type != GgufType::ARRAY) return gguf_type_name(v.type);
  return fmt::format("ARRAY of {}", gguf_type_name(v.elem));
}

// Any integer type, if the value fits T: converters disagree on widths (u32 vs i32 vs u64).
template <class T>
T int_as(const GgufValue& v, const std::string& where) {
  using L = std::numeric_limits<T>;
  bool fits;
  std::string shown;
  if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    fits = *u <= static_cast<uint64_t>(L::max());
    shown = std::to_string(*u);
  } else if (const auto* i = std::get_if<int64_t>(&v.v)) {
    fits = *i < 0 ? (L::is_signed && *i >= static_cast<int64_t>(L::min()))
                  : static_cast<uint64_t>(*i) <= static_cast<uint64_t>(L::max());
    shown = std::to_string(*i);
  } else {
    throw Error(fmt::format("{}: expected an integer, found {}", where, value_type_name(v)));
  }
  if (!fits)
    throw Error(fmt::format("{}: value {} does not fit a {}-bit {} integer", where, shown, 8 * sizeof(T),
                            L::is_signed ? "signed" : "unsigned"));
  return std::holds_alternative<uint64_t>(v.v) ? static_cast<T>(std::get<uint64_t>(v.v))
                                                 : static_cast<T>(std::get<int64_t>(v.v));
}

double float_of(const GgufValue& v, const std::string& where) {
  if (v.type != GgufType::F32 && v.type != GgufType::F64)
    throw Error(fmt::format("{}: expected a float, found {}", where, value_type_name(v)));
  return std::get<double>(v.v);
}

const std::vector<GgufValue>& items_of(const GgufValue& v, const std::string& where) {
  if (v.type != GgufType::ARRAY) throw Error(fmt::format("{}: expected an array, found {}", where, value_type_name(v)));
  return std::get<std::vector<GgufValue>>(v.v);
}

uint64_t checked_numel(const std::vector<uint64_t>& ne, const std::string& where) {
  uint64_t n = 1;
  for (uint64_t d : ne) {
    if (d != 0 && n > (uint64_t{1} << 62) / d)
      throw Error(fmt::format("{}: dimensions {{{}}} overflow", where, fmt::join(ne, ", ")));
    n *= d;
  }
  return n;
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

uint32_t read_version(Cursor& c, const uint8_t* base, std::size_t size, const std::string& path) {
  if (size < 24) throw Error(fmt::format("{}: truncated GGUF file: {} bytes, the header alone is 24", path, size));
  if (std::memcmp(base, "GGUF", 4) != 0)
    throw Error(fmt::format("{}: not a GGUF file: magic bytes {:02x} {:02x} {:02x} {:02x}, expected \"GGUF\"", path,
                            base[0], base[1], base[2], base[3]));
  c.read<uint32_t>("magic");
  const uint32_t version = c.read<uint32_t>("version");
  if (__builtin_bswap32(version) == 2 || __builtin_bswap32(version) == 3)
    throw Error(fmt::format("{}: big-endian GGUF is not supported", path));
  if (version != 2 && version != 3)
    throw Error(fmt::format("{}: GGUF version {} is not supported (2 and 3 are)", path, version));
  return version;
}

GgufTensorInfo read_tensor_info(Cursor& c, uint64_t i, const std::string& path) {
  GgufTensorInfo t;
  t.name = c.read_string(fmt::format("tensor info #{}", i));
  const std::string what = "tensor " + t.name;
  const uint32_t n_dims = c.read<uint32_t>(what);
  if (n_dims == 0 || n_dims > kMaxDims)
    throw Error(fmt::format("{}: {}: {} dimensions (ggml allows 1 to {})", path, what, n_dims, kMaxDims));
  for (uint32_t d = 0; d < n_dims; ++d) t.ne.push_back(c.read<uint64_t>(what));
  const uint32_t type = c.read<uint32_t>(what);
  if (!ggml_type_known(type))
    throw Error(fmt::format("{}: {}: unsupported ggml type id {} (trine reads F32 0, F16 1, BF16 30, I2_S 36)", path,
                            what, type));
  t.type = static_cast<GgmlType>(type);
  t.offset = c.read<uint64_t>(what);
  t.bytes = ggml_nbytes(t.type, checked_numel(t.ne, path + ": " + what), path + ": " + what);
  return t;
}

}  // namespace

// ---- values and types ----

const char* gguf_type_name(GgufType t) {
  static const char* names[] = {"U8", "I8", "U16", "I16", "U32", "I32", "F32", "BOOL", "STRING", "ARRAY", "U64", "I64", "F64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(names) ? names[i] : "?";
}

GgufValue GgufValue::u8(uint8_t x) { return {GgufType::U8, GgufType::U8, uint64_t{x}}; }
GgufValue GgufValue::i8(int8_t x) { return {GgufType::I8, GgufType::U8, int64_t{x}}; }
GgufValue GgufValue::u16(uint16_t x) { return {GgufType::U16, GgufType::U8, uint64_t{x}}; }
GgufValue GgufValue::i16(int16_t x) { return {GgufType::I16, GgufType::U8, int64_t{x}}; }
GgufValue GgufValue::u32(uint32_t x) { return {GgufType::U32, GgufType::U8, uint64_t{x}}; }
GgufValue GgufValue::i32(int32_t x) { return {GgufType::I32, GgufType::U8, int64_t{x}}; }
GgufValue GgufValue::u64(uint64_t x) { return {GgufType::U64, GgufType::U8, x}; }
GgufValue GgufValue::i64(int64_t x) { return {GgufType::I64, GgufType::U8, x}; }
GgufValue GgufValue::f32(float x) { return {GgufType::F32, GgufType::U8, double{x}}; }
GgufValue GgufValue::f64(double x) { return {GgufType::F64, GgufType::U8, x}; }
GgufValue GgufValue::boolean(bool x) { return {GgufType::BOOL, GgufType::U8, x}; }
GgufValue GgufValue::str(std::string s) { return {GgufType::STRING, GgufType::U8, std::move(s)}; }

GgufValue GgufValue::array(GgufType elem, std::vector<GgufValue> items) {
  for (const GgufValue& it : items)
    if (it.type != elem)
      throw Error(fmt::format("GGUF array of {} given a {} element", gguf_type_name(elem), gguf_type_name(it.type)));
  return {GgufType::ARRAY, elem, std::move(items)};
}

GgufValue GgufValue::strings(const std::vector<std::string>& items) {
  std::vector<GgufValue> out;
  out.reserve(items.size());
  for (const std::string& s : items) out.push_back(str(s));
  return array(GgufType::STRING, std::move(out));
}

GgufValue GgufValue::i32s(const std::vector<int>& items) {
  std::vector<GgufValue> out;
  out.reserve(items.size());
  for (int x : items) out.push_back(i32(x));
  return array(GgufType::I32, std::move(out));
}

GgufValue GgufValue::f32s(const std::vector<float>& items) {
  std::vector<GgufValue> out;
  out.reserve(items.size());
  for (float x : items) out.push_back(f32(x));
  return array(GgufType::F32, std::move(out));
}

const char* ggml_type_name(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return "F32";
    case GgmlType::F16: return "F16";
    case GgmlType::BF16: return "BF16";
    case GgmlType::I2_S: return "I2_S";
  }
  return "?";
}

bool ggml_type_known(uint32_t id) { return id == 0 || id == 1 || id == 30 || id == 36; }

uint64_t ggml_nbytes(GgmlType t, uint64_t n, const std::string& what) {
  switch (t) {
    case GgmlType::F32: return 4 * n;
    case GgmlType::F16: case GgmlType::BF16: return 2 * n;
    case GgmlType::I2_S:
      if (n % 128 != 0)
        throw Error(fmt::format("{}: I2_S holds whole 128-value blocks, but the tensor has {} values", what, n));
      return n / 4 + 32;
  }
  throw Error(fmt::format("{}: unsupported ggml type id {}", what, static_cast<uint32_t>(t)));
}

uint64_t GgufTensorInfo::numel() const {
  uint64_t n = 1;
  for (uint64_t d : ne) n *= d;
  return n;
}

std::string GgufTensorInfo::describe() const {
  return fmt::format("{} {{{}}} {}", name, fmt::join(ne, ", "), ggml_type_name(type));
}

// ---- the file ----

GgufFile::GgufFile(const std::string& path) : path_(path), file_(path) { parse(); }

void GgufFile::parse() {
  const uint8_t* base = file_.data();
  const std::size_t size = file_.size();
  Cursor c(base, size, path_);
  version_ = read_version(c, base, size, path_);
  const uint64_t n_tensors = c.read<uint64_t>("tensor count"), n_kv = c.read<uint64_t>("metadata count");
  // No reserve from these counts: a corrupt count then ends in a truncation error, not an allocation.
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string(fmt::format("metadata key #{}", i));
    const std::string what = "metadata key " + key;
    GgufValue v = read_value(c, read_type(c, path_, what), 0, path_, what);
    if (kv_.count(key)) throw Error(fmt::format("{}: {} appears twice", path_, what));
    key_order_.push_back(key);
    kv_.emplace(std::move(key), std::move(v));
  }
  if (has("general.alignment")) {
    alignment_ = get_u32("general.alignment");
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
      throw Error(fmt::format("{}: metadata key general.alignment: {} is not a power of two", path_, alignment_));
  }
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t = read_tensor_info(c, i, path_);
    if (tensor_index_.count(t.name)) throw Error(fmt::format("{}: tensor {} appears twice", path_, t.name));
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  data_offset_ = align_up(c.pos(), alignment_);
  place_tensors(base);
}

void GgufFile::place_tensors(const uint8_t* base) {
  const uint64_t data_size = file_.size() > data_offset_ ? file_.size() - data_offset_ : 0;
  for (GgufTensorInfo& t : tensors_) {
    if (t.offset % alignment_ != 0)
      throw Error(fmt::format("{}: tensor {}: data offset {} is not a multiple of the alignment {}", path_,
                              t.describe(), t.offset, alignment_));
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      throw Error(fmt::format("{}: tensor {}: data [{}, {}) runs past the end of the file ({} data bytes; truncated?)",
                              path_, t.describe(), t.offset, t.offset + t.bytes, data_size));
    t.data = base + data_offset_ + t.offset;
  }
}

const GgufValue& GgufFile::get(const std::string& key) const {
  auto it = kv_.find(key);
  if (it == kv_.end()) throw Error(fmt::format("{}: metadata key {} not found", path_, key));
  return it->second;
}

std::string GgufFile::get_string(const std::string& key) const {
  const GgufValue& v = get(key);
  if (v.type != GgufType::STRING)
    throw Error(fmt::format("{}: metadata key {}: expected a string, found {}", path_, key, value_type_name(v)));
  return std::get<std::string>(v.v);
}

uint32_t GgufFile::get_u32(const std::string& key) const { return int_as<uint32_t>(get(key), path_ + ": metadata key " + key); }
int32_t GgufFile::get_i32(const std::string& key) const { return int_as<int32_t>(get(key), path_ + ": metadata key " + key); }
uint64_t GgufFile::get_u64(const std::string& key) const { return int_as<uint64_t>(get(key), path_ + ": metadata key " + key); }
int64_t GgufFile::get_i64(const std::string& key) const { return int_as<int64_t>(get(key), path_ + ": metadata key " + key); }
double GgufFile::get_f64(const std::string& key) const { return float_of(get(key), path_ + ": metadata key " + key); }
float GgufFile::get_f32(const std::string& key) const { return static_cast<float>(get_f64(key)); }

bool GgufFile::get_bool(const std::string& key) const {
  const GgufValue& v = get(key);
  if (v.type != GgufType::BOOL)
    throw Error(fmt::format("{}: metadata key {}: expected a bool, found {}", path_, key, value_type_name(v)));
  return std::get<bool>(v.v);
}

std::vector<std::string> GgufFile::get_array_strings(const std::string& key) const {
  const std::string where = path_ + ": metadata key " + key;
  const GgufValue& v = get(key);
  if (v.type != GgufType::ARRAY || v.elem != GgufType::STRING)
    throw Error(fmt::format("{}: expected an array of strings, found {}", where, value_type_name(v)));
  std::vector<std::string> out;
  out.reserve(items_of(v, where).size());
  for (const GgufValue& it : items_of(v, where)) out.push_back(std::get<std::string>(it.v));
  return out;
}

std::vector<int32_t> GgufFile::get_array_i32(const std::string& key) const {
  const std::string where = path_ + ": metadata key " + key;
  const auto& items = items_of(get(key), where);
  std::vector<int32_t> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(int_as<int32_t>(items[i], fmt::format("{}[{}]", where, i)));
  return out;
}

std::vector<float> GgufFile::get_array_f32(const std::string& key) const {
  const std::string where = path_ + ": metadata key " + key;
  const auto& items = items_of(get(key), where);
  std::vector<float> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back(static_cast<float>(float_of(items[i], fmt::format("{}[{}]", where, i))));
  return out;
}

const GgufTensorInfo& GgufFile::tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  if (it == tensor_index_.end()) throw Error(fmt::format("{}: tensor {} not found", path_, name));
  return tensors_[it->second];
}

std::vector<float> gguf_to_f32(const GgufFile& f, const GgufTensorInfo& t) {
  TensorView v;
  switch (t.type) {
    case GgmlType::F32: v.dtype = DType::F32; break;
    case GgmlType::F16: v.dtype = DType::F16; break;
    case GgmlType::BF16: v.dtype = DType::BF16; break;
    default: throw Error(fmt::format("{}: tensor {}: expected F32, F16 or BF16 data", f.path(), t.describe()));
  }
  v.name = t.name;
  v.file = f.path();
  v.shape.assign(t.ne.rbegin(), t.ne.rend());  // safetensors order: outermost first
  v.data = t.data;
  v.bytes = static_cast<std::size_t>(t.bytes);
  return to_f32(v);
}

}  // namespace trine::model
