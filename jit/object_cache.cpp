#include "jit/object_cache.h"

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/SHA256.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

namespace trine::jit::detail {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'I', 'N', 'E', 'O', 'B', '1'};
constexpr size_t kDigestSize = 32;
constexpr size_t kTrailerSize = kDigestSize + sizeof(kMagic);

std::string digest_of(std::string_view bytes) {
  llvm::SHA256 sha;
  sha.update(llvm::StringRef(bytes.data(), bytes.size()));
  return sha.final().str();
}

std::string to_hex(llvm::StringRef raw) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace

struct KeyHasher::State {
  llvm::SHA256 sha;
};

KeyHasher::KeyHasher() : state_(new State) {}
KeyHasher::~KeyHasher() { delete state_; }

void KeyHasher::field(std::string_view bytes) {
  uint64_t n = bytes.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  state_->sha.update(llvm::ArrayRef<uint8_t>(len, 8));
  state_->sha.update(llvm::StringRef(bytes.data(), bytes.size()));
}

std::string KeyHasher::hex() { return to_hex(state_->sha.final()); }

std::string ObjectCache::path_for(const std::string& key) const {
  return (std::filesystem::path(dir_) / (key + ".o")).string();
}

std::optional<std::string> ObjectCache::load(const std::string& key) const {
  if (!enabled()) return std::nullopt;
  std::ifstream in(path_for(key), std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || data.size() <= kTrailerSize) return std::nullopt;
  size_t object_size = data.size() - kTrailerSize;
  if (std::memcmp(data.data() + data.size() - sizeof(kMagic), kMagic, sizeof(kMagic)) != 0)
    return std::nullopt;
  std::string_view object(data.data(), object_size);
  if (digest_of(object) != std::string_view(data.data() + object_size, kDigestSize))
    return std::nullopt;
  data.resize(object_size);
  return data;
}

void ObjectCache::store(const std::string& key, std::string_view object) const {
  if (!enabled()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return;
  // Unique per process and call, so two processes filling the same cache never share a temp file.
  static std::atomic<uint64_t> counter{0};
  std::string final_path = path_for(key);
  std::string tmp = final_path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter.fetch_add(1)) + "." + std::to_string(std::random_device{}());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    std::string digest = digest_of(object);
    out.write(object.data(), static_cast<std::streamsize>(object.size()));
    out.write(digest.data(), static_cast<std::streamsize>(digest.size()));
    out.write(kMagic, sizeof(kMagic));
    out.flush();
    if (!out) {
      out.close();
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace trine::jit::detail
