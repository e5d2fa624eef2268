// GGUF v3 (and v2, the same layout) as llama.cpp and bitnet.cpp write it: a memory-mapped reader
// with typed metadata access, a writer, and the BitNet b1.58 model mapping of spec section 6
// (token_embd, blk.N.*, I2_S projections). Every failure is a trine::Error naming the file and
// the metadata key or tensor.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/mapped_file.h"
#include "runtime/model_weights.h"

namespace trine::model {

// Metadata value types, numbered as in the file (gguf_type).
enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
const char* gguf_type_name(GgufType t);

// One metadata value. Unsigned integers live in uint64_t, signed in int64_t, both float widths in
// double (exact for F32), so a value read back writes out as the same bytes.
struct GgufValue {
  GgufType type = GgufType::U8;
  GgufType elem = GgufType::U8;  // element type of an ARRAY (kept for empty arrays)
  std::variant<uint64_t, int64_t, double, bool, std::string, std::vector<GgufValue>> v;

  static GgufValue u8(uint8_t x), i8(int8_t x), u16(uint16_t x), i16(int16_t x), u32(uint32_t x), i32(int32_t x),
      u64(uint64_t x), i64(int64_t x), f32(float x), f64(double x), boolean(bool x), str(std::string s);
  // Every element must have type elem.
  static GgufValue array(GgufType elem, std::vector<GgufValue> items);
  static GgufValue strings(const std::vector<std::string>& items);
  static GgufValue i32s(const std::vector<int>& items);
  static GgufValue f32s(const std::vector<float>& items);
};

// The ggml tensor types trine reads and writes; I2_S is bitnet.cpp's (spec 6.4).
enum class GgmlType : uint32_t { F32 = 0, F16 = 1, BF16 = 30, I2_S = 36 };
const char* ggml_type_name(GgmlType t);
bool ggml_type_known(uint32_t id);
// Bytes of n values of type t. I2_S: n/4 bytes of codes, then the float32 scale and padding to 32
// bytes; n must be a multiple of 128 (whole blocks). Throws Error naming `what` otherwise.
uint64_t ggml_nbytes(GgmlType t, uint64_t n, const std::string& what);

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order: ne[0] is contiguous (the input features of a matrix)
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;       // from the start of the data section
  const uint8_t* data = nullptr;
  uint64_t bytes = 0;
  uint64_t numel() const;
  std::string describe() const;  // "blk.0.attn_q.weight {256, 256} I2_S"
};

class GgufFile {
 public:
  explicit GgufFile(const std::string& path);  // maps and validates; throws Error naming the path
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // file offset of the data section

  const std::vector<std::string>& keys() const { return key_order_; }  // in file order
  bool has(const std::string& key) const { return kv_.count(key) > 0; }
  const GgufValue& get(const std::string& key) const;  // throws naming the key
  // Integer getters take any integer type whose value fits; float getters F32 or F64.
  std::string get_string(const std::string& key) const;
  uint32_t get_u32(const std::string& key) const;
  int32_t get_i32(const std::string& key) const;
  uint64_t get_u64(const std::string& key) const;
  int64_t get_i64(const std::string& key) const;
  float get_f32(const std::string& key) const;
  double get_f64(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_array_strings(const std::string& key) const;
  std::vector<int32_t> get_array_i32(const std::string& key) const;
  std::vector<float> get_array_f32(const std::string& key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }  // in file order
  bool has_tensor(const std::string& name) const { return tensor_index_.count(name) > 0; }
  const GgufTensorInfo& tensor(const std::string& name) const;  // throws naming the tensor

 private:
  void parse();
  void place_tensors(const uint8_t* base);
  std::string path_;
  MappedFile file_;
  uint32_t version_ = 0, alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::string> key_order_;
  std::map<std::string, GgufValue> kv_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, std::size_t> tensor_index_;
};

// F32, F16 or BF16 tensor data widened to float (exact); other types throw naming the tensor.
std::vector<float> gguf_to_f32(const GgufFile& f, const GgufTensorInfo& t);

// bitnet.cpp I2_S (x86, 128-value blocks; spec 6.4) of a row-major [M][K] ternary matrix: codes
// -1/0/+1 -> 0/1/2, byte[b*32+j] = c[b*128+j]<<6 | c[+32]<<4 | c[+64]<<2 | c[+96], the float32
// scale at byte M*K/4, zero padding to 32 bytes. `what` names the tensor in errors.
std::vector<uint8_t> encode_i2_s(const TernaryMatrix& W, const std::string& what);
// Rejects code 0b11 and a scale that is not a positive finite float, naming `what`.
TernaryMatrix decode_i2_s(const uint8_t* data, uint64_t bytes, int M, int K, const std::string& what);

// IEEE half from float, round to nearest even (overflow gives infinity).
uint16_t f32_to_f16(float x);

// Builds a GGUF file. Tensor bytes come from producers called one at a time while writing, so a
// model is never held twice in memory.
class GgufWriter {
 public:
  using Producer = std::function<std::vector<uint8_t>()>;
  explicit GgufWriter(uint32_t alignment = 32);
  void set(const std::string& key, GgufValue v);  // a key set twice keeps its first position
  // ne in ggml order; the producer must return exactly ggml_nbytes(type, numel) bytes.
  void add_tensor(const std::string& name, std::vector<uint64_t> ne, GgmlType type, Producer bytes);
  // Writes path.tmp.XXXXXX beside path, then renames it over path: a failure leaves no
  // half-written file (and no temporary) behind.
  void write(const std::string& path) const;

 private:
  struct Pending {
    std::string name;
    std::vector<uint64_t> ne;
    GgmlType type;
    uint64_t bytes;
    Producer produce;
  };
  uint32_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Pending> tensors_;
};

// ---- BitNet b1.58 on top of GGUF (spec 6) ----

// The tokenizer.ggml.* metadata as plain vectors, in the form Tokenizer::from_vocab takes.
struct GgufTokenizerData {
  std::string model = "gpt2";       // tokenizer.ggml.model
  std::string pre;                  // tokenizer.ggml.pre ("llama-bpe"); empty = absent
  std::vector<std::string> tokens;  // byte-level pieces ("ĠHello")
  std::vector<std::string> merges;  // "a b", by rank
  std::vector<int> token_type;      // llama_token_type per token (1 normal, 3 control); may be empty
  int bos_id = -1, eos_id = -1, eot_id = -1;  // -1 = absent
  std::optional<bool> add_bos;      // tokenizer.ggml.add_bos_token
};

struct GgufModelMeta {
  std::string arch;  // "bitnet-b1.58" or "bitnet-25"
  ModelDims dims;
  int context_length = 0;
};

// Architecture and hyper-parameters from <arch>.* metadata, vocab from token_embd's shape.
GgufModelMeta read_gguf_model_meta(const GgufFile& f);
ModelWeights load_gguf_model(const std::string& path);
// Throws naming the key when tokenizer.ggml.tokens is missing or the rest is inconsistent.
GgufTokenizerData read_gguf_tokenizer(const GgufFile& f);
GgufTokenizerData load_gguf_tokenizer(const std::string& path);

struct GgufWriteOptions {
  // The official file stores token_embd as F16, which rounds the embedding (and so the tied
  // lm_head); F32 keeps a GGUF bit-identical in logits to the checkpoint it came from.
  bool f32_embedding = false;
  int context_length = 4096;  // ModelDims has no context length
  std::string name;           // general.name; omitted when empty
};

// The official layout: arch bitnet-b1.58, general.file_type 40, F32 norms, I2_S projections.
void write_gguf_model(const ModelWeights& m, const std::string& path, const GgufTokenizerData* tok = nullptr,
                      const GgufWriteOptions& opt = {});

}  // namespace trine::model

namespace trine::model {

// tokenizer.json (byte-level BPE) as GGUF tokenizer metadata: pieces by id, merges by rank,
// special added tokens as control tokens, LLaMA-3 pre-tokenizer. Throws naming the file.
GgufTokenizerData gguf_tokenizer_from_json(const std::string& path);

}  // namespace trine::model
